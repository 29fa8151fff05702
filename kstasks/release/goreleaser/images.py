"""goreleaser's ``kos:`` step, done locally: each entry built once with the pinned ko into an OCI
layout, for the entry's platforms, with the build's ``main`` and the same ldflags and env as the
binaries (through a generated ko config, ``KO_CONFIG_PATH``), tagged as its ``tags`` say and
named as its ``repositories`` (v2) or ``repository`` (v1) say, after ``--registry`` rewriting.

Not done (a difference from goreleaser's ko pipe): ko's SBOM attachment (``sbom: spdx`` there;
``--sbom=none`` here, as ``publish-images`` builds) — the release's SBOMs are the syft documents.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from kstasks.core import output, runner
from kstasks.release.goreleaser import templates
from kstasks.release.goreleaser.build import Source, _env
from kstasks.release.goreleaser.config import ReleasePlan, import_path, version_fields
from kstasks.release.goreleaser.model import KoImage


@dataclass(frozen=True)
class BuiltImage:
    """One ``kos:`` entry, built."""

    ko: KoImage
    layout: Path
    """The OCI layout ko wrote (an index over the platforms)."""
    references: tuple[tuple[str, str], ...]
    """(repository, tag) pairs it is published as, registry prefix already rewritten."""


def rewrite(repository: str, registry: str) -> str:
    """``repository`` with its registry prefix (all but the last path element) replaced by
    ``registry`` (``HOST/PATH``); unchanged when ``registry`` is empty."""
    if not registry:
        return repository
    return f"{registry.rstrip('/')}/{repository.rstrip('/').rsplit('/', 1)[-1]}"


def _ko_config(plan: ReleasePlan, ko: KoImage, source: Source, version: str, directory: Path) -> Path:
    build = plan.build(ko.build)
    env_in = {**os.environ, "LDFLAGS": source.ldflags}
    fields = version_fields(plan, version)
    flags = [templates.render(f, fields, env_in, what=f"kos {ko.id} ldflags") for f in ko.ldflags]
    entry = {
        "id": ko.id,
        "dir": ".",
        "main": ko.main,
        "env": [f"{k}={v}" for k, v in _env(build.env, env_in).items()],
        "flags": list(build.flags),
        "ldflags": flags,
    }
    path = directory / ".ko.yaml"
    path.write_text(yaml.safe_dump({"builds": [entry]}, sort_keys=False))
    return directory


def build_images(
    plan: ReleasePlan, source: Source, version: str, ko_binary: Path, temp: Path, *, registry: str = ""
) -> list[BuiltImage]:
    """Every ``kos:`` entry built into an OCI layout under ``temp``."""
    fields = version_fields(plan, version)
    built = []
    for ko in plan.kos:
        directory = temp / f"ko-{ko.id}"
        directory.mkdir(parents=True)
        config = _ko_config(plan, ko, source, version, directory)
        layout = directory / "layout"
        names = ko.image_names(import_path(plan, ko.main))
        tags = [templates.render(t, fields, what=f"kos {ko.id} tags") for t in ko.tags]
        env = {"KO_CONFIG_PATH": str(config), "KO_DOCKER_REPO": rewrite(names[0], registry)}
        args = [ko_binary, "build", ko.main, "--bare", "--push=false", "--sbom=none"]
        args += ["--platform", ",".join(ko.platforms), "--oci-layout-path", str(layout)]
        with output.step(f"release: ko image {ko.id} for {', '.join(ko.platforms)}"):
            runner.run(
                args,
                cwd=source.root,
                env=env,
                capture=True,
                what=f"ko build ({ko.id})",
                todo="Fix the build error above; nothing was pushed.",
            )
        references = tuple((rewrite(name, registry), tag) for name in names for tag in tags)
        built.append(BuiltImage(ko, layout, references))
    return built


def layout_platforms(layout: Path) -> dict[str, str]:
    """``os/arch`` → manifest digest of the image index ko wrote in ``layout``."""
    index = json.loads((layout / "index.json").read_text())
    top = index["manifests"][-1]
    algorithm, _, hexdigest = str(top["digest"]).partition(":")
    body = json.loads((layout / "blobs" / algorithm / hexdigest).read_bytes())
    found = {}
    for manifest in body.get("manifests") or [top]:
        platform = manifest.get("platform") or {}
        found[f"{platform.get('os')}/{platform.get('architecture')}"] = str(manifest["digest"])
    return found
