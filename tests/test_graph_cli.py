"""versions / verify-versions on checkouts without a graph of their own, and `versions --discover`."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import git, kstasks
from tests.test_graph import V024_FILES, checkout

GRAPH = "kstasks-versions.yaml"


def run_in(repo: Path, *args: str):  # type: ignore[no-untyped-def]
    return kstasks(*args, cwd=repo, env={"KSTASKS_REPO": str(repo)})


def test_day_one_on_the_v024_layout(sample_repo: Path) -> None:
    (sample_repo / GRAPH).unlink()
    checkout(sample_repo, V024_FILES)
    git(sample_repo, "add", "-A")
    git(sample_repo, "commit", "-qm", "v0.24.0 layout")

    before = run_in(sample_repo, "verify-versions")
    assert before.returncode == 1
    assert "version graph: kstasks' bundled v0.24.0 graph" in before.stderr
    assert (
        "references to helm-image disagree: 3.14.0 at config/postcreate-hooks/kubestellar.yaml:3"
        in before.stderr
    )

    written = run_in(sample_repo, "versions", "--discover")
    assert written.returncode == 0, written.stderr
    assert written.stdout.strip() == str(sample_repo / GRAPH)
    assert "reason: ''" in (sample_repo / GRAPH).read_text()

    after = run_in(sample_repo, "verify-versions")
    assert after.returncode == 0, after.stderr
    assert "version graph: kstasks-versions.yaml" in after.stderr
    known = after.stderr.count("warning: known version disagreement")
    assert known == 5, after.stderr  # helm, kubectl, and kubectl vs client-go thrice (a catalogue rule)

    again = run_in(sample_repo, "versions", "--discover")
    assert again.returncode == 2 and "Pass --force" in again.stderr
    assert run_in(sample_repo, "versions", "--discover", "--force").returncode == 0


def test_another_layout_gets_a_discovered_graph(sample_repo: Path) -> None:
    (sample_repo / GRAPH).unlink()
    git(sample_repo, "commit", "-qam", "no graph")
    listed = run_in(sample_repo, "versions")
    assert listed.returncode == 0, listed.stderr
    assert "version graph: discovered from this checkout" in listed.stderr
    assert "hack/install-clusteradm.sh:" in listed.stdout and "core-chart/values.yaml:4" in listed.stdout
    verified = run_in(sample_repo, "verify-versions")
    assert "does not exist" not in verified.stderr and "has no scalar" not in verified.stderr
    assert verified.returncode == 0, verified.stderr
    assert git(sample_repo, "status", "--porcelain") == ""  # nothing written without --discover
