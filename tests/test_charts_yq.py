"""`chart` writes the bytes of `make chart` (kustomize build | yq | yq), checked with the real tools."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from kstasks.charts import derive, yqwrite
from kstasks.project import settings
from kstasks.toolchain import tools
from tests.conftest import git, kstasks, tree_digest

PREFIX = "{{.Values.ControlPlaneName}}-"
YQ_PASSES = (
    f'. | select(.kind == "ClusterRole*").metadata.name |= "{PREFIX}" + .',
    f'. | select(.kind == "ClusterRoleBinding").roleRef.name |= "{PREFIX}" + .',
)
TEMPLATE = "chart/templates/controller-manager.yaml"
IMAGE = "ghcr.io/kubestellar/kubestellar/controller-manager:v0.24.0"

# Hand-written kustomize-shaped output and what yq v4 makes of it (compact sequences indented,
# folded scalars on one line, names single-quoted because of the leading '{').
KUSTOMIZED = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  annotations:
    note: a long plain annotation value that kustomize folds at the eightieth
      column of its output
  name: manager-role
rules:
- apiGroups:
  - ""
  verbs:
  - - nested
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: it's-binding
roleRef:
  kind: ClusterRole
  name: manager-role
"""
YQ_WRITES = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  annotations:
    note: a long plain annotation value that kustomize folds at the eightieth column of its output
  name: '{{.Values.ControlPlaneName}}-manager-role'
rules:
  - apiGroups:
      - ""
    verbs:
      - - nested
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: '{{.Values.ControlPlaneName}}-it''s-binding'
roleRef:
  kind: ClusterRole
  name: '{{.Values.ControlPlaneName}}-manager-role'
"""

# Resources meant to trip a re-serialiser: empty strings, quotes, long and multi-line strings,
# block scalars, nested and empty sequences, comments, a leading '---', unicode, tabs.
TRICKY_RBAC = """\
---
# A head comment on the ClusterRole
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: "manager-role"   # line comment
  annotations:
    empty: ""
    single: 'it''s'
    long: "a very long double quoted annotation value that certainly goes past the eighty column limit"
    longplain: a very long plain annotation value that certainly goes past the eighty column limit, ok
    longsingle: 'a very long single quoted annotation value that certainly goes past the eighty columns'
    tabbed: "a\\tb with a long tail of text that is long enough to be folded by kustomize's emitter"
    unicode: "héllo wörld — a long unicode value that is long enough to get folded by the emitter"
    escapes: "bell\\a and nbsp\\u00a0 and line\\u2028sep, long enough to be folded by the emitter here"
rules:
- apiGroups: [""]
  resources: ["configmaps", "secrets"]
  verbs:
  # a comment inside a sequence
  - get
  - list   # trailing
- apiGroups:
  - apps
  resources: []
  verbs: ["*"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: manager-rolebinding
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: manager-role
subjects:
- kind: ServiceAccount
  name: controller-manager
  namespace: system
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: leader-election-role
rules:
- apiGroups:
  - ""
  verbs:
  - - nested
    - seq
  - get
"""
TRICKY_CONFIG = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: config
data:
  script: |
    #!/bin/sh
    echo "hello"

      indented line
    done
  keep: |+
    trailing newlines kept

  folded: >
    folded text that
    goes on
  empty: ""
  nulls: ~
  number: "123"
  bool: "true"
  spaces: "  leading and trailing  "
  multi: "line one\\nline two"
  longmulti: "a first line that is long enough to matter when folded by the emitter\\nand a second"
"""

TRICKY_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: dep
spec:
  template:
    spec:
      containers:
      - name: c
        args:
        - --a-very-long-argument-value with spaces that is going to be folded by the kustomize emitter
        - "trailing spaces on lines  \\nsecond line  \\n"
        - - nested sequence item that is rather long and has spaces so that it gets folded by the emitter too
        env:
        - name: X
          value: "tab\\there and a long tail so that the emitter wants to fold this double quoted string ok"
        - name: Y
          value: |
            literal block
              with indentation
        - name: Z
          value: 'single '' quoted with a long tail so that the emitter wants to fold this single quoted one'
        - name: W
          value: "   leading spaces and a long tail so that the emitter wants to fold this string here ok"
        - name: V
          value: "ends with space and a long tail so that the emitter wants to fold this string here ok "
        - name: U
          value: "# looks like a comment and a long tail so that the emitter wants to fold this string here"
        - name: T
          value: "key: value looking string and a long tail so that the emitter wants to fold this string"
"""


def test_kustomize_text_becomes_yq_bytes() -> None:
    assert derive.prefix_cluster_rbac(KUSTOMIZED, PREFIX) == YQ_WRITES


def test_double_quoted_escapes_as_go_yaml() -> None:
    assert (
        yqwrite.double_quoted('a\tb"\\\x07\u00a0\u2028\U0001f600\x01')
        == '"a\\tb\\"\\\\\\a\u00a0\\L\U0001f600\\x01"'
    )
    assert yqwrite.yq_string(PREFIX + "x ") == "'{{.Values.ControlPlaneName}}-x '"  # spaces allow quotes
    assert yqwrite.yq_string(PREFIX + "a\tb") == '"{{.Values.ControlPlaneName}}-a\\tb"'  # a tab does not


def test_no_chart_directory_exits_2_and_writes_nothing(sample_repo: Path) -> None:
    shutil.rmtree(sample_repo / "chart")
    git(sample_repo, "commit", "-qam", "no chart, as from v0.25.0 on")
    before = tree_digest(sample_repo)
    result = kstasks("chart", "--image", IMAGE, "--with-manifests", cwd=sample_repo, env={"KSTASKS_REPO": ""})
    assert result.returncode == 2, result.stderr
    assert "has no chart/ directory" in result.stderr and "==>" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert tree_digest(sample_repo) == before


def _binaries() -> tuple[str, str]:
    box = tools.Toolbox(settings.defaults({})["versions"])
    return str(box.binary("kustomize")), str(box.binary("yq"))


def makefile_pipeline(kustomize: str, yq: str, directory: Path, cwd: Path) -> bytes:
    """`kustomize build DIR | yq ... | yq ...`, as the Makefile's chart recipe runs it."""
    built = subprocess.run(
        [kustomize, "build", str(directory)], cwd=cwd, capture_output=True, check=True
    ).stdout
    for expression in YQ_PASSES:
        built = subprocess.run([yq, expression], input=built, capture_output=True, check=True).stdout
    return built


@pytest.mark.tools
def test_tricky_resources_give_yq_bytes(tmp_path: Path) -> None:
    kustomize, yq = _binaries()
    (tmp_path / "kustomization.yaml").write_text(
        "namePrefix: ks-\nresources:\n- rbac.yaml\n- config.yaml\n- deployment.yaml\n"
    )
    (tmp_path / "deployment.yaml").write_text(TRICKY_DEPLOYMENT)
    (tmp_path / "rbac.yaml").write_text(TRICKY_RBAC)
    (tmp_path / "config.yaml").write_text(TRICKY_CONFIG)
    built = subprocess.run(
        [kustomize, "build", "."], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    expected = makefile_pipeline(kustomize, yq, tmp_path, tmp_path)
    assert "\n      " in built.stdout  # kustomize folded long scalars: the case yq unfolds
    assert derive.prefix_cluster_rbac(built.stdout, PREFIX).encode() == expected


@pytest.mark.tools
def test_chart_writes_the_makefile_bytes(sample_repo: Path) -> None:
    kustomize, yq = _binaries()
    stripped = derive.makefile_image(IMAGE)
    subprocess.run(
        [kustomize, "edit", "set", "image", f"controller={stripped}"],
        cwd=sample_repo / "config/manager",
        check=True,
    )
    expected = makefile_pipeline(kustomize, yq, Path("config/default"), sample_repo)
    git(sample_repo, "checkout", "--", "config/manager/kustomization.yaml")
    result = kstasks("chart", "--image", IMAGE, cwd=sample_repo, env={"KSTASKS_REPO": str(sample_repo)})
    assert result.returncode == 0, result.stderr
    assert (sample_repo / TEMPLATE).read_bytes() == expected
    assert b"\n  - " in expected and b"'{{.Values.ControlPlaneName}}-" in expected
    # kustomize folds the sample's long annotation; yq (and kstasks) write it on one line
    assert b"description: 'The KubeStellar controller manager: it watches binding policies in" in expected
