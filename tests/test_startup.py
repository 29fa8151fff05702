"""Start-up: listing tasks or starting one imports only the task wiring, never the library
packages a task body needs, and reads the checkout's Makefile only when its own tasks may be
wanted. (Speed itself is measured in bench/, not here.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kstasks.tasks.checkouttasks import names_checkout_tasks

LIBRARY = ("kstasks.codegen", "kstasks.charts", "kstasks.release", "kstasks.remote", "kstasks.checks")
KNOWN = ("chart", "all-generated", "ko-build-controller-manager-local")


def modules_after_import(argv: list[str], cwd: Path) -> list[str]:
    """The kstasks modules loaded once the namespace for command line ``argv`` is built."""
    code = (
        "import json, sys\n"
        f"sys.argv = {['kstasks', *argv]!r}\n"
        "import kstasks.tasks\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('kstasks'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


@pytest.mark.parametrize("argv", [["--list"], ["chart"], ["all-generated", "--force"]])
def test_the_namespace_imports_no_library_package(argv: list[str], sample_repo: Path) -> None:
    loaded = modules_after_import(argv, sample_repo)
    assert "kstasks.tasks.codegen" in loaded  # the check looks at the right process
    assert [name for name in loaded if name.startswith(LIBRARY)] == []


def test_a_task_of_kstasks_does_not_read_the_makefile(sample_repo: Path) -> None:
    assert "kstasks.images.makerecipes" not in modules_after_import(["chart"], sample_repo)
    assert "kstasks.images.makerecipes" in modules_after_import(["--list"], sample_repo)


@pytest.mark.parametrize(
    ("argv", "wanted"),
    [
        (["--list"], True),
        (["-l"], True),
        (["--help"], True),
        (["--complete", "--", "kstasks", "ko"], True),
        ([], True),
        (["ko-build-get-kubeconfig-local", "--image", "x"], True),
        (["chart"], False),
        (["-q", "all-generated", "--repo", "x"], False),
        (["ko-build-controller-manager-local"], False),
    ],
)
def test_the_checkout_tasks_are_read_only_when_the_command_line_may_need_them(
    argv: list[str], wanted: bool
) -> None:
    assert names_checkout_tasks(argv, KNOWN) is wanted


def _parsed(contexts: list, argv: list[str]) -> list[tuple[str, dict[str, object]]]:
    from invoke.parser import Parser

    result = Parser(contexts=contexts).parse_argv(argv)
    return [(context.name, {name: arg.value for name, arg in context.args.items()}) for context in result]


@pytest.mark.parametrize(
    "argv",
    [
        ["chart"],
        ["chart", "--image", "x:v1", "all-generated", "--force"],
        ["release", "0.30.1", "--snapshot"],
        ["publish-charts", "--version", "chart"],  # a flag's value that names a task
        ["verify-codegen", "--no-cache", "chart"],
    ],
)
def test_the_parser_of_the_named_tasks_parses_as_the_whole_namespace(argv: list[str]) -> None:
    from kstasks.tasks import ns
    from kstasks.tasks.adopt import named_contexts

    contexts = named_contexts(ns, argv)
    assert contexts is not None and len(contexts) < len(ns.task_names)
    assert _parsed(contexts, argv) == _parsed(ns.to_contexts(), argv)


def test_a_command_line_naming_no_task_gets_every_task() -> None:
    from kstasks.tasks import ns
    from kstasks.tasks.adopt import named_contexts

    assert named_contexts(ns, ["chrt", "--force"]) is None
    assert [c.name for c in named_contexts(ns, ["chart"]) or []] == ["chart"]
