"""What a step found, returned to the task layer, which prints it once.

A :class:`Report` holds result lines (stdout: what a script reads) and, when the step found a
problem, the error that ends the run after the lines are shown. Library code never prints
results; it returns them. Imports only ``kstasks.core.errors``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kstasks.core.errors import KstasksError


@dataclass
class Report:
    """Result lines and, when something was found wrong, the error to end with."""

    lines: list[str] = field(default_factory=list)
    failure: KstasksError | None = None

    @classmethod
    def of(cls, *lines: str) -> Report:
        """A report of these lines, and no problem."""
        return cls(list(lines))

    @property
    def ok(self) -> bool:
        """Whether nothing was found wrong."""
        return self.failure is None

    def text(self) -> str:
        """The lines, one per line (empty when there are none)."""
        return "".join(f"{line}\n" for line in self.lines)
