"""The README's "Makefile targets and hack scripts -> tasks" table against the v0.24.0 list (data)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kstasks.tasks import makefilemap, noxdocs, ns

PROJECT = Path(__file__).resolve().parent.parent
MIRROR_HINT = "the map is data: kstasks/data/makefile-v0.24.0.yaml"
SECTION = "## Makefile targets and hack scripts → tasks"
CELL = re.compile(r"`([^`]+)`")


def readme_rows() -> dict[str, tuple[str, str]]:
    """The first table of the section: label -> (what replaces it, notes)."""
    text = (PROJECT / "README.md").read_text()
    section = text[text.index(SECTION) :]
    rows: dict[str, tuple[str, str]] = {}
    started = False
    for line in section.splitlines()[1:]:
        if line.startswith("| KubeStellar v0.24.0"):
            started = True
            continue
        if not started or line.startswith("|---"):
            continue
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        label = CELL.fullmatch(cells[0])
        assert label, f"first cell must be one `name`: {line}"
        assert label[1] not in rows, f"duplicate row for {label[1]}"
        rows[label[1]] = (cells[1], cells[2] if len(cells) > 2 else "")
    return rows


def expected_cell(entry: makefilemap.Replacement) -> str:
    if entry.retired:
        return "retired"
    if entry.nox_session:
        return f"`nox -s {entry.nox_session}`"
    return ", ".join(f"`{name}`" for name in entry.tasks)


def test_every_target_and_script_has_exactly_one_row() -> None:
    entries = makefilemap.load()
    rows = readme_rows()
    labels = [entry.label for entry in entries]
    missing = [label for label in labels if label not in rows]
    extra = [label for label in rows if label not in labels]
    assert not missing, f"README rows missing for {missing} ({MIRROR_HINT})"
    assert not extra, f"README rows not in the v0.24.0 list: {extra}"
    assert list(rows) == labels, "README rows are not in the data's order"


def test_each_row_says_what_the_data_says() -> None:
    rows = readme_rows()
    for entry in makefilemap.load():
        cell, notes = rows[entry.label]
        assert cell == expected_cell(entry), entry.label
        if entry.retired:
            assert notes == entry.retired, f"{entry.label}: the notes must give the reason it is retired"


def test_every_named_task_exists_in_the_namespace() -> None:
    named = {task for entry in makefilemap.load() for task in entry.tasks}
    missing = sorted(named - set(ns.task_names))
    assert not missing, f"tasks named in the map but not in the kstasks namespace: {missing}"


def test_every_named_nox_session_has_a_body() -> None:
    sessions = {entry.nox_session for entry in makefilemap.load() if entry.nox_session}
    assert sessions == {"serve-docs", "deploy-docs"}
    template = (PROJECT / "kstasks" / "data" / "templates" / "noxfile.py").read_text()
    for session in sessions:
        assert callable(getattr(noxdocs, session.replace("-", "_"))), session
        assert f'name="{session}"' in template, f"the noxfile init writes has no {session} session"


def test_retired_entries_give_a_reason() -> None:
    for entry in makefilemap.load():
        assert entry.tasks or entry.nox_session or len(entry.retired) > 20, entry.label


def test_the_data_parses_each_form() -> None:
    entries = makefilemap.load(
        "targets:\n  a: build\n  b: 'nox: x'\n  c: 'retired: gone'\nscripts:\n  hack/d: [e, f]\n"
    )
    assert [(e.label, e.tasks, e.nox_session, e.retired) for e in entries] == [
        ("make a", ("build",), "", ""),
        ("make b", (), "x", ""),
        ("make c", (), "", "gone"),
        ("hack/d", ("e", "f"), "", ""),
    ]


@pytest.mark.parametrize("kind", ["targets", "scripts"])
def test_the_data_lists_whole_sections(kind: str) -> None:
    """Each section is non-empty and has no duplicate (YAML would silently keep the last)."""
    text = (PROJECT / "kstasks" / "data" / makefilemap.MAP_FILE).read_text()
    section = text.split(f"\n{kind}:\n", 1)[1].split("\n\n", 1)[0]
    names = [
        line.split(":", 1)[0].strip()
        for line in section.splitlines()
        if line.startswith("  ") and not line.strip().startswith("#")
    ]
    assert names and len(names) == len(set(names))
