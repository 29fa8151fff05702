"""The tasks only some checkouts have (their own ``ko-build-*-local`` Makefile targets), and when
a command line needs them: the checkout's Makefile is read at start-up only then."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from invoke import Task, task
from invoke.context import Context

from kstasks.tasks.common import Target, target
from kstasks.tasks.images import IMAGE_HELP, LOCAL_HELP, build_components

if TYPE_CHECKING:
    from kstasks.images import makerecipes

STATIC_LOCAL_TARGETS = ("ko-build-controller-manager-local", "ko-build-transport-local")


def local_image_task(found: makerecipes.LocalImage) -> Task:
    """The task for one of the checkout's own ``ko-build-<name>-local`` targets."""
    from kstasks.core import errors
    from kstasks.images import local, makerecipes

    def build(
        c: Context,
        repo: str | None = None,
        arch: str | None = None,
        tag: str | None = None,
        image: str | None = None,
    ) -> None:
        t: Target = target(c, repo, ["ko"])
        rules = makerecipes.read(t.checkout.root)
        if rules.by_target(found.target) is None:
            raise errors.BadInput(
                f"{t.checkout.root}'s Makefile has no {found.target} target",
                "Run it in a checkout whose Makefile has it (kstasks --list shows this checkout's tasks).",
            )
        build_components(t, [local.Component(found.component, found.package)], arch, tag, image)

    variable = f" ({found.variable})" if found.variable else ""
    build.__doc__ = f"Build the {found.image} image{variable} for linux/$ARCH into the local engine with ko."
    return task(name=found.target, help={**LOCAL_HELP, "image": IMAGE_HELP})(build)


LISTING_FLAGS = ("-l", "--list", "-h", "--help", "--complete", "-d", "--debug")
"""Flags that show tasks (or complete their names): the checkout's own tasks are wanted then."""


def names_checkout_tasks(argv: Sequence[str], known: Iterable[str]) -> bool:
    """Whether the command line ``argv`` may need the checkout's own tasks: it lists or completes
    tasks, names a ``ko-build-*-local`` task kstasks does not have, or names no known task at all.
    Otherwise the checkout's Makefile is not read at start-up."""
    names = set(known)
    if any(arg.split("=", 1)[0] in LISTING_FLAGS for arg in argv):
        return True
    if any(arg.startswith("ko-build-") and arg not in names for arg in argv):
        return True
    return not any(arg in names for arg in argv)


def program_checkout(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> Path | None:
    """The checkout a command line names before any task runs: ``--repo``, else KSTASKS_REPO, else
    the work tree holding the current directory (found by its ``.git``, no subprocess)."""
    env = os.environ if environ is None else environ
    for index, arg in enumerate(argv):
        if arg == "--repo" and index + 1 < len(argv):
            return Path(argv[index + 1]).expanduser().resolve()
        if arg.startswith("--repo="):
            return Path(arg.split("=", 1)[1]).expanduser().resolve()
    if env.get("KSTASKS_REPO"):
        return Path(env["KSTASKS_REPO"]).expanduser().resolve()
    here = Path.cwd().resolve()
    for directory in (here, *here.parents):
        if (directory / ".git").exists():
            return directory
    return None


def checkout_tasks(root: Path | None) -> list[Task]:
    """The tasks only some checkouts have: one per ``ko-build-*-local`` target of the checkout at
    ``root`` beyond the two every release has."""
    if root is None:
        return []
    from kstasks.images import makerecipes

    rules = makerecipes.read(root)
    return [local_image_task(found) for found in rules.images if found.target not in STATIC_LOCAL_TARGETS]
