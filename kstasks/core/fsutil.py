"""File operations that never leave a half-written file or tree behind."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from kstasks.core import context, scratch

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
T = TypeVar("T")


def write_if_changed(path: Path, data: bytes) -> bool:
    """Atomically replace ``path`` with ``data`` unless it already holds it; whether it wrote.

    Under dry-run nothing is written (and False returned).
    """
    if context.dry_run():
        return False
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if path.exists():
            os.chmod(temp, path.stat().st_mode & 0o7777)
        else:
            os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return True


def read_entry(path: Path, decode: Callable[[bytes], T | None]) -> T | None:
    """A cache entry: ``decode`` of the bytes at ``path``, marked as used; None when it is absent
    or does not decode (a bad entry is removed, so it is a miss, never a result)."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    value = decode(raw)
    if value is None:
        path.unlink(missing_ok=True)
        return None
    with contextlib.suppress(OSError):
        os.utime(path)
    return value


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2); False where the system cannot."""
    import ctypes
    import ctypes.util

    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0


def replace_tree(staged: Path, target: Path) -> None:
    """Make ``target`` hold exactly the tree at ``staged``, switching over in one rename.

    ``staged`` is copied into a scratch directory next to ``target`` first (hidden, ignored by
    git, swept if the run is killed), so the switch itself is a rename; the previous tree is
    removed only after the switch. Under dry-run nothing changes.
    """
    if context.dry_run():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    with scratch.directory(f"{target.name}-swap", parent=target.parent) as swap:
        incoming = swap / "new"
        shutil.copytree(staged, incoming, symlinks=True)
        if not target.exists():
            incoming.rename(target)
            return
        if _exchange(incoming, target):
            return
        outgoing = swap / "old"
        target.rename(outgoing)
        try:
            incoming.rename(target)
        except BaseException:
            outgoing.rename(target)
            raise


def tree_files(root: Path) -> list[Path]:
    """Every file below ``root`` (relative paths, sorted)."""
    if not root.is_dir():
        return []
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file() or p.is_symlink())
