"""verify-codegen: do the checked-in derived files equal what the generators produce?

Same contract as KubeStellar's hack/verify-codegen.sh (paths: api, config/crd/bases,
pkg/crd/files, pkg/generated). By default the committed content is regenerated in a
temporary git worktree, so the user's working tree is never touched and may be dirty;
``in_place`` keeps the script's behaviour (refuse a dirty tree, regenerate in place).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kstasks import runner
from kstasks.repo import Checkout, load_checkout


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


def check_isolated(checkout: Checkout, paths: Sequence[str], generate_all: GenerateAll) -> tuple[Drift, str]:
    """Regenerate HEAD in a temporary worktree; the drift and the commit checked."""
    git_root = checkout.require_git("verify-codegen checks the committed content")
    head = runner.run(
        ["git", "rev-parse", "--verify", "--quiet", "HEAD"],
        cwd=git_root,
        capture=True,
        query=True,
        check=False,
    ).stdout.strip()
    if not head:
        raise runner.usage_error(f"{git_root} has no commit to check", "Commit the files, or use --in-place.")
    temp = Path(tempfile.mkdtemp(prefix="kstasks-verify-"))
    tree = temp / "tree"
    try:
        runner.run(
            ["git", "worktree", "add", "--detach", "--quiet", str(tree), head],
            cwd=git_root,
            what="git worktree add",
            todo="Check that the repository is not corrupt and /tmp has room.",
        )
        copy_root = tree / checkout.root.relative_to(git_root)
        copy = load_checkout(copy_root)
        generate_all(copy)
        entries = _status(tree, copy_root, paths)
        drift = classify(entries)
        if not drift.clean:
            if drift.missing:
                runner.run(
                    ["git", "add", "--intent-to-add", "--", *drift.missing],
                    cwd=copy_root,
                    query=True,
                    quiet=True,
                )
            drift.diff = runner.run(
                ["git", "diff", "--", *paths], cwd=copy_root, capture=True, query=True, quiet=True
            ).stdout
        return drift, head
    finally:
        runner.run(
            ["git", "worktree", "remove", "--force", str(tree)],
            cwd=git_root,
            query=True,
            check=False,
            quiet=True,
            capture=True,
        )
        shutil.rmtree(temp, ignore_errors=True)
        runner.run(["git", "worktree", "prune"], cwd=git_root, query=True, check=False, quiet=True)


def check_in_place(checkout: Checkout, paths: Sequence[str], generate_all: GenerateAll) -> Drift:
    """hack/verify-codegen.sh's way: refuse a dirty tree, regenerate in place, look at git status."""
    git_root = checkout.require_git("verify-codegen compares with git")
    before = _status(git_root, checkout.root, paths)
    if before:
        raise runner.stop(
            "some relevant files are not in the current git commit, so correct checking can not be done",
            "Commit or stash them, or run verify-codegen without --in-place (it checks the commit in an "
            "isolated worktree).",
            code=runner.USAGE,
            details="\n".join(f"  {code} {path}" for code, path in before),
        )
    generate_all(checkout)
    drift = classify(_status(git_root, checkout.root, paths))
    if not drift.clean:
        drift.diff = runner.run(
            ["git", "diff", "--", *paths], cwd=checkout.root, capture=True, query=True, quiet=True
        ).stdout
    return drift


def verify_codegen(
    checkout: Checkout,
    paths: Sequence[str],
    generate_all: GenerateAll,
    *,
    in_place: bool = False,
    fix_command: str = "kstasks all-generated",
) -> Drift:
    """Exit 1 with a report when derived files drift; the (clean) drift otherwise."""
    if in_place:
        drift = check_in_place(checkout, paths, generate_all)
        what = "the working tree"
    else:
        drift, head = check_isolated(checkout, paths, generate_all)
        what = f"commit {head[:12]} (in an isolated worktree)"
    if drift.clean:
        runner.say(f"verify-codegen: derived files are up to date in {what}")
        return drift
    raise runner.stop(
        f"derived files in {what} are out of date",
        f"Run '{fix_command}' and commit the result.",
        details=drift.report(fix_command),
    )
