"""What replaces each target of a KubeStellar release's Makefile and each file under its ``hack/``,
kept as data (``kstasks/data/makefile-<ref>.yaml``, one file per release), and the manual's
reference page rendered from it (``docs/reference/makefile-<ref>.md``)::

    python3 -m kstasks.tasks.makefilemap > docs/reference/makefile-v0.24.0.md
    python3 -m kstasks.tasks.makefilemap REF > docs/reference/makefile-REF.md
    python3 -m kstasks.tasks.makefilemap --gaps REF DIR   # what DIR's tree has that the map lacks

:func:`tree_entries` enumerates a checkout's entries (every rule target of its Makefile and the
makefiles it includes; every file under ``hack/``, and ``scripts/`` where the map covers it), so
a map can be checked against a release's tree, and the tests check each map against the sample
shaped like that release.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from kstasks.images import makerecipes

MAP_PREFIX = "makefile-"
MAP_SUFFIX = ".yaml"
DEFAULT_REF = "v0.24.0"
MAP_FILE = f"{MAP_PREFIX}{DEFAULT_REF}{MAP_SUFFIX}"
RETIRED = "retired: "
NOX = "nox: "
ENTRY_KEYS = {"task", "nox", "retired", "note"}
RENDER_COMMAND = "python3 -m kstasks.tasks.makefilemap"


@dataclass(frozen=True)
class Replacement:
    """One Makefile target or ``hack/`` file and what replaces it."""

    kind: str
    """``target`` or ``script``."""
    name: str
    tasks: tuple[str, ...] = ()
    nox_session: str = ""
    retired: str = ""
    """The one-line reason, for an entry dead in the release."""
    note: str = ""
    """The notes column (Markdown, one line); for a retired entry, its reason unless the data says more."""

    @property
    def label(self) -> str:
        """How the reference table names it: ``make <target>`` or the ``hack/`` path."""
        return f"make {self.name}" if self.kind == "target" else self.name

    @property
    def replaced_by(self) -> str:
        """The table's kstasks column: ``retired``, ```nox -s SESSION```, or the task names in code."""
        if self.retired:
            return "retired"
        if self.nox_session:
            return f"`nox -s {self.nox_session}`"
        return ", ".join(f"`{name}`" for name in self.tasks)


def _tasks(value: str | list[str]) -> tuple[str, ...]:
    return tuple(str(name) for name in value) if isinstance(value, list) else (str(value),)


def _replacement(kind: str, name: str, value: str | list[str] | dict[str, Any]) -> Replacement:
    if isinstance(value, dict):
        unknown = set(value) - ENTRY_KEYS
        forms = [key for key in ("task", "nox", "retired") if key in value]
        if unknown or len(forms) != 1:
            raise ValueError(f"{name}: an entry is one of task, nox or retired, with an optional note")
        note = str(value.get("note", "")).strip()
        if "task" in value:
            return Replacement(kind, name, tasks=_tasks(value["task"]), note=note)
        if "nox" in value:
            return Replacement(kind, name, nox_session=str(value["nox"]).strip(), note=note)
        reason = str(value["retired"]).strip()
        return Replacement(kind, name, retired=reason, note=note or reason)
    if isinstance(value, list):
        return Replacement(kind, name, tasks=_tasks(value))
    if value.startswith(RETIRED):
        reason = value[len(RETIRED) :].strip()
        return Replacement(kind, name, retired=reason, note=reason)
    if value.startswith(NOX):
        return Replacement(kind, name, nox_session=value[len(NOX) :].strip())
    return Replacement(kind, name, tasks=(value,))


def map_file(ref: str) -> str:
    """The data file of release ``ref``: ``makefile-<ref>.yaml``."""
    return f"{MAP_PREFIX}{ref}{MAP_SUFFIX}"


def refs() -> list[str]:
    """Every release with a data file, sorted by name."""
    names = (entry.name for entry in (resources.files("kstasks") / "data").iterdir())
    return sorted(
        name[len(MAP_PREFIX) : -len(MAP_SUFFIX)]
        for name in names
        if name.startswith(MAP_PREFIX) and name.endswith(MAP_SUFFIX)
    )


def page_path(ref: str) -> str:
    """Where the manual keeps the page rendered for ``ref`` (relative to the project)."""
    return f"docs/reference/{MAP_PREFIX}{ref}.md"


def render_command(ref: str) -> str:
    """The shell command that rewrites the page of ``ref``."""
    return f"{RENDER_COMMAND} {ref} > {page_path(ref)}"


def load(text: str | None = None, ref: str = DEFAULT_REF) -> list[Replacement]:
    """Every entry of the map of ``ref`` (or of ``text``), targets first, in file order."""
    import yaml

    if text is None:
        text = (resources.files("kstasks") / "data" / map_file(ref)).read_text()
    data = yaml.safe_load(text)
    return [
        _replacement(kind, str(name), value)
        for kind, section in (("target", "targets"), ("script", "scripts"))
        for name, value in (data.get(section) or {}).items()
    ]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render(ref: str = DEFAULT_REF, text: str | None = None) -> str:
    """The reference page of ``ref``: title, what it lists, and one table row per entry."""
    lines = [
        f"# KubeStellar {ref}: Makefile targets and hack scripts → tasks",
        "",
        f"<!-- Generated from kstasks/data/{map_file(ref)}; do not edit. Rewrite it with:",
        f"     {render_command(ref)} -->",
        "",
        f"One row for each target of KubeStellar {ref}'s Makefile (the ones `make help` lists, the",
        "unlisted ones, the file targets named by variables, and those of the makefiles it includes) and",
        "each file under its `hack/` (the boilerplate templates and `tools.go` aside). A row names the",
        "task (or nox session) that replaces it, or says why it is retired. Tasks that replace steps of",
        "the release workflow and tasks with no Makefile counterpart are listed in",
        "[Tasks](../tasks/index.md#beyond-the-makefile-and-hack).",
        "",
        f"The list is data: `kstasks/data/{map_file(ref)}`, which this page is rendered from.",
        "`tests/test_makefile_map.py` fails when the page differs from the data, or when a row names a",
        "task or nox session that does not exist.",
        "",
        f"| KubeStellar {ref} | kstasks | notes |",
        "|---|---|---|",
    ]
    for entry in load(text, ref):
        note = f" {_cell(entry.note)} |" if entry.note else " |"
        lines.append(f"| `{_cell(entry.label)}` | {_cell(entry.replaced_by)} |{note}")
    return "\n".join(lines) + "\n"


MAKEFILES = ("Makefile", "Makefile.venv")
SCRIPT_DIRS = ("hack", "scripts")
SKIPPED = ("hack/boilerplate/", "hack/tools.go")
"""The boilerplate templates and tools.go are no scripts."""


def tree_entries(root: Path, script_dirs: tuple[str, ...] = SCRIPT_DIRS) -> list[tuple[str, str]]:
    """``(kind, name)`` of every Makefile target and script of the checkout at ``root``."""
    found: list[tuple[str, str]] = []
    for name in MAKEFILES:
        makefile = root / name
        if makefile.is_file():
            for target in makerecipes.rules_with_prerequisites(makefile.read_text(errors="replace")):
                if ("target", target) not in found:
                    found.append(("target", target))
    for directory in script_dirs:
        base = root / directory
        for path in sorted(base.rglob("*")) if base.is_dir() else []:
            relative = path.relative_to(root).as_posix()
            if path.is_file() and not relative.startswith(SKIPPED):
                found.append(("script", relative))
    return found


def covered_dirs(entries: list[Replacement]) -> tuple[str, ...]:
    """The script directories a map covers (those it has a row under)."""
    return tuple(
        d for d in SCRIPT_DIRS if any(e.kind == "script" and e.name.startswith(d + "/") for e in entries)
    )


def gaps(ref: str, root: Path) -> list[str]:
    """The labels of what the tree at ``root`` has and the map of ``ref`` lacks."""
    entries = load(ref=ref)
    known = {(entry.kind, entry.name) for entry in entries}
    missing = [item for item in tree_entries(root, covered_dirs(entries)) if item not in known]
    return [f"make {name}" if kind == "target" else name for kind, name in missing]


def main(argv: list[str] | None = None) -> int:
    """Print the reference page of the release named in ``argv`` (default: v0.24.0); with
    ``--gaps REF DIR``, the entries of the tree at DIR the map of REF lacks (exit 1 if any)."""
    args = sys.argv[1:] if argv is None else argv
    known = refs()
    if len(args) == 3 and args[0] == "--gaps" and args[1] in known:
        missing = gaps(args[1], Path(args[2]))
        sys.stdout.write("".join(f"{label}\n" for label in missing))
        return 1 if missing else 0
    if len(args) > 1 or (args and args[0] not in known):
        print(f"usage: {RENDER_COMMAND} [REF]   (REF: one of {', '.join(known)})", file=sys.stderr)
        return 2
    sys.stdout.write(render(args[0] if args else DEFAULT_REF))
    return 0


if __name__ == "__main__":
    sys.exit(main())
