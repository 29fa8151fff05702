"""The controller-manager chart template remembered under a key of everything it is made from, so
a rerun of ``chart`` (or a release's packaging) on unchanged inputs runs no kustomize.

kustomize builds a copy of the config directory, so the template is a function of that
directory's files, the image, kustomize (by its pinned version: a pinned build gives the same
bytes), how names get their prefix and kstasks' own code: those are the key. A config directory
holding a symlink, or a kustomization naming a remote resource (a URL or a ``github.com/...``
base), reads things the key cannot cover: its template is derived every time. An entry that is
truncated, corrupt or for another key is a miss (and removed), never a template. Entries live
in the verification cache (``chart-templates``); the newest :data:`KEPT` are kept.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from pathlib import Path

from kstasks.core import context, digests, output, paths
from kstasks.core.fsutil import read_entry, write_if_changed

FORMAT = "kstasks-chart-template-1"
KEPT = 32
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "kustomization")
_REMOTE = re.compile(r"://|^\s*-\s*(github\.com|gitlab\.com|bitbucket\.org)/", re.MULTILINE)


def _directory() -> Path:
    return paths.cache_dir(paths.VERIFIED) / "chart-templates"


def config_digest(config: Path) -> str | None:
    """A digest of every file name and content below ``config``; None when it cannot be keyed
    (a symlink, an unreadable file, a kustomization naming a remote resource)."""
    digest = hashlib.sha256(b"config\0")
    for relative in digests.walk(config):
        path = config / relative
        if path.is_symlink():
            return None
        try:
            data = path.read_bytes()
        except OSError:
            return None
        if relative.rsplit("/", 1)[-1].lower() in KUSTOMIZATION_NAMES and _REMOTE.search(
            data.decode(errors="replace")
        ):
            return None
        digest.update(relative.encode() + b"\0" + hashlib.sha256(data).hexdigest().encode() + b"\0")
    if any(path.is_symlink() for path in config.rglob("*") if path.is_dir()):
        return None
    return digest.hexdigest()


def key(config: Path, recipe: dict[str, str]) -> str | None:
    """The entry key of a template made from ``config`` with ``recipe`` (the image, the layout,
    the name rewrite, kustomize's pinned version and install directory); None: not keyable."""
    tree = config_digest(config)
    if tree is None:
        return None
    shared = {
        "format": FORMAT,
        "kstasks-code": digests.kstasks_digest(),
        "config": tree,
        "env": {name: value for name, value in os.environ.items() if name.startswith("KUSTOMIZE")},
        "recipe": recipe,
    }
    return hashlib.sha256(json.dumps(shared, sort_keys=True).encode()).hexdigest()


def _encode(entry_key: str, text: str) -> bytes:
    body = text.encode()
    return f"{FORMAT} {entry_key} {hashlib.sha256(body).hexdigest()}\n".encode() + body


def _decode(raw: bytes, entry_key: str) -> str | None:
    header, _, body = raw.partition(b"\n")
    if header.split() != [FORMAT.encode(), entry_key.encode(), hashlib.sha256(body).hexdigest().encode()]:
        return None
    try:
        return body.decode()
    except UnicodeDecodeError:
        return None


def lookup(entry_key: str) -> str | None:
    """The template recorded under ``entry_key``, or None (a bad entry is removed)."""
    return read_entry(_directory() / entry_key, lambda raw: _decode(raw, entry_key))


def store(entry_key: str, text: str) -> None:
    """Record ``text`` under ``entry_key``, keeping the newest :data:`KEPT` entries."""
    if context.dry_run():
        return
    directory = _directory()
    try:
        write_if_changed(directory / entry_key, _encode(entry_key, text))
        entries = sorted(directory.iterdir(), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in entries[KEPT:]:
            old.unlink(missing_ok=True)
    except OSError as err:  # a full or read-only cache only costs the next run its speed
        output.detail(f"cache: chart template not recorded ({err.strerror or err})")


def remembered(entry_key: str | None, derive: Callable[[], str]) -> str:
    """The template under ``entry_key`` if recorded, else ``derive()`` (recorded when keyed)."""
    if entry_key is not None:
        text = lookup(entry_key)
        if text is not None:
            output.say("cache: chart template: replayed (nothing it reads changed)")
            return text
    text = derive()
    if entry_key is not None:
        store(entry_key, text)
    return text
