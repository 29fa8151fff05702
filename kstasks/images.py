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
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kstasks import publish, runner, scratch
from kstasks.publish import Artifact
from kstasks.registry import Reference, Registry
from kstasks.repo import Checkout
from kstasks.versions import ReleaseVersion

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
        raise runner.usage_error(
            "no platform given", "Pass --platform os/arch[,os/arch...], e.g. linux/amd64."
        )
    for platform in platforms:
        match = _PLATFORM_RE.match(platform)
        known = match is not None and match[1] == "linux"
        if known and supported is not None:
            known = f"{match[1]}/{match[2]}" in supported
        if not known:
            choices = ", ".join(sorted(supported)) if supported else "linux/amd64, linux/arm64, ..."
            raise runner.usage_error(
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
            raise runner.usage_error(
                f"DOCKER_HOST {host!r} is not an engine address ({str(err).split(':')[0]})",
                "Use unix:///path/to/socket, tcp://HOST:PORT or ssh://USER@HOST.",
            ) from None
    where = host or "the default socket (unix:///var/run/docker.sock)"
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except (DockerException, OSError, ValueError) as err:
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
    """A DOCKER_CONFIG (0600, in ``directory``) with the registry credentials, for ko; env additions."""
    from kstasks.registry import credentials_from_env

    credentials = credentials_from_env()
    if not credentials:
        return {}
    auth = base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode()
    runner.add_secret(auth)
    descriptor = os.open(directory / "config.json", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump({"auths": {registry.host: {"auth": auth}}}, handle)
    return {"DOCKER_CONFIG": str(directory)}


def layout_artifact(layout: Path, label: str, repository: str, tag: str) -> Artifact:
    """The image ko saved in the OCI layout ``layout``, as an artifact to publish."""
    index = json.loads((layout / "index.json").read_text())
    blobs: dict[str, Any] = {}
    manifests: list[tuple[bytes, str]] = []

    def read(digest: str) -> bytes:
        algorithm, _, hexdigest = digest.partition(":")
        return (layout / "blobs" / algorithm / hexdigest).read_bytes()

    def walk(descriptor: Mapping[str, Any]) -> None:
        data = read(str(descriptor["digest"]))
        body = json.loads(data)
        media_type = str(descriptor.get("mediaType") or body.get("mediaType"))
        for child in body.get("manifests") or []:
            walk(child)
        for blob in [body["config"], *body.get("layers", [])] if "config" in body else []:
            blobs.setdefault(str(blob["digest"]), lambda digest=str(blob["digest"]): read(digest))
        manifests.append((data, media_type))

    walk(index["manifests"][-1])
    return Artifact(label, repository, tag, tuple(blobs.values()), tuple(manifests))


@dataclass(frozen=True)
class KoBuild:
    """How to run ko for release images."""

    ko: Path
    platforms: list[str]
    trace: bool = False
    base_image: str = ""


def ko_build_layout(workdir: Path, package: str, registry: Reference, build: KoBuild, temp: Path) -> Path:
    """``ko build -B --push=false`` ``package`` into an OCI layout under ``temp``; its path.

    ko builds reproducibly (no timestamps, -trimpath), so the same source gives the same digest.
    With ``trace`` ko's output is shown as it runs.
    """
    name = package.rstrip("/").rsplit("/", 1)[-1]
    layout = temp / f"layout-{name}"
    env = {"KO_DOCKER_REPO": str(registry), **_docker_config(registry, temp)}
    if build.base_image:
        env["KO_DEFAULTBASEIMAGE"] = build.base_image
    args = [build.ko, "build", "-B", package, "--sbom=none", "--platform", ",".join(build.platforms)]
    args += ["--push=false", "--oci-layout-path", str(layout), *(["--verbose"] if build.trace else [])]
    with runner.step(f"ko build {package} for {', '.join(build.platforms)}"):
        runner.run(
            args,
            cwd=workdir,
            env=env,
            capture=not build.trace,
            what=f"ko build {package}",
            todo="Fix the build error above; nothing was pushed.",
        )
    return layout


def publish_layouts(registry: Reference, artifacts: list[Artifact], *, force: bool, what: str) -> list[str]:
    """Publish built images (tags last, read back); the pushed references with their digests."""
    if runner.options.dry:
        return [artifact.label for artifact in artifacts]
    remote = Registry(registry)
    remote.ping()
    outcomes = publish.publish_artifacts(remote, artifacts, force=force, what=what)
    references = [f"{outcome.artifact.label}@{outcome.digest}" for outcome in outcomes]
    for reference in references:
        print(f"pushed {reference}")
    return references


def announce_existing(registry: Reference, name: str, tag: str) -> None:
    """Say early when ``<registry>/<name>:<tag>`` exists: only an identical build will count."""
    remote = Registry(registry)
    remote.ping()
    if not runner.options.dry and remote.resolve(registry.repository(name), tag) is not None:
        runner.say(
            f"{registry}/{name}:{tag} exists; building to compare (only an identical image counts as "
            "published; anything else is refused without --force)"
        )


def _build_into(
    workdir: Path, package: str, registry: Reference, build: KoBuild, tag: str, temp: Path
) -> Artifact:
    name = package.rstrip("/").rsplit("/", 1)[-1]
    layout = ko_build_layout(workdir, package, registry, build, temp)
    label = f"{registry}/{name}:{tag}"
    if runner.options.dry:
        return Artifact(label, registry.repository(name), tag, (), ((b"{}", ""),))
    return layout_artifact(layout, label, registry.repository(name), tag)


def build_tool_image(
    tool: ToolImage,
    version: ReleaseVersion,
    *,
    registry: Reference,
    build: KoBuild,
    source: str,
    force: bool = False,
) -> str:
    """Build ``tool`` at ``version`` and publish ``<registry>/<tool>:<version>``.

    A tag holding another image is refused (exit 1) unless ``force``; one holding exactly this
    build counts as published. Returns the pushed reference with its digest. The source is
    cloned into a private temporary directory that is always removed.
    """
    announce_existing(registry, tool.name, version.registry_tag)
    with scratch.directory(tool.name) as temp:
        checkout = Path(temp) / tool.name
        with runner.step(f"fetch {tool.name} {version.tag}"):
            clone_at_tag(source, version.tag, checkout)
        artifact = _build_into(checkout, tool.package, registry, build, version.registry_tag, Path(temp))
        return publish_layouts(registry, [artifact], force=force, what="image")[0]


def publish_images(
    checkout: Checkout,
    components: list[Component],
    version: ReleaseVersion,
    *,
    registry: Reference,
    build: KoBuild,
    force: bool = False,
) -> list[str]:
    """Release images of the checkout's components, tagged ``<version>`` (no v), as the release
    workflow's goreleaser/ko step publishes them: every image is built first, then all are
    pushed by digest, then tagged."""
    for component in components:
        announce_existing(registry, component.image, version.registry_tag)
    with scratch.directory("images") as temp:
        artifacts = [
            _build_into(checkout.root, component.package, registry, build, version.registry_tag, Path(temp))
            for component in components
        ]
        return publish_layouts(registry, artifacts, force=force, what="image")
