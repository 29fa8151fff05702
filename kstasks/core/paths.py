"""Where kstasks keeps what outlives a run: one cache root (``$XDG_CACHE_HOME/kstasks``, by
default ``~/.cache/kstasks``) with a directory per purpose. Imports nothing of kstasks.
"""

from __future__ import annotations

import os
from pathlib import Path

TOOLS = "tools"
"""Pinned Go tools, by name and version (shared by all checkouts)."""
STAMPS = "stamps"
"""all-generated's digests of the inputs and outputs it last left."""
VERIFIED = "verified"
"""verify-codegen's recorded successes (CI restores this directory between runs)."""
SCRATCH = "scratch"
"""The ledger of scratch directories, swept after a killed run."""
LOCKS = "locks"
"""The writer locks of checkouts."""


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/kstasks`` (``~/.cache/kstasks`` when XDG_CACHE_HOME is unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kstasks"


VERIFIED_OVERRIDE = "KSTASKS_VERIFIED_CACHE"
"""Environment variable naming another directory for :data:`VERIFIED` (the verification and step
cache) alone, e.g. one per CI job or test, while the tools stay shared."""


def cache_dir(purpose: str) -> Path:
    """The cache directory for ``purpose`` (one of the names above)."""
    if purpose == VERIFIED and os.environ.get(VERIFIED_OVERRIDE):
        return Path(os.environ[VERIFIED_OVERRIDE])
    return cache_root() / purpose
