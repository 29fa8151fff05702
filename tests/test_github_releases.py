"""The GitHub release over the REST API (kstasks.remote.releases) against the local GitHub API server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from kstasks.core import errors
from kstasks.remote import releases
from tests.fakegithub import FakeGitHub, serve

REPO = "kubestellar/kubestellar"
TOKEN = "ghs_test_token_never_shown"
PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with serve() as fake:
        yield fake


def _assets(tmp_path: Path, **contents: bytes) -> list[Path]:
    paths = []
    for name, data in contents.items():
        path = tmp_path / name.replace("__", ".")
        path.write_bytes(data)
        paths.append(path)
    return paths


def _publish(github: FakeGitHub, assets: list[Path], tag: str = "v0.30.0", **kwargs: object) -> list[str]:
    return releases.publish_release(github.url, REPO, TOKEN, tag, assets, prerelease=False, **kwargs)  # type: ignore[arg-type]


def test_creates_the_release_and_uploads_every_asset_to_the_uploads_host(
    github: FakeGitHub, tmp_path: Path
) -> None:
    assets = _assets(tmp_path, a__tar__gz=b"archive a", checksums__txt=b"abc  a.tar.gz\n")
    lines = _publish(github, assets)
    assert lines[0] == "github release v0.30.0: created (release)"
    assert lines[1:] == [
        "github release v0.30.0: a.tar.gz uploaded (9 bytes)",
        "github release v0.30.0: checksums.txt uploaded (14 bytes)",
    ]
    release = github.releases.release(REPO, "v0.30.0")
    assert release is not None and release["prerelease"] is False
    assert {a["name"]: github.releases.blobs[a["id"]] for a in release["assets"]} == {
        "a.tar.gz": b"archive a",
        "checksums.txt": b"abc  a.tar.gz\n",
    }
    uploads = [entry for entry in github.log if entry[0] == "uploads"]
    assert len(uploads) == 2 and all(auth == f"Bearer {TOKEN}" for *_, auth in uploads)


def test_a_pre_release_version_makes_a_pre_release(github: FakeGitHub, tmp_path: Path) -> None:
    assert releases.is_prerelease("v0.30.0-rc.1") and not releases.is_prerelease("0.30.0+meta-x")
    releases.publish_release(
        github.url, REPO, TOKEN, "v0.30.0-rc.1", _assets(tmp_path, a=b"x"), prerelease=True
    )
    assert github.releases.release(REPO, "v0.30.0-rc.1")["prerelease"] is True  # type: ignore[index]


def test_keep_existing_never_replaces_notes_and_counts_identical_assets_as_done(
    github: FakeGitHub, tmp_path: Path
) -> None:
    first = _assets(tmp_path, a=b"one")
    _publish(github, first)
    release = github.releases.release(REPO, "v0.30.0")
    release["body"], release["name"] = "hand-written notes", "The release"  # type: ignore[index]
    more = [*first, *_assets(tmp_path, b=b"two")]
    lines = _publish(github, more, name="other name")
    assert lines == [
        "github release v0.30.0: exists, kept as it is (keep-existing)",
        "github release v0.30.0: a is already there, identical",
        "github release v0.30.0: b uploaded (3 bytes)",
    ]
    assert (release["body"], release["name"]) == ("hand-written notes", "The release")  # type: ignore[index]
    assert not any(method == "PATCH" for _, method, *_ in github.log)


@pytest.mark.parametrize("with_digest", [True, False], ids=["digest", "download"])
def test_an_asset_with_other_bytes_is_refused_without_force_and_replaced_with_it(
    github: FakeGitHub, tmp_path: Path, with_digest: bool
) -> None:
    github.releases.with_digest = with_digest
    assets = _assets(tmp_path, a=b"same size 1", b=b"fine")
    _publish(github, assets)
    github.releases.replace_asset_bytes(REPO, "v0.30.0", "a", b"same size 2")
    with pytest.raises(errors.CheckFailed) as refused:
        _publish(github, assets)
    assert "github release v0.30.0 already has a with other bytes" in refused.value.summary
    downloads = [path for kind, method, path, _ in github.log if kind == "uploads" and method == "GET"]
    assert bool(downloads) is not with_digest  # no digest from the server: the bytes were compared
    assert all(auth is None for kind, method, _, auth in github.log if kind == "uploads" and method == "GET")
    lines = _publish(github, assets, force=True)
    assert "github release v0.30.0: a replaced (11 bytes)" in lines
    asset = github.releases.asset(REPO, "v0.30.0", "a")
    assert github.releases.blobs[asset["id"]] == b"same size 1"  # type: ignore[index]


def test_the_token_goes_only_to_the_api_and_the_upload_url_it_returned(
    github: FakeGitHub, tmp_path: Path
) -> None:
    _publish(github, _assets(tmp_path, a=b"one"))
    release = github.releases.release(REPO, "v0.30.0")
    release["upload_url"] = "https://uploads.example.invalid/repos/x/y/releases/1/assets{?name,label}"  # type: ignore[index]
    client = releases._Client(github.url, TOKEN)
    client.trust_upload_url(release["upload_url"])  # type: ignore[index]
    assert "Authorization" in client._headers(
        "https://uploads.example.invalid/repos/x/y/releases/1/assets?name=a", None
    )
    assert "Authorization" not in client._headers("https://uploads.example.invalid/other", None)
    assert "Authorization" not in client._headers("https://objects.example.invalid/asset", None)
    assert "Authorization" not in client._headers(github.url.replace("127.0.0.1", "localhost"), None)
    with pytest.raises(errors.BadInput, match="plain HTTP to another machine"):
        client.trust_upload_url("http://uploads.example.invalid/repos/x/y/releases/1/assets")


def test_no_token_is_bad_input(github: FakeGitHub, tmp_path: Path) -> None:
    with pytest.raises(errors.BadInput, match="GITHUB_TOKEN is not set"):
        releases.publish_release(github.url, REPO, "", "v1.0.0", _assets(tmp_path, a=b"x"), prerelease=False)
    assert github.log == []


def test_dispatch_sends_what_repository_dispatch_sends(github: FakeGitHub) -> None:
    payload = {"project": "kubestellar", "version": "v0.30.0", "source_repo": REPO, "source_branch": "main"}
    releases.dispatch(github.url, "kubestellar/docs", TOKEN, "create-version-branch", payload)
    assert github.releases.dispatches == [
        ("kubestellar/docs", {"event_type": "create-version-branch", "client_payload": payload})
    ]
    assert github.log[-1][3] == f"Bearer {TOKEN}"


_PUBLISH = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from kstasks.remote.releases import publish_release
    assets = [Path(p) for p in sys.argv[2:]]
    for line in publish_release(sys.argv[1], "kubestellar/kubestellar", os.environ["GITHUB_TOKEN"],
                                "v0.30.0", assets, prerelease=False):
        print(line)
    """
)


def test_a_rerun_after_sigkill_mid_upload_completes_without_force(github: FakeGitHub, tmp_path: Path) -> None:
    assets = _assets(tmp_path, a=b"A" * 4096, b=b"B" * 300_000, c=b"C" * 10)
    github.releases.stall_upload_after = None
    env = {**os.environ, "GITHUB_TOKEN": TOKEN, "PYTHONPATH": str(PROJECT)}
    # The first asset goes through; the second stalls half-way and the publisher is killed.
    original_upload = github.releases.upload
    calls = {"n": 0}

    def upload(path: str, length: int, read):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        github.releases.stall_upload_after = 1000 if calls["n"] == 2 else None
        return original_upload(path, length, read)

    github.releases.upload = upload  # type: ignore[method-assign]
    args = [sys.executable, "-c", _PUBLISH, github.url, *map(str, assets)]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert github.releases.stalled.wait(60), "the upload never started"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    github.releases.unstall.set()
    states = {a["name"]: a["state"] for a in github.releases.release(REPO, "v0.30.0")["assets"]}  # type: ignore[index]
    assert states == {"a": "uploaded", "b": "starter"}
    github.releases.upload = original_upload  # type: ignore[method-assign]
    github.releases.stall_upload_after = None
    rerun = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout.splitlines() == [
        "github release v0.30.0: exists, kept as it is (keep-existing)",
        "github release v0.30.0: a is already there, identical",
        "github release v0.30.0: b replaced (300000 bytes)",
        "github release v0.30.0: c uploaded (10 bytes)",
    ]
    assert TOKEN not in rerun.stdout + rerun.stderr
    stored = {
        a["name"]: len(github.releases.blobs[a["id"]])
        for a in github.releases.release(REPO, "v0.30.0")["assets"]
    }  # type: ignore[index]
    assert stored == {"a": 4096, "b": 300_000, "c": 10}


def test_two_publishers_racing_make_one_release_with_each_asset_once(
    github: FakeGitHub, tmp_path: Path
) -> None:
    assets = _assets(tmp_path, a=b"A" * 50_000, b=b"B" * 70_000, c=b"C" * 10)
    env = {**os.environ, "GITHUB_TOKEN": TOKEN, "PYTHONPATH": str(PROJECT)}
    args = [sys.executable, "-c", _PUBLISH, github.url, *map(str, assets)]
    procs = [
        subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [(proc.wait(timeout=120), *proc.communicate()) for proc in procs]
    assert all(code == 0 for code, _, _ in results), results
    (release,) = github.releases.releases[REPO]
    assert sorted(a["name"] for a in release["assets"]) == ["a", "b", "c"]
    assert all(a["state"] == "uploaded" for a in release["assets"])
    rerun = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0 and rerun.stdout.count("already there, identical") == 3


def test_a_release_created_meanwhile_by_another_run_is_kept(
    github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _publish(github, _assets(tmp_path, a=b"one"))
    real, calls = releases.find_release, {"n": 0}

    def first_not_yet(*args: object) -> object:
        calls["n"] += 1
        return None if calls["n"] == 1 else real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(releases, "find_release", first_not_yet)
    lines = _publish(github, _assets(tmp_path, a=b"one"))
    assert lines[0] == "github release v0.30.0: created meanwhile by another run, kept"
    assert len(github.releases.releases[REPO]) == 1
