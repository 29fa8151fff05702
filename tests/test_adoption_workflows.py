"""The workflows: the one `kstasks init` writes and the project's release workflow, linted by the
pinned actionlint and checked for what adoption needs (pins, time limits, caches, no tokens)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from kstasks import __version__
from kstasks.core import paths
from kstasks.project import requirement, scaffold, settings
from kstasks.toolchain import tools
from tests.conftest import PROJECT

RELEASE = PROJECT / ".github" / "workflows" / "release.yaml"
PINNED = re.compile(r"^\s*(?:- )?uses: [\w.-]+/[\w.-]+@[0-9a-f]{40}  # v\d+\.\d+\.\d+$")


@pytest.fixture(scope="module")
def actionlint() -> Path:
    return tools.Toolbox(settings.DEFAULTS["versions"]).ensure("actionlint") / "actionlint"


@pytest.fixture
def written(tmp_path: Path) -> Path:
    """The workflow `init` writes, in a checkout of its own."""
    scaffold.init_checkout(tmp_path)
    return tmp_path / ".github" / "workflows" / "kstasks.yaml"


def lint(actionlint: Path, workflow: Path) -> subprocess.CompletedProcess[str]:
    """actionlint, with shellcheck on the ``run:`` scripts (.ci/install installs it)."""
    shellcheck = shutil.which("shellcheck")
    assert shellcheck, "shellcheck is missing: run .ci/install"
    return subprocess.run(
        [str(actionlint), "-no-color", f"-shellcheck={shellcheck}", str(workflow)],
        cwd=workflow.parent,
        capture_output=True,
        text=True,
    )


def load(workflow: Path) -> dict[Any, Any]:
    return yaml.safe_load(workflow.read_text())


def triggers(data: dict[Any, Any]) -> dict[str, Any]:
    return data.get("on", data.get(True))  # YAML 1.1 reads a bare `on` as true


@pytest.mark.tools
def test_actionlint_accepts_both_workflows(actionlint: Path, written: Path) -> None:
    for workflow in (written, RELEASE):
        result = lint(actionlint, workflow)
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.tools
def test_actionlint_would_catch_a_broken_workflow(actionlint: Path, written: Path) -> None:
    text = written.read_text()
    written.write_text(text.replace("timeout-minutes: 60", "timeout-minutes: ten"))
    result = lint(actionlint, written)
    assert result.returncode == 1 and "timeout-minutes" in result.stdout
    written.write_text(text.replace('nox -s "${SESSION}"', "nox -s $SESSION"))  # unquoted: shellcheck
    result = lint(actionlint, written)
    assert result.returncode == 1 and "SC2086" in result.stdout


@pytest.mark.parametrize("name", ["kstasks", "release"])
def test_every_action_is_pinned_by_commit_and_every_job_has_a_time_limit(written: Path, name: str) -> None:
    workflow = written if name == "kstasks" else RELEASE
    uses = [line for line in workflow.read_text().splitlines() if "uses:" in line]
    assert uses and all(PINNED.match(line) for line in uses), uses
    for job_name, job in load(workflow)["jobs"].items():
        assert isinstance(job.get("timeout-minutes"), int), job_name
    assert "secrets." not in workflow.read_text() and "password" not in workflow.read_text()


def test_the_init_workflow_runs_on_pull_requests_and_the_default_branch(written: Path) -> None:
    data = load(written)
    on = triggers(data)
    assert "pull_request" in on and on["push"]["branches"] == ["main"]
    assert data["concurrency"]["cancel-in-progress"] == "${{ github.event_name == 'pull_request' }}"
    assert "pull_request.number" in data["concurrency"]["group"]
    assert "fetch-depth" not in written.read_text()
    default = scaffold.default_requirement()
    assert data["env"]["KSTASKS_REQUIREMENT"] == f"${{{{ vars.KSTASKS_REQUIREMENT || '{default}' }}}}"


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        (
            "git+https://example.invalid/kstasks.git@0123abc",
            "git+https://example.invalid/kstasks.git@0123abc",
        ),
        (
            "https://example.invalid/kstasks-1-py3-none-any.whl",
            "https://example.invalid/kstasks-1-py3-none-any.whl",
        ),
        ("/home/someone/kstasks", f"kstasks=={__version__}"),  # CI cannot reach a local path
        (None, f"kstasks=={__version__}"),
    ],
)
def test_the_default_requirement_is_one_ci_can_install(
    monkeypatch: pytest.MonkeyPatch, origin: str | None, expected: str
) -> None:
    monkeypatch.setattr(requirement, "installed_from", lambda: origin)
    assert scaffold.default_requirement() == expected


def test_the_init_workflow_keeps_go_and_kstasks_caches(written: Path) -> None:
    steps = load(written)["jobs"]["nox"]["steps"]
    setup_go = next(step for step in steps if step.get("uses", "").startswith("actions/setup-go@"))
    assert setup_go["with"]["cache"] is True and setup_go["with"]["go-version-file"] == "go.mod"
    caches = {
        step["with"]["path"]: step["with"] for step in steps if "actions/cache@" in step.get("uses", "")
    }
    tools_cache = caches["~/.cache/kstasks/tools"]
    assert "hashFiles('invoke.yaml', 'Makefile', 'go.mod')" in tools_cache["key"]
    assert "KSTASKS_REQUIREMENT" in tools_cache["key"]  # kstasks' own default pins
    verified = caches[f"~/.cache/kstasks/{paths.VERIFIED}"]
    assert verified["restore-keys"] and "github.sha" in verified["key"]
    # a pull request's run starts from the default branch's newest entries
    restore = verified["restore-keys"].splitlines()
    assert any("github.event.repository.default_branch" in line for line in restore)
    assert all(verified["key"].startswith(line) for line in restore[:1])
    nox_step = next(step for step in steps if step.get("run", "").startswith("nox -s"))
    assert float(nox_step["env"]["KSTASKS_CACHE_MAX_MB"]) > 0  # the cache is bounded


def test_the_release_workflow_publishes_tags_with_trusted_publishing_only() -> None:
    data = load(RELEASE)
    assert triggers(data)["push"]["tags"] == ["v*"]
    assert data["permissions"] == {"contents": "read"}
    build, publish = data["jobs"]["build"], data["jobs"]["publish"]
    assert "permissions" not in build
    assert publish["permissions"] == {"id-token": "write"} and publish["needs"] == "build"
    assert any("nox -s release" in step.get("run", "") for step in build["steps"])
    assert publish["steps"][-1]["uses"].startswith("pypa/gh-action-pypi-publish@")
    assert "with" not in publish["steps"][-1]  # no repository URL, no token
