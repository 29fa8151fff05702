"""Tasks for the robustness tests, run by the real ``invoke`` command in a test directory.

Each is wrapped as kstasks wraps its own tasks (``kstasks.tasks.guarded``), so what the tests
see is what a user of ``invoke`` with a kstasks tasks.py sees. Each task writes a "ready" file
once it is where the test wants to interrupt it.
"""

from __future__ import annotations

import json
import os
import shlex
import time
from pathlib import Path

from invoke import Collection, task
from invoke.context import Context

from kstasks.core import locks, output, runner, scratch
from kstasks.tasks import OUTPUT_SETTING, guarded


def _ready(ready: str, data: object) -> None:
    temp = Path(ready + ".tmp")
    temp.write_text(json.dumps(data))
    temp.rename(ready)


def _wait_for(path: Path) -> None:
    deadline = time.monotonic() + 30
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)


@task
def hang(c: Context, ready: str, ignore_term: bool = False) -> None:
    """A command (and its child) that never ends, inside a scratch directory.

    The ready file says: the scratch directory, the shell's pid, its child's pid.
    """
    with scratch.directory("hang") as path:
        trap = "trap '' TERM; " if ignore_term else ""
        temp, final = shlex.quote(ready + ".tmp"), shlex.quote(ready)
        script = f"{trap}sleep 300 & echo {shlex.quote(str(path))} $$ $! > {temp}; mv {temp} {final}; wait"
        runner.run(["sh", "-c", script])


@task
def both(c: Context, ready: str) -> None:
    """Two never-ending commands at once (runner.parallel)."""
    pids: list[int] = []

    def start(name: str) -> None:
        runner.run(["sh", "-c", f"echo $$ > {ready}.{name}; exec sleep 300"])

    def announce() -> None:
        for name in ("a", "b"):
            _wait_for(Path(f"{ready}.{name}"))
            pids.append(int(Path(f"{ready}.{name}").read_text()))
        _ready(ready, {"pids": pids})

    runner.parallel(lambda: start("a"), lambda: start("b"), announce)


@task
def worktree(c: Context, repo: str, ready: str) -> None:
    """A git worktree inside a scratch directory, then wait (to be killed)."""
    with scratch.directory("worktree") as path:
        runner.run(["git", "worktree", "add", "--detach", "--quiet", str(path / "tree"), "HEAD"], cwd=repo)
        _ready(ready, {"scratch": str(path)})
        time.sleep(300)


@task
def swap(c: Context, target: str, ready: str) -> None:
    """Half a swap of ``target``: its scratch directory filled, then wait (to be killed)."""
    where = Path(target)
    with scratch.directory(f"{where.name}-swap", parent=where.parent) as path:
        (path / "new").mkdir()
        (path / "new" / "half.go").write_text("package half\n")
        _ready(ready, {"scratch": str(path)})
        time.sleep(300)


@task
def hold(c: Context, repo: str, log: str, seconds: float = 1.0, what: str = "hold") -> None:
    """Write start/end lines to ``log`` while holding ``repo``'s checkout lock."""
    with locks.checkout_lock(Path(repo), what), open(log, "a") as out:
        out.write(f"start {os.getpid()}\n")
        out.flush()
        time.sleep(float(seconds))
        out.write(f"end {os.getpid()}\n")


@task
def boom(c: Context) -> None:
    """A bug: an exception nobody foresaw."""
    raise ValueError("the detail of the bug")


@task
def full(c: Context) -> None:
    """A write to a full disk."""
    with open("/dev/full", "w") as out:
        out.write("x" * 10)


@task
def readonly(c: Context, path: str) -> None:
    """A write into a read-only directory."""
    (Path(path) / "new-file").write_text("x")


@task
def steps(c: Context) -> None:
    """Two steps, a command, a warning and a result."""
    with output.step("first step"):
        runner.run(["sh", "-c", "echo tool-stdout; echo tool-stderr >&2"])
    with output.step("second step"):
        output.say("progress message")
    output.warn("something to know")
    print("the result")


ns = Collection(*(guarded(t) for t in (hang, both, worktree, swap, hold, boom, full, readonly, steps)))
ns.configure({"kstasks": dict(OUTPUT_SETTING)})
