"""The clusteradm / Helm CLI images: an upstream tool built with ko at a release tag."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kstasks.core import context, errors, output, scratch
from kstasks.core.semver import ReleaseVersion
from kstasks.images import toolpatches
from kstasks.images.publish import (
    KoBuild,
    announce_existing,
    build_into,
    publish_layouts,
)
from kstasks.remote.registry import Reference


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
    from kstasks.remote import github

    latest = github.latest_release(tool.github_repo, api=api)
    output.say(f"Using {tool.name} {latest.tag} (the latest release).")
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
    output.say(f"+ git clone -b {tag} --depth 1 {url} {dest}")
    if context.dry_run():
        return
    try:
        git.Repo.clone_from(url, dest, branch=tag, depth=1, single_branch=True)
    except git.GitCommandError as err:
        stderr = output.redact(str(err.stderr or "")).strip()
        raise errors.StepFailed(
            f"could not fetch tag {tag} from {url}",
            "Check --source and that the version is released there.",
            context=stderr,
        ) from err


def build_tool_image(
    tool: ToolImage,
    version: ReleaseVersion,
    *,
    registry: Reference,
    build: KoBuild,
    source: str,
    force: bool = False,
    patch: toolpatches.Patch | None = None,
    go: str = "go",
) -> str:
    """Build ``tool`` at ``version`` and publish ``<registry>/<tool>:<version>``.

    A tag holding another image is refused (exit 1) unless ``force``; one holding exactly this
    build counts as published. Returns the pushed reference with its digest. The source is
    cloned into a private temporary directory that is always removed.
    """
    announce_existing(registry, tool.name, version.registry_tag)
    with scratch.directory(tool.name) as temp:
        checkout = Path(temp) / tool.name
        with output.step(f"fetch {tool.name} {version.tag}"):
            clone_at_tag(source, version.tag, checkout)
        if patch is not None:
            toolpatches.apply(patch, checkout, go)
        artifact = build_into(checkout, tool.package, registry, build, version.registry_tag, Path(temp))
        return publish_layouts(registry, [artifact], force=force, what="image")
