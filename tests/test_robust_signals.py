"""Ctrl-C and SIGTERM: running commands stopped, scratch and worktrees removed, one line, 130/143.

Real processes and real signals: the driver tasks run under the real ``invoke`` command, the
last test interrupts a real ``kstasks verify-codegen``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import git
from tests.robust_support import driver_env, gone_soon, start, wait_for


def _interrupt_hang(
    tmp_path: Path, signum: int, *extra: str
) -> tuple[subprocess.Popen[str], str, list[int], str]:
    ready = tmp_path / "ready"
    proc = start(tmp_path, "hang", "--ready", str(ready), *extra)
    scratch_dir, *pids = wait_for(ready, proc).split()
    os.kill(proc.pid, signum)
    _, err = proc.communicate(timeout=30)
    return proc, scratch_dir, [int(pid) for pid in pids], err


@pytest.mark.parametrize(
    ("signum", "code", "line"),
    [(signal.SIGTERM, 143, "interrupted (SIGTERM)"), (signal.SIGINT, 130, "interrupted")],
)
def test_signal_stops_the_command_and_its_children_and_removes_scratch(
    tmp_path: Path, signum: int, code: int, line: str
) -> None:
    proc, scratch_dir, pids, err = _interrupt_hang(tmp_path, signum)
    assert proc.returncode == code
    assert err.strip().splitlines() == [line]
    assert gone_soon(pids), "the command or its child still runs"
    assert not Path(scratch_dir).exists()


def test_a_command_ignoring_sigterm_is_killed_after_the_grace_period(tmp_path: Path) -> None:
    started = time.monotonic()
    proc, scratch_dir, pids, _ = _interrupt_hang(tmp_path, signal.SIGTERM, "--ignore-term")
    assert proc.returncode == 143
    assert gone_soon(pids)
    assert time.monotonic() - started < 20
    assert not Path(scratch_dir).exists()


def test_parallel_commands_are_all_stopped(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    proc = start(tmp_path, "both", "--ready", str(ready))
    pids = json.loads(wait_for(ready, proc))["pids"]
    os.kill(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143
    assert err.strip().splitlines() == ["interrupted (SIGTERM)"]
    assert gone_soon(pids)


def _worktrees(repo: Path) -> list[str]:
    listing = git(repo, "worktree", "list", "--porcelain")
    return [line for line in listing.splitlines() if line.startswith("worktree ")]


@pytest.mark.tools
def test_sigterm_during_verify_codegen_removes_its_worktree(sample_repo: Path, tmp_path: Path) -> None:
    env = driver_env(tmp_path)
    env.pop("XDG_CACHE_HOME")  # the real task needs the installed tools
    proc = subprocess.Popen(
        [sys.executable, "-m", "kstasks", "verify-codegen", "--no-cache", "--repo", str(sample_repo)],
        cwd=sample_repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while len(_worktrees(sample_repo)) < 2:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no worktree appeared"
        time.sleep(0.05)
    time.sleep(0.3)  # into the generation
    os.kill(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert err.strip().splitlines()[-1] == "interrupted (SIGTERM)"
    assert len(_worktrees(sample_repo)) == 1
    assert list((tmp_path / "tmp").iterdir()) == []
    assert git(sample_repo, "status", "--porcelain") == ""
