"""verify-versions --published against stand-ins on loopback: a real registry, a GitHub API server
and a Go module proxy (both tests/fakegithub.py)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import kstasks
from tests.fakegithub import FakeGitHub, serve
from tests.oci import push_base_image
from tests.servers import free_port

# What the v0.30 variant pins in registries (repository below the registry host, tag).
OCI = [
    ("kubestellar/kubeflex/chart/kubeflex-operator", "v0.9.3"),
    ("argoproj/argo-helm/argo-cd", "9.1.0"),
    ("brancz/kube-rbac-proxy", "v0.20.2"),
    ("kubestellar/helm", "3.16.4"),
    ("kubestellar/helm", "3.14.0"),
    ("kubestellar/kubectl", "1.32.13"),
    ("kubestellar/clusteradm", "1.0.0"),
    ("kubestellar/clusteradm", "0.8.2"),
    ("kubestellar/ocm-status-addon-chart", "v0.2.0-rc17"),
]


def published(repo: Path, *args: str):  # type: ignore[no-untyped-def]
    return kstasks("verify-versions", "--published", *args, cwd=repo, env={"KSTASKS_REPO": str(repo)})


def releases(fake: FakeGitHub, *, clusteradm: bool) -> None:
    asset = {"name": "kubeflex_0.9.3_linux_amd64.tar.gz"}
    fake.answer(
        "/repos/kubestellar/kubeflex/releases/tags/v0.9.3",
        (200, {}, {"tag_name": "v0.9.3", "assets": [asset]}),
    )
    if clusteradm:
        fake.answer(
            "/repos/open-cluster-management-io/clusteradm/releases/tags/v1.0.0", (200, {}, {"assets": []})
        )


def test_published_finds_a_missing_chart_tag_release_and_module_version(
    sample_v030: Path, registry: str
) -> None:
    for repository, tag in OCI[1:]:  # everything but the kubeflex-operator chart at v0.9.3
        push_base_image(registry, repository, tag, ("amd64",))
    with serve() as github, serve() as proxy:
        releases(github, clusteradm=False)  # no clusteradm v1.0.0 release
        for version in ("v0.17.3", "v0.13.0"):  # controller-gen: the Makefile's pin, the CRDs' stamp
            path = f"/sigs.k8s.io/controller-tools/@v/{version}.info"
            proxy.answer(path, (200, {}, {"Version": version}))
        result = published(
            sample_v030, "--registry", registry, "--api-url", github.url, "--goproxy", proxy.url
        )
        assert result.returncode == 1, result.stderr
        assert "3 pinned reference(s) name something that is not published" in result.stderr
        chart = "ghcr.io/kubestellar/kubeflex/chart/kubeflex-operator"
        assert f"{chart}: no tag v0.9.3 (named at core-chart/Chart.yaml:16)" in result.stderr
        assert "open-cluster-management-io/clusteradm: no release v1.0.0" in result.stderr
        assert "k8s.io/client-go: no module version v0.28.11 (named at go.mod:7)" in result.stderr
        assert "kubestellar/kubeflex: no release" not in result.stderr
        assert proxy.count("/k8s.io/client-go/@v/v0.28.11.info") == 1

        push_base_image(registry, OCI[0][0], OCI[0][1], ("amd64",))
        releases(github, clusteradm=True)
        proxy.answer("/k8s.io/client-go/@v/v0.28.11.info", (200, {}, {"Version": "v0.28.11"}))
        good = published(sample_v030, "--registry", registry, "--api-url", github.url, "--goproxy", proxy.url)
        assert good.returncode == 0, good.stderr
        assert "verify-versions --published: 14 published artifact version(s) exist" in good.stderr

        # A proxy nobody answers at: one warning for that host, every other check still made.
        closed = f"http://127.0.0.1:{free_port()}"
        down = published(sample_v030, "--registry", registry, "--api-url", github.url, "--goproxy", closed)
        assert down.returncode == 0, down.stderr
        assert down.stderr.count("cannot be asked") == 1
        assert "11 published artifact version(s) exist, 3 not checked" in down.stderr


def test_published_with_a_missing_asset_and_nothing_reachable(sample_v030: Path) -> None:
    with serve() as github:
        github.answer(
            "/repos/kubestellar/kubeflex/releases/tags/v0.9.3", (200, {}, {"assets": [{"name": "other"}]})
        )
        closed = f"127.0.0.1:{free_port()}"
        result = published(
            sample_v030, "--registry", closed, "--api-url", github.url, "--goproxy", f"http://{closed}"
        )
        assert result.returncode == 1, result.stderr
        assert (
            "kubestellar/kubeflex: no release or no asset kubeflex_0.9.3_linux_amd64.tar.gz in it v0.9.3"
            in result.stderr
        )
        assert result.stderr.count("cannot be asked") == 1  # the registry and the proxy share the host
        assert "Traceback" not in result.stderr
    bad = published(sample_v030, "--api-url", "ftp://x")
    assert bad.returncode == 2 and "not an http(s) URL" in bad.stderr
