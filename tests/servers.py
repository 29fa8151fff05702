"""Real servers and repositories for the tests and the benchmark, all on this machine only."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` and return its stdout."""
    return subprocess.run(
        ["git", "-c", "user.email=test@kstasks.invalid", "-c", "user.name=test", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until(ready, proc: subprocess.Popen[bytes], what: str, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, f"{what} exited at start"
        assert time.monotonic() < deadline, f"{what} did not start"
        time.sleep(0.1)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def registry_server(root: Path) -> Iterator[str]:
    """Debian's docker-registry (distribution) on 127.0.0.1 with storage in ``root``; ``host:port``."""
    binary = shutil.which("docker-registry")
    assert binary, "docker-registry is not installed: run .ci/install"
    port = free_port()
    config = root / "config.yml"
    config.write_text(
        "version: 0.1\n"
        "log:\n  level: error\n  accesslog:\n    disabled: true\n"
        f"storage:\n  filesystem:\n    rootdirectory: {root / 'data'}\n  delete:\n    enabled: true\n"
        f"http:\n  addr: 127.0.0.1:{port}\n"
    )
    address = f"127.0.0.1:{port}"
    proc = subprocess.Popen(
        [binary, "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )

    def ready() -> bool:
        try:
            with urllib.request.urlopen(f"http://{address}/v2/", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    try:
        _wait_until(ready, proc, "docker-registry")
        yield address
    finally:
        _stop(proc)


@contextmanager
def podman_service(root: Path) -> Iterator[str]:
    """podman's Docker-compatible API service on a socket in ``root``; the DOCKER_HOST value."""
    import docker

    podman = shutil.which("podman")
    assert podman, "podman is not installed: run .ci/install"
    host = f"unix://{root / 'podman.sock'}"
    proc = subprocess.Popen(
        [podman, "system", "service", "--time=0", host], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )

    def ready() -> bool:
        try:
            return bool(docker.DockerClient(base_url=host, timeout=2).ping())
        except Exception:
            return False

    try:
        _wait_until(ready, proc, "podman system service")
        yield host
    finally:
        _stop(proc)


def make_cli_source(dest: Path, name: str, versions: tuple[str, ...]) -> Path:
    """A git repository with a small Go CLI at cmd/<name>, tagged v<version> for each version."""
    (dest / "cmd" / name).mkdir(parents=True)
    (dest / "go.mod").write_text(f"module example.com/{name}\n\ngo 1.21\n")
    git(dest, "init", "--quiet", "--initial-branch=main")
    for version in versions:
        (dest / "cmd" / name / "main.go").write_text(
            f'package main\n\nimport "fmt"\n\nfunc main() {{\n\tfmt.Println("{name} {version}")\n}}\n'
        )
        git(dest, "add", "-A")
        git(dest, "commit", "--quiet", "-m", f"release {version}")
        git(dest, "tag", f"v{version}")
    return dest


class FakeSession:
    """Records what a nox session body asks for."""

    def __init__(self, *posargs: str) -> None:
        self.posargs = list(posargs)
        self.calls: list[tuple[str, ...]] = []

    def install(self, *args: str) -> None:
        self.calls.append(("install", *args))

    def run(self, *args: str, **_: object) -> None:
        self.calls.append(("run", *args))

    def error(self, message: str) -> None:
        raise RuntimeError(message)

    def log(self, message: str) -> None:
        self.calls.append(("log", message))

    def warn(self, message: str) -> None:
        self.calls.append(("warn", message))

    def create_tmp(self) -> str:
        """The session's scratch directory (removed with the session object)."""
        self.tmp = tempfile.TemporaryDirectory(prefix="kstasks-test-")
        return self.tmp.name
