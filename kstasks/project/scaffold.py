"""init: set a KubeStellar checkout up for kstasks (tasks.py, noxfile.py, the CI and release workflows)."""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from kstasks import __version__
from kstasks.core import errors, fsutil, paths
from kstasks.project import prow, requirement
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


PRESUBMITS_FILE = ".github/workflows/kstasks-presubmits.yaml"
PRESUBMIT_JOB = """  @JOB@:
    name: "@NAME@ (nox -s @SESSION@)"
    runs-on: ubuntu-latest
    timeout-minutes: 60
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683  # v4.2.2
        with:
          persist-credentials: false
      - uses: actions/setup-go@d35c59abb061a4a6fb18e82ac0862c26744d6ab5  # v5.5.0
        with:
          go-version-file: go.mod
          cache: true
          cache-dependency-path: go.sum
      - uses: actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065  # v5.6.0
        with:
          python-version: "3.11"
      - run: python -m pip install "${KSTASKS_REQUIREMENT}"
      - run: nox -s @SESSION@
"""


def presubmit_workflow(root: Path, tasks: list[str]) -> tuple[str, list[str]]:
    """The workflow with a job per presubmit of the checkout's .prow.yaml that kstasks can run
    (empty without one), and a warning for each it cannot."""
    jobs, warnings = [], []
    for job in prow.read(root):
        problem = job.problem(tasks)
        if problem:
            warnings.append(f"{prow.PROW_FILE}: presubmit {job.name} has no job: {problem}")
            continue
        text = PRESUBMIT_JOB
        for placeholder, value in (("@JOB@", job.name), ("@NAME@", job.name), ("@SESSION@", job.session)):
            text = text.replace(placeholder, value)
        jobs.append(text)
    if not jobs:
        return "", warnings
    return template("kstasks-presubmits.yaml").replace("@JOBS@\n", "\n".join(jobs)), warnings


def write_presubmit_workflow(
    root: Path, tasks: list[str], *, force: bool = False
) -> tuple[Path | None, list[str]]:
    """Write :data:`PRESUBMITS_FILE` when the checkout has presubmits (refusing to overwrite one
    unless ``force``); the path written (None: nothing to write) and the warnings."""
    text, warnings = presubmit_workflow(root, tasks)
    if not text:
        return None, warnings
    path = root / PRESUBMITS_FILE
    if path.exists() and not force:
        raise errors.BadInput(f"{PRESUBMITS_FILE} already exists in {root}", "Pass --force to overwrite it.")
    path.parent.mkdir(parents=True, exist_ok=True)
    headers = load_templates(root / BOILERPLATE_DIR)
    fsutil.write_if_changed(path, with_license_header(text, PRESUBMITS_FILE, headers).encode())
    return path, warnings
