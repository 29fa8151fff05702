"""Pushing to a registry behind token auth that grants exactly the scope asked for (as ghcr.io
does): Debian's docker-registry in token mode, a token service on 127.0.0.1 (tests/tokenauth.py),
and challenges parsed per RFC 7235."""

from __future__ import annotations

from pathlib import Path

import pytest

from kstasks.remote.auth import Challenge, choose, parse_challenges
from kstasks.remote.registry import Reference, Registry
from tests.conftest import kstasks, make_sample_repo
from tests.tokenauth import PASSWORD, USERNAME, token_registry


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            'Bearer realm="https://a/token",service="reg",scope="repository:x:pull,push"',
            [
                Challenge(
                    "bearer",
                    {"realm": "https://a/token", "service": "reg", "scope": "repository:x:pull,push"},
                )
            ],
        ),
        (
            'Basic realm="a, b", Bearer realm="q\\"uo\\\\te", scope=push , Negotiate abc==, Foo',
            [
                Challenge("basic", {"realm": "a, b"}),
                Challenge("bearer", {"realm": 'q"uo\\te', "scope": "push"}),
                Challenge("negotiate", {}, "abc=="),
                Challenge("foo"),
            ],
        ),
        (
            'BEARER Realm="x",,error="insufficient_scope"',
            [Challenge("bearer", {"realm": "x", "error": "insufficient_scope"})],
        ),
        ("", []),
        ('Bearer realm="unterminated', [Challenge("bearer")]),
    ],
    ids=["scope-with-comma", "several-challenges", "empty-list-items", "empty", "malformed"],
)
def test_challenges_are_parsed_per_rfc_7235(header: str, expected: list[Challenge]) -> None:
    assert parse_challenges(header) == expected


def test_bearer_is_chosen_before_basic() -> None:
    found = choose(
        parse_challenges('Basic realm="r", Bearer realm="https://t/token",scope="repository:a:pull,push"')
    )
    assert (
        found is not None and found.scheme == "bearer" and found.params["scope"] == "repository:a:pull,push"
    )


@pytest.mark.tools
def test_publish_charts_and_images_push_to_a_token_auth_registry(
    tmp_path: Path, base_image: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = make_sample_repo(tmp_path / "checkout")
    (tmp_path / "reg").mkdir()
    with token_registry(tmp_path / "reg") as reg:
        env = {
            "KSTASKS_REPO": str(checkout),
            "KSTASKS_REGISTRY_USERNAME": USERNAME,
            "KSTASKS_REGISTRY_PASSWORD": PASSWORD,
            "SSL_CERT_FILE": str(reg.cert_file),
            "KO_DEFAULTBASEIMAGE": base_image,
        }
        for args in (
            ("package-charts", "--version", "0.25.0"),
            ("publish-charts", "--version", "0.25.0", "--registry", f"oci://{reg.address}/ks"),
            (
                "publish-images",
                "--version",
                "0.25.0",
                "--registry",
                f"{reg.address}/ks",
                "--platform",
                "linux/amd64",
            ),
        ):
            result = kstasks(*args, cwd=checkout, env=env, timeout=900)
            assert result.returncode == 0, result.stderr
            assert PASSWORD not in result.stdout + result.stderr
        # the push asked for (and got) exactly pull and push on each repository it wrote
        asked = reg.asked()
        assert ["repository:ks/core-chart:pull,push"] in asked
        assert ["repository:ks/controller-manager:pull,push"] in asked
        assert all(reg.credentials)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        remote = Registry(Reference.parse(f"{reg.address}/ks"))
        assert remote.tags("ks/core-chart") == ["0.25.0"]
        assert remote.tags("ks/controller-manager") == ["0.25.0"]
