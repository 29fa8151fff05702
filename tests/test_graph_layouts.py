"""Version references on the v0.30 layout: discovery from the files alone, historical and
unpinned references, rules between artifacts, bump, and versions --json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from kstasks.core.errors import KstasksError
from kstasks.release.graph import bump, check, discover, parse, scan, select
from tests.conftest import git, kstasks

NAME = "kstasks-versions.yaml"


def run_in(repo: Path, *args: str):  # type: ignore[no-untyped-def]
    return kstasks(*args, cwd=repo, env={"KSTASKS_REPO": str(repo)})


def found(root: Path) -> dict[tuple[str, str], list[str]]:
    """(artifact id, file) -> values, from the discovered graph."""
    graph = select.load_graph(root, NAME)
    result: dict[tuple[str, str], list[str]] = {}
    for occ in scan.scan(graph, root).occurrences:
        result.setdefault((occ.spec.artifact, occ.file), []).append(occ.value)
    return result


def findings(root: Path) -> list[str]:
    graph = select.load_graph(root, NAME)
    return [p.text for p in check.problems(graph, root, scan.scan(graph, root), scan.tracked_files(root))]


def test_discovery_finds_every_class_of_reference_on_v030(sample_v030: Path) -> None:
    refs = found(sample_v030)
    assert refs[("kubeflex-chart", "core-chart/Chart.yaml")] == ["v0.9.3"]
    assert refs[("argo-cd-chart", "core-chart/Chart.yaml")] == ["9.1.0"]
    assert refs[("kube-rbac-proxy-image", "core-chart/templates/controller.yaml")] == ["v0.20.2"]
    # KUBESTELLAR_VERSION names the images core-chart deploys; there is no controller-manager chart.
    assert refs[("kubestellar-images", "core-chart/values.yaml")] == ["0.30.0"]
    assert ("controller-manager-chart", "core-chart/values.yaml") not in refs
    assert refs[("core-chart", "scripts/create-kubestellar-demo-env.sh")] == ["0.30.0"]
    assert refs[("kubestellar-docs", "scripts/check_pre_req.sh")] == ["0-30-0"]
    assert refs[("kubeflex-minimum", "scripts/check_pre_req.sh")] == ["v0.9.3"]
    assert refs[("go-minimum", "scripts/check_pre_req.sh")] == ["1.23"]
    assert refs[("kubeflex-cli", ".github/workflows/pr-test-e2e.yml")] == [
        "v0.9.3",
        "0.9.3",
        "0.9.3",
        "0.9.3",
    ]
    assert refs[("clusteradm-cli", ".github/workflows/pr-test-e2e.yml")] == ["v1.0.0", "1.0.0"]
    assert refs[("go-directive", "go.mod")] == ["1.25.0"]
    assert refs[("client-go-module", "go.mod")] == ["v0.28.11"]
    assert refs[("go-toolchain", "core.Dockerfile")] == ["1.26"]
    assert refs[("go-toolchain", ".prow.yaml")] == ["1.25.5"] * 3
    assert refs[("go-toolchain", ".github/workflows/pr-test-e2e.yml")] == ["1.26"]
    assert refs[("go-toolchain", "test/scale-infra/deploy_ks_core.yaml")] == ["1.26.2"]
    assert refs[("kubeflex-cli", "test/scale-infra/deploy_ks_core.yaml")] == ["v0.9.3", "main"]


def test_historical_pages_are_listed_never_findings(sample_v030: Path) -> None:
    graph = select.load_graph(sample_v030, NAME)
    rows = scan.table(graph, scan.scan(graph, sample_v030))
    old = [row for row in rows if row["file"] == "oldocs/README.md"]
    assert old and all(row["historical"] for row in old)
    # The old page disagrees with everything current (0.24.0, kubectl 1.27.8, clusteradm 0.8.2).
    assert not any("oldocs/" in text for text in findings(sample_v030))
    floating = [row for row in rows if row["unpinned"]]
    assert [(row["file"], row["value"], row["channel"]) for row in floating] == [
        ("test/scale-infra/deploy_ks_core.yaml", "main", "floating")
    ]


def test_rules_name_both_ends(sample_v030: Path) -> None:
    texts = findings(sample_v030)
    assert any(
        "rule go-minimum-builds-the-module broken" in t
        and "go-directive 1.25.0 at go.mod:3" in t
        and "go-minimum 1.23 at scripts/check_pre_req.sh:" in t
        for t in texts
    ), texts
    assert any(
        "rule kubectl-follows-client-go broken" in t and "client-go-module v0.28.11 at go.mod:7" in t
        for t in texts
    )
    assert not any("kubeflex" in t for t in texts)  # chart, CLI and minimum agree on v0.9.3
    chart = sample_v030 / "core-chart/Chart.yaml"
    chart.write_text(chart.read_text().replace("version: v0.9.3", "version: v0.9.4"))
    broken = [t for t in findings(sample_v030) if "kubeflex-chart-is-the-cli" in t]
    assert len(broken) == 1
    assert "kubeflex-chart v0.9.4 at core-chart/Chart.yaml:16 is not = kubeflex-cli v0.9.3 at" in broken[0]
    assert (
        ".github/workflows/pr-test-e2e.yml:22" in broken[0]
        and "test/scale-infra/deploy_ks_core.yaml:13" in broken[0]
    )


def test_go_directive_above_a_toolchain_is_named(sample_v030: Path) -> None:
    prow = sample_v030 / ".prow.yaml"
    prow.write_text(prow.read_text().replace("build:1.25.5-1", "build:1.24.9-1"))
    texts = findings(sample_v030)
    assert any(
        "rule go-directive-within-toolchains broken" in t
        and "go-directive 1.25.0 at go.mod:3 is not <= go-toolchain 1.24.9 at .prow.yaml:9" in t
        for t in texts
    ), texts


def test_rules_are_data_in_the_graph_file(sample_v030: Path) -> None:
    data = discover.discovered_data(sample_v030)
    assert {r["id"] for r in data["rules"]} >= {
        "kubeflex-minimum-users-need",
        "go-directive-within-toolchains",
    }
    # The maintainer says the minimum users need is checked by major.minor only.
    data["rules"] = [r for r in data["rules"] if r["id"] != "go-minimum-builds-the-module"]
    data["rules"].append(
        {"id": "go-minimum-minor", "left": "go-minimum", "relation": "same-minor", "right": "go-directive"}
    )
    (sample_v030 / NAME).write_text(discover.render(data))
    texts = findings(sample_v030)
    assert not any("go-minimum-builds-the-module" in t for t in texts)
    assert any("rule go-minimum-minor broken" in t and "go-minimum 1.23" in t for t in texts)
    data["rules"].append({"id": "bad", "left": "go-minimum", "relation": "about", "right": "go-directive"})
    (sample_v030 / NAME).write_text(discover.render(data))
    with pytest.raises(KstasksError, match="relation must be one of"):
        select.load_graph(sample_v030, NAME)


def test_discover_writes_flags_and_rules(sample_v030: Path) -> None:
    text = discover.discover(sample_v030)
    data = yaml.safe_load(text)
    assert any(r.get("historical") and r["file"] == "oldocs/README.md" for r in data["references"])
    assert any(r.get("unpinned") for r in data["references"])
    graph = parse.parse_text(text, "x")
    assert len(graph.rules) >= 5 and graph.historical


def test_bump_kubeflex_edits_every_live_reference(sample_v030: Path) -> None:
    graph = select.load_graph(sample_v030, NAME)
    planned = bump.plan(graph, sample_v030, "kubeflex", "0.10.0")
    assert sorted(planned.edits) == [
        ".github/workflows/pr-test-e2e.yml",
        "core-chart/Chart.yaml",
        "test/scale-infra/deploy_ks_core.yaml",
    ]
    assert set(planned.left_alone) == {"kubeflex-minimum"}
    workflow = planned.edits[".github/workflows/pr-test-e2e.yml"]
    assert "releases/download/v0.10.0/kubeflex_0.10.0_linux_amd64.tar.gz" in workflow
    assert "tar -xvf kubeflex_0.10.0_linux_amd64.tar.gz" in workflow and "0.9.3" not in workflow
    assert "  version: v0.10.0\n" in planned.edits["core-chart/Chart.yaml"]
    infra = planned.edits["test/scale-infra/deploy_ks_core.yaml"]
    assert "kubeflex/refs/tags/v0.10.0/scripts" in infra and "kubeflex/main/scripts" in infra  # floating kept
    assert not planned.disagreements  # the minimum users need stays below what is installed

    # Raising the minimum past what is installed: the related references are named, or bumped.
    raised = bump.plan(graph, sample_v030, "kubeflex-minimum", "0.11.0")
    assert list(raised.edits) == ["scripts/check_pre_req.sh"]
    assert any(
        "kubeflex-minimum-users-need" in p.text and "kubeflex-chart v0.9.3" in p.text
        for p in raised.disagreements
    )
    both = bump.plan(graph, sample_v030, "kubeflex-minimum", "0.11.0", with_related=True)
    assert sorted(both.edits) == [
        ".github/workflows/pr-test-e2e.yml",  # the CLI is tied to the chart in turn
        "core-chart/Chart.yaml",
        "scripts/check_pre_req.sh",
        "test/scale-infra/deploy_ks_core.yaml",
    ]
    assert not both.disagreements


def test_bump_cli_dry_run_then_write_is_idempotent(sample_v030: Path) -> None:
    before = git(sample_v030, "status", "--porcelain")
    dry = run_in(sample_v030, "bump", "clusteradm", "1.1.0", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    install = "raw.githubusercontent.com/open-cluster-management-io/clusteradm/refs/tags/v1.1.0/install.sh"
    assert f"+          bash <(curl -L https://{install}) 1.1.0" in dry.stdout
    assert '+CLUSTERADM_VERSION: "1.1.0"' in dry.stdout
    assert git(sample_v030, "status", "--porcelain") == before
    done = run_in(sample_v030, "bump", "clusteradm", "1.1.0")
    assert done.returncode == 0, done.stderr
    changed = sorted(line[3:] for line in git(sample_v030, "status", "--porcelain").splitlines())
    assert changed == [
        ".github/workflows/pr-test-e2e.yml",
        "core-chart/values.yaml",
        "hack/install-clusteradm.sh",
        "scripts/check_pre_req.sh",
        "test/scale-infra/deploy_ks_core.yaml",
    ]
    assert "quay.io/kubestellar/clusteradm:1.1.0" in (sample_v030 / "hack/install-clusteradm.sh").read_text()
    again = run_in(sample_v030, "bump", "clusteradm", "1.1.0")
    assert again.returncode == 0 and "is 1.1.0 already" in again.stderr
    bad = run_in(sample_v030, "bump", "nosuch", "1.0.0")
    assert bad.returncode == 2 and "Name one of:" in bad.stderr and "Traceback" not in bad.stderr
    assert run_in(sample_v030, "bump", "kubeflex", "soon").returncode == 2


def test_versions_json_records(sample_v030: Path) -> None:
    listed = run_in(sample_v030, "versions", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    for row in rows:
        assert {"artifact", "file", "line", "value", "historical", "unpinned", "findings"} <= set(row)
    minimum = next(r for r in rows if r["artifact_id"] == "go-minimum")
    assert any("go-minimum-builds-the-module" in text for text in minimum["findings"])
    assert all(not r["findings"] for r in rows if r["historical"])
