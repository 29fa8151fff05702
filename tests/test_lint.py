"""make lint and hack/verify-contextual-logging.sh: the real logcheck against the allow-list."""

from __future__ import annotations

from pathlib import Path

import pytest

from kstasks.checks import lint
from tests.conftest import git, kstasks, tree_digest

DEMO = """package logdemo

import "k8s.io/klog/v2"

// Hello logs without a context.
func Hello() {
\tklog.Info("hello")
\tklog.Infof("x %d", 1)
}
"""


def test_report_is_normalised_as_the_script_does(tmp_path: Path) -> None:
    output = f"{tmp_path}/pkg/b.go:3:1: two\n{tmp_path}/pkg/a.go:10:2: one\nB\n"
    assert lint.normalise_report(output, tmp_path) == "/pkg/a.go:10:2: one\n/pkg/b.go:3:1: two\nB\n"


def test_comparison_ignores_line_and_column_numbers() -> None:
    assert lint.compare("/a.go:10:2: x\n", "/a.go:7:1: x\n").ok
    assert lint.compare("", "").ok
    verdict = lint.compare("/a.go:10:2: x\n/b.go:1:1: y\n", "/a.go:7:1: x\n")
    assert not verdict.ok
    assert "+/b.go::: y" in verdict.diff


def add_demo(repo: Path, text: str = DEMO) -> None:
    (repo / "pkg" / "logdemo").mkdir(exist_ok=True)
    (repo / "pkg" / "logdemo" / "demo.go").write_text(text)


@pytest.mark.tools
def test_contextual_logging_allow_list_round_trip(sample_repo: Path) -> None:
    clean = kstasks("verify-contextual-logging", cwd=sample_repo)
    assert clean.returncode == 0, clean.stderr

    add_demo(sample_repo)
    found = kstasks("verify-contextual-logging", cwd=sample_repo)
    assert found.returncode == 1, found.stderr
    assert '/pkg/logdemo/demo.go::: function "Info" should not be used' in found.stderr
    assert "update-contextual-logging" in found.stderr
    assert (sample_repo / "hack" / "logcheck.out").read_text() == ""

    updated = kstasks("update-contextual-logging", cwd=sample_repo)
    assert updated.returncode == 0, updated.stderr
    saved = (sample_repo / "hack" / "logcheck.out").read_text()
    assert saved.splitlines() == [
        '/pkg/logdemo/demo.go:7:2: function "Info" should not be used, convert to contextual logging',
        '/pkg/logdemo/demo.go:8:2: function "Infof" should not be used, convert to contextual logging',
    ]
    git(sample_repo, "add", "-A")
    git(sample_repo, "commit", "-qm", "allow")
    before = tree_digest(sample_repo)

    add_demo(sample_repo, DEMO.replace("// Hello", "// Moved down.\n\n// Hello"))
    moved = kstasks("verify-contextual-logging", cwd=sample_repo)
    assert moved.returncode == 0, moved.stderr

    add_demo(
        sample_repo, DEMO.replace('\tklog.Info("hello")\n', '\tklog.Info("hello")\n\tklog.Warning("w")\n')
    )
    more = kstasks("verify-contextual-logging", cwd=sample_repo)
    assert more.returncode == 1
    assert 'function "Warning" should not be used' in more.stderr
    assert (sample_repo / "hack" / "logcheck.out").read_text() == saved
    assert set(tree_digest(sample_repo)) == set(before)


def test_unknown_linter_is_refused_before_any_work(sample_repo: Path) -> None:
    result = kstasks("lint", "--run", "gofmt", cwd=sample_repo)
    assert result.returncode == 2
    assert "unknown linter gofmt" in result.stderr
    assert "install" not in result.stderr


@pytest.mark.tools
def test_lint_installs_the_pinned_linters_and_reports_each_check(sample_repo: Path) -> None:
    add_demo(sample_repo)
    result = kstasks("lint", cwd=sample_repo)
    assert result.returncode == 1, result.stderr
    assert "verify-contextual-logging    FAILED" in result.stdout
    assert "lint failed: verify-contextual-logging" in result.stderr
    for name, version in (("golangci-lint", "v1.50.1"), ("staticcheck", "v0.3.0"), ("logcheck", "v0.4.1")):
        assert kstasks("tools", "--name", name, cwd=sample_repo).stdout.split()[:2] == [name, version]


def test_a_finding_moving_past_line_nine_still_matches() -> None:
    saved = "/a.go:8:1: f\n/a.go:9:1: g\n"
    moved = lint.normalise_report("/a.go:10:1: g\n/a.go:9:1: f\n", Path("/root-not-in-text"))
    assert moved == "/a.go:10:1: g\n/a.go:9:1: f\n"
    assert lint.compare(moved, saved).ok


def test_the_v2_config_picks_the_workflows_golangci_lint_and_names_the_makefiles_pin(
    sample_v030: Path, sample_repo: Path
) -> None:
    defaults = {"golangci_lint": "v1.50.1", "golangci_lint_v2": "v2.15.0"}
    choice = lint.choose_golangci(sample_v030, defaults)
    assert (choice.tool, choice.version, choice.config, choice.config_major) == (
        "golangci-lint-v2",
        "v2.4.0",
        ".golangci.yaml",
        2,
    )
    assert "the workflow .github/workflows/golangci-lint.yml pins v2.4.0" in choice.why
    assert "the Makefile (GOLANGCI_LINT_VER) pins v1.50.1" in choice.disagreement
    assert choice.args() == ["run", "--config=.golangci.yaml", "./..."]
    base = lint.choose_golangci(sample_repo, defaults)
    assert (base.tool, base.version, base.disagreement) == ("golangci-lint", "v1.50.1", "")


def test_a_v2_config_without_a_v2_pin_takes_kstasks_default(sample_v030: Path) -> None:
    (sample_v030 / ".github" / "workflows" / "golangci-lint.yml").unlink()
    choice = lint.choose_golangci(sample_v030, {"golangci_lint": "v1.50.1", "golangci_lint_v2": "v2.15.0"})
    assert (choice.tool, choice.version) == ("golangci-lint-v2", "v2.15.0")
    assert "no pin of the checkout is a v2" in choice.why


@pytest.mark.tools
def test_lint_on_v030_runs_golangci_lint_v2_with_its_config_and_a_logcheck_that_loads_it(
    sample_v030: Path,
) -> None:
    result = kstasks(
        "lint", "--run", "golangci-lint", cwd=sample_v030, env={"KSTASKS_REPO": str(sample_v030)}
    )
    assert "golangci-lint v2.4.0:" in result.stderr and "version disagreement" in result.stderr
    assert "golangci-lint run --config=.golangci.yaml ./..." in result.stderr
    assert "unsupported version of the configuration" not in result.stderr
    assert "can't load config" not in result.stderr.lower()
    assert "go.mod requires go" not in result.stderr + result.stdout
    verdicts = dict(line.split() for line in result.stdout.splitlines() if len(line.split()) == 2)
    assert set(verdicts) == {"golangci-lint", "verify-contextual-logging"}
    if verdicts["golangci-lint"] == "FAILED":  # findings: shown, file by file
        assert ".go:" in result.stderr
