"""install-local-core-chart: the v0.25+ local E2E setup, on a staged copy of core-chart/, with the
real helm (dependencies from the loopback registry), images built into podman's engine and a
stand-in kind; ``--template`` shows what would be installed."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from kstasks.project import settings
from kstasks.toolchain import tools
from tests.conftest import git, kstasks, tree_digest

pytestmark = pytest.mark.tools

KIND = """#!/bin/sh
printf '%s\\n' "kind $*" >> "{log}"
"""


def helm_env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "helm"
    return {
        "HELM_REGISTRY_CONFIG": str(home / "registry.json"),
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
    }


def push_dependency(helm: Path, registry: str, name: str, version: str, tmp_path: Path) -> None:
    """A small chart ``name`` at ``version`` in the test registry under ``deps/``."""
    work = tmp_path / "deps"
    work.mkdir(exist_ok=True)
    env = {**os.environ, **helm_env(tmp_path)}
    subprocess.run([helm, "create", name], cwd=work, check=True, capture_output=True, env=env)
    subprocess.run(
        [helm, "package", name, "--version", version], cwd=work, check=True, capture_output=True, env=env
    )
    archive = next(work.glob(f"{name}-*.tgz"))
    subprocess.run(
        [helm, "push", str(archive), f"oci://{registry}/deps", "--plain-http"],
        cwd=work,
        check=True,
        capture_output=True,
        env=env,
    )


def test_the_template_of_what_would_be_installed_names_the_images_just_built(
    sample_v030: Path, docker_host: str, base_image: str, registry: str, tmp_path: Path
) -> None:
    import docker

    helm = tools.Toolbox(settings.defaults({})["versions"]).binary("helm")
    push_dependency(helm, registry, "kubeflex-operator", "v0.9.3", tmp_path)
    push_dependency(helm, registry, "argo-cd", "9.1.0", tmp_path)
    bin_dir = tmp_path / "standins"
    bin_dir.mkdir()
    log = tmp_path / "kind.log"
    (bin_dir / "kind").write_text(KIND.format(log=log))
    (bin_dir / "kind").chmod(0o755)
    before = tree_digest(sample_v030)
    env = {
        "KSTASKS_REPO": str(sample_v030),
        "DOCKER_HOST": docker_host,
        "KO_DEFAULTBASEIMAGE": base_image,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        **helm_env(tmp_path),
    }
    result = kstasks(
        "install-local-core-chart",
        "--template",
        "--dependency-repo",
        f"oci://ghcr.io/kubestellar/kubeflex/chart=oci://{registry}/deps",
        "--dependency-repo",
        f"oci://ghcr.io/argoproj/argo-helm=oci://{registry}/deps",
        cwd=sample_v030,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    short = git(sample_v030, "rev-parse", "--short", "HEAD").strip()
    built = [
        f"ghcr.io/kubestellar/kubestellar/controller-manager:{short}",
        f"ghcr.io/kubestellar/kubestellar/ocm-transport-controller:{short}",
        f"ghcr.io/kubestellar/kubestellar/kflex-get-kubeconfig:{short}",
    ]
    assert log.read_text().splitlines() == [
        f"kind load --name kubeflex docker-image {image}" for image in built
    ]
    for image in built:
        assert f"image: {image}" in result.stdout
    assert "name: wds1-controller-manager" in result.stdout and "name: its1-hub-init" in result.stdout
    assert "kubeflex-operator" in result.stdout  # the dependency fetched from the loopback registry
    assert "test/e2e/common/setup-kubestellar.sh" in result.stderr
    assert tree_digest(sample_v030) == before
    assert git(sample_v030, "status", "--porcelain") == ""
    client = docker.DockerClient(base_url=docker_host)
    for image in built:
        client.images.remove(image, force=True)


def test_the_removed_chart_layout_and_a_missing_core_chart_exit_2(
    sample_v030: Path, sample_repo: Path
) -> None:
    old = kstasks("install-local-chart", cwd=sample_v030, env={"KSTASKS_REPO": str(sample_v030)})
    assert old.returncode == 2 and "install-local-core-chart" in old.stderr
    (sample_repo / "core-chart" / "Chart.yaml").unlink()
    core = kstasks("install-local-core-chart", cwd=sample_repo, env={"KSTASKS_REPO": str(sample_repo)})
    assert core.returncode == 2 and "has no core-chart/Chart.yaml" in core.stderr


def test_a_malformed_dependency_redirect_exits_2(sample_v030: Path) -> None:
    result = kstasks(
        "install-local-core-chart",
        "--dependency-repo",
        "oci://nowhere",
        cwd=sample_v030,
        env={"KSTASKS_REPO": str(sample_v030)},
    )
    assert result.returncode == 2 and "is not FROM=TO" in result.stderr
