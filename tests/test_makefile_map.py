"""The manual's "Makefile targets and hack scripts -> tasks" pages against the release lists (data):
one page per ``kstasks/data/makefile-<ref>.yaml``, rendered from it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kstasks.tasks import build_namespace, makefilemap, noxdocs, ns
from tests.conftest import PROJECT

REFS = makefilemap.refs()
CELL = re.compile(r"`([^`]+)`")
UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def hint(ref: str) -> str:
    data = f"kstasks/data/{makefilemap.map_file(ref)}"
    return f"the map is data: {data}; rewrite the page: {makefilemap.render_command(ref)}"


def page_rows(ref: str) -> dict[str, tuple[str, str]]:
    """The page's table: label -> (what replaces it, notes)."""
    text = (PROJECT / makefilemap.page_path(ref)).read_text()
    rows: dict[str, tuple[str, str]] = {}
    started = False
    for line in text.splitlines():
        if line.startswith(f"| KubeStellar {ref}"):
            started = True
            continue
        if not started or line.startswith("|---"):
            continue
        if not line.startswith("|"):
            break
        cells = [cell.strip().replace("\\|", "|") for cell in UNESCAPED_PIPE.split(line.strip().strip("|"))]
        label = CELL.fullmatch(cells[0])
        assert label, f"first cell must be one `name`: {line}"
        assert label[1] not in rows, f"duplicate row for {label[1]}"
        rows[label[1]] = (cells[1], cells[2] if len(cells) > 2 else "")
    return rows


def test_there_is_a_release_list() -> None:
    assert makefilemap.DEFAULT_REF in REFS


@pytest.mark.parametrize("ref", REFS)
def test_the_page_is_the_one_rendered_from_the_data(ref: str) -> None:
    page = PROJECT / makefilemap.page_path(ref)
    assert page.is_file(), f"{page.relative_to(PROJECT)} is missing ({hint(ref)})"
    assert page.read_text() == makefilemap.render(ref), f"{page.relative_to(PROJECT)} is stale ({hint(ref)})"


@pytest.mark.parametrize("ref", REFS)
def test_every_target_and_script_has_exactly_one_row(ref: str) -> None:
    labels = [entry.label for entry in makefilemap.load(ref=ref)]
    rows = page_rows(ref)
    missing = [label for label in labels if label not in rows]
    extra = [label for label in rows if label not in labels]
    assert not missing, f"rows missing for {missing} ({hint(ref)})"
    assert not extra, f"rows not in the {ref} list: {extra} ({hint(ref)})"
    assert list(rows) == labels, f"rows are not in the data's order ({hint(ref)})"


@pytest.mark.parametrize("ref", REFS)
def test_each_row_says_what_the_data_says(ref: str) -> None:
    rows = page_rows(ref)
    for entry in makefilemap.load(ref=ref):
        cell, notes = rows[entry.label]
        assert cell == entry.replaced_by, entry.label
        assert notes == entry.note, entry.label
        if entry.retired:
            assert notes == entry.retired, f"{entry.label}: the notes must give the reason it is retired"


SHAPED_LIKE = {"v0.24.0": None, "v0.30.0": "v0.30"}
"""The sample shaped like each release (None: the base sample; a name: its variant)."""
SAMPLE_ONLY = {"hack/install-clusteradm.sh"}
"""The sample's own stand-in for a script that refers to an artifact (for the version-reference
graph): in no release's tree, so in no map."""


def shaped_sample(ref: str, tmp_path: Path) -> Path:
    from tests.conftest import make_sample_repo
    from tests.samples import make_variant_repo

    variant = SHAPED_LIKE[ref]
    if variant is None:
        return make_sample_repo(tmp_path / "sample")
    return make_variant_repo(tmp_path / "sample", variant)


@pytest.mark.parametrize("ref", sorted(SHAPED_LIKE))
def test_the_map_has_a_row_for_every_target_and_script_of_the_sample_shaped_like_it(
    ref: str, tmp_path: Path
) -> None:
    root = shaped_sample(ref, tmp_path)
    gaps = [label for label in makefilemap.gaps(ref, root) if label not in SAMPLE_ONLY]
    assert not gaps, f"the {ref} map has no row for {gaps} ({hint(ref)})"


def test_a_gap_is_found(tmp_path: Path) -> None:
    root = shaped_sample("v0.30.0", tmp_path)
    (root / "scripts" / "new-thing.sh").write_text("#!/bin/sh\n")
    with (root / "Makefile").open("a") as makefile:
        makefile.write("\n.PHONY: brand-new\nbrand-new: lint\n\techo new\n")
    assert set(makefilemap.gaps("v0.30.0", root)) - SAMPLE_ONLY == {"make brand-new", "scripts/new-thing.sh"}


@pytest.mark.parametrize("ref", REFS)
def test_every_named_task_exists_in_the_namespace(ref: str, tmp_path: Path) -> None:
    named = {task for entry in makefilemap.load(ref=ref) for task in entry.tasks}
    known = set(ns.task_names)
    if SHAPED_LIKE.get(ref):  # the tasks only a checkout with those targets has
        known |= set(build_namespace(shaped_sample(ref, tmp_path)).task_names)
    missing = sorted(named - known)
    assert not missing, f"tasks named in the {ref} map but not in the kstasks namespace: {missing}"


@pytest.mark.parametrize("ref", REFS)
def test_every_named_nox_session_has_a_body(ref: str) -> None:
    sessions = {entry.nox_session for entry in makefilemap.load(ref=ref) if entry.nox_session}
    template = (PROJECT / "kstasks" / "data" / "templates" / "noxfile.py").read_text()
    for session in sessions:
        assert callable(getattr(noxdocs, session.replace("-", "_"))), session
        assert f'name="{session}"' in template, f"the noxfile init writes has no {session} session"


def test_the_v0_24_0_list_names_the_docs_sessions() -> None:
    sessions = {entry.nox_session for entry in makefilemap.load() if entry.nox_session}
    assert sessions == {"serve-docs", "deploy-docs"}


@pytest.mark.parametrize("ref", REFS)
def test_retired_entries_give_a_reason(ref: str) -> None:
    for entry in makefilemap.load(ref=ref):
        assert entry.tasks or entry.nox_session or len(entry.retired) > 20, entry.label


def test_the_data_parses_each_form() -> None:
    entries = makefilemap.load(
        "targets:\n  a: build\n  b: 'nox: x'\n  c: 'retired: gone'\n"
        "  g: {task: build, note: '`b` | c'}\n  h: {nox: y, note: n}\n  i: {retired: old, note: more}\n"
        "scripts:\n  hack/d: [e, f]\n  hack/j: {task: [k, l]}\n"
    )
    assert [(e.label, e.tasks, e.nox_session, e.retired, e.note) for e in entries] == [
        ("make a", ("build",), "", "", ""),
        ("make b", (), "x", "", ""),
        ("make c", (), "", "gone", "gone"),
        ("make g", ("build",), "", "", "`b` | c"),
        ("make h", (), "y", "", "n"),
        ("make i", (), "", "old", "more"),
        ("hack/d", ("e", "f"), "", "", ""),
        ("hack/j", ("k", "l"), "", "", ""),
    ]


@pytest.mark.parametrize("value", ["{note: only}", "{task: a, nox: b}", "{task: a, notes: typo}"])
def test_the_data_refuses_a_malformed_entry(value: str) -> None:
    with pytest.raises(ValueError, match="one of task, nox or retired"):
        makefilemap.load(f"targets:\n  a: {value}\n")


def test_the_renderer_escapes_pipes_and_the_command_names_one_release() -> None:
    page = makefilemap.render("v9.9.9", "targets:\n  a: {task: build, note: 'x | y'}\n")
    assert page.startswith("# KubeStellar v9.9.9: ")
    assert "| `make a` | `build` | x \\| y |" in page.splitlines()
    assert makefilemap.main(["no-such-release"]) == 2


@pytest.mark.parametrize("ref", REFS)
@pytest.mark.parametrize("kind", ["targets", "scripts"])
def test_the_data_lists_whole_sections(ref: str, kind: str) -> None:
    """Each section is non-empty and has no duplicate (YAML would silently keep the last)."""
    text = (PROJECT / "kstasks" / "data" / makefilemap.map_file(ref)).read_text()
    section = text.split(f"\n{kind}:\n", 1)[1].split("\n\n", 1)[0]
    names = [
        line.split(":", 1)[0].strip()
        for line in section.splitlines()
        if line.startswith("  ") and not line.startswith("   ") and not line.strip().startswith("#")
    ]
    assert names and len(names) == len(set(names))
