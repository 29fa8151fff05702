"""The bodies of the nox sessions, shared by this project's noxfile and the one `init` writes."""

from __future__ import annotations

import argparse
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
    """Every check: Go version, version references, then derived files in an isolated worktree."""
    install_kstasks(session)
    session.run("kstasks", "verify-go-versions")
    session.run("kstasks", "verify-versions")
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


def publish_arguments(posargs: list[str]) -> argparse.Namespace:
    """``--version X --registry oci://HOST/PATH [--force]`` from the session's posargs."""
    parser = argparse.ArgumentParser(prog="nox -s publish --", add_help=False, exit_on_error=False)
    parser.add_argument("--version", default="")
    parser.add_argument("--registry", default="")
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--skip-dependency-update", action="store_true")
    parser.add_argument("--image-registry", default="")
    parser.add_argument("--tool-registry", default="")
    parser.add_argument("--clusteradm-version", default="")
    parser.add_argument("--helm-version", default="")
    try:
        return parser.parse_args(posargs)
    except (argparse.ArgumentError, SystemExit) as err:
        raise ValueError(str(err)) from err


PUBLISH_USAGE = (
    "nox -s publish -- --version X.Y.Z --registry oci://HOST[:PORT]/PATH [--force] "
    "[--image-registry HOST/PATH] [--tool-registry HOST/PATH [--clusteradm-version V] [--helm-version V]]"
)


def publish(session: Any) -> None:
    """Package and publish the release charts, and with --tool-registry the clusteradm and Helm CLI
    images (versions from posargs, else the config, else the latest releases). Refuses to run
    without an explicit registry."""
    try:
        args = publish_arguments(list(session.posargs))
    except ValueError as err:
        session.error(f"{err}; usage: {PUBLISH_USAGE}")
        return
    if not args.registry or not args.version:
        session.error(f"publish needs an explicit --registry and --version; usage: {PUBLISH_USAGE}")
        return
    install_kstasks(session)
    package = ["kstasks", "package-charts", "--version", args.version]
    session.run(*package, *(["--skip-dependency-update"] if args.skip_dependency_update else []))
    push = ["kstasks", "publish-charts", "--version", args.version, "--registry", args.registry]
    session.run(*push, *(["--force"] if args.force else []))
    if args.image_registry:
        images = ["kstasks", "publish-images", "--version", args.version, "--registry", args.image_registry]
        session.run(*images, *(["--force"] if args.force else []))
    if args.tool_registry:
        for tool, version in (("clusteradm", args.clusteradm_version), ("helm", args.helm_version)):
            build = ["kstasks", f"build-{tool}-image", "--registry", args.tool_registry]
            session.run(
                *build, *(["--version", version] if version else []), *(["--force"] if args.force else [])
            )
