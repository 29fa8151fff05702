"""Settings defaults and the target checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

from kstasks.core.errors import KstasksError
from kstasks.project import repo, settings
from tests.conftest import git


def test_defaults_are_kubestellar_v0_24_0() -> None:
    d = settings.defaults({})
    assert d["versions"] == {
        "controller_tools": "v0.13.0",
        # Empty: chosen per checkout (go1.21.8 for v0.13.0, see tests/test_toolchains.py).
        "controller_tools_gotoolchain": "",
        "kustomize": "v5.3.0",
        "code_generator": "v0.28.2",
        "code_generator_gotoolchain": "",
        "openshift_goimports": "4cd858e694d7dfa32a2e697e0e4bab245c215cf3",
        "helm": "v3.14.4",
        "ko": "v0.17.1",
        "yq": "v4.44.3",
        "golangci_lint": "v1.50.1",
        "staticcheck": "v0.3.0",
        "logcheck": "v0.4.1",
        "lint_gotoolchain": "go1.21.8",
        "golangci_lint_v2": "v2.4.0",
        "logcheck_current": "v0.11.0",
        "actionlint": "v1.7.7",
        "syft": "v1.57.2",
        "cosign": "v2.6.5",
    }
    assert d["images"]["registry"] == "ghcr.io/kubestellar/kubestellar"
    assert d["chart"]["registry"] == "oci://ghcr.io/kubestellar/kubestellar"
    assert d["codegen"]["verify_paths"] == ["api", "config/crd/bases", "pkg/crd/files", "pkg/generated"]
    assert d["imports"]["intermediates"] == ["github.com/kubestellar/kubeflex"]


def test_makefile_variables_set_defaults() -> None:
    d = settings.defaults(
        {"CONTROLLER_TOOLS_VERSION": "v0.15.0", "CODE_GEN_VER": "v0.30.3", "DOCKER_REGISTRY": "quay.io/me"}
    )
    assert d["images"]["registry"] == "quay.io/me"
    assert d["versions"]["controller_tools"] == "v0.15.0"
    assert d["versions"]["code_generator"] == "v0.30.3"
    assert settings.DEFAULTS["versions"]["controller_tools"] == "v0.13.0"


def _module(path: Path, name: str = "example.com/m") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "go.mod").write_text(f"module {name}\n\ngo 1.21\n")
    return path


def test_precedence_flag_env_config_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    flag, env, configured, top = (_module(tmp_path / n) for n in ("flag", "env", "conf", "top"))
    git(top, "init", "--quiet")
    (top / "sub").mkdir()
    monkeypatch.setenv("KSTASKS_REPO", str(env))
    assert repo.resolve_root(flag, "conf", cwd=top / "sub", config_dir=tmp_path) == flag
    assert repo.resolve_root(None, "conf", cwd=top / "sub", config_dir=tmp_path) == env
    monkeypatch.delenv("KSTASKS_REPO")
    assert repo.resolve_root(None, "conf", cwd=top / "sub", config_dir=tmp_path) == configured
    assert repo.resolve_root(None, "", cwd=top / "sub") == top


def test_checkout_reads_module_path_and_git_root(tmp_path: Path) -> None:
    root = _module(tmp_path / "r" / "inner", "github.com/kubestellar/kubestellar")
    git(tmp_path / "r", "init", "--quiet")
    checkout = repo.load_checkout(root)
    assert checkout.module == "github.com/kubestellar/kubestellar"
    assert checkout.git_root == (tmp_path / "r").resolve()


def test_target_without_go_mod_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KstasksError) as caught:
        repo.load_checkout(tmp_path)
    assert caught.value.code == 2
    assert "expected a go.mod file" in caught.value.message


def test_git_is_required_where_needed(tmp_path: Path) -> None:
    checkout = repo.load_checkout(_module(tmp_path / "nogit"))
    with pytest.raises(KstasksError) as caught:
        checkout.require_git("because")
    assert caught.value.code == 2
