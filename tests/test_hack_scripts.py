"""The drop-in hack/ scripts, copied into a checkout as a KubeStellar maintainer would."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PROJECT


def _script(checkout: Path, name: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    shutil.copy(PROJECT / "hack" / name, checkout / "hack" / name)
    full_env = {key: value for key, value in os.environ.items() if key != "KSTASKS_REPO"}
    full_env.update(env)
    return subprocess.run(
        ["bash", str(checkout / "hack" / name), *args],
        cwd=checkout / "pkg",
        env=full_env,
        capture_output=True,
        text=True,
    )


@pytest.mark.tools
def test_verify_codegen_script_works_in_a_checkout(sample_repo: Path) -> None:
    result = _script(sample_repo, "verify-codegen.sh", "--no-cache")
    assert result.returncode == 0, result.stderr
    assert "derived files are up to date" in result.stdout


def test_verify_go_versions_script(sample_repo: Path) -> None:
    assert _script(sample_repo, "verify-go-versions.sh").returncode == 0
    (sample_repo / "go.mod").write_text((sample_repo / "go.mod").read_text().replace("go 1.21", "go 1.99"))
    failed = _script(sample_repo, "verify-go-versions.sh")
    assert failed.returncode == 1 and "expected minimal version 1.99" in failed.stderr
    assert _script(sample_repo, "verify-go-versions.sh", IGNORE_GO_VERSION="1").returncode == 0
