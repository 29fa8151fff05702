"""chart, package-charts and publish-charts with real kustomize, helm, yq and a real registry."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import urllib.request
from pathlib import Path

import pytest
import yaml

from kstasks.project import settings
from kstasks.toolchain import tools
from tests.conftest import free_port, git, kstasks, tree_digest
from tests.publishing import other_set

pytestmark = pytest.mark.tools

IMAGE = "ghcr.io/kubestellar/kubestellar/controller-manager:v0.24.0"
TEMPLATE = "chart/templates/controller-manager.yaml"


def run_in(checkout: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return kstasks(*args, cwd=checkout, env={"KSTASKS_REPO": str(checkout), **env})


def makefile_chart(checkout: Path, image: str) -> list[dict]:
    """What `make chart` produces: kustomize edit in place, build, yq twice, git checkout."""
    box = tools.Toolbox(settings.defaults({})["versions"])
    kustomize, yq = str(box.binary("kustomize")), str(box.binary("yq"))
    stripped = subprocess.run(
        ["sed", r"s/\(:.*\)v/\1/"], input=image, capture_output=True, text=True, check=True
    ).stdout.strip()
    subprocess.run(
        [kustomize, "edit", "set", "image", f"controller={stripped}"],
        cwd=checkout / "config/manager",
        check=True,
    )
    built = subprocess.run(
        [kustomize, "build", "config/default"], cwd=checkout, capture_output=True, text=True, check=True
    ).stdout
    prefix = '"{{.Values.ControlPlaneName}}-" + .'
    for expression in (
        f'. | select(.kind == "ClusterRole*").metadata.name |= {prefix}',
        f'. | select(.kind == "ClusterRoleBinding").roleRef.name |= {prefix}',
    ):
        built = subprocess.run(
            [yq, expression], input=built, capture_output=True, text=True, check=True
        ).stdout
    git(checkout, "checkout", "--", "config/manager/kustomization.yaml")
    return list(yaml.safe_load_all(built))


def test_chart_gives_the_makefile_documents_deterministically(sample_repo: Path) -> None:
    expected = makefile_chart(sample_repo, IMAGE)
    first = run_in(sample_repo, "chart", "--image", IMAGE)
    assert first.returncode == 0, first.stderr
    produced = (sample_repo / TEMPLATE).read_bytes()
    docs = list(yaml.safe_load_all(produced))
    assert docs == expected
    assert [d["kind"] for d in docs][:3] == ["ServiceAccount", "Role", "ClusterRole"]
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == (
        "ghcr.io/kubestellar/kubestellar/controller-manager:0.24.0"
    )
    (sample_repo / TEMPLATE).unlink()
    assert run_in(sample_repo, "chart", "--image", IMAGE).returncode == 0
    assert (sample_repo / TEMPLATE).read_bytes() == produced
    assert git(sample_repo, "status", "--porcelain") == ""


def test_chart_keeps_uncommitted_edits_under_config(sample_repo: Path) -> None:
    kustomization = sample_repo / "config/manager/kustomization.yaml"
    kustomization.write_text(kustomization.read_text() + "# my uncommitted note\n")
    manager = sample_repo / "config/manager/manager.yaml"
    manager.write_text(manager.read_text().replace("replicas: 1", "replicas: 3"))
    before = tree_digest(sample_repo / "config")
    result = run_in(sample_repo, "chart", IMAGE_TAG="abc1234")
    assert result.returncode == 0, result.stderr
    assert tree_digest(sample_repo / "config") == before
    docs = list(yaml.safe_load_all((sample_repo / TEMPLATE).read_text()))
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    assert deployment["spec"]["replicas"] == 3
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == (
        "ghcr.io/kubestellar/kubestellar/controller-manager:abc1234"
    )


def test_chart_kustomize_failure_changes_nothing(sample_repo: Path) -> None:
    broken = sample_repo / "config/default/kustomization.yaml"
    broken.write_text(broken.read_text().replace("- ../manager", "- ../no-such-dir"))
    before = tree_digest(sample_repo)
    result = run_in(sample_repo, "chart", "--image", IMAGE)
    assert result.returncode == 1
    assert "no-such-dir" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1].startswith("error: kustomize build config/default failed")
    assert tree_digest(sample_repo) == before


def test_package_charts_rejects_a_bad_version_before_any_work(sample_repo: Path) -> None:
    result = run_in(sample_repo, "package-charts", "--version", "0.25")
    assert result.returncode == 2
    assert "invalid version '0.25'" in result.stderr and "==>" not in result.stderr
    assert not (sample_repo / "dist").exists()


def _chart_yaml(archive: Path) -> dict:
    with tarfile.open(archive) as tar:
        name = next(
            m.name for m in tar.getmembers() if m.name.count("/") == 1 and m.name.endswith("Chart.yaml")
        )
        return yaml.safe_load(tar.extractfile(name).read())  # type: ignore[union-attr]


def _member(archive: Path, suffix: str) -> str:
    with tarfile.open(archive) as tar:
        name = next(m.name for m in tar.getmembers() if m.name.endswith(suffix))
        return tar.extractfile(name).read().decode()  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def packaged(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[str, str], subprocess.CompletedProcess]:
    from tests.conftest import make_sample_repo

    checkout = make_sample_repo(tmp_path_factory.mktemp("pkg") / "checkout")
    before = tree_digest(checkout)
    result = run_in(checkout, "-v", "package-charts", "--version", "v0.25.0-rc.1")  # -v: commands echoed
    return checkout, before, result


def test_package_charts_specialises_the_three_charts(packaged: tuple) -> None:
    checkout, before, result = packaged
    assert result.returncode == 0, result.stderr
    archives = sorted((checkout / "dist").glob("*.tgz"))
    assert [a.name for a in archives] == [
        "controller-manager-chart-0.25.0-rc.1.tgz",
        "core-chart-0.25.0-rc.1.tgz",
        "ocm-transport-controller-chart-0.25.0-rc.1.tgz",
    ]
    for archive in archives:
        meta = _chart_yaml(archive)
        assert (meta["version"], meta["appVersion"]) == ("0.25.0-rc.1", "0.25.0-rc.1")
    manager = _member(archives[0], "templates/controller-manager.yaml")
    assert "image: ghcr.io/kubestellar/kubestellar/controller-manager:0.25.0-rc.1" in manager
    assert 'KUBESTELLAR_VERSION: "0.25.0-rc.1"' in _member(archives[1], "core-chart/values.yaml")
    assert "name: kubeflex-operator" in _member(archives[1], "charts/kubeflex-operator/Chart.yaml")
    transport = _member(archives[2], "templates/controller.yaml")
    assert "image: ghcr.io/kubestellar/kubestellar/ocm-transport-controller:0.25.0-rc.1" in transport
    for step in ("helm lint", "helm package"):
        assert result.stderr.count(step) >= 3
    after = tree_digest(checkout)
    assert {k: v for k, v in after.items() if not k.startswith("dist/")} == before
    assert git(checkout, "status", "--porcelain") == ""  # dist/ is ignored, as in KubeStellar


def test_dependency_update_failure_is_clear_and_packages_nothing(sample_repo: Path) -> None:
    chart_yaml = sample_repo / "core-chart/Chart.yaml"
    chart_yaml.write_text(
        chart_yaml.read_text().replace(
            "file://../kubeflex-operator-chart", f"oci://127.0.0.1:{free_port()}/kubeflex"
        )
    )
    result = run_in(sample_repo, "package-charts", "--version", "0.25.0")
    assert result.returncode == 1
    last = result.stderr.rstrip().splitlines()[-1]
    assert "helm dependency update (core chart) failed" in last and "--skip-dependency-update" in last
    assert not (sample_repo / "dist").exists()
    skipped = run_in(sample_repo, "package-charts", "--version", "0.25.0", "--skip-dependency-update")
    assert skipped.returncode == 1 and "missing in charts/ directory" in skipped.stderr
    assert not (sample_repo / "dist").exists()


def _manifest_digest(registry: str, repository: str, tag: str) -> str:
    request = urllib.request.Request(
        f"http://{registry}/v2/{repository}/manifests/{tag}",
        headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
        method="HEAD",
    )
    with urllib.request.urlopen(request) as response:
        return response.headers["Docker-Content-Digest"]


def test_publish_reads_back_resumes_identically_and_refuses_other_content(
    packaged: tuple, registry: str, tmp_path: Path
) -> None:
    checkout, _, packaging = packaged
    assert packaging.returncode == 0
    destination = f"oci://{registry}/kubestellar/kubestellar"
    first = run_in(checkout, "publish-charts", "--version", "0.25.0-rc.1", "--registry", destination)
    assert first.returncode == 0, first.stderr
    lines = [line for line in first.stdout.splitlines() if line.startswith("oci://")]
    assert len(lines) == 3
    assert f"{destination}/core-chart:0.25.0-rc.1@sha256:" in first.stdout
    with urllib.request.urlopen(
        f"http://{registry}/v2/kubestellar/kubestellar/core-chart/tags/list"
    ) as response:
        assert json.load(response)["tags"] == ["0.25.0-rc.1"]
    digest = _manifest_digest(registry, "kubestellar/kubestellar/core-chart", "0.25.0-rc.1")
    assert f"core-chart:0.25.0-rc.1@{digest}" in first.stdout

    # helm itself pulls what was pushed over the API, byte for byte
    box = tools.Toolbox(settings.defaults({})["versions"])
    pulled = tmp_path / "pulled"
    pulled.mkdir()
    subprocess.run(
        [
            str(box.binary("helm")),
            "pull",
            f"{destination}/core-chart",
            "--version",
            "0.25.0-rc.1",
            "--plain-http",
            "--destination",
            str(pulled),
        ],
        check=True,
        capture_output=True,
        env={**os.environ, "HELM_REGISTRY_CONFIG": str(tmp_path / "r.json")},
    )
    archive = checkout / "dist/core-chart-0.25.0-rc.1.tgz"
    assert (pulled / archive.name).read_bytes() == archive.read_bytes()

    again = run_in(checkout, "publish-charts", "--version", "0.25.0-rc.1", "--registry", destination)
    assert again.returncode == 0, again.stderr
    assert again.stderr.count("already published, identical") == 3
    assert _manifest_digest(registry, "kubestellar/kubestellar/core-chart", "0.25.0-rc.1") == digest
    assert sorted(again.stdout.splitlines()) == sorted(lines)

    other = other_set(checkout / "dist", tmp_path / "other", "0.25.0-rc.1", "core-chart")
    refused = run_in(
        checkout,
        "publish-charts",
        "--version",
        "0.25.0-rc.1",
        "--registry",
        destination,
        "--dist",
        str(other),
    )
    assert refused.returncode == 1
    last = refused.stderr.rstrip().splitlines()[-1]
    assert "already published" in last and "someone else's digest" in last and "core-chart" in last
    assert "nothing was pushed" in last and "upload" not in refused.stderr
    assert _manifest_digest(registry, "kubestellar/kubestellar/core-chart", "0.25.0-rc.1") == digest

    forced = run_in(
        checkout,
        "publish-charts",
        "--version",
        "0.25.0-rc.1",
        "--registry",
        destination,
        "--dist",
        str(other),
        "--force",
    )
    assert forced.returncode == 0, forced.stderr
    assert _manifest_digest(registry, "kubestellar/kubestellar/core-chart", "0.25.0-rc.1") != digest


def test_publish_to_an_unreachable_registry_is_a_clear_error(packaged: tuple) -> None:
    checkout = packaged[0]
    result = run_in(
        checkout,
        "publish-charts",
        "--version",
        "0.25.0-rc.1",
        "--registry",
        f"oci://127.0.0.1:{free_port()}/x",
    )
    assert result.returncode == 2
    assert "is unreachable" in result.stderr.rstrip().splitlines()[-1]


def test_publish_without_packages_says_what_to_run(sample_repo: Path, registry: str) -> None:
    result = run_in(sample_repo, "publish-charts", "--version", "9.9.9", "--registry", f"oci://{registry}/x")
    assert result.returncode == 2 and "package-charts --version 9.9.9" in result.stderr
    shutil.rmtree(sample_repo / "dist", ignore_errors=True)
