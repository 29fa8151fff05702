"""The sample's variants are well-formed: each builds, its scripts parse, kstasks reads it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import kstasks
from tests.samples import VARIANTS, make_variant_repo, variant_names


def test_there_is_a_v030_variant() -> None:
    assert "v0.30" in variant_names()


@pytest.mark.parametrize("variant", variant_names())
def test_variant_reshapes_the_sample(tmp_path: Path, variant: str) -> None:
    repo = make_variant_repo(tmp_path / "repo", variant)
    recipe = yaml.safe_load((VARIANTS / variant / "variant.yaml").read_text())
    for removed in recipe["remove"]:
        assert not (repo / removed).exists(), removed
    assert f"\ngo {recipe['go']}\n" in (repo / "go.mod").read_text()
    assert not (repo / "variant.yaml").exists()
    status = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True)
    assert status.stdout == ""


def test_v030_variant_builds_and_its_scripts_parse(sample_v030: Path) -> None:
    built = subprocess.run(["go", "build", "./..."], cwd=sample_v030, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    scripts = sorted(p for p in sample_v030.rglob("*.sh") if ".git" not in p.parts)
    assert len(scripts) >= 7
    for script in scripts:
        parsed = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert parsed.returncode == 0, (script, parsed.stderr)
    if shutil.which("shellcheck"):
        checked = subprocess.run(
            ["shellcheck", "--severity=error", *map(str, scripts)], capture_output=True, text=True
        )
        assert checked.returncode == 0, checked.stdout
    for config in (".goreleaser.yaml", ".prow.yaml", ".golangci.yaml", "core-chart/Chart.yaml"):
        assert yaml.safe_load((sample_v030 / config).read_text()), config


def test_v030_variant_lists_tasks(sample_v030: Path) -> None:
    listed = kstasks("--list", cwd=sample_v030)
    assert listed.returncode == 0, listed.stderr
    assert "all-generated" in listed.stdout
