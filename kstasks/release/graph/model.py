"""The version-reference graph's vocabulary: artifacts, references, occurrences, problems."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kstasks.core.semver import ReleaseVersion

SET_CHOICES = ("never", "release", "regular")
KINDS = ("image", "chart", "go-module", "github-release", "toolchain", "minimum", "doc-branch")
"""What an artifact is: published where, checked how (``verify-versions --published``)."""
AGREE_ON = ("exact", "minor", "none")
RELATIONS = ("eq", "le", "same-minor", "k8s-minor")
"""How a rule ties two artifacts: equal, left <= right, same MAJOR.MINOR, same MINOR (client-go's
0.X is Kubernetes 1.X)."""
FORMS = ("plain", "dashed")
"""How a literal writes a version: ``0.30.0``, or ``0-30-0`` (doc page anchors)."""


PATH_PART_RE = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@dataclass(frozen=True)
class Artifact:
    """A published image or chart."""

    id: str
    kind: str
    name: str
    registry: str
    v_prefix: bool = False
    self_published: bool = False
    """Published by this repository's release (verify-release checks it)."""
    mention: str = ""
    """A regex (with a ``version`` group) for mentions of it anywhere; derived when empty."""
    family: str = ""
    """The upstream project whose release it follows (``bump FAMILY`` edits all its artifacts)."""
    agree_on: str = "exact"
    """What its references must share: the exact version, MAJOR.MINOR, or nothing (rules only)."""
    loose: bool = False
    """Versions are not SemVer (``1.26``, ``v1.29``: Go toolchains, minimums)."""
    published: tuple[tuple[str, str], ...] = ()
    """Where ``verify-versions --published`` looks: ``oci``/``image``/``github``/``asset``/``module``."""

    def where(self, key: str) -> str:
        """The ``published`` entry ``key`` ('' if absent)."""
        return dict(self.published).get(key, "")

    def tag(self, version: ReleaseVersion) -> str:
        """The registry tag this artifact carries for ``version`` (build metadata's ``+`` as ``_``)."""
        return f"v{version.registry_tag}" if self.v_prefix else version.registry_tag

    def mention_pattern(self) -> re.Pattern[str] | None:
        """How a versioned mention of this artifact looks in any file (None: no general form)."""
        if self.mention:
            return re.compile(self.mention, re.MULTILINE)
        if self.kind not in ("image", "chart") or not self.registry:
            return None
        location = re.escape(f"{self.registry.removeprefix('oci://')}/{self.name}")
        version = r"""["']?(?P<version>v?\d+\.\d+\.\d+[\w.+-]*)"""
        if self.kind == "image":
            return re.compile(rf"{location}:{version}", re.MULTILINE)
        return re.compile(rf"{location}\b(?:[^\n]*\n){{0,2}}?[^\n]*?--version[\s=\-]*{version}", re.MULTILINE)


@dataclass(frozen=True)
class ReferenceSpec:
    """One declared reference: where a version literal of an artifact lives."""

    id: str
    artifact: str
    file: str
    yaml_path: str = ""
    pattern: str = ""
    set: str = "never"
    """What release-prepare does: never touch it, set it for every release, or only a regular one."""
    agree: str = ""
    """References with the same group must hold the same version; default: the artifact id."""
    v_prefix: bool | None = None
    """Whether this literal carries a ``v``; default: as the artifact's tags do."""
    historical: bool = False
    """A page about the past (old docs, release notes): listed, never a finding, never edited."""
    unpinned: bool = False
    """A floating reference (``.../main/install.sh``, ``@latest``): listed and flagged."""
    form: str = "plain"
    """How the literal writes a version (see FORMS)."""

    @property
    def group(self) -> str:
        """The agreement group."""
        return self.agree or self.artifact


@dataclass(frozen=True)
class Occurrence:
    """A reference found in a file."""

    spec: ReferenceSpec
    file: str
    line: int
    start: int
    end: int
    value: str
    style: str = ""
    """The YAML quote style of the scalar (``'``, ``"`` or empty)."""


@dataclass(frozen=True)
class Known:
    """A problem the checkout had when its graph was written, accepted for a reason."""

    problem: str
    reason: str = ""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the references.

    ``text`` names files and lines; ``key`` is the same without line numbers, so a known
    problem stays known when unrelated edits move it.
    """

    text: str
    key: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Rule:
    """A declared relation between two artifacts' versions (see RELATIONS)."""

    id: str
    left: str
    relation: str
    right: str
    says: str = ""


@dataclass
class Graph:
    """Artifacts and references, as declared."""

    artifacts: dict[str, Artifact]
    references: list[ReferenceSpec]
    scan_include: list[str] = field(default_factory=lambda: ["**"])
    scan_exclude: list[str] = field(default_factory=list)
    source: str = ""
    known: list[Known] = field(default_factory=list)
    file: str = ""
    """The checkout's graph file it was read from; empty for a bundled or discovered graph."""
    rules: list[Rule] = field(default_factory=list)
    historical: list[str] = field(default_factory=list)
    """Globs of pages about the past: their references are listed, never findings."""
