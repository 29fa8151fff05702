"""kstasks' catalogue of KubeStellar's version references (every layout, v0.21 to main): its
artifacts and rules, and the detectors that find each kind of literal in a checkout's files.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from kstasks.release.graph.scan import _yaml_node

CATALOGUE = "version-catalogue.yaml"

_BINARY_SUFFIXES = (".png", ".svg", ".jpg", ".jpeg", ".gif", ".ico", ".pdf", ".tar", ".gz", ".zip")


@dataclass(frozen=True)
class Detector:
    """One kind of literal: which artifact, in which files, found how."""

    artifact: str
    files: tuple[str, ...]
    pattern: str = ""
    yaml_path: str = ""
    options: tuple[tuple[str, Any], ...] = ()
    when_exists: str = ""
    when_absent: str = ""

    @property
    def explicit(self) -> bool:
        """Whether it names its files (then the scan's exclusions do not apply to them)."""
        return self.files != ("**",)

    def applies(self, root: Path) -> bool:
        """Whether the checkout's layout is the one this detector is for."""
        if self.when_exists and not (root / self.when_exists).exists():
            return False
        return not (self.when_absent and (root / self.when_absent).exists())

    def covers(self, path: str) -> bool:
        """Whether ``path`` is one of its files."""
        return any(path == glob or fnmatch.fnmatch(path, glob) for glob in self.files)

    def finds(self, text: str) -> bool:
        """Whether ``text`` holds at least one literal it detects."""
        if self.yaml_path:
            try:
                return _yaml_node(text, self.yaml_path) is not None
            except Exception:  # not YAML: nothing here for a yaml_path detector
                return False
        return re.search(self.pattern, text, re.MULTILINE) is not None


@dataclass(frozen=True)
class Catalogue:
    """The catalogue's data (artifacts, rules, historical globs, scan) and its detectors."""

    data: Mapping[str, Any]
    detectors: tuple[Detector, ...]

    @property
    def historical(self) -> list[str]:
        """Globs of pages about the past."""
        return list(self.data.get("historical") or [])

    @property
    def exclude(self) -> list[str]:
        """Globs the general scan skips."""
        return list((self.data.get("scan") or {}).get("exclude") or [])


def _detector(entry: Mapping[str, Any]) -> Detector:
    when = entry.get("when") or {}
    options = {k: v for k, v in entry.items() if k in ("set", "agree", "v_prefix", "unpinned", "form")}
    return Detector(
        artifact=str(entry["artifact"]),
        files=tuple(entry.get("files") or ["**"]),
        pattern=str(entry.get("pattern") or ""),
        yaml_path=str(entry.get("yaml_path") or ""),
        options=tuple(sorted(options.items())),
        when_exists=str(when.get("exists") or ""),
        when_absent=str(when.get("absent") or ""),
    )


@cache
def catalogue() -> Catalogue:
    """The bundled catalogue (read once)."""
    import yaml

    data = yaml.safe_load((resources.files("kstasks") / "data" / CATALOGUE).read_text())
    return Catalogue(data, tuple(_detector(entry) for entry in data.get("detectors") or []))


def is_historical(path: str, globs: Iterable[str]) -> bool:
    """Whether ``path`` is a page about the past (old docs, release notes)."""
    return any(fnmatch.fnmatch(path, glob) for glob in globs)


def _stem(file: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", Path(file).with_suffix("").as_posix().lower()).strip("-")


def _read(root: Path, path: str) -> str | None:
    if path.lower().endswith(_BINARY_SUFFIXES):
        return None
    try:
        raw = (root / path).read_bytes()
    except OSError:
        return None
    if b"\0" in raw[:8192] or len(raw) > 2_000_000:
        return None
    return raw.decode(errors="replace")


def detected_references(root: Path, tracked: Iterable[str], taken: set[str]) -> list[dict[str, Any]]:
    """Graph references for every literal the catalogue's detectors find under ``root``.

    One reference per file and detector, in file order; ids are unique (``taken`` grows).
    """
    cat = catalogue()
    detectors = [d for d in cat.detectors if d.applies(root)]
    references = []
    for path in sorted(tracked):
        excluded = any(fnmatch.fnmatch(path, glob) for glob in cat.exclude)
        wanted = [d for d in detectors if d.covers(path) and (d.explicit or not excluded)]
        if not wanted:
            continue
        text = _read(root, path)
        if text is None:
            continue
        for detector in wanted:
            if not detector.finds(text):
                continue
            base = f"{_stem(path)}-{detector.artifact}"
            ident, n = base, 2
            while ident in taken:
                ident, n = f"{base}-{n}", n + 1
            taken.add(ident)
            entry: dict[str, Any] = {"id": ident, "artifact": detector.artifact, "file": path}
            if detector.yaml_path:
                entry["yaml_path"] = detector.yaml_path
            else:
                entry["pattern"] = detector.pattern
            entry.update(dict(detector.options))
            if is_historical(path, cat.historical):
                entry["historical"] = True
            references.append(entry)
    return references
