"""The command line: output levels, unknown names, cut-short output, dry-run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import kstasks, tree_digest
from tests.robust_support import PROJECT, driver_env, run


def _kstasks_env() -> dict[str, str]:
    return {"PYTHONPATH": str(PROJECT), "KSTASKS_OUTPUT": ""}


def test_normal_output_is_one_line_per_step(tmp_path: Path) -> None:
    result = run(tmp_path, "steps")
    assert result.returncode == 0, result.stderr
    err = result.stderr.splitlines()
    assert err[0].startswith("==> first step: done in ") and err[0].endswith("s")
    assert err[1:] == ["progress message", err[2], "warning: something to know"]
    assert err[2].startswith("==> second step: done in ")
    assert result.stdout.splitlines() == ["tool-stdout", "the result"]


@pytest.mark.parametrize(
    ("flags", "env"),
    [(("--hide=err",), {}), ((), {"INVOKE_KSTASKS_OUTPUT": "quiet"}), ((), {"KSTASKS_OUTPUT": "quiet"})],
)
def test_quiet_shows_only_warnings_errors_and_results(
    tmp_path: Path, flags: tuple[str, ...], env: dict[str, str]
) -> None:
    result = run(tmp_path, *flags, "steps", env=driver_env(tmp_path, **env))
    assert result.returncode == 0
    assert result.stderr.splitlines() == ["warning: something to know"]
    assert result.stdout.splitlines() == ["tool-stdout", "the result"]


@pytest.mark.parametrize(
    ("flags", "env"),
    [(("--echo",), {}), ((), {"INVOKE_KSTASKS_OUTPUT": "verbose"}), ((), {"KSTASKS_OUTPUT": "verbose"})],
)
def test_verbose_echoes_commands_and_tool_stderr(
    tmp_path: Path, flags: tuple[str, ...], env: dict[str, str]
) -> None:
    result = run(tmp_path, *flags, "steps", env=driver_env(tmp_path, **env))
    err = result.stderr.splitlines()
    assert err[:3] == ["==> first step", "+ sh -c 'echo tool-stdout; echo tool-stderr >&2'", "tool-stderr"]
    assert err[3].startswith("==> first step: done in")


def test_flags_beat_settings_and_unknown_values_are_refused(tmp_path: Path) -> None:
    quiet_flag = run(
        tmp_path, "--hide=both", "steps", env=driver_env(tmp_path, INVOKE_KSTASKS_OUTPUT="verbose")
    )
    assert quiet_flag.stderr.splitlines() == ["warning: something to know"]
    hide_out = run(tmp_path, "--hide=out", "steps")
    assert hide_out.returncode == 2 and "--hide=out is not supported" in hide_out.stderr
    unknown = run(tmp_path, "steps", env=driver_env(tmp_path, KSTASKS_OUTPUT="loud"))
    assert unknown.returncode == 2 and "output level 'loud' is unknown" in unknown.stderr


def test_kstasks_verbose_and_quiet_flags(sample_repo: Path) -> None:
    env = _kstasks_env()
    quiet = kstasks("-q", "verify-go-versions", "--repo", str(sample_repo), cwd=sample_repo, env=env)
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert quiet.stdout.strip() == "verify-go-versions: ok"  # a result: shown at every level
    normal = kstasks("verify-go-versions", "--repo", str(sample_repo), cwd=sample_repo, env=env)
    assert normal.stdout.strip() == "verify-go-versions: ok"
    assert not any(line.startswith("+ ") for line in normal.stderr.splitlines())  # no command echo
    verbose = kstasks("-v", "verify-go-versions", "--repo", str(sample_repo), cwd=sample_repo, env=env)
    assert "go version" in verbose.stderr.splitlines()[0] and verbose.stderr.startswith("+ ")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("all-generatd",), "error: no task 'all-generatd'. Did you mean 'all-generated'?"),
        (("manifests", "--rpo", "x"), "error: no flag '--rpo' of manifests. Did you mean '--repo'?"),
        (("--verbos", "manifests"), "error: no flag '--verbos'. Did you mean '--verbose'?"),
    ],
)
def test_unknown_names_are_bad_input_with_a_suggestion(
    tmp_path: Path, args: tuple[str, ...], expected: str
) -> None:
    result = kstasks(*args, cwd=tmp_path, env=_kstasks_env())
    assert result.returncode == 2
    assert result.stderr.strip().startswith(expected)
    assert len(result.stderr.strip().splitlines()) == 1


def test_list_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before kstasks writes, as after `| head -1`
    try:
        result = subprocess.run(
            [sys.executable, "-m", "kstasks", "--list"],
            cwd=tmp_path,
            env={**os.environ, **_kstasks_env()},
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert result.returncode == 0
    assert result.stderr == ""


@pytest.mark.tools
def test_dry_run_prints_commands_and_reports_nothing_written(sample_repo: Path) -> None:
    before = tree_digest(sample_repo)
    result = kstasks(
        "--dry", "all-generated", "--repo", str(sample_repo), cwd=sample_repo, env=_kstasks_env()
    )
    assert result.returncode == 0, result.stderr
    assert tree_digest(sample_repo) == before
    assert "+ " in result.stderr and "controller-gen" in result.stderr
    assert "done in" not in result.stderr and "updated" not in result.stderr
    assert (
        "==> manifests + generate: controller-gen rbac, crd, webhook, object: dry run, nothing done"
        in result.stderr
    )


def _invoke_here(*args: str, stdout: int | None = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    """The ``invoke`` command with this project's tasks.py."""
    return subprocess.run(
        [sys.executable, "-m", "invoke", *args],
        cwd=PROJECT,
        env={**os.environ, **_kstasks_env()},
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
    )


def test_invoke_with_the_tasks_file_treats_unknown_names_as_bad_input() -> None:
    task = _invoke_here("all-generatd")
    assert task.returncode == 2
    assert task.stderr.startswith("error: no task 'all-generatd'. Did you mean 'all-generated'?")
    flag = _invoke_here("verify-codegen", "--in-plac")
    assert flag.returncode == 2
    assert flag.stderr.startswith("error: no flag '--in-plac' of verify-codegen. Did you mean '--in-place'?")


def test_invoke_list_into_a_closed_pipe_ends_quietly() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = _invoke_here("--list", stdout=write_end)
    finally:
        os.close(write_end)
    assert result.returncode == 0 and result.stderr == ""


def test_a_tasks_help_is_shown_even_where_it_takes_a_positional_version(tmp_path: Path) -> None:
    from kstasks.tasks.program import help_first

    result = kstasks("release-prepare", "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Usage: kstasks" in result.stdout and "release-prepare" in result.stdout
    assert help_first(["kstasks", "-q", "verify-release", "-h"], ["verify-release"]) == [
        "kstasks",
        "-q",
        "--help",
        "verify-release",
    ]
    assert help_first(["kstasks", "versions", "--json"], ["versions"]) == ["kstasks", "versions", "--json"]


def test_quiet_and_verbose_together_are_bad_input(sample_repo: Path) -> None:
    result = kstasks("-q", "-v", "verify-go-versions", "--repo", str(sample_repo), cwd=sample_repo)
    assert result.returncode == 2 and "exclude each other" in result.stderr
