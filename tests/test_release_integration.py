"""versions, verify-versions, release-prepare and verify-release on the sample and a real registry."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import git, kstasks, make_sample_repo, tree_digest

VALUES = "core-chart/values.yaml"
MKDOCS = "docs/mkdocs.yml"
HOOK = "config/postcreate-hooks/kubestellar.yaml"
README = "docs/README.md"


def run_in(checkout: Path, *args: str, **env: str):  # type: ignore[no-untyped-def]
    return kstasks(*args, cwd=checkout, env={"KSTASKS_REPO": str(checkout), **env})


def test_versions_table_and_json(sample_repo: Path) -> None:
    table = run_in(sample_repo, "versions")
    assert table.returncode == 0, table.stderr
    assert "config/postcreate-hooks/kubestellar.yaml:26" in table.stdout
    rows = json.loads(run_in(sample_repo, "versions", "--json").stdout)
    assert {(r["artifact"], r["file"], r["value"]) for r in rows} >= {
        ("helm", VALUES, "3.14.0"),
        ("clusteradm", "hack/install-clusteradm.sh", "0.8.2"),
        ("controller-manager-chart", HOOK, "0.1.0"),
    }


def test_verify_versions_names_a_seeded_disagreement_and_undeclared_mentions(sample_repo: Path) -> None:
    assert run_in(sample_repo, "verify-versions").returncode == 0
    values = sample_repo / VALUES
    values.write_text(values.read_text().replace('HELM_VERSION: "3.14.0"', 'HELM_VERSION: "3.15.0"'))
    (sample_repo / "hack/other.sh").write_text("docker run quay.io/kubestellar/clusteradm:0.9.0 init\n")
    (sample_repo / MKDOCS).write_text(
        (sample_repo / MKDOCS)
        .read_text()
        .replace("ks_latest_release: '0.1.0'", "ks_latest_release: 'v0.1.0'")
    )
    result = run_in(sample_repo, "verify-versions")
    assert result.returncode == 1
    assert (f"references to helm-image disagree: 3.14.0 at {HOOK}:18; 3.15.0 at {VALUES}:4") in result.stderr
    assert "hack/other.sh:1: undeclared reference to clusteradm-image (0.9.0)" in result.stderr
    assert f"{MKDOCS}:7: 'v0.1.0' should carry no v (docs-latest-release)" in result.stderr
    assert "error: 3 version reference problem(s)" in result.stderr


def _expected_after(sample: Path, version: str, regular: bool) -> dict[str, str]:
    files = {name: (sample / name).read_text() for name in (VALUES, MKDOCS, HOOK, README)}
    files[VALUES] = files[VALUES].replace('KUBESTELLAR_VERSION: "0.1.0"', f'KUBESTELLAR_VERSION: "{version}"')
    files[HOOK] = files[HOOK].replace('- "0.1.0"', f'- "{version}"')
    files[MKDOCS] = files[MKDOCS].replace("ks_latest_release: '0.1.0'", f"ks_latest_release: '{version}'")
    if regular:
        files[MKDOCS] = files[MKDOCS].replace(
            "ks_latest_regular_release: '0.1.0'", f"ks_latest_regular_release: '{version}'"
        )
        files[README] = files[README].replace("is 0.1.0.", f"is {version}.")
    return files


@pytest.mark.parametrize(
    ("version", "written", "regular"), [("v0.25.0-rc.1", "0.25.0-rc.1", False), ("0.25.0", "0.25.0", True)]
)
def test_release_prepare_edits_exactly_the_values(
    sample_repo: Path, version: str, written: str, regular: bool
) -> None:
    expected = _expected_after(sample_repo, written, regular)
    result = run_in(sample_repo, "release-prepare", version)
    assert result.returncode == 0, result.stderr
    for name, text in expected.items():
        assert (sample_repo / name).read_text() == text, name
    changed = sorted(line[3:] for line in git(sample_repo, "status", "--porcelain").splitlines())
    assert changed == sorted([VALUES, MKDOCS, HOOK] + ([README] if regular else []))
    before = tree_digest(sample_repo)
    again = run_in(sample_repo, "release-prepare", version)
    assert again.returncode == 0 and "nothing to change" in again.stderr
    assert tree_digest(sample_repo) == before


def test_release_prepare_dry_run_prints_the_diff(sample_repo: Path) -> None:
    before = tree_digest(sample_repo)
    result = run_in(sample_repo, "release-prepare", "0.25.0", "--dry-run")
    assert result.returncode == 0
    assert "\n-ks_latest_regular_release: '0.1.0'\n" in result.stdout
    assert "\n+ks_latest_regular_release: '0.25.0'\n" in result.stdout
    assert '-KUBESTELLAR_VERSION: "0.1.0"\n+KUBESTELLAR_VERSION: "0.25.0"' in result.stdout
    assert tree_digest(sample_repo) == before


def test_release_prepare_rejects_a_bad_version(sample_repo: Path) -> None:
    before = tree_digest(sample_repo)
    result = run_in(sample_repo, "release-prepare", "0.25")
    assert result.returncode == 2 and "invalid version '0.25'" in result.stderr
    assert tree_digest(sample_repo) == before


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory, registry: str, base_image: str) -> tuple[Path, str]:
    """The sample's 0.25.0 charts and images, published to the test registry with kstasks' own tasks."""
    checkout = make_sample_repo(tmp_path_factory.mktemp("release") / "checkout")
    location = f"{registry}/kubestellar/kubestellar"
    env = {"KO_DEFAULTBASEIMAGE": base_image}
    for args in (
        ("package-charts", "--version", "0.25.0"),
        ("publish-charts", "--version", "0.25.0", "--registry", f"oci://{location}"),
        ("publish-images", "--version", "0.25.0", "--registry", location, "--platform", "linux/amd64"),
    ):
        result = run_in(checkout, *args, **env)
        assert result.returncode == 0, result.stderr
    return checkout, location


@pytest.mark.tools
def test_verify_release_finds_everything_then_names_what_was_deleted(
    released: tuple[Path, str], registry: str
) -> None:
    checkout, location = released
    report = checkout / "dist" / "release-0.25.0.json"
    ok = run_in(checkout, "verify-release", "0.25.0", "--registry", location)
    assert ok.returncode == 0, ok.stderr
    data = json.loads(report.read_text())
    assert data["ok"] is True
    entries = {e["artifact"]: e for e in data["artifacts"]}
    assert set(entries) == {
        "controller-manager-chart",
        "ocm-transport-controller-chart",
        "core-chart",
        "controller-manager-image",
        "ocm-transport-controller-image",
    }
    assert all(e["digest"].startswith("sha256:") for e in entries.values())
    checked = entries["controller-manager-chart"]["images"]
    assert checked == [
        {
            "image": "ghcr.io/kubestellar/kubestellar/controller-manager:0.25.0",
            "checked": True,
            "digest": entries["controller-manager-image"]["digest"],
        }
    ]

    digest = entries["ocm-transport-controller-image"]["digest"]
    request = urllib.request.Request(
        f"http://{registry}/v2/kubestellar/kubestellar/ocm-transport-controller/manifests/{digest}",
        method="DELETE",
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 202
    broken = run_in(checkout, "verify-release", "0.25.0", "--registry", location)
    assert broken.returncode == 1
    assert f"{location}/ocm-transport-controller:0.25.0 is missing" in broken.stderr
    assert (
        "refers to ghcr.io/kubestellar/kubestellar/ocm-transport-controller:0.25.0, which is missing"
        in broken.stderr
    )
    assert json.loads(report.read_text())["ok"] is False


def test_verify_release_rejects_a_bad_version(sample_repo: Path) -> None:
    result = run_in(sample_repo, "verify-release", "latest", "--registry", "127.0.0.1:1/x")
    assert result.returncode == 2 and "invalid version 'latest'" in result.stderr
