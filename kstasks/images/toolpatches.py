"""The dependency patches of the checkout's ``hack/build-<tool>-image.sh``, read as data.

Since v0.28 those scripts patch vulnerable dependencies per tool version before building::

    case "$clusteradm_version" in
        (0.10.*) go get github.com/docker/docker@v25.0.12 ...; go mod tidy; go mod vendor ;;
    esac

Each clause becomes a :class:`Patch` (its patterns, matched as bash's ``case`` matches them,
and its commands as argument lists); the first clause whose pattern matches the version is run
in the cloned source, so the image holds what the script's build holds. Only ``go`` commands
are run (the scripts have no others); anything else is refused, naming it.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kstasks.core import errors, output, runner

_CASE_RE = re.compile(
    r"^\s*case\s+\"?\$\{?([A-Za-z_][A-Za-z0-9_]*_version)\}?\"?\s+in\b(.*?)^\s*esac\b",
    re.MULTILINE | re.DOTALL,
)
_CLAUSE_RE = re.compile(r"^\s*\(?\s*([^)\s][^)]*?)\s*\)(.*)$", re.DOTALL)


@dataclass(frozen=True)
class Patch:
    """One ``case`` clause: the versions it is for and what it runs."""

    patterns: tuple[str, ...]
    commands: tuple[tuple[str, ...], ...]
    source: str

    def matches(self, version: str) -> bool:
        """Whether ``version`` (without the v) matches a pattern, as bash's ``case`` does."""
        return any(fnmatch.fnmatchcase(version, pattern) for pattern in self.patterns)

    def describe(self) -> str:
        """``(0.10.*) go get ...; go mod tidy`` as one line."""
        commands = "; ".join(shlex.join(command) for command in self.commands)
        return f"({'|'.join(self.patterns)}) {commands}"


def script_path(root: Path, tool: str) -> Path:
    """``hack/build-<tool>-image.sh`` of the checkout at ``root``."""
    return root / "hack" / f"build-{tool}-image.sh"


def parse(text: str, source: str) -> list[Patch]:
    """The clauses of the script's ``case "$<tool>_version" in`` block, in order."""
    block = _CASE_RE.search(text)
    if block is None:
        return []
    body = re.sub(r"\\\n", " ", block[2])
    patches = []
    for clause in body.split(";;"):
        match = _CLAUSE_RE.match(clause)
        if match is None:
            continue
        patterns = tuple(part.strip().strip("\"'") for part in match[1].split("|") if part.strip())
        commands = []
        for line in re.split(r"[\n;]", match[2]):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            try:
                commands.append(tuple(shlex.split(line, comments=True)))
            except ValueError as err:
                raise errors.BadInput(f"cannot read {source}: {line!r} ({err})", "Fix its quoting.") from err
        patches.append(Patch(patterns, tuple(command for command in commands if command), source))
    return patches


def read(root: Path | None, tool: str) -> list[Patch]:
    """The patches of the checkout's build script for ``tool`` (none without a script)."""
    if root is None:
        return []
    path = script_path(root, tool)
    if not path.is_file():
        return []
    return parse(path.read_text(errors="replace"), f"hack/{path.name}")


def for_version(patches: Sequence[Patch], version: str) -> Patch | None:
    """The first patch whose pattern matches ``version`` (the v dropped, as the scripts do)."""
    bare = version.removeprefix("v")
    return next((patch for patch in patches if patch.matches(bare)), None)


def check(patch: Patch) -> None:
    """Exit 2 unless every command of ``patch`` is a ``go`` command (before any work)."""
    others = [shlex.join(command) for command in patch.commands if command[0] != "go"]
    if others:
        raise errors.BadInput(
            f"{patch.source} patches with commands kstasks does not run: {'; '.join(others)}",
            "Only go commands are applied; build this version with the script itself.",
        )


def apply(patch: Patch, workdir: Path, go: str) -> None:
    """Run the patch's commands in the cloned source ``workdir`` with ``go``."""
    check(patch)
    with output.step(f"patch dependencies as {patch.source} does for {'|'.join(patch.patterns)}"):
        for command in patch.commands:
            runner.run(
                [go, *command[1:]],
                cwd=workdir,
                what=shlex.join(command),
                todo=f"The patch of {patch.source} does not apply to this source.",
            )
