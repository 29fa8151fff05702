"""The Invoke namespace: every kstasks task, with the v0.24.0 defaults as its configuration."""

from __future__ import annotations

from invoke import Collection

from kstasks import settings
from kstasks.tasks import build, charts, checks, codegen, images, release


def build_namespace() -> Collection:
    """The root collection: the tasks of each capability, flat, plus the ``kstasks`` defaults."""
    namespace = Collection()
    parts = [codegen.collection(), charts.collection(), images.collection(), release.collection()]
    parts += [build.collection(), checks.collection()]
    for part in parts:
        for task_name in part.task_names:
            namespace.add_task(part[task_name], name=task_name)
    namespace.configure({"kstasks": settings.defaults()})
    return namespace


ns = build_namespace()
