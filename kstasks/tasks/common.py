"""What every task does first: read settings, find the checkout, set up the runner.

The checkout's own settings (its invoke.yaml, else what its Makefile pins) are read whatever
the current directory (``kstasks/project/checkoutconfig.py``), and every task says once which config
files, tool versions and toolchains it uses.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from invoke.context import Context

if TYPE_CHECKING:
    from kstasks.codegen.layout import ImportSettings, Layout
    from kstasks.core.report import Report
    from kstasks.project import checkoutconfig
    from kstasks.project.pins import Discovery
    from kstasks.project.repo import Checkout
    from kstasks.toolchain.tools import Toolbox


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


def show(result: Report | str | Sequence[str] | None) -> None:
    """Print a step's result on stdout (the one place results are printed), then end the run with
    the problem the step found, if any."""
    from kstasks.core.report import Report

    if result is None:
        return
    if isinstance(result, Report):
        lines, failure = result.lines, result.failure
    elif isinstance(result, str):
        lines, failure = [result] if result else [], None
    else:
        lines, failure = list(result), None
    for line in lines:
        print(line)
    if failure is not None:
        raise failure


def show_pushed(references: Sequence[str]) -> None:
    """Print each pushed reference (``HOST/PATH:TAG@DIGEST``) as ``pushed REFERENCE``."""
    show([f"pushed {reference}" for reference in references])


def start(c: Context) -> dict[str, Any]:
    """Apply the run options (``--dry``) and return the settings."""
    from kstasks.core import context

    context.configure(dry=bool(c.config.run.dry))
    return settings(c)


def tools_dir(config: Mapping[str, Any]) -> Path:
    """Where pinned tools live (``kstasks.tools_dir``, else the shared cache)."""
    from kstasks.toolchain.tools import default_tools_dir

    return Path(config["tools_dir"]) if config.get("tools_dir") else default_tools_dir()


def toolbox(config: Mapping[str, Any]) -> Toolbox:
    """The pinned tools as configured."""
    from kstasks.toolchain.tools import Toolbox

    return Toolbox(config["versions"], tools_dir(config))


def loaded_config_files(c: Context) -> list[Path]:
    """The Invoke config files that were loaded (system, user, project, runtime)."""
    found = []
    for level in ("system", "user", "project", "runtime"):
        path = getattr(c.config, f"_{level}_path", None)
        if path and getattr(c.config, f"_{level}_found", False) and Path(path).is_file():
            found.append(Path(path))
    return found


def checkout_config(c: Context, checkout: Checkout) -> tuple[dict[str, Any], checkoutconfig.Layers]:
    """Lay the checkout's settings (its invoke.yaml, else its Makefile's pins) under the user's
    config, environment and flags; the resulting settings and the layers."""
    from kstasks.project import checkoutconfig

    layers = checkoutconfig.checkout_layers(checkout.root, checkout.module)
    collection = dict(getattr(c.config, "_collection", {}) or {})
    collection["kstasks"] = layers.values
    c.config.load_collection(collection)
    return settings(c), layers


@dataclass(frozen=True)
class Target:
    """Everything a code generation task needs, resolved and validated."""

    checkout: Checkout
    toolbox: Toolbox
    layout: Layout
    imports: ImportSettings
    ignore_go_version: bool
    config: dict[str, Any]
    discovery: Discovery | None = None
    """What was read from the checkout itself (pins, go.mod's go line)."""


ToolList = list[str] | Callable[[dict[str, Any]], list[str]]
"""The tools a task needs, or a function of the (checkout's) settings giving them."""


def target(c: Context, repo: str | None, tools: ToolList) -> Target:
    """Resolve the checkout and its settings, validating the ``tools`` versions (and choosing their
    toolchains) before any work; print once which config, tools and toolchains are used."""
    from kstasks.codegen.layout import ImportSettings, Layout
    from kstasks.core import output
    from kstasks.project import checkoutconfig, settingscheck
    from kstasks.project.repo import find_checkout
    from kstasks.toolchain.tools import Toolbox

    base = start(c)
    checkout = find_checkout(repo, base.get("repo"), config_dir=project_dir(c))
    config, layers = checkout_config(c, checkout)
    settingscheck.check(config, checkout.root)
    names = tools(config) if callable(tools) else list(tools)
    box = Toolbox(
        config["versions"],
        tools_dir(config),
        chooser=checkoutconfig.toolchain_chooser(layers, config, tools_dir(config)),
    )
    if names:
        box.validate(names)
    config["versions"] = dict(box.versions)
    report = checkoutconfig.report(layers, config, box, names, loaded_config_files(c))
    output.set_preamble([f"kstasks: {line}" for line in report])
    return Target(
        checkout=checkout,
        toolbox=box,
        layout=Layout.from_config(config["codegen"]),
        imports=ImportSettings.from_config(config["imports"]),
        ignore_go_version=bool(os.environ.get("IGNORE_GO_VERSION")),
        config=config,
        discovery=layers.discovery,
    )


def writing(t: Target, what: str) -> AbstractContextManager[None]:
    """The writer lock of ``t``'s checkout for ``what``: two runs that write it never interleave."""
    from kstasks.core import locks

    return locks.checkout_lock(t.checkout.root, what)
