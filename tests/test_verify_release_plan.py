"""verify-release on the v0.30-shaped sample: every artifact its goreleaser config and workflow
describe, published to the real loopback registry (signed with the real cosign) and to the local
GitHub API server; then each tamper fails naming the artifact.

The published release is made here from the plan's artifact list (images pushed over the
distribution API, the chart with the pinned helm, assets with kstasks' own publish_release), so
that these checks do not depend on building the release.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kstasks.project import settings
from kstasks.release.goreleaser import config as goreleaser
from kstasks.remote import releases
from kstasks.toolchain import tools
from tests.conftest import kstasks
from tests.fakegithub import FakeGitHub, serve
from tests.oci import push_base_image
from tests.samples import make_variant_repo
from tests.test_signing import PASSWORD, make_key_pair

VERSION = "0.30.0"
TAG = f"v{VERSION}"
REPO = "kubestellar/kubestellar"
TOKEN = "ghs_verify_release_test_token"


@dataclass
class Published:
    checkout: Path
    location: str
    github: FakeGitHub
    public: Path
    other_key: Path
    other_public: Path
    digests: dict[str, str]
    assets: dict[str, Path]


def _tar_gz(members: dict[str, bytes]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, data in sorted(members.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o755
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


def _sign_blob(cosign: Path, key: Path, blob: Path, out: Path) -> None:
    env = {**os.environ, "COSIGN_PASSWORD": PASSWORD}
    args = [str(cosign), "sign-blob", "--key", str(key), "--tlog-upload=false", "--yes"]
    subprocess.run(
        [*args, "--output-signature", str(out), str(blob)], env=env, check=True, capture_output=True
    )


def _sign_image(cosign: Path, key: Path, reference: str) -> None:
    env = {**os.environ, "COSIGN_PASSWORD": PASSWORD}
    args = [
        str(cosign),
        "sign",
        "--key",
        str(key),
        "--tlog-upload=false",
        "--yes",
        "--allow-insecure-registry",
    ]
    subprocess.run([*args, "--allow-http-registry", reference], env=env, check=True, capture_output=True)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, registry: str) -> Iterator[Published]:
    root = tmp_path_factory.mktemp("verify-plan")
    checkout = make_variant_repo(root / "checkout", "v0.30", tag=TAG)
    toolbox = tools.Toolbox(settings.DEFAULTS["versions"])
    cosign, helm = toolbox.binary("cosign"), toolbox.binary("helm")
    key, public = make_key_pair(cosign, root / "keys")
    other_key, other_public = make_key_pair(cosign, root / "other-keys")
    location = f"{registry}/verify/r30"
    expected = goreleaser.expected_artifacts(goreleaser.load_plan(checkout), VERSION)
    digests = {}
    for name in sorted({a.name for a in expected if a.kind == "image"}):
        repository, _, tag = name.rpartition(":")
        short = repository.rsplit("/", 1)[-1]
        digests[short] = push_base_image(registry, f"verify/r30/{short}", tag, ("amd64", "arm64"), note=short)
        _sign_image(cosign, key, f"{location}/{short}@{digests[short]}")
    chart_dir = root / "chart-src"
    shutil.copytree(checkout / "core-chart", chart_dir / "core-chart")
    for name, version in (("kubeflex-operator", "v0.9.3"), ("argo-cd", "9.1.0")):  # stand-ins, no network
        (chart_dir / "core-chart" / "charts" / name).mkdir(parents=True)
        (chart_dir / "core-chart" / "charts" / name / "Chart.yaml").write_text(
            f"apiVersion: v2\nname: {name}\nversion: {version}\n"
        )
    subprocess.run(
        [str(helm), "package", str(chart_dir / "core-chart"), "--version", VERSION, "--app-version", VERSION,
         "--destination", str(chart_dir)],
        check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(
        [str(helm), "push", str(chart_dir / f"core-chart-{VERSION}.tgz"), f"oci://{location}",
         "--plain-http"],
        check=True, capture_output=True, env={**os.environ, "HELM_REGISTRY_CONFIG": str(root / "helm.json")},
    )  # fmt: skip
    dist = root / "dist"
    dist.mkdir()
    assets: dict[str, Path] = {}
    for artifact in expected:
        if artifact.kind == "archive":
            data = _tar_gz({m: f"{m} {artifact.platform}\n".encode() for m in artifact.members})
        elif artifact.kind == "sbom":
            data = json.dumps({"spdxVersion": "SPDX-2.3", "name": artifact.source}).encode()
        else:
            continue
        assets[artifact.name] = dist / artifact.name
        assets[artifact.name].write_bytes(data)
    checksums = next(a for a in expected if a.kind == "checksums")
    lines = [
        f"{hashlib.sha256(assets[m].read_bytes()).hexdigest()}  {m}\n" for m in sorted(checksums.members)
    ]
    (dist / checksums.name).write_text("".join(lines))
    _sign_blob(cosign, key, dist / checksums.name, dist / f"{checksums.name}.sig")
    assets[checksums.name] = dist / checksums.name
    assets[f"{checksums.name}.sig"] = dist / f"{checksums.name}.sig"
    with serve() as github:
        releases.publish_release(github.url, REPO, TOKEN, TAG, list(assets.values()), prerelease=False)
        yield Published(checkout, location, github, public, other_key, other_public, digests, assets)


def verify(published: Published, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "KSTASKS_REPO": str(published.checkout),
        "GITHUB_API_URL": published.github.url,
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_TOKEN": "",
    }
    command = ("verify-release", VERSION, "--registry", published.location, *args)
    return kstasks(*command, cwd=published.checkout, env=env)


def report(published: Published) -> dict:  # type: ignore[type-arg]
    return json.loads((published.checkout / "dist" / f"release-{VERSION}.json").read_text())


@pytest.mark.tools
def test_a_complete_signed_release_verifies(published: Published) -> None:
    before = len(published.github.log)
    result = verify(published, "--key", str(published.public))
    assert result.returncode == 0, result.stderr
    requests = published.github.log[before:]
    assert requests and all(auth is None for *_, auth in requests)  # no token: none sent, not "Bearer "
    data = report(published)
    assert data["ok"] is True and data["problems"] == []
    kinds = sorted(entry["kind"] for entry in data["artifacts"])
    assert kinds.count("image") == 3 and kinds.count("chart") == 1 and kinds.count("sbom") == 6
    assert kinds.count("archive") == 2 and kinds.count("checksums") == 1
    images = {e["artifact"]: e for e in data["artifacts"] if e["kind"] == "image"}
    assert all(
        e["signature"] is True and e["platforms"] == ["linux/amd64", "linux/arm64"] for e in images.values()
    )
    chart = next(e for e in data["artifacts"] if e["kind"] == "chart")
    checked = {i["image"] for i in chart["images"] if i["checked"]}
    assert checked == {
        "ghcr.io/kubestellar/kubestellar/controller-manager:0.30.0",
        "ghcr.io/kubestellar/kubestellar/kflex-get-kubeconfig:0.30.0",  # `| default $.Values.X` evaluated
        "ghcr.io/kubestellar/kubestellar/ocm-transport-controller:0.30.0",
    }
    assert "quay.io/kubestellar/clusteradm:1.0.0" in {i["image"] for i in chart["images"]}
    as_json = verify(published, "--json", "--no-github")
    assert as_json.returncode == 0 and json.loads(as_json.stdout)["ok"] is True


def _restore_asset(published: Published, name: str) -> None:
    releases.publish_release(
        published.github.url, REPO, TOKEN, TAG, [published.assets[name]], prerelease=False, force=True
    )


@pytest.mark.tools
def test_an_asset_replaced_on_the_release_is_named(published: Published) -> None:
    name = f"kssample_{VERSION}_linux_amd64.tar.gz"
    published.github.releases.replace_asset_bytes(REPO, TAG, name, b"not the archive")
    try:
        result = verify(published)
    finally:
        _restore_asset(published, name)
    assert result.returncode == 1
    assert f"asset {name} does not match its sha256 in kssample_{VERSION}_checksums.txt" in result.stderr
    assert f"archive {name}: not a readable archive" in result.stderr


@pytest.mark.tools
def test_a_deleted_sbom_is_named(published: Published) -> None:
    name = "kflex-get-kubeconfig_linux_arm64.sbom"
    published.github.releases.delete_asset(REPO, TAG, name)
    try:
        result = verify(published)
    finally:
        _restore_asset(published, name)
    assert result.returncode == 1
    assert f"asset {name} is missing" in result.stderr
    assert f"no SBOM for binary bin/kflex-get-kubeconfig (linux/arm64): {name} is missing" in result.stderr


@pytest.mark.tools
def test_a_moved_image_tag_is_named(published: Published, registry: str) -> None:
    push_base_image(registry, "verify/r30/controller-manager", VERSION, ("amd64", "arm64"), note="moved")
    try:
        result = verify(published, "--key", str(published.public), "--no-github")
    finally:
        push_base_image(
            registry, "verify/r30/controller-manager", VERSION, ("amd64", "arm64"), note="controller-manager"
        )
    assert result.returncode == 1
    shown = f"{published.location}/controller-manager:{VERSION}"
    assert f"image {shown}: the signature does not verify with cosign.pub" in result.stderr
    assert "ocm-transport-controller:0.30.0: the signature" not in result.stderr


@pytest.mark.tools
def test_a_signature_from_another_key_is_named(published: Published, tmp_path: Path) -> None:
    checksums = f"kssample_{VERSION}_checksums.txt"
    forged = tmp_path / f"{checksums}.sig"
    cosign = tools.Toolbox(settings.DEFAULTS["versions"]).binary("cosign")
    _sign_blob(cosign, published.other_key, published.assets[checksums], forged)
    store = published.github.releases
    store.replace_asset_bytes(REPO, TAG, f"{checksums}.sig", forged.read_bytes())
    try:
        result = verify(published, "--key", str(published.public))
    finally:
        _restore_asset(published, f"{checksums}.sig")
    assert result.returncode == 1
    assert f"the signature of {checksums} does not verify with cosign.pub" in result.stderr
    others = verify(published, "--key", str(published.other_public), "--no-github")
    assert others.returncode == 1
    for short in ("controller-manager", "ocm-transport-controller", "kflex-get-kubeconfig"):
        assert f"{published.location}/{short}:{VERSION}: the signature does not verify" in others.stderr


@pytest.mark.tools
def test_an_image_a_chart_refers_to_through_a_default_is_checked(published: Published, registry: str) -> None:
    import urllib.request

    digest = published.digests["kflex-get-kubeconfig"]
    url = f"http://{registry}/v2/verify/r30/kflex-get-kubeconfig/manifests/{digest}"
    with urllib.request.urlopen(urllib.request.Request(url, method="DELETE")) as response:
        assert response.status == 202
    try:
        result = verify(published, "--no-github")
    finally:
        push_base_image(
            registry,
            "verify/r30/kflex-get-kubeconfig",
            VERSION,
            ("amd64", "arm64"),
            note="kflex-get-kubeconfig",
        )
    assert result.returncode == 1
    assert f"image {published.location}/kflex-get-kubeconfig:{VERSION} is missing" in result.stderr
    assert (
        "refers to ghcr.io/kubestellar/kubestellar/kflex-get-kubeconfig:0.30.0, which is missing"
        in result.stderr
    )


def test_bad_input_is_one_line_before_any_work(tmp_path: Path) -> None:
    checkout = make_variant_repo(tmp_path / "checkout", "v0.30", tag=TAG)
    env = {"KSTASKS_REPO": str(checkout), "GITHUB_REPOSITORY": ""}
    missing = kstasks("verify-release", VERSION, "--key", str(tmp_path / "nope.pub"), cwd=checkout, env=env)
    assert missing.returncode == 2 and "cannot be read" in missing.stderr
    no_repo = kstasks("verify-release", VERSION, "--registry", "127.0.0.1:1/x", cwd=checkout, env=env)
    assert no_repo.returncode == 2 and "GITHUB_REPOSITORY is unset" in no_repo.stderr
    assert "Traceback" not in missing.stderr + no_repo.stderr


@pytest.mark.tools
def test_a_release_missing_on_github_is_named(published: Published) -> None:
    env = {
        "KSTASKS_REPO": str(published.checkout),
        "GITHUB_API_URL": published.github.url,
        "GITHUB_REPOSITORY": "someone/else",
    }
    command = ("verify-release", VERSION, "--registry", published.location)
    result = kstasks(*command, cwd=published.checkout, env=env)
    assert result.returncode == 1
    assert f"the tag {TAG} of someone/else is missing" in result.stderr
    assert f"github release {TAG} of someone/else is missing" in result.stderr
