"""Issue-18: a synthetic history of the sample replayed as CI would run it (bench/replay.py):
the cached ``verify`` gives the uncached verdict at every commit, and runs only the steps whose
inputs changed."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import PROJECT, git, make_sample_repo

GROUP_VERSION = "api/control/v1alpha1/groupversion_info.go"
TYPES = "api/control/v1alpha1/types.go"
MAIN = "cmd/controller-manager/main.go"
CLIENT_HEADER = "hack/boilerplate/boilerplate.generatego.txt"
PATCH = "config/crd/patches/more_validations_in_bindingpolicies.yaml"
GENERATORS = {"controller-gen", "crd-bundle", "clients"}


def _replay_module() -> object:
    spec = importlib.util.spec_from_file_location("kstasks_bench_replay", PROJECT / "bench" / "replay.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _edit(root: Path, relative: str, old: str, new: str) -> None:
    path = root / relative
    text = path.read_text()
    assert old in text, (relative, old)
    path.write_text(text.replace(old, new, 1))


def _commit(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "--quiet", "-m", message)


def _revert(root: Path) -> None:
    git(root, "revert", "--no-edit", "HEAD")


HISTORY: list[tuple[str, Callable[[Path], None]]] = [
    (
        "controller-only change",
        lambda r: _edit(r, MAIN, 'fmt.Printf("CRD bundle', 'fmt.Printf("the CRD bundle'),
    ),
    ("docs-only change", lambda r: _edit(r, "docs/README.md", "\n", "\n\nA line of docs.\n")),
    (
        "new RBAC marker in the API (role.yaml not regenerated)",
        lambda r: _edit(
            r,
            GROUP_VERSION,
            "// +groupName=",
            "// +kubebuilder:rbac:groups=apps,resources=deployments,verbs=get\n// +groupName=",
        ),
    ),
    ("revert the RBAC marker", _revert),
    ("CRD patch changed (bundle not regenerated)", lambda r: _edit(r, PATCH, "<= 64", "<= 65")),
    ("revert the CRD patch", _revert),
    (
        "client header changed (clients not regenerated)",
        lambda r: _edit(r, CLIENT_HEADER, "Licensed under", "Licensed to you under"),
    ),
    ("revert the client header", _revert),
    (
        "new import",
        lambda r: (
            _edit(r, MAIN, '\t"sort"\n', '\t"sort"\n\t"strings"\n'),
            _edit(r, MAIN, 'fmt.Printf("the CRD bundle', 'fmt.Printf(strings.TrimSpace("the CRD bundle'),
            _edit(r, MAIN, 'bytes\\n", len(crd.Bundle))', 'bytes\\n"), len(crd.Bundle))'),
        ),
    ),
    (
        "API change, stale generated files",
        lambda r: _edit(
            r,
            TYPES,
            "\tWantSingletonReportedState bool",
            '\t// Paused stops the policy.\n\t// +optional\n\tPaused bool `json:"paused,omitempty"`\n\n'
            "\tWantSingletonReportedState bool",
        ),
    ),
]
"""Each commit's change to the previous one."""

EXPECTED_RAN: list[set[str] | None] = [
    {"controller-gen", "crd-bundle", "clients", "modules", "verify-imports"},  # the first commit
    {"verify-imports"},  # controller only: every generator replayed, module inputs unchanged
    set(),  # docs only: the whole tree was verified before
    # the API's package comment: the bundle's inputs (CRD bases) are unchanged; the module check
    # reads every comment before the package clause (build constraints are among them)
    {"controller-gen", "clients", "modules", "verify-imports"},
    set(),  # the tree of two commits ago
    {"crd-bundle"},
    set(),
    {"clients"},
    set(),
    {"modules", "verify-imports"},
    {"controller-gen", "clients", "crd-bundle", "verify-imports"},
]
"""The steps the cached verify runs at each commit (the rest replayed); imports in verify-codegen's
worktree are left out: verify-imports may have seen the files first, or not. verify-imports runs
on the changed Go files only."""


@pytest.mark.tools
def test_a_synthetic_history_gives_the_uncached_verdicts(tmp_path: Path) -> None:
    root = make_sample_repo(tmp_path / "sample")
    for message, change in HISTORY:
        change(root)
        if message.startswith("revert"):
            continue
        _commit(root, message)
    replay = _replay_module()
    rows = replay.replay(root, len(HISTORY) + 1, work=tmp_path / "work")  # type: ignore[attr-defined]
    assert len(rows) == len(EXPECTED_RAN)
    failing = {row.subject: sorted(v for v, r in row.uncached.verdicts.items() if r != "ok") for row in rows}
    assert failing["sample"] == []
    assert failing["docs-only change"] == []
    # controller-gen ran and wrote another role, but verify-codegen (as hack/verify-codegen.sh) does
    # not compare config/rbac: the verdict stays, cached or not
    assert failing["new RBAC marker in the API (role.yaml not regenerated)"] == []
    assert failing["CRD patch changed (bundle not regenerated)"] == ["verify-codegen"]
    assert failing["client header changed (clients not regenerated)"] == ["verify-codegen"]
    assert failing["new import"] == []
    assert failing["API change, stale generated files"] == ["verify-codegen"]
    for row, expected in zip(rows, EXPECTED_RAN, strict=True):
        assert len(row.uncached.verdicts) == 6, row.uncached.tail
        assert row.same, (row.subject, row.cached.verdicts, row.uncached.verdicts, row.cached.tail)
        ran = set(row.cached.ran) - {"imports"}
        assert ran == expected, (row.subject, row.cached.ran, row.cached.replayed)
    assert "verify-codegen (whole tree)" in rows[2].cached.replayed
