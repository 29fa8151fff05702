"""The checkout's license header templates (``hack/boilerplate/boilerplate.<kind>.txt``)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

BOILERPLATE_DIR = "hack/boilerplate"


def load_templates(directory: Path) -> dict[str, list[str]]:
    """``{kind: header lines}`` from the ``boilerplate.<kind>.txt`` files of ``directory``."""
    if not directory.is_dir():
        directory = directory.parent
    templates = {}
    for path in sorted(directory.glob("boilerplate.*.txt")):
        templates[path.name.split(".")[1]] = path.read_text(encoding="utf-8").splitlines()
    return templates


def file_kind(name: str) -> str:
    """The file's extension as the script reads it: after the last dot, lower-cased ('' for none)."""
    return os.path.splitext(name)[1].split(".")[-1].lower()


def template_key(name: str, kinds: Iterable[str]) -> str | None:
    """Which template checks a file named ``name`` (its extension, else its whole name), or None."""
    known = set(kinds)
    extension = file_kind(name)
    if extension in known:
        return extension
    if name in known:
        return extension or name
    return None
