"""verify-codegen's recorded successes, so an unchanged tree is not regenerated again.

The digest is :func:`kstasks.stamp.fingerprint` of the tree verify-codegen checks, taken before
it regenerates anything: every file generation reads or writes (inputs and the checked-in
outputs), the settings with the tool versions and toolchains, the Go version, and kstasks' own
version. It does not depend on where the tree is, so a CI runner that restores this directory
reuses a success recorded for another commit with the same generation inputs. Any byte changed
in any of those files, or any setting, gives another digest, so the cache misses.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from kstasks.codegen import stamp
from kstasks.codegen.layout import Layout
from kstasks.core import paths
from kstasks.core.fsutil import write_if_changed
from kstasks.project.repo import Checkout

"""The cache's directory under kstasks' cache directory (the workflow ``init`` writes keeps it)."""

Fingerprint = Callable[[Checkout], str]
"""The digest of a tree as verify-codegen is about to check it."""


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/kstasks/verified`` (``~/.cache/kstasks/verified`` by default)."""
    return paths.cache_dir(paths.VERIFIED)


def fingerprinter(layout: Layout, settings: Mapping[str, Any]) -> Fingerprint:
    """The digest function for trees generated with ``layout`` and ``settings``."""

    def fingerprint(checkout: Checkout) -> str:
        return stamp.fingerprint(checkout, layout, {"verify-codegen": dict(settings)})

    return fingerprint


def _entry(digest: str) -> Path:
    return cache_dir() / f"{digest}.json"


def verified_before(digest: str) -> dict[str, Any] | None:
    """What was recorded when a tree with this digest last passed, or None."""
    try:
        recorded = json.loads(_entry(digest).read_text())
    except (OSError, ValueError):
        return None
    return recorded if isinstance(recorded, dict) and recorded.get("digest") == digest else None


def record(digest: str, what: str) -> None:
    """Remember that the tree with ``digest`` (``what``: e.g. the commit) passed verify-codegen."""
    entry = {"digest": digest, "what": what, "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    write_if_changed(_entry(digest), json.dumps(entry, sort_keys=True).encode())
