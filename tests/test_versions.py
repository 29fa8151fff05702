"""Release versions: every SemVer 2.0.0 version accepted, ordered by SemVer precedence."""

from __future__ import annotations

import itertools
import random

import pytest

from kstasks.core.errors import KstasksError
from kstasks.core.semver import ReleaseVersion, parse_release_version, try_parse

# SemVer 2.0.0 section 11's example, plus KubeStellar's own tags, in ascending precedence.
ORDERED = [
    "0.24.0-alpha.1",
    "0.24.0-alpha.2",
    # "3" is numeric, "3-experiment" alphanumeric: numeric identifiers rank lower.
    "0.24.0-alpha.3.experiment.1",
    "0.24.0-alpha.3-experiment.2",
    "0.24.0-experiment.3",
    "0.24.0-rc.1",
    "0.24.0",
    "0.25.0-alpha.1.test.1",
    "0.25.0-alpha.1.test.2",
    "0.25.0-rc.1",
    "0.25.0-rc.2",
    "0.25.0-rc.10",
    "0.25.0",
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "2.0.0",
    "2.1.0",
    "2.1.1",
    "10.0.0",
]


@pytest.mark.parametrize(
    "tag",
    [
        "v0.25.0-alpha.1.test.1",
        "v0.24.0-alpha.3-experiment.2",
        "v0.24.0-alpha.3.experiment.1",
        "1.0.0+build.7",
    ],
)
def test_kubestellar_tags_are_accepted(tag: str) -> None:
    version = parse_release_version(tag)
    assert version.tag == "v" + version.text and tag.endswith(version.text)


def test_semver_precedence() -> None:
    versions = [parse_release_version(text) for text in ORDERED]
    shuffled = versions[:]
    random.Random(7).shuffle(shuffled)
    assert [v.text for v in sorted(shuffled)] == ORDERED
    for lower, higher in itertools.pairwise(versions):
        assert lower < higher and not higher < lower and lower != higher


def test_build_metadata_is_ignored_by_precedence() -> None:
    assert parse_release_version("1.0.0+a") == parse_release_version("1.0.0+b")
    assert parse_release_version("1.0.0-rc.1+x") < parse_release_version("1.0.0")
    assert parse_release_version("1.2.3+meta.1").build == "meta.1"


def test_registry_tag_replaces_plus() -> None:
    assert parse_release_version("v0.25.0-rc.1+build.5").registry_tag == "0.25.0-rc.1_build.5"
    assert ReleaseVersion("0.25.0").registry_tag == "0.25.0"


def test_channels() -> None:
    assert parse_release_version("0.25.0+build").channel == "stable"
    assert parse_release_version("0.24.0-alpha.3-experiment.2").channel == "dev"


@pytest.mark.parametrize(
    "text",
    [
        "banana",
        "0.25",
        "v0.25.0.1",
        "01.2.3",
        "1.02.3",
        "",
        "0.25.0-",
        "vv1.0.0",
        "1.0.0-01",
        "1.0.0+",
        "1.0.0-a..b",
        "1.0.0-rc_1",
        "0.25.0 rc1",
    ],
)
def test_non_semver_is_refused_with_exit_2(text: str) -> None:
    assert try_parse(text) is None
    with pytest.raises(KstasksError) as caught:
        parse_release_version(text)
    assert caught.value.code == 2


def test_a_huge_version_gives_one_short_line() -> None:
    with pytest.raises(KstasksError) as caught:
        parse_release_version("1" * 10_000)
    message = str(caught.value.message)
    assert caught.value.code == 2
    assert "\n" not in message and len(message) < 300
