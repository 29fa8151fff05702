"""Tool images apply the dependency patches of the checkout's hack/build-<tool>-image.sh (its
``case "$<tool>_version"`` block, read as data): the built binary holds the versions it names."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import tarfile
import urllib.request
from pathlib import Path

import pytest

from kstasks.images import toolpatches
from tests.conftest import PROJECT, git, kstasks

HELM_SCRIPT = """
case "$helm_version" in
    (3.1[56].*)
\tgo get golang.org/x/net@v0.42.0 golang.org/x/oauth2@v0.30.0
\tgo mod tidy;;
esac
"""


def test_the_case_block_is_data_matched_as_bash_matches() -> None:
    patches = toolpatches.read(PROJECT / "sample-variants" / "v0.30", "clusteradm")
    assert [patch.patterns for patch in patches] == [("0.10.*",), ("0.11.0",)]
    ten = toolpatches.for_version(patches, "v0.10.2")
    assert ten is not None and ten.commands[1:] == (("go", "mod", "tidy"), ("go", "mod", "vendor"))
    assert "golang.org/x/net@v0.42.0" in ten.commands[0]
    assert toolpatches.for_version(patches, "0.11.0") is patches[1]
    assert toolpatches.for_version(patches, "0.11.1") is None
    helm = toolpatches.parse(HELM_SCRIPT, "hack/build-helm-image.sh")
    assert toolpatches.for_version(helm, "3.16.4") is helm[0]
    assert toolpatches.for_version(helm, "3.17.0") is None
    assert toolpatches.read(PROJECT / "sample", "clusteradm") == []


def test_a_patch_that_is_not_go_is_refused() -> None:
    patch = toolpatches.parse('case "$x_version" in\n(1.*) sed -i s/a/b/ go.mod;;\nesac\n', "s")[0]
    with pytest.raises(Exception, match="commands kstasks does not run: sed"):
        toolpatches.check(patch)


def patched_source(dest: Path) -> Path:
    """A clusteradm-like CLI at v0.10.2 importing golang.org/x/net and x/oauth2 at older versions."""
    (dest / "cmd" / "clusteradm").mkdir(parents=True)
    (dest / "go.mod").write_text(
        "module example.com/clusteradm\n\ngo 1.22\n\nrequire (\n"
        "\tgolang.org/x/net v0.30.0\n\tgolang.org/x/oauth2 v0.23.0\n)\n"
    )
    (dest / "cmd" / "clusteradm" / "main.go").write_text(
        'package main\n\nimport (\n\t"fmt"\n\n\t"golang.org/x/net/html"\n\t"golang.org/x/oauth2"\n)\n\n'
        'func main() {\n\tfmt.Println("clusteradm", html.EscapeString("<v>"), oauth2.AccessTypeOnline)\n}\n'
    )
    subprocess.run(["go", "mod", "tidy"], cwd=dest, check=True, capture_output=True)
    git(dest, "init", "--quiet", "--initial-branch=main")
    git(dest, "add", "-A")
    git(dest, "commit", "--quiet", "-m", "release 0.10.2")
    git(dest, "tag", "v0.10.2")
    return dest


def _get(url: str, accept: str = "") -> bytes:
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(request) as response:
        return response.read()


def binary_from_image(registry: str, repository: str, tag: str, name: str, dest: Path) -> Path:
    """The ko-built binary ``name`` of the linux/amd64 image at ``repository:tag``."""
    accept = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json"
    top = json.loads(_get(f"http://{registry}/v2/{repository}/manifests/{tag}", accept))
    if "manifests" in top:
        digest = next(m["digest"] for m in top["manifests"] if m["platform"]["architecture"] == "amd64")
        top = json.loads(_get(f"http://{registry}/v2/{repository}/manifests/{digest}", accept))
    for layer in top["layers"]:
        blob = _get(f"http://{registry}/v2/{repository}/blobs/{layer['digest']}")
        with tarfile.open(fileobj=io.BytesIO(gzip.decompress(blob))) as archive:
            for member in archive.getmembers():
                if member.name.endswith(f"ko-app/{name}"):
                    target = dest / name
                    target.write_bytes(archive.extractfile(member).read())
                    return target
    raise AssertionError(f"no ko-app/{name} in {repository}:{tag}")


@pytest.mark.tools
def test_build_clusteradm_image_applies_the_scripts_go_get_set(
    sample_v030: Path, registry: str, base_image: str, tmp_path: Path
) -> None:
    source = patched_source(tmp_path / "clusteradm")
    env = {
        "KSTASKS_REPO": str(sample_v030),
        "KO_DEFAULTBASEIMAGE": base_image,
        "TMPDIR": str(tmp_path),
        "GITHUB_API_URL": "http://127.0.0.1:9",
    }
    result = kstasks(
        "build-clusteradm-image",
        "--version",
        "0.10.2",
        "--registry",
        f"{registry}/patched",
        "--platform",
        "linux/amd64",
        "--source",
        str(source),
        cwd=sample_v030,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "hack/build-clusteradm-image.sh patches clusteradm v0.10.2: (0.10.*) go get" in result.stderr
    extracted = tmp_path / "extracted"
    extracted.mkdir()
    binary = binary_from_image(registry, "patched/clusteradm", "0.10.2", "clusteradm", extracted)
    info = subprocess.run(["go", "version", "-m", str(binary)], capture_output=True, text=True, check=True)
    deps = {
        fields[1]: fields[2]
        for fields in (line.split() for line in info.stdout.splitlines())
        if fields[0] == "dep"
    }
    assert deps["golang.org/x/net"] == "v0.42.0" and deps["golang.org/x/oauth2"] == "v0.30.0"
    assert "v0.30.0" in (source / "go.mod").read_text()  # the source itself is untouched
