"""The bodies of the nox sessions, shared by this project's noxfile and the one `init` writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kstasks import __version__


def _source_dir() -> Path | None:
    """This kstasks' source tree, when it runs from one (an editable install or a checkout)."""
    candidate = Path(__file__).resolve().parent.parent
    return (
        candidate if (candidate / "pyproject.toml").is_file() and (candidate / "kstasks").is_dir() else None
    )


def in_project(root: Path | None = None) -> bool:
    """Whether nox runs in the kstasks project itself (rather than a KubeStellar checkout)."""
    here = (root or Path.cwd()).resolve()
    return (here / "kstasks" / "__init__.py").is_file() and (here / "pyproject.toml").is_file()


def install_kstasks(session: Any, extras: str = "") -> None:
    """Install kstasks into the session's virtualenv: from this source tree if there is one."""
    source = _source_dir()
    if source is not None:
        session.install("-e", f"{source}{extras}")
    else:
        session.install(f"kstasks{extras}=={__version__}")


def generate(session: Any) -> None:
    """all-generated on the target checkout."""
    install_kstasks(session)
    session.run("kstasks", "all-generated", *session.posargs)


def verify(session: Any) -> None:
    """Every check: Go version, then derived files in an isolated worktree."""
    install_kstasks(session)
    session.run("kstasks", "verify-go-versions")
    session.run("kstasks", "verify-codegen", *session.posargs)


def tests(session: Any) -> None:
    """kstasks' own test suite in the project; `make test`'s go test in a checkout."""
    if in_project():
        install_kstasks(session, "[test]")
        session.run("pytest", *session.posargs)
    else:
        session.run("go", "test", "./api/...", "./cmd/...", "./pkg/...", *session.posargs, external=True)


def lint(session: Any) -> None:
    """ruff in the project; go vet in a checkout."""
    if in_project():
        session.install("ruff")
        session.run("ruff", "check", ".")
        session.run("ruff", "format", "--check", ".")
    else:
        session.run("go", "vet", "./...", external=True)
