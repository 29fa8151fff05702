"""Ctrl-C and SIGTERM: every running command's process group is stopped before the interrupt
unwinds the caller's cleanup. The groups are the run context's (``kstasks.core.context``).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress

from kstasks.core.context import current

KILL_GRACE_SECONDS = 5.0
"""How long a stopped command's process group has to exit on SIGTERM before SIGKILL."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM: unwinds like KeyboardInterrupt, remembering which signal it was."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.detail = ""
        """What the interrupted work leaves behind, said on the one "interrupted" line."""

    @property
    def exit_code(self) -> int:
        """The shell's convention: 128 plus the signal number."""
        return 128 + self.signum


def signal_groups(groups: Iterable[int], signum: int) -> None:
    """Send ``signum`` to each process group (those already gone are skipped)."""
    for group in groups:
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signum)


def track(group: int) -> None:
    """Remember a running command's process group, so an interrupt stops it."""
    run = current()
    with run.children_lock:
        run.children.add(group)


def forget(group: int) -> None:
    """The command of ``group`` has ended."""
    run = current()
    with run.children_lock:
        run.children.discard(group)


def running_groups() -> set[int]:
    """The process groups of the commands running now."""
    run = current()
    with run.children_lock:
        return set(run.children)


def stop_children() -> None:
    """SIGTERM every running command's process group; SIGKILL the survivors after a grace period."""
    groups = running_groups()
    if not groups:
        return
    signal_groups(groups, signal.SIGTERM)
    run = current()

    def kill_survivors() -> None:
        with run.children_lock:
            survivors = groups & run.children
        signal_groups(survivors, signal.SIGKILL)

    timer = threading.Timer(KILL_GRACE_SECONDS, kill_survivors)
    timer.daemon = True
    timer.start()


def _on_signal(signum: int, _frame: object) -> None:
    stop_children()
    raise Interrupted(signum)


@contextmanager
def interruptible() -> Iterator[None]:
    """Within: Ctrl-C and SIGTERM stop running commands and raise :class:`Interrupted`.

    Outside the main thread (where Python cannot install handlers) this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    for signum in previous:
        signal.signal(signum, _on_signal)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
