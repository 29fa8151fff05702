"""Shared fixtures: copies of the bundled sample repository, and running the CLI."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kstasks import runner

PROJECT = Path(__file__).resolve().parent.parent
SAMPLE = PROJECT / "sample"


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` and return its stdout."""
    return subprocess.run(
        ["git", "-c", "user.email=test@kstasks.invalid", "-c", "user.name=test", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def make_sample_repo(dest: Path) -> Path:
    """A copy of the sample at ``dest``, as a git repository with one commit."""
    shutil.copytree(SAMPLE, dest)
    git(dest, "init", "--quiet", "--initial-branch=main")
    git(dest, "add", "-A")
    git(dest, "commit", "--quiet", "-m", "sample")
    return dest


def tree_digest(root: Path) -> dict[str, str]:
    """Every file below ``root`` (outside .git) with the sha256 of its bytes."""
    digests = {}
    for path in sorted(root.rglob("*")):
        if ".git" in path.relative_to(root).parts or not path.is_file():
            continue
        digests[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


@pytest.fixture
def sample_repo(tmp_path: Path) -> Path:
    """The sample as a fresh git repository in a directory that is not under any GOPATH."""
    return make_sample_repo(tmp_path / "somewhere" / "checkout")


@pytest.fixture(autouse=True)
def _reset_runner() -> Iterator[None]:
    """Each test starts with a runner that is not in dry-run mode and knows no secrets."""
    runner.options.dry = False
    runner.options.echo = True
    runner.options.secrets.clear()
    yield
    runner.options.dry = False
    runner.options.secrets.clear()


def kstasks(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    """Run the kstasks command as a user would, capturing its output."""
    full_env = {key: value for key, value in os.environ.items() if key != "KSTASKS_REPO"}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "kstasks", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real OCI registry (distribution, Debian's docker-registry) on 127.0.0.1; ``host:port``."""
    import time
    import urllib.request

    binary = shutil.which("docker-registry")
    assert binary, "docker-registry is not installed: run .ci/install"
    root = tmp_path_factory.mktemp("registry")
    port = free_port()
    config = root / "config.yml"
    config.write_text(
        "version: 0.1\n"
        "log:\n  level: error\n  accesslog:\n    disabled: true\n"
        f"storage:\n  filesystem:\n    rootdirectory: {root / 'data'}\n  delete:\n    enabled: true\n"
        f"http:\n  addr: 127.0.0.1:{port}\n"
    )
    proc = subprocess.Popen(
        [binary, "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://{address}/v2/", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                assert proc.poll() is None, "docker-registry exited at start"
                assert time.monotonic() < deadline, "docker-registry did not start"
                time.sleep(0.1)
        yield address
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def docker_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Docker-API engine: podman's API service on a socket of its own; the DOCKER_HOST value."""
    import time

    podman = shutil.which("podman")
    assert podman, "podman is not installed: run .ci/install"
    socket_path = tmp_path_factory.mktemp("podman") / "podman.sock"
    host = f"unix://{socket_path}"
    proc = subprocess.Popen(
        [podman, "system", "service", "--time=0", host], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        import docker

        deadline = time.monotonic() + 30
        while True:
            try:
                docker.DockerClient(base_url=host, timeout=2).ping()
                break
            except Exception:
                assert proc.poll() is None, "podman system service exited at start"
                assert time.monotonic() < deadline, "podman system service did not answer"
                time.sleep(0.2)
        yield host
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def base_image(registry: str) -> str:
    """A two-platform (amd64, arm64) base image in the test registry, for KO_DEFAULTBASEIMAGE."""
    from tests.oci import push_base_image

    push_base_image(registry, "base/static", "latest", ("amd64", "arm64"))
    return f"{registry}/base/static:latest"


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
