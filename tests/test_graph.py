"""The graph per checkout: own file, bundled graph where the layout matches, discovery, known problems."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kstasks.core.errors import KstasksError
from kstasks.release.graph import check, discover, model, parse, scan, select

NAME = "kstasks-versions.yaml"

# A checkout with KubeStellar v0.24.0's layout (every reference of the bundled graph is there),
# with v0.24.0's two disagreements: helm 3.14.0 vs 3.15.0, kubectl 1.30.1 vs 1.27.8.
V024_FILES = {
    "docs/mkdocs.yml": "site_name: x\nks_latest_regular_release: '0.24.0'\nks_latest_release: '0.24.0'\n",
    "oldocs/README.md": "# Old docs\n\nThe latest regular release is 0.24.0.\n",
    "config/postcreate-hooks/kubestellar.yaml": """\
spec:
  templates:
  - image: quay.io/kubestellar/helm:3.14.0
    args:
    - oci://ghcr.io/kubestellar/kubestellar/controller-manager-chart
    - --version
    - "0.24.0"
  - image: quay.io/kubestellar/helm:3.14.0
    args:
    - oci://ghcr.io/kubestellar/kubestellar/ocm-transport-controller-chart
    - --version
    - "0.24.0"
""",
    "config/postcreate-hooks/ocm.yaml": """\
spec:
  templates:
  - image: quay.io/kubestellar/clusteradm:0.8.2
  - image: quay.io/kubestellar/helm:3.14.0
    args:
    - oci://ghcr.io/kubestellar/ocm-status-addon-chart
    - --version
    - v0.2.0-rc11
""",
    "core-chart/values.yaml": """\
# versions
HELM_VERSION: "3.15.0"
KUBECTL_VERSION: "1.30.1"
KUBESTELLAR_VERSION: "0.24.0"
CLUSTERADM_VERSION: "0.8.2"
OCM_STATUS_ADDON_VERSION: "0.2.0-rc11"
""",
    "ocm-transport-controller-chart/templates/controller.yaml": "image: quay.io/kubestellar/kubectl:1.27.8\n",
    "scripts/deploy-transport-controller.sh": "#!/bin/sh\nrun quay.io/kubestellar/kubectl:1.27.8\n",
}
HELM = "references to helm-image disagree"
KUBECTL = "references to kubectl-image disagree"


def checkout(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def problems_of(root: Path, graph: model.Graph) -> list[model.Problem]:
    return check.problems(graph, root, scan.scan(graph, root), scan.tracked_files(root))


def test_bundled_graph_only_where_the_layout_matches(tmp_path: Path) -> None:
    v024 = checkout(tmp_path / "v024", V024_FILES)
    assert select.load_graph(v024, NAME).source.startswith("kstasks' bundled v0.24.0 graph")
    # Another release's layout: no post-create hooks, no docs config (as from v0.26 on).
    later = {k: v for k, v in V024_FILES.items() if not k.startswith(("config/", "docs/"))}
    other = checkout(tmp_path / "later", later)
    graph = select.load_graph(other, NAME)
    assert graph.source.startswith("discovered from this checkout")
    issues = [issue.text for issue in problems_of(other, graph)]
    assert not any("does not exist" in text or "has no" in text for text in issues)  # no layout problems
    assert issues == [
        f"{KUBECTL}: 1.30.1 at core-chart/values.yaml:3; 1.27.8 at "
        "ocm-transport-controller-chart/templates/controller.yaml:1; "
        "1.27.8 at scripts/deploy-transport-controller.sh:2"
    ]


def test_own_graph_file_wins(tmp_path: Path) -> None:
    root = checkout(tmp_path, V024_FILES)
    (root / NAME).write_text(discover.discover(root))
    graph = select.load_graph(root, NAME)
    assert (graph.source, graph.file) == (NAME, NAME)


def test_discovery_declares_undeclared_mentions(tmp_path: Path) -> None:
    files = {k: v for k, v in V024_FILES.items() if k != "oldocs/README.md"}
    files["hack/run-addon.sh"] = (
        "helm install oci://ghcr.io/kubestellar/ocm-status-addon-chart --version v0.2.0-rc11\n"
    )
    files["hack/pull.sh"] = "docker pull quay.io/kubestellar/clusteradm:0.9.0\n"
    root = checkout(tmp_path, files)
    data = yaml.safe_load(discover.discover(root))
    ids = {ref["id"]: ref for ref in data["references"]}
    assert "oldocs-latest-regular-release" not in ids  # the checkout does not have it
    assert ids["hack-pull-clusteradm-image"]["file"] == "hack/pull.sh"
    assert ids["hack-run-addon-ocm-status-addon-chart"]["file"] == "hack/run-addon.sh"
    graph = parse.parse_graph(data, "d")
    texts = [issue.text for issue in problems_of(root, graph)]
    assert not any("undeclared" in text for text in texts)
    assert any(text.startswith("references to clusteradm-image disagree: 0.8.2 at") for text in texts)


def test_known_disagreements_are_warnings_and_new_ones_fail(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    root = checkout(tmp_path, V024_FILES)
    assert discover.write_discovered(root, NAME) == root / NAME
    text = (root / NAME).read_text()
    assert text.count("- problem:") == 2 and text.count("  reason: ''") == 2
    assert discover.write_discovered(root, NAME) is None and (root / NAME).read_text() == text  # kept

    def verify() -> None:
        graph = select.load_graph(root, NAME)
        check.verify_versions(graph, root, scan.scan(graph, root))

    verify()
    err = capsys.readouterr().err
    assert err.count("warning: known version disagreement (no reason given yet)") == 2
    assert f"{HELM}: 3.14.0 at config/postcreate-hooks/kubestellar.yaml:3;" in err
    assert "apart from 2 known problem(s)" in err

    # Moving a known problem to other lines keeps it known.
    values = root / "core-chart/values.yaml"
    values.write_text("# moved\n\n" + values.read_text())
    verify()
    capsys.readouterr()

    # A known one changes: fail.
    values.write_text(values.read_text().replace('HELM_VERSION: "3.15.0"', 'HELM_VERSION: "3.16.0"'))
    with pytest.raises(KstasksError) as caught:
        verify()
    assert caught.value.code == 1
    assert (
        f"{HELM}: 3.14.0 at config" in caught.value.message
        and "3.16.0 at core-chart/values.yaml:4 (it was known as: references to helm-image"
        in caught.value.message
    )
    assert "can go" not in capsys.readouterr().err

    # Fixing a known one passes and says the entry can go.
    values.write_text(values.read_text().replace('HELM_VERSION: "3.16.0"', 'HELM_VERSION: "3.14.0"'))
    verify()
    err = capsys.readouterr().err
    assert f"its entry in {NAME} can go: {HELM}" in err
    assert err.count("warning: known version disagreement") == 1


def test_a_new_problem_fails_beside_known_ones(tmp_path: Path) -> None:
    root = checkout(tmp_path, V024_FILES)
    discover.write_discovered(root, NAME)
    script = root / "scripts/deploy-transport-controller.sh"
    script.write_text(script.read_text() + "# quay.io/kubestellar/helm:3.13.0\n")
    graph = select.load_graph(root, NAME)
    with pytest.raises(KstasksError) as caught:
        check.verify_versions(graph, root, scan.scan(graph, root))
    assert caught.value.code == 1
    assert (
        "scripts/deploy-transport-controller.sh:3: undeclared reference to helm-image (3.13.0)"
        in caught.value.message
    )


def test_known_entries_need_a_problem_text() -> None:
    with pytest.raises(KstasksError) as caught:
        parse.parse_graph({"known": [{"reason": "x"}]}, "g")
    assert caught.value.code == 2


def test_tables_sort_by_file_then_numeric_line(tmp_path: Path) -> None:
    values = "".join(f"# {n}\n" for n in range(8)) + 'HELM_VERSION: "3.15.0"\nKUBECTL_VERSION: "1.30.1"\n'
    root = checkout(
        tmp_path,
        {
            **V024_FILES,
            "core-chart/values.yaml": values + 'KUBESTELLAR_VERSION: "0.24.0"\n'
            'CLUSTERADM_VERSION: "0.8.2"\nOCM_STATUS_ADDON_VERSION: "0.2.0-rc11"\n',
        },
    )
    graph = parse.bundled_graph()
    rows = scan.table(graph, scan.scan(graph, root))
    places = [(row["file"], row["line"]) for row in rows]
    assert places == sorted(places)
    lines = [line for file, line in places if file == "core-chart/values.yaml"]
    assert lines == [9, 10, 11, 12, 13]
    table = scan.format_table(rows).splitlines()
    assert [line.split()[1] for line in table[1:]] == [f"{file}:{line}" for file, line in places]


def test_an_artifacts_registry_tag_writes_build_metadata_as_helm_does() -> None:
    from kstasks.core.semver import parse_release_version
    from kstasks.release.graph.model import Artifact

    version = parse_release_version("0.31.0+build.7")
    assert Artifact("c", "chart", "core-chart", "oci://r").tag(version) == "0.31.0_build.7"
    assert Artifact("i", "image", "app", "r", v_prefix=True).tag(version) == "v0.31.0_build.7"
