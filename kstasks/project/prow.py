"""The checkout's CI jobs, read from its ``.prow.yaml`` as data: each presubmit's name, the
command its container runs and its environment, and what that is in kstasks terms (the nox
session it belongs to, the tasks its ``make`` targets are), so ``nox -s verify`` / ``lint`` /
``test`` run what KubeStellar's presubmits run and ``init`` writes a job for each.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kstasks.core import errors

PROW_FILE = ".prow.yaml"
SESSIONS = ("verify", "lint", "test")
"""The nox sessions a presubmit can be (``pull-<repo>-<session>[-...]``)."""


@dataclass(frozen=True)
class Presubmit:
    """One presubmit of ``.prow.yaml``."""

    name: str
    argv: tuple[str, ...]
    """Its container's command and args."""
    env: dict[str, str] = field(default_factory=dict)

    @property
    def session(self) -> str:
        """The nox session it is: ``pull-kubestellar-test-unit`` -> ``test`` (empty: none)."""
        words = self.name.split("-")
        middle = words[2:] if len(words) > 2 and words[0] == "pull" else words
        return next((word for word in middle if word in SESSIONS), "")

    @property
    def targets(self) -> tuple[str, ...]:
        """The make targets it runs (empty unless the command is ``make``)."""
        if not self.argv or Path(self.argv[0]).name != "make":
            return ()
        return tuple(arg for arg in self.argv[1:] if not arg.startswith("-") and "=" not in arg)

    @property
    def variables(self) -> dict[str, str]:
        """``VAR=value`` arguments of its make command, and its environment."""
        given = dict(arg.split("=", 1) for arg in self.argv[1:] if "=" in arg and not arg.startswith("-"))
        return {**self.env, **given}

    def problem(self, tasks: Iterable[str]) -> str:
        """Why kstasks cannot run it (empty when every target is a task of that name)."""
        known = set(tasks)
        if not self.targets:
            return f"it runs {' '.join(self.argv) or 'nothing'}, not make targets"
        if not self.session:
            return f"its name maps to none of the nox sessions {', '.join(SESSIONS)}"
        missing = [target for target in self.targets if target not in known]
        return f"make {' '.join(missing)} has no kstasks task" if missing else ""


def _container(job: dict[str, Any]) -> dict[str, Any]:
    containers = ((job.get("spec") or {}).get("containers")) or [{}]
    return containers[0] or {}


def parse(text: str) -> list[Presubmit]:
    """The presubmits of a ``.prow.yaml`` (a list, or lists by repository)."""
    import yaml

    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as err:
        raise errors.BadInput(f"cannot read {PROW_FILE} ({err})", f"Fix {PROW_FILE}.") from err
    jobs = data.get("presubmits") or []
    if isinstance(jobs, dict):
        jobs = [job for group in jobs.values() for job in (group or [])]
    found = []
    for job in jobs:
        container = _container(job)
        argv = tuple(
            str(word) for word in [*(container.get("command") or []), *(container.get("args") or [])]
        )
        env = {
            str(item["name"]): str(item.get("value", ""))
            for item in container.get("env") or []
            if "name" in item
        }
        found.append(Presubmit(str(job.get("name", "")), argv, env))
    return found


def read(root: Path) -> list[Presubmit]:
    """The presubmits of the checkout at ``root`` (none without a ``.prow.yaml``)."""
    path = Path(root) / PROW_FILE
    return parse(path.read_text(errors="replace")) if path.is_file() else []
