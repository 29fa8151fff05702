"""New values written into the references' literals (release-prepare's edits)."""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Mapping

from kstasks.core.semver import ReleaseVersion
from kstasks.release.graph.check import expected_v
from kstasks.release.graph.model import Graph, Occurrence
from kstasks.release.graph.scan import Scan


def render_value(occ: Occurrence, value: str) -> str:
    """``value`` written as the literal it replaces was written (same quotes)."""
    if occ.style in ("'", '"'):
        return f"{occ.style}{value}{occ.style}"
    return value


def release_edits(graph: Graph, found: Scan, version: ReleaseVersion) -> dict[str, str]:
    """New contents of every file release-prepare changes for ``version``."""
    wanted = ("release", "regular") if not version.is_prerelease else ("release",)
    by_file: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for occ in found.occurrences:
        if occ.spec.set not in wanted:
            continue
        literal = version.tag if expected_v(occ, graph) else version.text
        if occ.spec.form == "dashed":
            literal = literal.replace(".", "-")
        by_file[occ.file].append((occ.start, occ.end, render_value(occ, literal)))
    edits = {}
    for file, spans in by_file.items():
        text = found.texts[file]
        for start, end, new in sorted(spans, reverse=True):
            text = text[:start] + new + text[end:]
        if text != found.texts[file]:
            edits[file] = text
    return edits


def unified_diff(found: Scan, edits: Mapping[str, str]) -> str:
    """The edits as a unified diff."""
    return "".join(
        "".join(
            difflib.unified_diff(
                found.texts[file].splitlines(keepends=True),
                text.splitlines(keepends=True),
                fromfile=f"a/{file}",
                tofile=f"b/{file}",
            )
        )
        for file, text in sorted(edits.items())
    )
