"""The package structure: capability packages in layers, imports only downward, no circle.

Each package of ``kstasks/`` has a rank; a module may import its own package and packages of a
lower rank, never one of the same rank or above. The ranks are the architecture: change them here
(and in the package docstrings) when a package moves, never to let one import slip through.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import PROJECT

PACKAGE = PROJECT / "kstasks"

RANKS = {
    "core": 0,
    "toolchain": 1,
    "remote": 1,
    "project": 2,
    "codegen": 3,
    "charts": 3,
    "images": 4,
    "release": 4,
    "checks": 5,
    "devloop": 5,
    "tasks": 6,
}
"""What each package may import: the packages of a lower rank."""

ROOT_ENTRIES = {"__init__.py", "__main__.py", "data", *RANKS}
MAX_MODULE_LINES = 500


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    """Every module of the library (templates written into checkouts excluded)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "data" in path.relative_to(PACKAGE).parts:
            continue
        found[module_name(path)] = path
    return found


def imported(path: Path, known: set[str]) -> set[str]:
    """The kstasks modules ``path`` imports (anywhere in it, lazily too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("kstasks"):
            base = node.module or ""
            for alias in node.names:
                full = f"{base}.{alias.name}"
                names.add(full if full in known else base)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names if alias.name.startswith("kstasks"))
    return names


def package_of(module: str) -> str | None:
    """The capability package of ``module`` (None for the package root and ``__main__``)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in RANKS else None


def graph() -> dict[str, set[str]]:
    known = set(modules())
    return {name: imported(path, known) - {name} for name, path in modules().items()}


def test_the_top_level_holds_only_the_capability_packages() -> None:
    entries = {entry.name for entry in PACKAGE.iterdir() if entry.name != "__pycache__"}
    assert entries == ROOT_ENTRIES
    for name in RANKS:
        assert (PACKAGE / name / "__init__.py").is_file(), f"{name} is not a package"


@pytest.mark.parametrize("name", sorted(RANKS))
def test_every_package_says_what_it_owns_and_may_import(name: str) -> None:
    doc = ast.get_docstring(ast.parse((PACKAGE / name / "__init__.py").read_text()))
    assert doc, f"kstasks/{name}/__init__.py has no docstring"
    lower = sorted(other for other, rank in RANKS.items() if rank < RANKS[name])
    if not lower:
        assert "nothing" in doc, f"kstasks.{name}'s docstring should say it imports nothing of kstasks"
    else:
        assert "Import" in doc or "import" in doc, f"kstasks.{name}'s docstring should say what it imports"


def upward_imports(edges: dict[str, set[str]]) -> list[str]:
    """The imports of ``edges`` that go to a package of the same rank or above."""
    upward = []
    for module, targets in sorted(edges.items()):
        here = package_of(module)
        if here is None:
            continue
        for target in sorted(targets):
            there = package_of(target)
            if there is not None and there != here and RANKS[there] >= RANKS[here]:
                upward.append(f"{module} -> {target}")
    return upward


def test_imports_go_only_downward() -> None:
    assert upward_imports(graph()) == []


def test_the_rule_catches_upward_and_sideways_imports(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text("from kstasks.tasks import ns\nfrom kstasks.core import runner\n")
    targets = imported(source, set(modules()))
    assert targets == {"kstasks.tasks", "kstasks.core.runner"}
    edges = {"kstasks.core.m": targets, "kstasks.images.x": {"kstasks.release.charts", "kstasks.remote.push"}}
    assert upward_imports(edges) == [
        "kstasks.core.m -> kstasks.tasks",
        "kstasks.images.x -> kstasks.release.charts",
    ]


def test_no_circle_between_modules() -> None:
    edges = graph()
    circles = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges.get(node, ())):
            if target not in edges:
                continue
            if state.get(target) == 1:
                circles.append(" -> ".join([*trail[trail.index(target) :], target]))
            elif target not in state:
                visit(target, [*trail, target])
        state[node] = 2

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    assert circles == []


def test_every_module_says_what_it_is() -> None:
    undocumented = [
        str(path.relative_to(PROJECT))
        for path in modules().values()
        if (ast.get_docstring(ast.parse(path.read_text())) or "None").strip() in ("", "None")
    ]
    assert undocumented == []


def test_no_module_over_500_lines() -> None:
    long = {
        str(path.relative_to(PROJECT)): n
        for path in modules().values()
        if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def prints_to_stdout(path: Path) -> list[int]:
    """Lines of ``path`` that print to stdout outside a ``main()`` (a ``python -m`` entry point)."""
    found = []

    def walk(node: ast.AST, in_main: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inside = in_main or (isinstance(child, ast.FunctionDef) and child.name == "main")
            if isinstance(child, ast.Call) and isinstance(child.func, ast.Name) and child.func.id == "print":
                to_stderr = any(k.arg == "file" and "stderr" in ast.unparse(k.value) for k in child.keywords)
                if not to_stderr and not inside:
                    found.append(child.lineno)
            walk(child, inside)

    walk(ast.parse(path.read_text()), False)
    return found


def test_library_modules_do_not_print_results() -> None:
    """Results are returned to the task layer, which prints them once; the library only says
    progress and warnings, on stderr (``kstasks.core.output``)."""
    printing = [
        f"{path.relative_to(PROJECT)}:{line}"
        for name, path in modules().items()
        if package_of(name) not in (None, "tasks")
        for line in prints_to_stdout(path)
    ]
    assert printing == []


def test_the_print_rule_catches_a_print(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text("def f():\n    print('result')\n\n\ndef main():\n    print('ok')\n")
    assert prints_to_stdout(source) == [2]


def test_no_module_rebinds_its_globals() -> None:
    """Run state lives in the run context (``kstasks.core.context``), not in module globals."""
    rebinding = [
        f"{path.relative_to(PROJECT)}:{node.lineno}"
        for path in modules().values()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Global)
    ]
    assert rebinding == []
