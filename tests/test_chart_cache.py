"""The chart template cache: a rerun on unchanged inputs replays the template kustomize made;
a change to anything the template is made from derives it again, with the uncached bytes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from kstasks.charts import templatecache
from tests.conftest import kstasks

IMAGE = "ghcr.io/kubestellar/kubestellar/controller-manager:v0.24.0"
TEMPLATE = "chart/templates/controller-manager.yaml"
REPLAYED = "cache: chart template: replayed"


def chart(checkout: Path, cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"KSTASKS_REPO": str(checkout), "KSTASKS_VERIFIED_CACHE": str(cache)}
    result = kstasks("chart", "--image", IMAGE, *args, cwd=checkout, env=env)
    assert result.returncode == 0, result.stderr
    return result


def uncached(checkout: Path, tmp_path: Path, name: str) -> bytes:
    """The template an empty cache gives (the reference for every verdict)."""
    result = chart(checkout, tmp_path / f"fresh-{name}")
    assert REPLAYED not in result.stderr
    return (checkout / TEMPLATE).read_bytes()


@pytest.mark.tools
def test_a_rerun_replays_and_each_input_change_derives_again(sample_repo: Path, tmp_path: Path) -> None:
    cache = tmp_path / "verified"
    first = chart(sample_repo, cache)
    assert REPLAYED not in first.stderr
    made = (sample_repo / TEMPLATE).read_bytes()
    (sample_repo / TEMPLATE).unlink()
    again = chart(sample_repo, cache)
    assert REPLAYED in again.stderr and "kustomize build" not in again.stderr
    assert (sample_repo / TEMPLATE).read_bytes() == made

    # something the template is not made from: replayed, the same bytes
    (sample_repo / "README.md").write_text("a note\n")
    (sample_repo / "api/control/v1alpha1/doc.go").write_text(
        (sample_repo / "api/control/v1alpha1/doc.go").read_text() + "\n// a comment\n"
    )
    assert REPLAYED in chart(sample_repo, cache).stderr
    assert (sample_repo / TEMPLATE).read_bytes() == made

    # a file under config/: derived again, the bytes an uncached run gives
    manager = sample_repo / "config/manager/manager.yaml"
    manager.write_text(manager.read_text().replace("replicas: 1", "replicas: 3"))
    changed = chart(sample_repo, cache)
    assert REPLAYED not in changed.stderr
    produced = (sample_repo / TEMPLATE).read_bytes()
    assert produced != made and produced == uncached(sample_repo, tmp_path, "config")

    # another image: derived again
    other = kstasks(
        "chart",
        "--image",
        IMAGE.replace("v0.24.0", "v0.24.1"),
        cwd=sample_repo,
        env={"KSTASKS_REPO": str(sample_repo), "KSTASKS_VERIFIED_CACHE": str(cache)},
    )
    assert other.returncode == 0 and REPLAYED not in other.stderr
    assert b"controller-manager:0.24.1" in (sample_repo / TEMPLATE).read_bytes()


@pytest.mark.tools
def test_a_corrupt_entry_is_a_miss_never_a_template(sample_repo: Path, tmp_path: Path) -> None:
    cache = tmp_path / "verified"
    chart(sample_repo, cache)
    made = (sample_repo / TEMPLATE).read_bytes()
    entries = list((cache / "chart-templates").iterdir())
    assert len(entries) == 1
    raw = entries[0].read_bytes()
    entries[0].write_bytes(raw.replace(b"ServiceAccount", b"ServiceAccounX", 1))
    result = chart(sample_repo, cache)
    assert REPLAYED not in result.stderr
    assert (sample_repo / TEMPLATE).read_bytes() == made
    assert entries[0].read_bytes() == raw  # recorded again, whole


def test_a_config_with_a_symlink_or_a_remote_resource_is_not_keyed(tmp_path: Path) -> None:
    config = tmp_path / "config"
    (config / "default").mkdir(parents=True)
    kustomization = config / "default/kustomization.yaml"
    kustomization.write_text("resources:\n- ../manager\n")
    assert templatecache.config_digest(config) is not None
    kustomization.write_text("resources:\n- https://example.invalid/all.yaml\n")
    assert templatecache.config_digest(config) is None
    kustomization.write_text("resources:\n- github.com/example/repo/config?ref=v1\n")
    assert templatecache.config_digest(config) is None
    kustomization.write_text("resources:\n- ../manager\n")
    (config / "manager").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    assert templatecache.config_digest(config) is None


def test_every_part_of_the_key_counts(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "a.yaml").write_text("a: 1\n")
    recipe = {"image": "x:1", "layout": "L", "rewrite": "yq", "kustomize": "v5.3.0 /tools/kustomize/v5.3.0"}
    base = templatecache.key(config, recipe)
    assert base == templatecache.key(config, dict(recipe))
    for part, other in (
        ("kustomize", "v5.4.0 /tools/kustomize/v5.4.0"),
        ("image", "x:2"),
        ("rewrite", "add-helm-code"),
    ):
        assert base != templatecache.key(config, {**recipe, part: other}), part
    (config / "a.yaml").write_text("a: 2\n")
    assert base != templatecache.key(config, recipe)
    (config / "a.yaml").write_text("a: 1\n")
    (config / "b.yaml").write_text("")
    assert base != templatecache.key(config, recipe)
