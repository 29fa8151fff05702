"""stdout is for results: a tool's chatter (helm's ``==> Linting``, ``Successfully packaged``)
goes to stderr, and under -q nowhere; a real process on the sample."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import kstasks

pytestmark = pytest.mark.tools


def test_helm_chatter_never_reaches_stdout(sample_repo: Path) -> None:
    env = {"KSTASKS_REPO": str(sample_repo)}
    loud = kstasks("package-charts", "--version", "0.25.0", cwd=sample_repo, env=env, timeout=600)
    assert loud.returncode == 0, loud.stderr
    assert "Linting" not in loud.stdout and "Successfully packaged" not in loud.stdout
    assert "==> Linting" in loud.stderr and "Successfully packaged" in loud.stderr
    quiet = kstasks("-q", "package-charts", "--version", "0.25.0", cwd=sample_repo, env=env, timeout=600)
    assert quiet.returncode == 0, quiet.stderr
    assert "Linting" not in quiet.stdout + quiet.stderr
    assert "Successfully packaged" not in quiet.stdout + quiet.stderr
