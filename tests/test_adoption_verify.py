"""verify-codegen for adoption: the uncommitted-inputs warning, --worktree, and reused results."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from kstasks.checks import derived, verifycache
from kstasks.codegen import stamp
from kstasks.codegen.layout import Layout
from kstasks.core import paths
from kstasks.project import settings
from kstasks.project.repo import load_checkout
from kstasks.toolchain import golang, tools
from tests.conftest import git, kstasks, tree_digest

TYPES = "api/control/v1alpha1/types.go"
CRD = "config/crd/bases/control.kubestellar.io_bindingpolicies.yaml"
CLIENT = "pkg/generated/clientset/versioned/typed/control/v1alpha1/binding.go"
SETTINGS = {key: settings.DEFAULTS[key] for key in ("versions", "codegen", "imports")}


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    """A private kstasks cache (verified results, stamps); the shared pinned tools stay where they are."""
    return tmp_path / "cache"


def verify_codegen(checkout: Path, cache: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    extra = {
        "KSTASKS_REPO": str(checkout),
        "XDG_CACHE_HOME": str(cache),
        "INVOKE_KSTASKS_TOOLS_DIR": str(tools.default_tools_dir()),
        **env,
    }
    return kstasks("verify-codegen", *args, cwd=checkout, env=extra)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


# --- digest: every kind of input, output and setting misses (library level, no tools needed) ---


def _digest(root: Path, config: dict[str, object] = SETTINGS) -> str:
    layout = Layout.from_config(settings.DEFAULTS["codegen"])
    return verifycache.fingerprinter(layout, config)(load_checkout(root))


@pytest.mark.parametrize(
    "relative",
    [
        TYPES,  # API source
        "api/control/v1alpha1/zz_generated.deepcopy.go",  # controller-gen object output
        CRD,  # CRD output
        "config/crd/kustomization.yaml",  # the bundle's kustomization
        "pkg/crd/files/crds.yaml",  # the CRD bundle
        "config/rbac/role.yaml",  # controller-gen rbac output
        CLIENT,  # client-gen output
        "go.mod",
        "go.sum",
        "hack/boilerplate/boilerplate.go.txt",
        "hack/boilerplate/boilerplate.generatego.txt",
        "cmd/controller-manager/main.go",  # any Go file: the imports step may rewrite it
    ],
)
def test_any_byte_of_any_input_or_output_changes_the_digest(sample_repo: Path, relative: str) -> None:
    before = _digest(sample_repo)
    path = sample_repo / relative
    path.write_bytes(path.read_bytes() + b" ")
    assert _digest(sample_repo) != before


def test_files_generation_does_not_read_leave_the_digest_alone(sample_repo: Path, tmp_path: Path) -> None:
    before = _digest(sample_repo)
    (sample_repo / "docs/README.md").write_text("edited\n")
    (sample_repo / "notes.txt").write_text("untracked\n")
    assert _digest(sample_repo) == before
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(sample_repo, elsewhere)
    assert _digest(elsewhere) == before  # a restored CI cache serves any checkout directory


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("versions", "controller_tools", "v0.13.1"),
        ("versions", "controller_tools_gotoolchain", "go1.21.9"),
        ("versions", "code_generator", "v0.28.3"),
        ("codegen", "generator_gogc", "300"),
        ("imports", "intermediates", []),
    ],
)
def test_every_setting_changes_the_digest(sample_repo: Path, section: str, key: str, value: object) -> None:
    changed = {**SETTINGS, section: {**SETTINGS[section], key: value}}
    assert _digest(sample_repo, changed) != _digest(sample_repo)


def test_kstasks_and_go_versions_change_the_digest(
    sample_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _digest(sample_repo)
    monkeypatch.setattr(stamp, "__version__", "9.9.9")
    assert _digest(sample_repo) != before
    monkeypatch.undo()
    monkeypatch.setattr(golang, "installed_go_version", lambda go: "go1.99.0")
    assert _digest(sample_repo) != before


def test_the_warning_is_one_line_however_many_files() -> None:
    names = [f"api/v{n}/types.go" for n in range(25)]
    line = derived.uncommitted_warning(names)
    assert "\n" not in line and "api/v9/types.go" in line and "and 15 more" in line


# --- the task, with the real pinned tools ---


@pytest.mark.tools
def test_uncommitted_inputs_are_named_in_one_warning_line(sample_repo: Path, cache: Path) -> None:
    _edit(sample_repo / TYPES, "BindingPolicy selects", "BindingPolicy picks")
    (sample_repo / "cmd/controller-manager/main.go").unlink()
    (sample_repo / "api/control/v1alpha1/extra.go").write_text("package v1alpha1\n")
    (sample_repo / "notes.txt").write_text("not an input\n")
    (sample_repo / "docs/README.md").write_text("not an input either\n")
    before = tree_digest(sample_repo)
    result = verify_codegen(sample_repo, cache)
    assert result.returncode == 0, result.stderr  # the commit is consistent
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1, result.stderr
    for name in (TYPES, "cmd/controller-manager/main.go", "api/control/v1alpha1/extra.go"):
        assert name in warnings[0]
    assert "notes.txt" not in warnings[0] and "docs/README.md" not in warnings[0]
    assert "--worktree" in warnings[0]
    assert tree_digest(sample_repo) == before


@pytest.mark.tools
def test_worktree_checks_the_working_trees_content_without_touching_it(
    sample_repo: Path, cache: Path, tmp_path: Path
) -> None:
    _edit(sample_repo / TYPES, "BindingPolicy selects", "BindingPolicy picks")
    before = tree_digest(sample_repo)
    objects = git(sample_repo, "count-objects", "-v")
    temp = tmp_path / "tmp"
    temp.mkdir()
    stale = verify_codegen(sample_repo, cache, "--worktree", TMPDIR=str(temp))
    assert stale.returncode == 1, stale.stderr
    assert f"differs (committed content is not what the generators produce):\n    {CRD}" in stale.stderr
    assert "working tree's content" in stale.stderr.splitlines()[-1]
    assert tree_digest(sample_repo) == before
    assert list(temp.iterdir()) == []
    assert len(git(sample_repo, "worktree", "list").splitlines()) == 1
    assert git(sample_repo, "count-objects", "-v") == objects  # nothing written to the repository

    regenerated = kstasks("all-generated", cwd=sample_repo, env={"KSTASKS_REPO": str(sample_repo)})
    assert regenerated.returncode == 0, regenerated.stderr
    fixed = verify_codegen(sample_repo, cache, "--worktree")
    assert fixed.returncode == 0, fixed.stderr
    assert "up to date in the working tree's content" in fixed.stdout
    assert git(sample_repo, "status", "--porcelain")  # still uncommitted: nothing was committed for us


@pytest.mark.tools
def test_a_recorded_success_is_reused_until_anything_it_depends_on_changes(
    sample_repo: Path, cache: Path
) -> None:
    first = verify_codegen(sample_repo, cache)
    assert first.returncode == 0 and "up to date in commit" in first.stdout, first.stderr
    assert len(list((cache / "kstasks" / paths.VERIFIED).glob("*.json"))) == 1

    again = verify_codegen(sample_repo, cache)
    assert again.returncode == 0 and "verified before" in again.stdout, again.stderr
    assert "==>" not in again.stderr  # no step ran: nothing regenerated

    forced = verify_codegen(sample_repo, cache, "--no-cache")
    assert forced.returncode == 0 and "up to date in commit" in forced.stdout

    setting = verify_codegen(sample_repo, cache, INVOKE_KSTASKS_CODEGEN_GENERATOR_GOGC="300")
    assert setting.returncode == 0 and "up to date in commit" in setting.stdout  # a setting: miss

    _edit(sample_repo / TYPES, "BindingPolicy selects", "BindingPolicy picks")
    git(sample_repo, "commit", "--quiet", "-am", "input only")
    input_changed = verify_codegen(sample_repo, cache)
    assert input_changed.returncode == 1 and CRD in input_changed.stderr  # an input: miss, and stale

    git(sample_repo, "reset", "--quiet", "--hard", "HEAD~1")
    client = sample_repo / CLIENT
    client.write_text(client.read_text() + "// edited\n")
    git(sample_repo, "commit", "--quiet", "-am", "output only")
    output_changed = verify_codegen(sample_repo, cache)
    assert output_changed.returncode == 1 and CLIENT in output_changed.stderr  # an output: miss

    git(sample_repo, "reset", "--quiet", "--hard", "HEAD~1")
    back = verify_codegen(sample_repo, cache)
    assert "verified before" in back.stdout  # the original tree is still recorded


def test_in_place_and_worktree_exclude_each_other(sample_repo: Path, cache: Path) -> None:
    before = tree_digest(sample_repo)
    result = verify_codegen(sample_repo, cache, "--in-place", "--worktree")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: --in-place and --worktree exclude each other. Pass one of them."
    )
    assert tree_digest(sample_repo) == before
