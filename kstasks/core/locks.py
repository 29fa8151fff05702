"""One writer per checkout: tasks that write a checkout take its lock, so two runs never interleave.

The lock is an ``flock`` on a file in kstasks' cache (``~/.cache/kstasks/locks``), named after
the checkout's real path -- outside the work tree, so it never shows in ``git status``. The
holder writes its pid and task into the file. A second run waits for the first to finish,
saying whom it waits for; after ``KSTASKS_LOCK_WAIT`` seconds (default 600; ``0`` = do not
wait) it gives up with exit code 2 naming the holder's pid. The lock dies with its holder,
even after SIGKILL. Taking the same checkout's lock again in the same process is allowed.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kstasks.core import context, errors, output, paths

DEFAULT_WAIT_SECONDS = 600.0
POLL_SECONDS = 0.2


def lock_file(root: Path) -> Path:
    """The lock file for the checkout at ``root`` (in the cache; TMPDIR when the cache is read-only)."""
    name = hashlib.sha256(os.fsencode(root.resolve())).hexdigest()[:24] + ".lock"
    for directory in (
        paths.cache_dir(paths.LOCKS),
        Path(tempfile.gettempdir()) / f"kstasks-locks-{os.getuid()}",
    ):
        try:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            if _private(directory):
                return directory / name
        except OSError:
            continue
    raise errors.EnvironmentUnusable(
        f"no writable place for the lock of {root} (kstasks' cache and TMPDIR are read-only)",
        "Make ~/.cache/kstasks (or XDG_CACHE_HOME) writable.",
    )


def _private(directory: Path) -> bool:
    """Whether ``directory`` is a real directory of ours that we can write (not another user's, in /tmp)."""
    info = os.lstat(directory)
    return (
        stat.S_ISDIR(info.st_mode)
        and info.st_uid == os.getuid()
        and not info.st_mode & stat.S_IWOTH
        and os.access(directory, os.W_OK)
    )


def wait_limit() -> float:
    """How long to wait for another run's lock: ``KSTASKS_LOCK_WAIT`` seconds, default 600."""
    text = os.environ.get("KSTASKS_LOCK_WAIT", "")
    try:
        return max(0.0, float(text)) if text.strip() else DEFAULT_WAIT_SECONDS
    except ValueError:
        raise errors.EnvironmentUnusable(
            f"KSTASKS_LOCK_WAIT={text[:40]!r} is not a number of seconds",
            "Set it to e.g. 600, or 0 not to wait.",
        ) from None


def holder(path: Path) -> str:
    """Who holds the lock at ``path``, as written by the holder (e.g. "all-generated (pid 123)")."""
    try:
        info = json.loads(path.read_text())
        return f"{info['what']} (pid {int(info['pid'])})"
    except (OSError, ValueError, KeyError, TypeError):
        return "another kstasks run"


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _acquire(fd: int, path: Path, root: Path, what: str, wait: float) -> None:
    """Lock ``fd`` now, or after the holder finishes; exit 2 naming the holder after ``wait`` seconds."""
    if _try_lock(fd):
        return
    who = holder(path)
    if wait > 0:
        output.say(f"{what}: waiting for {who} to finish writing {root}")
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        if _try_lock(fd):
            return
    raise errors.EnvironmentUnusable(
        f"{root} is being written by {holder(path)}",
        "Wait for that run to finish (or stop it), then run again; KSTASKS_LOCK_WAIT sets how long to wait.",
    )


@contextmanager
def checkout_lock(root: Path, what: str, *, wait: float | None = None) -> Iterator[None]:
    """Hold the writer lock of the checkout at ``root`` for ``what`` (a task name) within the block.

    Under dry-run nothing is written, so no lock is taken.
    """
    if context.dry_run():
        yield
        return
    path = lock_file(root)
    held = context.current().held_locks
    if path in held:
        held[path] += 1
        try:
            yield
        finally:
            held[path] -= 1
        return
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError as err:
        if err.errno != errno.ELOOP:
            raise
        raise errors.EnvironmentUnusable(
            f"the lock file {path} is a symbolic link (it is never followed)", "Remove it and run again."
        ) from err
    try:
        _acquire(fd, path, root, what, wait_limit() if wait is None else wait)
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "what": what, "root": str(root)}).encode(), 0)
        held[path] = 1
        try:
            yield
        finally:
            del held[path]
    finally:
        os.close(fd)
