"""What every task does first: read settings, find the checkout, set up the runner."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from invoke.context import Context

from kstasks import runner
from kstasks.codegen import ImportSettings, Layout
from kstasks.repo import Checkout, find_checkout
from kstasks.tools import Toolbox

REPO_HELP = "The checkout to work on (default: KSTASKS_REPO, kstasks.repo, or the git top-level here)."


def plain(value: Any) -> Any:
    """Invoke config proxies turned into plain dicts and lists."""
    if isinstance(value, Mapping) or hasattr(value, "_config"):
        return {key: plain(value[key]) for key in value}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def settings(c: Context) -> dict[str, Any]:
    """The ``kstasks`` settings as a plain dict."""
    return plain(c.config.kstasks)


def project_dir(c: Context) -> Path | None:
    """The directory whose invoke.yaml was loaded (relative settings are relative to it)."""
    prefix = getattr(c.config, "_project_prefix", None)
    return Path(prefix) if prefix else None


def program_name() -> str:
    """How the user called us (``invoke``, ``inv`` or ``kstasks``), for messages."""
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "kstasks"
    return name if name in ("invoke", "inv", "kstasks") else "kstasks"


def start(c: Context) -> dict[str, Any]:
    """Apply the run options (``--dry``) and return the settings."""
    runner.configure(dry=bool(c.config.run.dry))
    return settings(c)


def toolbox(config: Mapping[str, Any]) -> Toolbox:
    """The pinned tools as configured."""
    return Toolbox(config["versions"], Path(config["tools_dir"]) if config.get("tools_dir") else None)


@dataclass(frozen=True)
class Target:
    """Everything a code generation task needs, resolved and validated."""

    checkout: Checkout
    toolbox: Toolbox
    layout: Layout
    imports: ImportSettings
    ignore_go_version: bool
    config: dict[str, Any]


def target(c: Context, repo: str | None, tools: list[str]) -> Target:
    """Resolve the checkout and settings, validating the ``tools`` versions before any work."""
    config = start(c)
    checkout = find_checkout(repo, config.get("repo"), config_dir=project_dir(c))
    box = toolbox(config)
    box.validate(tools)
    return Target(
        checkout=checkout,
        toolbox=box,
        layout=Layout.from_config(config["codegen"]),
        imports=ImportSettings.from_config(config["imports"]),
        ignore_go_version=bool(os.environ.get("IGNORE_GO_VERSION")),
        config=config,
    )
