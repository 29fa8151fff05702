"""Deployment targets: kubectl gets the Makefile pipeline's documents; nothing tracked changes."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kstasks.charts import derive
from kstasks.devloop import deploy
from kstasks.project.repo import load_checkout
from kstasks.toolchain.tools import Toolbox
from tests.conftest import free_port, kstasks, tree_digest

IMAGE = "registry.example/team/controller-manager:v0.24.0"


def kustomize() -> Path:
    from kstasks.project.settings import DEFAULTS

    return Toolbox(DEFAULTS["versions"]).binary("kustomize")


def makefile_deploy_pipeline(checkout: Path, image: str, namespace: str, wds: str) -> str:
    """make deploy's recipe, literally, on a throw-away copy: kustomize edit, kustomize build | sed."""
    tool = str(kustomize())
    subprocess.run(
        [tool, "edit", "set", "image", f"controller={image}"], cwd=checkout / "config/manager", check=True
    )
    built = subprocess.run(
        [tool, "build", "config/default"], cwd=checkout, check=True, capture_output=True, text=True
    )
    sed = subprocess.run(
        [
            "sed",
            "-e",
            f"s/{{{{.Release.Namespace}}}}/{namespace}/g",
            "-e",
            f"s/{{{{.Values.ControlPlaneName}}}}/{wds}/g",
        ],
        input=built.stdout,
        check=True,
        capture_output=True,
        text=True,
    )
    return sed.stdout


@pytest.mark.tools
def test_deploy_manifests_are_the_makefile_pipelines_and_touch_nothing(
    sample_repo: Path, tmp_path: Path
) -> None:
    before = tree_digest(sample_repo)
    settings = deploy.DeploySettings(namespace="ks-ns", wds_name="wds9")
    ours = deploy.deploy_manifests(
        load_checkout(sample_repo), settings, derive.ChartLayout(), kustomize(), IMAGE
    )
    copy = tmp_path / "copy"
    shutil.copytree(sample_repo, copy)
    assert ours == makefile_deploy_pipeline(copy, IMAGE, "ks-ns", "wds9")
    assert f"image: {IMAGE}" in ours  # make deploy keeps the tag's v (make chart drops it)
    assert "{{.Release.Namespace}}" not in ours and "{{.Values.ControlPlaneName}}" not in ours
    assert "namespace: 'ks-ns'" in ours and "--wds-name=wds9" in ours
    assert tree_digest(sample_repo) == before


@pytest.mark.tools
def test_crd_and_undeploy_manifests_are_kustomize_builds(sample_repo: Path) -> None:
    checkout, settings = load_checkout(sample_repo), deploy.DeploySettings()
    tool = str(kustomize())
    expected = subprocess.run([tool, "build", "config/crd/"], cwd=sample_repo, capture_output=True, text=True)
    assert deploy.crd_manifests(checkout, settings, kustomize()) == expected.stdout
    assert "kind: CustomResourceDefinition" in expected.stdout
    default = subprocess.run(
        [tool, "build", "config/default"], cwd=sample_repo, capture_output=True, text=True
    )
    assert deploy.default_manifests(checkout, settings, kustomize()) == default.stdout


def test_substitutions_match_seds_patterns() -> None:
    text = "a: {{.Release.Namespace}}\nb: {{.Values.ControlPlaneName}}-x\nc: {{xRelease.Namespace}}\n"
    assert deploy.substitute_templates(text, "ns", "w") == "a: ns\nb: w-x\nc: ns\n"


def test_helm_arguments_follow_the_makefile() -> None:
    plain = deploy.DeploySettings()
    assert deploy.helm_install_args(plain, Path("chart")) == [
        "upgrade", "--install", "kubestellar", "-n", "wds1-system", "chart",
        "--set", "ControlPlaneName=wds1", "--set", "ControllerManager.Verbosity=2",
    ]  # fmt: skip
    full = deploy.DeploySettings(wds_name="wds2", kube_context="kind-x", its_name="its1", verbosity="5")
    args = deploy.helm_install_args(full, Path("chart"))
    assert args[:3] == ["upgrade", "--kube-context", "kind-x"]
    assert args[-6:] == [
        "--set",
        "ControlPlaneName=wds2",
        "--set",
        "ControllerManager.Verbosity=5",
        "--set",
        "ITSName=its1",
    ]


def test_settings_accept_makes_true() -> None:
    assert deploy.DeploySettings.from_config({"ignore_not_found": "true"}).ignore_not_found is True
    assert deploy.DeploySettings.from_config({"ignore_not_found": "false"}).ignore_not_found is False
    assert deploy.DeploySettings.from_config({"verbosity": 4}).verbosity == "4"


def _path_without(command: str, tmp_path: Path) -> str:
    """PATH with the directories holding ``command`` replaced by a bin dir that has python3, git and go."""
    keep = tmp_path / "pathbin"
    keep.mkdir(exist_ok=True)
    for tool in ("python3", "git", "go"):
        found = shutil.which(tool)
        if found and not (keep / tool).exists():
            (keep / tool).symlink_to(found)
    dirs = [d for d in os.environ["PATH"].split(os.pathsep) if not (Path(d) / command).exists()]
    return os.pathsep.join([str(keep), *dirs])


def test_no_kubectl_exits_2_before_any_work(sample_repo: Path, tmp_path: Path) -> None:
    result = kstasks("install", cwd=sample_repo, env={"PATH": _path_without("kubectl", tmp_path)})
    assert result.returncode == 2, result.stderr
    assert "kubectl is not installed" in result.stderr
    assert "kustomize" not in result.stderr


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="needs kubectl")
@pytest.mark.parametrize("task", ["install", "uninstall", "deploy", "undeploy"])
def test_no_reachable_cluster_exits_2_naming_it(task: str, sample_repo: Path, tmp_path: Path) -> None:
    config = tmp_path / "kubeconfig"
    port = free_port()
    config.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: dead\n"
        f"clusters: [{{name: dead, cluster: {{server: 'https://127.0.0.1:{port}'}}}}]\n"
        "contexts: [{name: dead, context: {cluster: dead, user: u}}]\nusers: [{name: u, user: {}}]\n"
    )
    result = kstasks(task, cwd=sample_repo, env={"KUBECONFIG": str(config)})
    assert result.returncode == 2, result.stderr
    assert "no reachable Kubernetes cluster" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.tools
def test_dry_run_prints_the_kubectl_commands(sample_repo: Path) -> None:
    before = tree_digest(sample_repo)
    result = kstasks("--dry", "uninstall", "--ignore-not-found", cwd=sample_repo)
    assert result.returncode == 0, result.stderr
    assert "kubectl delete --ignore-not-found=true -f -" in result.stderr
    result = kstasks("--dry", "undeploy", cwd=sample_repo, env={"ignore-not-found": "true"})
    assert result.returncode == 0, result.stderr
    assert "kubectl delete --ignore-not-found=true -f -" in result.stderr
    result = kstasks("--dry", "deploy", cwd=sample_repo)
    assert result.returncode == 0, result.stderr
    assert "kubectl apply -f -" in result.stderr
    assert (
        "kubectl delete --ignore-not-found=false -f -"
        in kstasks("--dry", "uninstall", cwd=sample_repo).stderr
    )
    assert tree_digest(sample_repo) == before


def recording_kubectl(directory: Path) -> Path:
    """A kubectl stand-in (no cluster can run here): answers /version, records each call and its stdin."""
    directory.mkdir()
    script = directory / "kubectl"
    script.write_text(
        "#!/bin/sh\n"
        'case "$*" in *"get --raw /version"*) echo "{}"; exit 0;; esac\n'
        f'echo "$*" >> {directory}/calls\n'
        f"cat > {directory}/stdin\n"
    )
    script.chmod(0o755)
    return directory


@pytest.mark.tools
def test_deploy_hands_kubectl_the_makefile_documents(sample_repo: Path, tmp_path: Path) -> None:
    stub = recording_kubectl(tmp_path / "stub")
    env = {
        "PATH": f"{stub}{os.pathsep}{os.environ['PATH']}",
        "CONTROLLER_MANAGER_IMAGE": IMAGE,
        "DEFAULT_NAMESPACE": "ks-ns",
        "DEFAULT_WDS_NAME": "wds7",
    }
    before = tree_digest(sample_repo)
    result = kstasks("deploy", cwd=sample_repo, env=env)
    assert result.returncode == 0, result.stderr
    assert (stub / "calls").read_text() == "apply -f -\n"
    copy = tmp_path / "copy"
    shutil.copytree(sample_repo, copy)
    assert (stub / "stdin").read_text() == makefile_deploy_pipeline(copy, IMAGE, "ks-ns", "wds7")
    assert tree_digest(sample_repo) == before


@pytest.mark.tools
def test_install_local_chart_without_kind_exits_2_before_any_work(sample_repo: Path, tmp_path: Path) -> None:
    before = tree_digest(sample_repo)
    result = kstasks("install-local-chart", cwd=sample_repo, env={"PATH": _path_without("kind", tmp_path)})
    assert result.returncode == 2, result.stderr
    assert "kind is not installed" in result.stderr
    assert tree_digest(sample_repo) == before


def test_makefile_deployment_variables_set_the_deploy_settings() -> None:
    from kstasks.project import settings

    d = settings.defaults(
        {
            "DEFAULT_NAMESPACE": "ns1",
            "DEFAULT_WDS_NAME": "wds3",
            "KUBE_CONTEXT": "kind-kubeflex",
            "ITS_NAME": "its1",
            "KUBESTELLAR_CONTROLLER_MANAGER_VERBOSITY": "4",
            "ignore-not-found": "true",
        }
    )
    found = deploy.DeploySettings.from_config(d["deploy"])
    assert (found.namespace, found.wds_name, found.kube_context, found.its_name, found.verbosity) == (
        "ns1", "wds3", "kind-kubeflex", "its1", "4",
    )  # fmt: skip
    assert found.ignore_not_found is True
    assert deploy.DeploySettings.from_config(settings.defaults({})["deploy"]) == deploy.DeploySettings()
