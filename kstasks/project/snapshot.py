"""A working tree's content, copied elsewhere: tracked files and untracked files git does not ignore.

verify-codegen ``--worktree`` checks this content in an isolated worktree, and the nox sessions
install kstasks from such a copy, so neither writes into the tree it reads.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from kstasks.core import runner

_NOT_SOURCE = (".git", ".nox", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".ruff_cache")
"""What a copy of a directory outside git leaves out: VCS data, build output and caches."""


def worktree_files(git_root: Path) -> list[str]:
    """Paths, relative to ``git_root``, of the tracked files that exist and the untracked, unignored ones."""
    listed = runner.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=git_root,
        capture=True,
        query=True,
        quiet=True,
        what="git ls-files",
    ).stdout
    names = sorted({name for name in listed.split("\0") if name})
    return [name for name in names if os.path.lexists(git_root / name)]


def copy_files(source: Path, names: list[str], dest: Path) -> None:
    """Copy ``names`` (relative to ``source``) into ``dest``, keeping symlinks and modes."""
    for name in names:
        origin, target = source / name, dest / name
        if origin.is_dir() and not origin.is_symlink():
            continue  # a submodule: its content is not this tree's
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(origin, target, follow_symlinks=False)


def copy_source_tree(source: Path, dest: Path) -> Path:
    """``dest`` made a fresh copy of ``source``'s working-tree content (git's view when it is a
    git work tree's top, else the directory without VCS data, build output and caches)."""
    shutil.rmtree(dest, ignore_errors=True)
    if (source / ".git").exists():
        dest.mkdir(parents=True)
        copy_files(source, worktree_files(source), dest)
    else:
        shutil.copytree(source, dest, symlinks=True, ignore=shutil.ignore_patterns(*_NOT_SOURCE))
    return dest
