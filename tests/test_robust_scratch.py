"""Scratch directories: private, removed on every exit path, swept after SIGKILL; the tree swap.

Killed runs are real processes killed with SIGKILL; the sweep then runs here.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import tempfile
from pathlib import Path

import pytest

from kstasks.core import context, fsutil, scratch
from tests.conftest import git
from tests.robust_support import start, wait_for


@pytest.fixture
def private_places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """TMPDIR and the cache of this test alone (as the driver processes get them)."""
    (tmp_path / "tmp").mkdir(exist_ok=True)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "tmp"


def _small_repo(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "a.txt").write_text("a\n")
    git(path, "init", "--quiet", "--initial-branch=main")
    git(path, "add", "-A")
    git(path, "commit", "--quiet", "-m", "a")
    return path


def _worktree_count(repo: Path) -> int:
    return git(repo, "worktree", "list", "--porcelain").count("\nworktree ") + 1


def test_directory_is_private_marked_and_removed_on_error(private_places: Path) -> None:
    with pytest.raises(RuntimeError), scratch.directory("unit") as path:
        assert stat.S_IMODE(path.stat().st_mode) == 0o700
        assert path.parent == private_places and path.name.startswith("kstasks-unit-")
        assert json.loads((path / scratch.MARKER).read_text())["pid"] == os.getpid()
        assert scratch.sweep() == []  # its owner is alive
        raise RuntimeError("boom")
    assert not path.exists()
    assert list(scratch.ledger_dir().iterdir()) == []


def _without_go_work(swept: list[Path]) -> list[Path]:
    """The swept directories but the run's GOTMPDIR (every task has one; swept alike)."""
    return [path for path in swept if not path.name.startswith("kstasks-gotmp-")]


def test_sigkilled_run_leftovers_and_worktrees_are_swept(tmp_path: Path, private_places: Path) -> None:
    repo = _small_repo(tmp_path / "repo")
    ready = tmp_path / "ready"
    proc = start(tmp_path, "worktree", "--repo", str(repo), "--ready", str(ready))
    killed = Path(json.loads(wait_for(ready, proc))["scratch"])
    live_ready = tmp_path / "live-ready"
    live = start(tmp_path, "hang", "--ready", str(live_ready))
    live_dir = Path(wait_for(live_ready, live).split()[0])
    unmarked = private_places / "kstasks-not-ours"
    unmarked.mkdir()
    try:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        assert killed.exists() and _worktree_count(repo) == 2

        assert _without_go_work(scratch.sweep()) == [killed]

        assert not killed.exists()
        assert _worktree_count(repo) == 1
        assert live_dir.exists(), "a live run's directory was touched"
        assert unmarked.exists(), "a directory kstasks did not mark was touched"
    finally:
        live.terminate()
        live.communicate(timeout=30)


def test_killed_swap_is_invisible_to_git_and_swept(tmp_path: Path, private_places: Path) -> None:
    repo = _small_repo(tmp_path / "repo")
    target = repo / "pkg" / "generated"
    target.mkdir(parents=True)
    ready = tmp_path / "ready"
    proc = start(tmp_path, "swap", "--target", str(target), "--ready", str(ready))
    half = Path(json.loads(wait_for(ready, proc))["scratch"])
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert half.parent == target.parent and (half / "new" / "half.go").exists()

    git(repo, "add", "-A")
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""

    assert _without_go_work(scratch.sweep()) == [half]
    assert not half.exists()


def test_replace_tree_leaves_nothing_beside_the_target(tmp_path: Path, private_places: Path) -> None:
    repo = _small_repo(tmp_path / "repo")
    target = repo / "pkg" / "generated"
    target.mkdir(parents=True)
    (target / "old.go").write_text("package old\n")
    staged = tmp_path / "staged"
    (staged / "clients").mkdir(parents=True)
    (staged / "clients" / "new.go").write_text("package clients\n")

    fsutil.replace_tree(staged, target)

    assert fsutil.tree_files(target) == [Path("clients/new.go")]
    assert sorted(p.name for p in target.parent.iterdir()) == ["generated"]
    assert scratch.sweep() == []


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "keep").write_text("keep")
    staged = tmp_path / "staged"
    staged.mkdir()
    context.configure(dry=True)
    fsutil.replace_tree(staged, target)
    assert not fsutil.write_if_changed(target / "keep", b"other")
    assert (target / "keep").read_text() == "keep"
