"""Tasks for the verify checks: verify-boilerplate, verify-imports, verify-modules, and ``verify`` (all)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from invoke import Collection, task
from invoke.context import Context

from kstasks.project import headers
from kstasks.tasks.common import REPO_HELP, program_name, show, target

if TYPE_CHECKING:
    from kstasks.project.repo import Checkout

IN_PLACE_HELP = "Check the working tree's files as they are (uncommitted edits included); nothing is written."


@contextmanager
def _source(checkout: Checkout, in_place: bool, purpose: str) -> Iterator[tuple[Checkout, str]]:
    """The checkout to read (the commit in an isolated worktree, or the working tree) and its name."""
    from kstasks.project import worktrees

    if in_place:
        yield checkout, "the working tree"
        return
    with worktrees.committed(checkout, purpose) as head:
        yield head, f"commit {checkout.short_commit()}"


@task(
    name="verify-boilerplate",
    iterable=["skip"],
    help={
        "repo": REPO_HELP,
        "in-place": IN_PLACE_HELP,
        "boilerplate-dir": "The directory of boilerplate.<kind>.txt templates (default: hack/boilerplate).",
        "skip": "Paths containing this are not checked (repeatable; default: docs, as the Makefile).",
    },
)
def verify_boilerplate(
    c: Context,
    repo: str | None = None,
    in_place: bool = False,
    boilerplate_dir: str = headers.BOILERPLATE_DIR,
    skip: list[str] | None = None,
) -> None:
    """Fail, naming each file, when a source file lacks its license header (make verify-boilerplate)."""
    from kstasks.checks import boilerplate
    from kstasks.core import output

    t = target(c, repo, [])
    note, same = boilerplate.pin_note(t.checkout.root)
    if note:
        (output.say if same else output.warn)(f"verify-boilerplate: {note}")
    skips = (*boilerplate.DEFAULT_SKIP, *(skip or boilerplate.MAKEFILE_SKIP))
    with _source(t.checkout, in_place, "verify-boilerplate") as (source, what):
        boilerplate.verify_boilerplate(source.root, boilerplate_dir, skips, what=what)


@task(name="verify-imports", help={"repo": REPO_HELP, "in-place": IN_PLACE_HELP})
def verify_imports(c: Context, repo: str | None = None, in_place: bool = False) -> None:
    """Fail, naming each Go file, when imports are out of order (make verify-imports)."""
    from kstasks.checks import drift
    from kstasks.tasks.codegen import needed_tools

    t = target(c, repo, needed_tools("imports"))
    with _source(t.checkout, in_place, "verify-imports") as (source, what):
        drift.verify_imports(
            source.root, source, t.imports, t.toolbox, what=what, fix_command=f"{program_name()} imports"
        )


@task(name="verify-modules", help={"repo": REPO_HELP, "in-place": IN_PLACE_HELP})
def verify_modules(c: Context, repo: str | None = None, in_place: bool = False) -> None:
    """Fail, naming go.mod/go.sum with the diff, when go mod tidy would change them (make verify-modules)."""
    from kstasks.checks import drift

    t = target(c, repo, [])
    with _source(t.checkout, in_place, "verify-modules") as (source, what):
        show(drift.verify_modules(source.root, what=what, fix_command=f"{program_name()} modules"))


@task(
    help={
        "repo": REPO_HELP,
        "no-cache": "verify-codegen regenerates even when this tree, settings and tools passed before.",
    }
)
def verify(c: Context, repo: str | None = None, no_cache: bool = False) -> None:
    """Every check of the CI verify job on the commit; all run, each reported; fails if any failed."""
    from kstasks.checks import suite, verifycache
    from kstasks.tasks.codegen import generate_all_for, needed_tools

    t = target(c, repo, needed_tools("all-generated"))
    settings = {key: t.config[key] for key in ("versions", "codegen", "imports")}
    show(
        suite.verify_all(
            suite.Suite(
                checkout=t.checkout,
                layout=t.layout,
                toolbox=t.toolbox,
                imports=t.imports,
                ignore_go_version=t.ignore_go_version,
                graph=str(t.config["release"]["graph"]),
                generate_all=generate_all_for(t),
                program=program_name(),
                fingerprint=None if no_cache else verifycache.fingerprinter(t.layout, settings),
            )
        )
    )


def collection() -> Collection:
    """These tasks as a collection (added flat to the root namespace)."""
    return Collection(verify_boilerplate, verify_imports, verify_modules, verify)
