"""Issue-6 behaviour: the rerun skip is exact, and the concurrent path gives the sequential bytes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kstasks.codegen import layout, stamp
from kstasks.project import repo, settings
from tests.conftest import git, kstasks, make_sample_repo, tree_digest

SETTINGS = {key: settings.defaults({})[key] for key in ("versions", "codegen", "imports")}


@pytest.fixture
def checkout(tmp_path: Path) -> repo.Checkout:
    return repo.load_checkout(make_sample_repo(tmp_path / "checkout"))


def _digest(checkout: repo.Checkout, **overrides: object) -> str:
    return stamp.fingerprint(checkout, layout.Layout(), {**SETTINGS, **overrides})


@pytest.mark.parametrize(
    "relative",
    [
        "api/control/v1alpha1/types.go",  # API source
        "api/control/v1alpha1/zz_generated.deepcopy.go",  # controller-gen output
        "go.mod",
        "go.sum",
        "hack/boilerplate/boilerplate.go.txt",
        "hack/boilerplate/boilerplate.generatego.txt",
        "config/crd/kustomization.yaml",
        "config/crd/patches/more_validations_in_bindingpolicies.yaml",
        "config/crd/bases/control.kubestellar.io_bindings.yaml",  # CRD output
        "config/rbac/role.yaml",  # RBAC output
        "pkg/crd/files/crds.yaml",  # bundle output
        "pkg/generated/listers/control/v1alpha1/binding.go",  # client output
        "cmd/controller-manager/main.go",  # any Go file: the imports step may rewrite it
    ],
)
def test_any_changed_byte_changes_the_digest(checkout: repo.Checkout, relative: str) -> None:
    before = _digest(checkout)
    path = checkout.root / relative
    path.write_bytes(path.read_bytes() + b"\n")
    assert _digest(checkout) != before


def test_added_or_removed_files_change_the_digest(checkout: repo.Checkout) -> None:
    before = _digest(checkout)
    (checkout.root / "pkg/generated/extra.go").write_text("package generated\n")
    assert _digest(checkout) != before
    (checkout.root / "pkg/generated/extra.go").unlink()
    assert _digest(checkout) == before
    (checkout.root / "pkg/generated/listers/control/v1alpha1/binding.go").unlink()
    assert _digest(checkout) != before


def test_settings_tool_versions_and_kstasks_version_count(
    checkout: repo.Checkout, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _digest(checkout)
    assert _digest(checkout, versions={**SETTINGS["versions"], "code_generator": "v0.28.3"}) != before
    assert _digest(checkout, imports={**SETTINGS["imports"], "intermediates": []}) != before
    monkeypatch.setattr(stamp, "__version__", "9.9.9")
    assert _digest(checkout) != before


def test_unrelated_files_do_not_count(checkout: repo.Checkout) -> None:
    before = _digest(checkout)
    (checkout.root / "docs/README.md").write_text("changed\n")
    (checkout.root / "core-chart/values.yaml").write_text("changed: 1\n")
    assert _digest(checkout) == before


@pytest.mark.tools
def test_rerun_is_skipped_until_something_changes(tmp_path: Path) -> None:
    checkout = make_sample_repo(tmp_path / "checkout")
    # the digest is recorded per checkout path; a step cache of its own, so the first run runs
    env = {"KSTASKS_REPO": str(checkout), "KSTASKS_VERIFIED_CACHE": str(tmp_path / "verified")}
    first = kstasks("all-generated", cwd=checkout, env=env)
    assert first.returncode == 0, first.stderr
    assert "==> manifests + generate" in first.stderr
    second = kstasks("all-generated", cwd=checkout, env=env)
    assert second.returncode == 0 and "skipped" in second.stderr and "==>" not in second.stderr

    client = checkout / "pkg/generated/listers/control/v1alpha1/binding.go"
    original = client.read_bytes()
    client.write_bytes(original + b"// tampered\n")
    third = kstasks("all-generated", cwd=checkout, env=env)
    assert third.returncode == 0 and "==> codegenclients" in third.stderr
    assert client.read_bytes() == original

    forced = kstasks("all-generated", "--force", cwd=checkout, env=env)
    assert forced.returncode == 0 and "==> manifests + generate" in forced.stderr


@pytest.mark.tools
def test_concurrent_generation_gives_the_sequential_bytes(tmp_path: Path) -> None:
    trees = {}
    for via in ("generators", "kube_codegen"):
        checkout = make_sample_repo(tmp_path / via)
        for derived in (
            "pkg/generated",
            "config/crd/bases/control.kubestellar.io_bindings.yaml",
            "api/control/v1alpha1/zz_generated.deepcopy.go",
            "pkg/crd/files/crds.yaml",
        ):
            target = checkout / derived
            shutil.rmtree(target) if target.is_dir() else target.unlink()
        result = kstasks(
            "all-generated",
            cwd=checkout,
            env={
                "KSTASKS_REPO": str(checkout),
                "INVOKE_KSTASKS_CODEGEN_CLIENTS_VIA": via,
                "KSTASKS_VERIFIED_CACHE": str(tmp_path / f"verified-{via}"),  # the generators run
            },
        )
        assert result.returncode == 0, result.stderr
        marker = "at once" if via == "generators" else "kube_codegen.sh gen_client"
        assert marker in result.stderr
        trees[via] = tree_digest(checkout)
    assert trees["generators"] == trees["kube_codegen"]
    assert git(tmp_path / "generators", "status", "--porcelain") == ""  # the checked-in bytes
