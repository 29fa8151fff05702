"""verify-codegen: are the checked-in derived files what the generators produce?"""

from __future__ import annotations

from invoke import Collection, task
from invoke.context import Context

from kstasks.tasks.common import REPO_HELP, program_name, show, target


@task(
    name="verify-codegen",
    help={
        "repo": REPO_HELP,
        "in-place": "Regenerate in the working tree, as hack/verify-codegen.sh did (refuses a dirty tree).",
        "worktree": "Check the working tree's content (in an isolated copy) instead of the commit.",
        "no-cache": "Regenerate even when the same tree, settings and tools passed before.",
    },
)
def verify_codegen(
    c: Context,
    repo: str | None = None,
    in_place: bool = False,
    worktree: bool = False,
    no_cache: bool = False,
) -> None:
    """Fail, naming each file, when checked-in derived files differ from what the tools produce."""
    from kstasks.checks import derived, verifycache
    from kstasks.tasks.codegen import generate_all_for, needed_tools

    t = target(c, repo, needed_tools("all-generated"))
    settings = {key: t.config[key] for key in ("versions", "codegen", "imports")}
    show(
        derived.verify_codegen(
            t.checkout,
            t.layout.verify_paths,
            generate_all_for(t),
            in_place=in_place,
            worktree=worktree,
            fingerprint=None if no_cache else verifycache.fingerprinter(t.layout, settings),
            layout=t.layout,
            fix_command=f"{program_name()} all-generated",
        )
    )


def collection() -> Collection:
    """These tasks as a collection (added flat to the root namespace)."""
    return Collection(verify_codegen)
