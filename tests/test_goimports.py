"""The built-in import ordering, checked against outputs of the pinned openshift-goimports."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kstasks.codegen import goimports
from kstasks.codegen.goimports import ImportRules, Unsupported

DATA = Path(__file__).parent / "data" / "goimports"
RULES = ImportRules("example.com/kssample", ("github.com/kubestellar/kubeflex",))
CASES = sorted(p.name.removesuffix(".in.go") for p in DATA.glob("*.in.go"))


@pytest.mark.parametrize("case", CASES)
def test_tree_matches_openshift_goimports(case: str, tmp_path: Path) -> None:
    shutil.copy(DATA / f"{case}.in.go", tmp_path / "a.go")
    goimports.normalise_tree(tmp_path, RULES)
    assert (tmp_path / "a.go").read_text() == (DATA / f"{case}.out.go").read_text()


@pytest.mark.parametrize("case", CASES)
def test_output_is_a_fixed_point(case: str, tmp_path: Path) -> None:
    expected = (DATA / f"{case}.out.go").read_text()
    assert goimports.normalise_source(expected, RULES) == expected


def test_module_bucket_wins_over_other() -> None:
    groups = goimports.order_specs(
        [
            goimports.ImportSpec(None, '"example.com/kssample/a"'),
            goimports.ImportSpec(None, '"example.com/z"'),
        ],
        RULES,
    )
    assert [[s.path for s in g] for g in groups] == [['"example.com/z"'], ['"example.com/kssample/a"']]


@pytest.mark.parametrize(
    ("source", "why"),
    [
        ('package a\n\nimport "fmt"\n\nimport "os"\n', "more than one"),
        ('package a\n\nimport (\n\t"fmt" // print\n)\n', "comments"),
        ('package a\n\nimport (\n\t"C"\n\t"fmt"\n)\n', "cgo"),
    ],
)
def test_unsupported_files_are_refused(source: str, why: str) -> None:
    with pytest.raises(Unsupported, match=why):
        goimports.normalise_source(source, RULES)


def test_unsupported_files_are_left_as_they_are(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = 'package a\n\nimport (\n\t"k8s.io/x"\n\t// keep me\n\t"fmt"\n)\n'
    (tmp_path / "a.go").write_text(source)
    assert goimports.normalise_tree(tmp_path, RULES) == []
    assert (tmp_path / "a.go").read_text() == source
    assert "left a.go as it is" in capsys.readouterr().err


def test_vendor_and_git_are_skipped(tmp_path: Path) -> None:
    for directory in ("vendor/x", ".git/y", "pkg"):
        (tmp_path / directory).mkdir(parents=True)
        (tmp_path / directory / "a.go").write_text("package a\n")
    assert [p.relative_to(tmp_path).as_posix() for p in goimports.go_files(tmp_path)] == ["pkg/a.go"]


def test_command_line_takes_openshift_goimports_flags(tmp_path: Path) -> None:
    shutil.copy(DATA / "grouped.in.go", tmp_path / "a.go")
    assert (
        goimports.main(["-i", "github.com/kubestellar/kubeflex", "-m", "example.com/kssample", str(tmp_path)])
        == 0
    )
    assert (tmp_path / "a.go").read_text() == (DATA / "grouped.out.go").read_text()
