"""Tasks for local ko builds and the clusteradm / Helm CLI images."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from invoke import Collection, Task, task
from invoke.context import Context

from kstasks.tasks.common import (
    REPO_HELP,
    Target,
    project_dir,
    show,
    show_pushed,
    start,
    target,
    toolbox,
)

if TYPE_CHECKING:
    from kstasks.core.semver import ReleaseVersion
    from kstasks.images import local, makerecipes, toolimage, toolpatches

LOCAL_HELP = {
    "repo": REPO_HELP,
    "arch": "linux/ARCH to build (default: ARCH, else `go env GOARCH`).",
    "tag": "The image tag (default: IMAGE_TAG, else the short commit hash).",
}
TARGET_OVERRIDES = {"controller-manager": "controller_manager_image", "transport": "transport_image"}


def _arch(config: dict[str, Any], flag: str | None) -> str:
    from kstasks.images import local
    from kstasks.toolchain import golang

    go = golang.require_go()
    arch = flag or config["images"].get("arch") or golang.go_env(go, "GOARCH")["GOARCH"]
    local.parse_platforms(f"linux/{arch}", local.go_linux_platforms(go))
    return str(arch)


def _target_image(
    config: dict[str, Any],
    component: local.Component,
    tag: str,
    rules: makerecipes.MakeRules | None = None,
    image: str | None = None,
) -> str:
    """The image a local build is tagged as: ``image`` (a flag), else the Makefile variable naming
    it from the environment (``GET_KFCFG_IMAGE`` ...) or its setting (CONTROLLER_MANAGER_IMAGE /
    TRANSPORT_IMAGE), else the Makefile's default for it with DOCKER_REGISTRY and IMAGE_TAG."""
    if image:
        return image
    override = config["images"].get(TARGET_OVERRIDES.get(component.key, ""), "")
    if override:
        return str(override)
    found = rules.by_target(f"ko-build-{component.key}-local") if rules else None
    if found is not None and found.variable and os.environ.get(found.variable):
        return os.environ[found.variable]
    if rules is not None and found is not None:
        return rules.default_image(found, config["images"]["registry"], tag)
    return f"{config['images']['registry']}/{component.image}:{tag}"


def _components(config: dict[str, Any], keys: list[str]) -> list[local.Component]:
    from kstasks.core import errors
    from kstasks.images import local

    known = local.components_from_config(config["images"]["components"])
    unknown = [key for key in keys if key not in known]
    if unknown:
        raise errors.BadInput(
            f"unknown component {', '.join(unknown)}", f"Configured components: {', '.join(known)}."
        )
    return [known[key] for key in keys]


def build_components(
    t: Target, components: list[local.Component], arch: str | None, tag: str | None, image: str | None = None
) -> list[str]:
    """Check the arch and the engine, then ko-build each component into it; the images, as tagged."""
    from kstasks.images import local, makerecipes

    config = t.config
    rules = makerecipes.read(t.checkout.root)
    architecture = _arch(config, arch)
    client = local.docker_engine()
    image_tag = tag or config["images"].get("tag") or t.checkout.short_commit()
    ko = t.toolbox.binary("ko")
    built = []
    for component in components:
        target_image = _target_image(config, component, image_tag, rules, image)
        image_id = local.ko_build_local(
            t.checkout,
            component,
            ko=ko,
            arch=architecture,
            tag=image_tag,
            target=target_image,
            client=client,
            base_image=str(config["images"].get("ko_base_image") or ""),
        )
        if image_id:
            show(f"{target_image} {image_id}")
        built.append(target_image)
    return built


def build_local(
    c: Context,
    repo: str | None,
    keys: list[str],
    arch: str | None,
    tag: str | None,
    image: str | None = None,
) -> None:
    """Validate, check the engine, then build each component (shared by the ko-build-*-local tasks)."""
    t: Target = target(c, repo, ["ko"])
    components = _components(t.config, keys or list(t.config["images"]["components"]))
    build_components(t, components, arch, tag, image)


IMAGE_HELP = (
    "The image to tag it as (default: the Makefile's variable for it from the environment, else its default)."
)


@task(name="ko-build-controller-manager-local", help={**LOCAL_HELP, "image": IMAGE_HELP})
def ko_build_controller_manager_local(
    c: Context,
    repo: str | None = None,
    arch: str | None = None,
    tag: str | None = None,
    image: str | None = None,
) -> None:
    """Build the controller-manager image for linux/$ARCH into the local Docker engine with ko."""
    build_local(c, repo, ["controller-manager"], arch, tag, image)


@task(name="ko-build-transport-local", help={**LOCAL_HELP, "image": IMAGE_HELP})
def ko_build_transport_local(
    c: Context,
    repo: str | None = None,
    arch: str | None = None,
    tag: str | None = None,
    image: str | None = None,
) -> None:
    """Build the transport controller image for linux/$ARCH into the local Docker engine with ko."""
    build_local(c, repo, ["transport"], arch, tag, image)


@task(
    name="ko-build-local",
    iterable=["component"],
    help={**LOCAL_HELP, "component": "A configured component to build (repeatable; default: all)."},
)
def ko_build_local(
    c: Context,
    repo: str | None = None,
    arch: str | None = None,
    tag: str | None = None,
    component: list[str] | None = None,
) -> None:
    """Build every configured component's image into the local Docker engine with ko."""
    build_local(c, repo, list(component or []), arch, tag)


def load_into_cluster(
    t: Target,
    loader: str,
    cluster: str | None,
    components: list[str],
    arch: str | None,
    tag: str | None,
) -> tuple[list[str], str]:
    """Build every image the checkout's ``loader`` recipe names into the engine, then load each
    into the cluster (kind load docker-image / k3d image import); the images and their tag."""
    from kstasks.core import context, output
    from kstasks.images import local, makerecipes

    rules = makerecipes.read(t.checkout.root)
    recipe = rules.loaders[loader]
    program = local.require_loader(recipe.program)
    chosen = [
        local.Component(found.component, found.package) for found in makerecipes.images_to_load(rules, recipe)
    ]
    if components:
        chosen = _components(t.config, components)
    if not recipe.found:
        output.warn(f"the Makefile has no {loader} target; loading every ko-build-*-local image")
    for correction in recipe.corrections:
        output.warn(correction)
    default_cluster = (
        t.config["images"]["kind_cluster"] if recipe.program == "kind" else recipe.cluster_default
    )
    name = cluster or os.environ.get(recipe.cluster_variable) or default_cluster
    image_tag = tag or t.config["images"].get("tag") or t.checkout.short_commit()
    images = build_components(t, chosen, arch, image_tag)
    local.load_into_cluster(program, recipe.program, images, name)
    if not context.dry_run():
        show([f"loaded {image} into {recipe.program} cluster {name}" for image in images])
    return images, image_tag


def load_images(
    c: Context,
    loader: str,
    repo: str | None,
    cluster: str | None,
    components: list[str],
    arch: str | None,
    tag: str | None,
) -> None:
    """The kind-load-image / k3d-load-image task bodies."""
    load_into_cluster(target(c, repo, ["ko"]), loader, cluster, components, arch, tag)


LOAD_HELP = {
    **LOCAL_HELP,
    "component": "Load only this component's image (repeatable; default: what the checkout's recipe names).",
}


@task(
    name="kind-load-image",
    iterable=["component"],
    help={**LOAD_HELP, "cluster": "The kind cluster (default: KIND_HOSTING_CLUSTER, else kubeflex)."},
)
def kind_load_image(
    c: Context,
    repo: str | None = None,
    cluster: str | None = None,
    component: list[str] | None = None,
    arch: str | None = None,
    tag: str | None = None,
) -> None:
    """Build the images the checkout's kind-load-image names and load them into the kind cluster."""
    load_images(c, "kind-load-image", repo, cluster, list(component or []), arch, tag)


@task(
    name="k3d-load-image",
    iterable=["component"],
    help={**LOAD_HELP, "cluster": "The k3d cluster (default: K3D_HOSTING_CLUSTER, else kubeflex)."},
)
def k3d_load_image(
    c: Context,
    repo: str | None = None,
    cluster: str | None = None,
    component: list[str] | None = None,
    arch: str | None = None,
    tag: str | None = None,
) -> None:
    """Build the images the checkout's k3d-load-image names and import each into the k3d cluster."""
    load_images(c, "k3d-load-image", repo, cluster, list(component or []), arch, tag)


TOOL_HELP = {
    "version": "The release to build, v0.8.2 or 0.8.2 (default: the latest release, from the GitHub API).",
    "registry": "Where to push (default: kstasks.images.tool_registry, quay.io/kubestellar).",
    "platform": "Comma-separated os/arch list (default: linux/amd64,linux/arm64,linux/ppc64le).",
    "trace": "Show ko's verbose output as it runs (the scripts' -X).",
    "source": "Git URL or path of the upstream repository (default: its GitHub repository).",
    "api-url": "GitHub API base URL (default: GITHUB_API_URL, else the public API).",
    "force": "Overwrite an image tag that holds another image (an identical one always counts as done).",
}


def build_tool(
    c: Context,
    name: str,
    version: str | None,
    registry: str | None,
    platform: str | None,
    trace: bool,
    source: str | None,
    api_url: str | None,
    force: bool,
) -> None:
    """Validate everything, resolve the version (the latest GitHub release), then build and push."""
    from kstasks.images import toolimage
    from kstasks.remote import github

    api = github.api_base(api_url or start(c)["images"].get("github_api"))
    publish_tool_image(
        c,
        name,
        lambda tool, release: toolimage.tool_release(tool, release, api=api),
        version=version,
        registry=registry,
        platform=platform,
        trace=trace,
        source=source,
        force=force,
    )


ReleaseOf = Callable[["toolimage.ToolImage", "ReleaseVersion | None"], "ReleaseVersion"]
"""The release to build: the one asked for, else the tool's latest."""


def publish_tool_image(
    c: Context,
    name: str,
    release_of: ReleaseOf,
    *,
    version: str | None,
    registry: str | None,
    platform: str | None,
    trace: bool,
    source: str | None,
    force: bool,
    base_image: str = "",
) -> None:
    """Check every input of tool image ``name`` first, resolve its release, then build and push it
    (on ``base_image`` when no ko base image is configured)."""
    from kstasks.core import context
    from kstasks.core.semver import parse_release_version
    from kstasks.images import local, publish, toolimage
    from kstasks.remote.registry import Reference
    from kstasks.toolchain import golang

    config = start(c)
    settings = config["images"]
    tool = toolimage.tool_images_from_config(settings["tools"])[name]
    wanted = version or settings["tools"][name].get("version") or ""
    release: ReleaseVersion | None = parse_release_version(wanted, what=f"{name} version") if wanted else None
    supported = local.go_linux_platforms(golang.require_go())
    platforms = local.parse_platforms(platform or settings["tool_platforms"], supported)
    destination = Reference.parse(registry or settings["tool_registry"])
    box = toolbox(config)
    box.validate(["ko"])
    if trace:
        context.configure(level="verbose")  # the scripts' -X: every command and ko's output as it runs
    base = str(settings.get("ko_base_image") or "") or (
        "" if os.environ.get("KO_DEFAULTBASEIMAGE") else base_image
    )
    build = publish.KoBuild(box.binary("ko"), platforms, trace, base)
    chosen = release_of(tool, release)
    patch = tool_patch(c, config, name, chosen.tag)
    pushed = toolimage.build_tool_image(
        tool,
        chosen,
        registry=destination,
        build=build,
        source=source or tool.source,
        force=force,
        patch=patch,
        go=golang.go_binary(),
    )
    show_pushed(pushed)


def tool_patch(c: Context, config: dict[str, Any], name: str, version: str) -> toolpatches.Patch | None:
    """The dependency patch the checkout's hack/build-<name>-image.sh applies at ``version``, said."""
    from kstasks.core import output
    from kstasks.images import toolpatches
    from kstasks.project.repo import resolve_root

    root = resolve_root(None, config.get("repo"), config_dir=project_dir(c))
    patches = toolpatches.read(root, name)
    patch = toolpatches.for_version(patches, version)
    if patch is not None:
        output.say(f"{patch.source} patches {name} {version}: {patch.describe()}")
    elif patches:
        output.say(f"hack/build-{name}-image.sh has no dependency patch for {name} {version}")
    return patch


def tool_image_task(name: str, label: str) -> Task:
    """The build-<name>-image task: the options of hack/build-<name>-image.sh, and more."""

    def build(
        c: Context,
        version: str | None = None,
        registry: str | None = None,
        platform: str | None = None,
        trace: bool = False,
        source: str | None = None,
        api_url: str | None = None,
        force: bool = False,
    ) -> None:
        build_tool(c, name, version, registry, platform, trace, source, api_url, force)

    build.__doc__ = f"Build the {label} image at a release with ko, multi-platform, and push it."
    return task(name=f"build-{name}-image", help=TOOL_HELP)(build)


build_clusteradm_image = tool_image_task("clusteradm", "clusteradm CLI")
build_helm_image = tool_image_task("helm", "Helm CLI")


@task(
    name="publish-images",
    iterable=["component"],
    help={
        "version": "The release: 0.25.0 or v0.25.0; images are tagged without the v.",
        "registry": "Where to push (default: DOCKER_REGISTRY, ghcr.io/kubestellar/kubestellar).",
        "platform": "Comma-separated os/arch list (default: kstasks.release.image_platforms).",
        "component": "A configured component to publish (repeatable; default: all).",
        "force": "Overwrite tags that hold other images (identical ones always count as done).",
        "repo": REPO_HELP,
    },
)
def publish_images(
    c: Context,
    version: str = "",
    registry: str | None = None,
    platform: str | None = None,
    component: list[str] | None = None,
    force: bool = False,
    repo: str | None = None,
) -> None:
    """Build the release images of the components with ko and push them (the release workflow's images)."""
    from kstasks.core.semver import parse_release_version
    from kstasks.images import local, publish
    from kstasks.remote.registry import Reference
    from kstasks.toolchain import golang

    release = parse_release_version(version)
    t = target(c, repo, ["ko"])
    config = t.config
    supported = local.go_linux_platforms(golang.require_go())
    platforms = local.parse_platforms(platform or config["release"]["image_platforms"], supported)
    destination = Reference.parse(registry or config["images"]["registry"])
    chosen = _components(config, list(component or config["images"]["components"]))
    base_image = str(config["images"].get("ko_base_image") or "")
    pushed = publish.publish_images(
        t.checkout,
        chosen,
        release,
        registry=destination,
        build=publish.KoBuild(t.toolbox.binary("ko"), platforms, base_image=base_image),
        force=force,
    )
    show_pushed(pushed)


def collection() -> Collection:
    """These tasks as a collection (added flat to the root namespace)."""
    return Collection(
        ko_build_controller_manager_local,
        ko_build_transport_local,
        ko_build_local,
        kind_load_image,
        k3d_load_image,
        build_clusteradm_image,
        build_helm_image,
        publish_images,
    )
