"""Settings come from the target checkout, whatever the current directory."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from kstasks.project import checkoutconfig, pins
from tests.conftest import git, kstasks, tree_digest


def _checkout(root: Path, makefile: str, config: str | None = None) -> Path:
    root.mkdir(parents=True)
    (root / "go.mod").write_text("module example.com/m\n\ngo 1.24.1\n")
    (root / "Makefile").write_text(makefile)
    if config is not None:
        (root / "invoke.yaml").write_text(config)
    return root


MAKEFILE = """\
CONTROLLER_TOOLS_VERSION ?= v0.15.0
CODE_GEN_VER := v0.30.12
IMG ?= quay.io/me/cm:v1
manifests:
\t$(CONTROLLER_GEN) rbac:roleName=manager-role crd webhook paths="./api/..."
\tcp config/crd/bases/* pkg/crd/files
"""


def test_layers_defaults_pins_makefile_env_then_checkout_config(tmp_path: Path) -> None:
    root = _checkout(
        tmp_path / "c",
        MAKEFILE,
        "kstasks:\n  versions:\n    code_generator: v0.30.3\n  repo: elsewhere\n",
    )
    layers = checkoutconfig.checkout_layers(root, "example.com/m", {"CONTROLLER_TOOLS_VERSION": "v0.16.0"})
    versions = layers.values["versions"]
    assert versions["controller_tools"] == "v0.16.0"
    assert layers.sources[("versions", "controller_tools")] == "environment: CONTROLLER_TOOLS_VERSION"
    assert versions["code_generator"] == "v0.30.3"
    assert layers.sources[("versions", "code_generator")] == str(root / "invoke.yaml")
    assert versions["kustomize"] == "v5.3.0"  # the default: this Makefile does not pin it
    assert layers.values["codegen"]["crd_bundle_mode"] == "copy"
    assert layers.values["images"]["controller_manager_image_variable"] == "IMG"
    assert layers.values["repo"] == ""  # the checkout's config does not redirect to another checkout
    assert layers.files == [root / "invoke.yaml"]


def test_img_and_controller_manager_image_are_both_honoured(tmp_path: Path) -> None:
    root = _checkout(tmp_path / "c", "")
    only_img = checkoutconfig.checkout_layers(root, "example.com/m", {"IMG": "r/cm:1"})
    assert only_img.values["images"]["controller_manager_image"] == "r/cm:1"
    both = checkoutconfig.checkout_layers(
        root, "example.com/m", {"IMG": "r/cm:1", "CONTROLLER_MANAGER_IMAGE": "r/cm:2"}
    )
    assert both.values["images"]["controller_manager_image"] == "r/cm:2"


def test_init_keeps_the_pins_when_the_makefile_is_gone(tmp_path: Path) -> None:
    root = _checkout(tmp_path / "c", MAKEFILE)
    before = checkoutconfig.checkout_layers(root, "example.com/m", {})
    path, added = checkoutconfig.write_pins(root, pins.discover(root, "example.com/m"))
    assert path == root / "invoke.yaml"
    assert "versions.controller_tools" in added and "codegen.crd_bundle_mode" in added
    (root / "Makefile").unlink()
    after = checkoutconfig.checkout_layers(root, "example.com/m", {})
    assert after.values == before.values
    assert after.sources[("versions", "controller_tools")] == str(root / "invoke.yaml")
    # a second run finds nothing to add, and what a user set stays
    written = yaml.safe_load(path.read_text())
    written["kstasks"]["versions"]["controller_tools"] = "v0.16.0"
    path.write_text(yaml.safe_dump(written))
    (root / "Makefile").write_text(MAKEFILE)
    assert checkoutconfig.write_pins(root, pins.discover(root, "example.com/m"))[1] == []
    assert yaml.safe_load(path.read_text())["kstasks"]["versions"]["controller_tools"] == "v0.16.0"


def test_init_does_not_drop_comments_without_force(tmp_path: Path) -> None:
    root = _checkout(tmp_path / "c", MAKEFILE, "# mine\nkstasks: {}\n")
    before = (root / "invoke.yaml").read_text()
    try:
        checkoutconfig.write_pins(root, pins.discover(root, "example.com/m"))
    except Exception as err:  # invoke.Exit
        assert getattr(err, "code", None) == 2
    else:
        raise AssertionError("expected exit 2")
    assert (root / "invoke.yaml").read_text() == before


def _elsewhere(tmp_path: Path) -> Path:
    """An unrelated current directory (no invoke.yaml, no git)."""
    path = tmp_path / "elsewhere"
    path.mkdir()
    return path


def test_repo_from_another_directory_reads_the_target_config(sample_repo: Path, tmp_path: Path) -> None:
    (sample_repo / "invoke.yaml").write_text("kstasks:\n  versions:\n    kustomize: '5.5'\n")
    before = tree_digest(sample_repo)
    result = kstasks("manifests", "--repo", str(sample_repo), cwd=_elsewhere(tmp_path))
    assert result.returncode == 2, result.stderr
    assert "invalid version '5.5' for kustomize" in result.stderr
    assert tree_digest(sample_repo) == before


def test_environment_and_report(sample_repo: Path, tmp_path: Path) -> None:
    (sample_repo / "invoke.yaml").write_text("kstasks:\n  versions:\n    kustomize: '5.5'\n")
    result = kstasks(
        "--dry",
        "all-generated",
        "--repo",
        str(sample_repo),
        cwd=_elsewhere(tmp_path),
        env={"INVOKE_KSTASKS_VERSIONS_KUSTOMIZE": "v5.3.0"},
    )
    assert result.returncode == 0, result.stderr
    report = [line for line in result.stderr.splitlines() if line.startswith("kstasks: ")]
    assert report[0] == f"kstasks: config files: {sample_repo / 'invoke.yaml'}"
    assert "kstasks: kustomize v5.3.0 (environment: INVOKE_KSTASKS_VERSIONS_KUSTOMIZE)" in report
    assert (
        "kstasks: controller-gen v0.13.0 (Makefile: CONTROLLER_TOOLS_VERSION = v0.13.0), built with "
        "go1.21.8 (Makefile: GOTOOLCHAIN=go1.21.8 on the controller-gen install line)"
    ) in report
    assert any(line.startswith("kstasks: code-generator v0.28.2 (Makefile: CODE_GEN_VER") for line in report)
    assert sum(line.startswith("kstasks: config files") for line in report) == 1


def test_a_checkout_without_api_exits_2_and_writes_nothing(sample_repo: Path, tmp_path: Path) -> None:
    shutil.rmtree(sample_repo / "api")
    git(sample_repo, "add", "-A")
    git(sample_repo, "commit", "--quiet", "-m", "no api")
    before = tree_digest(sample_repo)
    for step in ("manifests", "generate", "codegenclients", "all-generated"):
        result = kstasks(
            step, "--repo", str(sample_repo), cwd=_elsewhere(tmp_path) if step == "manifests" else tmp_path
        )
        assert result.returncode == 2, (step, result.stderr)
        assert f"has no api, which {step} reads; nothing was written" in result.stderr
        assert "==>" not in result.stderr
    assert tree_digest(sample_repo) == before


def test_init_from_another_directory_writes_the_pins(sample_repo: Path, tmp_path: Path) -> None:
    result = kstasks("init", "--repo", str(sample_repo), cwd=_elsewhere(tmp_path))
    assert result.returncode == 0, result.stderr
    written = yaml.safe_load((sample_repo / "invoke.yaml").read_text())["kstasks"]
    assert written["versions"]["controller_tools"] == "v0.13.0"
    assert written["versions"]["controller_tools_gotoolchain"] == "go1.21.8"
    assert written["codegen"]["crd_bundle_mode"] == "kustomize"
    assert "wrote invoke.yaml: versions.controller_tools" in result.stdout
