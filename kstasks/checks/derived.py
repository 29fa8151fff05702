"""verify-codegen: do the checked-in derived files equal what the generators produce?

Same contract as KubeStellar's hack/verify-codegen.sh (paths: api, config/crd/bases,
pkg/crd/files, pkg/generated). By default the committed content is regenerated in a
temporary git worktree, so the user's working tree is never touched and may be dirty (its
uncommitted changes to generation inputs are named in one warning); ``worktree`` checks the
working tree's content instead, in a private copy; ``in_place`` keeps the script's behaviour
(refuse a dirty tree, regenerate in place). With a ``fingerprint``, a tree whose digest passed
before is not regenerated again (:mod:`kstasks.checks.verifycache`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kstasks.checks import verifycache
from kstasks.codegen import stamp, stepcache
from kstasks.codegen.layout import Layout
from kstasks.core import context, errors, output, runner, scratch
from kstasks.project import snapshot, worktrees
from kstasks.project.repo import Checkout, load_checkout

_PRIVATE_GIT = (
    "git",
    "-c",
    "user.name=kstasks",
    "-c",
    "user.email=kstasks@localhost",
    "-c",
    "commit.gpgsign=false",
)
"""git for the private repository ``--worktree`` checks: its own identity, no signing."""

WARN_NAMES = 10
"""How many uncommitted input files the warning names before it says how many more there are."""


@dataclass
class Drift:
    """How the derived files in git differ from what the generators produce."""

    differs: list[str] = field(default_factory=list)
    """Committed, and generated with other content."""
    missing: list[str] = field(default_factory=list)
    """Generated, but not committed."""
    extra: list[str] = field(default_factory=list)
    """Committed, but no longer generated."""
    diff: str = ""
    verified_before: bool = False
    """Not regenerated: a tree with the same digest passed before."""

    @property
    def clean(self) -> bool:
        """Whether nothing differs."""
        return not (self.differs or self.missing or self.extra)

    def report(self, fix_command: str) -> str:
        """The human-readable account of the drift, ending with the command that fixes it."""
        lines = [
            "ERROR: This check enforces that all the derived files have been derived correctly.",
            "ERROR: At least one is not. The following differences were found:",
        ]
        for label, paths in (
            ("differs (committed content is not what the generators produce)", self.differs),
            ("missing (generated, but not committed)", self.missing),
            ("extra (committed, but no longer generated)", self.extra),
        ):
            lines += [f"  {label}:"] + [f"    {path}" for path in paths] if paths else []
        if self.diff:
            lines += ["", self.diff.rstrip()]
        lines += ["", f"To fix it, run: {fix_command}  (then commit the result)"]
        return "\n".join(lines)


GenerateAll = Callable[[Checkout], None]
"""Regenerates every derived file of a checkout (``codegen.run_all_generated`` bound to its settings)."""


def _status(git_root: Path, checkout_root: Path, paths: Sequence[str]) -> list[tuple[str, str]]:
    """``git status`` entries (code, path relative to the checkout) under ``paths``."""
    result = runner.run(
        ["git", "status", "--porcelain=1", "-z", "--untracked-files=all", "--", *paths],
        cwd=checkout_root,
        capture=True,
        query=True,
        what="git status",
    )
    prefix = checkout_root.relative_to(git_root).as_posix()
    entries = []
    records = iter(result.stdout.split("\0"))
    for record in records:
        if not record:
            continue
        code, path = record[:2], record[3:]
        if code[0] in "RC":
            next(records, None)  # a rename's source path follows
        if prefix != "." and path.startswith(prefix + "/"):
            path = path[len(prefix) + 1 :]
        entries.append((code, path))
    return entries


def classify(entries: list[tuple[str, str]]) -> Drift:
    """Sort ``git status`` entries into differing, missing and extra files."""
    drift = Drift()
    for code, path in entries:
        if code == "??" or "A" in code:
            drift.missing.append(path)
        elif "D" in code:
            drift.extra.append(path)
        else:
            drift.differs.append(path)
    return drift


def _working_tree_repository(git_root: Path, tree: Path) -> None:
    """``tree``: a private git repository whose one commit is the working tree's content (tracked
    files and untracked ones git does not ignore); nothing is written to the user's repository."""
    tree.mkdir()
    snapshot.copy_files(git_root, snapshot.worktree_files(git_root), tree)
    for args in (
        ["init", "--quiet"],
        ["add", "--all", "--force"],
        ["commit", "--quiet", "--no-verify", "-m", "the working tree"],
    ):
        runner.run(
            [*_PRIVATE_GIT, *args], cwd=tree, query=True, quiet=True, capture=True, what=f"git {args[0]}"
        )


def _check_tree(
    git_root: Path,
    checkout: Checkout,
    paths: Sequence[str],
    generate_all: GenerateAll,
    fingerprint: verifycache.Fingerprint | None,
    what: str,
    *,
    mark_missing: bool,
) -> Drift:
    """Regenerate ``checkout`` (in the work tree at ``git_root``) unless its digest passed before;
    how its derived files differ from the commit. A clean result is recorded. ``mark_missing``
    adds new files with --intent-to-add so the diff shows them (only in kstasks' own copies)."""
    digest = fingerprint(checkout) if fingerprint is not None else ""
    if digest and verifycache.verified_before(digest):
        return Drift(verified_before=True)
    with stepcache.active(verifycache.step_cache_of(fingerprint)):
        generate_all(checkout)
    drift = classify(_status(git_root, checkout.root, paths))
    if not drift.clean:
        if drift.missing and mark_missing:
            runner.run(
                ["git", "add", "--intent-to-add", "--", *drift.missing],
                cwd=checkout.root,
                query=True,
                quiet=True,
            )
        drift.diff = runner.run(
            ["git", "diff", "--", *paths], cwd=checkout.root, capture=True, query=True, quiet=True
        ).stdout
    elif digest and not context.dry_run():
        verifycache.record(digest, what)
    return drift


def check_isolated(
    checkout: Checkout,
    paths: Sequence[str],
    generate_all: GenerateAll,
    *,
    worktree: bool = False,
    fingerprint: verifycache.Fingerprint | None = None,
    layout: Layout | None = None,
) -> tuple[Drift, str]:
    """Regenerate HEAD (or, with ``worktree``, the working tree's content) in a temporary copy;
    the drift and the commit checked (``worktree`` when it was the working tree). With
    ``layout``, a check of HEAD first warns, in one line, about uncommitted generation inputs."""
    git_root = checkout.require_git("verify-codegen checks the committed content")
    head = "" if worktree else worktrees.head_commit(git_root)
    with scratch.directory("verify") as temp:
        tree = temp / "tree"
        try:
            if worktree:
                _working_tree_repository(git_root, tree)
            else:
                worktrees.add(git_root, tree, head)
            copy_root = tree / checkout.root.relative_to(git_root)
            if layout is not None and not worktree:
                uncommitted = uncommitted_inputs(checkout, load_checkout(copy_root), layout)
                if uncommitted:
                    output.warn(uncommitted_warning(uncommitted))
            checked = "worktree" if worktree else head
            drift = _check_tree(
                tree, load_checkout(copy_root), paths, generate_all, fingerprint, checked, mark_missing=True
            )
            return drift, checked
        finally:
            if not worktree:
                worktrees.remove(git_root, tree)


def uncommitted_inputs(checkout: Checkout, committed: Checkout, layout: Layout) -> list[str]:
    """Files generation reads or writes whose working-tree content is not the commit's (changed,
    added, deleted, or untracked and not ignored), relative to the checkout. ``committed`` is the
    commit's tree checked out elsewhere (it still holds the files deleted here)."""
    git_root = checkout.require_git("verify-codegen compares with git")
    changed = [path for _, path in _status(git_root, checkout.root, ["."])]
    if not changed:
        return []
    inputs = set(stamp.generation_files(checkout, layout)) | set(stamp.generation_files(committed, layout))
    return [path for path in changed if path in inputs]


def uncommitted_warning(names: list[str]) -> str:
    """One line naming uncommitted input files (the first few, then how many more)."""
    shown = ", ".join(names[:WARN_NAMES]) + (
        f" and {len(names) - WARN_NAMES} more" if len(names) > WARN_NAMES else ""
    )
    return (
        f"verify-codegen checks the commit; uncommitted changes to generation inputs are not checked: "
        f"{shown} (--worktree checks the working tree)"
    )


def check_in_place(
    checkout: Checkout,
    paths: Sequence[str],
    generate_all: GenerateAll,
    *,
    fingerprint: verifycache.Fingerprint | None = None,
) -> Drift:
    """hack/verify-codegen.sh's way: refuse a dirty tree, regenerate in place, look at git status
    (unless the tree's digest passed before; a clean result is recorded)."""
    git_root = checkout.require_git("verify-codegen compares with git")
    before = _status(git_root, checkout.root, paths)
    if before:
        raise errors.BadInput(
            "some relevant files are not in the current git commit, so correct checking can not be done",
            "Commit or stash them, or run verify-codegen without --in-place (it checks the commit in an "
            "isolated worktree).",
            context="\n".join(f"  {code} {path}" for code, path in before),
        )
    return _check_tree(
        git_root, checkout, paths, generate_all, fingerprint, "working tree", mark_missing=False
    )


def verify_codegen(
    checkout: Checkout,
    paths: Sequence[str],
    generate_all: GenerateAll,
    *,
    in_place: bool = False,
    fix_command: str = "kstasks all-generated",
    worktree: bool = False,
    fingerprint: verifycache.Fingerprint | None = None,
    layout: Layout | None = None,
) -> str:
    """Exit 1 with a report when derived files drift; the verdict line otherwise.

    ``worktree`` checks the working tree's content (in an isolated copy) instead of the commit;
    ``fingerprint`` reuses and records successes (:mod:`kstasks.checks.verifycache`); with ``layout``,
    a commit check warns about uncommitted changes to generation inputs.
    """
    if in_place and worktree:
        raise errors.BadInput("--in-place and --worktree exclude each other", "Pass one of them.")
    if in_place:
        drift = check_in_place(checkout, paths, generate_all, fingerprint=fingerprint)
        what = "the working tree"
    else:
        drift, checked = check_isolated(
            checkout, paths, generate_all, worktree=worktree, fingerprint=fingerprint, layout=layout
        )
        what = (
            "the working tree's content (in an isolated copy)"
            if worktree
            else f"commit {checked[:12]} (in an isolated worktree)"
        )
    if context.dry_run():
        return f"verify-codegen: dry run: {what} would be regenerated and compared; nothing was checked"
    if drift.verified_before:
        return f"verify-codegen: {what}: verified before (nothing it depends on changed; --no-cache rechecks)"
    if drift.clean:
        return f"verify-codegen: derived files are up to date in {what}"
    raise errors.CheckFailed(
        f"derived files in {what} are out of date",
        f"Run '{fix_command}' and commit the result.",
        context=drift.report(fix_command),
    )
