"""The release plan read from the checkout's .goreleaser.yaml and release workflow, and the artifact
list it gives: the v0.30-shaped sample (goreleaser v2, three builds, SBOMs, core-chart alone, docs
dispatch) and a v0.24-shaped variant made here (goreleaser v1, two builds, three charts)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from kstasks.core import errors
from kstasks.release.goreleaser.config import expected_artifacts, load_plan
from kstasks.release.goreleaser.workflow import fill
from tests.conftest import make_sample_repo

RELEASE_V024 = Path(__file__).parent / "data" / "release-v0.24"
"""A goreleaser v1 config and release workflow shaped like KubeStellar v0.24.0's."""


def make_v024_release_repo(dest: Path) -> Path:
    """The (v0.24.0-shaped) sample with a goreleaser v1 config and release workflow like v0.24.0's."""
    repo = make_sample_repo(dest)
    shutil.copy(RELEASE_V024 / "goreleaser.yaml", repo / ".goreleaser.yaml")
    (repo / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(RELEASE_V024 / "goreleaser.yml", repo / ".github" / "workflows" / "goreleaser.yml")
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-qm", "release config"], cwd=repo, check=True)
    return repo


def by_kind(artifacts, kind):  # type: ignore[no-untyped-def]
    return [a for a in artifacts if a.kind == kind]


def test_the_v030_plan_lists_what_its_config_and_workflow_describe(sample_v030: Path) -> None:
    plan = load_plan(sample_v030)
    assert plan.config_version == 2
    assert plan.project_name == "kssample"  # no project_name, no GitHub remote: the module's last element
    assert [b.id for b in plan.builds] == [
        "controller-manager",
        "ocm-transport-controller",
        "kflex-get-kubeconfig",
    ]
    assert plan.release.mode == "keep-existing" and plan.release.is_prerelease("0.30.1-rc.1")
    assert not plan.release.is_prerelease("0.30.0")
    artifacts = expected_artifacts(plan, "0.30.0")
    assert {(a.name, a.platform) for a in by_kind(artifacts, "binary")} == {
        (f"bin/{name}", platform)
        for name in ("controller-manager", "ocm-transport-controller", "kflex-get-kubeconfig")
        for platform in ("linux/amd64", "linux/arm64")
    }
    archives = by_kind(artifacts, "archive")
    assert [a.name for a in archives] == [
        "kssample_0.30.0_linux_amd64.tar.gz",
        "kssample_0.30.0_linux_arm64.tar.gz",
    ]
    assert archives[0].members == (
        "bin/controller-manager",
        "bin/kflex-get-kubeconfig",
        "bin/ocm-transport-controller",
    )
    sboms = by_kind(artifacts, "sbom")
    # artifacts: source catalogs the source archive, which goreleaser makes only with source.enabled.
    assert sorted(s.name for s in sboms) == sorted(
        f"{name}_linux_{arch}.sbom"
        for name in ("controller-manager", "ocm-transport-controller", "kflex-get-kubeconfig")
        for arch in ("amd64", "arm64")
    )
    (checksums,) = by_kind(artifacts, "checksums")
    assert checksums.name == "kssample_0.30.0_checksums.txt"
    assert checksums.members == tuple(sorted([*(a.name for a in archives), *(s.name for s in sboms)]))
    images = {(a.name, a.platform) for a in by_kind(artifacts, "image")}
    assert images == {
        (f"ghcr.io/kubestellar/kubestellar/{name}:0.30.0", platform)
        for name in ("controller-manager", "ocm-transport-controller", "kflex-get-kubeconfig")
        for platform in ("linux/amd64", "linux/arm64")
    }
    (chart,) = by_kind(artifacts, "chart")
    assert (chart.name, chart.source) == ("core-chart-0.30.0.tgz", "core-chart")
    assert chart.reference == "oci://ghcr.io/kubestellar/kubestellar/core-chart:0.30.0"
    (step,) = plan.charts
    assert step.dependency_update and step.make_chart is None
    (edit,) = step.edits
    assert edit.file == "core-chart/values.yaml" and edit.pattern == "^KUBESTELLAR_VERSION:.*$"
    assert fill(edit.replacement, tag="v0.30.0", version="0.30.0") == 'KUBESTELLAR_VERSION: "0.30.0"'
    assert plan.dispatch is not None
    assert (plan.dispatch.repository, plan.dispatch.event_type) == (
        "kubestellar/docs",
        "create-version-branch",
    )
    payload = {
        k: fill(str(v), tag="v0.30.0", version="0.30.0", repository="o/r")
        for k, v in plan.dispatch.client_payload.items()
    }
    assert payload == {
        "project": "kubestellar",
        "version": "v0.30.0",
        "source_repo": "o/r",
        "source_branch": "main",
    }
    assert plan.dispatch.token == "secrets.WORKFLOW_SYNC_TOKEN"


def test_the_v024_plan_has_two_builds_no_sboms_and_three_charts(tmp_path: Path) -> None:
    plan = load_plan(make_v024_release_repo(tmp_path / "v024"))
    assert plan.config_version == 1
    artifacts = expected_artifacts(plan, "0.24.0")
    assert by_kind(artifacts, "sbom") == []
    assert len(by_kind(artifacts, "binary")) == 4
    assert [a.name for a in by_kind(artifacts, "chart")] == [
        "controller-manager-chart-0.24.0.tgz",
        "core-chart-0.24.0.tgz",
        "ocm-transport-controller-chart-0.24.0.tgz",
    ]
    cm, core, transport = plan.charts
    assert cm.make_chart is not None and cm.make_chart.variable == "CONTROLLER_MANAGER_IMAGE"
    assert fill(cm.make_chart.value, tag="v0.24.0", version="0.24.0") == (
        "ghcr.io/kubestellar/kubestellar/controller-manager:v0.24.0"
    )
    assert not cm.dependency_update and core.dependency_update and transport.dependency_update
    (edit,) = transport.edits
    assert edit.file == "ocm-transport-controller-chart/templates/controller.yaml"
    assert fill(edit.replacement, tag="v0.24.0", version="0.24.0") == (
        "ghcr.io/kubestellar/kubestellar/ocm-transport-controller:0.24.0"
    )
    (checksums,) = by_kind(artifacts, "checksums")
    assert checksums.members == ("kssample_0.24.0_linux_amd64.tar.gz", "kssample_0.24.0_linux_arm64.tar.gz")
    assert plan.dispatch is None
    assert {a.name for a in by_kind(artifacts, "image")} == {
        "ghcr.io/kubestellar/kubestellar/controller-manager:0.24.0",
        "ghcr.io/kubestellar/kubestellar/ocm-transport-controller:0.24.0",
    }


def test_the_project_name_follows_the_github_remote_then_the_config(sample_v030: Path) -> None:
    subprocess.run(
        ["git", "remote", "add", "origin", "https://github.com/someone/kubestellar.git"],
        cwd=sample_v030,
        check=True,
    )
    assert load_plan(sample_v030).project_name == "kubestellar"
    config = sample_v030 / ".goreleaser.yaml"
    config.write_text("project_name: named\n" + config.read_text())
    assert load_plan(sample_v030).project_name == "named"


def test_archive_files_match_goreleasers_default_globs(sample_v030: Path) -> None:
    (sample_v030 / "LICENSE").write_text("license\n")
    (sample_v030 / "README.md").write_text("readme\n")
    (sample_v030 / "CHANGELOG.md").write_text("changes\n")
    (sample_v030 / "NOTICE").write_text("not matched\n")
    archive = by_kind(expected_artifacts(load_plan(sample_v030), "0.30.0"), "archive")[0]
    assert archive.members[:3] == ("CHANGELOG.md", "LICENSE", "README.md")
    assert "NOTICE" not in archive.members


def test_a_checkout_without_goreleaser_config_is_refused(sample_repo: Path) -> None:
    with pytest.raises(errors.BadInput, match=r"no \.goreleaser\.yaml"):
        load_plan(sample_repo)


def test_an_unknown_template_form_is_refused_not_rendered_wrongly(sample_v030: Path) -> None:
    config = sample_v030 / ".goreleaser.yaml"
    config.write_text(config.read_text().replace("'{{.Version}}'", "'{{ .Version | upper }}'", 1))
    with pytest.raises(errors.BadInput, match="does not render"):
        expected_artifacts(load_plan(sample_v030), "0.30.0")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["release", "--snapshot"], ["release", "", "--snapshot"]),
        (["release", "0.30.0", "--snapshot"], ["release", "0.30.0", "--snapshot"]),
        (["release", "--registry", "h/p", "--snapshot"], ["release", "", "--registry", "h/p", "--snapshot"]),
        (
            ["release", "--snapshot", "--registry", "h/p", "0.1.0"],
            ["release", "--snapshot", "--registry", "h/p", "0.1.0"],
        ),
        (["-v", "release"], ["-v", "release", ""]),
        (["--help", "release"], ["--help", "release"]),
    ],
)
def test_release_takes_its_version_as_an_optional_positional(argv: list[str], expected: list[str]) -> None:
    from kstasks.tasks import ns
    from kstasks.tasks.program import optional_positionals

    assert optional_positionals(["kstasks", *argv], ns) == ["kstasks", *expected]
