"""CI jobs from the checkout's .prow.yaml: nox -s verify / lint / test run what its presubmits run,
init writes a job per presubmit, and a presubmit kstasks cannot run is named in a warning."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from kstasks.project import prow, scaffold, settings
from kstasks.tasks import build_namespace, noxsessions
from kstasks.toolchain import tools
from tests.conftest import kstasks
from tests.servers import FakeSession

E2E = """
  - name: pull-kubestellar-e2e
    spec:
      containers:
        - image: example.test/build
          command: [bash, test/e2e/run-test.sh]
"""


def test_the_presubmits_are_data(sample_v030: Path) -> None:
    jobs = prow.read(sample_v030)
    assert [(job.name, job.session) for job in jobs] == [
        ("pull-kubestellar-verify", "verify"),
        ("pull-kubestellar-lint", "lint"),
        ("pull-kubestellar-test-unit", "test"),
    ]
    assert jobs[0].targets == (
        "verify-boilerplate",
        "verify-codegen",
        "verify-go-versions",
        "verify-imports",
        "verify-modules",
    )
    assert jobs[2].targets == ("test",) and jobs[2].variables == {"USE_GOTESTSUM": "1"}
    names = build_namespace(sample_v030).task_names
    assert all(job.problem(names) == "" for job in jobs)
    assert prow.Presubmit("pull-x-verify", ("make", "verify-spelling")).problem(names) == (
        "make verify-spelling has no kstasks task"
    )
    assert "not make targets" in prow.Presubmit("pull-x-lint", ("bash", "x.sh")).problem(names)
    assert prow.read(sample_v030.parent) == []


@pytest.fixture
def in_v030(sample_v030: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(sample_v030)
    monkeypatch.setenv("KSTASKS_REQUIREMENT", "kstasks==0.1.0")
    return sample_v030


def runs(session: FakeSession) -> list[tuple[str, ...]]:
    return [call[1:] for call in session.calls if call[0] == "run"]


def test_nox_sessions_run_what_the_presubmits_run(in_v030: Path) -> None:
    verify = FakeSession()
    noxsessions.verify(verify)
    assert runs(verify) == [
        ("kstasks", target)
        for target in (
            "verify-boilerplate",
            "verify-codegen",
            "verify-go-versions",
            "verify-imports",
            "verify-modules",
        )
    ]
    lint = FakeSession()
    noxsessions.lint(lint)
    assert runs(lint) == [("kstasks", "lint")]
    test = FakeSession()
    noxsessions.tests(test)
    assert runs(test) == [("kstasks", "test")]
    explicit = FakeSession("--worktree")
    noxsessions.verify(explicit)
    assert runs(explicit) == [("kstasks", "verify", "--worktree")]


def test_a_presubmit_kstasks_cannot_run_is_named(in_v030: Path) -> None:
    with (in_v030 / ".prow.yaml").open("a") as handle:
        handle.write(E2E)
    session = FakeSession()
    noxsessions.lint(session)
    warnings = [call[1] for call in session.calls if call[0] == "warn"]
    assert any("pull-kubestellar-e2e" in warning and "not make targets" in warning for warning in warnings)
    assert runs(session) == [("kstasks", "lint")]


def test_without_prow_the_sessions_keep_their_defaults(
    sample_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(sample_repo)
    session = FakeSession()
    noxsessions.lint(session)
    assert runs(session) == [("go", "vet", "./...")]


def test_init_writes_a_job_per_presubmit_that_actionlint_accepts(sample_v030: Path) -> None:
    with (sample_v030 / ".prow.yaml").open("a") as handle:
        handle.write(E2E)
    result = kstasks("init", cwd=sample_v030, env={"KSTASKS_REPO": str(sample_v030)})
    assert result.returncode == 0, result.stderr
    assert "wrote .github/workflows/kstasks-presubmits.yaml" in result.stdout
    assert "presubmit pull-kubestellar-e2e has no job" in result.stderr
    workflow = sample_v030 / scaffold.PRESUBMITS_FILE
    jobs = yaml.safe_load(workflow.read_text())["jobs"]
    assert list(jobs) == ["pull-kubestellar-verify", "pull-kubestellar-lint", "pull-kubestellar-test-unit"]
    assert jobs["pull-kubestellar-test-unit"]["steps"][-1]["run"] == "nox -s test"
    actionlint = tools.Toolbox(settings.defaults({})["versions"]).binary("actionlint")
    if actionlint.is_file():
        checked = subprocess.run([actionlint, str(workflow)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout
    assert 'name="test"' in (sample_v030 / "noxfile.py").read_text()
