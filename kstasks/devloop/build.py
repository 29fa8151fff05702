"""Building the Go commands: ``make ldflags``, ``build``, ``build-all``, ``fmt``, ``vet``, ``test``,
``run`` and ``modules``.

The version stamp is computed the way KubeStellar v0.24.0's Makefile computes it (newest tag, short
commit, git tree state, go.mod's k8s.io/client-go version, build date), in Python instead of jq and
shell pipelines; ``go build`` gets exactly those ``-X`` flags.
"""

from __future__ import annotations

import datetime
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kstasks.core import context, errors, output, runner
from kstasks.project.ldflags import (  # the stamp moved down to project (the release links with it too)
    CLIENT_GO,
    VERSIONED_PACKAGES,
    Stamp,
    build_date,
    client_go_version,
    newest_tag,
    stamp,
)
from kstasks.project.repo import Checkout
from kstasks.toolchain import golang

__all__ = [
    "CLIENT_GO",
    "VERSIONED_PACKAGES",
    "Stamp",
    "build_date",
    "client_go_version",
    "newest_tag",
    "stamp",
]

DEFAULT_WHAT = "./cmd/..."
"""The Makefile's ``WHAT`` default: every command."""
BIN_DIR = "bin"
"""Where ``build`` puts the binaries (``go build -o bin``)."""
TEST_PACKAGES = ("./api/...", "./cmd/...", "./pkg/...")
"""What ``make test`` tests."""
COVER_PROFILE = "cover.out"
RUN_PACKAGE = "./cmd/controller-manager/main.go"
"""What ``make run`` runs."""


@dataclass(frozen=True)
class Platform:
    """The target of a build (the Makefile's OS and ARCH, ``go env`` by default)."""

    os: str
    arch: str

    @classmethod
    def resolve(cls, os_name: str = "", arch: str = "") -> Platform:
        """``os_name``/``arch`` where given, else ``go env GOOS``/``GOARCH``."""
        if os_name and arch:
            return cls(os_name, arch)
        found = golang.go_env(golang.go_binary(), "GOOS", "GOARCH")
        return cls(os_name or found["GOOS"], arch or found["GOARCH"])


def split_words(text: str, what: str) -> list[str]:
    """Shell words of a Makefile variable such as BUILDFLAGS or WHAT; exit 2 when unbalanced."""
    try:
        return shlex.split(text)
    except ValueError as err:
        raise errors.BadInput(f"cannot split {what} {text!r} ({err})", f"Fix the quoting in {what}.") from err


def build(
    checkout: Checkout,
    *,
    what: Sequence[str] = (DEFAULT_WHAT,),
    buildflags: Sequence[str] = (),
    platform: Platform,
    ignore_go_version: bool = False,
    now: datetime.datetime | None = None,
) -> Path:
    """``make build``: verify-go-versions, then ``go build`` with the stamp and CGO_ENABLED=0 into bin/."""
    golang.verify_go_versions_first(checkout.root, ignore=ignore_go_version)
    go = golang.go_binary()
    flags = stamp(checkout, now=now).ldflags()
    out = checkout.path(BIN_DIR)
    if not context.dry_run():
        out.mkdir(exist_ok=True)
    with output.step(f"build {' '.join(what)} for {platform.os}/{platform.arch}"):
        runner.run(
            [go, "build", *buildflags, f"-ldflags={flags}", "-o", BIN_DIR, *what],
            cwd=checkout.root,
            env={"GOOS": platform.os, "GOARCH": platform.arch, "CGO_ENABLED": "0"},
            what="go build",
            todo="Fix the compile errors above.",
        )
    return out


def go_command(checkout: Checkout, *args: str, what: str, todo: str = "See go's output above.") -> None:
    """One ``go`` subcommand in the checkout."""
    runner.run([golang.go_binary(), *args], cwd=checkout.root, what=what, todo=todo)


def fmt(checkout: Checkout) -> None:
    """``go fmt ./...``."""
    go_command(checkout, "fmt", "./...", what="go fmt")


def vet(checkout: Checkout) -> None:
    """``go vet ./...``."""
    go_command(checkout, "vet", "./...", what="go vet", todo="Fix what go vet reports.")


def test(checkout: Checkout, packages: Sequence[str] = TEST_PACKAGES) -> None:
    """``go test <packages> -coverprofile cover.out`` (the last step of ``make test``)."""
    with output.step("go test"):
        go_command(
            checkout,
            "test",
            *packages,
            "-coverprofile",
            COVER_PROFILE,
            what="go test",
            todo="Fix the failing tests above.",
        )


def run(checkout: Checkout, args: Sequence[str], package: str = RUN_PACKAGE) -> None:
    """``go run ./cmd/controller-manager/main.go ARGS`` (the last step of ``make run``)."""
    go_command(checkout, "run", package, *args, what="go run")


def tidy(checkout: Checkout) -> None:
    """``make modules``: ``go mod tidy``."""
    go_command(checkout, "mod", "tidy", what="go mod tidy", todo="Fix the imports or go.mod go reports.")
