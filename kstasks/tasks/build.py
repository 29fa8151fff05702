"""Tasks for the developer loop: ldflags, build, build-all, fmt, vet, test, run, modules, test-integration."""

from __future__ import annotations

import os
from typing import Any

from invoke import Collection, task
from invoke.context import Context

from kstasks.tasks.common import REPO_HELP, Target, project_dir, start, target

BUILD_HELP = {
    "repo": REPO_HELP,
    "what": "Packages to build, as the Makefile's WHAT (default: ./cmd/...).",
    "buildflags": "Extra go build flags, as the Makefile's BUILDFLAGS (default: $BUILDFLAGS).",
    "os": "GOOS of the binaries, as the Makefile's OS (default: go env GOOS).",
    "arch": "GOARCH of the binaries, as the Makefile's ARCH (default: images.arch, else go env GOARCH).",
}


def _build_settings(config: dict[str, Any]) -> dict[str, str]:
    """The ``kstasks.build`` settings (WHAT, BUILDFLAGS), the environment's BUILDFLAGS when unset."""
    from kstasks.devloop import build

    section = config["build"]
    return {
        "what": str(section.get("what") or build.DEFAULT_WHAT),
        "buildflags": str(section.get("buildflags") or os.environ.get("BUILDFLAGS", "")),
    }


def _build(
    c: Context, repo: str | None, what: str | None, buildflags: str | None, os_: str, arch: str
) -> None:
    from kstasks.devloop import build

    t = target(c, repo, [])
    defaults = _build_settings(t.config)
    platform = build.Platform.resolve(os_, arch or str(t.config["images"].get("arch") or ""))
    out = build.build(
        t.checkout,
        what=build.split_words(what or defaults["what"], "WHAT"),
        buildflags=build.split_words(
            defaults["buildflags"] if buildflags is None else buildflags, "BUILDFLAGS"
        ),
        platform=platform,
        ignore_go_version=t.ignore_go_version,
    )
    print(out)


@task(help={"repo": REPO_HELP})
def ldflags(c: Context, repo: str | None = None) -> None:
    """Print the linker flags that stamp the version into the binaries (make ldflags)."""
    from kstasks.devloop import build
    from kstasks.project.repo import find_checkout

    config = start(c)
    checkout = find_checkout(repo, config.get("repo"), config_dir=project_dir(c))
    print(build.stamp(checkout).echoed())


@task(name="build", help=BUILD_HELP)
def build_(
    c: Context,
    repo: str | None = None,
    what: str | None = None,
    buildflags: str | None = None,
    os: str = "",
    arch: str = "",
) -> None:
    """go build with the version stamp and CGO_ENABLED=0 into bin/ (make build)."""
    _build(c, repo, what, buildflags, os, arch)


@task(name="build-all", help={key: value for key, value in BUILD_HELP.items() if key != "what"})
def build_all(
    c: Context, repo: str | None = None, buildflags: str | None = None, os: str = "", arch: str = ""
) -> None:
    """Build every command under ./cmd (make build-all)."""
    from kstasks.devloop import build

    _build(c, repo, build.DEFAULT_WHAT, buildflags, os, arch)


def _checkout_only(c: Context, repo: str | None) -> Target:
    return target(c, repo, [])


@task(help={"repo": REPO_HELP})
def fmt(c: Context, repo: str | None = None) -> None:
    """go fmt ./... (make fmt)."""
    from kstasks.devloop import build

    build.fmt(_checkout_only(c, repo).checkout)


@task(help={"repo": REPO_HELP})
def vet(c: Context, repo: str | None = None) -> None:
    """go vet ./... (make vet)."""
    from kstasks.devloop import build

    build.vet(_checkout_only(c, repo).checkout)


def _generate_then_check(c: Context, repo: str | None) -> Target:
    """make test's and make run's prerequisites: manifests, generate, fmt, vet."""
    from kstasks.codegen import controllergen, layout
    from kstasks.devloop import build

    imports = layout.ImportSettings.from_config(c.config.kstasks.imports)
    needed = sorted({*layout.tools_for("manifests", imports), *layout.tools_for("generate", imports)})
    t = target(c, repo, needed)
    controllergen.run_manifests(t.checkout, t.layout, t.toolbox)
    controllergen.run_generate(t.checkout, t.layout, t.toolbox)
    build.fmt(t.checkout)
    build.vet(t.checkout)
    return t


@task(name="test", help={"repo": REPO_HELP})
def go_test(c: Context, repo: str | None = None) -> None:
    """manifests, generate, fmt, vet, then go test ./api/... ./cmd/... ./pkg/... with coverage (make test)."""
    from kstasks.devloop import build

    t = _generate_then_check(c, repo)
    build.test(t.checkout)


@task(
    name="run",
    help={
        "repo": REPO_HELP,
        "args": "Arguments for the controller manager, as the Makefile's ARGS (default: $ARGS); "
        "words after ' -- ' are passed too.",
    },
)
def run_(c: Context, repo: str | None = None, args: str | None = None) -> None:
    """manifests, generate, fmt, vet, then go run ./cmd/controller-manager/main.go ARGS (make run)."""
    from kstasks.devloop import build

    words = build.split_words(os.environ.get("ARGS", "") if args is None else args, "ARGS")
    words += build.split_words(getattr(c, "remainder", "") or "", "the arguments after --")
    t = _generate_then_check(c, repo)
    build.run(t.checkout, words)


@task(help={"repo": REPO_HELP})
def modules(c: Context, repo: str | None = None) -> None:
    """go mod tidy (make modules)."""
    from kstasks.devloop import build

    build.tidy(_checkout_only(c, repo).checkout)


@task(
    name="test-integration",
    help={
        "repo": REPO_HELP,
        "any-etcd": "Use the etcd on PATH even when it is not the version the checkout's script pins.",
    },
)
def test_integration(c: Context, repo: str | None = None, any_etcd: bool = False) -> None:
    """The controller-manager integration tests with the etcd on PATH, of the version the checkout's
    hack/run-integration-tests.sh pins."""
    from kstasks.devloop import integration

    integration.run_integration_tests(_checkout_only(c, repo).checkout, any_etcd=any_etcd)


def collection() -> Collection:
    """These tasks as a collection (added flat to the root namespace)."""
    return Collection(ldflags, build_, build_all, fmt, vet, go_test, run_, modules, test_integration)
