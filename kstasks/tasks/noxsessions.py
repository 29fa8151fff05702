"""The bodies of the nox sessions, shared by this project's noxfile and the one `init` writes."""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path
from typing import Any

from kstasks.project import requirement, snapshot
from kstasks.project.requirement import in_project


def install_kstasks(session: Any, extras: str = "") -> None:
    """Install kstasks, non-editable, into the session's virtualenv from ``KSTASKS_REQUIREMENT``
    (see :func:`requirement`). A source directory is built from a copy, so the session never
    writes into it; a local wheel or sdist is reinstalled, so a rebuilt one of the same version
    replaces the one a reused virtualenv holds."""
    spec = requirement.requirement(os.environ, Path.cwd())
    local = requirement.local_path(spec)
    if local is not None and local.is_dir():
        # nox's tmp directory may be relative (.nox/...); a file URI needs an absolute path.
        local = snapshot.copy_source_tree(local, Path(session.create_tmp()).resolve() / "kstasks-source")
        session.install(requirement.with_extras(spec, extras, local))
        return
    session.install(requirement.with_extras(spec, extras, local))
    if local is not None:
        session.install("--no-deps", "--force-reinstall", str(local))


def generate(session: Any) -> None:
    """all-generated on the target checkout."""
    install_kstasks(session)
    session.run("kstasks", "all-generated", *session.posargs)


def verify(session: Any) -> None:
    """Every check of CI's verify job (``kstasks verify``; its options after ``--``)."""
    install_kstasks(session)
    session.run("kstasks", "verify", *session.posargs)


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


def release(session: Any) -> None:
    """In a checkout: its release, ``kstasks release`` with the session's arguments (the release
    workflow `init` writes runs it). In the kstasks project: its sdist and wheel, built from a copy
    of the source and checked with ``twine check --strict``, into ``dist/``."""
    if not in_project():
        install_kstasks(session)
        session.run("kstasks", "release", *session.posargs)
        return
    session.install("build>=1", "twine>=5")
    temp = Path(session.create_tmp())
    source = snapshot.copy_source_tree(Path.cwd(), temp / "kstasks-source")
    built = temp / "dist"
    shutil.rmtree(built, ignore_errors=True)
    session.run("python", "-m", "build", "--outdir", str(built), str(source))
    archives = sorted(str(path) for path in built.iterdir())
    session.run("python", "-m", "twine", "check", "--strict", *archives)
    dist = Path.cwd() / "dist"
    dist.mkdir(exist_ok=True)
    for archive in archives:
        shutil.copy2(archive, dist)
        session.log(f"built {dist.name}/{Path(archive).name}")


def docs_build_args(project: Path, site: Path) -> list[str]:
    """The ``mkdocs`` arguments that build the kstasks manual (``project``'s ``mkdocs.yml``) with
    ``--strict`` into ``site``, so a broken link, anchor or navigation entry fails the build."""
    return ["build", "--strict", "--config-file", str(project / "mkdocs.yml"), "--site-dir", str(site)]


def docs(session: Any) -> None:
    """kstasks' manual, built with ``mkdocs build --strict`` into the session's temporary directory
    (never into the work tree), with the project's ``docs`` extra installed."""
    if not in_project():
        session.error("the docs session builds kstasks' manual; run it in kstasks' own directory")
        return
    install_kstasks(session, "[docs]")
    site = Path(session.create_tmp()).resolve() / "site"
    session.run("mkdocs", *docs_build_args(Path.cwd(), site))


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
