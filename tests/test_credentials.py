"""Credentials checked before use and never printed, whatever they hold: real processes against
loopback servers (tests/faults.py) that record what they were sent."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from kstasks.core import context, output
from tests.conftest import kstasks
from tests.faults import answer, serve

TOKEN = "ghp_0123456789abcdefABCDEF"


def _lookup(tmp_path: Path, api: str, token: str):  # type: ignore[no-untyped-def]
    """build-clusteradm-image looking its version up at ``api`` with GITHUB_TOKEN=``token``."""
    return kstasks(
        "build-clusteradm-image",
        "--api-url",
        api,
        "--registry",
        "127.0.0.1:1/x",
        "--source",
        str(tmp_path),
        cwd=tmp_path,
        env={"GITHUB_TOKEN": token, "TMPDIR": str(tmp_path)},
        timeout=120,
    )


@pytest.mark.parametrize(
    ("token", "problem"),
    [
        (TOKEN + "\n", "holds a control character"),
        (TOKEN + "\r\nX-Injected: 1", "holds a control character"),
        ("e", "is shorter than 4 characters"),
        ("g" * 100_000, "is longer than 16384 characters"),
    ],
    ids=["newline", "crlf", "one-letter", "huge"],
)
def test_a_bad_github_token_is_exit_2_naming_the_variable_not_the_value(
    token: str, problem: str, tmp_path: Path
) -> None:
    release = answer("200 OK", json.dumps({"tag_name": "v0.8.2"}).encode(), Content_Type="application/json")
    with serve(release) as api:
        result = _lookup(tmp_path, api.url, token)
    assert result.returncode == 2, result.stderr
    said = [line for line in result.stderr.strip().splitlines() if line.startswith("error:")]
    assert len(said) == 1 and f"GITHUB_TOKEN {problem}; it was not used" in said[0]
    assert token.strip()[:12] not in result.stderr + result.stdout or token == "e"
    assert "kstasks bug" not in result.stderr and api.requests == []
    if token == "e":  # a one-letter value never garbles the words of the message
        assert "***" not in result.stderr


def test_a_token_service_token_with_crlf_is_refused_unprinted(tmp_path: Path, sample_repo: Path) -> None:
    """The registry's own token service (same origin) hands out a token with CR/LF in it."""
    bad = "tok-" + "A" * 20 + "\r\nX-Evil: 1"

    def registry(state, conn, request):  # type: ignore[no-untyped-def]
        if request.path.startswith("/token"):
            answer("200 OK", json.dumps({"token": bad}).encode(), Content_Type="application/json")(
                state, conn, request
            )
        else:
            challenge = f'Bearer realm="{state.url}/token",service="reg"'
            answer("401 Unauthorized", b"{}", WWW_Authenticate=challenge)(state, conn, request)

    with serve(registry) as server:
        result = kstasks(
            "verify-release",
            "0.25.0",
            "--registry",
            f"{server.host}/x",
            cwd=sample_repo,
            env={
                "KSTASKS_REPO": str(sample_repo),
                "KSTASKS_REGISTRY_USERNAME": "robot",
                "KSTASKS_REGISTRY_PASSWORD": "pa55word-long",
            },
            timeout=120,
        )
    assert result.returncode == 2, result.stderr
    said = [line for line in result.stderr.strip().splitlines() if line.startswith("error:")]
    assert len(said) == 1 and "sent an unusable token" in said[0]
    assert "A" * 20 not in result.stderr + result.stdout and "pa55word-long" not in result.stderr
    assert all("X-Evil" not in str(r.headers) for r in server.requests)


def test_a_registry_password_with_a_newline_is_exit_2(tmp_path: Path, sample_repo: Path) -> None:
    with serve(answer("200 OK", b"{}")) as server:
        result = kstasks(
            "verify-release",
            "0.25.0",
            "--registry",
            f"{server.host}/x",
            cwd=sample_repo,
            env={
                "KSTASKS_REPO": str(sample_repo),
                "KSTASKS_REGISTRY_USERNAME": "robot",
                "KSTASKS_REGISTRY_PASSWORD": "hunter2-secret\n",
            },
            timeout=120,
        )
    assert result.returncode == 2, result.stderr
    assert "KSTASKS_REGISTRY_PASSWORD holds a control character; it was not used" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout and server.requests == []


def test_escaped_and_short_secrets_are_masked_without_garbling() -> None:
    with context.running():
        output.add_secret("ab\ncd-secret")
        output.add_secret("e")
        basic = base64.b64encode(b"robot:x").decode()
        output.add_secret(basic)
        text = context.redact(
            f"header {'ab' + chr(10) + 'cd-secret'!r} b'ab\\ncd-secret' the key e here {basic}"
        )
    assert text == "header '***' b'***' the key *** here ***"


def _verify_release_at(registry: str, sample_repo: Path):  # type: ignore[no-untyped-def]
    return kstasks(
        "verify-release",
        "0.25.0",
        "--registry",
        f"{registry}/x",
        cwd=sample_repo,
        env={
            "KSTASKS_REPO": str(sample_repo),
            "KSTASKS_REGISTRY_USERNAME": "robot",
            "KSTASKS_REGISTRY_PASSWORD": "pa55word-long",
        },
        timeout=120,
    )


def test_a_plain_http_realm_on_another_port_of_the_same_host_gets_nothing(sample_repo: Path) -> None:
    token = answer("200 OK", b'{"token": "tok-from-other-port"}', Content_Type="application/json")
    with serve(token) as realm:
        challenge = f'Bearer realm="http://{realm.host}/token",service="reg",scope="repository:x/y:pull"'
        with serve(answer("401 Unauthorized", b"{}", WWW_Authenticate=challenge)) as registry:
            result = _verify_release_at(registry.host, sample_repo)
    assert result.returncode == 2, result.stderr
    assert "another origin without HTTPS; nothing was sent there" in result.stderr
    assert realm.requests == [] and "pa55word-long" not in result.stderr


def test_a_token_service_answering_deeply_nested_json_is_one_line(sample_repo: Path) -> None:
    def registry(state, conn, request):  # type: ignore[no-untyped-def]
        if request.path.startswith("/token"):
            answer("200 OK", b"[" * 100_000 + b"]" * 100_000, Content_Type="application/json")(
                state, conn, request
            )
        else:
            challenge = f'Bearer realm="{state.url}/token",service="reg"'
            answer("401 Unauthorized", b"{}", WWW_Authenticate=challenge)(state, conn, request)

    with serve(registry) as server:
        result = _verify_release_at(server.host, sample_repo)
    assert result.returncode == 2, result.stderr
    said = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(said) == 1 and "sent JSON nested too deeply for a token" in said[0]
    assert "kstasks bug" not in result.stderr
