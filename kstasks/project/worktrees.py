"""Isolated git worktrees of a commit: checks read the committed content there, never the user's tree."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kstasks.core import errors, runner, scratch
from kstasks.project.repo import Checkout, load_checkout


def head_commit(git_root: Path, *, hint: str = "Commit the files, or use --in-place.") -> str:
    """The commit HEAD names; exit 2 when there is none."""
    head = runner.run(
        ["git", "rev-parse", "--verify", "--quiet", "HEAD"],
        cwd=git_root,
        capture=True,
        query=True,
        check=False,
        quiet=True,
    ).stdout.strip()
    if not head:
        raise errors.BadInput(f"{git_root} has no commit to check", hint)
    return head


def add(git_root: Path, tree: Path, commit: str) -> None:
    """``tree``: a detached git worktree of ``commit``."""
    runner.run(
        ["git", "worktree", "add", "--detach", "--quiet", str(tree), commit],
        cwd=git_root,
        query=True,
        quiet=True,
        what="git worktree add",
        todo="Check that the repository is not corrupt and the temporary directory has room.",
    )


def remove(git_root: Path, tree: Path) -> None:
    """Remove the worktree at ``tree`` and forget it (and any other whose directory is gone)."""
    runner.run(
        ["git", "worktree", "remove", "--force", str(tree)],
        cwd=git_root,
        query=True,
        check=False,
        quiet=True,
        capture=True,
    )
    runner.run(["git", "worktree", "prune"], cwd=git_root, query=True, check=False, quiet=True, capture=True)


@contextmanager
def committed(checkout: Checkout, purpose: str) -> Iterator[Checkout]:
    """``checkout`` as committed at HEAD, in an isolated worktree removed afterwards."""
    git_root = checkout.require_git(f"{purpose} checks the committed content")
    commit = head_commit(git_root, hint="Commit the files, or use --in-place for the working tree.")
    with scratch.directory(purpose) as temp:
        tree = temp / "tree"
        try:
            add(git_root, tree, commit)
            yield load_checkout(tree / checkout.root.relative_to(git_root))
        finally:
            remove(git_root, tree)
