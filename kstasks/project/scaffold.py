"""init: set a KubeStellar checkout up for kstasks (tasks.py, noxfile.py, the CI and release workflows)."""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from kstasks import __version__
from kstasks.core import errors, fsutil, paths
from kstasks.project import requirement
from kstasks.project.headers import BOILERPLATE_DIR, load_templates, template_key

FILES = {
    "tasks.py": "tasks.py",
    "noxfile.py": "noxfile.py",
    ".github/workflows/kstasks.yaml": "kstasks-verify.yaml",
    ".github/workflows/kstasks-release.yaml": "kstasks-release.yaml",
}
"""Destination in the checkout -> template name."""


def default_requirement() -> str:
    """What the workflow installs unless the repository variable KSTASKS_REQUIREMENT says otherwise:
    where this kstasks came from when CI can reach it too (a git or https URL), else this version
    from the package index."""
    origin = requirement.installed_from()
    if origin and origin.startswith(("git+https://", "https://")) and "'" not in origin:
        return origin
    return f"kstasks=={__version__}"


def template(name: str) -> str:
    """A template's text, with the kstasks version, requirement and cache directory filled in."""
    text = (resources.files("kstasks") / "data" / "templates" / name).read_text()
    for placeholder, value in (
        ("@VERSION@", __version__),
        ("@REQUIREMENT@", default_requirement()),
        ("@VERIFIED_DIR@", paths.VERIFIED),
    ):
        text = text.replace(placeholder, value)
    return text


def init_checkout(root: Path, *, force: bool = False) -> list[Path]:
    """Write the files; refuse (exit 2) to overwrite any unless ``force``. The paths written."""
    existing = [dest for dest in FILES if (root / dest).exists()]
    if existing and not force:
        raise errors.BadInput(
            f"{', '.join(existing)} already exist in {root}",
            "Pass --force to overwrite them.",
        )
    for dest in FILES:
        blocked = [p for p in (root / dest).parents if p != root and p.is_relative_to(root) and p.exists()]
        if any(not p.is_dir() for p in blocked):
            raise errors.BadInput(
                f"{dest} cannot be written: {next(p for p in blocked if not p.is_dir())} is a file",
                "Move that file out of the way; nothing was written.",
            )
    headers = load_templates(root / BOILERPLATE_DIR)
    written = []
    for dest, name in FILES.items():
        path = root / dest
        fsutil.write_if_changed(path, with_license_header(template(name), dest, headers).encode())
        written.append(path)
    return written


@contextlib.contextmanager
def all_or_nothing(root: Path, also: tuple[str, ...]) -> Iterator[None]:
    """Within: an init that fails or is interrupted (SIGTERM) removes the files it created (of
    FILES and ``also``), so running it again needs no --force. Files that were there stay."""
    candidates = [root / dest for dest in (*FILES, *also)]
    new = [path for path in candidates if not path.exists()]
    try:
        yield
    except BaseException:
        for path in new:
            with contextlib.suppress(OSError):
                path.unlink()
        raise


def with_license_header(text: str, dest: str, headers: dict[str, list[str]]) -> str:
    """``text`` under the checkout's license header for files of its kind (so verify-boilerplate
    passes on what init wrote), with YEAR as this year; unchanged where the checkout has none."""
    key = template_key(Path(dest).name, headers)
    if key is None:
        return text
    year = str(datetime.date.today().year)
    header = "\n".join(line.replace("YEAR", year) for line in headers[key]).rstrip("\n")
    return f"{header}\n\n{text}"
