"""kind-load-image / k3d-load-image follow the checkout's Makefile: the images its recipe names are
built into a real engine (podman's API service) and handed to stand-in kind/k3d programs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from kstasks.images import makerecipes
from tests.conftest import kstasks

pytestmark = pytest.mark.tools

RECORDER = """#!/bin/sh
printf '%s\\n' "$(basename "$0") $*" >> "{log}"
"""


def stand_ins(tmp_path: Path, *names: str) -> tuple[Path, Path]:
    """A directory with recording ``names`` scripts (and the log they append to)."""
    bin_dir = tmp_path / "standins"
    bin_dir.mkdir(exist_ok=True)
    log = tmp_path / "calls.log"
    for name in names:
        script = bin_dir / name
        script.write_text(RECORDER.format(log=log))
        script.chmod(0o755)
    return bin_dir, log


def env_for(repo: Path, bin_dir: Path, docker_host: str, base_image: str, **extra: str) -> dict[str, str]:
    return {
        "KSTASKS_REPO": str(repo),
        "DOCKER_HOST": docker_host,
        "KO_DEFAULTBASEIMAGE": base_image,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        **extra,
    }


def test_the_v030_makefile_gives_three_local_images_and_the_k3d_correction() -> None:
    from tests.conftest import PROJECT

    rules = makerecipes.read(PROJECT / "sample-variants" / "v0.30")
    assert [image.variable for image in rules.images] == [
        "CONTROLLER_MANAGER_IMAGE",
        "TRANSPORT_IMAGE",
        "GET_KFCFG_IMAGE",
    ]
    k3d = rules.loaders["k3d-load-image"]
    assert [image.target for image in makerecipes.images_to_load(rules, k3d)][-1] == (
        "ko-build-get-kubeconfig-local"
    )
    assert k3d.cluster_variable == "K3D_HOSTING_CLUSTER" and len(k3d.corrections) == 2


def test_kind_load_image_builds_and_loads_the_three_images_of_v030(
    sample_v030: Path, docker_host: str, base_image: str, tmp_path: Path
) -> None:
    import docker

    bin_dir, log = stand_ins(tmp_path, "kind")
    env = env_for(
        sample_v030,
        bin_dir,
        docker_host,
        base_image,
        IMAGE_TAG="kl1",
        GET_KFCFG_IMAGE="example.test/own/getkc:kl1",
        KIND_HOSTING_CLUSTER="hosting",
    )
    result = kstasks("kind-load-image", cwd=sample_v030, env=env)
    assert result.returncode == 0, result.stderr
    images = [
        "ghcr.io/kubestellar/kubestellar/controller-manager:kl1",
        "ghcr.io/kubestellar/kubestellar/ocm-transport-controller:kl1",
        "example.test/own/getkc:kl1",
    ]
    expected = [f"kind load --name hosting docker-image {image}" for image in images]
    assert log.read_text().splitlines() == expected
    client = docker.DockerClient(base_url=docker_host)
    for image in images:
        client.images.get(image)
        client.images.remove(image, force=True)


def test_k3d_load_image_imports_each_image_into_the_cluster_as_meant(
    sample_v030: Path, docker_host: str, base_image: str, tmp_path: Path
) -> None:
    import docker

    bin_dir, log = stand_ins(tmp_path, "k3d")
    env = env_for(sample_v030, bin_dir, docker_host, base_image, IMAGE_TAG="k3", K3D_HOSTING_CLUSTER="k3s1")
    result = kstasks("k3d-load-image", cwd=sample_v030, env=env)
    assert result.returncode == 0, result.stderr
    images = [
        "ghcr.io/kubestellar/kubestellar/controller-manager:k3",
        "ghcr.io/kubestellar/kubestellar/ocm-transport-controller:k3",
        "ghcr.io/kubestellar/kubestellar/kflex-get-kubeconfig:k3",
    ]
    assert log.read_text().splitlines() == [f"k3d image import {image} -c k3s1" for image in images]
    assert "passes an image where the cluster belongs" in result.stderr
    client = docker.DockerClient(base_url=docker_host)
    for image in images:
        client.images.get(image)
        client.images.remove(image, force=True)


def test_kind_load_image_on_the_base_sample_builds_and_loads_its_two_images(
    sample_repo: Path, docker_host: str, base_image: str, tmp_path: Path
) -> None:
    bin_dir, log = stand_ins(tmp_path, "kind")
    env = env_for(sample_repo, bin_dir, docker_host, base_image, IMAGE_TAG="b2")
    result = kstasks("kind-load-image", cwd=sample_repo, env=env)
    assert result.returncode == 0, result.stderr
    lines = log.read_text().splitlines()
    assert lines == [
        "kind load --name kubeflex docker-image ghcr.io/kubestellar/kubestellar/controller-manager:b2",
        "kind load --name kubeflex docker-image ghcr.io/kubestellar/kubestellar/ocm-transport-controller:b2",
    ]


def test_the_get_kubeconfig_task_exists_only_where_the_makefile_has_it(
    sample_v030: Path, sample_repo: Path, docker_host: str, base_image: str, tmp_path: Path
) -> None:
    import docker

    listed = kstasks("--list", cwd=sample_v030, env={"KSTASKS_REPO": str(sample_v030)})
    assert "ko-build-get-kubeconfig-local" in listed.stdout
    base = kstasks("--list", cwd=sample_repo, env={"KSTASKS_REPO": str(sample_repo)})
    assert "ko-build-get-kubeconfig-local" not in base.stdout
    env = env_for(sample_v030, tmp_path, docker_host, base_image, IMAGE_TAG="g1")
    result = kstasks(
        "ko-build-get-kubeconfig-local", "--image", "example.test/flag/getkc:g1", cwd=sample_v030, env=env
    )
    assert result.returncode == 0, result.stderr
    docker.DockerClient(base_url=docker_host).images.remove("example.test/flag/getkc:g1", force=True)


@pytest.mark.parametrize("task,program", [("kind-load-image", "kind"), ("k3d-load-image", "k3d")])
def test_no_loader_exits_2_before_building(
    sample_v030: Path, tmp_path: Path, task: str, program: str
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("git", "go"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    result = kstasks(task, cwd=sample_v030, env={"KSTASKS_REPO": str(sample_v030), "PATH": str(bin_dir)})
    assert result.returncode == 2, result.stderr
    assert f"{program} is not installed" in result.stderr and "ko build" not in result.stderr
