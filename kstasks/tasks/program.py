"""The ``kstasks`` command: the same tasks and options as ``invoke``, from any directory.

Beyond Invoke's core flags: ``-v/--verbose`` (echo every command and show the tools' stderr)
and ``-q/--quiet`` (only warnings, errors and results). An unknown task or flag is bad input
(exit 2, with the closest name suggested); output cut short (``kstasks --list | head``) ends
quietly; anything unforeseen is one line (see ``kstasks.tasks.guard``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from invoke import Argument, Program

from kstasks import __version__
from kstasks.core import errors
from kstasks.tasks import guard, ns
from kstasks.tasks.adopt import quiet_broken_pipe

CONFIG_NAMES = ("invoke.yaml", "invoke.yml", "invoke.json")
BROKEN_PIPE = 141
"""Exit code when the reader of stdout went away (128 + SIGPIPE, as the shell reports it)."""


def find_project_config(start: Path) -> Path | None:
    """The nearest directory at or above ``start`` holding an invoke.yaml (or .yml/.json)."""
    for directory in (start, *start.parents):
        if any((directory / name).is_file() for name in CONFIG_NAMES):
            return directory
    return None


class KstasksProgram(Program):
    """An Invoke program with the kstasks namespace built in, reading the nearest invoke.yaml."""

    def core_args(self) -> list[Argument]:
        """Invoke's core flags plus -v/--verbose and -q/--quiet."""
        return [
            *super().core_args(),
            Argument(
                names=("verbose", "v"), kind=bool, default=False, help="Echo every command and tool output."
            ),
            Argument(
                names=("quiet", "q"),
                kind=bool,
                default=False,
                help="Print only warnings, errors and results.",
            ),
        ]

    def parse_collection(self) -> None:
        """Use the built-in namespace, and load project config as ``invoke`` would."""
        super().parse_collection()
        project = find_project_config(Path.cwd())
        if project is not None:
            self.config.set_project_location(str(project))
            self.config.load_project()

    def update_config(self, merge: bool = True) -> None:
        """Invoke's flags, plus -v as --echo and -q as --hide=err (what the tasks read)."""
        super().update_config(merge=False)
        run = {}
        if self.args.verbose.value and self.args.quiet.value:
            raise errors.BadInput("-v/--verbose and -q/--quiet exclude each other", "Pass one of them.")
        if self.args.verbose.value:
            run["echo"] = True
        elif self.args.quiet.value:
            run["hide"] = "err"
        if run:
            self.config.load_overrides({"run": run}, merge=False)
        if merge:
            self.config.merge()


def help_first(argv: list[str], task_names: Iterable[str]) -> list[str]:
    """``TASK ... --help`` as ``--help TASK``, so that a task's positional argument (a release
    version) cannot swallow the flag."""
    names = set(task_names)
    for index, arg in enumerate(argv[1:], 1):
        if arg in names:
            rest = argv[index + 1 :]
            return [*argv[:index], "--help", arg] if ("--help" in rest or "-h" in rest) else argv
    return argv


OPTIONAL_POSITIONAL = {"release": "version"}
"""Tasks whose positional argument may be left out (``release --snapshot``); Invoke requires every
positional argument, so an empty one is supplied when none is given."""


def optional_positionals(argv: list[str], collection: Any) -> list[str]:
    """``release --snapshot`` as ``release '' --snapshot`` (see ``OPTIONAL_POSITIONAL``)."""
    names = set(collection.task_names)
    if "--help" in argv or "-h" in argv:
        return argv
    for index, arg in enumerate(argv[1:], 1):
        if arg not in OPTIONAL_POSITIONAL:
            continue
        valued = set()
        for argument in collection[arg].get_arguments():
            if argument.kind is not bool:
                valued |= {f"--{n.replace('_', '-')}" if len(n) > 1 else f"-{n}" for n in argument.names}
        rest, position = argv[index + 1 :], 0
        while position < len(rest) and rest[position] not in names:
            token = rest[position]
            if not token.startswith("-"):
                return argv
            position += 2 if token in valued else 1
        return [*argv[: index + 1], "", *rest]
    return argv


def main() -> None:
    """Console entry point."""
    try:
        sys.argv = optional_positionals(help_first(sys.argv, ns.task_names), ns)
        KstasksProgram(name="kstasks", binary="kstasks", namespace=ns, version=__version__).run()
        sys.stdout.flush()
    except BrokenPipeError:
        quiet_broken_pipe()
        sys.exit(BROKEN_PIPE)  # a task's output was cut short: not a success (--list alone ends with 0)
    except BaseException as error:
        converted = guard.as_exit(error)
        if converted is error:
            raise
        print(getattr(converted, "message", converted), file=sys.stderr)
        sys.exit(getattr(converted, "code", errors.FAILURE))
