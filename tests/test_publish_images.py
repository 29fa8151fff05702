"""Release and tool images: reproducible ko builds pushed by digest, tags last; resume; races; --trace."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import kstasks, make_cli_source
from tests.fakegithub import FakeGitHub, serve
from tests.test_images import index, tags

pytestmark = pytest.mark.tools


@pytest.fixture(scope="module")
def cli_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_cli_source(tmp_path_factory.mktemp("upstream") / "clusteradm", "clusteradm", ("0.8.2",))


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with serve() as fake:
        yield fake


def _tool_command(source: Path, registry: str, platforms: str, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "kstasks",
        "build-clusteradm-image",
        "-v",
        "0.8.2",
        "--registry",
        registry,
        "--platform",
        platforms,
        "--source",
        str(source),
        *extra,
    ]


def _env(base_image: str, github: FakeGitHub) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if k != "KSTASKS_REPO"},
        "GITHUB_API_URL": github.url,
        "KO_DEFAULTBASEIMAGE": base_image,
    }


def test_publish_images_resumes_with_identical_rebuilds(
    sample_repo: Path, registry: str, base_image: str
) -> None:
    location = f"{registry}/resume"
    env = {"KSTASKS_REPO": str(sample_repo), "KO_DEFAULTBASEIMAGE": base_image}
    common = ("--version", "0.25.0", "--registry", location, "--platform", "linux/amd64")
    half = kstasks("publish-images", *common, "--component", "controller-manager", cwd=sample_repo, env=env)
    assert half.returncode == 0, half.stderr
    first_digest = index(registry, "resume/controller-manager", "0.25.0")[0]
    assert tags(registry, "resume/ocm-transport-controller") == []

    whole = kstasks("publish-images", *common, cwd=sample_repo, env=env)
    assert whole.returncode == 0, whole.stderr
    assert (
        f"already published, identical: {location}/controller-manager:0.25.0@{first_digest}" in whole.stderr
    )
    transport = index(registry, "resume/ocm-transport-controller", "0.25.0")[0]
    assert f"pushed {location}/ocm-transport-controller:0.25.0@{transport}" in whole.stdout
    assert index(registry, "resume/controller-manager", "0.25.0")[0] == first_digest


@pytest.mark.parametrize("trial", range(2))
def test_two_tool_image_builds_racing_one_wins(
    trial: int, cli_source: Path, registry: str, base_image: str, github: FakeGitHub, tmp_path: Path
) -> None:
    location = f"{registry}/race{trial}"
    procs = [
        subprocess.Popen(
            _tool_command(cli_source, location, platforms),
            cwd=tmp_path,
            env=_env(base_image, github),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for platforms in ("linux/amd64", "linux/arm64")
    ]
    results = [(*proc.communicate(timeout=300), proc.returncode) for proc in procs]
    codes = sorted(code for _, _, code in results)
    assert codes == [0, 1], [err[-800:] for _, err, _ in results]
    winner = next(out for out, _, code in results if code == 0)
    loser = next(err for _, err, code in results if code == 1)
    assert "someone else's digest" in loser.rstrip().splitlines()[-1]
    digest = index(registry, f"race{trial}/clusteradm", "0.8.2")[0]
    assert f"pushed {location}/clusteradm:0.8.2@{digest}" in winner


def test_trace_shows_ko_output_as_it_runs(
    cli_source: Path, registry: str, base_image: str, github: FakeGitHub, tmp_path: Path
) -> None:
    proc = subprocess.Popen(
        _tool_command(cli_source, f"{registry}/traced", "linux/amd64", "--trace"),
        cwd=tmp_path,
        env=_env(base_image, github),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        seen_while_running = False
        deadline = time.monotonic() + 300
        for line in proc.stderr:
            assert time.monotonic() < deadline
            if "Building example.com/clusteradm/cmd/clusteradm for linux/amd64" in line:
                seen_while_running = proc.poll() is None and not tags(registry, "traced/clusteradm")
                break
        proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert seen_while_running
