"""Chart plumbing without tools: the Makefile's sed, the yq rewrites, values edits, versions."""

from __future__ import annotations

import pytest

from kstasks.charts import derive, staging
from kstasks.core.errors import KstasksError
from kstasks.core.semver import parse_release_version, try_parse
from kstasks.remote.network import is_loopback
from kstasks.remote.registry import Reference


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (
            "ghcr.io/kubestellar/kubestellar/controller-manager:v0.24.0",
            "ghcr.io/kubestellar/kubestellar/controller-manager:0.24.0",
        ),
        (
            "ghcr.io/kubestellar/kubestellar/controller-manager:0.24.0",
            "ghcr.io/kubestellar/kubestellar/controller-manager:0.24.0",
        ),
        ("reg/controller-manager:abc1234", "reg/controller-manager:abc1234"),
        ("localhost:5000/x/controller-manager:v1.2.3", "localhost:5000/x/controller-manager:1.2.3"),
    ],
)
def test_makefile_image_sed(image: str, expected: str) -> None:
    assert derive.makefile_image(image) == expected


MANIFESTS = """\
kind: ClusterRole
metadata:
  name: kubestellar-manager-role
---
kind: Role
metadata:
  name: kubestellar-leader-election-role
---
kind: ClusterRoleBinding
metadata:
  name: kubestellar-manager-rolebinding
roleRef:
  kind: ClusterRole
  name: kubestellar-manager-role
---
kind: RoleBinding
metadata:
  name: kubestellar-leader-election-rolebinding
roleRef:
  kind: Role
  name: kubestellar-leader-election-role
"""


def test_cluster_rbac_names_are_prefixed() -> None:
    import yaml

    docs = list(yaml.safe_load_all(derive.prefix_cluster_rbac(MANIFESTS, "{{.Values.ControlPlaneName}}-")))
    assert [d["metadata"]["name"] for d in docs] == [
        "{{.Values.ControlPlaneName}}-kubestellar-manager-role",
        "kubestellar-leader-election-role",
        "{{.Values.ControlPlaneName}}-kubestellar-manager-rolebinding",
        "kubestellar-leader-election-rolebinding",
    ]
    assert docs[2]["roleRef"]["name"] == "{{.Values.ControlPlaneName}}-kubestellar-manager-role"
    assert docs[3]["roleRef"]["name"] == "kubestellar-leader-election-role"


def test_values_line_is_set_like_the_workflow_sed() -> None:
    text = '# header\nKUBESTELLAR_VERSION: "0.1.0"  # set by release\nother: 1\n'
    assert staging.set_yaml_scalar_line(text, "KUBESTELLAR_VERSION", "0.25.0") == (
        '# header\nKUBESTELLAR_VERSION: "0.25.0"\nother: 1\n'
    )
    with pytest.raises(KstasksError) as caught:
        staging.set_yaml_scalar_line("other: 1\n", "KUBESTELLAR_VERSION", "1.0.0")
    assert caught.value.code == 2


@pytest.mark.parametrize(
    ("text", "expected", "channel"),
    [
        ("v0.25.0", "0.25.0", "stable"),
        ("0.25.0", "0.25.0", "stable"),
        ("v0.24.0-rc.1", "0.24.0-rc.1", "dev"),
    ],
)
def test_release_versions(text: str, expected: str, channel: str) -> None:
    version = parse_release_version(text)
    assert (version.text, version.tag, version.channel) == (expected, f"v{expected}", channel)


@pytest.mark.parametrize("text", ["banana", "0.25", "v0.25.0.1", "01.2.3", "", "0.25.0-", "vv1.0.0"])
def test_invalid_release_versions_exit_2(text: str) -> None:
    assert try_parse(text) is None
    with pytest.raises(KstasksError) as caught:
        parse_release_version(text)
    assert caught.value.code == 2


def test_registry_references() -> None:
    local = Reference.parse("oci://127.0.0.1:5000/ks/charts")
    assert (local.host, local.path, local.plain_http) == ("127.0.0.1:5000", "ks/charts", True)
    assert local.repository("core-chart") == "ks/charts/core-chart"
    remote = Reference.parse("ghcr.io/kubestellar/kubestellar")
    assert remote.plain_http is False and remote.oci() == "oci://ghcr.io/kubestellar/kubestellar"
    assert is_loopback("localhost") and is_loopback("::1") and not is_loopback("10.0.0.1")
    with pytest.raises(KstasksError):
        Reference.parse("https://example.com/x")
