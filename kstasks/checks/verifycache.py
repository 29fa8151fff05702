"""verify-codegen's recorded successes, so an unchanged tree is not regenerated again.

The digest is :func:`kstasks.stamp.fingerprint` of the tree verify-codegen checks, taken before
it regenerates anything: every file generation reads or writes (inputs and the checked-in
outputs), the settings with the tool versions and toolchains, the Go version, and kstasks' own
version. It does not depend on where the tree is, so a CI runner that restores this directory
reuses a success recorded for another commit with the same generation inputs. Any byte changed
in any of those files, or any setting, gives another digest, so the cache misses.

When the whole tree misses, each step still skips on its own key
(:mod:`kstasks.codegen.stepcache`, kept in ``steps/`` and ``files/`` below this directory):
:meth:`Fingerprinter.step_cache` is the step cache for these settings.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from kstasks.codegen import stamp, stepcache
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


class Fingerprinter:
    """The digest function for trees generated with ``layout`` and ``settings``, and the step
    cache for those settings."""

    def __init__(self, layout: Layout, settings: Mapping[str, Any]) -> None:
        self.layout, self.settings = layout, dict(settings)
        self._steps: stepcache.StepCache | None = None

    def __call__(self, checkout: Checkout) -> str:
        return stamp.fingerprint(checkout, self.layout, {"verify-codegen": self.settings})

    def step_cache(self) -> stepcache.StepCache:
        """The per-step cache (one per fingerprinter, so its record of steps run is shared)."""
        if self._steps is None:
            self._steps = stepcache.StepCache(cache_dir(), {"layout": repr(self.layout), **self.settings})
        return self._steps


def fingerprinter(layout: Layout, settings: Mapping[str, Any]) -> Fingerprinter:
    """The digest function for trees generated with ``layout`` and ``settings``."""
    return Fingerprinter(layout, settings)


def step_cache_of(fingerprint: Fingerprint | None) -> stepcache.StepCache | None:
    """The step cache that goes with ``fingerprint`` (None without caching)."""
    return fingerprint.step_cache() if isinstance(fingerprint, Fingerprinter) else None


def _entry(digest: str) -> Path:
    return cache_dir() / f"{digest}.json"


def verified_before(digest: str) -> dict[str, Any] | None:
    """What was recorded when a tree with this digest last passed, or None."""
    try:
        recorded = json.loads(_entry(digest).read_text())
    except (OSError, ValueError):
        return None
    if not (isinstance(recorded, dict) and recorded.get("digest") == digest):
        return None
    with contextlib.suppress(OSError):
        os.utime(_entry(digest))
    return recorded


def record(digest: str, what: str) -> None:
    """Remember that the tree with ``digest`` (``what``: e.g. the commit) passed verify-codegen."""
    entry = {"digest": digest, "what": what, "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    write_if_changed(_entry(digest), json.dumps(entry, sort_keys=True).encode())
    stepcache.evict(cache_dir(), stepcache.max_bytes())
