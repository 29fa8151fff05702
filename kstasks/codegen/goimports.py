"""Import normalisation, as ``make imports`` does it with openshift-goimports.

The ordering rule (openshift-goimports at the commit KubeStellar pins): every import is put
in the first bucket whose pattern is found in its quoted path, trying the module, each
intermediate, ``k8s.io``, ``github.com/openshift``, then any ``host.tld/``; the rest are
standard. Buckets are printed in the order standard, other, kubernetes, openshift, the
intermediates, module; each sorted by path, separated by one blank line. Files are then in
gofmt form. The built-in port rewrites the import block of gofmt-formatted files and leaves
alone (with a warning) files it cannot reorder safely: several import declarations, comments
inside the block, or cgo.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from kstasks.core import context, output, runner
from kstasks.toolchain import golang

_BLOCK_RE = re.compile(r"^import \(\n(.*?)^\)\n", re.MULTILINE | re.DOTALL)
_ANY_IMPORT_RE = re.compile(r"^import\b", re.MULTILINE)
_GOFMT_BATCH = 500
_SPEC_RE = re.compile(r'^\t(?:([\w.]+) )?("(?:[^"\\]|\\.)*")$')


@dataclass(frozen=True)
class ImportRules:
    """Which bucket an import goes to."""

    module: str
    intermediates: tuple[str, ...] = ()

    def buckets(self) -> list[tuple[str, re.Pattern[str]]]:
        """Bucket names with their patterns, in the order they are tried."""
        tried = [("module", re.compile(self.module))]
        tried += [(f"intermediate{i}", re.compile(p)) for i, p in enumerate(self.intermediates)]
        tried += [
            ("kubernetes", re.compile(r"k8s.io")),
            ("openshift", re.compile(r"github.com/openshift")),
            ("other", re.compile(r"[a-zA-Z0-9]+\.[a-zA-Z0-9]+/")),
        ]
        return tried

    def order(self) -> list[str]:
        """Bucket names in output order."""
        return (
            ["standard", "other", "kubernetes", "openshift"]
            + [f"intermediate{i}" for i in range(len(self.intermediates))]
            + ["module"]
        )


@dataclass(frozen=True)
class ImportSpec:
    """One line of an import block."""

    name: str | None
    path: str
    """The quoted path, as written."""

    def line(self) -> str:
        """The spec as gofmt prints it inside a block."""
        return f"\t{self.name} {self.path}" if self.name else f"\t{self.path}"


class Unsupported(Exception):
    """The file's imports cannot be reordered safely by the built-in port."""


def parse_block(body: str) -> list[ImportSpec]:
    """The specs of an import block body (the lines between the parentheses)."""
    specs = []
    for line in body.splitlines():
        if not line.strip():
            continue
        match = _SPEC_RE.match(line)
        if not match:
            raise Unsupported(f"unexpected line in import block: {line.strip()!r}")
        specs.append(ImportSpec(match[1], match[2]))
    return specs


def order_specs(specs: Iterable[ImportSpec], rules: ImportRules) -> list[list[ImportSpec]]:
    """Group and sort ``specs`` by ``rules``; empty groups dropped, duplicates removed."""
    groups: dict[str, set[ImportSpec]] = {name: set() for name in rules.order()}
    tried = rules.buckets()
    for spec in specs:
        bucket = next((name for name, pattern in tried if pattern.search(spec.path)), "standard")
        groups[bucket].add(spec)
    return [
        sorted(groups[name], key=lambda s: (s.path, s.name or "")) for name in rules.order() if groups[name]
    ]


def normalise_source(source: str, rules: ImportRules) -> str:
    """``source`` (gofmt form) with its import block ordered by ``rules``."""
    declarations = _ANY_IMPORT_RE.findall(source)
    if not declarations:
        return source
    if len(declarations) > 1:
        raise Unsupported("more than one import declaration")
    match = _BLOCK_RE.search(source)
    if match is None:
        return source  # a single 'import "x"' line is already in order
    body = match[1]
    if "//" in body or "/*" in body:
        raise Unsupported("comments inside the import block")
    specs = parse_block(body)
    if any(spec.path == '"C"' for spec in specs):
        raise Unsupported("cgo import")
    groups = order_specs(specs, rules)
    block = "import (\n" + "\n\n".join("\n".join(s.line() for s in group) for group in groups) + "\n)\n"
    return source[: match.start()] + block + source[match.end() :]


def go_files(root: Path, skip: Sequence[Path] = ()) -> Iterator[Path]:
    """Every .go file below ``root``, not descending into vendor/, .git/ or ``skip``."""
    skipped = {p.resolve() for p in skip}
    for directory, subdirs, files in os.walk(root):
        here = Path(directory)
        subdirs[:] = sorted(
            d for d in subdirs if d not in ("vendor", ".git") and (here / d).resolve() not in skipped
        )
        for name in sorted(files):
            if name.endswith(".go"):
                yield here / name


def _gofmt() -> str:
    go = golang.go_binary()
    beside = Path(go).resolve().parent / "gofmt"
    if beside.is_file():
        return str(beside)
    found = shutil.which("gofmt")
    if found:
        return found
    goroot = golang.go_env(go, "GOROOT")["GOROOT"]
    return str(Path(goroot) / "bin" / "gofmt")


def gofmt_files(files: list[Path], cwd: Path) -> None:
    """Rewrite the files among ``files`` that are not in gofmt form (as format.Source would)."""
    gofmt = _gofmt() if files else ""
    unformatted: list[str] = []
    for start in range(0, len(files), _GOFMT_BATCH):
        listed = runner.run(
            [gofmt, "-l", *map(str, files[start : start + _GOFMT_BATCH])],
            cwd=cwd,
            capture=True,
            query=True,
            quiet=True,
            what="gofmt -l",
            todo="Fix the Go syntax errors gofmt reports.",
        )
        unformatted += [line for line in listed.stdout.splitlines() if line.strip()]
    if unformatted:
        runner.run([gofmt, "-w", *unformatted], cwd=cwd, what="gofmt -w")


def normalise_tree(root: Path, rules: ImportRules, *, skip: Sequence[Path] = ()) -> list[Path]:
    """Apply the import rules to every .go file below ``root``; the files changed."""
    return normalise_files(root, list(go_files(root, skip)), rules)


def normalise_files(root: Path, files: list[Path], rules: ImportRules) -> list[Path]:
    """Apply the import rules to ``files`` (below ``root``); the files whose imports changed."""
    if not files:
        return []
    gofmt_files(files, root)
    changed = []
    for path in files:
        source = path.read_text()
        try:
            result = normalise_source(source, rules)
        except Unsupported as why:
            output.say(f"imports: left {path.relative_to(root)} as it is ({why})")
            continue
        if result != source and not context.dry_run():
            path.write_text(result)
            changed.append(path)
    return changed


def run_openshift_goimports(binary: Path, root: Path, rules: ImportRules) -> None:
    """The pinned openshift-goimports itself, over ``root``."""
    args: list[str] = [str(binary)]
    for pattern in rules.intermediates:
        args += ["-i", pattern]
    args += ["-m", rules.module, "-p", str(root)]
    runner.run(args, cwd=root, what="openshift-goimports")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m kstasks.codegen.goimports [-i PATTERN]... -m MODULE [PATH]``: openshift-goimports'
    flags."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m kstasks.codegen.goimports", description=main.__doc__)
    parser.add_argument("-i", "--intermediate", action="append", default=[])
    parser.add_argument("-m", "--module", required=True)
    parser.add_argument("-p", "--path", default="")
    parser.add_argument("target", nargs="?", default=".")
    args = parser.parse_args(argv)
    root = Path(args.path or args.target)
    normalise_tree(root, ImportRules(args.module, tuple(args.intermediate)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
