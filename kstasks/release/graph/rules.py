"""Agreement beyond "same artifact, same value": versions compared loosely (``1.26`` is any
1.26.x), references that must share MAJOR.MINOR, and the declared rules between artifacts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from kstasks.release.graph.model import Graph, Occurrence, Problem, Rule

_NUMBERS_RE = re.compile(r"^[vV]?(\d+)(?:[.-](\d+))?(?:[.-](\d+))?")


def numbers(value: str) -> tuple[int, ...] | None:
    """The leading numbers of a version literal (``v1.29`` -> (1, 29); ``0-30-0`` -> (0, 30, 0))."""
    match = _NUMBERS_RE.match(value.strip())
    if not match:
        return None
    return tuple(int(part) for part in match.groups() if part is not None)


def compare(left: str, right: str) -> int | None:
    """-1, 0 or 1 as ``left`` is below, within or above ``right``; None if either is no version.

    Only the parts both write are compared: ``1.26`` and ``1.26.2`` are equal here (a toolchain
    written ``1.26`` is whatever 1.26.x is current).
    """
    a, b = numbers(left), numbers(right)
    if a is None or b is None:
        return None
    width = min(len(a), len(b))
    a, b = a[:width], b[:width]
    return (a > b) - (a < b)


def minor_key(value: str) -> tuple[int, ...] | None:
    """MAJOR.MINOR of a version literal."""
    parts = numbers(value)
    return parts[:2] if parts else None


def holds(rule: Rule, left: str, right: str) -> bool | None:
    """Whether ``left RELATION right`` holds; None if it cannot be judged."""
    if rule.relation == "k8s-minor":
        a, b = numbers(left), numbers(right)
        return None if not a or not b or len(a) < 2 or len(b) < 2 else a[1] == b[1]
    if rule.relation == "same-minor":
        a, b = minor_key(left), minor_key(right)
        return None if a is None or b is None else a == b
    order = compare(left, right)
    if order is None:
        return None
    return order == 0 if rule.relation == "eq" else order <= 0


_SYMBOL = {"eq": "=", "le": "<=", "same-minor": "same MAJOR.MINOR as", "k8s-minor": "same minor as"}


def live(occurrences: Iterable[Occurrence]) -> list[Occurrence]:
    """The occurrences that count for agreement: not historical, not floating."""
    return [occ for occ in occurrences if not occ.spec.historical and not occ.spec.unpinned]


def rule_problems(graph: Graph, occurrences: list[Occurrence]) -> list[Problem]:
    """One problem per broken rule, left end and right value, naming both ends.

    Ends in one agreement group are left to the group's own check (said once).
    """
    by_artifact: dict[str, list[Occurrence]] = {}
    for occ in live(occurrences):
        by_artifact.setdefault(occ.spec.artifact, []).append(occ)
    issues = []
    for rule in graph.rules:
        says = f" ({rule.says})" if rule.says else ""
        lefts: dict[tuple[object, str], Occurrence] = {}
        for occ in by_artifact.get(rule.left, []):
            lefts.setdefault((numbers(occ.value), occ.file), occ)
        for left in lefts.values():
            failing: dict[object, list[Occurrence]] = {}
            for right in by_artifact.get(rule.right, []):
                if right.spec.group == left.spec.group or holds(rule, left.value, right.value) is not False:
                    continue
                failing.setdefault(numbers(right.value), []).append(right)
            for rights in failing.values():
                files = list(dict.fromkeys(occ.file for occ in rights))
                places = list(dict.fromkeys(f"{occ.file}:{occ.line}" for occ in rights))
                head = f"{rule.left} {left.value} at {left.file}"
                tail = f"is not {_SYMBOL[rule.relation]} {rule.right} {rights[0].value} at"
                issues.append(
                    Problem(
                        f"rule {rule.id} broken{says}: {head}:{left.line} {tail} {', '.join(places)}",
                        f"rule {rule.id}: {head} {tail} {', '.join(files)}",
                    )
                )
    return issues


def related(graph: Graph, artifacts: Iterable[str]) -> list[Rule]:
    """The rules with an end among ``artifacts``."""
    wanted = set(artifacts)
    return [rule for rule in graph.rules if rule.left in wanted or rule.right in wanted]
