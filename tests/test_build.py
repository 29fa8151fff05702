"""ldflags, build, fmt, vet, test, run, modules and test-integration on copies of the sample."""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kstasks.devloop import build
from kstasks.project import repo
from tests.conftest import git, kstasks

NOW = datetime.datetime(2024, 9, 6, 18, 33, 34, tzinfo=datetime.timezone.utc)


def run(checkout: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return kstasks(*args, cwd=checkout, env={"KSTASKS_REPO": str(checkout), **env})


def test_client_versions_are_read_as_the_makefile_seds_read_them() -> None:
    stamp = build.Stamp("v0.24.0", "abc1234", "clean", "v0.28.11", "v0.24.0", "2024-09-06T18:33:34Z")
    assert (stamp.major, stamp.minor, stamp.git_version) == ("0", "28", "v0.28.11+kflex-v0.24.0")
    missing = build.Stamp("", "local", "dirty", "", "v0.0.0-local", "d")
    assert (missing.major, missing.minor) == ("", "")
    assert dict(missing.definitions())["main.Version"] == ".local"


def test_the_printed_flags_are_make_ldflags_output() -> None:
    stamp = build.Stamp("v0.24.0", "abc1234", "clean", "v0.28.11", "v0.24.0", "2024-09-06T18:33:34Z")
    echoed = stamp.echoed()
    assert echoed.startswith("-X main.Version=v0.24.0.abc1234 -X main.BuildDate=2024-09-06T18:33:34Z ")
    assert echoed.endswith(
        "-X k8s.io/component-base/version.buildDate=2024-09-06T18:33:34Z -extldflags -static"
    )
    assert echoed.count("-X ") == 14
    assert "-X k8s.io/client-go/pkg/version.gitVersion=v0.28.11+kflex-v0.24.0 " in echoed
    spaced = build.Stamp("v1", "c", "clean", "v0.28.11", "v1", "a date")
    assert "main.BuildDate=a date'" in spaced.ldflags()  # quoted for Go's flag splitter


def test_stamp_reads_tags_commit_tree_state_and_go_mod(sample_repo: Path) -> None:
    checkout = repo.load_checkout(sample_repo)
    untagged = build.stamp(checkout, now=NOW)
    commit = git(sample_repo, "rev-parse", "--short", "HEAD").strip()
    assert (untagged.main_version, untagged.commit, untagged.tree_state) == ("", commit, "clean")
    assert untagged.describe == f"v0.0.0-{commit}"
    assert untagged.client_go_version == "v0.28.11"
    assert untagged.build_date == "2024-09-06T18:33:34Z"

    git(sample_repo, "tag", "v0.9.0")
    git(sample_repo, "tag", "v0.10.0")  # newer by version order, older by text order
    (sample_repo / "go.mod").write_text((sample_repo / "go.mod").read_text() + "\n")
    tagged = build.stamp(checkout, now=NOW)
    assert (tagged.main_version, tagged.tree_state) == ("v0.10.0", "dirty")
    assert tagged.describe in ("v0.10.0", "v0.9.0")


def test_ldflags_task_prints_one_line(sample_repo: Path) -> None:
    git(sample_repo, "tag", "v0.3.0")
    result = run(sample_repo, "ldflags")
    assert result.returncode == 0, result.stderr
    commit = git(sample_repo, "rev-parse", "--short", "HEAD").strip()
    assert result.stdout.startswith(f"-X main.Version=v0.3.0.{commit} -X main.BuildDate=")
    assert result.stdout.count("\n") == 1


def test_built_binary_carries_the_stamp(sample_repo: Path) -> None:
    git(sample_repo, "tag", "v0.3.0")
    result = run(sample_repo, "build")
    assert result.returncode == 0, result.stderr
    binary = sample_repo / "bin" / "controller-manager"
    commit = git(sample_repo, "rev-parse", "--short", "HEAD").strip()
    info = subprocess.run(["go", "version", "-m", str(binary)], capture_output=True, text=True, check=True)
    assert f"-X main.Version=v0.3.0.{commit} " in info.stdout
    assert "-X k8s.io/client-go/pkg/version.gitVersion=v0.28.11+kflex-v0.3.0 " in info.stdout
    assert "CGO_ENABLED=0" in info.stdout
    printed = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=True).stdout
    assert printed.startswith(f"controller-manager v0.3.0.{commit} built ")
    assert "client-go v0.28.11+kflex-v0.3.0, clean, major 0 minor 28" in printed

    cross = run(sample_repo, "build-all", "--arch", "arm64", "--buildflags", "-trimpath")
    assert cross.returncode == 0, cross.stderr
    arm = subprocess.run(["go", "version", "-m", str(binary)], capture_output=True, text=True, check=True)
    assert "GOARCH=arm64" in arm.stdout and "-trimpath=true" in arm.stdout


def test_bad_buildflags_quoting_is_refused(sample_repo: Path) -> None:
    result = run(sample_repo, "build", "--buildflags", "-tags 'x")
    assert result.returncode == 2
    assert "Fix the quoting in BUILDFLAGS" in result.stderr


@pytest.mark.tools
def test_test_task_generates_checks_and_writes_coverage(sample_repo: Path) -> None:
    result = run(sample_repo, "test")
    assert result.returncode == 0, result.stderr
    assert "ok  \texample.com/kssample/pkg/crd" in result.stdout
    assert (sample_repo / "cover.out").read_text().startswith("mode: ")
    assert git(sample_repo, "status", "--porcelain") == ""  # cover.out is ignored, as in KubeStellar


@pytest.mark.tools
def test_run_passes_arguments_through(sample_repo: Path) -> None:
    result = run(sample_repo, "run", "--args=--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("controller-manager ")
    after_dashes = run(sample_repo, "run", "--", "--version")
    assert after_dashes.stdout.startswith("controller-manager "), after_dashes.stderr


def test_fmt_rewrites_and_vet_fails_on_a_defect(sample_repo: Path) -> None:
    main = sample_repo / "pkg/transport/ocm-transport-controller/main.go"
    main.write_text(main.read_text().replace("\tfmt.Println(", "    fmt.Println("))
    assert run(sample_repo, "fmt").returncode == 0
    assert "\n\tfmt.Println(" in main.read_text()
    assert run(sample_repo, "vet").returncode == 0
    main.write_text(main.read_text().replace('fmt.Println("transport', 'fmt.Printf("%d transport'))
    vetted = run(sample_repo, "vet")
    assert vetted.returncode == 1
    assert "go vet failed" in vetted.stderr


def test_modules_tidies_go_mod(sample_repo: Path) -> None:
    go_mod = sample_repo / "go.mod"
    tidy = go_mod.read_text()
    go_mod.write_text(tidy.replace("require (\n", "require (\n\tgithub.com/pkg/errors v0.9.1\n", 1))
    assert run(sample_repo, "modules").returncode == 0
    assert go_mod.read_text() == tidy


def test_integration_tests_use_the_etcd_on_path(sample_repo: Path) -> None:
    assert shutil.which("etcd"), "etcd must be installed (.ci/install installs Debian's etcd-server)"
    result = run(sample_repo, "test-integration")
    assert result.returncode == 0, result.stderr
    assert "stored and counted 360 objects (verbosity 5)" in result.stdout


def test_integration_without_etcd_says_what_to_install(sample_repo: Path, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("go", "git", "python3"):
        found = shutil.which(tool)
        assert found
        (bin_dir / tool).symlink_to(found)
    env = {"PATH": str(bin_dir), "HOME": os.environ.get("HOME", str(tmp_path))}
    result = run(sample_repo, "test-integration", **env)
    assert result.returncode == 2
    assert "etcd is not on PATH" in result.stderr and "apt-get install etcd-server" in result.stderr
    assert "Traceback" not in result.stderr


def test_integration_takes_the_etcd_version_the_script_pins(sample_v030: Path, tmp_path: Path) -> None:
    from kstasks.devloop import integration
    from kstasks.project.repo import load_checkout

    assert integration.pinned_etcd(load_checkout(sample_v030)) == "3.5.16"
    path_etcd = integration.etcd_version(shutil.which("etcd") or "etcd")
    if path_etcd != "3.5.16":
        refused = run(sample_v030, "--dry", "test-integration")
        assert refused.returncode == 2
        assert "pins etcd 3.5.16, but the etcd on PATH" in refused.stderr and path_etcd in refused.stderr
        anyway = run(sample_v030, "--dry", "test-integration", "--any-etcd")
        assert anyway.returncode == 0, anyway.stderr
        assert "pins etcd 3.5.16; using" in anyway.stderr
    bin_dir = tmp_path / "etcd-bin"
    bin_dir.mkdir()
    (bin_dir / "etcd").write_text("#!/bin/sh\necho 'etcd Version: 3.5.16'\n")
    (bin_dir / "etcd").chmod(0o755)
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    matching = run(sample_v030, "--dry", "test-integration", **env)
    assert matching.returncode == 0, matching.stderr
    assert "(3.5.16, the version hack/run-integration-tests.sh pins)" in matching.stderr
