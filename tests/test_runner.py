"""The one runner: echo, dry-run, secrets, failures."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from kstasks.core import context, errors, output, runner
from kstasks.core.errors import KstasksError


def test_echoes_the_command_with_its_environment(capsys: pytest.CaptureFixture[str]) -> None:
    runner.run([sys.executable, "-c", "print(1)"], env={"GOBIN": "/x y"})
    err = capsys.readouterr().err
    assert f"+ GOBIN='/x y' {sys.executable} -c 'print(1)'" in err


def test_failure_names_command_exit_code_and_stderr_tail() -> None:
    script = "import sys\nfor i in range(40): print('line', i, file=sys.stderr)\nsys.exit(3)"
    with pytest.raises(KstasksError) as caught:
        runner.run([sys.executable, "-c", script], what="the probe", todo="Do X.")
    message = caught.value.message
    assert caught.value.code == errors.FAILURE
    assert "exit code 3" in message
    assert "line 39" in message and "line 5\n" not in message
    assert message.splitlines()[-1] == "error: the probe failed. Do X."


def test_captured_failure_keeps_stderr_tail() -> None:
    with pytest.raises(KstasksError) as caught:
        runner.run([sys.executable, "-c", "import sys; sys.exit('boom')"], capture=True)
    assert "boom" in caught.value.message


def test_missing_program_is_a_usage_error() -> None:
    with pytest.raises(KstasksError) as caught:
        runner.run(["kstasks-no-such-program"])
    assert caught.value.code == errors.USAGE
    assert "not installed" in caught.value.message


def test_dry_run_prints_but_does_not_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    context.configure(dry=True)
    marker = tmp_path / "ran"
    runner.run([sys.executable, "-c", f"open({str(marker)!r}, 'w')"])
    assert not marker.exists()
    assert str(marker) in capsys.readouterr().err


def test_queries_run_even_in_dry_run() -> None:
    context.configure(dry=True)
    result = runner.run([sys.executable, "-c", "print(42)"], capture=True, query=True)
    assert result.stdout.strip() == "42"


def test_secrets_never_printed(capsys: pytest.CaptureFixture[str]) -> None:
    output.add_secret("s3cr3t-value")
    with pytest.raises(KstasksError) as caught:
        runner.run(
            [
                sys.executable,
                "-c",
                "import sys; print('token s3cr3t-value', file=sys.stderr); sys.exit(1)",
                "--password=s3cr3t-value",
            ],
            env={"GITHUB_TOKEN": "other-secret"},
        )
    out = capsys.readouterr()
    assert "s3cr3t-value" not in out.err + out.out + caught.value.message
    assert "other-secret" not in out.err + caught.value.message
    assert "GITHUB_TOKEN=***" in out.err


def test_hidden_stderr_lines_are_dropped(capsys: pytest.CaptureFixture[str]) -> None:
    import re

    runner.run(
        [
            sys.executable,
            "-c",
            "import sys; print('noise', 1, file=sys.stderr); print('keep', file=sys.stderr)",
        ],
        hide_stderr=re.compile("^noise"),
    )
    err = capsys.readouterr().err
    assert "\nkeep\n" in err and "noise 1" not in err


def test_step_reports_duration_and_failure(capsys: pytest.CaptureFixture[str]) -> None:
    with output.step("thing"):
        pass
    with pytest.raises(RuntimeError), output.step("other"):
        raise RuntimeError("x")
    err = capsys.readouterr().err
    assert "==> thing: done in" in err
    assert "==> other: failed after" in err


def test_levels_decide_what_progress_shows(capfd: pytest.CaptureFixture[str]) -> None:
    shown = {}
    for level in context.LEVELS:
        context.configure(level=level)
        with output.step("the step"):
            runner.run(
                [sys.executable, "-c", "import sys; print('out'); print('tool noise', file=sys.stderr)"]
            )
            output.say("progress")
        output.warn("careful")
        shown[level] = capfd.readouterr()
    assert shown["quiet"].err == "warning: careful\n"
    assert shown["normal"].err.splitlines()[0] == "progress"
    assert shown["normal"].err.splitlines()[1].startswith("==> the step: done in ")
    assert "tool noise" not in shown["normal"].err and "+ " not in shown["normal"].err
    verbose = shown["verbose"].err.splitlines()
    assert verbose[0] == "==> the step" and verbose[1].startswith("+ ") and verbose[2] == "tool noise"
    assert all(result.out == "out\n" for result in shown.values())


def test_hidden_tool_stderr_still_explains_a_failure() -> None:
    context.configure(level="quiet")
    with pytest.raises(KstasksError) as caught:
        runner.run([sys.executable, "-c", "import sys; sys.exit('the reason')"])
    assert "the reason" in caught.value.message


def test_unknown_level_is_bad_input() -> None:
    with pytest.raises(KstasksError) as caught:
        context.configure(level="loud")
    assert caught.value.code == errors.USAGE


@pytest.mark.parametrize(
    "line",
    [
        "open config/rbac/role.yaml: read-only file system",
        "write /tmp/x: no space left on device",
        "sh: 1: go: not found",
        "go: command not found",
        'error: go command required, not found: exec: "go": executable file not found in $PATH',
        "go: go.mod requires go >= 1.23 (running go 1.21.8; GOTOOLCHAIN=local)",
        'compile: version "go1.22.1" does not match go tool version "go1.21.8"',
    ],
)
def test_environment_problems_are_diagnosed(line: str) -> None:
    diagnosis = runner.diagnose(f"some output\n{line}\nError: generators failed")
    assert diagnosis is not None and diagnosis[0] == line


def test_ordinary_failures_are_not_diagnosed() -> None:
    assert runner.diagnose("api/v1/types.go:12: unknown marker +kubebuilder:foo") is None


def test_each_command_runs_in_its_own_session() -> None:
    """So Ctrl-C reaches kstasks alone, and kstasks stops the whole group of each command."""
    result = runner.run(["ps", "-o", "sid=", "-p", str(os.getpid())], capture=True)
    own = runner.run(["sh", "-c", "ps -o sid= -p $$"], capture=True)
    assert int(own.stdout) != int(result.stdout)
