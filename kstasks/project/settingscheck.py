"""The settings a task is about to use, checked before any work: the right shapes, and paths that stay
inside the checkout (a setting from a checkout's own invoke.yaml must not aim a task elsewhere)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from kstasks.core import errors
from kstasks.project import settings

PATH_SETTINGS: dict[str, tuple[str, ...]] = {
    "codegen": (
        "api_dir",
        "crd_bases_dir",
        "crd_kustomization_dir",
        "crd_bundle",
        "crd_files_dir",
        "object_header",
        "client_header",
        "generated_dir",
        "verify_paths",
    ),
    "chart": (
        "config_dir",
        "manager_kustomization_dir",
        "default_kustomization_dir",
        "chart_dir",
        "chart_template",
        "core_chart_dir",
        "transport_chart_dir",
        "transport_template",
        "dist_dir",
    ),
    "deploy": ("crd_kustomization_dir", "default_kustomization_dir", "chart_dir"),
    "release": ("graph",),
}
"""Settings that name a file or directory of the checkout (relative to its root)."""


def _shape_problem(expected: Any, value: Any) -> str | None:
    """What is wrong with ``value`` where the defaults hold ``expected``, or None."""
    if isinstance(expected, Mapping):
        return None if isinstance(value, Mapping) else "a mapping"
    if isinstance(expected, list):
        return None if isinstance(value, list) else "a list"
    if isinstance(expected, str):
        if isinstance(value, str) or (expected.isdigit() and isinstance(value, int)):
            return None  # a number where the default is one ("400", "2") is fine
        return "a string (quote it: '5.5' or \"v5.5.0\")"
    return None


def check_shapes(
    config: Mapping[str, Any], defaults: Mapping[str, Any] | None = None, where: str = "kstasks"
) -> None:
    """Exit 2 naming the first setting whose value has another shape than its default."""
    for key, expected in (settings.DEFAULTS if defaults is None else defaults).items():
        if key not in config:
            continue
        value = config[key]
        problem = _shape_problem(expected, value)
        if problem is not None:
            raise errors.BadInput(
                f"setting {where}.{key} is {type(value).__name__} {str(value)[:40]!r}, expected {problem}",
                "Fix it in your invoke.yaml (or INVOKE_KSTASKS_* variable).",
            )
        if isinstance(expected, Mapping) and expected:
            check_shapes(value, expected, f"{where}.{key}")


def outside(root: Path, relative: str) -> bool:
    """Whether ``relative`` is absolute or leads out of ``root`` (through ``..`` or a symlink)."""
    if PurePosixPath(relative).is_absolute() or Path(relative).is_absolute():
        return True
    real_root = root.resolve()
    return not (real_root / relative).resolve().is_relative_to(real_root)


def check_paths(config: Mapping[str, Any], root: Path) -> None:
    """Exit 2 when a path setting points outside the checkout at ``root``."""
    for section, keys in PATH_SETTINGS.items():
        values = config.get(section) or {}
        for key in keys:
            value = values.get(key)
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str) and item and outside(root, item):
                    raise errors.BadInput(
                        f"setting kstasks.{section}.{key} = {item[:80]!r} points outside the checkout {root}",
                        "Use a path relative to the checkout, inside it.",
                    )


def check(config: Mapping[str, Any], root: Path) -> None:
    """Shapes first, then paths: bad settings stop a task before it reads or writes anything."""
    check_shapes(config)
    check_paths(config, root)
