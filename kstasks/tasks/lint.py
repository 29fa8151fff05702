"""Tasks for make lint and the contextual logging check."""

from __future__ import annotations

from invoke import Collection, task
from invoke.context import Context

from kstasks.tasks.common import REPO_HELP, show, target


@task(
    name="lint",
    iterable=["run"],
    help={
        "repo": REPO_HELP,
        "run": "Also run this linter: golangci-lint or staticcheck (repeatable). golangci-lint is the "
        'one that reads the checkout\'s config (v2 for a version: "2" config, as its lint workflow '
        "pins); at the v0.24.0 pins they predate Go 1.20; make lint only installs them.",
    },
)
def lint(c: Context, repo: str | None = None, run: list[str] | None = None) -> None:
    """Install the linters the checkout's config, workflow and Makefile call for, then check
    contextual logging (make lint)."""
    from kstasks.checks import lint as linting
    from kstasks.core import errors

    chosen = tuple(run or ())
    unknown = [name for name in chosen if name not in linting.LINTERS]
    if unknown:
        raise errors.BadInput(
            f"unknown linter {', '.join(unknown)}", f"Choose from {', '.join(linting.LINTERS)}."
        )
    t = target(c, repo, [*linting.LINTERS, linting.V2_TOOL, "logcheck", "logcheck-current"])
    show(linting.run_lint(t.checkout, t.toolbox, linters=chosen))


@task(name="verify-contextual-logging", help={"repo": REPO_HELP})
def verify_contextual_logging(c: Context, repo: str | None = None) -> None:
    """logcheck -check-contextual against hack/logcheck.out, line numbers ignored (the hack script)."""
    from kstasks.checks import lint as linting

    t = target(c, repo, ["logcheck", "logcheck-current"])
    linting.verify_contextual_logging(t.checkout, t.toolbox)
    print("contextual logging: matches hack/logcheck.out")


@task(name="update-contextual-logging", help={"repo": REPO_HELP})
def update_contextual_logging(c: Context, repo: str | None = None) -> None:
    """Rewrite hack/logcheck.out with logcheck's current findings (make update-contextual-logging)."""
    from kstasks.checks import lint as linting

    t = target(c, repo, ["logcheck", "logcheck-current"])
    linting.verify_contextual_logging(t.checkout, t.toolbox, update=True)
    print(t.checkout.path(linting.ALLOW_LIST))


def collection() -> Collection:
    """These tasks as a collection (added flat to the root namespace)."""
    return Collection(lint, verify_contextual_logging, update_contextual_logging)
