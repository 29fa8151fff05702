"""package-charts (and the release) package the charts the checkout's release workflow packages:
v0.25 on core-chart alone (it exited 2 there before: "no Chart.yaml" of chart/), v0.24 the three
charts with make chart's template, the core version and the transport image written in."""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

import pytest
import yaml

from kstasks.project import settings
from kstasks.toolchain import tools
from tests.conftest import kstasks
from tests.test_release_goreleaser_plan import make_v024_release_repo

pytestmark = pytest.mark.tools


def _member(archive: Path, name: str) -> str:
    with tarfile.open(archive) as tar:
        handle = tar.extractfile(name)
        assert handle is not None
        return handle.read().decode()


def test_v030_core_chart_alone_with_its_dependencies_as_they_stand(sample_v030: Path) -> None:
    helm = tools.Toolbox(settings.defaults({})["versions"]).binary("helm")
    charts = sample_v030 / "core-chart" / "charts"
    charts.mkdir()
    for name, version in (("kubeflex-operator", "v0.9.3"), ("argo-cd", "9.1.0")):
        source = sample_v030.parent / "deps" / name
        (source / "templates").mkdir(parents=True)
        (source / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: {version}\n")
        subprocess.run([helm, "package", str(source), "-d", str(charts)], check=True, capture_output=True)
    result = kstasks("package-charts", "--version", "0.30.1", "--skip-dependency-update", cwd=sample_v030)
    assert result.returncode == 0, result.stderr
    dist = sample_v030 / "dist"
    assert sorted(p.name for p in dist.glob("*.tgz")) == ["core-chart-0.30.1.tgz"]
    archive = dist / "core-chart-0.30.1.tgz"
    chart = yaml.safe_load(_member(archive, "core-chart/Chart.yaml"))
    assert (chart["version"], chart["appVersion"]) == ("0.30.1", "0.30.1")
    assert 'KUBESTELLAR_VERSION: "0.30.1"' in _member(archive, "core-chart/values.yaml")
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "core-chart/charts/argo-cd/Chart.yaml" in names
    assert not (sample_v030 / "core-chart" / "values.yaml").read_text().count('"0.30.1"')  # tracked file kept


def test_v030_without_dependencies_or_a_mirror_says_how_to_get_them(sample_v030: Path) -> None:
    result = kstasks("package-charts", "--version", "0.30.1", "--skip-dependency-update", cwd=sample_v030)
    assert result.returncode != 0
    assert "--skip-dependency-update" in result.stderr or "charts/" in result.stderr
    assert "Traceback" not in result.stderr


def test_v024_three_charts_as_its_workflow_makes_them(tmp_path: Path) -> None:
    repo = make_v024_release_repo(tmp_path / "v024")
    result = kstasks("package-charts", "--version", "0.24.1", cwd=repo)
    assert result.returncode == 0, result.stderr
    dist = repo / "dist"
    assert sorted(p.name for p in dist.glob("*.tgz")) == [
        "controller-manager-chart-0.24.1.tgz",
        "core-chart-0.24.1.tgz",
        "ocm-transport-controller-chart-0.24.1.tgz",
    ]
    transport = _member(
        dist / "ocm-transport-controller-chart-0.24.1.tgz",
        "ocm-transport-controller-chart/templates/controller.yaml",
    )
    assert "ghcr.io/kubestellar/kubestellar/ocm-transport-controller:0.24.1" in transport
    assert "OTC_IMAGE_PLACEHOLDER" not in transport
    manager = _member(
        dist / "controller-manager-chart-0.24.1.tgz",
        "controller-manager-chart/templates/controller-manager.yaml",
    )
    assert "ghcr.io/kubestellar/kubestellar/controller-manager:0.24.1" in manager  # make chart drops the v
    assert 'KUBESTELLAR_VERSION: "0.24.1"' in _member(
        dist / "core-chart-0.24.1.tgz", "core-chart/values.yaml"
    )
