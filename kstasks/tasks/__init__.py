"""The command line: the Invoke namespace of every kstasks task (one collection module per
capability, defaults in ``ns.configure``), the ``kstasks`` program (``program``), the guard that
renders errors once (``guard``), and the nox session bodies (``noxsessions``, ``noxdocs``).
This layer wires the library together and may import every package; the work is done in them.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

from invoke import Collection, Task

from kstasks.project import settings
from kstasks.tasks import (
    adopt,
    build,
    charts,
    checkouttasks,
    checks,
    cluster,
    codegen,
    guard,
    images,
    lint,
    release,
    releasing,
    verify,
)

OUTPUT_SETTING = {"output": ""}
"""``kstasks.output``: quiet, normal or verbose (empty: KSTASKS_OUTPUT, else normal); flags win."""


def guarded(task: Task) -> Task:
    """A copy of ``task`` whose body sets the output level and turns interrupts and errors into one line."""
    if getattr(task.body, "__kstasks_guarded__", False):
        return task
    wrapped = copy.copy(task)
    wrapped.body = guard.guarded(task.body)
    return wrapped


def build_namespace(checkout: Path | None = None) -> Collection:
    """The root collection: the tasks of each capability, flat, plus the tasks only the checkout at
    ``checkout`` has (its own ``ko-build-*-local`` targets), plus the ``kstasks`` defaults."""
    namespace = Collection()
    for part in (
        codegen.collection(),
        verify.collection(),
        charts.collection(),
        images.collection(),
        release.collection(),
        releasing.collection(),
        cluster.collection(),
        lint.collection(),
        build.collection(),
        checks.collection(),
    ):
        for task_name in part.task_names:
            namespace.add_task(guarded(part[task_name]), name=task_name)
    add_checkout_tasks(namespace, checkout)
    namespace.configure({"kstasks": {**settings.defaults(), **OUTPUT_SETTING}})
    return namespace


def add_checkout_tasks(namespace: Collection, checkout: Path | None) -> None:
    """Add the tasks only the checkout at ``checkout`` has (read from its Makefile)."""
    for extra in checkouttasks.checkout_tasks(checkout):
        if extra.name not in namespace.task_names:
            namespace.add_task(guarded(extra), name=extra.name)


adopt.adopt_invoke()
ns = build_namespace()
if checkouttasks.names_checkout_tasks(sys.argv[1:], ns.task_names):
    add_checkout_tasks(ns, checkouttasks.program_checkout(sys.argv[1:]))
