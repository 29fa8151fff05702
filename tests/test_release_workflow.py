"""The release workflow `kstasks init` writes (replacing the goreleaser workflow's job): actionlint
clean, actions pinned by the commits the other templates use, secrets only where they are used."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kstasks.project import scaffold
from tests.test_adoption_workflows import PINNED, actionlint, lint, load, triggers

__all__ = ["actionlint"]

TEMPLATES = Path(scaffold.__file__).resolve().parent.parent / "data" / "templates"


@pytest.fixture
def release_workflow(tmp_path: Path) -> Path:
    scaffold.init_checkout(tmp_path)
    return tmp_path / ".github" / "workflows" / "kstasks-release.yaml"


@pytest.mark.tools
def test_actionlint_accepts_the_release_workflow(actionlint: Path, release_workflow: Path) -> None:
    result = lint(actionlint, release_workflow)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = release_workflow.read_text().replace(
        'nox -s release -- "${args[@]}"', "nox -s release -- ${args[@]}"
    )
    release_workflow.write_text(broken)
    assert lint(actionlint, release_workflow).returncode == 1  # shellcheck: unquoted array


def test_tags_release_and_pull_requests_touching_release_inputs_snapshot(release_workflow: Path) -> None:
    data = load(release_workflow)
    on = triggers(data)
    assert on["push"] == {"tags": ["v*"]}
    assert {".goreleaser.yaml", "core-chart/**", "cmd/**", ".github/workflows/kstasks-release.yaml"} <= set(
        on["pull_request"]["paths"]
    )
    assert data["permissions"] == {"contents": "read"}
    snapshot, release = data["jobs"]["snapshot"], data["jobs"]["release"]
    assert snapshot["if"] == "github.event_name == 'pull_request'" and "permissions" not in snapshot
    assert any(step.get("run") == "nox -s release -- --snapshot" for step in snapshot["steps"])
    assert release["if"] == "github.event_name == 'push'"
    assert release["permissions"] == {"contents": "write", "packages": "write"}
    run = next(step for step in release["steps"] if step.get("name") == "Release")
    assert 'nox -s release -- "${args[@]}"' in run["run"] and "--sign-key" in run["run"]
    assert run["env"]["GITHUB_TOKEN"] == "${{ secrets.GITHUB_TOKEN }}"
    assert run["env"]["WORKFLOW_SYNC_TOKEN"] == "${{ secrets.WORKFLOW_SYNC_TOKEN }}"
    assert run["env"]["COSIGN_PASSWORD"] == "${{ secrets.COSIGN_PASSWORD }}"
    for job in (snapshot, release):
        checkout = job["steps"][0]
        assert checkout["with"] == {"fetch-depth": 0, "persist-credentials": False}
        assert isinstance(job["timeout-minutes"], int)


def test_actions_are_pinned_as_in_the_other_templates_and_secrets_stay_out_of_scripts(
    release_workflow: Path,
) -> None:
    text = release_workflow.read_text()
    uses = [line for line in text.splitlines() if "uses:" in line]
    assert uses and all(PINNED.match(line) for line in uses), uses
    known = set(re.findall(r"uses: (\S+@[0-9a-f]{40})", (TEMPLATES / "kstasks-verify.yaml").read_text()))
    assert set(re.findall(r"uses: (\S+@[0-9a-f]{40})", text)) <= known
    assert "secrets." not in "".join(
        step.get("run", "") for job in load(release_workflow)["jobs"].values() for step in job["steps"]
    )
    assert "secrets." not in load(release_workflow)["jobs"]["snapshot"].__repr__()
    assert "--password-stdin" in text


def test_the_nox_release_session_runs_kstasks_release_in_a_checkout(
    sample_v030: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kstasks.tasks import noxsessions
    from tests.servers import FakeSession

    monkeypatch.chdir(sample_v030)
    monkeypatch.setenv("KSTASKS_REQUIREMENT", "kstasks==0.0.0")
    session = FakeSession("0.30.0", "--sign-key", "/dev/null")
    noxsessions.release(session)
    runs = [call[1:] for call in session.calls if call[0] == "run"]
    assert runs == [("kstasks", "release", "0.30.0", "--sign-key", "/dev/null")]
    assert any(call[0] == "install" for call in session.calls)
