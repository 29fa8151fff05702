"""init: set a KubeStellar checkout up for kstasks (tasks.py, noxfile.py, a CI workflow)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from kstasks import __version__, runner

FILES = {
    "tasks.py": "tasks.py",
    "noxfile.py": "noxfile.py",
    ".github/workflows/kstasks.yaml": "kstasks-verify.yaml",
}
"""Destination in the checkout -> template name."""


def template(name: str) -> str:
    """A template's text, with the kstasks version filled in."""
    text = (resources.files("kstasks") / "data" / "templates" / name).read_text()
    return text.replace("@VERSION@", __version__)


def init_checkout(root: Path, *, force: bool = False) -> list[Path]:
    """Write the files; refuse (exit 2) to overwrite any unless ``force``. The paths written."""
    existing = [dest for dest in FILES if (root / dest).exists()]
    if existing and not force:
        raise runner.usage_error(
            f"{', '.join(existing)} already exist in {root}",
            "Pass --force to overwrite them.",
        )
    written = []
    for dest, name in FILES.items():
        path = root / dest
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template(name))
        written.append(path)
    return written
