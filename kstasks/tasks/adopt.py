"""Invoke's own command line made to behave as kstasks promises, also under plain ``invoke``.

An unknown task or flag exits 2 with the closest name suggested (Invoke: exit 1), a task
list cut short by its reader (``--list | head``) ends quietly, and the parser is given only the
tasks the command line names (Invoke builds and deep-copies every task's arguments on each run;
a word that names no task leaves it every task, so what parses and what fails is unchanged). The
namespace applies it when it is imported, which the ``invoke`` command does before it parses
task names.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable

from invoke import Collection, Program
from invoke.exceptions import Exit, ParseError
from invoke.parser import Parser, ParserContext


def quiet_broken_pipe() -> None:
    """stdout's reader went away (``| head``): send the rest nowhere, so Python's exit stays quiet."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _names(program: Program) -> tuple[list[str], list[str]]:
    """The task names and long core flags of ``program`` (for suggestions)."""
    collection = getattr(program, "collection", None)
    tasks = list(collection.task_names) if collection is not None else []
    flags = [f"--{name}" for argument in program.core_args() for name in argument.names if len(name) > 1]
    return tasks, flags


def named_contexts(
    collection: Collection, words: Iterable[str], ignore_unknown_help: bool | None = None
) -> list[ParserContext] | None:
    """The parser contexts of the tasks ``words`` name (by name or alias), as
    ``Collection.to_contexts`` makes them; None when no word names a task."""
    named = set(words)
    chosen = [
        (primary, aliases)
        for primary, aliases in collection.task_names.items()
        if primary in named or named.intersection(aliases)
    ]
    if not chosen:
        return None
    return [
        ParserContext(
            name=primary,
            aliases=aliases,
            args=collection[primary].get_arguments(ignore_unknown_help=ignore_unknown_help),
        )
        for primary, aliases in chosen
    ]


def adopt_invoke(program_class: type[Program] = Program) -> None:
    """Make Invoke's command line behave as kstasks promises, also under plain ``invoke``.

    An unknown task or flag exits 2 with the closest name suggested (Invoke: exit 1), and a
    task list cut short by its reader (``--list | head``) ends quietly. Called when the kstasks
    namespace is imported, which the ``invoke`` command does before it parses task names.
    Idempotent.
    """
    from kstasks.tasks import guard

    if getattr(program_class, "_kstasks_adopted", False):
        return
    parse_tasks, list_tasks = program_class.parse_tasks, program_class.list_tasks

    def parse_tasks_strictly(self: Program) -> None:
        try:
            parse_tasks(self)
        except ParseError as error:
            raise guard.bad_input(error, *_names(self)) from None

    def list_tasks_quietly(self: Program) -> None:
        try:
            list_tasks(self)
            sys.stdout.flush()
        except BrokenPipeError:
            quiet_broken_pipe()
            raise Exit(code=0) from None

    def make_parser_for_the_named_tasks(self: Program) -> Parser:
        listing = any(self.args[name].value for name in ("list", "help", "complete") if name in self.args)
        contexts = (
            None
            if listing
            else named_contexts(self.collection, self.core.unparsed, self.config.tasks.ignore_unknown_help)
        )
        if contexts is None:
            return make_parser(self)
        return Parser(initial=self.initial_context, contexts=contexts)

    make_parser = program_class._make_parser
    program_class._make_parser = make_parser_for_the_named_tasks  # type: ignore[method-assign]
    program_class.parse_tasks = parse_tasks_strictly  # type: ignore[method-assign]
    program_class.list_tasks = list_tasks_quietly  # type: ignore[method-assign]
    program_class._kstasks_adopted = True  # type: ignore[attr-defined]
