"""Code generation plumbing that needs no tools: arguments, layouts, tree swaps."""

from __future__ import annotations

from pathlib import Path

import pytest

from kstasks.checks.derived import classify
from kstasks.codegen import clients
from kstasks.codegen.layout import ImportSettings, Layout, tools_for
from kstasks.core import fsutil
from kstasks.core.errors import KstasksError
from kstasks.project import repo, settings
from tests.conftest import SAMPLE


def test_layout_and_imports_from_settings() -> None:
    d = settings.defaults({})
    layout = Layout.from_config(d["codegen"])
    assert layout == Layout()
    assert ImportSettings.from_config(d["imports"]) == ImportSettings()


def test_unknown_imports_tool_exit_2() -> None:
    with pytest.raises(KstasksError) as caught:
        ImportSettings.from_config({"tool": "goimports"})
    assert caught.value.code == 2


def test_gen_client_arguments_before_v0_30(tmp_path: Path) -> None:
    checkout = repo.load_checkout(SAMPLE)
    args, staged = clients.gen_client_arguments(checkout, Layout(), "v0.28.2", tmp_path)
    assert args == [
        "--with-watch",
        "--input-pkg-root",
        "example.com/kssample/api",
        "--output-pkg-root",
        "example.com/kssample/pkg/generated",
        "--output-base",
        str(tmp_path),
        "--boilerplate",
        str(SAMPLE / "hack/boilerplate/boilerplate.generatego.txt"),
    ]
    assert staged == tmp_path / "example.com/kssample/pkg/generated" and staged.is_dir()
    link = tmp_path / "example.com/kssample/api"
    assert link.is_symlink() and link.resolve() == SAMPLE / "api"


def test_gen_client_arguments_from_v0_30(tmp_path: Path) -> None:
    checkout = repo.load_checkout(SAMPLE)
    args, staged = clients.gen_client_arguments(checkout, Layout(), "v0.30.3", tmp_path)
    assert args == [
        "--with-watch",
        "--output-dir",
        str(staged),
        "--output-pkg",
        "example.com/kssample/pkg/generated",
        "--boilerplate",
        str(SAMPLE / "hack/boilerplate/boilerplate.generatego.txt"),
        str(SAMPLE / "api"),
    ]


def test_tools_for_steps() -> None:
    builtin, real = ImportSettings(), ImportSettings(tool="openshift-goimports")
    assert tools_for("generate", builtin) == ["controller-gen"]
    assert tools_for("all-generated", real)[-1] == "openshift-goimports"


def test_write_if_changed(tmp_path: Path) -> None:
    path = tmp_path / "d" / "f.yaml"
    assert fsutil.write_if_changed(path, b"a")
    assert not fsutil.write_if_changed(path, b"a")
    assert fsutil.write_if_changed(path, b"b") and path.read_bytes() == b"b"
    assert [p.name for p in path.parent.iterdir()] == ["f.yaml"]


def test_replace_tree_swaps_whole_tree(tmp_path: Path) -> None:
    target, staged = tmp_path / "pkg" / "generated", tmp_path / "staged"
    (target / "old").mkdir(parents=True)
    (target / "old" / "a.go").write_text("old")
    (staged / "new").mkdir(parents=True)
    (staged / "new" / "b.go").write_text("new")
    fsutil.replace_tree(staged, target)
    assert fsutil.tree_files(target) == [Path("new/b.go")]
    assert sorted(p.name for p in target.parent.iterdir()) == ["generated"]


def test_replace_tree_failure_leaves_target(tmp_path: Path) -> None:
    target = tmp_path / "generated"
    target.mkdir()
    (target / "a.go").write_text("keep")
    with pytest.raises(FileNotFoundError):
        fsutil.replace_tree(tmp_path / "does-not-exist", target)
    assert (target / "a.go").read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["generated"]


def test_classify_git_status() -> None:
    drift = classify([(" M", "a"), ("??", "b"), (" D", "c"), ("A ", "d")])
    assert (drift.differs, drift.missing, drift.extra) == (["a"], ["b", "d"], ["c"])
    report = drift.report("kstasks all-generated")
    assert report.splitlines()[-1].startswith("To fix it, run: kstasks all-generated")
