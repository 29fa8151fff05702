"""The task layer: configuration, precedence and wiring (Invoke contexts, no tools run)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from invoke import Config, MockContext

from kstasks.core import context as run_context
from kstasks.core.errors import KstasksError
from kstasks.project import settings
from kstasks.tasks import codegen as codegen_tasks
from kstasks.tasks import common, ns
from tests.conftest import PROJECT, kstasks
from tests.servers import FakeSession


def context(run: dict[str, object] | None = None, **overrides: object) -> MockContext:
    """A context configured as the kstasks namespace configures it, plus ``overrides``."""
    config = Config(overrides={"kstasks": overrides, "run": run or {}})
    config.load_collection({"kstasks": settings.defaults({})})
    return MockContext(config=config)


def test_namespace_has_every_foundation_task_with_help() -> None:
    expected = {
        "tools",
        "manifests",
        "generate",
        "codegenclients",
        "imports",
        "all-generated",
        "verify-go-versions",
        "verify-codegen",
        "init",
    }
    assert expected <= set(ns.task_names)
    for name in expected:
        assert (ns[name].__doc__ or "").strip(), name
    assert ns.configuration()["kstasks"]["versions"]["kustomize"] == "v5.3.0"


def test_flag_beats_config_for_the_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KSTASKS_REPO", raising=False)
    flagged = tmp_path / "flagged"
    shutil.copytree(PROJECT / "sample", flagged)
    c = context(repo=str(PROJECT / "sample"))
    assert common.target(c, str(flagged), []).checkout.root == flagged
    assert common.target(c, None, []).checkout.root == PROJECT / "sample"


def test_config_versions_reach_the_toolbox(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KSTASKS_REPO", raising=False)
    c = context(repo=str(PROJECT / "sample"), versions={"kustomize": "v5.5.0"})
    assert common.target(c, None, ["kustomize"]).toolbox.version_of("kustomize") == "v5.5.0"


def test_bad_version_in_config_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KSTASKS_REPO", raising=False)
    c = context(repo=str(PROJECT / "sample"), versions={"controller_tools": "latest"})
    with pytest.raises(KstasksError) as caught:
        codegen_tasks.generate(c)
    assert caught.value.code == 2


def test_unknown_tool_exit_2() -> None:
    with pytest.raises(KstasksError) as caught:
        codegen_tasks.tools(context(), name=["make"])
    assert caught.value.code == 2
    assert "unknown tool 'make'" in caught.value.message


def test_dry_flag_reaches_the_runner() -> None:
    common.start(context(run={"dry": True}))
    assert run_context.current().dry is True


def test_init_writes_files_once(sample_repo: Path) -> None:
    first = kstasks("init", "--repo", str(sample_repo), cwd=sample_repo)
    assert first.returncode == 0, first.stderr
    for name in ("tasks.py", "noxfile.py", ".github/workflows/kstasks.yaml"):
        assert (sample_repo / name).is_file(), name
    again = kstasks("init", "--repo", str(sample_repo), cwd=sample_repo)
    assert again.returncode == 2 and "--force" in again.stderr
    assert kstasks("init", "--repo", str(sample_repo), "--force", cwd=sample_repo).returncode == 0


def test_initialised_checkout_lists_tasks_and_tagged_sessions(sample_repo: Path) -> None:
    assert kstasks("init", "--repo", str(sample_repo), cwd=sample_repo).returncode == 0
    env = {key: value for key, value in os.environ.items() if key != "KSTASKS_REPO"}
    listed = subprocess.run(
        [sys.executable, "-m", "invoke", "--list"], cwd=sample_repo, env=env, capture_output=True, text=True
    )
    assert listed.returncode == 0, listed.stderr
    assert "verify-codegen" in listed.stdout and "all-generated" in listed.stdout

    def sessions(*args: str) -> dict[str, list[str]]:
        listed = subprocess.run(
            [sys.executable, "-m", "nox", "-l", "--json", *args],
            cwd=sample_repo,
            env=env,
            capture_output=True,
            text=True,
        )
        assert listed.returncode == 0, listed.stderr
        return {s["session"]: s["tags"] for s in json.loads(listed.stdout)}

    assert sessions() == {"verify": ["verify", "ci"]}
    assert sessions("-t", "ci") == {
        "verify": ["verify", "ci"],
        "tests": ["test", "ci"],
        "lint": ["lint", "ci"],
    }
    assert sessions("-t", "codegen") == {"generate": ["codegen"]}
    workflow = (sample_repo / ".github/workflows/kstasks.yaml").read_text()
    assert "pull_request" in workflow and "nox -t ci -l --json" in workflow


def test_list_shows_one_line_help_for_every_task() -> None:
    result = kstasks("--list", cwd=PROJECT)
    assert result.returncode == 0
    for name in ns.task_names:
        line = next(line for line in result.stdout.splitlines() if line.strip().startswith(name + " "))
        assert len(line.split(None, 1)) == 2, line


def test_nox_publish_requires_an_explicit_registry() -> None:
    from kstasks.tasks import noxsessions

    for posargs in ((), ("--version", "0.25.0"), ("--registry", "oci://127.0.0.1:5000/x")):
        session = FakeSession(*posargs)
        with pytest.raises(RuntimeError, match="explicit --registry and --version"):
            noxsessions.publish(session)
        assert session.calls == []


def test_nox_publish_packages_then_pushes() -> None:
    from kstasks.tasks import noxsessions

    session = FakeSession("--version", "v0.25.0", "--registry", "oci://127.0.0.1:5000/ks", "--force")
    noxsessions.publish(session)
    runs = [call[1:] for call in session.calls if call[0] == "run"]
    assert runs == [
        ("kstasks", "package-charts", "--version", "v0.25.0"),
        (
            "kstasks",
            "publish-charts",
            "--version",
            "v0.25.0",
            "--registry",
            "oci://127.0.0.1:5000/ks",
            "--force",
        ),
    ]


def test_nox_publish_adds_tool_images_with_an_explicit_registry() -> None:
    from kstasks.tasks import noxsessions

    session = FakeSession(
        "--version",
        "0.25.0",
        "--registry",
        "oci://r/x",
        "--tool-registry",
        "r/tools",
        "--helm-version",
        "3.14.4",
    )
    noxsessions.publish(session)
    runs = [call[1:] for call in session.calls if call[0] == "run"]
    assert runs[2:] == [
        ("kstasks", "build-clusteradm-image", "--registry", "r/tools"),
        ("kstasks", "build-helm-image", "--registry", "r/tools", "--version", "3.14.4"),
    ]
