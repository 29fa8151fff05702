"""Which Go toolchain builds each pinned tool, and runs the generators on a checkout.

No Makefile names the toolchain code-generator needs, and the Go on PATH is often too new to
build an old tool (its golang.org/x/tools does not compile) or too old to run the generators on
a checkout whose go.mod asks for a newer Go. So the toolchain is chosen, not configured:

- a tool is built with a Go at least its own go.mod's ``go`` line (read with
  ``go mod download -json``) and no newer than the library's table of known limits;
- code-generator (which type-checks the checkout when it runs) also needs a Go at least the
  checkout's go.mod ``go`` line;
- the Go on PATH is used when it fits (nothing to download); otherwise the oldest fitting
  toolchain among those the checkout names (go.mod, Makefile GOTOOLCHAIN lines) and a short
  list of known releases, fetched by ``GOTOOLCHAIN=goX.Y.Z`` through the module proxy.

An explicit setting (``kstasks.versions.<tool>_gotoolchain`` from any config, or a GOTOOLCHAIN
line in the checkout's Makefile) always wins.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from kstasks.core import errors, fsutil, runner
from kstasks.toolchain import golang

GoVersion = tuple[int, int, int]

_VERSION_RE = re.compile(r"^(?:go)?(\d+)\.(\d+)(?:\.(\d+))?$")
_SEMVER_RE = re.compile(r"^v(\d+)\.(\d+)\.(\d+)")


@dataclass(frozen=True)
class BuildLimit:
    """A range of a tool's versions that only builds with Go up to ``newest_go`` (major, minor)."""

    module: str
    first: tuple[int, int, int]
    last: tuple[int, int, int]
    newest_go: tuple[int, int]
    why: str


BUILD_LIMITS: tuple[BuildLimit, ...] = (
    BuildLimit(
        "sigs.k8s.io/controller-tools",
        (0, 0, 0),
        (0, 13, 99),
        (1, 21),
        "its golang.org/x/tools fails to compile with newer Go (tokeninternal: invalid array length); "
        "KubeStellar's Makefile builds it with go1.21.8",
    ),
    BuildLimit(
        "k8s.io/code-generator",
        (0, 29, 0),
        (0, 30, 99),
        (1, 24),
        "its golang.org/x/tools fails to compile with Go 1.26 (tokeninternal: invalid array length)",
    ),
)
"""Known needs, measured: Go 1.26 cannot build controller-tools v0.13.0 nor code-generator
v0.29.10-v0.30.14; go1.21.8 builds the former, go1.22.7-go1.24.1 the latter."""

KNOWN_TOOLCHAINS: tuple[str, ...] = ("go1.21.8", "go1.22.7", "go1.23.8", "go1.24.1", "go1.25.0")
"""Toolchains KubeStellar releases name (Makefiles and go.mod lines), tried when neither the Go
on PATH nor a toolchain the checkout names fits. Go before 1.21 cannot be fetched this way."""

GENERATORS_RUN_ON_TARGET = ("code-generator",)
"""Tools whose toolchain also runs them on the checkout (kube_codegen.sh builds and runs them
with the same GOTOOLCHAIN), so it must satisfy the checkout's go.mod."""

_TOOLCHAIN_PROBLEMS = (
    (
        re.compile(r"invalid array length -delta \* delta"),
        "its golang.org/x/tools does not compile with {go}",
    ),
    (re.compile(r"go\.mod requires go >= ?(\S+)"), "a go.mod asks for Go {0}, newer than {go}"),
    (re.compile(r"requires go >= ?(\S+) \(running go (\S+)"), "a module asks for Go {0}, but {go} ran"),
    (re.compile(r"download go\S+ for \S+: .*"), "the toolchain could not be downloaded"),
    (re.compile(r"toolchain not available"), "the toolchain is not available"),
    (
        re.compile(r"(could not import|unsupported version|export data).*(version|format)", re.IGNORECASE),
        "the tool cannot read what {go} compiled",
    ),
)


def parse(text: str) -> GoVersion | None:
    """``(1, 24, 1)`` from ``go1.24.1``, ``1.24.1`` or ``1.24`` (patch 0); None if not a Go version."""
    match = _VERSION_RE.match(text.strip())
    if not match:
        return None
    return int(match[1]), int(match[2]), int(match[3] or 0)


def name(version: GoVersion) -> str:
    """``go1.24.1`` for ``(1, 24, 1)`` (GOTOOLCHAIN's spelling)."""
    return f"go{version[0]}.{version[1]}.{version[2]}"


def build_limit(module: str, version: str) -> BuildLimit | None:
    """The known limit for building ``module`` at ``version``, if any."""
    match = _SEMVER_RE.match(version)
    if not match:
        return None
    semver = (int(match[1]), int(match[2]), int(match[3]))
    for limit in BUILD_LIMITS:
        if limit.module == module and limit.first <= semver <= limit.last:
            return limit
    return None


def module_go_directive(go: str, module: str, version: str, cache_dir: Path) -> GoVersion | None:
    """The ``go`` line of ``module@version``'s own go.mod (``go mod download -json``), remembered
    below ``cache_dir``: a released module version's go.mod never changes."""
    memo = cache_dir / "go-directives" / f"{module.replace('/', '!')}@{version}"
    try:
        remembered = memo.read_text().strip()
    except OSError:
        remembered = None
    if remembered is not None:
        return parse(remembered) if remembered else None
    cache_dir.mkdir(parents=True, exist_ok=True)
    result = runner.run(
        [go, "mod", "download", "-json", f"{module}@{version}"],
        cwd=cache_dir,
        env={"GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local"},
        capture=True,
        query=True,
        check=False,
        quiet=True,
    )
    try:
        go_mod = Path(json.loads(result.stdout)["GoMod"])
        text = go_mod.read_text()
    except (ValueError, KeyError, OSError):
        return None  # not remembered: offline, or no such version
    match = re.search(r"^go\s+(\S+)\s*$", text, re.MULTILINE)
    with contextlib.suppress(OSError):
        fsutil.write_if_changed(memo, (match[1] if match else "").encode() + b"\n")
    return parse(match[1]) if match else None


@dataclass(frozen=True)
class Need:
    """What Go a tool needs: at least ``oldest``, at most ``newest`` (major, minor) when known."""

    oldest: GoVersion
    newest: tuple[int, int] | None
    reasons: tuple[str, ...]

    def fits(self, version: GoVersion) -> bool:
        """Whether Go ``version`` meets this need."""
        return version >= self.oldest and (self.newest is None or version[:2] <= self.newest)

    def describe(self) -> str:
        """``>= go1.24.1, <= go1.24.x`` and why."""
        bounds = f">= {name(self.oldest)}" + (
            f", <= go{self.newest[0]}.{self.newest[1]}.x" if self.newest else ""
        )
        return f"{bounds} ({'; '.join(self.reasons)})" if self.reasons else bounds


def need(
    tool_module: str,
    tool_version: str,
    tool_go: GoVersion | None,
    target_go: GoVersion | None,
    *,
    runs_on_target: bool,
) -> Need:
    """The Go a tool needs to be built (and, for generators, run on the checkout)."""
    oldest: GoVersion = (1, 0, 0)
    reasons = []
    if tool_go:
        oldest = max(oldest, tool_go)
        reasons.append(f"{tool_module}@{tool_version} go.mod: go {'.'.join(map(str, tool_go))}")
    if runs_on_target and target_go:
        oldest = max(oldest, target_go)
        reasons.append(f"checkout go.mod: go {'.'.join(map(str, target_go))}")
    limit = build_limit(tool_module, tool_version)
    if limit:
        reasons.append(f"{limit.why}: newest Go that builds it go{limit.newest_go[0]}.{limit.newest_go[1]}")
    return Need(oldest, limit.newest_go if limit else None, tuple(reasons))


@dataclass(frozen=True)
class Choice:
    """A chosen toolchain: ``value`` for GOTOOLCHAIN (empty: the Go on PATH) and why."""

    value: str
    why: str


def choose(need_: Need, installed: GoVersion, hints: Iterable[str] = ()) -> Choice | None:
    """The Go on PATH if it fits, else the oldest fitting toolchain among ``hints`` and the known
    ones (Go 1.21 or newer, which GOTOOLCHAIN can fetch); None when none fits."""
    if need_.fits(installed):
        return Choice("", f"the Go on PATH ({name(installed)}) fits: {need_.describe()}")
    candidates = sorted(
        {
            version
            for version in (parse(text) for text in (*hints, *KNOWN_TOOLCHAINS))
            if version and version >= (1, 21, 0) and need_.fits(version)
        }
    )
    if not candidates:
        return None
    return Choice(name(candidates[0]), f"needs {need_.describe()}")


def hints_from(go_directive: str, go_toolchain: str, explicit: Mapping[str, str]) -> list[str]:
    """Toolchains the checkout names: go.mod's ``toolchain`` and full ``go`` lines, GOTOOLCHAIN pins."""
    found = [go_toolchain] if go_toolchain else []
    if go_directive.count(".") == 2:
        found.append(f"go{go_directive}")
    found.extend(value for value in explicit.values() if value)
    return found


def diagnose(error: errors.KstasksError, toolchain: str) -> str | None:
    """What toolchain problem ``error`` (a failed command) shows, or None if it shows none."""
    text = str(error.message or "")
    go = toolchain or "the Go on PATH"
    for pattern, explanation in _TOOLCHAIN_PROBLEMS:
        match = pattern.search(text)
        if match:
            return explanation.format(*match.groups(), go=go)
    return None


def explain(error: errors.KstasksError, toolchain: str, setting: str) -> errors.KstasksError:
    """``error`` again, its last line saying it is a toolchain problem when it is one."""
    problem = diagnose(error, toolchain)
    if problem is None:
        return error
    return errors.StepFailed(
        f"a Go toolchain problem, not a problem in your code: {problem} (GOTOOLCHAIN={toolchain or 'local'})",
        f"Set kstasks.versions.{setting} to a Go release that fits (e.g. go1.24.1), or remove the setting "
        "so kstasks chooses one.",
        context=error.context,
    )


def installed_go() -> GoVersion:
    """The version of the Go on PATH."""
    return golang.installed_go_version(golang.require_go())


@dataclass(frozen=True)
class ToolPin:
    """A tool whose build toolchain may be chosen: its name, module, version and setting key."""

    name: str
    module: str
    version: str
    setting: str


def choose_for(tool: ToolPin, *, target_go: str, hints: Iterable[str], cache_dir: Path) -> tuple[str, str]:
    """The toolchain to build ``tool`` with (empty: the Go on PATH) and why; exit 2 when none fits.

    ``target_go`` is the checkout's go.mod ``go`` line (code-generator must satisfy it), ``hints``
    the toolchains the checkout names (``hints_from``).
    """
    go = golang.require_go()
    installed = golang.installed_go_version(go)
    on_target = tool.name in GENERATORS_RUN_ON_TARGET
    tool_go = module_go_directive(go, tool.module, tool.version, cache_dir)
    tool_need = need(
        tool.module, tool.version, tool_go, parse(target_go) if target_go else None, runs_on_target=on_target
    )
    choice = choose(tool_need, installed, hints)
    if choice is None:
        raise errors.BadInput(
            f"no known Go toolchain can build {tool.name} {tool.version}"
            + (" and run it on this checkout" if on_target else "")
            + f": it needs {tool_need.describe()}",
            f"Set kstasks.versions.{tool.setting} to a Go release that fits (e.g. go1.24.1).",
        )
    return choice.value, f"chosen: {choice.why}"
