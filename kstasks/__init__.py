"""kstasks: KubeStellar's Makefile targets and hack scripts as tested Python tasks.

The library is in capability packages (see ``docs/architecture.md``); the one name kept at this
level besides the version is for noxfiles an earlier ``kstasks init`` wrote, which import
``from kstasks import noxdocs, noxsessions``: those still load (with a warning to rerun init).
"""

from __future__ import annotations

import importlib
import warnings
from types import ModuleType

__version__ = "0.1.0"

_WRITTEN_BY_EARLIER_INIT = {"noxsessions": "kstasks.tasks.noxsessions", "noxdocs": "kstasks.tasks.noxdocs"}
"""Modules that a checkout's noxfile from an earlier ``init`` imports from here, and where they are."""


def __getattr__(name: str) -> ModuleType:
    """``from kstasks import noxsessions`` (an earlier init's noxfile): the module, and a warning."""
    if name not in _WRITTEN_BY_EARLIER_INIT:
        raise AttributeError(f"module 'kstasks' has no attribute {name!r}")
    warnings.warn(
        f"this noxfile imports kstasks.{name}, which is now {_WRITTEN_BY_EARLIER_INIT[name]}: "
        "run 'kstasks init --force' to rewrite tasks.py, noxfile.py and the workflow",
        FutureWarning,
        stacklevel=2,
    )
    return importlib.import_module(_WRITTEN_BY_EARLIER_INIT[name])
