"""What the checkout's release workflow (``.github/workflows/goreleaser.yml``) does after goreleaser:
the charts it packages and pushes (and where), the files it edits with ``sed`` first, the
``make chart`` it runs, and the ``repository_dispatch`` it sends.

The workflow is read, not run: its ``run:`` scripts are split into shell words line by line and
the ``helm package``, ``helm push``, ``sed -i``, ``make chart`` lines become steps; ``${{ env.X }}``
is the workflow's ``env:``; ``${{ github.ref_name }}`` is the tag and ``${chartVersion}`` (the
tag without its first character, ``cut -c 2-``) the version. A line kstasks does not know is
ignored — the release is what these steps describe, and ``expected_artifacts`` says so in full.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kstasks.core import errors

WORKFLOW = ".github/workflows/goreleaser.yml"
TAG = "__KSTASKS_TAG__"
"""Where the tag (``v0.30.0``) goes in a workflow string."""
VERSION = "__KSTASKS_VERSION__"
"""Where the version (``0.30.0``) goes."""
REPOSITORY = "__KSTASKS_REPOSITORY__"
"""Where ``github.repository`` (``owner/name``) goes."""

_EXPRESSION = re.compile(r"\$\{\{\s*([A-Za-z0-9_.]+)\s*\}\}")
_CHART_VERSION = re.compile(r"\$\{chartVersion\}|\$chartVersion\b")


def fill(text: str, *, tag: str, version: str, repository: str = "") -> str:
    """A workflow string with the release's values in place."""
    return text.replace(TAG, tag).replace(VERSION, version).replace(REPOSITORY, repository)


@dataclass(frozen=True)
class Edit:
    """``sed -i 's<d>pattern<d>replacement<d>g' file`` before packaging."""

    file: str
    """Relative to the checkout (``core-chart/values.yaml``)."""
    pattern: str
    """A sed basic regular expression."""
    replacement: str


@dataclass(frozen=True)
class MakeChart:
    """``make chart VAR=value`` (v0.21 to v0.24: the controller-manager chart from config/)."""

    variable: str
    value: str


@dataclass(frozen=True)
class ChartStep:
    """One ``helm package`` of the workflow, with what it does first and where it is pushed."""

    path: str
    """The chart directory, relative to the checkout (``core-chart``)."""
    dependency_update: bool
    edits: tuple[Edit, ...] = ()
    make_chart: MakeChart | None = None
    destination: str = ""
    """The ``helm push`` destination (``oci://ghcr.io/kubestellar/kubestellar``); empty: not pushed."""


@dataclass(frozen=True)
class Dispatch:
    """The ``repository_dispatch`` the workflow sends after the release."""

    repository: str
    event_type: str
    client_payload: Mapping[str, Any]
    token: str
    """The expression of the token it uses (``secrets.WORKFLOW_SYNC_TOKEN``)."""


@dataclass(frozen=True)
class Workflow:
    """The release workflow's steps after goreleaser."""

    path: Path | None
    env: Mapping[str, str] = field(default_factory=dict)
    charts: tuple[ChartStep, ...] = ()
    dispatch: Dispatch | None = None
    ldflags_from_make: bool = False
    """Whether it sets LDFLAGS from ``make ldflags`` (every KubeStellar release does)."""


def _substitute(text: str, env: Mapping[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("env."):
            return env.get(name[4:], "")
        return {"github.ref_name": TAG, "github.repository": REPOSITORY}.get(name, match.group(0))

    return _CHART_VERSION.sub(VERSION, _EXPRESSION.sub(one, text))


def _relative(path: str) -> str:
    return path[2:] if path.startswith("./") else path.rstrip("/")


def _sed(words: list[str]) -> Edit | None:
    """``sed -i <script> <file>`` as an edit (only the ``s`` command)."""
    rest = [w for w in words[1:] if w != "-i"]
    if len(rest) != 2 or not rest[0].startswith("s") or len(rest[0]) < 4:
        return None
    script, target = rest
    delimiter = script[1]
    parts = script[2:].split(delimiter)
    if len(parts) < 2:
        return None
    return Edit(_relative(target), parts[0], parts[1])


def _steps(script: str, env: Mapping[str, str], names: Mapping[str, str]) -> list[ChartStep]:
    packages: list[ChartStep] = []
    edits: list[Edit] = []
    make: MakeChart | None = None
    pushes: list[tuple[str, str]] = []
    for raw in script.splitlines():
        line = _substitute(raw.strip(), env)
        try:
            words = shlex.split(line)
        except ValueError:
            continue
        if len(words) >= 3 and words[:2] == ["helm", "package"]:
            path = _relative(words[2])
            mine = tuple(e for e in edits if e.file.startswith(path + "/"))
            edits = [e for e in edits if e not in mine]
            packages.append(ChartStep(path, "--dependency-update" in words, mine, make))
            make = None
        elif len(words) >= 4 and words[:2] == ["helm", "push"]:
            pushes.append((Path(words[2]).name, words[3]))
        elif words[:1] == ["sed"] and (edit := _sed(words)):
            edits.append(edit)
        elif words[:2] == ["make", "chart"]:
            assignment = next((w for w in words[2:] if "=" in w), "")
            variable, _, value = assignment.partition("=")
            make = MakeChart(variable, value)
    result = []
    for step in packages:
        chart_name = names.get(step.path, Path(step.path).name)
        destination = next(
            (dest for pattern, dest in pushes if _glob_matches(pattern, chart_name)), step.destination
        )
        result.append(ChartStep(step.path, step.dependency_update, step.edits, step.make_chart, destination))
    return result


def _glob_matches(pattern: str, chart_name: str) -> bool:
    import fnmatch

    return fnmatch.fnmatch(f"{chart_name}-0.0.0.tgz", pattern)


def chart_names(root: Path, steps: list[str]) -> dict[str, str]:
    """The ``name`` in each chart directory's Chart.yaml (the directory name when unreadable)."""
    names = {}
    for path in steps:
        try:
            data = yaml.safe_load((root / path / "Chart.yaml").read_text())
        except (OSError, yaml.YAMLError):
            data = None
        names[path] = str(data["name"]) if isinstance(data, dict) and data.get("name") else Path(path).name
    return names


def _dispatch(step: Mapping[str, Any], env: Mapping[str, str]) -> Dispatch | None:
    uses = str(step.get("uses") or "")
    if not uses.startswith("peter-evans/repository-dispatch"):
        return None
    given = step.get("with") or {}
    payload_text = _substitute(str(given.get("client-payload") or "{}"), env)
    try:
        payload = yaml.safe_load(payload_text)
    except yaml.YAMLError as err:
        raise errors.BadInput(
            f"{WORKFLOW}: the repository_dispatch client-payload is not JSON ({err})", "Fix the workflow."
        ) from err
    token = _EXPRESSION.sub(lambda m: m.group(1), str(given.get("token") or ""))
    return Dispatch(
        repository=_substitute(str(given.get("repository") or ""), env),
        event_type=_substitute(str(given.get("event-type") or ""), env),
        client_payload=payload if isinstance(payload, dict) else {},
        token=token,
    )


def read_workflow(root: Path) -> Workflow:
    """The release workflow of the checkout at ``root`` (an empty one when there is none)."""
    path = root / WORKFLOW
    if not path.is_file():
        return Workflow(None)
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as err:
        raise errors.BadInput(f"cannot read {WORKFLOW} ({err})", "Fix the workflow file.") from err
    if not isinstance(data, dict):
        raise errors.BadInput(f"{WORKFLOW} is not a workflow", "Fix the workflow file.")
    env = {str(k): str(v) for k, v in (data.get("env") or {}).items()}
    steps = [step for job in (data.get("jobs") or {}).values() for step in (job or {}).get("steps") or []]
    scripts = [_substitute(str(step.get("run") or ""), env) for step in steps if isinstance(step, dict)]
    packaged = [
        _relative(shlex.split(line.strip())[2])
        for script in scripts
        for line in script.splitlines()
        if line.strip().startswith("helm package ") and len(line.split()) >= 3
    ]
    names = chart_names(root, packaged)
    charts = [
        chart
        for step in steps
        if isinstance(step, dict)
        for chart in _steps(str(step.get("run") or ""), env, names)
    ]
    dispatch = next((d for step in steps if isinstance(step, dict) and (d := _dispatch(step, env))), None)
    ldflags = any("make ldflags" in script for script in scripts)
    return Workflow(path, env, tuple(charts), dispatch, ldflags)
