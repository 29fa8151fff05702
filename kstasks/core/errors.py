"""What goes wrong, as types. Each error carries its message, a hint (what to do) and context
(what led to it: a command and the last lines of its stderr, a report), and knows its exit code.
It is rendered once, at the top (``kstasks.tasks.guard``), where the run's secrets are masked.

- :class:`BadInput` (exit 2): a flag, setting, version or file the user gave is wrong;
- :class:`EnvironmentUnusable` (exit 2): the machine cannot do it (read-only or full disk, a tool
  missing, no Docker engine, a host that does not answer);
- :class:`CheckFailed` (exit 1): a check ran and found a problem;
- :class:`StepFailed` (exit 1): a step failed; :class:`CommandFailed` when it was a command;
- interrupts are :class:`kstasks.core.signals.Interrupted` (exit 130 / 143).

Imports nothing of kstasks.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import ClassVar

FAILURE = 1
"""Exit code for a check that found a problem or a step that failed."""
USAGE = 2
"""Exit code for bad input or an unusable environment, raised before any work starts."""
INTERRUPTED = 130
"""Exit code after Ctrl-C (128 + SIGINT); SIGTERM gives 143 (128 + SIGTERM)."""


class KstasksError(Exception):
    """Something kstasks reports to the user: what happened, what to do, and what led to it."""

    exit_code: ClassVar[int] = FAILURE

    def __init__(self, summary: str, hint: str = "", *, context: str = "") -> None:
        super().__init__(summary)
        self.summary = summary
        self.hint = hint
        self.context = context

    @property
    def code(self) -> int:
        """The exit code this error ends the run with."""
        return self.exit_code

    def render(self) -> str:
        """The text a user sees: the context first, then one line ``error: WHAT. HINT``."""
        line = f"error: {self.summary}. {self.hint}".rstrip()
        text = f"{self.context.rstrip()}\n{line}" if self.context.strip() else line
        return text

    @property
    def message(self) -> str:
        """The rendered text."""
        return self.render()

    def __str__(self) -> str:
        return self.render()

    def with_hint(self, more: str) -> KstasksError:
        """The same error, ``more`` said after its hint."""
        amended = copy.copy(self)
        amended.hint = f"{self.hint} {more}".strip()
        return amended


class BadInput(KstasksError):
    """A flag, setting, version or file the user gave is wrong (exit 2, before any work)."""

    exit_code = USAGE


class EnvironmentUnusable(KstasksError):
    """The machine cannot do it: disk, permissions, a missing tool or engine, an unreachable host."""

    exit_code = USAGE


class StepFailed(KstasksError):
    """A step of the task failed (exit 1)."""


class CheckFailed(KstasksError):
    """A check ran and found a problem (exit 1)."""


class CommandFailed(StepFailed):
    """An external command exited non-zero: the command, its exit code and its last stderr lines."""

    def __init__(
        self,
        summary: str,
        hint: str,
        *,
        command: str,
        returncode: int,
        stderr_tail: Sequence[str] = (),
    ) -> None:
        self.command = command
        self.returncode = returncode
        self.stderr_tail = list(stderr_tail)
        lines = [f"command failed with exit code {returncode}: {command}"]
        if self.stderr_tail:
            lines += ["--- last lines of its stderr ---", *self.stderr_tail]
        super().__init__(summary, hint, context="\n".join(lines))
