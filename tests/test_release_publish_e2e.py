"""`kstasks release` on the v0.30-shaped sample, published to the real loopback registry and the
local GitHub API server, killed (SIGKILL) in the middle of its GitHub uploads; the rerun completes
without --force, and `verify-release --key` accepts the whole release.

Needs the release pipeline (kstasks.release.goreleaser.pipeline); skipped where it is absent.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kstasks.project import settings
from kstasks.toolchain import tools
from tests.conftest import PROJECT, kstasks
from tests.fakegithub import serve
from tests.samples import make_variant_repo
from tests.test_signing import PASSWORD, make_key_pair

pytest.importorskip("kstasks.release.goreleaser.pipeline")

REPO = "kubestellar/kubestellar"
DEPENDENCIES = (
    ("kubeflex-operator", "v0.9.3", "ghcr.io/kubestellar/kubeflex/chart"),
    ("argo-cd", "9.1.0", "ghcr.io/argoproj/argo-helm"),
)


def _push_dependency_charts(helm: Path, registry: str, work: Path) -> None:
    """Stand-ins for core-chart's OCI dependencies, where --chart-dependency-registry sends them."""
    for name, version, repository in DEPENDENCIES:
        chart = work / name
        chart.mkdir(parents=True)
        (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: {version}\n")
        subprocess.run(
            [str(helm), "package", str(chart), "--destination", str(work)], check=True, capture_output=True
        )
        package = str(work / f"{name}-{version}.tgz")
        destination = f"oci://{registry}/deps/{repository}"
        subprocess.run(
            [str(helm), "push", package, destination, "--plain-http"], check=True, capture_output=True
        )


@pytest.mark.tools
def test_a_release_killed_mid_upload_completes_on_rerun_and_verifies(
    tmp_path: Path, registry: str, base_image: str
) -> None:
    checkout = make_variant_repo(tmp_path / "checkout", "v0.30", tag="v0.30.0")
    box = tools.Toolbox(settings.DEFAULTS["versions"])
    key, public = make_key_pair(box.binary("cosign"), tmp_path / "keys")
    _push_dependency_charts(box.binary("helm"), registry, tmp_path / "deps")
    location = f"{registry}/e2e/rel"
    args = ["release", "0.30.0", "--registry", location, "--chart-dependency-registry", f"{registry}/deps"]
    args += ["--sign-key", str(key)]
    with serve() as github:
        env = {
            "KSTASKS_REPO": str(checkout),
            "KO_DEFAULTBASEIMAGE": base_image,
            "GITHUB_API_URL": github.url,
            "GITHUB_REPOSITORY": REPO,
            "GITHUB_TOKEN": "ghs_e2e_token",
            "WORKFLOW_SYNC_TOKEN": "ghs_e2e_docs_token",
            "COSIGN_PASSWORD": PASSWORD,
            "PYTHONPATH": str(PROJECT),
        }
        store, original, calls = github.releases, github.releases.upload, {"n": 0}

        def upload(path: str, length: int, read):  # type: ignore[no-untyped-def]
            calls["n"] += 1
            store.stall_upload_after = 4096 if calls["n"] == 3 else None
            return original(path, length, read)

        store.upload = upload  # type: ignore[method-assign]
        proc = subprocess.Popen(
            [sys.executable, "-m", "kstasks", *args],
            cwd=checkout,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            assert store.stalled.wait(900), "the release never reached its third upload"
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            store.unstall.set()
        release = store.release(REPO, "v0.30.0")
        assert release is not None
        assert sorted(a["state"] for a in release["assets"]) == ["starter", "uploaded", "uploaded"]
        store.upload, store.stall_upload_after = original, None  # type: ignore[method-assign]

        rerun = kstasks(*args, cwd=checkout, env=env)
        assert rerun.returncode == 0, rerun.stderr
        assert rerun.stdout.count("is already there, identical") == 2
        # the images the killed run signed are not signed again
        lines = rerun.stdout.splitlines()
        assert sum(line.startswith("already signed ") for line in lines) == 3
        assert not any(line.startswith("signed ") for line in lines)
        assert "ghs_e2e" not in rerun.stdout + rerun.stderr
        assert [repo for repo, _ in store.dispatches] == ["kubestellar/docs"]
        assert all(a["state"] == "uploaded" for a in store.release(REPO, "v0.30.0")["assets"])  # type: ignore[index]

        verify_env = {key: value for key, value in env.items() if key != "GITHUB_TOKEN"}
        verified = kstasks(
            "verify-release",
            "0.30.0",
            "--registry",
            location,
            "--key",
            str(public),
            cwd=checkout,
            env=verify_env,
        )
        assert verified.returncode == 0, verified.stderr
        assert "verify-release: release 0.30.0 is complete" in verified.stdout
