"""Local images: ko builds into a Docker-API engine, and loading them into a kind cluster."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kstasks.core import context, errors, output, runner
from kstasks.project.repo import Checkout

_PLATFORM_RE = re.compile(r"^([a-z0-9]+)/([a-z0-9_]+)(?:/(v[0-9]+))?$")


ENGINE_HINT = (
    "Start Docker, or podman's API service (podman system service --time=0 unix:///tmp/podman.sock &), "
    "and point DOCKER_HOST at it (export DOCKER_HOST=unix:///tmp/podman.sock)."
)


def go_linux_platforms(go: str) -> set[str]:
    """The ``linux/<arch>`` platforms this Go supports (``go tool dist list``)."""
    result = runner.run(
        [go, "tool", "dist", "list"], capture=True, query=True, quiet=True, what="go tool dist list"
    )
    return {line.strip() for line in result.stdout.splitlines() if line.startswith("linux/")}


def parse_platforms(text: str, supported: set[str] | None = None) -> list[str]:
    """``linux/arch[/variant]`` values, comma separated; exit 2 on a malformed or unsupported one.

    ``supported`` is the set of ``linux/<arch>`` Go builds for (the base images are linux).
    """
    platforms = [part.strip() for part in text.split(",") if part.strip()]
    if not platforms:
        raise errors.BadInput("no platform given", "Pass --platform os/arch[,os/arch...], e.g. linux/amd64.")
    for platform in platforms:
        match = _PLATFORM_RE.match(platform)
        known = match is not None and match[1] == "linux"
        if known and supported is not None:
            known = f"{match[1]}/{match[2]}" in supported
        if not known:
            choices = ", ".join(sorted(supported)) if supported else "linux/amd64, linux/arm64, ..."
            raise errors.BadInput(
                f"unknown platform {platform!r} (expected linux/arch[/variant], e.g. linux/amd64)",
                f"Use one that Go builds and the linux base images run: {choices}.",
            )
    return platforms


@dataclass(frozen=True)
class Component:
    """A binary of the checkout that becomes an image."""

    key: str
    package: str
    """The Go package ko builds, e.g. ./cmd/controller-manager."""

    @property
    def image(self) -> str:
        """The image name ko gives it with -B: the package's last path element."""
        return self.package.rstrip("/").rsplit("/", 1)[-1]


def components_from_config(config: Mapping[str, Any]) -> dict[str, Component]:
    """The ``kstasks.images.components`` settings as components, by key."""
    return {key: Component(key, str(value["package"])) for key, value in dict(config).items()}


def split_image(reference: str) -> tuple[str, str]:
    """``repository, tag`` of ``name[:tag]`` (a port in the registry host is not a tag)."""
    last = reference.rsplit("/", 1)[-1]
    if ":" in last:
        repository, tag = reference.rsplit(":", 1)
        return repository, tag
    return reference, "latest"


def docker_engine(timeout: float = 5.0) -> Any:
    """A docker SDK client for the engine at DOCKER_HOST that answers ping; exit 2 if none does."""
    import docker
    from docker.errors import DockerException
    from docker.utils import parse_host

    host = os.environ.get("DOCKER_HOST")
    if host:
        try:
            parse_host(host)
        except (DockerException, ValueError) as err:
            raise errors.BadInput(
                f"DOCKER_HOST {host!r} is not an engine address ({str(err).split(':')[0]})",
                "Use unix:///path/to/socket, tcp://HOST:PORT or ssh://USER@HOST.",
            ) from None
    where = host or "the default socket (unix:///var/run/docker.sock)"
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except (DockerException, OSError, ValueError) as err:
        raise errors.BadInput(
            f"no Docker engine answers at {where} ({type(err).__name__})", ENGINE_HINT
        ) from err
    return client


def ko_build_local(
    checkout: Checkout,
    component: Component,
    *,
    ko: Path,
    arch: str,
    tag: str,
    target: str,
    client: Any,
    base_image: str = "",
) -> str:
    """Build ``component`` for linux/``arch`` into the engine and tag it ``target``; the image id."""
    env = {"KO_DOCKER_REPO": "ko.local"}
    if base_image:
        env["KO_DEFAULTBASEIMAGE"] = base_image
    with output.step(f"ko build {component.package} for linux/{arch} into the local engine"):
        runner.run(
            [ko, "build", "-B", component.package, "-t", tag, "--platform", f"linux/{arch}"],
            cwd=checkout.root,
            env=env,
            capture=True,
            what=f"ko build {component.package}",
            todo="Fix the build error above (or KO_DEFAULTBASEIMAGE if the base image cannot be pulled).",
        )
    local = f"ko.local/{component.image}:{tag}"
    repository, target_tag = split_image(target)
    output.say(f"+ docker tag {local} {target}")
    if context.dry_run():
        return ""
    from docker.errors import DockerException

    try:
        client.api.tag(local, repository, target_tag)
        image = client.images.get(target)
    except DockerException as err:
        raise errors.StepFailed(
            f"tagging {local} as {target} failed ({err})", "Check the engine at DOCKER_HOST."
        ) from err
    return str(image.id)


INSTALL_PAGES = {"kind": "https://kind.sigs.k8s.io", "k3d": "https://k3d.io"}


def require_loader(program: str) -> Path:
    """``kind`` or ``k3d`` on PATH, or exit 2 saying how to install it (before anything is built)."""
    found = shutil.which(program)
    if found is None:
        raise errors.BadInput(
            f"{program} is not installed or not on PATH",
            f"Install {program} ({INSTALL_PAGES.get(program, program)}) and try again.",
        )
    return Path(found)


def load_into_cluster(program: Path, kind_of: str, images: list[str], cluster: str) -> None:
    """Each image into the cluster, one command each as the Makefile's recipes run them:
    ``kind load --name CLUSTER docker-image IMAGE`` or ``k3d image import IMAGE -c CLUSTER``."""
    for image in images:
        if kind_of == "k3d":
            argv = [program, "image", "import", image, "-c", cluster]
        else:
            argv = [program, "load", "--name", cluster, "docker-image", image]
        runner.run(
            argv,
            what=f"{kind_of} load of {image}",
            todo=f"Check that the {kind_of} cluster {cluster} exists.",
        )


def kind_load(images: list[str], cluster: str) -> None:
    """``kind load docker-image`` the images into the kind cluster ``cluster``."""
    load_into_cluster(require_loader("kind"), "kind", images, cluster)
