"""`chart` follows the checkout's own Makefile: v0.21's add-helm-code.sh, or the yq passes of v0.22 on."""

from __future__ import annotations

from pathlib import Path

import pytest

from kstasks.charts import derive
from kstasks.core.errors import KstasksError
from kstasks.project.repo import Checkout
from tests.conftest import git, kstasks

PREFIX = "{{.Values.ControlPlaneName}}-"
V021_RECIPE = """\
.PHONY: chart
chart: manifests kustomize
\tcd config/manager && $(KUSTOMIZE) edit set image controller=$(shell echo ${IMG} | sed 's/\\(:.*\\)v/\\1/')
\t$(KUSTOMIZE) build config/default > chart/templates/controller-manager.yaml
\tscripts/add-helm-code.sh add

.PHONY: local-chart
local-chart: manifests kustomize
\tscripts/add-helm-code.sh add
"""
V024_RECIPE = """\
.PHONY: chart
chart: manifests kustomize
\t$(KUSTOMIZE) build config/default \\
\t\t| yq '. | select(.kind == "ClusterRole*").metadata.name |= "{{.Values.ControlPlaneName}}-" + .' \\
\t\t> chart/templates/controller-manager.yaml

local-chart:
\tscripts/add-helm-code.sh add
"""


def _configmap(n: int) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm{n}\n"


def test_add_helm_code_as_v021_wrote_it() -> None:
    kustomized = (
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n"
        "  labels:\n    x: ks-role-x\n  name: ks-role\nrules:\n- verbs:\n  - get\n---\n"
        "kind: ClusterRoleBinding\nmetadata:\n  name: ks-binding\nroleRef:\n  name: ks-role\n"
        "subjects:\n- kind: ServiceAccount\n---\n"
        + "---\n".join(_configmap(n) for n in range(3, 11))
        + "---\n"
        + "kind: ConfigMap\ndata:\n  regex: a\\d+ and \\\\ back\n#{{- removed -}}\n"
    )
    expected = (
        # the sed replaces the name everywhere in its document, quoted
        "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n"
        f"  labels:\n    x: '{PREFIX}ks-role'-x\n  name: '{PREFIX}ks-role'\nrules:\n- verbs:\n  - get\n"
        # documents come back in the glob's order: 1, 10, 11, 2, 3, ...
        + "---\n"
        + _configmap(10)
        + "---\n"
        + "kind: ConfigMap\ndata:\n  regex: ad+ and \\ back\n"  # `read` without -r eats backslashes
        # yq rewrote the binding: sequences indented
        + f"---\nkind: ClusterRoleBinding\nmetadata:\n  name: '{PREFIX}ks-binding'\nroleRef:\n"
        f"  name: '{PREFIX}ks-role'\nsubjects:\n  - kind: ServiceAccount\n"
        + "".join("---\n" + _configmap(n) for n in range(3, 10))
    )
    assert derive.add_helm_code(kustomized, PREFIX) == expected


def test_recipe_reading() -> None:
    assert "add-helm-code.sh" in derive.makefile_recipe(V021_RECIPE, "chart")
    assert "add-helm-code.sh" not in derive.makefile_recipe(V024_RECIPE, "chart")
    assert derive.makefile_recipe(V024_RECIPE, "nope") == ""


@pytest.mark.parametrize(
    ("makefile", "expected"), [(V021_RECIPE, "add-helm-code"), (V024_RECIPE, "yq"), ("", "yq")]
)
def test_name_rewrite_follows_the_makefile(tmp_path: Path, makefile: str, expected: str) -> None:
    (tmp_path / "go.mod").write_text("module example.com/x\n")
    if makefile:
        (tmp_path / "Makefile").write_text(makefile)
    checkout = Checkout(tmp_path, "example.com/x", None)
    assert derive.name_rewrite(checkout, derive.ChartLayout()) == expected
    assert derive.name_rewrite(checkout, derive.ChartLayout(name_rewrite="yq")) == "yq"
    with pytest.raises(KstasksError) as caught:
        derive.name_rewrite(checkout, derive.ChartLayout(name_rewrite="sed"))
    assert caught.value.code == 2


@pytest.mark.tools
def test_chart_on_a_v021_layout(sample_repo: Path) -> None:
    (sample_repo / "Makefile").write_text(V021_RECIPE)
    git(sample_repo, "add", "Makefile")
    git(sample_repo, "commit", "-qm", "v0.21 Makefile")
    image = "ghcr.io/kubestellar/kubestellar/controller-manager:v0.21.2"
    result = kstasks("chart", "--image", image, cwd=sample_repo, env={"KSTASKS_REPO": str(sample_repo)})
    assert result.returncode == 0, result.stderr
    text = (sample_repo / "chart/templates/controller-manager.yaml").read_text()
    assert text.startswith("---\n") and f"name: '{PREFIX}" in text
    assert "image: ghcr.io/kubestellar/kubestellar/controller-manager:0.21.2" in text
    assert git(sample_repo, "status", "--porcelain") == ""


@pytest.mark.tools
def test_what_the_v021_script_cannot_read_stops_cleanly(sample_repo: Path) -> None:
    (sample_repo / "Makefile").write_text(V021_RECIPE)
    manager = sample_repo / "config/manager/manager.yaml"
    # `read` without -r turns this double-quoted "\\" into an unterminated string.
    manager.write_text(
        manager.read_text().replace('kubestellar.io/empty: ""', 'kubestellar.io/slash: "a\\\\"')
    )
    git(sample_repo, "add", "-A")
    git(sample_repo, "commit", "-qm", "backslash")
    result = kstasks("chart", "--image", "r/c:v1", cwd=sample_repo, env={"KSTASKS_REPO": str(sample_repo)})
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "cannot read scripts/add-helm-code.sh's split documents as YAML" in result.stderr
    assert not (sample_repo / "chart/templates/controller-manager.yaml").exists()
