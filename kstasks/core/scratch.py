"""kstasks' own temporary directories: private, removed on every exit path, swept after a crash.

``with directory("verify") as path:`` makes a 0700 directory holding a marker file that the
owner keeps locked (``flock``) for its lifetime; the directory is removed when the block ends,
however it ends (an exception, Ctrl-C, SIGTERM). A run killed with SIGKILL cannot clean up, so
:func:`sweep` (called once when a task starts) removes every marked directory whose marker
nobody holds any more -- and prunes the git worktrees that lived in it. Unmarked directories,
and directories of runs still alive, are never touched.

Each directory is also listed in the cache (``~/.cache/kstasks/scratch``), so one made inside
a checkout (the swap of a generated tree) is found by the sweep too. Those hold a
``.gitignore`` of ``*``, so ``git add -A`` never commits one.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO

from kstasks.core import errors, output, paths, runner

PREFIX = "kstasks-"
MARKER = ".kstasks-scratch"
"""The file an owner keeps locked; its content says who made the directory."""


def ledger_dir() -> Path:
    """Where the scratch directories of live runs are listed (``$XDG_CACHE_HOME/kstasks/scratch``)."""
    return paths.cache_dir(paths.SCRATCH)


def _claim(path: Path) -> IO[str]:
    """Put a locked marker into ``path``; the lock lasts while the returned handle is open.

    The marker is locked before it gets its name, so a sweep never sees it unlocked.
    """
    fd, temp = tempfile.mkstemp(prefix=".claim-", dir=path)
    handle = os.fdopen(fd, "w")
    fcntl.flock(fd, fcntl.LOCK_EX)
    json.dump({"pid": os.getpid(), "created": time.time()}, handle)
    handle.flush()
    os.replace(temp, path / MARKER)
    return handle


def _ledger_entry(path: Path) -> Path:
    return ledger_dir() / (hashlib.sha256(os.fsencode(path)).hexdigest()[:24] + ".path")


def _list(path: Path) -> Path | None:
    """Record ``path`` in the ledger; None where the cache cannot be written (the sweep of TMPDIR remains)."""
    entry = _ledger_entry(path)
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        entry.write_text(str(path) + "\n")
    except OSError:
        return None
    return entry


@contextmanager
def directory(prefix: str, *, parent: Path | None = None) -> Iterator[Path]:
    """A private (0700) directory named after ``prefix``, removed when the block ends.

    Made in TMPDIR, or hidden in ``parent`` when given (for a rename on the same file system).
    """
    name = f"{PREFIX}{prefix}-" if parent is None else f".{PREFIX}{prefix}-"
    path = Path(tempfile.mkdtemp(prefix=name, dir=parent))
    lock: IO[str] | None = None
    entry: Path | None = None
    try:
        (path / ".gitignore").write_text("*\n")
        lock = _claim(path)
        entry = _list(path)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        if entry is not None:
            with suppress(OSError):
                entry.unlink(missing_ok=True)
        if lock is not None:
            lock.close()


def _owner_gone(path: Path) -> int | None:
    """An fd holding ``path``'s marker lock when its owner is gone; None if unmarked or alive."""
    try:
        fd = os.open(path / MARKER, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _worktree_git_dirs(path: Path) -> set[Path]:
    """The common git directories of the worktrees inside ``path`` (their ``.git`` files)."""
    found = set()
    for dot_git in (*path.glob(".git"), *path.glob("*/.git"), *path.glob("*/*/.git")):
        if not dot_git.is_file():
            continue
        text = dot_git.read_text(errors="replace").strip()
        if text.startswith("gitdir:"):
            admin = Path(text.removeprefix("gitdir:").strip())
            if admin.parent.name == "worktrees":
                found.add(admin.parent.parent)
    return found


def _prune(git_dir: Path) -> None:
    """Forget the worktrees of ``git_dir`` whose directories are gone."""
    if not git_dir.is_dir():
        return
    with suppress(errors.KstasksError):
        runner.run(
            ["git", "--git-dir", str(git_dir), "worktree", "prune"],
            query=True,
            check=False,
            quiet=True,
            capture=True,
        )


def _sweep_one(path: Path) -> bool:
    """Remove ``path`` if it is a marked directory of a run that is gone; whether it did."""
    fd = _owner_gone(path)
    if fd is None:
        return False
    try:
        git_dirs = _worktree_git_dirs(path)
        shutil.rmtree(path, ignore_errors=True)
        for git_dir in git_dirs:
            _prune(git_dir)
    finally:
        os.close(fd)
    return True


def _listed() -> Iterator[tuple[Path, Path]]:
    """(ledger entry, directory) for every listed scratch directory."""
    with suppress(OSError):
        for entry in sorted(ledger_dir().glob("*.path")):
            with suppress(OSError):
                yield entry, Path(entry.read_text().strip())


def sweep() -> list[Path]:
    """Remove what dead runs left (marked directories nobody holds, their worktrees); what was removed."""
    removed = []
    for entry, path in _listed():
        if _sweep_one(path):
            removed.append(path)
        if not path.exists():
            with suppress(OSError):
                entry.unlink(missing_ok=True)
    for path in sorted(Path(tempfile.gettempdir()).glob(f"{PREFIX}*")):
        if path.is_dir() and not path.is_symlink() and _sweep_one(path):
            removed.append(path)
    if removed:
        output.say(f"removed what an interrupted run left: {', '.join(str(p) for p in removed)}")
    return removed
