"""Where kstasks is installed from, and how a checkout's nox sessions and CI workflow ask for it
again (``KSTASKS_REQUIREMENT``: an index name, a wheel, a source directory or a git URL).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

from packaging.requirements import InvalidRequirement, Requirement

from kstasks import __version__

REQUIREMENT_ENV = "KSTASKS_REQUIREMENT"
"""The one setting that says where kstasks comes from: an index name (``kstasks==0.1.0``), a wheel
path or URL, a source directory, or a git URL (``git+https://…@TAG``)."""


def in_project(root: Path | None = None) -> bool:
    """Whether nox runs in the kstasks project itself (rather than a KubeStellar checkout)."""
    here = (root or Path.cwd()).resolve()
    return (here / "kstasks" / "__init__.py").is_file() and (here / "pyproject.toml").is_file()


def installed_from() -> str | None:
    """Where pip installed the running kstasks from (its PEP 610 record), unless from an index."""
    try:
        text = metadata.distribution("kstasks").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None
    if not text:
        return None
    record = json.loads(text)
    url = str(record.get("url", ""))
    vcs = record.get("vcs_info")
    if vcs:
        return f"{vcs['vcs']}+{url}@{vcs['commit_id']}"
    if url.startswith("file://"):
        return unquote(urlparse(url).path)
    return url or None


def requirement(environ: Mapping[str, str], cwd: Path) -> str:
    """Where the sessions install kstasks from: ``KSTASKS_REQUIREMENT``; else, in the kstasks
    project, the project itself; else where the kstasks running nox came from; else the index."""
    chosen = environ.get(REQUIREMENT_ENV, "").strip()
    if chosen:
        return chosen
    if in_project(cwd):
        return str(cwd.resolve())
    return installed_from() or f"kstasks=={__version__}"


def local_path(spec: str) -> Path | None:
    """The local file or directory a requirement names (a path or a ``file://`` URL), if it does."""
    text = unquote(urlparse(spec).path) if spec.startswith("file://") else spec
    looks_local = os.sep in text or text in (".", "..") or text.endswith((".whl", ".tar.gz", ".zip"))
    if "://" in text or not looks_local:
        return None
    path = Path(text).expanduser()
    return path.resolve() if path.exists() else None


def with_extras(spec: str, extras: str, local: Path | None) -> str:
    """``spec`` asking for ``extras`` (``"[test]"``) too, whatever its form."""
    if local is not None:
        return f"kstasks{extras} @ {local.as_uri()}" if extras else str(local)
    if not extras:
        return spec
    try:
        parsed = Requirement(spec)
    except InvalidRequirement:
        return f"kstasks{extras} @ {spec}"  # a bare URL
    parsed.extras |= set(extras.strip("[]").split(","))
    return str(parsed)
