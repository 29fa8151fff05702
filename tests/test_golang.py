"""Go version handling and the port of hack/verify-go-versions.sh."""

from __future__ import annotations

from pathlib import Path

import pytest

from kstasks.core.errors import KstasksError
from kstasks.toolchain import golang


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("go version go1.26.8 linux/amd64", (1, 26, 8)),
        ("go version go1.21 darwin/arm64", (1, 21, 0)),
        ("go version go1.22rc1 linux/amd64", (1, 22, 0)),
    ],
)
def test_parse_go_version(text: str, expected: tuple[int, int, int]) -> None:
    assert golang.parse_go_version(text) == expected


def test_unreadable_go_version_is_a_usage_error() -> None:
    with pytest.raises(KstasksError) as caught:
        golang.parse_go_version("no version here")
    assert caught.value.code == 2


def test_go_directive(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module x\n\ngo 1.21\n\ntoolchain go1.22.3\n")
    assert golang.go_directive(tmp_path / "go.mod") == (1, 21, 0)


@pytest.mark.parametrize(
    ("required", "have", "ok"),
    [
        ((1, 21, 0), (1, 21, 0), True),
        ((1, 21, 0), (1, 26, 8), True),
        ((1, 22, 0), (1, 21, 9), False),
        ((1, 21, 0), (2, 0, 0), False),
    ],
)
def test_makefile_go_version_rule(
    required: tuple[int, int, int], have: tuple[int, int, int], ok: bool
) -> None:
    problem = golang.check_go_version(required, have)
    assert (problem is None) == ok
    if not ok:
        assert "Unexpected go version installed" in str(problem)


def test_verify_go_versions_fails_for_a_newer_go_directive(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module x\n\ngo 1.99\n")
    with pytest.raises(KstasksError) as caught:
        golang.verify_go_versions(tmp_path, ignore=False)
    assert caught.value.code == 1
    assert "IGNORE_GO_VERSION" in caught.value.message
    assert golang.verify_go_versions(tmp_path, ignore=True) == ""


def test_verify_go_versions_passes_for_the_sample() -> None:
    sample = Path(__file__).resolve().parent.parent / "sample"
    assert golang.verify_go_versions(sample, ignore=False) == "verify-go-versions: ok"
