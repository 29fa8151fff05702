"""SIGTERM during init (a real signal, at moments after its first file is written): the run ends
with one line and leaves no file it created; running init again afterwards works without --force."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import kstasks, make_sample_repo

WRITTEN = ("tasks.py", "noxfile.py", ".github/workflows/kstasks.yaml", "invoke.yaml")


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """What a complete init writes on the sample."""
    repo = make_sample_repo(tmp_path_factory.mktemp("initref") / "checkout")
    result = kstasks("init", cwd=repo, env={"KSTASKS_REPO": str(repo)})
    assert result.returncode == 0, result.stderr
    return {name: (repo / name).read_bytes() for name in WRITTEN}


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.2])
def test_sigterm_during_init_leaves_all_or_nothing(
    delay: float, tmp_path: Path, reference: dict[str, bytes]
) -> None:
    repo = make_sample_repo(tmp_path / "checkout")
    env = {**{k: v for k, v in os.environ.items() if k != "KSTASKS_REPO"}, "KSTASKS_REPO": str(repo)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kstasks", "init"],
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not (repo / "tasks.py").exists() and proc.poll() is None:  # init is under way
        assert time.monotonic() < deadline
        time.sleep(0.005)
    time.sleep(delay)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode in (0, 143, -signal.SIGTERM), err  # -15: the signal came as it exited
    if proc.returncode == 143:
        assert [line for line in err.splitlines() if "interrupted" in line] == ["interrupted (SIGTERM)"], err
        assert all(not (repo / name).exists() for name in WRITTEN[:3]), err
    else:  # done before the signal: complete
        assert all((repo / name).read_bytes() == reference[name] for name in WRITTEN)
    again = kstasks(
        "init", *(() if proc.returncode == 143 else ("--force",)), cwd=repo, env={"KSTASKS_REPO": str(repo)}
    )
    assert again.returncode == 0, again.stderr
    assert all((repo / name).read_bytes() == reference[name] for name in WRITTEN)
