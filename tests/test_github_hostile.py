"""The GitHub lookup of a latest release (build-*-image without --version) against loopback
servers that answer in ways GitHub does (a renamed repository's 301, rate limits) and worse."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import kstasks
from tests.faults import Loopback, Request, answer, serve

RELEASE = json.dumps({"tag_name": "v0.8.2", "draft": False, "prerelease": False}).encode()


def _lookup(tmp_path: Path, api: str):  # type: ignore[no-untyped-def]
    return kstasks(
        "build-clusteradm-image",
        "--api-url",
        api,
        "--registry",
        "127.0.0.1:1/x",
        "--source",
        str(tmp_path),
        cwd=tmp_path,
        env={"GITHUB_TOKEN": "ghp_renamedrepotoken0123", "TMPDIR": str(tmp_path)},
        timeout=120,
    )


def test_a_301_of_a_renamed_repository_is_followed_on_the_same_origin(tmp_path: Path) -> None:
    def api(state: Loopback, conn, request: Request) -> None:  # type: ignore[no-untyped-def]
        if request.path.startswith("/repositories/42/"):
            answer("200 OK", RELEASE, Content_Type="application/json")(state, conn, request)
        else:
            answer("301 Moved Permanently", b"{}", Location=f"{state.url}/repositories/42/releases/latest")(
                state, conn, request
            )

    with serve(api) as server:
        result = _lookup(tmp_path, server.url)
    assert "Using clusteradm v0.8.2 (the latest release)." in result.stderr, result.stderr
    assert [r.path for r in server.requests][-1] == "/repositories/42/releases/latest"
    assert result.returncode == 2 and "registry 127.0.0.1:1 is unreachable" in result.stderr  # the next step


def test_a_rate_limit_reset_out_of_range_is_a_clear_error(tmp_path: Path) -> None:
    limited = answer(
        "403 Forbidden",
        b'{"message": "API rate limit exceeded"}',
        X_RateLimit_Remaining="0",
        X_RateLimit_Reset="99999999999999",
        Content_Type="application/json",
    )
    with serve(limited) as server:
        result = _lookup(tmp_path, server.url)
    assert result.returncode == 2, result.stderr
    said = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert (
        len(said) == 1
        and "the GitHub API rate limit is reached (it resets at a time out of range)" in said[0]
    )
    assert "kstasks bug" not in result.stderr
