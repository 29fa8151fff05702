"""The records of a release plan: goreleaser's ``builds``, ``kos``, ``archives``, ``sboms`` and
``release`` entries with goreleaser's defaults applied (``config`` reads them), and the artifacts
a release consists of.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from kstasks.core import errors
from kstasks.release.goreleaser.workflow import ChartStep, Dispatch, Workflow

KINDS = ("archive", "checksums", "sbom", "binary", "image", "chart")


@dataclass(frozen=True)
class Build:
    """A ``builds:`` entry."""

    id: str
    main: str
    binary: str
    goos: tuple[str, ...]
    goarch: tuple[str, ...]
    env: tuple[str, ...] = ()
    ldflags: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    ignore: tuple[tuple[str, str], ...] = ()

    @property
    def platforms(self) -> list[tuple[str, str]]:
        """Every (GOOS, GOARCH) this build targets, in goreleaser's order."""
        return [(o, a) for o in self.goos for a in self.goarch if (o, a) not in self.ignore]

    @property
    def binary_base(self) -> str:
        """The template's ``.Binary``: the binary's base name."""
        return Path(self.binary).name


@dataclass(frozen=True)
class KoImage:
    """A ``kos:`` entry."""

    id: str
    build: str
    repositories: tuple[str, ...]
    tags: tuple[str, ...]
    platforms: tuple[str, ...]
    bare: bool
    preserve_import_paths: bool
    base_import_paths: bool
    ldflags: tuple[str, ...]
    main: str
    """The package ko builds (the build's ``main``)."""

    def image_names(self, import_path: str) -> list[str]:
        """The image repositories ko pushes to (``bare``: the repository itself)."""
        if self.bare:
            return list(self.repositories)
        if self.preserve_import_paths:
            return [f"{repo}/{import_path}" for repo in self.repositories]
        base = import_path.rstrip("/").rsplit("/", 1)[-1]
        if self.base_import_paths:
            return [f"{repo}/{base}" for repo in self.repositories]
        digest = hashlib.md5(import_path.encode()).hexdigest()  # ko's image naming, not security
        return [f"{repo}/{base}-{digest}" for repo in self.repositories]


@dataclass(frozen=True)
class Archive:
    """An ``archives:`` entry."""

    id: str
    format: str
    name_template: str
    files: tuple[str, ...]
    builds: tuple[str, ...] = ()
    wrap_in_directory: str = ""


@dataclass(frozen=True)
class Sbom:
    """An ``sboms:`` entry."""

    id: str
    artifacts: str
    documents: tuple[str, ...]
    cmd: str
    args: tuple[str, ...]
    env: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReleaseSettings:
    """The ``release:`` section."""

    draft: bool = False
    prerelease: str = "false"
    """``auto``, ``true`` or ``false``."""
    mode: str = "keep-existing"
    name_template: str = "{{ .Tag }}"
    disable: bool = False

    def is_prerelease(self, version: str) -> bool:
        """Whether a release of ``version`` is marked pre-release (``auto``: it has a pre-release part)."""
        if self.prerelease == "auto":
            return "-" in version.split("+", 1)[0]
        return self.prerelease == "true"


@dataclass(frozen=True)
class ReleasePlan:
    """Everything the checkout's release makes, read from its config and workflow."""

    root: Path
    config_path: Path | None
    config_version: int
    project_name: str
    module: str
    builds: tuple[Build, ...]
    kos: tuple[KoImage, ...]
    archives: tuple[Archive, ...]
    checksum_name: str
    checksum_algorithm: str
    checksum_disabled: bool
    sboms: tuple[Sbom, ...]
    source_enabled: bool
    release: ReleaseSettings
    workflow: Workflow = field(default_factory=lambda: Workflow(None))

    @property
    def charts(self) -> tuple[ChartStep, ...]:
        return self.workflow.charts

    @property
    def dispatch(self) -> Dispatch | None:
        return self.workflow.dispatch

    def build(self, build_id: str) -> Build:
        found = next((b for b in self.builds if b.id == build_id), None)
        if found is None:
            raise errors.BadInput(
                f"{self.config_path}: kos refers to build {build_id!r}, which builds: does not have",
                "Fix the ko entry's build: field.",
            )
        return found

    def platforms(self) -> list[tuple[str, str]]:
        """Every platform some build targets, in first-seen order."""
        seen: dict[tuple[str, str], None] = {}
        for build in self.builds:
            for platform in build.platforms:
                seen.setdefault(platform, None)
        return list(seen)


@dataclass(frozen=True)
class ExpectedArtifact:
    """One thing a release consists of."""

    kind: str
    """One of ``KINDS``."""
    name: str
    """A file name (archive, checksums, sbom, chart archive), a binary's archive path, or an image
    or chart reference ``repository:tag``."""
    platform: str = ""
    """``linux/amd64``; empty for platform-independent artifacts."""
    build: str = ""
    """The ``builds:`` id (binary, image) or the SBOM config id (sbom)."""
    members: tuple[str, ...] = ()
    """An archive's members; the files a checksums file lists."""
    source: str = ""
    """What an SBOM catalogs (file name), or a chart's directory."""
    reference: str = ""
    """Where a chart is pushed (``oci://host/path/name:version``)."""
