"""check-prereqs (hack/check_pre_req.sh): found versions and paths, minimums, what is missing."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from kstasks.devloop import prereqs
from tests.conftest import kstasks


def stub(directory: Path, name: str, output: str) -> None:
    """A stand-in for a program that cannot be installed here: prints ``output`` as its version."""
    directory.mkdir(exist_ok=True)
    (directory / name).write_text(f"#!/bin/sh\necho '{output}'\n")
    (directory / name).chmod(0o755)


def env_with(directory: Path) -> dict[str, str]:
    """PATH: ``directory`` first, then only the directories of python3 and go (so argocd etc. are absent)."""
    dirs = [str(directory)]
    for tool in ("python3", "go", "git"):
        found = shutil.which(tool)
        assert found
        dirs.append(str(Path(found).parent))
    return {"PATH": os.pathsep.join(dirs)}


def test_found_programs_show_version_and_path(tmp_path: Path) -> None:
    result = kstasks("check-prereqs", "-p", "go", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "\u2714 Go (minimum 1.21)" in result.stdout
    assert "version: go version go1." in result.stdout
    assert f"path: {shutil.which('go')}" in result.stdout


def test_too_old_and_missing_are_named_with_exit_1(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    stub(bin_dir, "kflex", "Kubeflex version: v0.5.0.abcdef")
    result = kstasks(
        "check-prereqs", "-p", "kflex", "-p", "argo", "--verbose", cwd=tmp_path, env=env_with(bin_dir)
    )
    assert result.returncode == 1
    assert "X KubeFlex: too old (minimum 0.6.1)" in result.stdout
    assert "X ArgoCD CLI: not found" in result.stdout
    assert "how to install: https://argo-cd.readthedocs.io" in result.stdout
    assert "prerequisites not met: kflex (too old), argo (missing)" in result.stderr

    stub(bin_dir, "kflex", "Kubeflex version: v0.6.1.abcdef")
    assert kstasks("check-prereqs", "-p", "kflex", cwd=tmp_path, env=env_with(bin_dir)).returncode == 0


def test_assert_stops_at_the_first_missing_program(tmp_path: Path) -> None:
    result = kstasks(
        "check-prereqs", "-p", "argo", "-p", "go", "--assert", cwd=tmp_path, env=env_with(tmp_path / "b")
    )
    assert result.returncode == 1
    assert "ArgoCD CLI" in result.stdout and "Go" not in result.stdout


def test_default_groups_and_list(tmp_path: Path) -> None:
    result = kstasks("check-prereqs", cwd=tmp_path, env=env_with(tmp_path / "b"))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "Checking pre-requisites for using KubeStellar:"
    assert "Checking pre-requisites for building KubeStellar:" in lines
    listed = kstasks("check-prereqs", "--list", cwd=tmp_path)
    assert listed.stdout.split() == [
        "argo",
        "brew",
        "docker",
        "go",
        "helm",
        "jq",
        "kflex",
        "kind",
        "ko",
        "kubectl",
        "make",
        "ocm",
        "yq",
    ]


def test_unknown_program_exits_2(tmp_path: Path) -> None:
    result = kstasks("check-prereqs", "-p", "kcp", cwd=tmp_path)
    assert result.returncode == 2 and "unknown program kcp" in result.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [("go version go1.21.8 linux/amd64", (1, 21, 8)), ("v0.6", (0, 6, 0)), ("none", None)],
)
def test_version_tuple(text: str, expected: tuple[int, int, int] | None) -> None:
    assert prereqs.version_tuple(text) == expected


def test_the_checkouts_own_script_gives_the_list_and_the_minimums(sample_v030: Path, tmp_path: Path) -> None:
    listed = kstasks("check-prereqs", "--list", cwd=sample_v030, env={"KSTASKS_REPO": str(sample_v030)})
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split() == [
        "docker",
        "go",
        "helm",
        "kflex",
        "kind",
        "ko",
        "kubectl",
        "ocm",
        "k3d",
        "ginkgo",
    ]
    bin_dir = tmp_path / "bin"
    stub(bin_dir, "kflex", "Kubeflex version: v0.9.2")
    env = {**env_with(bin_dir), "KSTASKS_REPO": str(sample_v030)}
    old = kstasks("check-prereqs", "-p", "kflex", cwd=sample_v030, env=env)
    assert old.returncode == 1
    assert "X KubeFlex: too old (minimum 0.9.3)" in old.stdout
    stub(bin_dir, "kflex", "Kubeflex version: v0.9.3")
    assert kstasks("check-prereqs", "-p", "kflex", cwd=sample_v030, env=env).returncode == 0
    default = kstasks("check-prereqs", cwd=sample_v030, env=env)
    marks = [line for line in default.stdout.splitlines() if line[:1] in ("X", "\u2714")]
    checked = [line.split(" ", 1)[1].split(":")[0].split(" (")[0] for line in marks]
    assert checked[:3] == ["Docker", "kubectl", "KubeFlex"] and "k3d" in checked and "Ginkgo" not in checked
    assert kstasks("check-prereqs", "-p", "argo", cwd=sample_v030, env=env).returncode == 2


SCRIPT = """
is_installed() {
    # $1 name, $2 command, $3 version for people, $4 version compared, $5 help, $6 minimum,
    # $7 another minimum, $8 exclusive upper bound
    wantver="$6"
    addlver="$7"
    exclver="$8"
    gotver=$(eval "$4" 2> /dev/null)
    echov "  version (unstructured): $(eval "$3" 2> /dev/null)"
    echov "  how to install: $5"
}

is_installed_widget() {
    is_installed 'Widget' \\
        'widget' \\
        'widget --version | head -1' \\
        "widget --version | awk '"'{ print $2 }'"'" \\
        'see the widget page' \\
        "" \\
        :v1.0 \\
        :v1.1
}

PROGRAMS="@(widget)"

if [ ${#programs[@]} -eq 0 ]; then
    echo "Checking widgets:"
    is_installed_widget
else
    :
fi
"""


def test_the_eight_argument_form_and_its_version_range() -> None:
    from kstasks.devloop import prereqscript

    script = prereqscript.parse(SCRIPT, "scripts/check_pre_req.sh")
    widget = script.programs["widget"]
    assert widget.structured == "widget --version | awk '{ print $2 }'"
    assert widget.display == "widget --version | head -1" and widget.install == "see the widget page"
    assert (widget.minimum, widget.additional, widget.upper) == ("", ":v1.0", ":v1.1")
    assert script.groups == (("Checking widgets:", ("widget",)),)
    assert prereqscript.accepts(widget, ":v1.0.3") and not prereqscript.accepts(widget, ":v1.1.0")
    assert not prereqscript.accepts(widget, ":v0.9")
    assert prereqs.Program.from_script(widget).minimum == "v1.0, below v1.1"
