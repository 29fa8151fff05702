"""verify-versions: references that disagree, are missing, or are undeclared."""

from __future__ import annotations

import fnmatch
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kstasks.core import errors, output
from kstasks.core.semver import try_parse
from kstasks.release.graph.model import Graph, Known, Occurrence, Problem
from kstasks.release.graph.rules import live, minor_key, numbers, rule_problems
from kstasks.release.graph.scan import Scan, by_place, line_of, tracked_files


def expected_v(occurrence: Occurrence, graph: Graph) -> bool:
    """Whether this literal should carry a ``v``."""
    spec = occurrence.spec
    return graph.artifacts[spec.artifact].v_prefix if spec.v_prefix is None else bool(spec.v_prefix)


def _normalised(occ: Occurrence, graph: Graph) -> object:
    """What references of a group must share: the version, or MAJOR.MINOR (``agree_on: minor``)."""
    artifact = graph.artifacts[occ.spec.artifact]
    if artifact.agree_on == "minor":
        return minor_key(occ.value)
    if artifact.loose or occ.spec.form == "dashed":
        return (numbers(occ.value), ())
    parsed = try_parse(occ.value)
    return (parsed.core, parsed.prerelease) if parsed else occ.value


def _valid(occ: Occurrence, graph: Graph) -> bool:
    if graph.artifacts[occ.spec.artifact].loose or occ.spec.form == "dashed":
        return numbers(occ.value) is not None
    return try_parse(occ.value) is not None


def _problem(file: str, line: int | None, rest: str) -> Problem:
    where = f"{file}:{line}" if line else file
    return Problem(f"{where}: {rest}", f"{file}: {rest}")


def _disagreement(group: str, members: list[Occurrence]) -> Problem:
    text = "; ".join(f"{occ.value} at {occ.file}:{occ.line}" for occ in members)
    by_value: dict[str, list[str]] = defaultdict(list)
    for occ in members:
        if occ.file not in by_value[occ.value]:
            by_value[occ.value].append(occ.file)
    key = "; ".join(f"{value} in {', '.join(files)}" for value, files in by_value.items())
    return Problem(f"references to {group} disagree: {text}", f"references to {group} disagree: {key}")


def problems(graph: Graph, root: Path, found: Scan, tracked: Iterable[str]) -> list[Problem]:
    """Everything wrong with the references, one sentence each (by file, then line)."""
    issues = [
        Problem(text, text)
        for text in (
            f"{spec.id} ({graph.artifacts[spec.artifact].name}): {why}" for spec, why in found.missing
        )
    ]
    occurrences = live(by_place(found.occurrences))
    for occ in occurrences:
        if not _valid(occ, graph):
            issues.append(
                _problem(occ.file, occ.line, f"{occ.value!r} is not a valid version ({occ.spec.id})")
            )
            continue
        has_v = occ.value[:1] in ("v", "V")
        loose = graph.artifacts[occ.spec.artifact].loose or occ.spec.form == "dashed"
        if not loose and has_v != expected_v(occ, graph):
            wanted = "a v" if expected_v(occ, graph) else "no v"
            issues.append(
                _problem(occ.file, occ.line, f"{occ.value!r} should carry {wanted} ({occ.spec.id})")
            )
    groups: dict[str, list[Occurrence]] = defaultdict(list)
    for occ in occurrences:
        if graph.artifacts[occ.spec.artifact].agree_on != "none":
            groups[occ.spec.group].append(occ)
    for group, members in groups.items():
        if len({_normalised(occ, graph) for occ in members}) > 1:
            issues.append(_disagreement(group, members))
    issues += rule_problems(graph, occurrences)
    issues += [
        _problem(file, line, f"undeclared reference to {artifact} ({value}); declare it in the graph file")
        for file, line, artifact, value in sorted(undeclared(graph, root, found, tracked))
    ]
    return issues


def _scanned(graph: Graph, path: str) -> bool:
    included = any(fnmatch.fnmatch(path, pattern) for pattern in graph.scan_include)
    return included and not any(fnmatch.fnmatch(path, pattern) for pattern in graph.scan_exclude)


def undeclared(
    graph: Graph, root: Path, found: Scan, tracked: Iterable[str]
) -> list[tuple[str, int, str, str]]:
    """Versioned mentions of declared artifacts that no reference covers."""
    covered: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for occ in found.occurrences:
        covered[occ.file].append((occ.start, occ.end))
    patterns = [
        (artifact.id, pattern)
        for artifact in graph.artifacts.values()
        if (pattern := artifact.mention_pattern()) is not None
    ]
    results = []
    for path in tracked:
        if not _scanned(graph, path) or any(fnmatch.fnmatch(path, glob) for glob in graph.historical):
            continue
        text = found.texts.get(path)
        if text is None:
            try:
                raw = (root / path).read_bytes()
            except OSError:
                continue
            if b"\0" in raw[:8192] or len(raw) > 2_000_000:
                continue
            text = raw.decode(errors="replace")
        for artifact_id, pattern in patterns:
            for match in pattern.finditer(text):
                start, end = match.span("version")
                if not any(s <= start and end <= e for s, e in covered.get(path, [])):
                    results.append((path, line_of(text, start), artifact_id, match["version"]))
    return results


@dataclass
class Verdict:
    """Problems split by the graph's known list."""

    new: list[Problem]
    known: list[tuple[Problem, Known]]
    gone: list[Known]
    changed: dict[str, Known]
    """New problems' keys -> the known entry each replaces (same subject, other values)."""


def _subject(key: str) -> str:
    return key.split(":", 1)[0]


def judge(graph: Graph, issues: list[Problem]) -> Verdict:
    """Which problems are new, which are known, and which known ones are gone or changed."""
    known = {entry.problem.strip(): entry for entry in graph.known}
    present = {issue.key for issue in issues}
    new = [issue for issue in issues if issue.key not in known]
    missing = [entry for key, entry in known.items() if key not in present]
    changed = {}
    for issue in new:
        previous = next((e for e in missing if _subject(e.problem) == _subject(issue.key)), None)
        if previous is not None:
            changed[issue.key] = previous
            missing.remove(previous)
    return Verdict(
        new=new,
        known=[(issue, known[issue.key]) for issue in issues if issue.key in known],
        gone=missing,
        changed=changed,
    )


def verify_versions(graph: Graph, root: Path, found: Scan) -> None:
    """Exit 1 naming each new problem; known ones are warnings, fixed known ones can go."""
    verdict = judge(graph, problems(graph, root, found, tracked_files(root)))
    for issue, entry in verdict.known:
        reason = entry.reason.strip() or "no reason given yet"
        output.warn(f"known version disagreement ({reason}): {issue.text}")
    for entry in verdict.gone:
        where = graph.file or graph.source
        output.warn(f"a known problem is gone; its entry in {where} can go: {entry.problem}")
    if verdict.new:
        raise errors.CheckFailed(
            f"{len(verdict.new)} version reference problem(s)",
            f"Fix the literals (or the graph, {graph.file}), then run verify-versions again."
            if graph.file
            else "Fix the literals, or record them in a graph of the checkout's own "
            "(`kstasks versions --discover`), then run verify-versions again.",
            context="\n".join(
                f"  - {issue.text}"
                + (
                    f" (it was known as: {verdict.changed[issue.key].problem})"
                    if issue.key in verdict.changed
                    else ""
                )
                for issue in verdict.new
            ),
        )
    apart = f", apart from {len(verdict.known)} known problem(s)" if verdict.known else ""
    count = f"{len(found.occurrences)} references to {len(graph.artifacts)} artifacts"
    output.say(f"verify-versions: {count} agree{apart}")


def with_findings(rows: list[dict[str, Any]], issues: Iterable[Problem]) -> list[dict[str, Any]]:
    """``versions --json`` rows, each with the problems (rule findings included) naming it."""
    texts = [issue.text for issue in issues]
    for row in rows:
        place = f"{row['file']}:{row['line']}" if row.get("line") else None
        row["findings"] = [
            text for text in texts if place and re.search(rf"(?<![\w/.-]){re.escape(place)}(?!\d)", text)
        ]
    return rows
