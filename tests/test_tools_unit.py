"""Pinned tool bookkeeping (no installs here)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kstasks.core.errors import KstasksError
from kstasks.project import settings
from kstasks.toolchain import tools


def test_binary_names_drop_major_version_suffix() -> None:
    assert tools.TOOLS["kustomize"].binaries == ("kustomize",)
    assert tools.TOOLS["code-generator"].binaries == tools.CODE_GENERATOR_BINARIES


@pytest.mark.parametrize("version", ["banana", "0.13.0", "v0.13", "v0.13.0.1", ""])
def test_invalid_versions_exit_2(version: str) -> None:
    with pytest.raises(KstasksError) as caught:
        tools.validate_version(tools.TOOLS["controller-gen"], version)
    assert caught.value.code == 2
    assert repr(version) in caught.value.message


def test_commit_pins_allowed_only_for_commit_pinned_tools() -> None:
    tools.validate_version(tools.TOOLS["openshift-goimports"], "4cd858e694d7dfa32a2e697e0e4bab245c215cf3")
    with pytest.raises(KstasksError):
        tools.validate_version(tools.TOOLS["kustomize"], "4cd858e694d7dfa32a2e697e0e4bab245c215cf3")


def test_invalid_toolchain_exit_2() -> None:
    with pytest.raises(KstasksError) as caught:
        tools.Toolbox({**settings.DEFAULTS["versions"], "controller_tools_gotoolchain": "1.21"}).validate()
    assert caught.value.code == 2


def test_install_dirs_are_versioned(tmp_path: Path) -> None:
    box = tools.Toolbox(settings.DEFAULTS["versions"], tmp_path)
    assert box.install_dir("controller-gen") == tmp_path / "controller-gen" / "v0.13.0-go1.21.8"
    assert box.install_dir("kustomize") == tmp_path / "kustomize" / "v5.3.0"


@pytest.mark.parametrize(
    ("version", "expected"), [("v0.28.2", False), ("v0.29.10", False), ("v0.30.0", True), ("v0.32.13", True)]
)
def test_interface_switch(version: str, expected: bool) -> None:
    assert tools.semver_at_least(version, (0, 30, 0)) is expected


def test_pin_matching() -> None:
    goimports = tools.TOOLS["openshift-goimports"]
    assert tools._matches_pin(
        goimports, "4cd858e694d7dfa32a2e697e0e4bab245c215cf3", "v0.0.0-20220101-4cd858e694d7"
    )
    assert not tools._matches_pin(tools.TOOLS["kustomize"], "v5.3.0", "v5.4.0")
    assert tools._matches_pin(tools.TOOLS["code-generator"], "v0.28.2", "(devel)")
    assert not tools._matches_pin(tools.TOOLS["controller-gen"], "v0.13.0", "(devel)")


def test_cached_tool_is_checked_by_content_digest(tmp_path: Path) -> None:
    """A binary rewritten with the same size and mtime is noticed and reinstalled."""
    box = tools.Toolbox(settings.DEFAULTS["versions"], tmp_path)
    directory = box.install_dir("kustomize")
    directory.mkdir(parents=True)
    binary = directory / "kustomize"
    binary.write_bytes(b"#!/bin/sh\necho one\n")
    binary.chmod(0o755)
    tools.record_digests(directory, "v5.3.0", [binary])
    assert box._verified(tools.TOOLS["kustomize"], directory)
    stat = binary.stat()
    binary.write_bytes(b"#!/bin/sh\necho two\n")
    os.utime(binary, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert binary.stat().st_size == stat.st_size and binary.stat().st_mtime_ns == stat.st_mtime_ns
    assert not box._verified(tools.TOOLS["kustomize"], directory)


def test_digest_record_is_per_version(tmp_path: Path) -> None:
    binary = tmp_path / "kustomize"
    binary.write_bytes(b"x")
    tools.record_digests(tmp_path, "v5.3.0", [binary])
    recorded = tools._recorded_digests(tmp_path)
    assert recorded == {"version": "v5.3.0", "binaries": {"kustomize": tools.file_digest(binary)}}
