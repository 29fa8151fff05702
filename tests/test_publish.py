"""Release publishing: chart sets in dist/, build metadata, resume after a kill or a failure,
and concurrent publishers racing on a real registry (Debian's docker-registry)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from kstasks.core.semver import parse_release_version
from kstasks.release import charts
from kstasks.remote.registry import Reference
from tests.conftest import PROJECT, git, kstasks, make_sample_repo, tree_digest
from tests.publishing import other_set, race
from tests.servers import registry_server

pytestmark = pytest.mark.tools

VERSION = "0.30.0"
CHARTS = ("controller-manager-chart", "core-chart", "ocm-transport-controller-chart")


def run_in(checkout: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return kstasks(*args, cwd=checkout, env={"KSTASKS_REPO": str(checkout)})


def tags(registry: str, repository: str) -> list[str]:
    try:
        with urllib.request.urlopen(f"http://{registry}/v2/{repository}/tags/list", timeout=10) as response:
            return sorted(json.load(response).get("tags") or [])
    except urllib.error.HTTPError as err:
        assert err.code == 404
        return []


def tag_digest(registry: str, repository: str, tag: str) -> str:
    request = urllib.request.Request(
        f"http://{registry}/v2/{repository}/manifests/{tag}",
        headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return "sha256:" + hashlib.sha256(response.read()).hexdigest()


def digests(dist: Path, destination: str, version: str) -> dict[str, str]:
    """Chart name -> the manifest digest publishing ``dist`` gives."""
    release = parse_release_version(version)
    reference = Reference.parse(destination)
    return {
        a.repository.rsplit("/", 1)[-1]: a.digest
        for a in (
            charts.chart_artifact(p, reference, release) for p in charts.release_archives(dist, release)
        )
    }


def published(registry: str, path: str, tag: str) -> dict[str, str]:
    return {
        name: tag_digest(registry, f"{path}/{name}", tag)
        for name in CHARTS
        if tags(registry, f"{path}/{name}")
    }


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = make_sample_repo(tmp_path_factory.mktemp("publish") / "checkout")
    result = run_in(repo, "package-charts", "--version", VERSION)
    assert result.returncode == 0, result.stderr
    return repo


@pytest.fixture(scope="module")
def other(checkout: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same release with other bytes in core-chart (someone else's build)."""
    return other_set(checkout / "dist", tmp_path_factory.mktemp("other") / "dist", VERSION, "core-chart")


# -- dist/ as a set -------------------------------------------------------------------------


def test_package_charts_writes_a_checksummed_set(checkout: Path) -> None:
    dist = checkout / "dist"
    assert sorted(p.name for p in dist.iterdir()) == sorted(
        [f"charts-{VERSION}.sha256", *(f"{name}-{VERSION}.tgz" for name in CHARTS)]
    )
    check = subprocess.run(
        ["sha256sum", "-c", f"charts-{VERSION}.sha256"], cwd=dist, capture_output=True, text=True
    )
    assert check.returncode == 0 and check.stdout.count(": OK") == 3


def test_failed_or_interrupted_packaging_leaves_dist_as_it_was(sample_repo: Path) -> None:
    assert run_in(sample_repo, "package-charts", "--version", "0.29.0").returncode == 0
    (sample_repo / "dist" / "my-notes.txt").write_text("mine\n")
    before = tree_digest(sample_repo / "dist")

    template = sample_repo / "ocm-transport-controller-chart/templates/controller.yaml"
    good = template.read_text()
    template.write_text(good + "\n{{ .Values.nothing | nosuchfunction }}\n")
    failed = run_in(sample_repo, "package-charts", "--version", "0.29.0")
    assert failed.returncode == 1 and "helm lint (transport chart) failed" in failed.stderr
    assert tree_digest(sample_repo / "dist") == before
    template.write_text(good)

    proc = subprocess.Popen(
        [sys.executable, "-m", "kstasks", "package-charts", "--version", "0.29.0"],
        cwd=sample_repo,
        env={**os.environ, "KSTASKS_REPO": str(sample_repo)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if "==> package-charts: transport chart" in line:
                os.killpg(proc.pid, signal.SIGINT)
                break
        proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode != 0
    assert tree_digest(sample_repo / "dist") == before
    assert [p.name for p in sample_repo.iterdir() if p.name.startswith(".dist")] == []
    assert git(sample_repo, "status", "--porcelain") == ""


@pytest.mark.parametrize("damage", ["missing", "changed", "no-checksums"])
def test_publish_refuses_an_incomplete_or_changed_set_before_pushing(
    damage: str, checkout: Path, registry: str, tmp_path: Path
) -> None:
    dist = tmp_path / "dist"
    shutil.copytree(checkout / "dist", dist)
    core = dist / f"core-chart-{VERSION}.tgz"
    if damage == "missing":
        core.unlink()
    elif damage == "changed":
        core.write_bytes(core.read_bytes() + b"\0")
    else:
        (dist / f"charts-{VERSION}.sha256").unlink()
    path = f"damaged-{damage}"
    result = run_in(
        checkout,
        "publish-charts",
        "--version",
        VERSION,
        "--registry",
        f"oci://{registry}/{path}",
        "--dist",
        str(dist),
    )
    assert result.returncode == 2
    last = result.stderr.rstrip().splitlines()[-1]
    expected = {
        "missing": "is missing",
        "changed": "does not match its checksum",
        "no-checksums": "not a complete set",
    }
    assert expected[damage] in last and "package-charts --version 0.30.0" in last
    assert all(tags(registry, f"{path}/{name}") == [] for name in CHARTS)


# -- build metadata ---------------------------------------------------------------------------


def test_build_metadata_becomes_the_registry_tag_everywhere(sample_repo: Path, registry: str) -> None:
    version = "0.31.0+build.7"
    packaged = run_in(sample_repo, "package-charts", "--version", version)
    assert packaged.returncode == 0, packaged.stderr
    destination = f"oci://{registry}/meta"
    first = run_in(sample_repo, "publish-charts", "--version", version, "--registry", destination)
    assert first.returncode == 0, first.stderr
    for name in CHARTS:
        assert tags(registry, f"meta/{name}") == ["0.31.0_build.7"]
        digest = tag_digest(registry, f"meta/{name}", "0.31.0_build.7")
        assert f"{destination}/{name}:0.31.0_build.7@{digest}" in first.stdout
    again = run_in(sample_repo, "publish-charts", "--version", version, "--registry", destination)
    assert again.returncode == 0, again.stderr
    assert again.stderr.count("already published, identical") == 3
    assert again.stdout == first.stdout


# -- resume -------------------------------------------------------------------------------------


def _publisher(checkout: Path, destination: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "kstasks", "publish-charts", "--version", VERSION, "--registry", destination],
        cwd=checkout,
        env={**os.environ, "KSTASKS_REPO": str(checkout)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_first_tag(proc: subprocess.Popen[str], registry: str, path: str) -> None:
    deadline = time.monotonic() + 60
    while not tags(registry, f"{path}/{CHARTS[0]}"):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_a_killed_publish_is_completed_by_a_rerun(checkout: Path, registry: str) -> None:
    destination = f"oci://{registry}/killed"
    proc = _publisher(checkout, destination)
    try:
        _wait_for_first_tag(proc, registry, "killed")
        proc.kill()  # SIGKILL, between the first tag and the others
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert list(published(registry, "killed", VERSION)) == [CHARTS[0]]
    rerun = run_in(checkout, "publish-charts", "--version", VERSION, "--registry", destination)
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stderr.count("already published, identical") == 1
    assert published(registry, "killed", VERSION) == digests(checkout / "dist", destination, VERSION)


def test_a_failure_half_way_names_what_is_public_and_a_rerun_completes(
    checkout: Path, tmp_path: Path
) -> None:
    storage = tmp_path / "registry"
    storage.mkdir()
    with registry_server(storage) as address:
        proc = _publisher(checkout, f"oci://{address}/half")
        try:
            _wait_for_first_tag(proc, address, "half")
            time.sleep(0.2)  # it has read the tag back; the registry goes away before the next one
        except BaseException:
            proc.kill()
            raise
        expected = digests(checkout / "dist", f"oci://{address}/half", VERSION)
    _, stderr = proc.communicate(timeout=120)  # the registry went away under it
    assert proc.returncode in (1, 2)
    last = stderr.rstrip().splitlines()[-1]
    assert f"Already public: oci://{address}/half/{CHARTS[0]}:{VERSION}@{expected[CHARTS[0]]}" in last
    assert CHARTS[1] not in last.split("Already public:")[1]
    with registry_server(storage) as address:
        destination = f"oci://{address}/half"
        rerun = run_in(checkout, "publish-charts", "--version", VERSION, "--registry", destination)
        assert rerun.returncode == 0, rerun.stderr
        assert rerun.stderr.count("already published, identical") == 1
        assert published(address, "half", VERSION) == digests(checkout / "dist", destination, VERSION)


# -- races ----------------------------------------------------------------------------------------

TRIALS = int(os.environ.get("KSTASKS_RACE_TRIALS", "6"))


def _assert_one_winner(results: list[subprocess.CompletedProcess[str]]) -> int:
    codes = sorted(result.returncode for result in results)
    assert codes == [0, 1], [r.stderr[-600:] for r in results]
    loser = next(r for r in results if r.returncode == 1)
    assert "someone else's digest" in loser.stderr.rstrip().splitlines()[-1]
    return next(i for i, r in enumerate(results) if r.returncode == 0)


@pytest.mark.parametrize("trial", range(TRIALS))
def test_two_publishers_of_different_sets_at_the_same_instant_one_wins_whole(
    trial: int, checkout: Path, other: Path, registry: str
) -> None:
    destination = f"oci://{registry}/race-{trial}"
    sets = (checkout / "dist", other)
    winner = _assert_one_winner(race(sets, destination, VERSION))
    assert published(registry, f"race-{trial}", VERSION) == digests(sets[winner], destination, VERSION)


def test_two_publishers_of_the_same_set_both_succeed_identically(checkout: Path, registry: str) -> None:
    destination = f"oci://{registry}/same"
    results = race((checkout / "dist", checkout / "dist"), destination, VERSION)
    assert [r.returncode for r in results] == [0, 0], [r.stderr[-600:] for r in results]
    assert published(registry, "same", VERSION) == digests(checkout / "dist", destination, VERSION)


def test_two_publish_charts_commands_racing_one_wins(checkout: Path, other: Path, registry: str) -> None:
    destination = f"oci://{registry}/cli-race"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kstasks",
                "publish-charts",
                "--version",
                VERSION,
                "--registry",
                destination,
                "--dist",
                str(dist),
            ],
            cwd=checkout,
            env={**os.environ, "KSTASKS_REPO": str(checkout), "PYTHONPATH": str(PROJECT)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for dist in (checkout / "dist", other)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    winner = _assert_one_winner(results)
    sets = (checkout / "dist", other)
    assert published(registry, "cli-race", VERSION) == digests(sets[winner], destination, VERSION)
