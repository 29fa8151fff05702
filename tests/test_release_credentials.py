"""`kstasks release` publishing to Debian's registry in token-auth mode (tests/tokenauth.py: the
token service grants exactly the scope asked for, as ghcr.io's does) and to the local GitHub API
server, with every credential of the release path set to a value of its own: none of them may
appear in the output, in a file the release leaves (dist/, the checkout, its scratch space) or in
the argument list of any process running meanwhile (sampled from /proc every few milliseconds:
helm, ko, git and the rest are the real tools, found by absolute path in the tool cache).

One release build (the v0.30 variant, the slow part) serves both checks.
"""

from __future__ import annotations

import base64
import os
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kstasks.project import settings
from kstasks.remote.registry import Reference, Registry
from kstasks.toolchain import tools
from tests.conftest import PROJECT, kstasks
from tests.fakegithub import serve
from tests.samples import make_variant_repo
from tests.test_release_publish_e2e import REPO, _push_dependency_charts
from tests.tokenauth import PASSWORD, USERNAME, token_registry

pytest.importorskip("kstasks.release.goreleaser.pipeline")

GITHUB_TOKEN = "ghs_credscan_release_token_7f3a9c"
DOCS_TOKEN = "ghs_credscan_docs_token_1b2e4d"
COSIGN_PASSWORD = "cosign-credscan-pa55-e8d1"
SECRETS = (GITHUB_TOKEN, DOCS_TOKEN, COSIGN_PASSWORD, PASSWORD)
ENCODED = (base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode(),)
"""The registry credentials as a Basic header carries them."""


@contextmanager
def argv_recorder() -> Iterator[set[tuple[str, ...]]]:
    """Every distinct argument list seen in /proc while the block runs. Each sample rereads every
    process (a child is first seen forked, before its exec, with its parent's arguments)."""
    seen: set[tuple[str, ...]] = set()
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            for entry in os.scandir("/proc"):
                if entry.name.isdigit():
                    try:
                        raw = Path(entry.path, "cmdline").read_bytes()
                    except OSError:
                        continue
                    if raw:
                        seen.add(tuple(raw.decode(errors="replace").split("\0")))
            stop.wait(0.01)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        stop.set()
        thread.join(5)


def _leaks(root: Path) -> list[str]:
    """``file: secret`` for every file under ``root`` holding a secret (or its Basic encoding)."""
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            found += [f"{path}: {s[:6]}…" for s in (*SECRETS, *ENCODED) if s.encode() in data]
    return found


@pytest.mark.tools
def test_release_pushes_to_a_token_auth_registry_and_leaks_no_credential(
    tmp_path: Path, registry: str, base_image: str
) -> None:
    checkout = make_variant_repo(tmp_path / "checkout", "v0.30", tag="v0.30.0")
    box = tools.Toolbox(settings.DEFAULTS["versions"])
    _push_dependency_charts(box.binary("helm"), registry, tmp_path / "deps")
    (tmp_path / "keys").mkdir()
    subprocess.run(
        [str(box.binary("cosign")), "generate-key-pair"],
        cwd=tmp_path / "keys",
        env={**os.environ, "COSIGN_PASSWORD": COSIGN_PASSWORD},
        check=True,
        capture_output=True,
    )
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    (tmp_path / "reg").mkdir()
    with token_registry(tmp_path / "reg") as reg, serve() as github:
        location = f"{reg.address}/ks/rel"
        env = {
            "KSTASKS_REPO": str(checkout),
            "KO_DEFAULTBASEIMAGE": base_image,
            "GITHUB_API_URL": github.url,
            "GITHUB_REPOSITORY": REPO,
            "GITHUB_TOKEN": GITHUB_TOKEN,
            "WORKFLOW_SYNC_TOKEN": DOCS_TOKEN,
            "COSIGN_PASSWORD": COSIGN_PASSWORD,
            "KSTASKS_REGISTRY_USERNAME": USERNAME,
            "KSTASKS_REGISTRY_PASSWORD": PASSWORD,
            "SSL_CERT_FILE": str(reg.cert_file),
            "TMPDIR": str(scratch),
            "PYTHONPATH": str(PROJECT),
        }
        args = [
            "release",
            "0.30.0",
            "--registry",
            location,
            "--chart-dependency-registry",
            f"{registry}/deps",
            "--sign-key",
            str(tmp_path / "keys" / "cosign.key"),
        ]
        with argv_recorder() as argvs:
            result = kstasks(*args, cwd=checkout, env=env)
        assert result.returncode == 0, result.stderr

        # what arrived: every image and the chart, in the token-auth registry
        pushed = [line.split()[1] for line in result.stdout.splitlines() if line.startswith("pushed ")]
        repositories = {label.removeprefix("oci://").split("@")[0].rsplit(":", 1)[0] for label in pushed}
        assert {r.rsplit("/", 1)[-1] for r in repositories} >= {
            "controller-manager",
            "ocm-transport-controller",
            "kflex-get-kubeconfig",
            "core-chart",
        }, result.stdout
        os.environ["SSL_CERT_FILE"] = str(reg.cert_file)
        os.environ["KSTASKS_REGISTRY_USERNAME"], os.environ["KSTASKS_REGISTRY_PASSWORD"] = USERNAME, PASSWORD
        try:
            remote = Registry(Reference.parse(location))
            for repository in repositories:
                path = repository.removeprefix(f"{reg.address}/")
                assert "0.30.0" in remote.tags(path), path
            # each image signed, cosign logged in to the token-auth registry as the push was
            signed = [line.split()[1] for line in result.stdout.splitlines() if line.startswith("signed ")]
            assert len(signed) == 3, result.stdout
            for reference in signed:
                repository, digest = reference.split("@")
                path = repository.removeprefix(f"{reg.address}/")
                assert f"{digest.replace(':', '-')}.sig" in remote.tags(path), reference
        finally:
            for name in ("SSL_CERT_FILE", "KSTASKS_REGISTRY_USERNAME", "KSTASKS_REGISTRY_PASSWORD"):
                os.environ.pop(name, None)
        # each write asked for exactly pull,push on its repository, with the credentials
        for repository in repositories:
            assert [f"repository:{repository.removeprefix(reg.address + '/')}:pull,push"] in reg.asked()
        assert all(reg.credentials)
        release = github.releases.release(REPO, "v0.30.0")
        assert release is not None and release["assets"]
        assert all(a["state"] == "uploaded" for a in release["assets"])

    # no credential in the output, the files left behind, or any process's argument list
    said = result.stdout + result.stderr
    assert [s[:6] for s in (*SECRETS, *ENCODED) if s in said] == []
    assert _leaks(checkout) + _leaks(scratch) == []
    children = [argv for argv in argvs if any(Path(a).name in ("helm", "ko", "git") for a in argv[:1])]
    assert children, "the recorder saw none of the release's tools"
    leaked = [argv[:3] for argv in argvs if any(s in " ".join(argv) for s in (*SECRETS, *ENCODED))]
    assert leaked == []


def test_the_leak_scanner_finds_a_planted_secret(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "config.json").write_text(f'{{"auth": "{ENCODED[0]}"}}')
    (tmp_path / "a" / "log").write_text(f"token={GITHUB_TOKEN}\n")
    assert len(_leaks(tmp_path)) == 2
    with argv_recorder() as argvs:
        subprocess.run(["sh", "-c", "sleep 0.3", COSIGN_PASSWORD], check=True)
    assert any(COSIGN_PASSWORD in argv for argv in argvs)
