"""Settings and inputs that would aim a task outside the checkout, or crash it, stop it first (exit 2)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from invoke.exceptions import Exit

from kstasks.core import locks
from kstasks.core.errors import KstasksError
from kstasks.project import settingscheck
from kstasks.release.graph import parse
from kstasks.remote import github
from kstasks.tasks import guard
from tests.conftest import kstasks


def _commit_config(repo: Path, text: str) -> None:
    (repo / "invoke.yaml").write_text(text)


def test_a_generated_dir_outside_the_checkout_is_refused_and_nothing_is_touched(
    sample_repo: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("precious\n")
    _commit_config(sample_repo, f"kstasks:\n  codegen:\n    generated_dir: {victim}\n")
    result = kstasks("codegenclients", "--repo", str(sample_repo), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "kstasks.codegen.generated_dir" in result.stderr and "outside the checkout" in result.stderr
    assert (victim / "keep.txt").read_text() == "precious\n"


@pytest.mark.parametrize("value", ["../elsewhere", "/etc", "pkg/../../up"])
def test_path_settings_must_stay_inside(tmp_path: Path, value: str) -> None:
    config = {"codegen": {"generated_dir": value}}
    with pytest.raises(KstasksError) as caught:
        settingscheck.check_paths(config, tmp_path)
    assert caught.value.code == 2
    settingscheck.check_paths({"codegen": {"generated_dir": "pkg/generated"}}, tmp_path)  # inside: fine


def test_a_setting_of_the_wrong_shape_is_bad_input(sample_repo: Path, tmp_path: Path) -> None:
    _commit_config(sample_repo, "kstasks:\n  versions:\n    kustomize: 5.5\n")
    result = kstasks("manifests", "--repo", str(sample_repo), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "kstasks.versions.kustomize" in result.stderr and "quote it" in result.stderr
    assert "kstasks bug" not in result.stderr


def test_a_graph_reference_outside_the_checkout_is_refused() -> None:
    data = {
        "artifacts": {"core": {"kind": "chart", "name": "core-chart", "registry": "oci://r"}},
        "references": [{"id": "evil", "artifact": "core", "file": "../outside.yaml", "yaml_path": "version"}],
    }
    with pytest.raises(KstasksError) as caught:
        parse.parse_graph(data, "kstasks-versions.yaml")
    assert caught.value.code == 2 and "outside the checkout" in str(caught.value.message)


@pytest.mark.parametrize("data", [{"artifacts": 5}, {"artifacts": {"x": 3}}, {"references": [5]}])
def test_a_malformed_graph_is_bad_input(data: dict[str, object]) -> None:
    with pytest.raises(KstasksError) as caught:
        parse.parse_graph(data, "kstasks-versions.yaml")
    assert caught.value.code == 2


def test_dry_verify_codegen_checks_nothing_and_says_so(sample_repo: Path, tmp_path: Path) -> None:
    result = kstasks("--dry", "verify-codegen", "--no-cache", "--repo", str(sample_repo), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "nothing was checked" in result.stdout and "up to date" not in result.stdout


def test_the_github_token_never_travels_over_plain_http_to_another_host() -> None:
    with pytest.raises(KstasksError) as caught:
        github.api_base("http://192.0.2.2:8080")
    assert caught.value.code == 2 and "plain HTTP" in str(caught.value.message)
    assert github.api_base("http://127.0.0.1:8080") == "http://127.0.0.1:8080"


def test_a_path_through_a_file_is_an_environment_problem() -> None:
    converted = guard.as_exit(NotADirectoryError(errno.ENOTDIR, "Not a directory", "/home/x/.cache/kstasks"))
    assert isinstance(converted, Exit) and converted.code == 2
    assert "/home/x/.cache/kstasks" in str(converted.message)


def test_a_lock_file_that_is_a_symlink_is_never_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    checkout, target = tmp_path / "checkout", tmp_path / "target"
    checkout.mkdir()
    target.write_text("keep\n")
    path = locks.lock_file(checkout)
    os.symlink(target, path)
    with pytest.raises(KstasksError) as caught, locks.checkout_lock(checkout, "imports"):
        pass
    assert caught.value.code == 2
    assert target.read_text() == "keep\n"
