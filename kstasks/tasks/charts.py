"""Tasks for the controller-manager chart and the release charts."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from invoke import Collection, task
from invoke.context import Context

from kstasks.tasks.common import REPO_HELP, show, target, writing

if TYPE_CHECKING:
    from kstasks.charts import staging
    from kstasks.project.repo import Checkout

VERSION_HELP = "The release version: 0.25.0 or v0.25.0 (a -prerelease such as -rc.1 is allowed)."


def controller_manager_image(config: dict[str, Any], checkout: Checkout, flag: str | None) -> str:
    """``--image``, else CONTROLLER_MANAGER_IMAGE, else ``$DOCKER_REGISTRY/controller-manager:$IMAGE_TAG``."""
    images = config["images"]
    if flag:
        return flag
    if images.get("controller_manager_image"):
        return str(images["controller_manager_image"])
    tag = images.get("tag") or checkout.short_commit()
    return f"{images['registry']}/{images['controller_manager']}:{tag}"


def release_images(config: dict[str, Any]) -> staging.ReleaseImages:
    """The images release charts refer to, from the ``kstasks.images`` settings."""
    from kstasks.charts import staging

    images = config["images"]
    return staging.ReleaseImages(images["registry"], images["controller_manager"], images["transport"])


def _dist(config: dict[str, Any], checkout: Checkout, flag: str | None) -> Path:
    return checkout.root / (flag or config["chart"]["dist_dir"])


@task(
    name="chart",
    help={
        "repo": REPO_HELP,
        "image": "The controller-manager image (default: CONTROLLER_MANAGER_IMAGE, else "
        "$DOCKER_REGISTRY/controller-manager:$IMAGE_TAG).",
        "with-manifests": "Run manifests first, as `make chart` does (it may rewrite tracked files).",
    },
)
def make_chart(
    c: Context, repo: str | None = None, image: str | None = None, with_manifests: bool = False
) -> None:
    """Derive chart/templates/controller-manager.yaml with kustomize (make chart); tracked files untouched."""
    from kstasks.charts import derive
    from kstasks.codegen import controllergen
    from kstasks.core import context

    tools = ["kustomize"] + (["controller-gen"] if with_manifests else [])
    t = target(c, repo, tools)
    config = t.config
    layout = derive.ChartLayout.from_config(config["chart"])
    derive.require_chart(t.checkout, layout)
    with writing(t, "chart"):
        if with_manifests:
            controllergen.run_manifests(t.checkout, t.layout, t.toolbox)
        image_ref = controller_manager_image(config, t.checkout, image)
        path = derive.run_chart(t.checkout, layout, t.toolbox, image_ref)
    if not context.dry_run():
        print(path)


@task(
    name="package-charts",
    help={
        "version": VERSION_HELP,
        "repo": REPO_HELP,
        "dist": "Where to write the archives (default: kstasks.chart.dist_dir, 'dist').",
        "skip-dependency-update": "Package with the dependencies already in each chart's charts/ directory.",
    },
)
def package_charts(
    c: Context,
    version: str = "",
    repo: str | None = None,
    dist: str | None = None,
    skip_dependency_update: bool = False,
) -> None:
    """Specialise, lint and package the release charts (controller-manager, core, transport)."""
    from kstasks.charts import derive
    from kstasks.core.semver import parse_release_version
    from kstasks.release import charts

    release = parse_release_version(version)
    t = target(c, repo, ["kustomize", "helm"])
    config = t.config
    with writing(t, "package-charts"):
        archives = charts.package_release_charts(
            t.checkout,
            derive.ChartLayout.from_config(config["chart"]),
            t.toolbox,
            release,
            release_images(config),
            _dist(config, t.checkout, dist),
            skip_dependency_update=skip_dependency_update,
        )
    show([str(archive) for archive in archives])


@task(
    name="publish-charts",
    help={
        "version": VERSION_HELP,
        "registry": "oci://HOST[:PORT]/PATH (default: kstasks.chart.registry).",
        "repo": REPO_HELP,
        "dist": "Where package-charts wrote the archives.",
        "force": "Overwrite chart tags that are already published.",
    },
)
def publish_charts(
    c: Context,
    version: str = "",
    registry: str | None = None,
    repo: str | None = None,
    dist: str | None = None,
    force: bool = False,
) -> None:
    """Push the packaged chart set to an OCI registry (tags last, read back); a rerun completes it."""
    from kstasks.core.semver import parse_release_version
    from kstasks.release import charts
    from kstasks.remote.registry import Reference

    release = parse_release_version(version)
    t = target(c, repo, [])
    config = t.config
    destination = Reference.parse(registry or config["chart"]["registry"])
    archives = charts.release_archives(_dist(config, t.checkout, dist), release)
    published = charts.publish_charts(archives, destination, release, force=force)
    show([f"{chart.reference}@{chart.digest}" for chart in published])


def collection() -> Collection:
    """These tasks as a collection (added flat to the root namespace)."""
    return Collection(make_chart, package_charts, publish_charts)
