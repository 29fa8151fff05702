"""The Go toolchain: finding it, its version, and the port of hack/verify-go-versions.sh."""

from __future__ import annotations

import functools
import json
import re
import shutil
from pathlib import Path

from kstasks.core import errors, output, runner

MIN_GO_FOR_TOOLS = (1, 21)
"""Go that can switch toolchains (GOTOOLCHAIN) and read go.mod's toolchain lines."""

_GO_VERSION_RE = re.compile(r"\bgo(\d+)\.(\d+)(?:\.(\d+))?")
_GO_DIRECTIVE_RE = re.compile(r"^go\s+(\d+)\.(\d+)(?:\.(\d+))?\s*$", re.MULTILINE)


def go_binary() -> str:
    """The ``go`` command on PATH, or exit 2 saying what to install."""
    found = shutil.which("go")
    if not found:
        raise errors.BadInput(
            "go is not installed or not on PATH",
            "Install Go 1.21 or newer and put its bin directory on PATH.",
        )
    return found


def parse_go_version(text: str) -> tuple[int, int, int]:
    """``(1, 26, 8)`` from ``go version`` output such as ``go version go1.26.8 linux/amd64``."""
    match = _GO_VERSION_RE.search(text)
    if not match:
        raise errors.BadInput(f"cannot read a Go version from {text.strip()!r}", "Check your Go install.")
    return int(match[1]), int(match[2]), int(match[3] or 0)


@functools.lru_cache(maxsize=8)
def installed_go_version(go: str) -> tuple[int, int, int]:
    """The version of the ``go`` binary at ``go`` (asked once per process)."""
    result = runner.run([go, "version"], capture=True, query=True, what="go version")
    return parse_go_version(result.stdout)


def require_go(minimum: tuple[int, int] = MIN_GO_FOR_TOOLS) -> str:
    """The ``go`` binary, checked to be at least ``minimum``; exit 2 otherwise."""
    go = go_binary()
    have = installed_go_version(go)
    if have[:2] < minimum:
        raise errors.BadInput(
            f"Go {minimum[0]}.{minimum[1]} or newer is needed, found go{'.'.join(map(str, have))}",
            f"Install Go {minimum[0]}.{minimum[1]} or newer.",
        )
    return go


@functools.lru_cache(maxsize=8)
def go_env(go: str, *names: str) -> dict[str, str]:
    """Several ``go env`` values in one call (asked once per process for each set)."""
    result = runner.run([go, "env", "-json", *names], capture=True, query=True, what="go env")
    return json.loads(result.stdout)


def go_directive(go_mod: Path) -> tuple[int, int, int]:
    """The ``go`` directive of a go.mod file as a version tuple."""
    match = _GO_DIRECTIVE_RE.search(go_mod.read_text())
    if not match:
        raise errors.BadInput(f"{go_mod} has no 'go 1.N' line", "Add a go directive to go.mod.")
    return int(match[1]), int(match[2]), int(match[3] or 0)


def check_go_version(required: tuple[int, int, int], have: tuple[int, int, int]) -> str | None:
    """The Makefile's rule: same major, minor at least the go.mod minor. A message, or None if fine."""
    wanted = ".".join(map(str, required[:2]))
    found = ".".join(map(str, have))
    if have[0] != required[0]:
        return (
            f"Unexpected go version installed. expected go version major {required[0]}, while your "
            f"environment has version {found}."
        )
    if have[1] < required[1]:
        return (
            f"Unexpected go version installed. expected minimal version {wanted}, while your "
            f"environment has version {found}."
        )
    return None


def verify_go_versions(checkout: Path, *, ignore: bool) -> str:
    """Port of hack/verify-go-versions.sh: the installed Go must satisfy go.mod's go directive.

    The result line (empty when skipped); exit 1 when the Go on PATH does not satisfy it."""
    go = go_binary()
    if ignore:
        output.say("verify-go-versions: skipped (IGNORE_GO_VERSION is set)")
        return ""
    problem = check_go_version(go_directive(checkout / "go.mod"), installed_go_version(go))
    if problem:
        raise errors.CheckFailed(
            "the installed Go does not match go.mod",
            "Install a matching Go, or set IGNORE_GO_VERSION=1 to skip this check.",
            context=problem,
        )
    return "verify-go-versions: ok"


def verify_go_versions_first(checkout: Path, *, ignore: bool) -> None:
    """verify-go-versions as the first step of another task (imports, build): its verdict is that
    task's progress (stderr), not its result."""
    verdict = verify_go_versions(checkout, ignore=ignore)
    if verdict:
        output.say(verdict)
