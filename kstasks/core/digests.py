"""Content digests of files and trees, and of kstasks' own code: the inputs of cache keys."""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path


def walk(root: Path, skipped: Iterable[str] = ()) -> Iterator[str]:
    """Every file below ``root`` (relative POSIX paths, sorted per directory), not descending into
    ``skipped`` directories."""
    skip = set(skipped)
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d not in skip)
        relative_dir = os.path.relpath(directory, root)
        for name in sorted(files):
            relative = name if relative_dir == "." else f"{relative_dir}/{name}"
            yield relative.replace(os.sep, "/")


def file_digest(path: Path) -> str:
    """sha256 of the file's bytes; a marker when it cannot be read (so it never matches content)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "unreadable"


def dir_digest(root: Path, relative_dir: str, *, recursive: bool = False) -> str:
    """A digest of the names and contents of the files in one directory (below it, too, with
    ``recursive``); a missing directory has its own digest."""
    base = root / relative_dir if relative_dir not in ("", ".") else root
    digest = hashlib.sha256(b"dir\0" + relative_dir.encode())
    if not base.is_dir():
        return hashlib.sha256(b"absent\0" + relative_dir.encode()).hexdigest()
    names = walk(base, ()) if recursive else sorted(p.name for p in base.iterdir() if p.is_file())
    for name in names:
        digest.update(name.encode() + b"\0" + file_digest(base / name).encode())
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def kstasks_digest() -> str:
    """A digest of kstasks' own code and data (a change to kstasks between versions counts too)."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for relative in walk(package, ("__pycache__",)):
        if not relative.endswith((".pyc", ".pyo")):
            digest.update(relative.encode() + b"\0" + file_digest(package / relative).encode())
    return digest.hexdigest()
