"""Tasks for the Makefile's deployment targets, the kubectl image and the prerequisites check."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from invoke import Collection, task
from invoke.context import Context

from kstasks.tasks.common import REPO_HELP, Target, project_dir, show, start, target

if TYPE_CHECKING:
    from kstasks.devloop import deploy

IGNORE_HELP = "Ignore resources that are already gone (make's ignore-not-found=true)."
MANIFESTS_HELP = "Run manifests first, as make does (it may rewrite tracked files)."


def _settings(t: Target, ignore_not_found: bool | None = None) -> deploy.DeploySettings:
    from kstasks.devloop import deploy

    values: dict[str, Any] = dict(t.config["deploy"])
    if ignore_not_found is not None:
        values["ignore_not_found"] = ignore_not_found
    return deploy.DeploySettings.from_config(values)


def _prepare(c: Context, repo: str | None, with_manifests: bool) -> tuple[Target, Path]:
    """Resolve the checkout, check kubectl and the cluster, then (optionally) run manifests."""
    from kstasks.codegen import controllergen
    from kstasks.devloop import deploy

    t = target(c, repo, ["kustomize"] + (["controller-gen"] if with_manifests else []))
    kubectl_path = deploy.require_kubectl()
    deploy.require_cluster(kubectl_path)
    if with_manifests:
        controllergen.run_manifests(t.checkout, t.layout, t.toolbox)
    return t, kubectl_path


@task(help={"repo": REPO_HELP, "with-manifests": MANIFESTS_HELP})
def install(c: Context, repo: str | None = None, with_manifests: bool = False) -> None:
    """Apply the CRDs (kustomize build config/crd/) to the current cluster (make install)."""
    from kstasks.devloop import deploy

    t, kubectl_path = _prepare(c, repo, with_manifests)
    settings = _settings(t)
    manifests = deploy.crd_manifests(t.checkout, settings, t.toolbox.binary("kustomize"))
    deploy.kubectl_apply(kubectl_path, manifests, "CRDs")


@task(help={"repo": REPO_HELP, "with-manifests": MANIFESTS_HELP, "ignore-not-found": IGNORE_HELP})
def uninstall(
    c: Context, repo: str | None = None, with_manifests: bool = False, ignore_not_found: bool = False
) -> None:
    """Delete the CRDs from the current cluster (make uninstall)."""
    from kstasks.devloop import deploy

    t, kubectl_path = _prepare(c, repo, with_manifests)
    settings = _settings(t, ignore_not_found or None)
    manifests = deploy.crd_manifests(t.checkout, settings, t.toolbox.binary("kustomize"))
    deploy.kubectl_delete(kubectl_path, manifests, "CRDs", ignore_not_found=settings.ignore_not_found)


@task(
    name="deploy",
    help={
        "repo": REPO_HELP,
        "image": "The controller-manager image (default: CONTROLLER_MANAGER_IMAGE, else "
        "$DOCKER_REGISTRY/controller-manager:$IMAGE_TAG).",
        "with-manifests": MANIFESTS_HELP,
    },
)
def deploy_(
    c: Context, repo: str | None = None, image: str | None = None, with_manifests: bool = False
) -> None:
    """Apply config/default with the image set and the templates filled to the cluster (make deploy)."""
    from kstasks.charts import derive
    from kstasks.devloop import deploy
    from kstasks.tasks.charts import controller_manager_image

    t, kubectl_path = _prepare(c, repo, with_manifests)
    settings = _settings(t)
    manifests = deploy.deploy_manifests(
        t.checkout,
        settings,
        derive.ChartLayout.from_config(t.config["chart"]),
        t.toolbox.binary("kustomize"),
        controller_manager_image(t.config, t.checkout, image),
    )
    deploy.kubectl_apply(kubectl_path, manifests, "controller-manager")


@task(help={"repo": REPO_HELP, "ignore-not-found": IGNORE_HELP})
def undeploy(c: Context, repo: str | None = None, ignore_not_found: bool = False) -> None:
    """Delete the controller-manager (kustomize build config/default) from the cluster (make undeploy)."""
    from kstasks.devloop import deploy

    t, kubectl_path = _prepare(c, repo, False)
    settings = _settings(t, ignore_not_found or None)
    manifests = deploy.default_manifests(t.checkout, settings, t.toolbox.binary("kustomize"))
    deploy.kubectl_delete(
        kubectl_path, manifests, "controller-manager", ignore_not_found=settings.ignore_not_found
    )


@task(
    name="install-local-chart",
    help={
        "repo": REPO_HELP,
        "image": "The controller-manager image (default: CONTROLLER_MANAGER_IMAGE, else "
        "$DOCKER_REGISTRY/controller-manager:$IMAGE_TAG).",
        "with-manifests": MANIFESTS_HELP,
    },
)
def install_local_chart(
    c: Context, repo: str | None = None, image: str | None = None, with_manifests: bool = False
) -> None:
    """chart, kind-load-image, then helm upgrade --install ./chart (make install-local-chart)."""
    from kstasks.charts import derive
    from kstasks.codegen import controllergen
    from kstasks.core import errors
    from kstasks.devloop import deploy
    from kstasks.images import local
    from kstasks.tasks.charts import controller_manager_image

    t = target(c, repo, ["kustomize", "helm"] + (["controller-gen"] if with_manifests else []))
    settings = _settings(t)
    if not t.checkout.path(settings.chart_dir).is_dir():
        core = t.config["chart"]["core_chart_dir"]
        raise errors.BadInput(
            f"{t.checkout.root} has no {settings.chart_dir}/ (KubeStellar removed it and make "
            "install-local-chart in v0.25)",
            f"Use install-local-core-chart: it installs {core}/ with the locally built images, as the "
            "checkout's E2E setup does.",
        )
    deploy.require_command("kind", "https://kind.sigs.k8s.io")
    deploy.require_cluster(deploy.require_kubectl(), settings.kube_context)
    if with_manifests:
        controllergen.run_manifests(t.checkout, t.layout, t.toolbox)
    chosen = controller_manager_image(t.config, t.checkout, image)
    derive.run_chart(t.checkout, derive.ChartLayout.from_config(t.config["chart"]), t.toolbox, chosen)
    local.kind_load([chosen], t.config["images"]["kind_cluster"])
    deploy.install_local_chart(t.checkout, settings, t.toolbox.binary("helm"))


@task(
    name="install-local-core-chart",
    iterable=["dependency_repo"],
    help={
        "repo": REPO_HELP,
        "cluster": "The kind cluster to load the images into (default: KIND_HOSTING_CLUSTER, else kubeflex).",
        "tag": "The image tag and KUBESTELLAR_VERSION (default: IMAGE_TAG, else the short commit hash).",
        "arch": "linux/ARCH to build (default: ARCH, else `go env GOARCH`).",
        "dependency-repo": "FROM=TO: fetch the core chart's dependencies whose repository starts with "
        "FROM from TO instead (repeatable; also kstasks.chart.dependency_repositories).",
        "template": "Print what would be installed (helm template) instead of installing it.",
    },
)
def install_local_core_chart(
    c: Context,
    repo: str | None = None,
    cluster: str | None = None,
    tag: str | None = None,
    arch: str | None = None,
    dependency_repo: list[str] | None = None,
    template: bool = False,
) -> None:
    """Build and load the images (as kind-load-image), update core-chart's dependencies and helm
    upgrade --install it with them, as the checkout's E2E setup does (on a staged copy)."""
    from kstasks.core import errors, output, runner, scratch
    from kstasks.devloop import corechart, deploy
    from kstasks.images import local
    from kstasks.tasks.images import load_into_cluster

    t = target(c, repo, ["ko", "helm"])
    settings = _settings(t)
    chart_dir = str(t.config["chart"]["core_chart_dir"])
    redirects = corechart.parse_redirects(
        list(dependency_repo or []), t.config["chart"].get("dependency_repositories") or {}
    )
    if not (t.checkout.path(chart_dir) / "Chart.yaml").is_file():
        raise errors.BadInput(
            f"{t.checkout.root} has no {chart_dir}/Chart.yaml",
            "install-local-core-chart is for the core-chart layout (v0.25+); "
            "use install-local-chart for chart/.",
        )
    local.require_loader("kind")
    if not template:
        deploy.require_cluster(deploy.require_kubectl(), settings.kube_context)
    command = corechart.read_install_command(t.checkout, chart_dir)
    output.say(f"kstasks: the helm command from {command.source}")
    _, image_tag = load_into_cluster(t, "kind-load-image", cluster, [], arch, tag)
    helm = t.toolbox.binary("helm")
    values = {name: os.environ[name] for name in command.defaults if os.environ.get(name)}
    if settings.kube_context:
        values["HOSTING_CONTEXT"] = settings.kube_context
    with scratch.directory("core-chart") as staging:
        staged, rewrites = corechart.stage_chart(t.checkout, chart_dir, staging, redirects)
        for rewrite in rewrites:
            output.detail(f"dependency repository {rewrite}")
        corechart.dependency_update(helm, staged)
        args = corechart.expand_args(command, tag=image_tag, chart_path=staged, values=values)
        if template:
            rendered = runner.run(
                [helm, *corechart.as_template(args)], capture=True, what="helm template (core chart)"
            )
            show(rendered.stdout)
            return
        runner.run([helm, *args], cwd=t.checkout.root, what="helm upgrade --install (core chart)")


@task(
    name="build-kubectl-image",
    help={
        "version": "The kubectl release, v1.30.1 or 1.30.1 (default: the Kubernetes stable release marker).",
        "registry": "Where to push (default: kstasks.images.tool_registry, quay.io/kubestellar).",
        "platform": "Comma-separated os/arch list (default: linux/amd64,linux/arm64,linux/ppc64le).",
        "trace": "Verbose ko output (the script's -X).",
        "source": "Git URL or path of the Kubernetes source (default: its GitHub repository).",
        "marker-url": "Base URL of the release marker stable.txt (default: kstasks.images.tools.kubectl).",
        "force": "Overwrite an image tag that is already published.",
    },
)
def build_kubectl_image(
    c: Context,
    version: str | None = None,
    registry: str | None = None,
    platform: str | None = None,
    trace: bool = False,
    source: str | None = None,
    marker_url: str | None = None,
    force: bool = False,
) -> None:
    """Build the kubectl image at a release with ko, multi-platform, and push it (the hack script)."""
    from kstasks.core import output
    from kstasks.images import kubectl
    from kstasks.project.repo import resolve_root
    from kstasks.tasks.images import publish_tool_image

    config = start(c)
    spec = config["images"]["tools"]["kubectl"]
    base = marker_url or str(spec.get("release_marker") or kubectl.DEFAULT_MARKER_BASE)
    kubectl.marker_url(base)
    image_base = kubectl.dockerfile_base(resolve_root(None, config.get("repo"), config_dir=project_dir(c)))
    if image_base:
        output.say(f"build-kubectl-image: on {image_base}, the base of {kubectl.DOCKERFILE}")
    publish_tool_image(
        c,
        "kubectl",
        lambda _tool, release: release or kubectl.stable_release(base),
        version=version,
        registry=registry,
        platform=platform,
        trace=trace,
        source=source,
        force=force,
        base_image=image_base,
    )


@task(
    name="check-prereqs",
    iterable=["program"],
    help={
        "repo": REPO_HELP,
        "program": "A program the checkout's check_pre_req.sh knows (repeatable; default: its "
        "default groups); --list shows them.",
        "verbose": "Also say how to install what is missing (the script's -V).",
        "assert": "Stop at the first missing program (the script's -A).",
        "list": "Print the programs it knows and exit (the script's -L).",
    },
)
def check_prereqs(
    c: Context,
    program: list[str] | None = None,
    verbose: bool = False,
    assert_: bool = False,
    list_: bool = False,
    repo: str | None = None,
) -> None:
    """Check the prerequisites the checkout's check_pre_req.sh names, with their versions, paths
    and its minimums (the script is read, not run)."""
    from kstasks.core import output
    from kstasks.devloop import prereqs, prereqscript
    from kstasks.project.repo import resolve_root

    config = start(c)
    root = resolve_root(repo, config.get("repo"), config_dir=project_dir(c))
    script = prereqscript.read(root)
    if script is None:
        output.warn(f"no check_pre_req.sh in {root}; checking v0.24.0's list")
    else:
        output.detail(f"kstasks: programs and minimums from {script.path}")
    if list_:
        show(" ".join(prereqs.programs_of(script)))
        return
    show(prereqs.check(list(program or []), verbose=verbose, assert_all=assert_, script=script))


def collection() -> Collection:
    """These tasks as a collection (added flat to the root namespace)."""
    return Collection(
        install,
        uninstall,
        deploy_,
        undeploy,
        install_local_chart,
        install_local_core_chart,
        build_kubectl_image,
        check_prereqs,
    )
