"""The run's state: output level, dry run, the secrets to mask, pending preamble lines, the
process groups of running commands and the checkout locks it holds.

It lives in a context variable, not in module globals: the task guard opens a fresh
:class:`RunContext` for every task (:func:`running`) and drops it afterwards, so nothing leaks
from one run (or test) into the next. Threads started by :func:`kstasks.core.runner.parallel`
see their caller's context. Code that runs outside any task gets a default context of its own.
Imports only ``kstasks.core.errors``.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from kstasks.core.errors import BadInput

LEVELS = ("quiet", "normal", "verbose")


@dataclass
class RunContext:
    """What one run knows about itself."""

    dry: bool = False
    level: str = "normal"
    secrets: set[str] = field(default_factory=set)
    preamble: list[str] = field(default_factory=list)
    """Lines about the run (config, tools) still to be said before its first progress line."""
    children: set[int] = field(default_factory=set)
    """Process groups of the commands running now (stopped on Ctrl-C or SIGTERM)."""
    children_lock: threading.RLock = field(default_factory=threading.RLock)
    """Reentrant: the signal handler may run while the main thread holds it."""
    held_locks: dict[Path, int] = field(default_factory=dict)
    """Checkout locks this run holds: lock file -> how many nested holders."""
    guarded: bool = False
    """Whether a task's guard opened this run (a task called from within it shares it)."""

    @property
    def echo(self) -> bool:
        """Whether commands are echoed before they run (verbose, or dry-run)."""
        return self.level == "verbose" or self.dry

    @property
    def quiet(self) -> bool:
        """Whether progress is hidden."""
        return self.level == "quiet"

    @property
    def verbose(self) -> bool:
        """Whether every command and the tools' stderr are shown."""
        return self.level == "verbose"


_current: contextvars.ContextVar[RunContext] = contextvars.ContextVar("kstasks_run")


def current() -> RunContext:
    """The context of the run in progress (a default one outside any run)."""
    try:
        return _current.get()
    except LookupError:
        fresh = RunContext()
        _current.set(fresh)
        return fresh


@contextmanager
def running(*, dry: bool = False, level: str = "normal") -> Iterator[RunContext]:
    """Within: a fresh run context with these switches; the previous one afterwards."""
    _check_level(level)
    token = _current.set(RunContext(dry=dry, level=level))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise BadInput(f"unknown output level {level!r}", f"Use one of {', '.join(LEVELS)}.")


def configure(*, dry: bool | None = None, level: str | None = None) -> None:
    """Set dry-run and the output level of the run in progress."""
    run = current()
    if dry is not None:
        run.dry = dry
    if level is not None:
        _check_level(level)
        run.level = level


def dry_run() -> bool:
    """Whether this run only prints what it would do."""
    return current().dry


WHOLE_WORD_BELOW = 8
"""Secrets shorter than this are masked only as whole words (a one-letter secret must not
garble every word that holds the letter)."""


def _forms(secret: str) -> set[str]:
    """``secret`` as it may appear in a message: as is, and escaped as repr() or JSON write it."""
    forms = {secret, repr(secret)[1:-1], secret.encode("unicode_escape").decode("ascii")}
    with contextlib.suppress(ValueError):
        forms.add(json.dumps(secret)[1:-1])
    return {form for form in forms if form}


def redact(text: str) -> str:
    """``text`` with every secret of this run (and its escaped forms) replaced by ``***``."""
    forms = sorted({form for secret in current().secrets for form in _forms(secret)}, key=len, reverse=True)
    for form in forms:
        if len(form) >= WHOLE_WORD_BELOW:
            text = text.replace(form, "***")
        else:
            text = re.sub(rf"(?<![A-Za-z0-9_]){re.escape(form)}(?![A-Za-z0-9_])", "***", text)
    return text
