"""``make lint``: the pinned linters, and hack/verify-contextual-logging.sh with its allow-list.

``logcheck -check-contextual ./...`` reports every non-contextual klog call. Its output, with the
checkout's path removed and the lines sorted (C order), is compared with ``hack/logcheck.out``
after deleting every digit from both (so moved lines do not count), as the script does;
``update`` writes the new list first.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from kstasks.core import context, errors, fsutil, runner
from kstasks.core.output import say, step
from kstasks.core.report import Report
from kstasks.project.repo import Checkout
from kstasks.toolchain.tools import Toolbox

ALLOW_LIST = "hack/logcheck.out"
LINTERS = ("golangci-lint", "staticcheck")
"""The linters ``make lint`` installs besides logcheck (v0.24.0 installs them but never runs them)."""
_DIGITS = re.compile(r"[0-9]")


def normalise_report(output: str, root: Path) -> str:
    """logcheck's output as the script keeps it: the checkout's path removed, lines sorted."""
    for prefix in sorted({str(root), str(root.resolve())}, key=len, reverse=True):
        output = output.replace(prefix, "")
    lines = sorted(output.splitlines(), key=lambda line: line.encode())
    return "".join(f"{line}\n" for line in lines)


def without_digits(text: str) -> list[str]:
    """The comparison form: every digit deleted (``sed 's/[0-9]*//g'``), then sorted.

    The script diffs in the order sorted *with* the digits, so a finding moving from line 9 to
    line 10 changes the order and fails; sorting after deleting them makes moves never count.
    """
    lines = _DIGITS.sub("", text).splitlines()
    return sorted((line for line in lines if line), key=lambda line: line.encode())


def contextual_logging_report(checkout: Checkout, logcheck: Path, env: dict[str, str]) -> str:
    """``logcheck -check-contextual ./...`` over the checkout, normalised (its exit code is ignored)."""
    result = runner.run(
        [logcheck, "-check-contextual", "./..."],
        cwd=checkout.root,
        env=env,
        capture=True,
        query=True,
        check=False,
    )
    return normalise_report(result.stdout + result.stderr, checkout.root)


@dataclass(frozen=True)
class LoggingVerdict:
    """The current report against the allow-list."""

    report: str
    allowed: str
    diff: list[str]

    @property
    def ok(self) -> bool:
        """Whether the report matches the allow-list (line and column numbers aside)."""
        return not self.diff


def compare(report: str, allowed: str) -> LoggingVerdict:
    """``report`` against ``allowed``, digits ignored; the diff names the differing lines."""
    current, saved = without_digits(report), without_digits(allowed)
    diff = (
        []
        if current == saved
        else list(difflib.unified_diff(saved, current, ALLOW_LIST, "logcheck now", lineterm="", n=0))
    )
    return LoggingVerdict(report, allowed, diff)


def verify_contextual_logging(
    checkout: Checkout, toolbox: Toolbox, *, update: bool = False, allow_list: str = ALLOW_LIST
) -> LoggingVerdict:
    """Run logcheck, compare with the allow-list (written first with ``update``); exit 1 on a mismatch."""
    logcheck = toolbox.binary("logcheck")
    with step("logcheck -check-contextual ./..."):
        report = contextual_logging_report(checkout, logcheck, toolbox.tool_env("logcheck"))
    target = checkout.path(allow_list)
    if update and not context.dry_run():
        target.parent.mkdir(parents=True, exist_ok=True)
        fsutil.write_if_changed(target, report.encode())
    allowed = target.read_text(encoding="utf-8", errors="replace") if target.is_file() else ""
    verdict = compare(report, allowed)
    if not verdict.ok and not context.dry_run():
        raise errors.CheckFailed(
            "current logging errors and saved logging errors do not match",
            f"If the new list is right, run 'update-contextual-logging' and commit {allow_list}.",
            context="\n".join(verdict.diff),
        )
    return verdict


def run_linter(checkout: Checkout, toolbox: Toolbox, name: str) -> bool:
    """Run linter ``name`` (golangci-lint with the checkout's config) over ``./...``; whether it passed."""
    args = {"golangci-lint": ["run", "./..."], "staticcheck": ["./..."]}[name]
    with step(f"{name} {' '.join(args)}"):
        result = runner.run(
            [toolbox.binary(name), *args], cwd=checkout.root, env=toolbox.tool_env(name), check=False
        )
    return result.returncode == 0


def run_lint(checkout: Checkout, toolbox: Toolbox, *, linters: tuple[str, ...] = ()) -> Report:
    """``make lint``: install golangci-lint, staticcheck and logcheck, run ``linters``, then the
    contextual logging check. Every check runs; the report names each verdict and fails (exit 1)
    if any failed."""
    toolbox.install_all([*LINTERS, "logcheck"])
    verdicts = {name: run_linter(checkout, toolbox, name) for name in linters}
    try:
        verify_contextual_logging(checkout, toolbox)
        verdicts["verify-contextual-logging"] = True
    except errors.KstasksError as failure:
        say(str(failure.message))
        verdicts["verify-contextual-logging"] = False
    report = Report([f"{name:28} {'ok' if ok else 'FAILED'}" for name, ok in verdicts.items()])
    failed = [name for name, ok in verdicts.items() if not ok]
    if failed:
        report.failure = errors.CheckFailed(
            f"lint failed: {', '.join(failed)}", "See each check's output above."
        )
    return report
