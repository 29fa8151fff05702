"""One line, the right line: no traceback, and the environment blamed when it is at fault.

Real failures: a full device (/dev/full), a read-only mount (a private mount namespace),
a Go toolchain older than go.mod asks, a shell without ``go``.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from invoke.exceptions import Exit

from kstasks.core import runner
from kstasks.core.errors import KstasksError
from kstasks.tasks import guard
from tests.robust_support import PROJECT, driver_dir, driver_env, run


def _can_mount_read_only(tmp_path: Path) -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = tmp_path / "probe"
    probe.mkdir(exist_ok=True)
    result = subprocess.run(
        ["unshare", "-m", "sh", "-c", f"mount --bind {probe} {probe} && mount -o remount,bind,ro {probe}"],
        capture_output=True,
        timeout=30,
    )
    return result.returncode == 0


def _read_only(directory: Path, command: str) -> list[str]:
    """``command`` run (by sh) where ``directory`` is mounted read-only."""
    return [
        "unshare",
        "-m",
        "sh",
        "-c",
        f"mount --bind {directory} {directory} && mount -o remount,bind,ro {directory} && {command}",
    ]


def test_an_unforeseen_error_is_one_line_with_a_debug_hint(tmp_path: Path) -> None:
    result = run(tmp_path, "boom")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "unexpected ValueError: the detail of the bug" in lines[0]
    assert "KSTASKS_DEBUG=1" in lines[0]

    debug = run(tmp_path, "boom", env=driver_env(tmp_path, KSTASKS_DEBUG="1"))
    assert "Traceback" in debug.stderr and "ValueError: the detail of the bug" in debug.stderr


def test_a_full_disk_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run(tmp_path, "full")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: cannot write a file: no space left on device. "
        "Free disk space there (df -h shows where) and run again."
    ]


def test_a_read_only_directory_is_one_line_naming_it(tmp_path: Path) -> None:
    if not _can_mount_read_only(tmp_path):
        pytest.skip("no private mount namespace here")
    target = tmp_path / "target"
    target.mkdir()
    result = subprocess.run(
        _read_only(target, f"exec {sys.executable} -m invoke readonly --path {target}"),
        cwd=driver_dir(tmp_path),
        env=driver_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: cannot write {target}/new-file: read-only file system. "
        "Make it writable (or work on a writable copy) and run again."
    ]


@pytest.mark.tools
def test_manifests_on_a_read_only_checkout_blames_the_file_system(sample_repo: Path, tmp_path: Path) -> None:
    if not _can_mount_read_only(tmp_path):
        pytest.skip("no private mount namespace here")
    env = {key: value for key, value in os.environ.items() if key != "KSTASKS_REPO"}
    env["PYTHONPATH"] = str(PROJECT)
    result = subprocess.run(
        _read_only(sample_repo, f"exec {sys.executable} -m kstasks manifests --repo {sample_repo}"),
        cwd=sample_repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert "read-only file system" in last and "Make that location writable" in last
    assert "Traceback" not in result.stderr


def _failure(args: list[str], **kwargs: object) -> Exit:
    with pytest.raises(KstasksError) as caught:
        runner.run(args, what="controller-gen", todo="Fix the kubebuilder markers.", **kwargs)  # type: ignore[arg-type]
    return caught.value


def test_a_too_old_go_is_reported_as_itself(tmp_path: Path) -> None:
    module = tmp_path / "module"
    module.mkdir()
    (module / "go.mod").write_text("module example.com/m\n\ngo 1.99\n")
    (module / "m.go").write_text("package m\n")
    error = _failure(
        ["go", "build", "./..."], cwd=module, env={"GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod"}
    )
    assert error.code == 2
    last = error.message.splitlines()[-1]
    assert "requires go" in last and "Install the Go version go.mod names" in last
    assert "kubebuilder" not in error.message


def test_a_missing_go_is_reported_as_itself(tmp_path: Path) -> None:
    bare = tmp_path / "bin"
    bare.mkdir()
    for tool in ("sh",):
        os.symlink(shutil.which(tool) or "/bin/sh", bare / tool)
    error = _failure([str(bare / "sh"), "-c", "go version"], env={"PATH": str(bare)})
    assert error.code == 2
    assert "Install Go" in error.message.splitlines()[-1]
    assert "kubebuilder" not in error.message


def test_a_full_device_under_a_tool_is_reported_as_itself() -> None:
    script = "open('/dev/full', 'w').write('x' * 100000)"
    error = _failure([sys.executable, "-c", script], capture=True)
    assert error.code == 2
    assert "No space left on device" in error.message.splitlines()[-1]
    assert "kubebuilder" not in error.message


def test_a_read_only_file_system_under_a_tool_is_reported_as_itself(tmp_path: Path) -> None:
    if not _can_mount_read_only(tmp_path):
        pytest.skip("no private mount namespace here")
    target = tmp_path / "target"
    target.mkdir()
    error = _failure(_read_only(target, f"touch {target}/x"))
    assert error.code == 2
    assert "Read-only file system" in error.message.splitlines()[-1]


def test_a_tool_failing_for_its_own_reasons_keeps_the_callers_todo() -> None:
    error = _failure([sys.executable, "-c", "import sys; sys.exit('api/v1alpha1/types.go:3: bad marker')"])
    assert error.code == 1
    assert error.message.splitlines()[-1] == "error: controller-gen failed. Fix the kubebuilder markers."


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (errno.EROFS, "write /some/path: read-only file system"),
        (errno.ENOSPC, "write /some/path: no space left"),
        (errno.EACCES, "access /some/path: permission denied"),
    ],
)
def test_os_problems_name_the_path(code: int, words: str) -> None:
    error = guard.os_problem(OSError(code, os.strerror(code), "/some/path"))
    assert error is not None and error.code == 2
    assert error.message.startswith(f"error: cannot {words}")


def test_an_unknown_os_error_is_not_blamed_on_the_environment() -> None:
    assert guard.os_problem(OSError(errno.EBADF, "bad file descriptor")) is None
