"""The target checkout: which directory a task works on, and what it is."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from kstasks.core import errors, runner

_MODULE_RE = re.compile(r"^module\s+(\S+)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Checkout:
    """A KubeStellar-shaped Go checkout."""

    root: Path
    """The directory holding go.mod."""
    module: str
    """The Go module path declared in go.mod."""
    git_root: Path | None
    """The top of the git work tree holding ``root`` (may be a parent), or None."""

    def path(self, relative: str) -> Path:
        """An absolute path inside the checkout."""
        return self.root / relative

    def short_commit(self) -> str:
        """``git rev-parse --short HEAD``: the Makefile's default IMAGE_TAG."""
        self.require_git("the default image tag is the short commit hash")
        result = runner.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=self.root,
            capture=True,
            query=True,
            what="git rev-parse",
            todo="Set IMAGE_TAG (or kstasks.images.tag), or commit first.",
        )
        return result.stdout.strip()

    def require_git(self, why: str) -> Path:
        """The git work tree's top, or exit 2 explaining ``why`` git is needed."""
        if self.git_root is None and shutil.which("git") is None:
            raise errors.BadInput("git is not installed or not on PATH", f"Install git ({why}).")
        if self.git_root is None:
            raise errors.BadInput(
                f"{self.root} is not inside a git work tree ({why})",
                "Run this in a git checkout of the repository.",
            )
        return self.git_root


def git_toplevel(directory: Path) -> Path | None:
    """The top of the git work tree holding ``directory``, or None."""
    if shutil.which("git") is None:
        return None
    result = runner.run(
        ["git", "rev-parse", "--show-toplevel"],
        cwd=directory,
        capture=True,
        query=True,
        check=False,
        quiet=True,
    )
    if result.returncode != 0:
        return None
    return Path(result.stdout.strip()).resolve()


def resolve_root(
    explicit: str | os.PathLike[str] | None = None,
    configured: str | os.PathLike[str] | None = None,
    *,
    cwd: Path | None = None,
    config_dir: Path | None = None,
) -> Path:
    """The checkout to work on.

    ``explicit`` (a flag), else KSTASKS_REPO, else ``configured`` (the ``kstasks.repo``
    setting, relative to ``config_dir``, the project's config directory), else the git
    top-level of ``cwd``, else ``cwd``.
    """
    here = (cwd or Path.cwd()).resolve()
    if explicit:
        return (here / Path(explicit).expanduser()).resolve()
    if os.environ.get("KSTASKS_REPO"):
        return (here / Path(os.environ["KSTASKS_REPO"]).expanduser()).resolve()
    if configured:
        return ((config_dir or here) / Path(configured).expanduser()).resolve()
    top = git_toplevel(here)
    return top if top is not None else here


def read_module_path(go_mod: Path) -> str:
    """The module path declared in ``go_mod``."""
    match = _MODULE_RE.search(go_mod.read_text())
    if not match:
        raise errors.BadInput(f"{go_mod} declares no module", "Add a 'module <path>' line to go.mod.")
    return match[1].strip('"')


def load_checkout(root: Path) -> Checkout:
    """The checkout at ``root``; exit 2 if it is not a Go module."""
    root = Path(root).resolve()
    if not root.is_dir():
        raise errors.BadInput(
            f"{root} is not a directory",
            "Point KSTASKS_REPO (or the kstasks.repo setting) at a KubeStellar checkout.",
        )
    go_mod = root / "go.mod"
    if go_mod.is_symlink() and not go_mod.is_file():
        raise errors.BadInput(
            f"{go_mod} is a symbolic link to {os.readlink(go_mod)!r}, which is not a readable file",
            "Point the link at the module's go.mod, or replace it with the file.",
        )
    if not go_mod.is_file():
        raise errors.BadInput(
            f"{root} is not a KubeStellar-shaped checkout: expected a go.mod file there",
            "Run from a KubeStellar checkout, or point KSTASKS_REPO (or kstasks.repo) at one.",
        )
    return Checkout(root=root, module=read_module_path(go_mod), git_root=git_toplevel(root))


def find_checkout(
    explicit: str | os.PathLike[str] | None = None,
    configured: str | os.PathLike[str] | None = None,
    *,
    cwd: Path | None = None,
    config_dir: Path | None = None,
) -> Checkout:
    """Resolve and load the target checkout in one step."""
    return load_checkout(resolve_root(explicit, configured, cwd=cwd, config_dir=config_dir))
