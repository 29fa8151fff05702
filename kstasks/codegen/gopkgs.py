"""What a Go tree's steps read, as digests: file contents, import headers, and the local packages
a set of packages imports transitively.

A Go file's *import header* is everything from its start to the end of its import declarations:
the build constraints, the package clause and every import (``go mod tidy`` and package
resolution read nothing else of it). A file whose header cannot be cut safely (a block comment
after the package clause, an import block that does not end) counts as a whole.

:func:`local_deps` resolves packages with one ``go list -deps`` and keeps the directories inside
the tree; the answer is cached under a key of everything that resolution reads (every import
header with its path, every go.mod/go.sum, go's version and environment), so it is reused only
when no import, no build constraint, no file name and no module file changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from kstasks.core import errors, runner
from kstasks.core.digests import file_digest, walk
from kstasks.core.fsutil import write_if_changed
from kstasks.toolchain import golang

SKIPPED_DIRS = frozenset({".git", "vendor"})
"""Not read by go mod tidy (-mod=mod) nor copied by the checks; a tree with vendor/ is not keyed
for package resolution (:func:`local_deps` returns None)."""
MODULE_FILES = ("go.mod", "go.sum")


def go_files(root: Path) -> list[str]:
    """Every ``.go`` file below ``root`` (not .git/, vendor/), sorted."""
    return sorted(path for path in walk(root, SKIPPED_DIRS) if path.endswith(".go"))


def module_files(root: Path) -> list[str]:
    """Every go.mod and go.sum below ``root``, sorted."""
    return sorted(path for path in walk(root, SKIPPED_DIRS) if path.rsplit("/", 1)[-1] in MODULE_FILES)


def import_header(text: str) -> str:
    """The start of a Go source up to the end of its imports (the whole text when unsure)."""
    lines = text.splitlines(keepends=True)
    kept: list[str] = []
    index = 0
    while index < len(lines) and not lines[index].startswith("package "):
        kept.append(lines[index])
        index += 1
    if index == len(lines):
        return text
    kept.append(lines[index])
    index += 1
    while index < len(lines):
        stripped = lines[index].strip()
        if not stripped or stripped.startswith("//"):
            kept.append(lines[index])
        elif stripped.startswith("/*"):
            return text
        elif stripped.startswith("import"):
            if stripped.rstrip().endswith("("):
                end = next((i for i in range(index, len(lines)) if lines[i].strip() == ")"), None)
                if end is None:
                    return text
                kept.extend(lines[index : end + 1])
                index = end
            else:
                kept.append(lines[index])
        else:
            break
        index += 1
    return "".join(kept)


def headers_digest(root: Path) -> str:
    """One digest of every Go file's path and import header and every go.mod/go.sum's content:
    what ``go mod tidy`` and ``go list`` read of the tree (besides the module cache)."""
    digest = hashlib.sha256()
    for relative in go_files(root):
        try:
            header = import_header((root / relative).read_bytes().decode(errors="surrogateescape"))
        except OSError:
            header = "\0unreadable"
        digest.update(
            b"go\0"
            + relative.encode()
            + b"\0"
            + hashlib.sha256(header.encode(errors="surrogateescape")).digest()
        )
    for relative in module_files(root):
        digest.update(b"mod\0" + relative.encode() + b"\0" + file_digest(root / relative).encode())
    return digest.hexdigest()


_LIST_FORMAT = "{{.Dir}}"


def local_deps(root: Path, patterns: Sequence[str], context_key: str, cache_dir: Path) -> list[str] | None:
    """The directories (relative to ``root``) of every package inside ``root`` that ``patterns``
    name or import transitively; None when that cannot be known safely (go list failed, or a
    dependency lives outside the tree, the module cache and GOROOT: a local replace)."""
    if (root / "vendor").exists():
        return None
    digest = hashlib.sha256(
        json.dumps([context_key, list(patterns), headers_digest(root)]).encode()
    ).hexdigest()
    entry = cache_dir / "packages" / f"{digest}.json"
    try:
        recorded = json.loads(entry.read_text())
        if isinstance(recorded, dict) and recorded.get("key") == digest:
            dirs = recorded.get("dirs")
            if isinstance(dirs, list) and all(isinstance(d, str) for d in dirs):
                return dirs
    except (OSError, ValueError):
        pass
    dirs = _resolve(root, patterns)
    if dirs is not None:
        write_if_changed(entry, json.dumps({"key": digest, "dirs": dirs}).encode())
    return dirs


def _resolve(root: Path, patterns: Sequence[str]) -> list[str] | None:
    go = golang.go_binary()
    try:
        listed = runner.run(
            [go, "list", "-deps", "-f", _LIST_FORMAT, *patterns],
            cwd=root,
            capture=True,
            query=True,
            quiet=True,
            what="go list -deps",
        )
        asked = runner.run(
            [go, "env", "-json", "GOROOT", "GOMODCACHE", "GOWORK"],
            cwd=root,
            capture=True,
            query=True,
            quiet=True,
            what="go env",
        )
        places = json.loads(asked.stdout)
    except (errors.KstasksError, ValueError):
        return None
    if places.get("GOWORK") not in (None, "", "off"):
        return None  # a go.work file (perhaps outside the tree) decides what is local
    real_root = root.resolve()
    outside = [Path(places.get("GOROOT") or "/nonexistent"), Path(places.get("GOMODCACHE") or "/nonexistent")]
    found = set()
    for line in listed.stdout.splitlines():
        if not line.strip():
            continue
        directory = Path(line).resolve()
        if directory == real_root or real_root in directory.parents:
            found.add(directory.relative_to(real_root).as_posix())
        elif not any(directory == o or o.resolve() in directory.parents for o in outside):
            return None
    return sorted(found)
