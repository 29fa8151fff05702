"""The manual (``mkdocs.yml``, ``docs/``) and ``README.md``: the site builds with ``mkdocs --strict``,
every command shown in a ``sh``/``bash``/``console`` block names tasks, flags and nox sessions that
exist, and the blocks marked ``<!-- test: run -->`` run on a fresh copy of the sample.

A block marked ``<!-- test: run exit=N -->`` must end with exit code N; others must exit 0.
Commands that need a cluster, a registry or the network are only checked, never run.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from invoke import Program
from invoke.exceptions import ParseError
from invoke.parser import Parser
from markdown.extensions.toc import slugify

from kstasks.tasks import noxdocs, noxsessions, ns
from kstasks.tasks.program import KstasksProgram
from tests.conftest import PROJECT, kstasks, make_sample_repo
from tests.servers import FakeSession

README = PROJECT / "README.md"
DOCS = PROJECT / "docs"
NOXFILE = PROJECT / "kstasks" / "data" / "templates" / "noxfile.py"
MAX_README_LINES = 150
SHELLS = {"sh", "bash", "console"}
FENCE = re.compile(r"^(`{3,}|~{3,})\s*([\w+-]*)")
RUN_MARKER = re.compile(r"^<!--\s*test:\s*run(?:\s+exit=(\d+))?\s*-->$")
OPERATORS = {"&&", "||", "|", ";", "&"}
REDIRECTIONS = {">", ">>", "<", ">&", "&>"}
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def doc_files() -> list[Path]:
    """README.md and every page of the manual."""
    return [README, *sorted(DOCS.rglob("*.md"))]


@dataclass(frozen=True)
class Command:
    """One simple command of a shell block: where it is, its environment assignments and words."""

    path: Path
    line: int
    argv: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(PROJECT)}:{self.line}"


@dataclass(frozen=True)
class Block:
    """A fenced shell block, its commands, and whether (and with which exit code) it runs."""

    path: Path
    line: int
    commands: tuple[Command, ...]
    run: bool
    exit_code: int

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(PROJECT)}:{self.line}"


def simple_commands(path: Path, line: int, text: str) -> list[Command]:
    """The simple commands of one shell line: split at ``&&``, ``|``, ``;``, redirections dropped."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    commands: list[Command] = []
    words: list[str] = []
    tokens = list(lexer)
    index = 0
    while index <= len(tokens):
        token = tokens[index] if index < len(tokens) else None
        if token is None or token in OPERATORS:
            env: dict[str, str] = {}
            while words and ASSIGNMENT.match(words[0]):
                name, value = words.pop(0).split("=", 1)
                env[name] = value
            if words:
                commands.append(Command(path, line, tuple(words), env))
            words = []
        elif token in REDIRECTIONS:
            index += 1
        else:
            words.append(token)
        index += 1
    return commands


def block_commands(path: Path, lang: str, lines: list[tuple[int, str]]) -> list[Command]:
    """The commands of a block: every line of ``sh``/``bash``, the ``$ `` lines of ``console``."""
    commands: list[Command] = []
    pending: tuple[int, str] | None = None
    for number, raw in lines:
        text = raw.strip()
        if pending is None:
            if lang == "console":
                if not text.startswith("$ "):
                    continue
                text = text[2:]
            if not text or text.startswith("#"):
                continue
            pending = (number, "")
        start, so_far = pending
        if text.endswith("\\"):
            pending = (start, so_far + text[:-1] + " ")
            continue
        commands.extend(simple_commands(path, start, so_far + text))
        pending = None
    return commands


def blocks(path: Path) -> list[Block]:
    """Every fenced ``sh``/``bash``/``console`` block of ``path``."""
    found: list[Block] = []
    lines = path.read_text().splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index].strip())
        if not opening:
            index += 1
            continue
        fence, lang, start = opening[1], opening[2].lower(), index
        body: list[tuple[int, str]] = []
        index += 1
        while index < len(lines) and not lines[index].strip().startswith(fence):
            body.append((index + 1, lines[index]))
            index += 1
        index += 1
        if lang not in SHELLS:
            continue
        before = next((line.strip() for line in reversed(lines[:start]) if line.strip()), "")
        marker = RUN_MARKER.match(before)
        exit_code = int(marker[1]) if marker and marker[1] else 0
        commands = tuple(block_commands(path, lang, body))
        found.append(Block(path, start + 1, commands, bool(marker), exit_code))
    return found


ALL_BLOCKS = [block for path in doc_files() for block in blocks(path)]
RUNNABLE = [block for block in ALL_BLOCKS if block.run]


def kind(argv: tuple[str, ...]) -> tuple[str, list[str]]:
    """What a command runs: ``kstasks``, ``invoke``, ``nox``, ``module`` (``python3 -m kstasks.X``),
    ``script`` (``python3 FILE`` / ``bash FILE``), else ``other``; and its arguments."""
    program, rest = argv[0], list(argv[1:])
    if program in ("python3", "python") and len(rest) >= 2 and rest[0] == "-m":
        module, args = rest[1], rest[2:]
        if module in ("kstasks", "invoke", "nox"):
            return module, args
        return ("module", [module, *args]) if module.startswith("kstasks.") else ("other", rest)
    if program in ("kstasks", "invoke", "nox"):
        return program, rest
    if program in ("python3", "python", "bash") and rest and not rest[0].startswith("-"):
        return "script", rest
    return "other", rest


def parse_tasks(program: str, args: list[str]) -> list[str]:
    """Parse ``args`` as the ``kstasks`` (or ``invoke``) command line would; the task names.
    Raises ParseError for an unknown task or flag, a flag without its value, a missing positional."""
    if program == "kstasks":
        initial = KstasksProgram(name="kstasks", binary="kstasks", namespace=ns).initial_context
    else:
        initial = Program().initial_context
    result = Parser(initial=initial, contexts=ns.to_contexts()).parse_argv(args)
    return [context.name for context in result[1:]]


def nox_sessions() -> dict[str, list[str]]:
    """Every session of the noxfile (``init``'s template, this project's too): name -> tags."""
    sessions: dict[str, list[str]] = {}
    for node in ast.walk(ast.parse(NOXFILE.read_text())):
        if not isinstance(node, ast.FunctionDef):
            continue
        for decorator in node.decorator_list:
            if isinstance(decorator, ast.Call) and ast.unparse(decorator.func) == "nox.session":
                keywords = {keyword.arg: ast.literal_eval(keyword.value) for keyword in decorator.keywords}
                sessions[keywords.get("name", node.name)] = list(keywords.get("tags", []))
    return sessions


def nox_arguments(args: list[str]) -> tuple[list[str], list[str], list[str]]:
    """The sessions (``-s``/``-e``), tags (``-t``) and posargs (after ``--``) of a nox command."""
    sessions: list[str] = []
    tags: list[str] = []
    target: list[str] | None = None
    for index, arg in enumerate(args):
        if arg == "--":
            return sessions, tags, args[index + 1 :]
        name, _, value = arg.partition("=")
        if name in ("-s", "-e", "--session", "--sessions"):
            target = sessions
        elif name in ("-t", "--tags"):
            target = tags
        elif arg.startswith("-"):
            target = None
            continue
        elif target is not None:
            target.append(arg)
            continue
        else:
            continue
        if value:
            target.append(value)
    return sessions, tags, []


POSARGS: dict[str, Callable[[list[str]], object]] = {
    "publish": noxsessions.publish_arguments,
    "serve-docs": lambda posargs: noxdocs.script_env(posargs, {}),
    "deploy-docs": lambda posargs: noxdocs.script_env(posargs, {}),
    "verify": lambda posargs: parse_tasks("kstasks", ["verify", *posargs]),
    "generate": lambda posargs: parse_tasks("kstasks", ["all-generated", *posargs]),
}
"""How each session reads its posargs (the others pass them to pytest or go, unchecked)."""


def problems(command: Command) -> list[str]:
    """What is wrong with a command against the real command line; empty when it is right."""
    what, args = kind(command.argv)
    shown = shlex.join(command.argv)
    if what in ("kstasks", "invoke"):
        try:
            parse_tasks(what, args)
        except ParseError as error:
            return [f"{command.where}: `{shown}`: {error}"]
    elif what == "nox":
        known = nox_sessions()
        sessions, tags, posargs = nox_arguments(args)
        found = [f"no nox session {name!r}" for name in sessions if name not in known]
        all_tags = {tag for session_tags in known.values() for tag in session_tags}
        found += [f"no nox tag {tag!r}" for tag in tags if tag not in all_tags]
        for session in sessions:
            if session in POSARGS and posargs:
                try:
                    POSARGS[session](posargs)
                except (ParseError, ValueError) as error:
                    found.append(f"bad arguments for {session}: {error}")
        return [f"{command.where}: `{shown}`: {problem}" for problem in found]
    elif what == "module":
        import importlib.util

        if importlib.util.find_spec(args[0]) is None:
            return [f"{command.where}: `{shown}`: no module {args[0]}"]
    elif what == "script" and not (PROJECT / args[0]).is_file():
        return [f"{command.where}: `{shown}`: no file {args[0]} in the project"]
    return []


def test_the_docs_show_commands_and_mark_some_runnable() -> None:
    kinds = {kind(command.argv)[0] for block in ALL_BLOCKS for command in block.commands}
    assert {"kstasks", "invoke", "nox", "module", "script"} <= kinds
    assert len(RUNNABLE) >= 10
    assert all(block.commands for block in ALL_BLOCKS), [b.where for b in ALL_BLOCKS if not b.commands]


@pytest.mark.parametrize("path", doc_files(), ids=lambda path: str(path.relative_to(PROJECT)))
def test_every_command_names_tasks_flags_and_sessions_that_exist(path: Path) -> None:
    found = [problem for block in blocks(path) for command in block.commands for problem in problems(command)]
    assert found == []


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("kstasks chart --nope", "No idea what '--nope'"),
        ("kstasks versoins", "No idea what 'versoins'"),
        ("python3 -m invoke --dry all-generated --force --what x", "No idea what '--what'"),
        ("kstasks package-charts --version", "needed value"),
        ("kstasks release-prepare", "required positional arguments: 'version'"),
        ("nox -s verify docs nope", "no nox session 'nope'"),
        ("nox -t nope -l", "no nox tag 'nope'"),
        ("nox -s publish -- --version 1 --nope", "bad arguments for publish"),
        ("nox -s verify -- --nope", "bad arguments for verify"),
        ("python3 -m kstasks.nope", "no module kstasks.nope"),
        ("bash .ci/nope && kstasks --list", "no file .ci/nope"),
    ],
)
def test_a_stale_command_is_named_with_its_file_and_line(line: str, expected: str) -> None:
    (command, *_) = simple_commands(README, 7, line)
    (problem,) = problems(command)
    assert problem.startswith("README.md:7: `") and expected in problem


def test_blocks_are_read_as_a_shell_would() -> None:
    commands = simple_commands(README, 1, "A=1 B=2 kstasks versions --json > f && nox -l | head  # note")
    assert [(c.env, c.argv) for c in commands] == [
        ({"A": "1", "B": "2"}, ("kstasks", "versions", "--json")),
        ({}, ("nox", "-l")),
        ({}, ("head",)),
    ]
    lines = [(1, "$ kstasks \\"), (2, "    --list"), (3, "output line"), (4, "$ nox -l")]
    assert [(c.line, c.argv) for c in block_commands(README, "console", lines)] == [
        (1, ("kstasks", "--list")),
        (4, ("nox", "-l")),
    ]


@pytest.mark.parametrize("block", RUNNABLE, ids=lambda block: block.where)
def test_runnable_blocks_run_on_the_sample(block: Block, tmp_path: Path) -> None:
    checkout = make_sample_repo(tmp_path / "checkout")
    for command in block.commands:
        what, args = kind(command.argv)
        assert what in ("kstasks", "invoke", "nox", "module"), f"{command.where}: not runnable in a test"
        if what == "kstasks":
            result = kstasks(*args, cwd=checkout, env=command.env)
        else:
            module = ["-m", what] if what != "module" else ["-m"]
            env = {key: value for key, value in os.environ.items() if key != "KSTASKS_REPO"}
            result = subprocess.run(
                [sys.executable, *module, *args],
                cwd=checkout,
                env={**env, **command.env},
                capture_output=True,
                text=True,
                timeout=900,
            )
        expected = block.exit_code if command is block.commands[-1] else 0
        assert result.returncode == expected, (
            f"{command.where}: `{shlex.join(command.argv)}` exited {result.returncode}, "
            f"the docs say {expected}\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
        )


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", *noxsessions.docs_build_args(PROJECT, site)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for page in DOCS.rglob("*.md"):
        relative = page.relative_to(DOCS).with_suffix("")
        directory = relative.parent if relative.name == "index" else relative
        assert (site / directory / "index.html").is_file(), f"{page} was not built"


def test_the_docs_session_builds_into_its_tmp_dir_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(PROJECT)
    monkeypatch.setattr(
        noxsessions, "install_kstasks", lambda session, extras="": session.calls.append(("kstasks", extras))
    )
    session = FakeSession()
    noxsessions.docs(session)
    site = Path(session.tmp.name).resolve() / "site"
    assert session.calls == [
        ("kstasks", "[docs]"),
        ("run", "mkdocs", *noxsessions.docs_build_args(PROJECT.resolve(), site)),
    ]
    assert "--strict" in session.calls[-1] and PROJECT not in site.parents


def test_the_docs_session_refuses_a_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(RuntimeError, match="kstasks' own directory"):
        noxsessions.docs(FakeSession())
    assert "docs" in nox_sessions()


def test_the_readme_is_short_and_gives_the_two_commands() -> None:
    lines = README.read_text().splitlines()
    assert len(lines) <= MAX_README_LINES, f"README.md has {len(lines)} lines; move text into docs/"
    ci_run = (PROJECT / ".ci" / "run").read_text().splitlines()
    (command,) = [line for line in ci_run if line.strip() and not line.startswith(("#", "set ", "cd "))]
    assert command in lines, "README.md must give the exact test command .ci/run runs"
    assert "bash .ci/install && python3 -m invoke all-generated verify" in lines


def headings(path: Path) -> set[str]:
    """The anchors of ``path``'s headings, as the site makes them."""
    in_fence = False
    anchors = set()
    for line in path.read_text().splitlines():
        if FENCE.match(line.strip()):
            in_fence = not in_fence
        elif not in_fence and line.startswith("#"):
            anchors.add(slugify(line.lstrip("#").strip().replace("`", ""), "-"))
    return anchors


def test_the_readme_links_to_pages_and_anchors_that_exist() -> None:
    links = [link for link in LINK.findall(README.read_text()) if "://" not in link]
    assert any(link.startswith("docs/") for link in links)
    for link in links:
        target, _, anchor = link.partition("#")
        assert (PROJECT / target).is_file(), f"README.md links to {target}, which does not exist"
        if anchor:
            assert anchor in headings(PROJECT / target), f"README.md links to {link}: no such heading"


def test_the_tasks_page_names_every_task() -> None:
    page = (DOCS / "tasks" / "index.md").read_text()
    table = page.split("## ", 1)[0]
    missing = [name for name in sorted(ns.task_names) if f"`{name}`" not in table]
    assert missing == [], f"docs/tasks/index.md does not name {missing}"
