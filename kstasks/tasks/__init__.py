"""The Invoke namespace: every kstasks task, with the v0.24.0 defaults as its configuration."""

from __future__ import annotations

import copy

from invoke import Collection, Task

from kstasks import cli, guard, settings
from kstasks.tasks import build, charts, checks, cluster, codegen, images, lint, release, verify

OUTPUT_SETTING = {"output": ""}
"""``kstasks.output``: quiet, normal or verbose (empty: KSTASKS_OUTPUT, else normal); flags win."""


def guarded(task: Task) -> Task:
    """A copy of ``task`` whose body sets the output level and turns interrupts and errors into one line."""
    if getattr(task.body, "__kstasks_guarded__", False):
        return task
    wrapped = copy.copy(task)
    wrapped.body = guard.guarded(task.body)
    return wrapped


def build_namespace() -> Collection:
    """The root collection: the tasks of each capability, flat, plus the ``kstasks`` defaults."""
    namespace = Collection()
    for part in (
        codegen.collection(),
        verify.collection(),
        charts.collection(),
        images.collection(),
        release.collection(),
        cluster.collection(),
        lint.collection(),
        build.collection(),
        checks.collection(),
    ):
        for task_name in part.task_names:
            namespace.add_task(guarded(part[task_name]), name=task_name)
    namespace.configure({"kstasks": {**settings.defaults(), **OUTPUT_SETTING}})
    return namespace


cli.adopt_invoke()
ns = build_namespace()
