"""bump: set every live reference of an artifact (or of an upstream project's artifacts) to a new
version, writing only the values (quotes, ``v`` prefix, URL and file-name shape kept), and say
which related references now disagree (or bump them too).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kstasks.core import errors
from kstasks.release.graph.edit import render_value
from kstasks.release.graph.model import Graph, Occurrence, Problem
from kstasks.release.graph.rules import holds, live, numbers, rule_problems
from kstasks.release.graph.scan import Scan, scan

_BY_NAME_ONLY = ("go-module", "minimum")
"""Kinds a project's bump leaves alone: Go modules (``go get`` bumps them with go.sum) and
minimums (raising what users need is a decision of its own)."""


def targets(graph: Graph, name: str) -> tuple[list[str], list[str]]:
    """The artifacts ``name`` means (an artifact id or name, or a project: its artifacts but Go
    modules and minimums), and the project's artifacts left alone; exit 2 when it means none."""
    if name in graph.artifacts:
        return [name], []
    family = [key for key, a in graph.artifacts.items() if a.family == name]
    chosen = [key for key in family if graph.artifacts[key].kind not in _BY_NAME_ONLY]
    if chosen:
        return chosen, [key for key in family if key not in chosen]
    named = [key for key, a in graph.artifacts.items() if a.name == name]
    if named:
        return named, []
    choices = sorted({*graph.artifacts, *(a.family for a in graph.artifacts.values() if a.family)})
    raise errors.BadInput(
        f"bump: no artifact or project {name!r} in this checkout's version graph",
        f"Name one of: {', '.join(choices)}.",
    )


def literal(occ: Occurrence, version: str) -> str:
    """``version`` written as ``occ``'s literal writes versions (``v`` or not, dots or dashes)."""
    bare = version[1:] if version[:1] in ("v", "V") else version
    text = f"v{bare}" if occ.value[:1] in ("v", "V") else bare
    if occ.spec.form == "dashed":
        text = text.replace(".", "-")
    return render_value(occ, text)


@dataclass
class Bump:
    """What a bump changes: new file texts, the artifacts set, and what now disagrees."""

    edits: dict[str, str]
    artifacts: list[str]
    disagreements: list[Problem] = field(default_factory=list)
    left_alone: list[str] = field(default_factory=list)


def _apply(texts: dict[str, str], spans: dict[str, list[tuple[int, int, str]]]) -> dict[str, str]:
    edits = {}
    for file, changes in spans.items():
        text = texts[file]
        for start, end, new in sorted(set(changes), reverse=True):
            text = text[:start] + new + text[end:]
        if text != texts[file]:
            edits[file] = text
    return edits


def _spans(occurrences: list[Occurrence], wanted: dict[str, str]) -> dict[str, list[tuple[int, int, str]]]:
    spans: dict[str, list[tuple[int, int, str]]] = {}
    for occ in live(occurrences):
        if occ.spec.artifact in wanted:
            spans.setdefault(occ.file, []).append(
                (occ.start, occ.end, literal(occ, wanted[occ.spec.artifact]))
            )
    return spans


def _related_values(graph: Graph, found: Scan, bumped: dict[str, str]) -> dict[str, str]:
    """The other ends of eq / le rules (and agreement groups) that the bump breaks, with the
    version each should get (the new one)."""
    more: dict[str, str] = {}
    groups = {
        occ.spec.group: bumped[occ.spec.artifact] for occ in found.occurrences if occ.spec.artifact in bumped
    }
    for occ in live(found.occurrences):
        if occ.spec.group in groups and occ.spec.artifact not in bumped:
            more[occ.spec.artifact] = groups[occ.spec.group]
    for rule in graph.rules:
        if rule.relation not in ("eq", "le"):
            continue
        for bumped_end, other in ((rule.left, rule.right), (rule.right, rule.left)):
            if bumped_end not in bumped or other in bumped:
                continue
            version = bumped[bumped_end]
            left_right = (version, "{}") if bumped_end == rule.left else ("{}", version)
            for occ in live(found.occurrences):
                if occ.spec.artifact != other:
                    continue
                pair = [occ.value if part == "{}" else part for part in left_right]
                if holds(rule, pair[0], pair[1]) is False:
                    more[other] = version
    return more


def plan(graph: Graph, root: Path, name: str, version: str, *, with_related: bool = False) -> Bump:
    """The bump of ``name`` to ``version`` in the checkout at ``root`` (nothing written)."""
    if numbers(version) is None:
        raise errors.BadInput(f"bump: {version!r} is not a version", "Give one like 0.10.0, v0.10.0 or 1.26.")
    found = scan(graph, root)
    chosen, left_alone = targets(graph, name)
    wanted = dict.fromkeys(chosen, version)
    while with_related:  # until nothing more is tied to what is bumped
        more = _related_values(graph, found, wanted)
        if not more:
            break
        wanted.update(more)
    edits = _apply(found.texts, _spans(found.occurrences, wanted))
    after = scan(graph, root, texts={**found.texts, **edits})
    before = {issue.key for issue in rule_problems(graph, found.occurrences)}
    disagreements = [
        issue
        for issue in rule_problems(graph, after.occurrences)
        if issue.key not in before and any(f" {artifact} " in f" {issue.key} " for artifact in wanted)
    ]
    return Bump(edits, list(wanted), disagreements, left_alone)


def write(root: Path, bump: Bump) -> list[str]:
    """Write the bump's edits; the files written."""
    for file, text in sorted(bump.edits.items()):
        (root / file).write_text(text)
    return sorted(bump.edits)
