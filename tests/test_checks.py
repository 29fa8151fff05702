"""verify-imports, verify-modules and the verify suite, on copies of the sample."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kstasks.checks import drift, suite
from kstasks.core import errors, output
from tests.conftest import git, kstasks, tree_digest

UNORDERED = """{header}
package crd

import (
\t"k8s.io/apimachinery/pkg/runtime"
\t"fmt"
)

var _ = fmt.Sprint
var _ = runtime.NewScheme
"""


def header(checkout: Path) -> str:
    return (checkout / "hack/boilerplate/boilerplate.go.txt").read_text().replace("YEAR", "2024")


def commit(checkout: Path, message: str) -> None:
    git(checkout, "add", "-A")
    git(checkout, "commit", "-qm", message)


def add_unused_requirement(checkout: Path) -> None:
    go_mod = checkout / "go.mod"
    unused = "require (\n\tgithub.com/pkg/errors v0.9.1\n"
    go_mod.write_text(go_mod.read_text().replace("require (\n", unused, 1))


def run(checkout: Path, *args: str):
    return kstasks(*args, cwd=checkout, env={"KSTASKS_REPO": str(checkout)})


def verdicts(stdout: str) -> dict[str, str]:
    return dict(re.findall(r"^  (verify-[a-z-]+)\s+(ok|FAILED|error)\s", stdout, re.MULTILINE))


def test_verify_imports_names_the_committed_file_and_leaves_the_tree_alone(sample_repo: Path) -> None:
    (sample_repo / "pkg/crd/extra.go").write_text(UNORDERED.format(header=header(sample_repo)))
    commit(sample_repo, "imports out of order")
    before = tree_digest(sample_repo)
    result = run(sample_repo, "verify-imports")
    assert result.returncode == 1, result.stderr
    assert "  pkg/crd/extra.go" in result.stderr.splitlines()
    assert '+\t"fmt"' in result.stderr  # the diff
    assert "Run 'kstasks imports'" in result.stderr
    assert tree_digest(sample_repo) == before


def test_verify_imports_in_place_sees_uncommitted_edits(sample_repo: Path) -> None:
    assert run(sample_repo, "verify-imports").returncode == 0
    (sample_repo / "pkg/crd/extra.go").write_text(UNORDERED.format(header=header(sample_repo)))
    assert run(sample_repo, "verify-imports").returncode == 0  # the commit is fine
    before = tree_digest(sample_repo)
    result = run(sample_repo, "verify-imports", "--in-place")
    assert result.returncode == 1
    assert "pkg/crd/extra.go" in result.stderr
    assert tree_digest(sample_repo) == before


def test_verify_modules_names_go_mod_and_shows_the_diff(sample_repo: Path) -> None:
    assert run(sample_repo, "verify-modules").returncode == 0
    add_unused_requirement(sample_repo)
    commit(sample_repo, "an unused requirement")
    before = tree_digest(sample_repo)
    result = run(sample_repo, "verify-modules")
    assert result.returncode == 1, result.stderr
    assert "go module files are out of date" in result.stderr and ": go.mod." in result.stderr
    assert "-\tgithub.com/pkg/errors v0.9.1" in result.stderr
    assert tree_digest(sample_repo) == before


def test_checks_refuse_a_repository_without_a_commit(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module example.com/x\n\ngo 1.21\n")
    git(tmp_path, "init", "-q")
    result = kstasks("verify-modules", cwd=tmp_path, env={"KSTASKS_REPO": str(tmp_path)})
    assert result.returncode == 2
    assert "has no commit to check" in result.stderr


def _ok() -> None:
    output.say("fine")


def _fails() -> None:
    raise errors.StepFailed("something is wrong in x.go", "Fix it.")


def _cannot_run() -> None:
    raise errors.BadInput("no tool", "Install it.")


def _crashes() -> None:
    raise KeyError("bug")


def test_every_check_runs_and_the_worst_verdict_decides(capsys: pytest.CaptureFixture[str]) -> None:
    lanes = [
        [("verify-codegen", _fails), ("verify-imports", _ok)],
        [("verify-modules", _cannot_run), ("verify-versions", _crashes)],
        [("verify-go-versions", _ok)],
    ]
    outcomes = suite.run_lanes(lanes)
    assert [(o.name, o.verdict) for o in outcomes] == [
        ("verify-go-versions", "ok"),
        ("verify-codegen", "FAILED"),
        ("verify-imports", "ok"),
        ("verify-modules", "error"),
        ("verify-versions", "FAILED"),
    ]
    report = suite.conclude(outcomes, "commit abc")
    assert report.failure is not None and report.failure.code == 1
    captured = capsys.readouterr()
    assert "something is wrong in x.go" in captured.err and "internal error: KeyError" in captured.err
    assert captured.out == ""  # the library says progress; the task layer prints the result
    assert verdicts(report.text())["verify-modules"] == "error"


def test_an_environment_problem_alone_exits_2() -> None:
    outcomes = suite.run_lanes([[("verify-modules", _cannot_run), ("verify-imports", _ok)]])
    report = suite.conclude(outcomes, "commit abc")
    assert report.failure is not None and report.failure.code == 2


@pytest.mark.tools
def test_verify_passes_on_the_sample_then_names_each_broken_file(sample_repo: Path) -> None:
    result = run(sample_repo, "verify")
    assert result.returncode == 0, result.stderr
    assert verdicts(result.stdout) == dict.fromkeys(suite.ORDER, "ok")

    (sample_repo / "pkg/crd/noheader.go").write_text("package crd\n")
    (sample_repo / "pkg/crd/extra.go").write_text(UNORDERED.format(header=header(sample_repo)))
    add_unused_requirement(sample_repo)
    commit(sample_repo, "three problems")
    (sample_repo / "uncommitted.txt").write_text("left alone\n")
    before = tree_digest(sample_repo)
    result = run(sample_repo, "verify")
    assert result.returncode == 1
    assert verdicts(result.stdout) == {
        **dict.fromkeys(suite.ORDER, "ok"),
        "verify-boilerplate": "FAILED",
        "verify-imports": "FAILED",
        "verify-modules": "FAILED",
    }
    lines = result.stderr.splitlines()
    assert "pkg/crd/noheader.go" in lines  # boilerplate
    assert "  pkg/crd/extra.go" in lines  # imports
    assert "  go.mod" in lines  # modules
    assert "verify: 3 check(s) failed: verify-boilerplate, verify-imports, verify-modules" in result.stderr
    assert tree_digest(sample_repo) == before


def test_scratch_copy_holds_go_sources_and_module_files_only(tmp_path: Path) -> None:
    source, dest = tmp_path / "src", tmp_path / "dest"
    for relative in (
        "go.mod",
        "go.sum",
        "a.go",
        "pkg/b.go",
        "pkg/b.yaml",
        "vendor/v/v.go",
        ".git/x.go",
        "sub/go.mod",
    ):
        (source / relative).parent.mkdir(parents=True, exist_ok=True)
        (source / relative).write_text("x\n")
    copied = drift.copy_go_sources(source, dest)
    assert copied == ["a.go", "go.mod", "go.sum", "pkg/b.go", "sub/go.mod"]
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()) == copied
