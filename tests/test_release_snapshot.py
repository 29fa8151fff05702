"""kstasks release on the v0.30-shaped sample, with the real tools (go, ko, helm, syft) and the real
loopback registry: two snapshot runs of one commit in different directories, compared byte for
byte; what they built against what the config describes; the SBOMs against ``go version -m``;
the images' binaries carrying the version; and the refusals before any work."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import subprocess
import tarfile
from pathlib import Path

import pytest

from kstasks.core import errors
from kstasks.project import settings
from kstasks.release.goreleaser import build as building
from kstasks.release.goreleaser import images as imaging
from kstasks.release.goreleaser.config import expected_artifacts, load_plan
from kstasks.toolchain import tools
from tests.conftest import kstasks
from tests.samples import make_variant_repo

pytestmark = pytest.mark.tools

VERSION = "0.30.0"
MIRROR = "mirror"
"""Where the tests' registry holds copies of core-chart's OCI dependencies (oci://<registry>/mirror/X)."""


def helm() -> Path:
    return tools.Toolbox(settings.defaults({})["versions"]).binary("helm")


def push_dependency_charts(registry: str, workdir: Path) -> None:
    """Small stand-ins for kubeflex-operator v0.9.3 and argo-cd 9.1.0, where the mirror has them."""
    for name, version, repository in (
        ("kubeflex-operator", "v0.9.3", "ghcr.io/kubestellar/kubeflex/chart"),
        ("argo-cd", "9.1.0", "ghcr.io/argoproj/argo-helm"),
    ):
        chart = workdir / name
        (chart / "templates").mkdir(parents=True)
        (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: {version}\n")
        subprocess.run([helm(), "package", str(chart), "-d", str(workdir)], check=True, capture_output=True)
        archive = workdir / f"{name}-{version}.tgz"
        destination = f"oci://{registry}/{MIRROR}/{repository}"
        subprocess.run(
            [helm(), "push", str(archive), destination, "--plain-http"], check=True, capture_output=True
        )


def snapshot(checkout: Path, registry: str, base_image: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return kstasks(
        "release",
        VERSION,
        "--snapshot",
        "--chart-dependency-registry",
        f"{registry}/{MIRROR}",
        *extra,
        cwd=checkout,
        env={"KO_DEFAULTBASEIMAGE": base_image},
        timeout=1800,
    )


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory: pytest.TempPathFactory, registry: str, base_image: str) -> tuple[Path, Path]:
    """One commit, cloned into a second directory; a snapshot release made in each."""
    root = tmp_path_factory.mktemp("release")
    push_dependency_charts(registry, root / "charts")
    first = make_variant_repo(root / "one" / "kubestellar", "v0.30", tag=f"v{VERSION}")
    second = root / "elsewhere" / "deeper" / "kubestellar"
    subprocess.run(["git", "clone", "-q", str(first), str(second)], check=True)
    for checkout in (first, second):
        result = snapshot(checkout, registry, base_image)
        assert result.returncode == 0, result.stderr[-3000:]
        assert f"snapshot {VERSION}: nothing published" in result.stdout
    return first, second


def _files(dist: Path) -> dict[str, str]:
    return {
        p.relative_to(dist).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(dist.rglob("*"))
        if p.is_file()
    }


def test_two_snapshots_of_one_commit_are_byte_identical(snapshots: tuple[Path, Path]) -> None:
    one, two = (s / "dist" for s in snapshots)
    assert _files(one) == _files(two)
    names = set(_files(one))
    assert {
        "kssample_0.30.0_linux_amd64.tar.gz",
        "kssample_0.30.0_checksums.txt",
        "core-chart-0.30.0.tgz",
    } <= names


def test_the_snapshot_holds_exactly_what_the_config_describes(snapshots: tuple[Path, Path]) -> None:
    checkout = snapshots[0]
    expected = expected_artifacts(load_plan(checkout), VERSION)
    listing = json.loads((checkout / "dist" / "artifacts.json").read_text())
    for kind in ("archive", "sbom", "checksums", "chart"):
        assert sorted(r["name"] for r in listing if r["kind"] == kind) == sorted(
            a.name for a in expected if a.kind == kind
        ), kind
    assert sorted((r["name"], r["platform"]) for r in listing if r["kind"] == "image") == sorted(
        (a.name, a.platform) for a in expected if a.kind == "image"
    )
    for artifact in (a for a in expected if a.kind == "binary"):
        target = f"{artifact.build}_{artifact.platform.replace('/', '_')}_*"
        (found,) = (checkout / "dist").glob(f"{target}/{artifact.name}")
        assert found.is_file()


def test_checksums_and_archives_are_goreleasers_layout(snapshots: tuple[Path, Path]) -> None:
    dist = snapshots[0] / "dist"
    lines = (dist / "kssample_0.30.0_checksums.txt").read_text().splitlines()
    names = [line.split("  ", 1)[1] for line in lines]
    assert names == sorted(names) and len(names) == 8  # two archives, six binary SBOMs
    for line in lines:
        digest, name = line.split("  ", 1)
        assert hashlib.sha256((dist / name).read_bytes()).hexdigest() == digest
    archive = dist / "kssample_0.30.0_linux_arm64.tar.gz"
    with gzip.open(archive) as stream:
        assert stream.read(1)
    assert archive.read_bytes()[4:8] == b"\0\0\0\0"  # no time in the gzip header
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == [
        "bin/controller-manager",
        "bin/kflex-get-kubeconfig",
        "bin/ocm-transport-controller",
    ]
    commit_time = int(
        subprocess.run(
            ["git", "show", "-s", "--format=%ct"],
            cwd=snapshots[0],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert {(m.uid, m.gid, m.uname, m.gname, m.mtime, m.mode) for m in members} == {
        (0, 0, "", "", commit_time, 0o755)
    }


def _modules(binary: Path) -> set[tuple[str, str]]:
    out = subprocess.run(
        ["go", "version", "-m", str(binary)], capture_output=True, text=True, check=True
    ).stdout
    return {
        (fields[1], fields[2])
        for line in out.splitlines()
        if (fields := line.strip().split("\t"))[0] in ("dep", "=>") and len(fields) >= 3
    }


def test_each_sbom_is_spdx_json_listing_every_module_in_its_binary(snapshots: tuple[Path, Path]) -> None:
    dist = snapshots[0] / "dist"
    for name in ("controller-manager", "ocm-transport-controller", "kflex-get-kubeconfig"):
        for arch, variant in (("amd64", "v1"), ("arm64", "v8.0")):
            document = json.loads((dist / f"{name}_linux_{arch}.sbom").read_text())
            assert document["spdxVersion"].startswith("SPDX-")
            listed = {(p["name"], p.get("versionInfo", "")) for p in document["packages"]}
            binary = dist / f"{name}_linux_{arch}_{variant}" / "bin" / name
            modules = _modules(binary)
            assert modules <= listed, modules - listed
            assert ("example.com/kssample", "(devel)") in listed or any(
                n == "example.com/kssample" for n, _ in listed
            )
            if name != "kflex-get-kubeconfig":  # the one without dependencies
                assert len(modules) > 5
            assert document["creationInfo"]["created"].endswith("Z")
            assert document["documentNamespace"].endswith(hashlib.sha256(binary.read_bytes()).hexdigest())


def test_release_binaries_carry_the_checkouts_ldflags(snapshots: tuple[Path, Path]) -> None:
    binary = snapshots[0] / "dist" / "controller-manager_linux_amd64_v1" / "bin" / "controller-manager"
    out = subprocess.run(
        ["go", "version", "-m", str(binary)], capture_output=True, text=True, check=True
    ).stdout
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=snapshots[0], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert f"-X main.Version=v{VERSION}.{commit}" in out
    assert "CGO_ENABLED=0" in out and "-trimpath" not in out


def _layout_binary(layout: Path, platform: str, name: str) -> bytes:
    def blob(digest: str) -> bytes:
        algorithm, _, hexdigest = digest.partition(":")
        return (layout / "blobs" / algorithm / hexdigest).read_bytes()

    manifest = json.loads(blob(imaging.layout_platforms(layout)[platform]))
    for layer in manifest["layers"]:
        with tarfile.open(fileobj=io.BytesIO(blob(layer["digest"]))) as tar:
            for member in tar.getmembers():
                if member.name.endswith(f"ko-app/{name}"):
                    handle = tar.extractfile(member)
                    assert handle is not None
                    return handle.read()
    raise AssertionError(f"no ko-app/{name} in the {platform} image")


def test_ko_images_carry_the_version_in_their_binary(
    snapshots: tuple[Path, Path], tmp_path: Path, base_image: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KO_DEFAULTBASEIMAGE", base_image)
    plan = load_plan(snapshots[0])
    plan = type(plan)(**{**plan.__dict__, "kos": plan.kos[2:]})  # kflex-get-kubeconfig: the smallest
    ko = tools.Toolbox(settings.defaults({})["versions"]).binary("ko")
    with building.committed_source(plan) as source:
        (image,) = imaging.build_images(plan, source, VERSION, ko, tmp_path, registry="127.0.0.1:5000/moved")
    assert image.references == (("127.0.0.1:5000/moved/kflex-get-kubeconfig", VERSION),)
    assert set(imaging.layout_platforms(image.layout)) == {"linux/amd64", "linux/arm64"}
    binary = tmp_path / "kflex-get-kubeconfig"
    binary.write_bytes(_layout_binary(image.layout, "linux/arm64", "kflex-get-kubeconfig"))
    out = subprocess.run(
        ["go", "version", "-m", str(binary)], capture_output=True, text=True, check=True
    ).stdout
    assert "GOARCH=arm64" in out and "CGO_ENABLED=0" in out
    # ko always builds with -trimpath, and under -trimpath Go leaves -ldflags out of the build
    # information: the stamp is checked in the binary's bytes (the value -X main.Version sets).
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=snapshots[0], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert f"v{VERSION}.{commit}".encode() in binary.read_bytes()


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (("0.30",), {}, "invalid version"),
        (("0.30.1",), {}, "HEAD is tagged v0.30.0, not v0.30.1"),
        ((VERSION,), {"GITHUB_TOKEN": ""}, "GITHUB_TOKEN is not set"),
        (
            (VERSION, "--sign-key", "/nonexistent/cosign.key"),
            {"GITHUB_TOKEN": "a-test-token-0123"},
            "cannot be read",
        ),
        (
            (VERSION,),
            {"GITHUB_TOKEN": "a-test-token-0123", "GITHUB_REPOSITORY": ""},
            "GITHUB_REPOSITORY is unset",
        ),
        (
            (VERSION,),
            {"GITHUB_TOKEN": "a-test-token-0123", "GITHUB_REPOSITORY": "o/r", "WORKFLOW_SYNC_TOKEN": ""},
            "--no-dispatch",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2_before_any_work(
    sample_v030: Path, args: tuple[str, ...], env: dict[str, str], message: str
) -> None:
    subprocess.run(["git", "tag", f"v{VERSION}"], cwd=sample_v030, check=True)
    result = kstasks("release", *args, cwd=sample_v030, env={"COSIGN_PASSWORD": "", **env})
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (sample_v030 / "dist").exists()


def test_an_untagged_head_needs_allow_untagged(sample_v030: Path) -> None:
    result = kstasks("release", VERSION, cwd=sample_v030, env={"GITHUB_TOKEN": "a-test-token-0123"})
    assert result.returncode == 2 and "is not tagged v0.30.0" in result.stderr
    assert "--allow-untagged" in result.stderr


def test_plan_validation_refuses_a_source_archive(sample_v030: Path) -> None:
    from kstasks.release.goreleaser import pipeline

    config = sample_v030 / ".goreleaser.yaml"
    config.write_text(config.read_text() + "source:\n  enabled: true\n")
    with pytest.raises(errors.BadInput, match="source archives"):
        pipeline.validate(
            load_plan(sample_v030), pipeline.Request(VERSION, snapshot=True, allow_untagged=True), {}
        )


def test_images_and_charts_publish_whole_and_a_rebuild_finds_them_identical(
    snapshots: tuple[Path, Path], registry: str, base_image: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a release pushes before the GitHub step (images and charts, --registry rewritten), and
    a second build of the same commit (a rerun after a kill) finding every tag identical."""
    from kstasks.charts.derive import ChartLayout
    from kstasks.core import scratch
    from kstasks.core.semver import parse_release_version
    from kstasks.images.publish import layout_artifact
    from kstasks.release.goreleaser import pipeline
    from kstasks.remote.push import publish_artifacts
    from kstasks.remote.registry import Reference, Registry

    monkeypatch.setenv("KO_DEFAULTBASEIMAGE", base_image)
    checkout = snapshots[0]
    plan = load_plan(checkout)
    box = tools.Toolbox(settings.defaults({})["versions"])
    request = pipeline.Request(
        VERSION,
        registry=f"{registry}/published",
        chart_dependency_registry=f"{registry}/{MIRROR}",
        dist="dist-pub",
    )
    version = parse_release_version(VERSION)
    outcomes = []
    for _ in range(2):
        with scratch.directory("release-test") as temp:
            built = pipeline.build_release(plan, ChartLayout(), box, request, version, temp)
            by_host = pipeline.registry_artifacts(plan, built, request, version, layout_artifact)
            assert list(by_host) == [registry]
            labels = sorted(a.label for a in by_host[registry])
            outcomes.append(publish_artifacts(Registry(Reference.parse(registry)), by_host[registry]))
    assert labels == sorted(
        [
            f"{registry}/published/{name}:{VERSION}"
            for name in ("controller-manager", "ocm-transport-controller", "kflex-get-kubeconfig")
        ]
        + [f"oci://{registry}/published/core-chart:{VERSION}"]
    )
    assert not any(o.identical for o in outcomes[0])
    assert all(o.identical for o in outcomes[1])
    assert [o.digest for o in outcomes[0]] == [o.digest for o in outcomes[1]]
