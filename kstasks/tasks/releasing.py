"""The ``release`` task: the checkout's own release, as its goreleaser config and release workflow
describe it (``kstasks.release.goreleaser.pipeline``)."""

from __future__ import annotations

import os
from pathlib import Path

from invoke import Collection, task
from invoke.context import Context

from kstasks.tasks.common import REPO_HELP, show, target, writing


@task(
    name="release",
    positional=["version"],
    help={
        "version": "The release: 0.30.0 or v0.30.0 (SemVer; the checkout's HEAD must carry its tag). "
        "Optional with --snapshot.",
        "snapshot": "Build everything into dist/ and publish nothing (goreleaser release --snapshot).",
        "allow-untagged": "Release a HEAD that does not carry the version's tag (rehearsals).",
        "registry": "HOST[:PORT]/PATH replacing the registry prefix of every image and chart repository "
        "the config names.",
        "chart-dependency-registry": "HOST[:PORT]/PATH: fetch every OCI chart dependency oci://X from "
        "oci://HOST/PATH/X (a mirror). kstasks.release.chart_dependency_mirrors maps prefixes.",
        "skip-dependency-update": "Package charts with their charts/ directory as it stands (no network).",
        "force": "Overwrite published tags and release assets that differ.",
        "sign-key": "A cosign private key: sign every image by digest and the checksums file "
        "(password from COSIGN_PASSWORD).",
        "no-dispatch": "Do not send the docs repository_dispatch the release workflow sends.",
        "dist": "Where the release's files go (default: dist).",
        "repo": REPO_HELP,
    },
)
def release(
    c: Context,
    version: str | None = None,
    snapshot: bool = False,
    allow_untagged: bool = False,
    registry: str = "",
    chart_dependency_registry: str = "",
    skip_dependency_update: bool = False,
    force: bool = False,
    sign_key: str = "",
    no_dispatch: bool = False,
    dist: str = "dist",
    repo: str | None = None,
) -> None:
    """Build and publish the checkout's release: binaries, archives, checksums, SBOMs, images, charts,
    the GitHub release (--snapshot: build only)."""
    from kstasks.charts.derive import ChartLayout
    from kstasks.images.publish import layout_artifact
    from kstasks.release.goreleaser import pipeline
    from kstasks.release.goreleaser.config import load_plan

    t = target(c, repo, [])
    plan = load_plan(t.checkout.root)
    settings = t.config.get("release", {})
    request = pipeline.Request(
        version=version or "",
        snapshot=snapshot,
        allow_untagged=allow_untagged,
        registry=registry,
        chart_dependency_registry=chart_dependency_registry,
        chart_dependency_mirrors=dict(settings.get("chart_dependency_mirrors") or {}),
        skip_dependency_update=skip_dependency_update,
        force=force,
        sign_key=Path(sign_key) if sign_key else None,
        dispatch=not no_dispatch,
        dist=dist,
    )
    pipeline.validate(plan, request, os.environ)
    with writing(t, "release"):
        lines = pipeline.release(
            t.checkout, plan, ChartLayout.from_config(t.config["chart"]), t.toolbox, request, layout_artifact
        )
    show(lines)


def collection() -> Collection:
    """These tasks as a collection (added flat to the root namespace)."""
    return Collection(release)
