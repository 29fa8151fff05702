"""The results table in README.md, rendered from the benchmark's results file.

``python3 bench/run.py --write-readme`` replaces what stands between the two marker comments
(``<!-- bench:start -->`` and ``<!-- bench:end -->``) with a table of the main cases from
``bench/results/latest.json``; the rest of README.md is left as it is, and rewriting from the
same results changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

START = "<!-- bench:start -->"
END = "<!-- bench:end -->"

SAMPLE = "sample"
TARGETS = "verify targets (boilerplate, codegen, go-versions, imports, modules)"
TARGETS_CACHED = "verify targets, commit verified before"
MAIN_CASES = (
    "all-generated",
    "all-generated (rerun, nothing changed)",
    "verify-codegen vs in-place regeneration",
    "verify (every CI verify check)",
    "verify, commit verified before",
    TARGETS,
    TARGETS_CACHED,
    "chart",
)
"""The cases the README shows, in this order (per checkout: the sample, its variants, then real
checkouts by name)."""

CASE_LABELS = {
    "all-generated": "`all-generated --force`",
    "all-generated (rerun, nothing changed)": "`all-generated`, nothing changed",
    "verify-codegen vs in-place regeneration": "`verify-codegen` vs regenerating in place",
    "verify (every CI verify check)": "`verify`",
    "verify, commit verified before": "`verify`, commit verified before",
    TARGETS: "the five `verify-*` of the baseline",
    TARGETS_CACHED: "the five `verify-*`, verified before",
    "chart": "`chart`",
}


def checkout_order(name: str) -> tuple[int, str]:
    """The sample first, then its variants, then real checkouts, each by name."""
    if name == SAMPLE:
        return (0, name)
    return (1, name) if name.startswith(SAMPLE) else (2, name)


def main_rows(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The rows the README shows (main cases with a baseline), in README order."""
    chosen = [row for row in rows if row.get("task") in MAIN_CASES and row.get("baseline_median_s")]
    return sorted(
        chosen,
        key=lambda row: (checkout_order(str(row.get("checkout", SAMPLE))), MAIN_CASES.index(row["task"])),
    )


def seconds(value: float) -> str:
    """A median as the table shows it."""
    return f"{value:.1f} s" if value >= 1 else f"{value:.2f} s"


def table_line(row: Mapping[str, Any], cores: object) -> str:
    """One row of the table."""
    case = CASE_LABELS.get(row["task"], row["task"])
    checkout = row.get("checkout", SAMPLE)
    return (
        f"| {case} | {checkout} | {seconds(row['baseline_median_s'])} | {seconds(row['kstasks_median_s'])} "
        f"| {row['ratio']:.2f} | {row['runs']} | {row.get('cores', cores)} |"
    )


def render(results: Mapping[str, Any]) -> str:
    """The block, markers included, for ``results`` (the contents of latest.json)."""
    rows = main_rows(results.get("rows", []))
    lines = [
        START,
        "Medians after one warm-up; the baseline is the checkout's Makefile commands (for `verify-codegen`:",
        "regenerating in place); ratio = kstasks / baseline, below 1 is faster. Written by",
        "`python3 bench/run.py --write-readme` ([Benchmark](docs/performance.md#benchmark)):",
        "",
        "| case | checkout | baseline | kstasks | ratio | runs | cores |",
        "|---|---|---|---|---|---|---|",
        *(table_line(row, results.get("cores", "?")) for row in rows),
    ]
    if not rows:
        lines.append("| (no results yet) | | | | | | |")
    lines.append(END)
    return "\n".join(lines)


def rewrite(text: str, block: str) -> str:
    """``text`` with what stands between the markers (included) replaced by ``block``."""
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"README has no {START} ... {END} block")
    return text[:start] + block + text[end + len(END) :]


def write_readme(readme: Path, results: Mapping[str, Any]) -> bool:
    """Rewrite ``readme``'s block from ``results``; whether the file changed."""
    text = readme.read_text()
    updated = rewrite(text, render(results))
    if updated == text:
        return False
    readme.write_text(updated)
    return True
