"""Images: ko builds into a local Docker-API engine, and the clusteradm / Helm CLI images.

Local builds port ``make ko-build-controller-manager-local`` and friends: ko builds one
``linux/$ARCH`` image into the engine at DOCKER_HOST (Docker, or podman's API service), and
the image is tagged ``$DOCKER_REGISTRY/<name>:$IMAGE_TAG`` through the docker SDK.
Tool images port ``hack/build-clusteradm-image.sh`` / ``build-helm-image.sh``: the upstream
source at tag ``v<version>`` in a temporary directory, built for several platforms with ko
and pushed to a registry.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kstasks import runner
from kstasks.registry import Reference, Registry
from kstasks.repo import Checkout
from kstasks.versions import ReleaseVersion

KNOWN_OS = ("linux", "darwin", "windows", "freebsd")
KNOWN_ARCH = ("amd64", "arm64", "arm", "ppc64le", "s390x", "386", "riscv64", "mips64le", "loong64")
_PLATFORM_RE = re.compile(r"^([a-z0-9]+)/([a-z0-9_]+)(?:/(v[0-9]+))?$")

ENGINE_HINT = (
    "Start Docker, or podman's API service (podman system service --time=0 unix:///tmp/podman.sock &), "
    "and point DOCKER_HOST at it (export DOCKER_HOST=unix:///tmp/podman.sock)."
)


def parse_platforms(text: str) -> list[str]:
    """``os/arch[/variant]`` values, comma separated; exit 2 on an unknown or malformed one."""
    platforms = [part.strip() for part in text.split(",") if part.strip()]
    if not platforms:
        raise runner.usage_error(
            "no platform given", "Pass --platform os/arch[,os/arch...], e.g. linux/amd64."
        )
    for platform in platforms:
        match = _PLATFORM_RE.match(platform)
        if not match or match[1] not in KNOWN_OS or match[2] not in KNOWN_ARCH:
            raise runner.usage_error(
                f"unknown platform {platform!r} (expected os/arch[/variant], e.g. linux/amd64)",
                f"Use os from {', '.join(KNOWN_OS)} and arch from {', '.join(KNOWN_ARCH)}.",
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

    where = os.environ.get("DOCKER_HOST") or "the default socket (unix:///var/run/docker.sock)"
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except (DockerException, OSError) as err:
        raise runner.usage_error(
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
    with runner.step(f"ko build {component.package} for linux/{arch} into the local engine"):
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
    runner.say(f"+ docker tag {local} {target}")
    if runner.options.dry:
        return ""
    from docker.errors import DockerException

    try:
        client.api.tag(local, repository, target_tag)
        image = client.images.get(target)
    except DockerException as err:
        raise runner.stop(
            f"tagging {local} as {target} failed ({err})", "Check the engine at DOCKER_HOST."
        ) from err
    print(f"{target} {image.id}")
    return str(image.id)


def kind_load(images: list[str], cluster: str) -> None:
    """``kind load docker-image`` the images into the kind cluster ``cluster``."""
    kind = shutil.which("kind")
    if kind is None:
        raise runner.usage_error(
            "kind is not installed or not on PATH", "Install kind (https://kind.sigs.k8s.io) and try again."
        )
    runner.run([kind, "load", "--name", cluster, "docker-image", *images], what="kind load docker-image")


@dataclass(frozen=True)
class ToolImage:
    """An upstream CLI that KubeStellar ships as an image."""

    name: str
    github_repo: str
    source: str
    package: str


def tool_images_from_config(config: Mapping[str, Any]) -> dict[str, ToolImage]:
    """The ``kstasks.images.tools`` settings, by name."""
    return {
        name: ToolImage(name, str(value["github_repo"]), str(value["source"]), str(value["package"]))
        for name, value in dict(config).items()
    }


def tool_release(tool: ToolImage, version: ReleaseVersion | None, *, api: str) -> ReleaseVersion:
    """``version``, else the latest stable release of the tool's GitHub repository."""
    if version is not None:
        return version
    from kstasks import github

    latest = github.latest_release(tool.github_repo, api=api)
    runner.say(f"Using {tool.name} {latest.tag} (the latest release).")
    return latest


def source_url(source: str) -> str:
    """A git URL; a local path becomes a ``file://`` URL (so a shallow clone works)."""
    if "://" in source or source.startswith("git@"):
        return source
    return Path(source).expanduser().resolve().as_uri()


def clone_at_tag(source: str, tag: str, dest: Path) -> None:
    """Shallow clone of ``source`` at ``tag`` into ``dest`` (gitpython)."""
    import git

    url = source_url(source)
    runner.say(f"+ git clone -b {tag} --depth 1 {url} {dest}")
    if runner.options.dry:
        return
    try:
        git.Repo.clone_from(url, dest, branch=tag, depth=1, single_branch=True)
    except git.GitCommandError as err:
        stderr = runner.redact(str(err.stderr or "")).strip()
        raise runner.stop(
            f"could not fetch tag {tag} from {url}",
            "Check --source and that the version is released there.",
            details=stderr,
        ) from err


def _docker_config(registry: Reference, directory: Path) -> dict[str, str]:
    """A DOCKER_CONFIG with the registry credentials from the environment, for ko; env additions."""
    from kstasks.registry import credentials_from_env

    credentials = credentials_from_env()
    if not credentials:
        return {}
    auth = base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode()
    runner.add_secret(auth)
    (directory / "config.json").write_text(json.dumps({"auths": {registry.host: {"auth": auth}}}))
    return {"DOCKER_CONFIG": str(directory)}


def refuse_published(registry: Reference, name: str, tag: str, *, force: bool) -> Registry:
    """Exit 1 when ``<registry>/<name>:<tag>`` exists (unless ``force``); the registry client."""
    remote = Registry(registry)
    remote.ping()
    if remote.manifest(registry.repository(name), tag) is not None and not force:
        raise runner.stop(
            f"{registry}/{name}:{tag} is already published",
            "A published image is immutable: nothing was built. Pass --force to overwrite.",
        )
    return remote


def ko_push(
    workdir: Path,
    package: str,
    tag: str,
    *,
    registry: Reference,
    platforms: list[str],
    ko: Path,
    trace: bool = False,
    base_image: str = "",
) -> str:
    """``ko build -B`` ``package`` for ``platforms`` and push it as ``<registry>/<name>:<tag>``.

    Returns the pushed reference with its digest.
    """
    name = package.rstrip("/").rsplit("/", 1)[-1]
    target = f"{registry}/{name}:{tag}"
    with tempfile.TemporaryDirectory(prefix="kstasks-ko-") as temp:
        env = {"KO_DOCKER_REPO": str(registry), **_docker_config(registry, Path(temp))}
        if base_image:
            env["KO_DEFAULTBASEIMAGE"] = base_image
        args = [ko, "build", "-B", package, "-t", tag, "--sbom=none", "--platform", ",".join(platforms)]
        with runner.step(f"ko build {package} {tag} for {', '.join(platforms)}"):
            result = runner.run(
                [*args, *(["--verbose"] if trace else [])],
                cwd=workdir,
                env=env,
                capture=True,
                what=f"ko build {package}",
                todo="Fix the build error above; nothing was pushed.",
            )
    if runner.options.dry:
        return target
    pushed = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    digest = pushed.rsplit("@", 1)[-1] if "@" in pushed else ""
    reference = f"{target}@{digest}" if digest else target
    print(f"pushed {reference}")
    return reference


def build_tool_image(
    tool: ToolImage,
    version: ReleaseVersion,
    *,
    registry: Reference,
    platforms: list[str],
    ko: Path,
    source: str,
    force: bool = False,
    trace: bool = False,
    base_image: str = "",
) -> str:
    """Build ``tool`` at ``version`` for ``platforms`` and push ``<registry>/<tool>:<version>``.

    Refuses (exit 1) when that tag exists, unless ``force``. Returns the pushed reference
    with its digest. The source is cloned into a temporary directory that is always removed.
    """
    refuse_published(registry, tool.name, version.text, force=force)
    with tempfile.TemporaryDirectory(prefix=f"kstasks-{tool.name}-") as temp:
        checkout = Path(temp) / tool.name
        with runner.step(f"fetch {tool.name} {version.tag}"):
            clone_at_tag(source, version.tag, checkout)
        return ko_push(
            checkout,
            tool.package,
            version.text,
            registry=registry,
            platforms=platforms,
            ko=ko,
            trace=trace,
            base_image=base_image,
        )


def publish_images(
    checkout: Checkout,
    components: list[Component],
    version: ReleaseVersion,
    *,
    registry: Reference,
    platforms: list[str],
    ko: Path,
    force: bool = False,
    base_image: str = "",
) -> list[str]:
    """Release images of the checkout's components, tagged ``<version>`` (no v), as the release
    workflow's goreleaser/ko step publishes them. Every tag is checked before anything is built."""
    for component in components:
        refuse_published(registry, component.image, version.text, force=force)
    return [
        ko_push(
            checkout.root,
            component.package,
            version.text,
            registry=registry,
            platforms=platforms,
            ko=ko,
            base_image=base_image,
        )
        for component in components
    ]
