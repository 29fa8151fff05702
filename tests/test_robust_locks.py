"""The per-checkout writer lock, with two real processes."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from kstasks.core import locks
from kstasks.core.errors import KstasksError
from tests.robust_support import driver_env, run, start, wait_for


def _hold(
    tmp_path: Path, repo: Path, log: Path, seconds: float, what: str, **env: str
) -> subprocess.Popen[str]:
    return start(
        tmp_path,
        "hold",
        "--repo",
        str(repo),
        "--log",
        str(log),
        "--seconds",
        str(seconds),
        "--what",
        what,
        env=driver_env(tmp_path, **env),
    )


def test_second_writer_waits_for_the_first(tmp_path: Path) -> None:
    repo, log = tmp_path / "repo", tmp_path / "log"
    repo.mkdir()
    first = _hold(tmp_path, repo, log, 2, "all-generated")
    wait_for(log, first)
    second = _hold(tmp_path, repo, log, 0, "imports")
    _, err = second.communicate(timeout=60)
    first.communicate(timeout=60)
    assert second.returncode == 0 and first.returncode == 0
    assert f"imports: waiting for all-generated (pid {first.pid}) to finish writing {repo}" in err
    a, b = str(first.pid), str(second.pid)
    assert log.read_text().split() == ["start", a, "end", a, "start", b, "end", b]


def test_no_wait_exits_2_naming_the_holder(tmp_path: Path) -> None:
    repo, log = tmp_path / "repo", tmp_path / "log"
    repo.mkdir()
    first = _hold(tmp_path, repo, log, 30, "chart")
    try:
        wait_for(log, first)
        started = time.monotonic()
        second = run(
            tmp_path,
            "hold",
            "--repo",
            str(repo),
            "--log",
            str(log),
            env=driver_env(tmp_path, KSTASKS_LOCK_WAIT="0"),
        )
        assert second.returncode == 2
        assert f"is being written by chart (pid {first.pid})" in second.stderr
        assert time.monotonic() - started < 10
        assert log.read_text().split() == ["start", str(first.pid)]
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=30)


def test_the_lock_dies_with_a_killed_holder(tmp_path: Path) -> None:
    repo, log = tmp_path / "repo", tmp_path / "log"
    repo.mkdir()
    first = _hold(tmp_path, repo, log, 300, "package-charts")
    wait_for(log, first)
    first.kill()
    first.communicate(timeout=30)
    second = run(
        tmp_path,
        "hold",
        "--repo",
        str(repo),
        "--log",
        str(log),
        "--seconds",
        "0",
        env=driver_env(tmp_path, KSTASKS_LOCK_WAIT="5"),
    )
    assert second.returncode == 0, second.stderr
    assert "waiting" not in second.stderr


def test_other_checkouts_and_nested_holds_do_not_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    with locks.checkout_lock(one, "all-generated"):
        with locks.checkout_lock(one, "imports", wait=0):  # the same process, nested
            pass
        with locks.checkout_lock(two, "chart", wait=0):
            assert locks.holder(locks.lock_file(two)).startswith("chart (pid")


def test_bad_wait_setting_is_bad_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KSTASKS_LOCK_WAIT", "soon")
    with pytest.raises(KstasksError) as caught:
        locks.wait_limit()
    assert caught.value.code == 2


@pytest.mark.parametrize(
    "args",
    [
        ("all-generated", "--force"),
        ("manifests",),
        ("imports",),
        ("chart", "--image", "example.com/controller-manager:v1.0.0"),
        ("package-charts", "--version", "0.99.0", "--skip-dependency-update"),
        ("release-prepare", "0.99.0"),
    ],
    ids=lambda args: args[0],
)
def test_every_task_that_writes_a_checkout_takes_its_lock(sample_repo: Path, args: tuple[str, ...]) -> None:
    import os

    from tests.conftest import kstasks

    before = git_status(sample_repo)
    with locks.checkout_lock(sample_repo, "a test holding it"):
        result = kstasks(*args, "--repo", str(sample_repo), cwd=sample_repo, env={"KSTASKS_LOCK_WAIT": "0"})
    assert result.returncode == 2, result.stderr
    assert f"is being written by a test holding it (pid {os.getpid()})" in result.stderr
    assert git_status(sample_repo) == before  # it wrote nothing


def git_status(repo: Path) -> str:
    return subprocess.run(
        ["git", "status", "--porcelain", "--ignored"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout
