"""ko local builds into a real engine (podman's API service), and tool images pushed to a real registry."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from kstasks.images import local
from kstasks.toolchain import golang
from tests.conftest import free_port, git, kstasks, make_cli_source
from tests.fakegithub import FakeGitHub, serve

pytestmark = pytest.mark.tools


@pytest.fixture(scope="module")
def cli_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_cli_source(
        tmp_path_factory.mktemp("upstream") / "clusteradm", "clusteradm", ("0.8.2", "0.9.0")
    )


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with serve() as fake:
        yield fake


@pytest.fixture
def temp_dir(tmp_path: Path) -> Path:
    """TMPDIR for the command under test, to check that it leaves nothing behind."""
    path = tmp_path / "tmp"
    path.mkdir()
    return path


def tags(registry: str, repository: str) -> list[str]:
    try:
        with urllib.request.urlopen(f"http://{registry}/v2/{repository}/tags/list") as response:
            return sorted(json.load(response).get("tags") or [])
    except urllib.error.HTTPError as err:
        assert err.code == 404
        return []


def index(registry: str, repository: str, tag: str) -> tuple[str, dict]:
    request = urllib.request.Request(
        f"http://{registry}/v2/{repository}/manifests/{tag}",
        headers={
            "Accept": "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json"
        },
    )
    with urllib.request.urlopen(request) as response:
        return response.headers["Docker-Content-Digest"], json.load(response)


def build_tool(
    *args: str, cwd: Path, temp: Path, github: FakeGitHub, base: str
) -> subprocess.CompletedProcess[str]:
    env = {
        "TMPDIR": str(temp),
        "GITHUB_API_URL": github.url,
        "KO_DEFAULTBASEIMAGE": base,
        "GITHUB_TOKEN": "t0ken-xyz",
    }
    return kstasks(*args, cwd=cwd, env=env)


def test_local_build_lands_in_the_engine_under_the_makefile_name(
    sample_repo: Path, docker_host: str, base_image: str
) -> None:
    import docker

    env = {
        "KSTASKS_REPO": str(sample_repo),
        "DOCKER_HOST": docker_host,
        "KO_DEFAULTBASEIMAGE": base_image,
        "DOCKER_REGISTRY": "example.test/kubestellar",
    }
    result = kstasks("ko-build-controller-manager-local", cwd=sample_repo, env=env)
    assert result.returncode == 0, result.stderr
    tag = git(sample_repo, "rev-parse", "--short", "HEAD").strip()
    expected = f"example.test/kubestellar/controller-manager:{tag}"
    client = docker.DockerClient(base_url=docker_host)
    image = client.images.get(expected)
    arch = golang.go_env(golang.require_go(), "GOARCH")["GOARCH"]
    assert image.attrs["Architecture"] == arch and image.attrs["Os"] == "linux"
    assert f"ko.local/controller-manager:{tag}" in image.tags
    assert expected in result.stdout
    client.images.remove(expected, force=True)


def test_ko_build_local_builds_every_configured_component(
    sample_repo: Path, docker_host: str, base_image: str
) -> None:
    import docker

    env = {
        "KSTASKS_REPO": str(sample_repo),
        "DOCKER_HOST": docker_host,
        "KO_DEFAULTBASEIMAGE": base_image,
        "IMAGE_TAG": "all1",
        "TRANSPORT_IMAGE": "example.test/custom/transport:all1",
    }
    result = kstasks("ko-build-local", cwd=sample_repo, env=env)
    assert result.returncode == 0, result.stderr
    client = docker.DockerClient(base_url=docker_host)
    for name in (
        "ghcr.io/kubestellar/kubestellar/controller-manager:all1",
        "example.test/custom/transport:all1",
    ):
        client.images.get(name)
        client.images.remove(name, force=True)


def test_no_engine_exits_2_within_seconds(sample_repo: Path, tmp_path: Path) -> None:
    started = time.monotonic()
    env = {"KSTASKS_REPO": str(sample_repo), "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"}
    result = kstasks("ko-build-controller-manager-local", cwd=sample_repo, env=env)
    assert time.monotonic() - started < 15
    assert result.returncode == 2
    last = result.stderr.rstrip().splitlines()[-1]
    assert "no Docker engine answers at unix://" in last and "DOCKER_HOST" in last
    assert "ko build" not in result.stderr


def test_unknown_arch_exits_2(sample_repo: Path) -> None:
    result = kstasks(
        "ko-build-local", "--arch", "sparc", cwd=sample_repo, env={"KSTASKS_REPO": str(sample_repo)}
    )
    assert result.returncode == 2 and "unknown platform 'linux/sparc'" in result.stderr


def test_kind_load_without_kind_exits_2(sample_repo: Path, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("git", "go"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    result = kstasks(
        "kind-load-image", cwd=sample_repo, env={"KSTASKS_REPO": str(sample_repo), "PATH": str(bin_dir)}
    )
    assert result.returncode == 2
    assert "kind is not installed" in result.stderr


def test_latest_release_is_built_for_two_platforms(
    cli_source: Path, registry: str, base_image: str, github: FakeGitHub, temp_dir: Path, tmp_path: Path
) -> None:
    github.latest("open-cluster-management-io/clusteradm", "v0.9.0")
    result = build_tool(
        "build-clusteradm-image",
        "--registry",
        f"{registry}/latest",
        "--platform",
        "linux/amd64,linux/arm64",
        "--source",
        str(cli_source),
        cwd=tmp_path,
        temp=temp_dir,
        github=github,
        base=base_image,
    )
    assert result.returncode == 0, result.stderr
    assert github.requests == [
        ("/repos/open-cluster-management-io/clusteradm/releases/latest", "Bearer t0ken-xyz")
    ]
    assert "t0ken-xyz" not in result.stderr + result.stdout
    digest, body = index(registry, "latest/clusteradm", "0.9.0")
    platforms = sorted(f"{m['platform']['os']}/{m['platform']['architecture']}" for m in body["manifests"])
    assert platforms == ["linux/amd64", "linux/arm64"]
    assert f"pushed {registry}/latest/clusteradm:0.9.0@{digest}" in result.stdout
    assert list(temp_dir.iterdir()) == []

    identical = build_tool(
        "build-clusteradm-image",
        "-v",
        "v0.9.0",
        "--registry",
        f"{registry}/latest",
        "--platform",
        "linux/amd64,linux/arm64",
        "--source",
        str(cli_source),
        cwd=tmp_path,
        temp=temp_dir,
        github=github,
        base=base_image,
    )
    assert identical.returncode == 0, identical.stderr
    assert "already published, identical" in identical.stderr
    assert f"pushed {registry}/latest/clusteradm:0.9.0@{digest}" in identical.stdout

    again = build_tool(
        "build-clusteradm-image",
        "-v",
        "v0.9.0",
        "--registry",
        f"{registry}/latest",
        "--platform",
        "linux/amd64",
        "--source",
        str(cli_source),
        cwd=tmp_path,
        temp=temp_dir,
        github=github,
        base=base_image,
    )
    assert again.returncode == 1
    last = again.stderr.rstrip().splitlines()[-1]
    assert "already published" in last and "someone else's digest" in last and "nothing was pushed" in last
    assert index(registry, "latest/clusteradm", "0.9.0")[0] == digest
    assert list(temp_dir.iterdir()) == []


def test_server_errors_are_retried(
    cli_source: Path, registry: str, base_image: str, github: FakeGitHub, temp_dir: Path, tmp_path: Path
) -> None:
    path = "/repos/open-cluster-management-io/clusteradm/releases/latest"
    github.answer(path, (500, {}, {"message": "boom"}), (502, {}, {}), (200, {}, {"tag_name": "v0.8.2"}))
    result = build_tool(
        "build-clusteradm-image",
        "--registry",
        f"{registry}/retry",
        "--platform",
        "linux/amd64",
        "--source",
        str(cli_source),
        cwd=tmp_path,
        temp=temp_dir,
        github=github,
        base=base_image,
    )
    assert result.returncode == 0, result.stderr
    assert github.count(path) == 3
    assert "retrying" in result.stderr
    assert tags(registry, "retry/clusteradm") == ["0.8.2"]
    assert list(temp_dir.iterdir()) == []


def test_rate_limit_is_a_clear_error_and_nothing_is_pushed(
    cli_source: Path, registry: str, base_image: str, github: FakeGitHub, temp_dir: Path, tmp_path: Path
) -> None:
    github.answer(
        "/repos/open-cluster-management-io/clusteradm/releases/latest",
        (
            403,
            {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1700000000"},
            {"message": "API rate limit"},
        ),
    )
    result = build_tool(
        "build-clusteradm-image",
        "--registry",
        f"{registry}/ratelimit",
        "--source",
        str(cli_source),
        cwd=tmp_path,
        temp=temp_dir,
        github=github,
        base=base_image,
    )
    assert result.returncode == 2
    last = result.stderr.rstrip().splitlines()[-1]
    assert "rate limit is reached" in last and "GITHUB_TOKEN" in last
    assert tags(registry, "ratelimit/clusteradm") == []
    assert list(temp_dir.iterdir()) == []


def test_offline_api_is_a_clear_error(
    cli_source: Path, registry: str, temp_dir: Path, tmp_path: Path
) -> None:
    env = {"TMPDIR": str(temp_dir), "GITHUB_API_URL": f"http://127.0.0.1:{free_port()}"}
    result = kstasks(
        "build-clusteradm-image",
        "--registry",
        f"{registry}/offline",
        "--source",
        str(cli_source),
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 2
    assert "is unreachable" in result.stderr and "offline" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--version", "banana"), "invalid clusteradm version 'banana'"),
        (("--version", "0.9.0", "--platform", "linux"), "unknown platform 'linux'"),
        (("--platform", "linux/amd64,plan9/arm64"), "unknown platform 'plan9/arm64'"),
        (("--version", "0.9.0", "--platform", "linux/sparc64"), "unknown platform 'linux/sparc64'"),
        (("--version", "0.9.0", "--platform", "darwin/arm64"), "unknown platform 'darwin/arm64'"),
        (("--version", "0.9.0", "--registry", "me:s3cret@example.com/x"), "carries credentials"),
        (("--version", "0.9.0", "--registry", "example.com:http/x"), "bad host or port"),
        (("--version", "0.9.0", "--registry", "https://x/y"), "invalid registry 'https://x/y'"),
    ],
)
def test_bad_input_exits_2_before_anything_is_fetched(
    args: tuple[str, ...], message: str, cli_source: Path, github: FakeGitHub, temp_dir: Path, tmp_path: Path
) -> None:
    result = kstasks(
        "build-clusteradm-image",
        *args,
        "--source",
        str(cli_source),
        cwd=tmp_path,
        env={"TMPDIR": str(temp_dir), "GITHUB_API_URL": github.url},
    )
    assert result.returncode == 2
    assert message in result.stderr
    said = [line for line in result.stderr.strip().splitlines() if not line.startswith("+ ")]
    assert len(said) == 1 and message in said[0] and "s3cret" not in result.stderr
    assert github.requests == []
    assert "git clone" not in result.stderr
    assert list(temp_dir.iterdir()) == []


def test_missing_tag_in_source_fails_and_cleans_up(
    cli_source: Path, registry: str, base_image: str, github: FakeGitHub, temp_dir: Path, tmp_path: Path
) -> None:
    result = build_tool(
        "build-clusteradm-image",
        "-v",
        "1.2.3",
        "--registry",
        f"{registry}/missing",
        "--source",
        str(cli_source),
        cwd=tmp_path,
        temp=temp_dir,
        github=github,
        base=base_image,
    )
    assert result.returncode == 1
    assert "could not fetch tag v1.2.3" in result.stderr
    assert list(temp_dir.iterdir()) == []


def test_helm_image_with_an_explicit_version(
    registry: str, base_image: str, github: FakeGitHub, temp_dir: Path, tmp_path: Path
) -> None:
    source = make_cli_source(tmp_path / "helm-src", "helm", ("3.14.4",))
    result = build_tool(
        "build-helm-image",
        "--version",
        "v3.14.4",
        "--registry",
        f"{registry}/tools",
        "--platform",
        "linux/amd64",
        "--source",
        str(source),
        cwd=tmp_path,
        temp=temp_dir,
        github=github,
        base=base_image,
    )
    assert result.returncode == 0, result.stderr
    assert github.requests == []
    assert tags(registry, "tools/helm") == ["3.14.4"]
    assert list(temp_dir.iterdir()) == []


def test_platform_parsing() -> None:
    supported = local.go_linux_platforms(golang.require_go())
    assert {"linux/amd64", "linux/arm64", "linux/ppc64le", "linux/s390x"} <= supported
    assert all(p.startswith("linux/") for p in supported)
    assert local.parse_platforms("linux/amd64, linux/arm/v7", supported) == ["linux/amd64", "linux/arm/v7"]
    assert local.split_image("localhost:5000/x/y") == ("localhost:5000/x/y", "latest")
    assert local.split_image("localhost:5000/x/y:t") == ("localhost:5000/x/y", "t")
    assert os.path.basename(
        local.Component("transport", "./pkg/transport/ocm-transport-controller").image
    ) == ("ocm-transport-controller")


def test_interrupted_tool_build_leaves_nothing_behind(
    cli_source: Path, registry: str, base_image: str, github: FakeGitHub, temp_dir: Path, tmp_path: Path
) -> None:
    import signal
    import subprocess
    import sys

    env = {
        **{k: v for k, v in os.environ.items() if k != "KSTASKS_REPO"},
        "TMPDIR": str(temp_dir),
        "GITHUB_API_URL": github.url,
        "KO_DEFAULTBASEIMAGE": base_image,
        # a fresh Go build cache makes the build take long enough to be interrupted in the middle
        "GOCACHE": str(tmp_path / "gocache"),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kstasks",
            "build-clusteradm-image",
            "-v",
            "0.8.2",
            "--registry",
            f"{registry}/interrupted",
            "--platform",
            "linux/amd64,linux/arm64",
            "--source",
            str(cli_source),
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not list(temp_dir.glob("kstasks-clusteradm-*/clusteradm/go.mod")):
            assert proc.poll() is None, "the build ended before it could be interrupted"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode != 0, stderr
    assert list(temp_dir.iterdir()) == []
    assert tags(registry, "interrupted/clusteradm") == []
