"""``verify``: every check of KubeStellar's CI verify job in one run.

verify-go-versions, verify-boilerplate, verify-codegen, verify-imports, verify-modules and
verify-versions all run, even when one fails, on the committed content: the read-only checks
and the scratch copies of verify-imports and verify-modules share one isolated worktree of
HEAD; verify-codegen regenerates in a worktree of its own (it writes). Independent checks run
at once. Each is reported with its verdict: ok, FAILED (it found a problem) or error (the
environment stopped it). With a fingerprint, verify-codegen's steps, verify-imports (per file) and
verify-modules reuse the step cache (:mod:`kstasks.codegen.stepcache`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from kstasks.checks import boilerplate, derived, drift, verifycache
from kstasks.codegen.layout import ImportSettings, Layout
from kstasks.core import context, output, runner
from kstasks.core.errors import USAGE, CheckFailed, EnvironmentUnusable, KstasksError
from kstasks.core.report import Report
from kstasks.project import headers, worktrees
from kstasks.project.repo import Checkout
from kstasks.release.graph import select
from kstasks.toolchain import golang
from kstasks.toolchain.tools import Toolbox

ORDER = (
    "verify-go-versions",
    "verify-boilerplate",
    "verify-codegen",
    "verify-imports",
    "verify-modules",
    "verify-versions",
)
"""The checks, in the order the summary lists them."""
OK, FAILED, ERROR = "ok", "FAILED", "error"


@dataclass(frozen=True)
class Outcome:
    """One check's verdict, its report and how long it took."""

    name: str
    verdict: str
    message: str
    seconds: float
    result: str = ""
    """The check's own result line, when it has one (verify-codegen's, verify-go-versions')."""


Check = tuple[str, Callable[[], Any]]


def run_check(name: str, call: Callable[[], Any]) -> Outcome:
    """Run one check; its failure becomes its verdict instead of stopping the others."""
    started = time.monotonic()
    try:
        result = call()
    except KstasksError as stopped:
        code = stopped.code
        verdict = OK if code == 0 else ERROR if code == USAGE else FAILED
        return Outcome(name, verdict, str(stopped.message or ""), time.monotonic() - started)
    except Exception as crash:  # a defect must not hide the other checks' verdicts
        message = f"internal error: {type(crash).__name__}: {crash}"
        return Outcome(name, FAILED, message, time.monotonic() - started)
    return Outcome(name, OK, "", time.monotonic() - started, result if isinstance(result, str) else "")


def run_lanes(lanes: Sequence[Sequence[Check]]) -> list[Outcome]:
    """Run the lanes at once, the checks of each lane one after the other; outcomes in ``ORDER``."""

    def lane(checks_in_lane: Sequence[Check]) -> list[Outcome]:
        return [run_check(name, call) for name, call in checks_in_lane]

    outcomes = [
        outcome for result in runner.parallel(*(partial(lane, x) for x in lanes)) for outcome in result
    ]
    rank = {name: index for index, name in enumerate(ORDER)}
    return sorted(outcomes, key=lambda outcome: rank.get(outcome.name, len(ORDER)))


def summary(outcomes: Sequence[Outcome], what: str) -> str:
    """One line per check with its verdict and time."""
    lines = [f"verify: {what}"]
    lines += [f"  {o.name:<20} {o.verdict:<7} {o.seconds:6.1f}s" for o in outcomes]
    return "\n".join(lines)


def conclude(outcomes: Sequence[Outcome], what: str) -> Report:
    """Say every failing check's report; the checks' result lines and the summary, failing with
    exit 1 if a check failed, 2 if one could not run."""
    for outcome in outcomes:
        if outcome.verdict != OK:
            output.say(f"\n--- {outcome.name}: {outcome.verdict} ---\n{outcome.message.rstrip()}")
    report = Report([o.result for o in outcomes if o.result] + summary(outcomes, what).splitlines())
    failed = [o.name for o in outcomes if o.verdict == FAILED]
    unrun = [o.name for o in outcomes if o.verdict == ERROR]
    if failed:
        report.failure = CheckFailed(
            f"verify: {len(failed)} check(s) failed: {', '.join(failed)}", "See each report above."
        )
    elif unrun:
        report.failure = EnvironmentUnusable(
            f"verify: {len(unrun)} check(s) could not run: {', '.join(unrun)}", "See each report above."
        )
    return report


@dataclass(frozen=True)
class Suite:
    """What the checks need, resolved by the task layer."""

    checkout: Checkout
    layout: Layout
    toolbox: Toolbox
    imports: ImportSettings
    ignore_go_version: bool
    graph: str
    """The version-reference graph file (``kstasks.release.graph``)."""
    generate_all: derived.GenerateAll
    """all-generated with these settings, for verify-codegen's worktree."""
    program: str = "kstasks"
    boilerplate_dir: str = headers.BOILERPLATE_DIR
    fingerprint: verifycache.Fingerprint | None = None
    """How verify-codegen recognises a tree that passed before (None: always regenerate)."""


def lanes(suite: Suite, head: Checkout, what: str) -> list[list[Check]]:
    """The checks, grouped into lanes that run at once: verify-codegen (the long one, in its own
    worktree), verify-modules (go), and the quick Python checks on the shared worktree ``head``."""
    cache = verifycache.step_cache_of(suite.fingerprint)
    return [
        [
            (
                "verify-codegen",
                partial(
                    derived.verify_codegen,
                    suite.checkout,
                    suite.layout.verify_paths,
                    suite.generate_all,
                    fingerprint=suite.fingerprint,
                    layout=suite.layout,
                    fix_command=f"{suite.program} all-generated",
                ),
            )
        ],
        [
            (
                "verify-modules",
                partial(
                    drift.verify_modules,
                    head.root,
                    what=what,
                    fix_command=f"{suite.program} modules",
                    cache=cache,
                ),
            )
        ],
        [
            (
                "verify-go-versions",
                partial(golang.verify_go_versions, head.root, ignore=suite.ignore_go_version),
            ),
            (
                "verify-boilerplate",
                partial(boilerplate.verify_boilerplate, head.root, suite.boilerplate_dir, what=what),
            ),
            (
                "verify-imports",
                partial(
                    drift.verify_imports,
                    head.root,
                    head,
                    suite.imports,
                    suite.toolbox,
                    what=what,
                    fix_command=f"{suite.program} imports",
                    cache=cache,
                ),
            ),
            ("verify-versions", partial(select.verify_checkout, head.root, suite.graph)),
        ],
    ]


def verify_all(suite: Suite) -> Report:
    """Run every check on the committed content; the report :func:`conclude` makes."""
    if context.dry_run():
        return Report.of(f"verify: dry run: {', '.join(ORDER)} would run on the commit; nothing was checked")
    started = time.monotonic()
    with worktrees.committed(suite.checkout, "verify") as head:
        commit = suite.checkout.short_commit()
        what = f"commit {commit}"
        outcomes = run_lanes(lanes(suite, head, what))
    output.say(f"verify: {len(outcomes)} checks in {time.monotonic() - started:.1f}s")
    return conclude(outcomes, what)
