"""Choosing the Go toolchain that builds each tool and runs the generators on a checkout."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kstasks.core import errors
from kstasks.core.errors import KstasksError
from kstasks.project import settings
from kstasks.toolchain import toolchains, tools

GO_1_26 = (1, 26, 8)


def _need(module: str, version: str, tool_go: str, target_go: str | None, on_target: bool) -> toolchains.Need:
    return toolchains.need(
        module,
        version,
        toolchains.parse(tool_go),
        toolchains.parse(target_go) if target_go else None,
        runs_on_target=on_target,
    )


@pytest.mark.parametrize(
    ("module", "version", "tool_go", "target_go", "on_target", "hints", "expected"),
    [
        # Go 1.26 cannot build controller-tools v0.13.0: the oldest known toolchain that can.
        ("sigs.k8s.io/controller-tools", "v0.13.0", "1.20", "1.21", False, [], "go1.21.8"),
        # ... nor code-generator v0.29/v0.30; it also runs on the checkout: go.mod's 1.22.7.
        ("k8s.io/code-generator", "v0.29.10", "1.21", "1.22.7", True, ["go1.22.7"], "go1.22.7"),
        # go1.23.8 would build v0.30.12 but cannot run it on a go.mod asking 1.24.1.
        ("k8s.io/code-generator", "v0.30.12", "1.22.0", "1.24.1", True, ["go1.23.8", "go1.24.1"], "go1.24.1"),
        # No known limit: the Go on PATH.
        ("k8s.io/code-generator", "v0.28.2", "1.20", "1.21", True, [], ""),
        ("sigs.k8s.io/controller-tools", "v0.17.3", "1.23.0", "1.25.0", False, [], ""),
        ("k8s.io/code-generator", "v0.32.13", "1.23.0", "1.25.0", True, ["go1.25.0"], ""),
    ],
)
def test_choice(
    module: str,
    version: str,
    tool_go: str,
    target_go: str,
    on_target: bool,
    hints: list[str],
    expected: str,
) -> None:
    choice = toolchains.choose(_need(module, version, tool_go, target_go, on_target), GO_1_26, hints)
    assert choice is not None
    assert choice.value == expected


def test_the_go_on_path_is_used_when_it_fits_even_for_limited_tools() -> None:
    need = _need("sigs.k8s.io/controller-tools", "v0.13.0", "1.20", None, False)
    assert toolchains.choose(need, (1, 21, 13)) == toolchains.Choice(
        "", toolchains.choose(need, (1, 21, 13)).why
    )
    assert toolchains.choose(need, (1, 21, 13)).value == ""


def test_no_fitting_toolchain_is_none() -> None:
    # a tool that builds only with Go <= 1.21 cannot run on a checkout asking for Go 1.24
    need = _need("sigs.k8s.io/controller-tools", "v0.13.0", "1.20", "1.24.1", True)
    assert toolchains.choose(need, GO_1_26) is None
    assert ">= go1.24.1, <= go1.21.x" in need.describe()


def test_go_before_1_21_is_never_chosen() -> None:
    # GOTOOLCHAIN cannot fetch Go before 1.21: a go.mod's "go 1.20" is no candidate
    need = _need("sigs.k8s.io/controller-tools", "v0.11.3", "1.19", None, False)
    assert toolchains.choose(need, GO_1_26, ["go1.20.14"]).value == "go1.21.8"


def test_hints_come_from_go_mod_and_pins() -> None:
    assert toolchains.hints_from("1.24.1", "go1.24.3", {"controller_tools_gotoolchain": "go1.23.8"}) == [
        "go1.24.3",
        "go1.24.1",
        "go1.23.8",
    ]
    assert toolchains.hints_from("1.21", "", {}) == []


def test_build_limits_cover_the_measured_versions() -> None:
    assert toolchains.build_limit("sigs.k8s.io/controller-tools", "v0.13.0") is not None
    assert toolchains.build_limit("sigs.k8s.io/controller-tools", "v0.15.0") is None
    for version in ("v0.29.10", "v0.30.3", "v0.30.12", "v0.30.14"):
        assert toolchains.build_limit("k8s.io/code-generator", version) is not None
    assert toolchains.build_limit("k8s.io/code-generator", "v0.28.2") is None
    assert toolchains.build_limit("k8s.io/code-generator", "v0.32.13") is None


def test_an_explicit_setting_wins_over_the_choice(tmp_path: Path) -> None:
    def never(name: str) -> tuple[str, str]:
        raise AssertionError(f"asked to choose for {name}")

    versions = {**settings.DEFAULTS["versions"], "controller_tools_gotoolchain": "go1.22.7"}
    box = tools.Toolbox(versions, tmp_path, chooser=never)
    assert box.toolchain_of("controller-gen") == "go1.22.7"
    assert box.install_dir("controller-gen") == tmp_path / "controller-gen" / "v0.13.0-go1.22.7"


def test_the_choice_is_asked_once_and_names_the_install_dir(tmp_path: Path) -> None:
    asked = []

    def chooser(name: str) -> tuple[str, str]:
        asked.append(name)
        return "go1.24.1", "chosen: because"

    versions = {**settings.DEFAULTS["versions"], "code_generator": "v0.30.12"}
    box = tools.Toolbox(versions, tmp_path, chooser=chooser)
    assert box.tool_env("code-generator") == {"GOTOOLCHAIN": "go1.24.1"}
    assert box.install_dir("code-generator") == tmp_path / "code-generator" / "v0.30.12-go1.24.1"
    assert asked == ["code-generator"]
    assert box.toolchain_sources["code-generator"] == "chosen: because"


def test_the_default_chooser_reads_the_tool_go_mod(tmp_path: Path) -> None:
    """Without a checkout, controller-tools v0.13.0 still gets a toolchain that builds it (its go.mod
    is read through the Go module cache, which .ci/install filled)."""
    box = tools.Toolbox(settings.DEFAULTS["versions"], tmp_path)
    assert box.install_dir("controller-gen") == tmp_path / "controller-gen" / "v0.13.0-go1.21.8"
    assert "go.mod: go 1.20" in box.toolchain_sources["controller-gen"]


@pytest.mark.parametrize(
    ("stderr", "expected"),
    [
        (
            "golang.org/x/tools/internal/tokeninternal/tokeninternal.go:64:9: "
            "invalid array length -delta * delta (constant -256 of type int64)",
            "its golang.org/x/tools does not compile with go1.26.8",
        ),
        (
            "go: go.mod requires go >= 1.24.1 (running go 1.23.8; GOTOOLCHAIN=go1.23.8)",
            "a go.mod asks for Go 1.24.1, newer than go1.26.8",
        ),
    ],
)
def test_toolchain_problems_are_named(stderr: str, expected: str) -> None:
    failure = errors.StepFailed("client-gen failed", "Fix the API types.", context=stderr)
    explained = toolchains.explain(failure, "go1.26.8", "code_generator_gotoolchain")
    assert explained.code == 1
    last = explained.message.splitlines()[-1]
    assert "a Go toolchain problem, not a problem in your code" in last and expected in last
    assert "Fix the API types" not in last
    assert "kstasks.versions.code_generator_gotoolchain" in last


def test_other_failures_are_left_alone() -> None:
    failure = errors.StepFailed("client-gen failed", "Fix the API types.", context="types.go:3: syntax error")
    assert toolchains.explain(failure, "", "code_generator_gotoolchain") is failure


def test_no_fitting_toolchain_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(toolchains, "module_go_directive", lambda *args: (1, 20, 0))
    pin = toolchains.ToolPin(
        "code-generator", "k8s.io/code-generator", "v0.30.12", "code_generator_gotoolchain"
    )
    with pytest.raises(KstasksError) as caught:
        toolchains.choose_for(pin, target_go="1.25.0", hints=(), cache_dir=tmp_path)
    assert caught.value.code == 2
    assert "no known Go toolchain can build code-generator v0.30.12 and run it on this checkout" in str(
        caught.value.message
    )


@pytest.mark.tools
def test_a_modules_go_line_is_asked_of_go_once_then_remembered(tmp_path: Path) -> None:
    from kstasks.toolchain import golang

    asked = toolchains.module_go_directive(golang.require_go(), "k8s.io/code-generator", "v0.28.2", tmp_path)
    assert asked == (1, 20, 0)
    # a go that answers nothing: the answer comes from what was remembered
    assert (
        toolchains.module_go_directive(
            shutil.which("false") or "false", "k8s.io/code-generator", "v0.28.2", tmp_path
        )
        == asked
    )
    assert (
        toolchains.module_go_directive(
            shutil.which("false") or "false", "k8s.io/code-generator", "v0.29.0", tmp_path
        )
        is None
    )
