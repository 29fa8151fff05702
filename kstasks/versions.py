"""Release versions: parsed with ``packaging``, written the SemVer way KubeStellar writes them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

from kstasks import runner

_SEMVER_RE = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


@dataclass(frozen=True)
class ReleaseVersion:
    """A release version such as ``0.25.0`` or ``0.25.0-rc.1`` (kept without the ``v``)."""

    text: str
    """The version without a leading ``v``, as chart versions and image tags carry it."""
    parsed: Version

    @property
    def tag(self) -> str:
        """The git tag: ``v`` + the version."""
        return f"v{self.text}"

    @property
    def registry_tag(self) -> str:
        """The tag a registry stores for this version: ``+`` (not allowed in tags) becomes ``_``, as helm writes it."""  # noqa: E501
        return self.text.replace("+", "_")

    @property
    def is_prerelease(self) -> bool:
        """Whether this is a dev-channel version (``-rc.1``, ``-alpha.2``, ...)."""
        return "-" in self.text.split("+", 1)[0]

    @property
    def channel(self) -> str:
        """``stable`` or ``dev``, as the packaging KEP's channels classify versions."""
        return "dev" if self.is_prerelease else "stable"

    def __str__(self) -> str:
        return self.text


def try_parse(text: str) -> ReleaseVersion | None:
    """The release version in ``text`` (``v`` optional), or None if it is not one."""
    candidate = text.strip()
    candidate = candidate[1:] if candidate[:1] in ("v", "V") else candidate
    if not _SEMVER_RE.match(candidate):
        return None
    try:
        parsed = Version(candidate)
    except InvalidVersion:
        return None
    return ReleaseVersion(candidate, parsed)


def parse_release_version(text: str, *, what: str = "version") -> ReleaseVersion:
    """The release version in ``text``; exit 2 if it is not a valid SemVer version."""
    version = try_parse(text)
    if version is None:
        raise runner.usage_error(
            f"invalid {what} {text!r}: expected MAJOR.MINOR.PATCH with an optional -prerelease "
            "(a leading v is allowed), such as 0.25.0 or v0.25.0-rc.1",
            f"Pass a valid {what}.",
        )
    return version
