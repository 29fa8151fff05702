"""A GOPATH-mode view of a module's build list, for code-generator's gengo v1 (before v0.30).

gengo v1 finds each package through go/build, which in module mode starts one ``go list`` per
package (about two hundred per generator for KubeStellar's API): most of the generators' time.
In GOPATH mode go/build finds a package by its directory, with no process. The view is a
GOPATH whose ``src`` holds, at its import path, a symlink to every module
the input packages need (one ``go list -deps``): the checkout for the main module, the module
cache's directory (or a local replacement's) for each dependency -- so every package resolves to
the same files as in module mode. If the generators fail on the view, they run again in module mode.

No view is made (None: the generators run in module mode) when that cannot be exact: the
checkout vendors its dependencies or is in a go.work workspace, a module the input packages
need has no directory (not downloaded), or one module's path lies inside another's (GOPATH
would find the outer module's copy of the inner path).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from kstasks.core import errors, runner
from kstasks.project.repo import Checkout
from kstasks.toolchain import golang


@dataclass(frozen=True)
class View:
    """A GOPATH and the checkout's directory inside it."""

    gopath: Path
    checkout_dir: Path

    def environment(self) -> dict[str, str]:
        """What the generators run with: GOPATH mode on this view."""
        return {
            "GO111MODULE": "off",
            "GOPATH": str(self.gopath),
            "GOFLAGS": "",
            "PWD": str(self.checkout_dir),
        }


_FORMAT = "{{with .Module}}{{.Path}}\t{{with .Replace}}{{.Dir}}{{else}}{{.Dir}}{{end}}{{end}}"


def needed_modules(root: Path, packages: list[str], env: dict[str, str] | None) -> dict[str, str] | None:
    """The module of each of ``packages`` and of everything they import, with its directory (one
    ``go list -deps``); None if go cannot say or a module has no directory."""
    try:
        listed = runner.run(
            [golang.go_binary(), "list", "-deps", "-f", _FORMAT, *packages],
            cwd=root,
            env=env,
            capture=True,
            query=True,
            quiet=True,
        )
    except errors.KstasksError:
        return None
    places: dict[str, str] = {}
    for line in listed.stdout.splitlines():
        if not line.strip():
            continue
        path, _, directory = line.partition("\t")
        if not (directory and Path(directory).is_absolute() and Path(directory).is_dir()):
            return None
        if places.setdefault(path, directory) != directory:
            return None
    return places


def build(
    checkout: Checkout, dest: Path, packages: list[str], env: dict[str, str] | None = None
) -> View | None:
    """The view of ``checkout``'s build list below ``dest`` (made here), or None when it would
    not be exact; ``packages``: the generators' input packages (their modules and those of
    everything they import must all be in the view)."""
    root = checkout.root
    if (root / "vendor").exists():
        return None
    try:
        work = runner.run(
            [golang.go_binary(), "env", "GOWORK"], cwd=root, env=env, capture=True, query=True, quiet=True
        )
    except errors.KstasksError:
        return None
    if work.stdout.strip() not in ("", "off"):
        return None
    places = needed_modules(root, packages, env)
    if places is None:
        return None
    if checkout.module not in places:
        return None
    for path in places:
        parts = path.split("/")
        if any("/".join(parts[:end]) in places for end in range(1, len(parts))):
            return None
    src = dest / "src"
    for path, directory in places.items():
        link = src / path
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(directory, link, target_is_directory=True)
    return View(dest, src / checkout.module)
