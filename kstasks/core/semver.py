"""Release versions: SemVer 2.0.0, parsed and ordered by SemVer precedence.

KubeStellar tags releases such as ``v0.25.0-alpha.1.test.1`` and ``v0.24.0-alpha.3-experiment.2``:
every SemVer version is accepted (``packaging`` follows PEP 440, which refuses or reorders them),
and versions compare by SemVer precedence (build metadata ignored).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from kstasks.core import errors

_SEMVER_RE = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
_MAX_SHOWN = 40
MAX_VERSION = 128
"""The longest release version accepted: its OCI tag (``+`` as ``_``) must fit in 128 characters."""
"""How much of a refused version the error message quotes (it stays one short line)."""


def _identifier_key(identifier: str) -> tuple[int, int, str]:
    """Numeric identifiers sort numerically and before alphanumeric ones (ASCII order)."""
    return (0, int(identifier), "") if identifier.isdigit() else (1, 0, identifier)


@functools.total_ordering
@dataclass(frozen=True, eq=False)
class ReleaseVersion:
    """A release version such as ``0.25.0`` or ``0.25.0-rc.1`` (kept without the ``v``)."""

    text: str
    """The version without a leading ``v``, as chart versions and image tags carry it."""

    @property
    def core(self) -> tuple[int, int, int]:
        """MAJOR, MINOR, PATCH."""
        major, minor, patch = self.text.split("+", 1)[0].split("-", 1)[0].split(".")
        return int(major), int(minor), int(patch)

    @property
    def prerelease(self) -> tuple[str, ...]:
        """The pre-release identifiers (``("rc", "1")``); empty for a regular release."""
        without_build = self.text.split("+", 1)[0]
        return tuple(without_build.split("-", 1)[1].split(".")) if "-" in without_build else ()

    @property
    def build(self) -> str:
        """The build metadata after ``+`` (ignored by precedence)."""
        return self.text.split("+", 1)[1] if "+" in self.text else ""

    @property
    def precedence(self) -> tuple[object, ...]:
        """A sort key giving SemVer 2.0.0 precedence (section 11)."""
        pre = self.prerelease
        # A version without pre-release identifiers ranks above any with them.
        return (*self.core, 0 if pre else 1, tuple(_identifier_key(part) for part in pre))

    @property
    def tag(self) -> str:
        """The git tag: ``v`` + the version."""
        return f"v{self.text}"

    @property
    def registry_tag(self) -> str:
        """The tag a registry stores for this version: ``+`` becomes ``_``, as helm writes it."""
        return self.text.replace("+", "_")

    @property
    def is_prerelease(self) -> bool:
        """Whether this is a dev-channel version (``-rc.1``, ``-alpha.2``, ...)."""
        return bool(self.prerelease)

    @property
    def channel(self) -> str:
        """``stable`` or ``dev``, as the packaging KEP's channels classify versions."""
        return "dev" if self.is_prerelease else "stable"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ReleaseVersion):
            return NotImplemented
        return self.precedence == other.precedence

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, ReleaseVersion):
            return NotImplemented
        return self.precedence < other.precedence

    def __hash__(self) -> int:
        return hash(self.precedence)

    def __str__(self) -> str:
        return self.text


def try_parse(text: str) -> ReleaseVersion | None:
    """The release version in ``text`` (``v`` optional), or None if it is not SemVer 2.0.0."""
    candidate = text.strip()
    candidate = candidate[1:] if candidate[:1] in ("v", "V") else candidate
    if len(candidate) > MAX_VERSION or not _SEMVER_RE.match(candidate):
        return None
    return ReleaseVersion(candidate)


def shown(text: str) -> str:
    """``text`` quoted for a one-line message, cut short when long."""
    return repr(text) if len(text) <= _MAX_SHOWN else f"{text[:_MAX_SHOWN]!r}... ({len(text)} characters)"


def parse_release_version(text: str, *, what: str = "version") -> ReleaseVersion:
    """The release version in ``text``; exit 2 if it is not a valid SemVer version."""
    if len(text.strip()) > MAX_VERSION:
        raise errors.BadInput(
            f"invalid {what} {shown(text)}: longer than {MAX_VERSION} characters "
            "(an OCI tag, which a release version becomes, holds at most 128)",
            f"Pass a valid {what}.",
        )
    version = try_parse(text)
    if version is None:
        raise errors.BadInput(
            f"invalid {what} {shown(text)}: expected SemVer MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD] "
            "(a leading v is allowed), such as 0.25.0 or v0.25.0-rc.1",
            f"Pass a valid {what}.",
        )
    return version
