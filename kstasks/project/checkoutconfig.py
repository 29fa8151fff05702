"""Settings for the target checkout, read from the checkout whatever the current directory.

Layers, lowest first:

1. kstasks' defaults (KubeStellar v0.24.0's, ``kstasks/project/settings.py``);
2. the pins the checkout describes itself: its Makefile, ``hack/update-codegen-clients.sh`` and
   go.mod (``kstasks/project/pins.py``);
3. the Makefile's own variables set in the environment (``CONTROLLER_TOOLS_VERSION``, ``IMG``, ...);
4. the ``kstasks`` section of the checkout's ``invoke.yaml`` (what ``kstasks init`` writes);
5. then, as Invoke layers them, your user config (``~/.invoke.yaml``), the project config of the
   directory you run in, ``INVOKE_KSTASKS_*`` environment variables and ``-f FILE``; task flags last.

Layers 1-4 become the Invoke collection configuration of the running task, so everything
above them still overrides them. Each value remembers where it came from, for the report every
task prints.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kstasks.core import errors, fsutil, yamlfile
from kstasks.project import pins, settings
from kstasks.toolchain import toolchains, tools

CONFIG_NAMES = ("invoke.yaml", "invoke.yml", "invoke.json")
"""The checkout's config file, as Invoke names a project config."""

LEAF_SETTINGS = {("images", "components"), ("imports", "intermediates"), ("codegen", "verify_paths")}
"""Settings replaced as a whole by a higher layer (not merged key by key)."""


def config_file(root: Path) -> Path | None:
    """The checkout's own ``invoke.yaml`` (or .yml/.json), or None."""
    return next((root / name for name in CONFIG_NAMES if (root / name).is_file()), None)


def read_section(path: Path) -> dict[str, Any]:
    """The ``kstasks`` section of an Invoke config file (empty when there is none)."""
    try:
        text = path.read_text()
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise errors.BadInput(
            f"{path} is not valid YAML: {yamlfile.problem(err)}", "Fix the file's syntax."
        ) from None
    except (OSError, ValueError) as err:
        raise errors.BadInput(
            f"cannot read {path}: {' '.join(str(err).split())}", "Fix the file's syntax."
        ) from err
    if data is None:
        return {}
    if not isinstance(data, dict) or not isinstance(data.get("kstasks", {}), dict):
        raise errors.BadInput(f"{path} is not a mapping with a 'kstasks' mapping", "Fix the file.")
    return dict(data.get("kstasks") or {})


def leaves(data: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every setting in a nested settings mapping as (path, value)."""
    for key, value in data.items():
        path = (*prefix, str(key))
        if isinstance(value, Mapping) and path not in LEAF_SETTINGS:
            yield from leaves(value, path)
        else:
            yield path, value


def get(data: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """The value at ``path`` in nested ``data``, or None."""
    for key in path:
        if not isinstance(data, Mapping) or key not in data:
            return None
        data = data[key]
    return data


def put(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    """Set the value at ``path`` in nested ``data``, creating sections."""
    for key in path[:-1]:
        data = data.setdefault(key, {})
    data[path[-1]] = copy.deepcopy(value)


@dataclass
class Layers:
    """The checkout-side settings (layers 1-4) and where each value came from."""

    values: dict[str, Any]
    sources: dict[tuple[str, ...], str] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    discovery: pins.Discovery = field(default_factory=pins.Discovery)

    def apply(self, fragment: Mapping[str, Any], source: str) -> None:
        """Lay ``fragment`` (nested settings) over the values, recording ``source`` per setting."""
        for path, value in leaves(fragment):
            put(self.values, path, value)
            self.sources[path] = source


def makefile_environment(environ: Mapping[str, str]) -> dict[str, tuple[tuple[str, ...], str]]:
    """Makefile variables set in ``environ``: ``{variable: (setting path, value)}``."""
    found = {}
    for variable, path in settings.MAKEFILE_ENV.items():
        if environ.get(variable) and not (variable == "IMG" and environ.get("CONTROLLER_MANAGER_IMAGE")):
            found[variable] = (path, environ[variable])
    return found


def checkout_layers(root: Path, module: str, environ: Mapping[str, str] | None = None) -> Layers:
    """Layers 1-4 for the checkout at ``root``."""
    env = os.environ if environ is None else environ
    layers = Layers(values=copy.deepcopy(settings.DEFAULTS))
    layers.discovery = pins.discover(root, module)
    for pin in layers.discovery.pins:
        put(layers.values, pin.path, pin.value)
        layers.sources[pin.path] = pin.source
    for variable, (path, value) in makefile_environment(env).items():
        put(layers.values, path, value)
        layers.sources[path] = f"environment: {variable}"
    own = config_file(root)
    if own is not None:
        section = read_section(own)
        section.pop("repo", None)
        if section:
            layers.apply(section, str(own))
            layers.files.append(own)
    return layers


def source_of(layers: Layers, final: Mapping[str, Any], path: tuple[str, ...]) -> str:
    """Where the final value at ``path`` came from: a checkout layer, or a higher Invoke layer."""
    if get(final, path) != get(layers.values, path):
        variable = "INVOKE_KSTASKS_" + "_".join(path).upper()
        return f"environment: {variable}" if variable in os.environ else "user/project config or -f file"
    return layers.sources.get(path, "kstasks default")


def explicit_toolchains(layers: Layers, final: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """Toolchain settings given by any layer: ``{setting: (value, source)}`` (empty ones left out)."""
    found = {}
    for tool in tools.TOOLS.values():
        key = tool.toolchain_key
        value = get(final, ("versions", key)) if key else None
        if value:
            found[key] = (str(value), source_of(layers, final, ("versions", key)))
    return found


def toolchain_chooser(
    layers: Layers, final: Mapping[str, Any], tools_dir: Path
) -> Callable[[str], tuple[str, str]]:
    """Chooses each tool's toolchain for this checkout (``toolchains.choose_for``)."""
    explicit = explicit_toolchains(layers, final)
    hints = toolchains.hints_from(
        layers.discovery.go_directive,
        layers.discovery.go_toolchain,
        {key: value for key, (value, _) in explicit.items()},
    )
    versions = final["versions"]

    def choose(name: str) -> tuple[str, str]:
        tool = tools.TOOLS[name]
        pin = toolchains.ToolPin(name, tool.module, str(versions[tool.version_key]), tool.toolchain_key)
        return toolchains.choose_for(
            pin, target_go=layers.discovery.go_directive, hints=hints, cache_dir=tools_dir
        )

    return choose


def report(
    layers: Layers,
    final: Mapping[str, Any],
    box: tools.Toolbox,
    names: list[str],
    config_files: list[Path],
) -> list[str]:
    """What a task prints once: config files, tool versions and toolchains with their sources, and
    the checkout's pins that differ from the defaults."""
    files = [*layers.files, *(path for path in config_files if path not in layers.files)]
    lines = [f"config files: {', '.join(map(str, files)) if files else 'none'}"]
    if layers.discovery.pins:
        lines.append("pins read from the checkout (Makefile, hack/update-codegen-clients.sh, go.mod)")
    for name in names:
        tool = tools.TOOLS[name]
        path = ("versions", tool.version_key)
        line = f"{name} {box.version_of(name)} ({source_of(layers, final, path)})"
        if tool.toolchain_key:
            toolchain = box.toolchain_of(name) or "the Go on PATH"
            verb = "built and run with" if name in toolchains.GENERATORS_RUN_ON_TARGET else "built with"
            why = box.toolchain_sources.get(name, "")
            if why == "setting":
                why = source_of(layers, final, ("versions", tool.toolchain_key))
            line += f", {verb} {toolchain} ({why})"
        lines.append(line)
    for pin in layers.discovery.pins:
        if pin.path[0] != "versions" and get(settings.DEFAULTS, pin.path) != pin.value:
            lines.append(f"{'.'.join(pin.path)}: {pin.value} ({source_of(layers, final, pin.path)})")
    lines.extend(f"note: {note}" for note in layers.discovery.notes)
    return lines


CONFIG_HEADER = """\
# kstasks settings for this checkout, written by `kstasks init` from what the checkout pins
# (its Makefile, hack/update-codegen-clients.sh). Edit freely: these win over what kstasks
# reads from the Makefile, and keep working after the Makefile is gone.
"""


def merged_pins(existing: Mapping[str, Any], discovery: pins.Discovery) -> tuple[dict[str, Any], list[str]]:
    """``existing`` kstasks settings with each discovered pin they lack added; the names added."""
    result = copy.deepcopy(dict(existing))
    added = []
    for pin in discovery.pins:
        if get(result, pin.path) is None:
            put(result, pin.path, pin.value)
            added.append(".".join(pin.path))
    return result, added


def write_pins(root: Path, discovery: pins.Discovery, *, force: bool = False) -> tuple[Path, list[str]]:
    """Write what the checkout pins into its ``invoke.yaml`` (``kstasks`` section), keeping what is
    there; the file and the settings added. A file with comments is rewritten only with ``force``."""
    path = config_file(root) or root / CONFIG_NAMES[0]
    text = path.read_text() if path.is_file() else ""
    data = (json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)) if text.strip() else {}
    if not isinstance(data, dict):
        raise errors.BadInput(f"{path} is not a mapping", "Fix the file, or remove it.")
    section, added = merged_pins(data.get("kstasks") or {}, discovery)
    if not added:
        return path, []
    if any(line.lstrip().startswith("#") for line in text.splitlines()) and not force:
        raise errors.BadInput(
            f"{path} has comments that rewriting it would drop",
            "Pass --force to rewrite it, or add the settings by hand.",
        )
    data["kstasks"] = section
    if path.suffix == ".json":
        text = json.dumps(data, indent=2) + "\n"
    else:
        text = CONFIG_HEADER + yaml.safe_dump(data, sort_keys=False, default_flow_style=False)
    fsutil.write_if_changed(path, text.encode())  # atomic: an interrupted init leaves the old file
    return path, added
