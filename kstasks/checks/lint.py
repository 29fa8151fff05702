"""``make lint``: the pinned linters, and hack/verify-contextual-logging.sh with its allow-list.

Which golangci-lint runs follows the checkout: its config's format (``version: "2"`` means
golangci-lint v2) and the pins of its Makefile (GOLANGCI_LINT_VER) and lint workflow; the pin
that reads the config wins and a pin that disagrees is a warning (:func:`choose_golangci`).
Which logcheck runs follows its go.mod: the v0.24-era pin built with go1.21.8 cannot load a
module that asks for a newer Go, so such a checkout gets a current logcheck run with its own Go.

``logcheck -check-contextual ./...`` reports every non-contextual klog call. Its output, with the
checkout's path removed and the lines sorted (C order), is compared with ``hack/logcheck.out``
after deleting every digit from both (so moved lines do not count), as the script does;
``update`` writes the new list first.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

from kstasks.core import context, errors, fsutil, runner
from kstasks.core.output import say, step, warn
from kstasks.core.report import Report
from kstasks.project import pins
from kstasks.project.repo import Checkout
from kstasks.toolchain.tools import TOOLS, Toolbox

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
    checkout: Checkout,
    toolbox: Toolbox,
    *,
    update: bool = False,
    allow_list: str = ALLOW_LIST,
    logcheck: str = "",
) -> LoggingVerdict:
    """Run logcheck, compare with the allow-list (written first with ``update``); exit 1 on a mismatch."""
    tool = logcheck or logcheck_tool(checkout, toolbox)
    binary = toolbox.binary(tool)
    if tool != "logcheck":
        say(
            f"logcheck {toolbox.version_of(tool)}: go.mod asks for a newer Go than logcheck "
            f"{toolbox.version_of('logcheck')} with {toolbox.toolchain_of('logcheck')} can load; "
            "run with the checkout's own Go"
        )
    with step("logcheck -check-contextual ./..."):
        report = contextual_logging_report(checkout, binary, toolbox.tool_env(tool))
    target = checkout.path(allow_list)
    if update and not context.dry_run():
        target.parent.mkdir(parents=True, exist_ok=True)
        fsutil.write_if_changed(target, report.encode())
    allowed = target.read_text(encoding="utf-8", errors="replace") if target.is_file() else ""
    if "command not found" in allowed:
        warn(
            f"{allow_list} holds a shell error, not logcheck findings: "
            "it was saved by a run that had no logcheck"
        )
    verdict = compare(report, allowed)
    if not verdict.ok and not context.dry_run():
        raise errors.CheckFailed(
            "current logging errors and saved logging errors do not match",
            f"If the new list is right, run 'update-contextual-logging' and commit {allow_list}.",
            context="\n".join(verdict.diff),
        )
    return verdict


CONFIG_NAMES = (".golangci.yaml", ".golangci.yml", ".golangci.toml", ".golangci.json")
_V2_CONFIG_RE = re.compile(r"""^\s*"?version"?\s*[:=]\s*["']?2["']?\s*,?\s*$""", re.MULTILINE)
_PIN_RE = re.compile(r"\bv(\d+)\.(\d+)\.(\d+)\b")
_WORKFLOW_INSTALL_RE = re.compile(r"golangci[-/]golangci-lint\S*(?:install\.sh|@)")
_ACTION_RE = re.compile(r"uses:\s*golangci/golangci-lint-action")
_ACTION_VERSION_RE = re.compile(r"^\s*version:\s*[\"']?(v\d+\.\d+\.\d+)", re.MULTILINE)
V2_TOOL = "golangci-lint-v2"


@dataclass(frozen=True)
class GolangciChoice:
    """Which golangci-lint runs on a checkout, and why."""

    tool: str
    """``golangci-lint`` (v1) or ``golangci-lint-v2``."""
    version: str
    config: str
    """The config file (relative), empty when the checkout has none."""
    config_major: int
    why: str
    pins: dict[str, str] = field(default_factory=dict)
    """Every pin found: where -> version."""
    disagreement: str = ""

    def args(self) -> list[str]:
        """``run [--config=FILE] ./...``."""
        return ["run", *([f"--config={self.config}"] if self.config else []), "./..."]


def golangci_config(root: Path) -> tuple[str, int]:
    """The checkout's golangci-lint config and the major version its format is for (1 or 2)."""
    for name in CONFIG_NAMES:
        if (root / name).is_file():
            text = (root / name).read_text(errors="replace")
            return name, 2 if _V2_CONFIG_RE.search(text) else 1
    return "", 1


def workflow_pins(root: Path) -> dict[str, str]:
    """The golangci-lint versions the checkout's workflows install (install script, go install or
    golangci-lint-action's ``version:``), by workflow file."""
    found: dict[str, str] = {}
    directory = root / ".github" / "workflows"
    for path in sorted(directory.glob("*.y*ml")) if directory.is_dir() else []:
        text = path.read_text(errors="replace")
        where = path.relative_to(root).as_posix()
        for line in text.splitlines():
            pin = _PIN_RE.search(line) if _WORKFLOW_INSTALL_RE.search(line) else None
            if pin:
                found.setdefault(where, pin[0])
        action = _ACTION_RE.search(text)
        version = _ACTION_VERSION_RE.search(text, action.end()) if action else None
        if version:
            found.setdefault(where, version[1])
    return found


def makefile_pin(root: Path) -> str:
    """The Makefile's GOLANGCI_LINT_VER (empty without one)."""
    makefile = root / "Makefile"
    if not makefile.is_file():
        return ""
    variables = pins.makefile_variables(makefile.read_text(errors="replace"))
    return pins.expand(variables.get("GOLANGCI_LINT_VER", ""), variables)


def _major(version: str) -> int:
    match = _PIN_RE.search(version)
    return int(match[1]) if match else 0


def choose_golangci(root: Path, defaults: dict[str, str]) -> GolangciChoice:
    """The golangci-lint that reads the checkout's config: the first pin (Makefile, then
    workflows) of the config's major version, else kstasks' default for it; pins that say
    otherwise are named in ``disagreement``."""
    config, major = golangci_config(root)
    found: dict[str, str] = {}
    if makefile_pin(root):
        found["the Makefile (GOLANGCI_LINT_VER)"] = makefile_pin(root)
    found.update({f"the workflow {where}": version for where, version in workflow_pins(root).items()})
    fitting = [(where, version) for where, version in found.items() if _major(version) == major]
    tool = V2_TOOL if major == 2 else "golangci-lint"
    format_word = (
        f'{config} is in the version "2" format' if major == 2 else f"{config or 'no config'} (v1 format)"
    )
    if fitting:
        where, version = fitting[0]
        why = f"{format_word}; {where} pins {version}"
    else:
        version = defaults["golangci_lint_v2" if major == 2 else "golangci_lint"]
        why = f"{format_word}; no pin of the checkout is a v{major}, so kstasks' default {version}"
    others = [f"{where} pins {pin}" for where, pin in found.items() if pin != version]
    disagreement = ""
    if others:
        disagreement = (
            f"golangci-lint version disagreement: {'; '.join(others)}, but {why.split(';')[0]}: "
            f"running {version}"
        )
    return GolangciChoice(tool, version, config, major, why, found, disagreement)


def run_golangci(checkout: Checkout, toolbox: Toolbox, choice: GolangciChoice) -> bool:
    """golangci-lint as chosen, over ``./...``; its own output is shown when it fails."""
    if choice.disagreement:
        warn(choice.disagreement)
    say(f"golangci-lint {choice.version}: {choice.why}")
    args = choice.args()
    with step(f"golangci-lint {' '.join(args)}"):
        result = runner.run(
            [toolbox.binary(choice.tool), *args],
            cwd=checkout.root,
            env=toolbox.tool_env(choice.tool),
            capture=True,
            check=False,
        )
    if result.returncode != 0:
        said = (result.stdout + result.stderr).strip()
        say(said or f"golangci-lint exited with {result.returncode} and said nothing")
    return result.returncode == 0


def run_linter(checkout: Checkout, toolbox: Toolbox, name: str) -> bool:
    """Run linter ``name`` over ``./...``; whether it passed (its output shown when it fails)."""
    if name == "golangci-lint":
        choice = choose_golangci(checkout.root, toolbox.versions)
        toolbox.versions[TOOLS[choice.tool].version_key] = choice.version
        return run_golangci(checkout, toolbox, choice)
    args = ["./..."]
    with step(f"{name} {' '.join(args)}"):
        result = runner.run(
            [toolbox.binary(name), *args],
            cwd=checkout.root,
            env=toolbox.tool_env(name),
            capture=True,
            check=False,
        )
    if result.returncode != 0:
        say((result.stdout + result.stderr).strip())
    return result.returncode == 0


def logcheck_tool(checkout: Checkout, toolbox: Toolbox) -> str:
    """``logcheck`` (the pin, built and run with lint_gotoolchain) when that Go can load the
    checkout, else ``logcheck-current``: go.mod's ``go`` line above the lint toolchain makes
    ``go list`` refuse the module (GOTOOLCHAIN too old) and the old type checker reject its code."""
    go_mod = checkout.path("go.mod")
    directive = ""
    if go_mod.is_file():
        found = pins.Discovery()
        pins.read_go_mod(go_mod.read_text(errors="replace"), found)
        directive = found.go_directive
    toolchain = toolbox.toolchain_of("logcheck")
    if directive and toolchain and _go_tuple(directive) > _go_tuple(toolchain):
        return "logcheck-current"
    return "logcheck"


def _go_tuple(version: str) -> tuple[int, ...]:
    numbers = re.findall(r"\d+", version)
    return tuple(int(n) for n in numbers[:3]) + (0,) * (3 - len(numbers[:3]))


def run_lint(checkout: Checkout, toolbox: Toolbox, *, linters: tuple[str, ...] = ()) -> Report:
    """``make lint``: install the linters, run ``linters``, then the contextual logging check.
    Every check runs; the report names each verdict and fails (exit 1) if any failed."""
    choice = choose_golangci(checkout.root, toolbox.versions)
    toolbox.versions[TOOLS[choice.tool].version_key] = choice.version
    logcheck = logcheck_tool(checkout, toolbox)
    toolbox.install_all([choice.tool, "staticcheck", logcheck])
    verdicts = {name: run_linter(checkout, toolbox, name) for name in linters}
    try:
        verify_contextual_logging(checkout, toolbox, logcheck=logcheck)
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
