"""The package as published: sdist and wheel contents, metadata, and how nox sessions install it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from kstasks import __version__
from kstasks.project import requirement, scaffold, snapshot
from kstasks.tasks import noxsessions
from tests.conftest import PROJECT, git, make_sample_repo, tree_digest


def _run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        list(args), cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(source copy, wheel, sdist) built offline from a copy of this project's working tree."""
    temp = tmp_path_factory.mktemp("build")
    source = snapshot.copy_source_tree(PROJECT, temp / "source")
    dist = temp / "dist"
    _run(sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(source), cwd=temp)
    (wheel,) = (temp / "dist").glob("*.whl")
    (sdist,) = (temp / "dist").glob("*.tar.gz")
    return source, wheel, sdist


def test_the_wheel_holds_every_data_file_the_license_and_the_version(built: tuple[Path, Path, Path]) -> None:
    source, wheel, _ = built
    data_files = {
        path.relative_to(source).as_posix()
        for path in (source / "kstasks" / "data").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert "kstasks/data/templates/kstasks-verify.yaml" in data_files
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(f"kstasks-{__version__}.dist-info/METADATA").decode()
    assert data_files <= names, sorted(data_files - names)
    assert f"kstasks-{__version__}.dist-info/licenses/LICENSE" in names
    assert wheel.name == f"kstasks-{__version__}-py3-none-any.whl"
    assert f"\nVersion: {__version__}\n" in metadata
    assert "\nLicense-Expression: Apache-2.0\n" in metadata
    assert "Project-URL: Changelog" in metadata
    assert "Classifier: Programming Language :: Python :: 3" in metadata


def test_the_sdist_holds_the_data_files_and_the_license(built: tuple[Path, Path, Path]) -> None:
    source, _, sdist = built
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    data_files = {
        path.relative_to(source).as_posix()
        for path in (source / "kstasks" / "data").rglob("*")
        if path.is_file()
    }
    assert data_files and data_files <= names, sorted(data_files - names)
    assert {"LICENSE", "README.md", "pyproject.toml", "kstasks/__init__.py"} <= names


def test_twine_accepts_both_archives(built: tuple[Path, Path, Path]) -> None:
    _, wheel, sdist = built
    _run(sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist), cwd=wheel.parent)


def test_the_version_is_written_once() -> None:
    pyproject = (PROJECT / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject and __version__ not in pyproject


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"KSTASKS_REQUIREMENT": "kstasks==9.9.9"}, "kstasks==9.9.9"),
        ({"KSTASKS_REQUIREMENT": "git+https://example.invalid/kstasks.git@v1"}, None),
        ({}, str(PROJECT)),
    ],
)
def test_the_requirement_comes_from_the_setting_else_the_project(
    environ: dict[str, str], expected: str | None
) -> None:
    chosen = requirement.requirement(environ, PROJECT)
    assert chosen == (expected or environ["KSTASKS_REQUIREMENT"])


def test_extras_join_every_requirement_form(tmp_path: Path) -> None:
    wheel = tmp_path / "kstasks-1-py3-none-any.whl"
    wheel.touch()
    local = requirement.local_path(str(wheel))
    assert local == wheel and requirement.local_path(wheel.as_uri()) == wheel
    assert requirement.local_path("kstasks==1.0") is None
    assert requirement.with_extras(str(wheel), "[test]", local) == f"kstasks[test] @ {wheel.as_uri()}"
    assert requirement.with_extras("kstasks==1.0", "[test]", None) == "kstasks[test]==1.0"
    assert (
        requirement.with_extras("git+https://h/k.git", "[test]", None)
        == "kstasks[test] @ git+https://h/k.git"
    )
    named = requirement.with_extras("kstasks @ git+https://h/k.git", "[test]", None)
    assert named == "kstasks[test] @ git+https://h/k.git"
    assert requirement.local_path(".") == Path.cwd().resolve()


class RecordingSession:
    """What a session body asks nox to install (nothing is installed)."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.installs: list[tuple[str, ...]] = []

    def create_tmp(self) -> str:
        return str(self.tmp)

    def install(self, *args: str) -> None:
        self.installs.append(args)


def test_a_source_directory_is_installed_from_a_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KSTASKS_REQUIREMENT", raising=False)
    monkeypatch.chdir(PROJECT)
    session = RecordingSession(tmp_path)
    noxsessions.install_kstasks(session, "[test]")
    copy = tmp_path / "kstasks-source"
    assert session.installs == [(f"kstasks[test] @ {copy.as_uri()}",)]
    assert (copy / "pyproject.toml").is_file() and (copy / "kstasks" / "__init__.py").is_file()
    assert not (copy / ".git").exists()


def test_a_local_wheel_is_reinstalled_and_an_index_name_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wheel = tmp_path / "kstasks-0.1.0-py3-none-any.whl"
    wheel.touch()
    monkeypatch.setenv("KSTASKS_REQUIREMENT", str(wheel))
    session = RecordingSession(tmp_path)
    noxsessions.install_kstasks(session)
    assert session.installs == [(str(wheel),), ("--no-deps", "--force-reinstall", str(wheel))]
    monkeypatch.setenv("KSTASKS_REQUIREMENT", "kstasks==0.1.0")
    session = RecordingSession(tmp_path)
    noxsessions.install_kstasks(session)
    assert session.installs == [("kstasks==0.1.0",)]


@pytest.mark.parametrize("where", ["project", "checkout"])
def test_a_nox_session_installs_the_wheel_non_editable_and_leaves_the_source_alone(
    built: tuple[Path, Path, Path], tmp_path: Path, where: str
) -> None:
    """Real nox, offline, in this project and in a checkout `kstasks init` set up: the session's
    virtualenv (made beforehand with the system's packages, so kstasks' dependencies need no
    index) gets the wheel KSTASKS_REQUIREMENT names, and the tree nox runs in is untouched."""
    _, wheel, _ = built
    if where == "project":
        tree = snapshot.copy_source_tree(PROJECT, tmp_path / "project")
    else:
        tree = make_sample_repo(tmp_path / "checkout")
        scaffold.init_checkout(tree)
    before = tree_digest(tree)
    envs = tmp_path / "envs"
    _run(sys.executable, "-m", "venv", "--system-site-packages", str(envs / "generate"), cwd=tmp_path)
    env = {"KSTASKS_REQUIREMENT": str(wheel), "PIP_NO_INDEX": "1", "PYTHONPATH": str(PROJECT)}
    command = [sys.executable, "-m", "nox", "-s", "generate", "--envdir", str(envs), "--", "--help"]
    result = _run(*command, cwd=tree, env=env)
    assert f"pip install {wheel}" in result.stderr
    assert "kstasks [--core-opts] all-generated" in result.stdout + result.stderr
    (site,) = (envs / "generate" / "lib").glob("python*/site-packages")
    assert (site / "kstasks" / "data" / "templates" / "noxfile.py").is_file()
    direct_url = json.loads((site / f"kstasks-{__version__}.dist-info" / "direct_url.json").read_text())
    assert direct_url["url"] == wheel.as_uri() and "dir_info" not in direct_url
    assert not list(site.glob("__editable__*")) and not list(site.glob("*kstasks*.pth"))
    assert tree_digest(tree) == before


def test_every_top_level_file_is_one_the_readme_explains() -> None:
    readme = (PROJECT / "README.md").read_text()
    top_level = {name.split("/")[0] for name in git(PROJECT, "ls-files").splitlines()}
    assert top_level >= {"LICENSE", "CHANGELOG.md", "pyproject.toml", "README.md"}
    assert "kz.time" not in top_level
    assert [name for name in sorted(top_level) if f"`{name}" not in readme] == []


EARLIER_NOXFILE = """
import nox

from kstasks import noxdocs, noxsessions


@nox.session(tags=["verify", "ci"])
def verify(session):
    noxsessions.verify(session)


@nox.session(name="serve-docs", tags=["docs"])
def serve_docs(session):
    noxdocs.serve_docs(session)


if noxsessions.in_project():

    @nox.session(tags=["release"])
    def release(session):
        noxsessions.release(session)
"""
"""The imports of the noxfile an earlier ``kstasks init`` wrote (before the packages)."""


def test_a_noxfile_from_an_earlier_init_still_loads_and_says_to_rerun_init(tmp_path: Path) -> None:
    (tmp_path / "noxfile.py").write_text(EARLIER_NOXFILE)
    result = subprocess.run(
        [sys.executable, "-m", "nox", "--list"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "verify" in result.stdout and "serve-docs" in result.stdout and "release" not in result.stdout
    assert "kstasks init --force" in result.stderr
