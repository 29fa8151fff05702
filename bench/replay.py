"""Replay a checkout's history as CI would see it: ``verify`` at each commit, cached and not.

Run: ``python3 bench/replay.py --repo PATH --commits N``. The last N first-parent commits of
PATH's HEAD (or ``--rev``) are checked out one after the other, oldest first, in a clone of
PATH. At each, ``verify`` runs with a verification cache carried over from the previous commit
(as CI's restored cache would be; empty before the first), and ``verify --no-cache`` runs as the
reference. The replay fails (exit 1) if any check's verdict differs between the two at any
commit. Printed per commit and in total: the cached time, the uncached time, and the steps
that ran in the cached run (the others were replayed from the cache). ``--json FILE`` also
writes the rows.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent

_VERDICT = re.compile(r"^\s+(verify-[\w-]+)\s+(ok|FAILED|error)\s+[\d.]+s\s*$", re.MULTILINE)
_STEP = re.compile(r"^cache: ([\w-]+): (ran|replayed)(.*)$", re.MULTILINE)


@dataclass
class Run:
    """One ``verify`` run: its exit code, each check's verdict, the time and what ran."""

    code: int
    verdicts: dict[str, str]
    seconds: float
    ran: list[str] = field(default_factory=list)
    replayed: list[str] = field(default_factory=list)
    tail: str = ""


@dataclass
class Row:
    """One commit of the replay."""

    commit: str
    subject: str
    cached: Run
    uncached: Run

    @property
    def same(self) -> bool:
        """Whether the cached run's verdicts are the reference's."""
        return self.cached.code == self.uncached.code and self.cached.verdicts == self.uncached.verdicts


def git(repo: Path, *args: str) -> str:
    """A git command's stdout (it must succeed)."""
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def first_parent_commits(repo: Path, count: int, rev: str = "HEAD") -> list[tuple[str, str]]:
    """The last ``count`` first-parent commits of ``rev``, oldest first, with their subjects."""
    listed = git(repo, "log", "--first-parent", f"-n{count}", "--format=%H%x09%s", rev)
    rows = [line.split("\t", 1) for line in listed.splitlines() if line.strip()]
    return [(sha, subject) for sha, subject in reversed(rows)]


def parse_run(code: int, text: str, seconds: float) -> Run:
    """A run's verdicts and steps from its output."""
    run = Run(code, dict(_VERDICT.findall(text)), seconds, tail=text[-4000:])
    for step, status, _ in _STEP.findall(text):
        (run.ran if status == "ran" else run.replayed).append(step)
    if "verify-codegen:" in text and "verified before" in text:
        run.replayed.append("verify-codegen (whole tree)")
    return run


def verify(checkout: Path, env: Mapping[str, str], *extra: str, python: str = sys.executable) -> Run:
    """``python -m kstasks verify`` in ``checkout`` with ``env`` added; timed."""
    started = time.perf_counter()
    result = subprocess.run(
        [python, "-m", "kstasks", "verify", "--repo", str(checkout), *extra],
        cwd=checkout,
        env={**{k: v for k, v in os.environ.items() if k != "KSTASKS_REPO"}, **env},
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    return parse_run(result.returncode, result.stdout + "\n" + result.stderr, seconds)


def environment(work: Path, cache: Path) -> dict[str, str]:
    """kstasks run from this project, with ``cache`` as its cache and the shared pinned tools."""
    sys.path.insert(0, str(PROJECT))
    from kstasks.toolchain import tools

    # Go's build cache stays the user's (as CI restores it): by default it lives under XDG_CACHE_HOME
    gocache = subprocess.run(["go", "env", "GOCACHE"], capture_output=True, text=True).stdout.strip()
    return {
        **({"GOCACHE": gocache} if gocache else {}),
        "XDG_CACHE_HOME": str(cache),
        "INVOKE_KSTASKS_TOOLS_DIR": str(tools.default_tools_dir()),
        "PYTHONPATH": os.pathsep.join([str(PROJECT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        "TMPDIR": str(work),
    }


def replay(
    repo: Path,
    commits: int,
    *,
    rev: str = "HEAD",
    work: Path,
    progress: Callable[[Row], None] = lambda row: None,
    reference: bool = True,
) -> list[Row]:
    """Replay ``commits`` commits of ``repo`` in a clone below ``work``; a row per commit."""
    clone = work / "clone"
    subprocess.run(["git", "clone", "--quiet", "--no-checkout", str(repo), str(clone)], check=True)
    # a clone whose source stands in for missing blobs with replace refs keeps them
    subprocess.run(
        ["git", "fetch", "--quiet", "origin", "+refs/replace/*:refs/replace/*"], cwd=clone, check=False
    )
    carried = environment(work, work / "cache-carried")
    fresh = environment(work, work / "cache-reference")
    rows = []
    for sha, subject in first_parent_commits(clone, commits, rev):
        git(clone, "checkout", "--quiet", "--force", "--detach", sha)
        cached = verify(clone, carried)
        uncached = verify(clone, fresh, "--no-cache") if reference else cached
        row = Row(sha[:12], subject, cached, uncached)
        rows.append(row)
        progress(row)
    return rows


def format_row(row: Row) -> str:
    """One line: commit, times, verdict agreement, steps that ran."""
    verdict = "same" if row.same else "DIFFERENT"
    failed = [name for name, v in row.uncached.verdicts.items() if v != "ok"]
    outcome = "ok" if not failed else "fails: " + ",".join(failed)
    ran = ", ".join(row.cached.ran) or "-"
    return (
        f"{row.commit} {row.cached.seconds:7.1f}s {row.uncached.seconds:7.1f}s "
        f"{verdict:<9} {outcome:<28} ran: {ran}  | {row.subject[:50]}"
    )


def totals(rows: Sequence[Row]) -> str:
    """The total line."""
    cached = sum(r.cached.seconds for r in rows)
    uncached = sum(r.uncached.seconds for r in rows)
    ratio = cached / uncached if uncached else 0.0
    differing = sum(1 for r in rows if not r.same)
    return (
        f"total over {len(rows)} commits: cached {cached:.1f}s, uncached {uncached:.1f}s, "
        f"ratio {ratio:.3f}; verdicts differ at {differing} commit(s)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Replay, print the table and the totals; exit 1 if any verdict differs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", required=True, type=Path, help="a KubeStellar clone (any git checkout)")
    parser.add_argument("--commits", type=int, default=10, help="how many first-parent commits (default 10)")
    parser.add_argument("--rev", default="HEAD", help="the commit whose history is replayed (default HEAD)")
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    args = parser.parse_args(argv)
    print(f"{'commit':<12} {'cached':>8} {'uncached':>8} {'verdicts':<9} {'reference':<28} steps")
    with tempfile.TemporaryDirectory(prefix="kstasks-replay-") as temp:
        rows = replay(
            args.repo.resolve(),
            args.commits,
            rev=args.rev,
            work=Path(temp),
            progress=lambda row: print(format_row(row), flush=True),
        )
    print(totals(rows))
    for row in rows:
        if not row.same:
            print(f"\n{row.commit}: cached {row.cached.verdicts} (exit {row.cached.code})")
            print(f"{row.commit}: uncached {row.uncached.verdicts} (exit {row.uncached.code})")
            print(row.cached.tail[-1500:])
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=2) + "\n")
    return 0 if all(row.same for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
