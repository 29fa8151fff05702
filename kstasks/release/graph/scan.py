"""Finding every declared reference in the checkout's files."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kstasks.core import runner
from kstasks.core.semver import try_parse
from kstasks.release.graph.model import PATH_PART_RE, Graph, Occurrence, ReferenceSpec


def line_of(text: str, index: int) -> int:
    """The 1-based line of ``text`` that holds offset ``index``."""
    return text.count("\n", 0, index) + 1


def _yaml_node(text: str, path: str) -> Any:
    """The composed YAML node at dotted ``path`` (``a.b[0].c``) of the first document, or None."""
    import yaml

    node = yaml.compose(text)
    for name, index in PATH_PART_RE.findall(path):
        if node is None:
            return None
        if name:
            if not isinstance(node, yaml.MappingNode):
                return None
            node = next((value for key, value in node.value if key.value == name), None)
        else:
            if not isinstance(node, yaml.SequenceNode) or int(index) >= len(node.value):
                return None
            node = node.value[int(index)]
    return node if isinstance(node, yaml.ScalarNode) else None


class Missing(Exception):
    """A declared reference could not be found."""


def find(spec: ReferenceSpec, root: Path, cache: dict[str, str]) -> list[Occurrence]:
    """The occurrences of ``spec`` in its file; raises Missing when there are none."""
    path = root / spec.file
    if spec.file not in cache:
        if not path.is_file():
            raise Missing(f"{spec.file} does not exist")
        cache[spec.file] = path.read_text()
    text = cache[spec.file]
    if spec.yaml_path:
        node = _yaml_node(text, spec.yaml_path)
        if node is None:
            raise Missing(f"{spec.file} has no scalar at {spec.yaml_path}")
        start, end = node.start_mark.index, node.end_mark.index
        return [
            Occurrence(spec, spec.file, line_of(text, start), start, end, str(node.value), node.style or "")
        ]
    found = [
        Occurrence(
            spec,
            spec.file,
            line_of(text, m.start("version")),
            m.start("version"),
            m.end("version"),
            m["version"],
        )
        for m in re.finditer(spec.pattern, text, re.MULTILINE)
    ]
    if not found:
        raise Missing(f"{spec.file} has no match for the pattern of {spec.id}")
    return found


@dataclass
class Scan:
    """Every declared reference found, and those that were not."""

    occurrences: list[Occurrence]
    missing: list[tuple[ReferenceSpec, str]]
    texts: dict[str, str]
    shadowed: list[str] = field(default_factory=list)
    """References found only where an earlier reference already is (each literal counts once)."""


def scan(graph: Graph, root: Path, *, texts: dict[str, str] | None = None) -> Scan:
    """Find every declared reference under ``root`` (``texts``: file contents to use instead of
    the files', e.g. edits not written yet)."""
    texts = dict(texts or {})
    occurrences, missing, shadowed = [], [], []
    seen: set[tuple[str, int, int]] = set()
    for spec in graph.references:
        try:
            found = find(spec, root, texts)
        except Missing as why:
            missing.append((spec, str(why)))
            continue
        fresh = [occ for occ in found if (occ.file, occ.start, occ.end) not in seen]
        seen.update((occ.file, occ.start, occ.end) for occ in fresh)
        occurrences += fresh
        if not fresh:
            shadowed.append(spec.id)
    return Scan(occurrences, missing, texts, shadowed)


def tracked_files(root: Path) -> list[str]:
    """Files git tracks below ``root`` (relative to it), or every file when git does not know it."""
    result = runner.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture=True,
        query=True,
        check=False,
        quiet=True,
    )
    if result.returncode == 0:
        return sorted(p for p in result.stdout.split("\0") if p)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and ".git" not in p.parts)


def table(graph: Graph, found: Scan) -> list[dict[str, Any]]:
    """One row a reference occurrence: artifact, where, value, and what release-prepare does."""
    rows = [
        {
            "artifact": graph.artifacts[occ.spec.artifact].name,
            "kind": graph.artifacts[occ.spec.artifact].kind,
            "reference": occ.spec.id,
            "file": occ.file,
            "line": occ.line,
            "value": occ.value,
            "channel": _channel(occ, graph),
            "set": occ.spec.set,
            "artifact_id": occ.spec.artifact,
            "historical": occ.spec.historical,
            "unpinned": occ.spec.unpinned,
        }
        for occ in by_place(found.occurrences)
    ]
    rows += [
        {
            "artifact": graph.artifacts[spec.artifact].name,
            "kind": graph.artifacts[spec.artifact].kind,
            "reference": spec.id,
            "file": spec.file,
            "line": None,
            "value": None,
            "channel": None,
            "set": spec.set,
            "artifact_id": spec.artifact,
            "historical": spec.historical,
            "unpinned": spec.unpinned,
            "missing": why,
        }
        for spec, why in sorted(found.missing, key=lambda missing: missing[0].file)
    ]
    return rows


def _channel(occ: Occurrence, graph: Graph) -> str:
    parsed = try_parse(occ.value)
    if parsed:
        return parsed.channel
    if occ.spec.unpinned:
        return "floating"
    loose = graph.artifacts[occ.spec.artifact].loose or occ.spec.form == "dashed"
    return "stable" if loose and occ.value.lstrip("vV")[:1].isdigit() else "invalid"


def format_table(rows: list[dict[str, Any]]) -> str:
    """``versions``' table: artifact, file:line, value, channel, what release-prepare does (and
    whether the reference is historical or unpinned)."""
    cells = [("ARTIFACT", "WHERE", "VALUE", "CHANNEL", "SET")] + [
        (
            str(row["artifact"]),
            f"{row['file']}:{row['line']}" if row["line"] else f"{row['file']} (missing)",
            str(row["value"] or "-"),
            str(row["channel"] or "-"),
            " ".join([str(row["set"])] + [flag for flag in ("historical", "unpinned") if row.get(flag)]),
        )
        for row in rows
    ]
    widths = [max(len(line[column]) for line in cells) for column in range(4)]
    return "\n".join(
        " ".join(cell.ljust(width) for cell, width in zip(line[:4], widths, strict=True)) + " " + line[4]
        for line in cells
    )


def by_place(occurrences: Iterable[Occurrence]) -> list[Occurrence]:
    """``occurrences`` in file, line and column order."""
    return sorted(occurrences, key=lambda occ: (occ.file, occ.line, occ.start))
