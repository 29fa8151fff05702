"""Issue-18: gengo v1's client generators on a GOPATH-mode view of the modules -- the same bytes
as module mode, and no view where it could not be exact."""

from __future__ import annotations

from pathlib import Path

import pytest

from kstasks.codegen import gopathview
from kstasks.project import repo
from kstasks.toolchain import tools
from tests.conftest import kstasks, make_sample_repo, tree_digest

API = ["example.com/kssample/api/control/v1alpha1"]


def test_the_view_links_every_module_the_api_needs(tmp_path: Path) -> None:
    checkout = repo.load_checkout(make_sample_repo(tmp_path / "checkout"))
    view = gopathview.build(checkout, tmp_path / "gopath", API)
    assert view is not None
    assert view.checkout_dir.resolve() == checkout.root.resolve()
    assert (view.gopath / "src/k8s.io/apimachinery/pkg/runtime").is_dir()
    assert view.environment()["GO111MODULE"] == "off"


def test_no_view_where_it_could_not_be_exact(tmp_path: Path) -> None:
    root = make_sample_repo(tmp_path / "checkout")
    (root / "vendor").mkdir()
    assert gopathview.build(repo.load_checkout(root), tmp_path / "v1", API) is None
    (root / "vendor").rmdir()
    # a module path inside another's: GOPATH would find the outer module's copy
    (root / "inner").mkdir()
    (root / "inner/go.mod").write_text("module example.com/kssample/inner\n\ngo 1.21\n")
    (root / "inner/inner.go").write_text("package inner\n\n// X is exported.\nconst X = 1\n")
    text = (root / "go.mod").read_text()
    (root / "go.mod").write_text(
        text
        + "\nrequire example.com/kssample/inner v0.0.0\n\nreplace example.com/kssample/inner => ./inner\n"
    )
    doc = root / "api/control/v1alpha1/doc.go"
    doc.write_text(
        doc.read_text().replace(
            "package v1alpha1", 'package v1alpha1\n\nimport _ "example.com/kssample/inner"'
        )
    )
    assert gopathview.build(repo.load_checkout(root), tmp_path / "v2", API) is None
    # a package go cannot resolve
    assert gopathview.build(repo.load_checkout(root), tmp_path / "v3", ["example.com/nowhere/at/all"]) is None


@pytest.mark.tools
def test_the_view_gives_module_modes_bytes(tmp_path: Path) -> None:
    root = make_sample_repo(tmp_path / "checkout")
    env = {
        "KSTASKS_REPO": str(root),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "INVOKE_KSTASKS_TOOLS_DIR": str(tools.default_tools_dir()),
    }
    generated = root / "pkg/generated"
    for path in generated.rglob("*.go"):
        path.write_text("package stale\n")  # both runs must write every file
    viewed = kstasks("all-generated", "--force", cwd=root, env=env)
    assert viewed.returncode == 0 and "GOPATH-mode view" in viewed.stderr, viewed.stderr
    with_view = tree_digest(root)
    for path in generated.rglob("*.go"):
        path.write_text("package stale\n")
    plain = kstasks(
        "all-generated",
        "--force",
        cwd=root,
        env={**env, "INVOKE_KSTASKS_CODEGEN_CLIENTS_GOPATH_VIEW": ""},
    )
    assert plain.returncode == 0 and "module mode" in plain.stderr, plain.stderr
    assert tree_digest(root) == with_view
