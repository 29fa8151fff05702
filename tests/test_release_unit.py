"""The version-reference graph: parsing, finding, editing with every other byte kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from kstasks.core.errors import KstasksError
from kstasks.core.semver import parse_release_version
from kstasks.release import verify
from kstasks.release.graph import check, edit, parse, scan

GRAPH = {
    "artifacts": {
        "chart": {"kind": "chart", "name": "core-chart", "registry": "oci://ghcr.io/ks/ks", "self": True},
        "helm": {"kind": "image", "name": "helm", "registry": "quay.io/ks"},
        "addon": {"kind": "chart", "name": "addon-chart", "registry": "oci://ghcr.io/ks", "v_prefix": True},
    },
    "references": [
        {
            "id": "values",
            "artifact": "chart",
            "file": "values.yaml",
            "yaml_path": "KS_VERSION",
            "set": "release",
        },
        {
            "id": "nested",
            "artifact": "chart",
            "file": "values.yaml",
            "yaml_path": "docs.latest[1]",
            "set": "regular",
            "agree": "regular",
        },
        {
            "id": "script",
            "artifact": "helm",
            "file": "run.sh",
            "pattern": r"quay\.io/ks/helm:(?P<version>[\w.+-]+)",
        },
        {"id": "values-helm", "artifact": "helm", "file": "values.yaml", "yaml_path": "HELM"},
        {
            "id": "doc",
            "artifact": "chart",
            "file": "README.md",
            "pattern": r"latest release is (?P<version>\S+?)\.?$",
            "set": "release",
        },
        {"id": "addon", "artifact": "addon", "file": "values.yaml", "yaml_path": "ADDON"},
    ],
}

VALUES = """\
# Top comment: keep me exactly.
KS_VERSION: "0.1.0"   # trailing comment
HELM:   '3.14.0'
ADDON: v0.2.0
docs:
  latest:
  - first
  - 0.1.0  # plain scalar
zzz: last
"""
SCRIPT = '#!/bin/sh\n# run helm\nexec docker run quay.io/ks/helm:3.14.0 "$@"\n'
README = "# Sample\n\nThe latest release is 0.1.0.\n"


def make(tmp_path: Path, values: str = VALUES, script: str = SCRIPT) -> tuple[verify.Graph, scan.Scan]:
    (tmp_path / "values.yaml").write_text(values)
    (tmp_path / "run.sh").write_text(script)
    (tmp_path / "README.md").write_text(README)
    graph = parse.parse_graph(GRAPH, "test graph")
    return graph, scan.scan(graph, tmp_path)


def all_files(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in tmp_path.iterdir())


def test_finds_yaml_and_pattern_references_with_lines(tmp_path: Path) -> None:
    _, found = make(tmp_path)
    where = {(o.spec.id, o.file, o.line, o.value, o.style) for o in found.occurrences}
    assert where == {
        ("values", "values.yaml", 2, "0.1.0", '"'),
        ("nested", "values.yaml", 8, "0.1.0", ""),
        ("script", "run.sh", 3, "3.14.0", ""),
        ("values-helm", "values.yaml", 3, "3.14.0", "'"),
        ("doc", "README.md", 3, "0.1.0", ""),
        ("addon", "values.yaml", 4, "v0.2.0", ""),
    }
    assert found.missing == []


def test_clean_graph_has_no_problems(tmp_path: Path) -> None:
    graph, found = make(tmp_path)
    assert check.problems(graph, tmp_path, found, all_files(tmp_path)) == []


def test_problems_are_named(tmp_path: Path) -> None:
    values = VALUES.replace("HELM:   '3.14.0'", "HELM:   '3.15.0'").replace("ADDON: v0.2.0", "ADDON: 0.2.0")
    values = values.replace('KS_VERSION: "0.1.0"', 'KS_VERSION: "latest"')
    graph, found = make(tmp_path, values=values)
    (tmp_path / "extra.txt").write_text("pull quay.io/ks/helm:3.13.0 here\n")
    issues = [str(i) for i in check.problems(graph, tmp_path, found, all_files(tmp_path))]
    assert "values.yaml:2: 'latest' is not a valid version (values)" in issues
    assert "values.yaml:4: '0.2.0' should carry a v (addon)" in issues
    assert any(
        i.startswith("references to helm disagree: 3.14.0 at run.sh:3; 3.15.0 at values.yaml:3")
        for i in issues
    )
    assert "extra.txt:1: undeclared reference to helm (3.13.0); declare it in the graph file" in issues


def test_missing_file_and_path_are_problems(tmp_path: Path) -> None:
    graph, _ = make(tmp_path, values=VALUES.replace("ADDON: v0.2.0\n", ""))
    (tmp_path / "run.sh").unlink()
    found = scan.scan(graph, tmp_path)
    issues = [str(i) for i in check.problems(graph, tmp_path, found, all_files(tmp_path))]
    assert "script (helm): run.sh does not exist" in issues
    assert "addon (addon-chart): values.yaml has no scalar at ADDON" in issues


def test_regular_release_edits_only_values(tmp_path: Path) -> None:
    graph, found = make(tmp_path)
    edits = edit.release_edits(graph, found, parse_release_version("v0.25.0"))
    assert edits["values.yaml"] == VALUES.replace('KS_VERSION: "0.1.0"', 'KS_VERSION: "0.25.0"').replace(
        "  - 0.1.0  # plain scalar", "  - 0.25.0  # plain scalar"
    )
    assert edits["README.md"] == README.replace("0.1.0", "0.25.0")
    assert "run.sh" not in edits


def test_rc_leaves_regular_literals(tmp_path: Path) -> None:
    graph, found = make(tmp_path)
    edits = edit.release_edits(graph, found, parse_release_version("0.25.0-rc.1"))
    assert edits["values.yaml"] == VALUES.replace('KS_VERSION: "0.1.0"', 'KS_VERSION: "0.25.0-rc.1"')


def test_edits_are_idempotent(tmp_path: Path) -> None:
    graph, found = make(tmp_path)
    version = parse_release_version("0.25.0")
    for file, text in edit.release_edits(graph, found, version).items():
        (tmp_path / file).write_text(text)
    assert edit.release_edits(graph, scan.scan(graph, tmp_path), version) == {}


def test_single_quoted_and_v_prefixed_literals_keep_their_form(tmp_path: Path) -> None:
    data = {
        **GRAPH,
        "references": [
            {**GRAPH["references"][3], "set": "release"},
            {**GRAPH["references"][5], "set": "release"},
        ],
    }
    (tmp_path / "values.yaml").write_text(VALUES)
    graph = parse.parse_graph(data, "t")
    edits = edit.release_edits(graph, scan.scan(graph, tmp_path), parse_release_version("1.2.3"))
    assert edits["values.yaml"] == VALUES.replace("'3.14.0'", "'1.2.3'").replace(
        "ADDON: v0.2.0", "ADDON: v1.2.3"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"artifact": "nope"}, "unknown artifact 'nope'"),
        ({"pattern": "x"}, "exactly one of yaml_path or pattern"),
        ({"set": "sometimes"}, "set must be one of"),
    ],
)
def test_malformed_graph_exits_2(change: dict, message: str) -> None:
    data = {**GRAPH, "references": [{**GRAPH["references"][0], **change}]}
    with pytest.raises(KstasksError) as caught:
        parse.parse_graph(data, "g")
    assert caught.value.code == 2 and message in caught.value.message


def test_pattern_without_version_group_exits_2() -> None:
    data = {**GRAPH, "references": [{**GRAPH["references"][2], "pattern": "helm:(\\S+)"}]}
    with pytest.raises(KstasksError, match="version"):
        parse.parse_graph(data, "g")


def test_mention_patterns() -> None:
    graph = parse.parse_graph(GRAPH, "g")
    chart = graph.artifacts["chart"].mention_pattern()
    text = '  - oci://ghcr.io/ks/ks/core-chart\n  - --version\n  - "0.3.0"\n'
    assert chart.search(text)["version"] == "0.3.0"
    assert (
        graph.artifacts["helm"].mention_pattern().search("image: quay.io/ks/helm:v3.1.0")["version"]
        == "v3.1.0"
    )


def test_channels() -> None:
    assert parse_release_version("0.25.0").channel == "stable"
    assert parse_release_version("0.25.0-rc.2").channel == "dev"
