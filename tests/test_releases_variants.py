"""Real tools on variants of the sample shaped like other KubeStellar releases, run with no
settings from an unrelated directory: the checkout's Makefile and go.mod say everything."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import git, kstasks

pytestmark = pytest.mark.tools

BASES = "config/crd/bases"


def _elsewhere(tmp_path: Path) -> Path:
    path = tmp_path / "elsewhere"
    path.mkdir()
    return path


def _commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", message)


def make_v0_21_variant(repo: Path) -> None:
    """The sample as v0.21.x laid it out: ``make manifests`` copies the CRD bases into
    pkg/crd/files (no bundle), kustomize comes as ``v5@latest``, the image variable is IMG."""
    makefile = repo / "Makefile"
    text = makefile.read_text()
    text = text.replace(
        "\t$(KUSTOMIZE) build config/crd/ > pkg/crd/files/crds.yaml", "\tcp config/crd/bases/* pkg/crd/files"
    )
    text = text.replace("kustomize/v5@v5.3.0", "kustomize/v5@latest")
    text = re.sub(r"^CONTROLLER_MANAGER_IMAGE \?=", "IMG ?=", text, flags=re.MULTILINE)
    makefile.write_text(text)
    (repo / BASES / "kustomization.yaml").unlink()  # v0.21's bases held only the CRDs
    (repo / "pkg/crd/files/crds.yaml").unlink()
    for crd in (repo / BASES).iterdir():
        shutil.copy(crd, repo / "pkg/crd/files" / crd.name)
    _commit(repo, "v0.21-style layout")


def delete_derived(repo: Path) -> None:
    """What the sweep deletes: generated clients, DeepCopy, CRD bases and the embedded CRD files."""
    shutil.rmtree(repo / "pkg/generated")
    (repo / "api/control/v1alpha1/zz_generated.deepcopy.go").unlink()
    for directory in (repo / BASES, repo / "pkg/crd/files"):
        for path in directory.glob("*.yaml"):
            if path.name != "kustomization.yaml":
                path.unlink()


def test_v0_21_layout_copies_crds_and_reproduces_its_bytes(sample_repo: Path, tmp_path: Path) -> None:
    make_v0_21_variant(sample_repo)
    delete_derived(sample_repo)
    assert git(sample_repo, "status", "--porcelain")
    result = kstasks("all-generated", "--repo", str(sample_repo), cwd=_elsewhere(tmp_path))
    assert result.returncode == 0, result.stderr
    assert git(sample_repo, "status", "--porcelain") == ""
    assert "==> manifests: copy config/crd/bases/* to pkg/crd/files" in result.stderr
    assert "kustomize build" not in result.stderr
    assert (
        "kstasks: codegen.crd_bundle_mode: copy (Makefile: manifests: cp config/crd/bases/* pkg/crd/files)"
        in (result.stderr)
    )
    assert "kustomize v5@latest; kstasks uses v5.3.0" in result.stderr
    assert "images.controller_manager_image_variable: IMG" in result.stderr


def test_generators_run_with_a_toolchain_that_satisfies_go_mod(sample_repo: Path, tmp_path: Path) -> None:
    """A v0.28-style pin (code-generator v0.30, which Go 1.26 cannot build) and a go.mod asking for
    Go 1.23.8: kstasks chooses go1.23.8, builds and runs the generators with it."""
    go_mod = sample_repo / "go.mod"
    go_mod.write_text(go_mod.read_text().replace("\ngo 1.21\n", "\ngo 1.23.8\n"))
    makefile = sample_repo / "Makefile"
    makefile.write_text(makefile.read_text().replace("CODE_GEN_VER := v0.28.2", "CODE_GEN_VER := v0.30.3"))
    _commit(sample_repo, "v0.28-style pins")
    result = kstasks("codegenclients", "--repo", str(sample_repo), cwd=_elsewhere(tmp_path))
    assert result.returncode == 0, result.stderr
    report = "kstasks: code-generator v0.30.3 (Makefile: CODE_GEN_VER = v0.30.3), built and run with go1.23.8"
    assert f"{report} (chosen: needs >= go1.23.8, <= go1.24.x" in result.stderr
    assert (sample_repo / "pkg/generated/clientset/versioned/clientset.go").is_file()


def test_a_toolchain_problem_is_named_as_such(sample_repo: Path, tmp_path: Path) -> None:
    """An explicit toolchain wins, even a wrong one; when the generators then fail because the
    checkout's go.mod asks for a newer Go, the error says so instead of blaming the API types."""
    go_mod = sample_repo / "go.mod"
    go_mod.write_text(go_mod.read_text().replace("\ngo 1.21\n", "\ngo 1.24.1\n"))
    (sample_repo / "invoke.yaml").write_text(
        "kstasks:\n  versions:\n    code_generator: v0.30.3\n    code_generator_gotoolchain: go1.23.8\n"
    )
    _commit(sample_repo, "a go.mod newer than the configured toolchain")
    before = (sample_repo / "pkg/generated").stat().st_mtime_ns
    result = kstasks("codegenclients", "--repo", str(sample_repo), cwd=_elsewhere(tmp_path))
    assert result.returncode == 1, result.stderr
    last = result.stderr.rstrip().splitlines()[-1]
    assert "a Go toolchain problem, not a problem in your code" in last
    assert "a go.mod asks for Go 1.24.1" in last and "GOTOOLCHAIN=go1.23.8" in last
    assert "Fix the API types" not in last
    assert f"built and run with go1.23.8 ({sample_repo / 'invoke.yaml'})" in result.stderr
    assert (sample_repo / "pkg/generated").stat().st_mtime_ns == before
