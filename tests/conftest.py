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

from kstasks.core import context
from tests.servers import free_port, git, make_cli_source

__all__ = ["free_port", "git", "make_cli_source"]

PROJECT = Path(__file__).resolve().parent.parent
SAMPLE = PROJECT / "sample"


def make_sample_repo(dest: Path) -> Path:
    """A copy of the sample at ``dest``, as a git repository with one commit."""
    shutil.copytree(SAMPLE, dest)
    git(dest, "init", "--quiet", "--initial-branch=main")
    git(dest, "add", "-A")
    git(dest, "commit", "--quiet", "-m", "sample")
    return dest


def tree_digest(root: Path) -> dict[str, str]:
    """Every file below ``root`` (outside .git, and outside the ``__pycache__`` directories Python
    writes when it imports a file there, unless PYTHONDONTWRITEBYTECODE is set) with the sha256 of
    its bytes."""
    digests = {}
    for path in sorted(root.rglob("*")):
        parts = path.relative_to(root).parts
        if ".git" in parts or "__pycache__" in parts or not path.is_file():
            continue
        digests[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


@pytest.fixture
def sample_repo(tmp_path: Path) -> Path:
    """The sample as a fresh git repository in a directory that is not under any GOPATH."""
    return make_sample_repo(tmp_path / "somewhere" / "checkout")


@pytest.fixture
def sample_v030(tmp_path: Path) -> Path:
    """The sample reshaped like KubeStellar v0.30.0 (``sample-variants/v0.30``), a fresh git repository."""
    from tests.samples import make_variant_repo

    return make_variant_repo(tmp_path / "somewhere" / "v030", "v0.30")


@pytest.fixture(autouse=True)
def _run_context() -> Iterator[None]:
    """Each test runs in a run context of its own: verbose, not dry, knowing no secrets."""
    with context.running(level="verbose"):
        yield


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


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real OCI registry (distribution, Debian's docker-registry) on 127.0.0.1; ``host:port``."""
    from tests.servers import registry_server

    with registry_server(tmp_path_factory.mktemp("registry")) as address:
        yield address


@pytest.fixture(scope="session")
def docker_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Docker-API engine: podman's API service on a socket of its own; the DOCKER_HOST value."""
    from tests.servers import podman_service

    with podman_service(tmp_path_factory.mktemp("podman")) as host:
        yield host


@pytest.fixture(scope="session")
def base_image(registry: str) -> str:
    """A two-platform (amd64, arm64) base image in the test registry, for KO_DEFAULTBASEIMAGE."""
    from tests.oci import push_base_image

    push_base_image(registry, "base/static", "latest", ("amd64", "arm64"))
    return f"{registry}/base/static:latest"
