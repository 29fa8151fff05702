"""verify-imports and verify-modules, on the committed content and never in the working tree.

``make verify-imports`` ran ``make imports`` over the checkout and failed on any ``git diff``;
``make verify-modules`` ran ``go mod tidy`` in place and diffed go.mod/go.sum. Here both steps
run in a scratch copy of the Go sources (taken from an isolated worktree of HEAD, or from the
working tree with ``--in-place``), and the report names each file that would change, with the diff.
"""

from __future__ import annotations

import difflib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from kstasks.codegen import goimports, gopkgs, layout, stepcache
from kstasks.codegen.imports import normalise_imports
from kstasks.core import context, errors, output, runner, scratch
from kstasks.core.digests import file_digest
from kstasks.project.repo import Checkout
from kstasks.toolchain import golang
from kstasks.toolchain.tools import Toolbox

MODULE_FILES = ("go.mod", "go.sum")
_SKIPPED_DIRS = (".git", "vendor")


@dataclass(frozen=True)
class FileDrift:
    """A file that the step would change."""

    path: str
    before: str
    after: str

    def diff(self) -> str:
        """A unified diff from the committed content to what the step writes."""
        return "".join(
            difflib.unified_diff(
                self.before.splitlines(keepends=True),
                self.after.splitlines(keepends=True),
                f"a/{self.path}",
                f"b/{self.path}",
            )
        )


def copy_go_sources(source: Path, dest: Path) -> list[str]:
    """Copy every .go file and every go.mod/go.sum below ``source`` (not .git/, vendor/) to ``dest``."""
    copied = []
    for directory, subdirs, files in os.walk(source):
        subdirs[:] = sorted(d for d in subdirs if d not in _SKIPPED_DIRS)
        for name in sorted(files):
            if not (name.endswith(".go") or name in MODULE_FILES):
                continue
            path = Path(directory) / name
            if not path.is_file():
                continue
            relative = path.relative_to(source)
            target = dest / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            copied.append(relative.as_posix())
    return copied


def _texts(root: Path, files: list[str]) -> dict[str, str]:
    texts = {}
    for relative in files:
        path = root / relative
        texts[relative] = path.read_bytes().decode(errors="replace") if path.is_file() else ""
    return texts


def drift_of(root: Path, before: dict[str, str]) -> list[FileDrift]:
    """The files of ``before`` whose content below ``root`` is now different."""
    after = _texts(root, list(before))
    return [
        FileDrift(path, before[path], after[path]) for path in sorted(before) if before[path] != after[path]
    ]


def module_drift(tree: Path) -> list[FileDrift]:
    """Run ``go mod tidy`` in ``tree`` (a scratch copy: it is changed) and return what it changed."""
    before = _texts(tree, list(MODULE_FILES))
    runner.run(
        [golang.go_binary(), "mod", "tidy"],
        cwd=tree,
        env={"GOFLAGS": "-mod=mod", "GOWORK": "off"},
        capture=True,
        what="go mod tidy",
        todo="Fix the imports or go.mod go reports.",
    )
    return drift_of(tree, before)


def import_drift(
    tree: Path, checkout: Checkout, imports: layout.ImportSettings, toolbox: Toolbox
) -> list[FileDrift]:
    """Order the imports below ``tree`` (a scratch copy: it is changed) and return what changed."""
    before = _texts(tree, [path.relative_to(tree).as_posix() for path in sorted(tree.rglob("*.go"))])
    normalise_imports(tree, checkout, imports, toolbox, report=False)
    return drift_of(tree, before)


def _cached_import_drift(
    source: Path,
    temp: Path,
    checkout: Checkout,
    imports: layout.ImportSettings,
    toolbox: Toolbox,
    cache: stepcache.StepCache,
) -> list[FileDrift]:
    """:func:`import_drift` over the files whose content was not in order before (copied to
    ``temp``); those found in order are remembered."""
    rules = imports.rules(checkout)
    verdicts = stepcache.FileVerdicts(
        cache, "imports", [("rules", repr((rules.module, rules.intermediates)))]
    )
    digests = {p.relative_to(source).as_posix(): file_digest(p) for p in goimports.go_files(source)}
    todo = [relative for relative, digest in digests.items() if not verdicts.is_clean(digest)]
    cache.note(
        "verify-imports",
        f"ran on {len(todo)} of {len(digests)} files" if todo else "replayed (every file in order before)",
    )
    for relative in todo:
        (temp / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / relative, temp / relative)
    drift = import_drift(temp, checkout, imports, toolbox) if todo else []
    drifted = {item.path for item in drift}
    verdicts.add(digests[relative] for relative in todo if relative not in drifted)
    verdicts.save()
    return drift


def _report(drift: list[FileDrift], title: str) -> str:
    lines = [title, *(f"  {item.path}" for item in drift), ""]
    return "\n".join(lines) + "\n" + "".join(item.diff() for item in drift)


def verify_modules(
    source: Path,
    *,
    what: str = "the checkout",
    fix_command: str = "kstasks modules",
    cache: stepcache.StepCache | None = None,
) -> str:
    """Exit 1 naming go.mod/go.sum (with the diff) when ``go mod tidy`` would change them; the
    result line otherwise (empty: the verdict was said as progress). With ``cache``, a tree whose
    imports, build constraints and module files were tidy before is not checked again."""
    if not (source / "go.mod").is_file():
        raise errors.BadInput(f"{source} has no go.mod", "Run this in a Go module.")
    if context.dry_run():
        return f"verify-modules: dry run: go mod tidy would run on a copy of {what}; nothing was checked"
    parts = [("headers", gopkgs.headers_digest(source))] if cache is not None else []
    if cache is not None and cache.known("modules", parts):
        output.say(f"verify-modules: go.mod and go.sum are tidy in {what} (its imports were tidy before)")
        return ""
    with scratch.directory("modules") as temp:
        copy_go_sources(source, Path(temp))
        drift = module_drift(Path(temp))
    if drift:
        names = " and ".join(item.path for item in drift)
        raise errors.CheckFailed(
            f"go module files are out of date in {what}: {names}",
            f"Run '{fix_command}' and commit the result.",
            context=_report(drift, "go mod tidy would change:"),
        )
    if cache is not None:
        cache.remember("modules", parts)
    output.say(f"verify-modules: go.mod and go.sum are tidy in {what}")
    return ""


def verify_imports(
    source: Path,
    checkout: Checkout,
    imports: layout.ImportSettings,
    toolbox: Toolbox,
    *,
    what: str = "the checkout",
    fix_command: str = "kstasks imports",
    cache: stepcache.StepCache | None = None,
) -> None:
    """Exit 1 naming each Go file (with the diff) whose imports are out of order or not gofmt'ed.
    With ``cache`` (built-in ordering), a file whose content was in order before is not checked."""
    with scratch.directory("imports") as temp:
        if cache is None or imports.tool != "builtin":
            copy_go_sources(source, Path(temp))
            drift = import_drift(Path(temp), checkout, imports, toolbox)
        else:
            drift = _cached_import_drift(source, Path(temp), checkout, imports, toolbox, cache)
    if drift:
        raise errors.CheckFailed(
            f"{len(drift)} Go file(s) in {what} have imports out of order",
            f"Run '{fix_command}' and commit the result.",
            context=_report(drift, "The import statements are out of order (or not gofmt-formatted) in:"),
        )
    output.say(f"verify-imports: imports are in order in {what}")
