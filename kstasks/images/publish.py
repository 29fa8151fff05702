"""Images built with ko into an OCI layout, then pushed whole or not at all."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kstasks.core import context, output, runner, scratch
from kstasks.core.semver import ReleaseVersion
from kstasks.images.local import Component
from kstasks.project.repo import Checkout
from kstasks.remote import push
from kstasks.remote.dockerconfig import private_docker_config
from kstasks.remote.push import Artifact
from kstasks.remote.registry import Reference, Registry


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
    env = {"KO_DOCKER_REPO": str(registry), **private_docker_config(registry.host, temp)}
    if build.base_image:
        env["KO_DEFAULTBASEIMAGE"] = build.base_image
    args = [build.ko, "build", "-B", package, "--sbom=none", "--platform", ",".join(build.platforms)]
    args += ["--push=false", "--oci-layout-path", str(layout), *(["--verbose"] if build.trace else [])]
    with output.step(f"ko build {package} for {', '.join(build.platforms)}"):
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
    """Publish built images (tags last, read back); the pushed references with their digests
    (none under dry-run)."""
    if context.dry_run():
        return []
    remote = Registry(registry)
    remote.ping()
    outcomes = push.publish_artifacts(remote, artifacts, force=force, what=what)
    return [f"{outcome.artifact.label}@{outcome.digest}" for outcome in outcomes]


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
            build_into(checkout.root, component.package, registry, build, version.registry_tag, Path(temp))
            for component in components
        ]
        return publish_layouts(registry, artifacts, force=force, what="image")


def announce_existing(registry: Reference, name: str, tag: str) -> None:
    """Say early when ``<registry>/<name>:<tag>`` exists: only an identical build will count."""
    remote = Registry(registry)
    remote.ping()
    if not context.dry_run() and remote.resolve(registry.repository(name), tag) is not None:
        output.say(
            f"{registry}/{name}:{tag} exists; building to compare (only an identical image counts as "
            "published; anything else is refused without --force)"
        )


def build_into(
    workdir: Path, package: str, registry: Reference, build: KoBuild, tag: str, temp: Path
) -> Artifact:
    name = package.rstrip("/").rsplit("/", 1)[-1]
    layout = ko_build_layout(workdir, package, registry, build, temp)
    label = f"{registry}/{name}:{tag}"
    if context.dry_run():
        return Artifact(label, registry.repository(name), tag, (), ((b"{}", ""),))
    return layout_artifact(layout, label, registry.repository(name), tag)
