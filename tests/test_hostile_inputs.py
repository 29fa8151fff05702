"""Hostile files and values as one clear line, blamed on what is wrong: real processes on copies
of the sample."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import kstasks

BROKEN_YAML = "name: [unclosed\n  - x: : y\n"


def _errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


@pytest.mark.tools
def test_a_malformed_chart_yaml_is_blamed_on_that_file_in_one_line(sample_repo: Path) -> None:
    (sample_repo / "chart" / "Chart.yaml").write_text(BROKEN_YAML)
    result = kstasks(
        "package-charts", "--version", "0.25.0", cwd=sample_repo, env={"KSTASKS_REPO": str(sample_repo)}
    )
    assert result.returncode == 2, result.stderr
    said = _errors(result.stderr)
    assert len(said) == 1 and said[0].startswith(
        "error: chart/Chart.yaml is not valid YAML: line 2, column 6:"
    )
    assert "settings file" not in result.stderr and "kstasks bug" not in result.stderr


def test_a_malformed_settings_file_is_one_line_naming_it(sample_repo: Path) -> None:
    (sample_repo / "invoke.yaml").write_text("kstasks:\n  chart: [unclosed\n  - x: : y\n")
    result = kstasks("versions", cwd=sample_repo)
    assert result.returncode == 2, result.stderr
    said = _errors(result.stderr)
    assert len(said) == 1 and "invoke.yaml, line 3, column 6: expected ',' or ']'" in said[0]
    assert len(result.stderr.strip().splitlines()) == 1 and "kstasks bug" not in result.stderr


@pytest.mark.parametrize("flag", [(), ("-q",), ("-v",)], ids=["no-flag", "quiet", "verbose"])
def test_an_unknown_output_setting_is_refused_even_under_a_flag(
    flag: tuple[str, ...], sample_repo: Path
) -> None:
    (sample_repo / "invoke.yaml").write_text("kstasks:\n  output: loud\n")
    result = kstasks(*flag, "versions", cwd=sample_repo)
    assert result.returncode == 2, result.stderr
    assert _errors(result.stderr) == [
        "error: output level 'loud' is unknown. Use one of: quiet, normal, verbose."
    ]


def test_an_absurdly_long_pre_release_is_refused_before_any_work(sample_repo: Path) -> None:
    version = "0.25.0-" + "a" * 100_000
    result = kstasks(
        "package-charts", "--version", version, cwd=sample_repo, env={"KSTASKS_REPO": str(sample_repo)}
    )
    assert result.returncode == 2, result.stderr[-500:]
    said = _errors(result.stderr)
    assert len(said) == 1 and "(100007 characters): longer than 128 characters" in said[0]
    assert len(said[0]) < 400 and not (sample_repo / "dist").exists()


@pytest.mark.tools
def test_sigterm_during_publish_prints_one_line(sample_repo: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.faults import after, answer, serve

    env = {**os.environ, "KSTASKS_REPO": str(sample_repo), "KSTASKS_NETWORK_DEADLINE": "60"}
    packaged = kstasks(
        "package-charts", "--version", "0.25.0", cwd=sample_repo, env={"KSTASKS_REPO": str(sample_repo)}
    )
    assert packaged.returncode == 0, packaged.stderr
    stuck = after(120, answer("200 OK"))

    def registry(state, conn, request):  # type: ignore[no-untyped-def]
        if request.method == "HEAD":
            stuck(state, conn, request)  # the first blob check hangs: the publish is under way
        elif "/manifests/" in request.path:
            answer("404 Not Found", b'{"errors":[]}')(state, conn, request)
        else:
            answer("200 OK", b"{}")(state, conn, request)

    with serve(registry) as server:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kstasks",
                "publish-charts",
                "--version",
                "0.25.0",
                "--registry",
                f"oci://{server.host}/x",
            ],
            cwd=sample_repo,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while not any(r.method == "HEAD" for r in server.requests):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 143, stderr
    lines = [line for line in stderr.splitlines() if "interrupted" in line]
    assert lines == ["interrupted (SIGTERM). No tag of this run is public."], stderr


def test_a_symlinked_go_mod_is_followed_and_a_dangling_one_named(sample_repo: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (sample_repo / "go.mod").rename(elsewhere / "go.mod")
    (sample_repo / "go.mod").symlink_to(elsewhere / "go.mod")
    env = {"KSTASKS_REPO": str(sample_repo)}
    followed = kstasks("verify-go-versions", cwd=sample_repo, env=env)
    assert followed.returncode == 0, followed.stderr
    (sample_repo / "go.mod").unlink()
    (sample_repo / "go.mod").symlink_to(tmp_path / "nowhere" / "go.mod")
    dangling = kstasks("versions", cwd=sample_repo, env=env)
    assert dangling.returncode == 2, dangling.stderr
    said = _errors(dangling.stderr)
    assert len(said) == 1 and "go.mod is a symbolic link to" in said[0] and "not a readable file" in said[0]
