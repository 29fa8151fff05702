"""The real pinned tools on copies of the sample repository."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import PROJECT, git, kstasks, tree_digest

pytestmark = pytest.mark.tools

CRD = "config/crd/bases/control.kubestellar.io_bindingpolicies.yaml"
CLIENT = "pkg/generated/clientset/versioned/typed/control/v1alpha1/binding.go"


def run_in(
    checkout: Path, *args: str, tmpdir: Path | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    extra = {"KSTASKS_REPO": str(checkout), **env}
    if tmpdir is not None:
        extra["TMPDIR"] = str(tmpdir)
    return kstasks(*args, cwd=checkout, env=extra)


def test_all_generated_reproduces_the_checked_in_files(sample_repo: Path, tmp_path: Path) -> None:
    for derived in (
        "pkg/generated",
        CRD,
        "pkg/crd/files/crds.yaml",
        "api/control/v1alpha1/zz_generated.deepcopy.go",
    ):
        target = sample_repo / derived
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    # an empty step cache: the generators themselves must run (another test may have recorded them)
    result = run_in(sample_repo, "all-generated", KSTASKS_VERIFIED_CACHE=str(tmp_path / "verified"))
    assert result.returncode == 0, result.stderr
    assert git(sample_repo, "status", "--porcelain") == ""
    for step in (
        "manifests + generate: controller-gen rbac, crd, webhook, object",
        "manifests: kustomize build config/crd/",
        "codegenclients: client-gen, lister-gen, informer-gen at once",
    ):
        assert (
            f"==> {step}" in result.stderr
            and f"==> {step}" + " (v0.28.2)" * ("at once" in step) in result.stderr
        )


def test_verify_codegen_passes_and_never_touches_the_working_tree(sample_repo: Path, tmp_path: Path) -> None:
    (sample_repo / CRD).write_text("uncommitted edit\n")
    (sample_repo / "notes.txt").write_text("untracked\n")
    temp = tmp_path / "tmp"
    temp.mkdir()
    before = tree_digest(sample_repo)
    result = run_in(sample_repo, "verify-codegen", "--no-cache", tmpdir=temp)
    assert result.returncode == 0, result.stderr
    assert "derived files are up to date in commit" in result.stdout
    assert tree_digest(sample_repo) == before
    assert git(sample_repo, "status", "--porcelain").splitlines() == [f" M {CRD}", "?? notes.txt"]
    assert len(git(sample_repo, "worktree", "list").splitlines()) == 1
    assert list(temp.iterdir()) == []


def test_verify_codegen_names_each_drifted_file(sample_repo: Path) -> None:
    crd = sample_repo / CRD
    crd.write_text(crd.read_text().replace("BindingPolicy selects", "BindingPolicy picks"))
    (sample_repo / CLIENT).unlink()
    (sample_repo / "pkg/generated/stale.go").write_text("package generated\n")
    git(sample_repo, "add", "-A")
    git(sample_repo, "commit", "--quiet", "-m", "drift")
    before = tree_digest(sample_repo)
    result = run_in(sample_repo, "verify-codegen", "--no-cache")
    assert result.returncode == 1, result.stderr
    report = result.stderr
    assert f"differs (committed content is not what the generators produce):\n    {CRD}" in report
    assert f"missing (generated, but not committed):\n    {CLIENT}" in report
    assert "extra (committed, but no longer generated):\n    pkg/generated/stale.go" in report
    assert (
        "+  description: BindingPolicy selects" in report
        or "+        description: BindingPolicy selects" in report
    )
    assert "To fix it, run: kstasks all-generated" in report
    assert report.rstrip().splitlines()[-1].startswith("error: derived files in commit")
    assert tree_digest(sample_repo) == before


def test_verify_codegen_in_place(sample_repo: Path) -> None:
    assert run_in(sample_repo, "verify-codegen", "--in-place", "--no-cache").returncode == 0
    (sample_repo / CRD).write_text("dirty\n")
    refused = run_in(sample_repo, "verify-codegen", "--in-place")
    assert refused.returncode == 2
    assert f" M {CRD}" in refused.stderr and "not in the current git commit" in refused.stderr


def _marked(sample_repo: Path) -> dict[str, str]:
    """Make pkg/generated differ from what generation produces, so a swap would show."""
    (sample_repo / "pkg/generated/marker.txt").write_text("the previous tree\n")
    (sample_repo / CLIENT).write_text((sample_repo / CLIENT).read_text() + "\n// local edit\n")
    return tree_digest(sample_repo / "pkg/generated")


def test_failing_client_generation_leaves_pkg_generated(sample_repo: Path, tmp_path: Path) -> None:
    before = _marked(sample_repo)
    (sample_repo / "hack/boilerplate/boilerplate.generatego.txt").unlink()
    temp = tmp_path / "tmp"
    temp.mkdir()
    result = run_in(sample_repo, "codegenclients", tmpdir=temp)
    assert result.returncode == 1
    assert "boilerplate.generatego.txt: no such file or directory" in result.stderr
    assert result.stderr.splitlines()[-1].endswith(
        "failed. Fix the API types; pkg/generated was left as it was."
    )
    assert tree_digest(sample_repo / "pkg/generated") == before
    assert list(temp.iterdir()) == []


def test_interrupted_client_generation_leaves_pkg_generated(sample_repo: Path, tmp_path: Path) -> None:
    before = _marked(sample_repo)
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "KSTASKS_REPO": str(sample_repo), "TMPDIR": str(temp)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kstasks", "codegenclients"],
        cwd=sample_repo,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    try:
        # The staging tree appears just before the generators start, and they take seconds:
        # half a second later generation is surely under way.
        while not list(temp.glob("kstasks-codegen-*/example.com/kssample/pkg/generated")):
            assert proc.poll() is None, "generation ended before it could be interrupted"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        time.sleep(0.5)
        assert proc.poll() is None, "generation ended before it could be interrupted"
        os.killpg(proc.pid, signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode != 0, stderr
    assert tree_digest(sample_repo / "pkg/generated") == before
    assert list(temp.iterdir()) == []


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CONTROLLER_TOOLS_VERSION": "banana"}, "invalid version 'banana' for controller-gen"),
        ({"INVOKE_KSTASKS_VERSIONS_KUSTOMIZE": "5.3"}, "invalid version '5.3' for kustomize"),
        ({"INVOKE_KSTASKS_IMPORTS_TOOL": "gofmt"}, "unknown imports tool 'gofmt'"),
    ],
)
def test_bad_settings_exit_2_before_any_work(sample_repo: Path, env: dict[str, str], message: str) -> None:
    before = tree_digest(sample_repo)
    result = run_in(sample_repo, "all-generated", **env)
    assert result.returncode == 2
    assert message in result.stderr
    assert "==>" not in result.stderr
    assert tree_digest(sample_repo) == before


def test_target_without_go_mod_exit_2(tmp_path: Path) -> None:
    result = kstasks("all-generated", cwd=tmp_path, env={"KSTASKS_REPO": str(tmp_path)})
    assert result.returncode == 2
    assert "not a KubeStellar-shaped checkout: expected a go.mod file" in result.stderr


def test_missing_go_exit_2(sample_repo: Path, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "git").symlink_to(shutil.which("git"))
    result = run_in(sample_repo, "all-generated", PATH=str(bin_dir), XDG_CACHE_HOME=str(tmp_path / "cache"))
    assert result.returncode == 2
    assert "go is not installed or not on PATH" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1].startswith("error: go is not installed")


def test_dry_run_prints_commands_and_changes_nothing(sample_repo: Path) -> None:
    (sample_repo / "pkg/generated/marker.txt").write_text("x\n")
    before = tree_digest(sample_repo)
    result = kstasks("--dry", "all-generated", cwd=sample_repo, env={"KSTASKS_REPO": str(sample_repo)})
    assert result.returncode == 0, result.stderr
    assert (
        "controller-gen rbac:roleName=manager-role crd webhook "
        "object:headerFile=hack/boilerplate/boilerplate.go.txt "
        "paths=./api/... output:crd:artifacts:config=config/crd/bases"
    ) in result.stderr
    for generator in ("client-gen", "lister-gen", "informer-gen"):
        assert f"/{generator} -v 0 --go-header-file" in result.stderr
    assert tree_digest(sample_repo) == before


def test_code_generator_v0_30_interface(sample_repo: Path) -> None:
    result = run_in(
        sample_repo,
        "codegenclients",
        CODE_GEN_VER="v0.30.3",
        # code-generator v0.30 depends on an x/tools that newer Go cannot build
        INVOKE_KSTASKS_VERSIONS_CODE_GENERATOR_GOTOOLCHAIN="go1.23.8",
        IGNORE_GO_VERSION="1",
        KSTASKS_OUTPUT="verbose",  # the commands are echoed in verbose mode only
    )
    assert result.returncode == 0, result.stderr
    assert (
        "--output-dir" in result.stderr and "--output-pkg example.com/kssample/pkg/generated" in result.stderr
    )
    generated = sample_repo / "pkg/generated"
    for part in (
        "clientset/versioned/clientset.go",
        "listers/control/v1alpha1/binding.go",
        "informers/externalversions/factory.go",
    ):
        assert (generated / part).is_file(), part
    assert "verify-go-versions: skipped" in result.stderr


def test_project_invoke_yaml_targets_the_sample() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kstasks", "--dry", "generate"],
        cwd=PROJECT / "kstasks",
        env={k: v for k, v in os.environ.items() if k != "KSTASKS_REPO"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert f"(cd {PROJECT / 'sample'} && " in result.stderr
