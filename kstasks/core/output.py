"""What the user sees: progress and warnings on stderr by output level, with the run's secrets
masked. Results go to stdout, and only from the task layer.

Levels (``kstasks.core.context``): ``quiet`` shows warnings, errors and results; ``normal`` adds
one line per step with its duration; ``verbose`` adds every command and the tools' stderr.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from kstasks.core.context import current, redact

__all__ = [
    "add_secret",
    "detail",
    "drop_preamble",
    "flush_preamble",
    "redact",
    "say",
    "set_preamble",
    "step",
    "to_stderr",
    "warn",
]


def add_secret(value: str | None) -> None:
    """Never print ``value``: it is masked in echoed commands and error messages."""
    if value:
        current().secrets.add(value)


_STDERR = threading.RLock()
"""One writer at a time: lines from threads running at once (``runner.parallel``) never splice,
and the preamble is said once."""


def to_stderr(text: str) -> None:
    """Write ``text`` (secrets masked) to stderr in one piece."""
    with _STDERR:
        sys.stderr.write(redact(text))
        sys.stderr.flush()


def _print(text: str) -> None:
    to_stderr(f"{text}\n")


def say(message: str) -> None:
    """Progress output (stderr, so stdout stays machine-readable); hidden when quiet."""
    flush_preamble()
    if not current().quiet:
        _print(message)


def set_preamble(lines: Sequence[str]) -> None:
    """Say ``lines`` (what the run uses) before its first progress, warning or command: bad input
    found before any work is then still the only line a user sees."""
    current().preamble = list(lines)


def flush_preamble() -> None:
    """Say the pending preamble now (once)."""
    run = current()
    with _STDERR:
        lines, run.preamble = run.preamble, []
        if not run.quiet:
            for line in lines:
                _print(line)


def drop_preamble() -> None:
    """Forget the pending preamble (the run stopped on bad input before any work)."""
    current().preamble = []


def detail(message: str) -> None:
    """Progress shown only in verbose mode (what each step does inside)."""
    if current().verbose:
        _print(message)


def warn(message: str) -> None:
    """A warning on stderr, shown at every output level."""
    flush_preamble()
    _print(f"warning: {message}")


@contextmanager
def step(title: str) -> Iterator[None]:
    """One line for a step: its result and duration (the start line too in verbose mode).

    An interrupt prints nothing here: the one "interrupted" line comes from the top level.
    """
    detail(f"==> {title}")
    started = time.monotonic()
    try:
        yield
    except KeyboardInterrupt:
        raise
    except BaseException:
        say(f"==> {title}: failed after {time.monotonic() - started:.1f}s")
        raise
    if current().dry:
        say(f"==> {title}: dry run, nothing done")
    else:
        say(f"==> {title}: done in {time.monotonic() - started:.1f}s")
