"""Running the robustness driver (tests/robust_driver.py) under the real ``invoke`` command."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def driver_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """This worktree's kstasks first on the path; private TMPDIR and cache under ``tmp_path``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(PROJECT), env.get("PYTHONPATH"))))
    env["TMPDIR"] = str(tmp_path / "tmp")
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    (tmp_path / "tmp").mkdir(exist_ok=True)
    env.pop("KSTASKS_DEBUG", None)
    env.pop("KSTASKS_OUTPUT", None)
    env.update(extra)
    return env


def driver_dir(tmp_path: Path) -> Path:
    """A directory whose tasks.py is the driver."""
    work = tmp_path / "driver"
    if not work.exists():
        work.mkdir()
        shutil.copy(PROJECT / "tests" / "robust_driver.py", work / "tasks.py")
    return work


def start(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``invoke ARGS`` on the driver, running in the background."""
    return subprocess.Popen(
        [sys.executable, "-m", "invoke", *args],
        cwd=driver_dir(tmp_path),
        env=env or driver_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``invoke ARGS`` on the driver, to its end (at most a minute)."""
    proc = start(tmp_path, *args, env=env)
    out, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def wait_for(path: Path, proc: subprocess.Popen[str], timeout: float = 30) -> str:
    """The content of ``path`` once it exists; fails if ``proc`` ends first or time runs out."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"ended early with {proc.returncode}:\n{out}\n{err}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"{path} did not appear within {timeout}s")
        time.sleep(0.05)
    return path.read_text()


def alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie nobody reaped counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def gone_soon(pids: list[int], timeout: float = 3) -> bool:
    """Whether every one of ``pids`` has ended within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while any(alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
