"""The docs nox sessions (serve-docs, deploy-docs): a virtualenv from docs/requirements.txt, then
the docs script with REMOTE/BRANCH. Unit tests record the calls; one runs real nox offline.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kstasks.tasks import noxdocs


class Recorder:
    """Records what a session body asks nox to do."""

    def __init__(self, posargs: list[str]) -> None:
        self.posargs = posargs
        self.bin = "/venv/bin"
        self.calls: list[tuple[str, tuple[str, ...], dict[str, Any]]] = []

    def install(self, *args: str) -> None:
        self.calls.append(("install", args, {}))

    def run(self, *args: str, **kwargs: Any) -> None:
        self.calls.append(("run", args, kwargs))

    def error(self, message: str) -> None:
        raise RuntimeError(message)


def docs_checkout(root: Path) -> Path:
    (root / "docs" / "scripts").mkdir(parents=True)
    (root / "docs" / "requirements.txt").write_text("mkdocs>=1.5\n")
    for name in ("serve-docs.sh", "deploy-docs.sh"):
        (root / "docs" / "scripts" / name).write_text("#!/usr/bin/env bash\n")
    return root


def test_serve_docs_installs_requirements_then_runs_the_script(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = docs_checkout(tmp_path)
    monkeypatch.setenv("REMOTE", "upstream")
    monkeypatch.delenv("BRANCH", raising=False)
    session = Recorder([])
    noxdocs.run_docs_script(session, "serve-docs", root)
    assert session.calls == [
        ("install", ("-r", str(root / "docs/requirements.txt")), {}),
        (
            "run",
            ("bash", str(root / "docs/scripts/serve-docs.sh")),
            {"env": {"REMOTE": "upstream", "BRANCH": "", "VENV": "/venv/bin"}, "external": True},
        ),
    ]


def test_deploy_docs_takes_remote_and_branch_from_posargs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = docs_checkout(tmp_path)
    monkeypatch.setenv("BRANCH", "ignored")
    session = Recorder(["--remote", "origin", "--branch", "gh-pages"])
    noxdocs.run_docs_script(session, "deploy-docs", root)
    assert session.calls[-1][2]["env"] == {"REMOTE": "origin", "BRANCH": "gh-pages"}


def test_missing_docs_are_named(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match=r"docs/requirements\.txt"):
        noxdocs.run_docs_script(Recorder([]), "serve-docs", tmp_path)
    with pytest.raises(RuntimeError, match="usage: nox -s deploy-docs"):
        noxdocs.run_docs_script(Recorder(["--bogus"]), "deploy-docs", docs_checkout(tmp_path))


def test_in_this_project_the_sample_is_the_checkout() -> None:
    project = Path(__file__).resolve().parent.parent
    assert noxdocs.docs_root(project) == project / "sample"


NOXFILE = """
import nox

from kstasks.tasks import noxdocs


@nox.session(name="serve-docs")
def serve_docs(session):
    noxdocs.serve_docs(session)


@nox.session(name="deploy-docs")
def deploy_docs(session):
    noxdocs.deploy_docs(session)
"""


def test_real_nox_session_builds_the_virtualenv_and_runs_the_script(tmp_path: Path) -> None:
    """Offline (empty requirements): the script records what it got and which python it ran with."""
    root = docs_checkout(tmp_path / "checkout")
    (root / "docs" / "requirements.txt").write_text("")
    (root / "docs" / "scripts" / "deploy-docs.sh").write_text(
        '#!/usr/bin/env bash\necho "remote=$REMOTE branch=$BRANCH python=$(command -v python)" > "$OUT"\n'
    )
    (root / "noxfile.py").write_text(NOXFILE)
    out = tmp_path / "out.txt"
    project = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(project), "OUT": str(out), "REMOTE": "upstream"}
    result = subprocess.run(
        [sys.executable, "-m", "nox", "-s", "deploy-docs", "--", "--branch", "gh-pages"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    recorded = out.read_text()
    assert recorded.startswith("remote=upstream branch=gh-pages python=")
    assert str(root / ".nox" / "deploy-docs" / "bin" / "python") in recorded
