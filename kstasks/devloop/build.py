"""Building the Go commands: ``make ldflags``, ``build``, ``build-all``, ``fmt``, ``vet``, ``test``,
``run`` and ``modules``.

The version stamp is computed the way KubeStellar v0.24.0's Makefile computes it (newest tag, short
commit, git tree state, go.mod's k8s.io/client-go version, build date), in Python instead of jq and
shell pipelines; ``go build`` gets exactly those ``-X`` flags.
"""

from __future__ import annotations

import datetime
import json
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kstasks.core import context, errors, output, runner
from kstasks.project.repo import Checkout
from kstasks.toolchain import golang

DEFAULT_WHAT = "./cmd/..."
"""The Makefile's ``WHAT`` default: every command."""
BIN_DIR = "bin"
"""Where ``build`` puts the binaries (``go build -o bin``)."""
TEST_PACKAGES = ("./api/...", "./cmd/...", "./pkg/...")
"""What ``make test`` tests."""
COVER_PROFILE = "cover.out"
RUN_PACKAGE = "./cmd/controller-manager/main.go"
"""What ``make run`` runs."""
CLIENT_GO = "k8s.io/client-go"
VERSIONED_PACKAGES = ("k8s.io/client-go/pkg/version", "k8s.io/component-base/version")
"""Packages whose ``gitCommit``, ``gitVersion``, ... fields the Makefile stamps."""


@dataclass(frozen=True)
class Stamp:
    """What the Makefile's LDFLAGS carry."""

    main_version: str
    """``git tag -l --sort=-v:refname | head -n1``."""
    commit: str
    """``git rev-parse --short HEAD``, or ``local``."""
    tree_state: str
    """``clean`` when ``git diff --quiet`` succeeds, else ``dirty``."""
    client_go_version: str
    """go.mod's requirement on k8s.io/client-go (empty when there is none)."""
    describe: str
    """``git describe --tags --match=v* --abbrev=14 <commit>``, or ``v0.0.0-<commit>``."""
    build_date: str

    @property
    def git_version(self) -> str:
        """The Makefile's GIT_VERSION: ``<client-go version>+kflex-<describe>``."""
        return f"{self.client_go_version}+kflex-{self.describe}"

    @property
    def major(self) -> str:
        """KUBE_CLIENT_MAJOR_VERSION: ``sed 's/v\\([0-9]*\\).*/\\1/'`` of the client-go version."""
        return re.sub(r"v([0-9]*).*", r"\1", self.client_go_version, count=1)

    @property
    def minor(self) -> str:
        """KUBE_CLIENT_MINOR_VERSION: ``sed 's/v[0-9]*\\.\\([0-9]*\\).*/\\1/'`` of the client-go version."""
        return re.sub(r"v[0-9]*\.([0-9]*).*", r"\1", self.client_go_version, count=1)

    def definitions(self) -> list[tuple[str, str]]:
        """Every ``-X`` definition, in the Makefile's order."""
        result = [("main.Version", f"{self.main_version}.{self.commit}"), ("main.BuildDate", self.build_date)]
        for package in VERSIONED_PACKAGES:
            result += [
                (f"{package}.gitCommit", self.commit),
                (f"{package}.gitTreeState", self.tree_state),
                (f"{package}.gitVersion", self.git_version),
                (f"{package}.gitMajor", self.major),
                (f"{package}.gitMinor", self.minor),
                (f"{package}.buildDate", self.build_date),
            ]
        return result

    def arguments(self) -> list[str]:
        """The linker arguments, one item each: ``-X``, ``name=value``, ..., ``-extldflags``, ``-static``."""
        args = [item for name, value in self.definitions() for item in ("-X", f"{name}={value}")]
        return [*args, "-extldflags", "-static"]

    def echoed(self) -> str:
        """What ``make ldflags`` prints (its ``echo`` drops the quotes around ``-static``)."""
        return " ".join(self.arguments())

    def ldflags(self) -> str:
        """The ``-ldflags`` value for ``go build`` (each argument quoted where Go's splitter needs it)."""
        return " ".join(_go_quote(arg) for arg in self.arguments())


def _go_quote(arg: str) -> str:
    """``arg`` as one word for Go's flag splitter (cmd/internal/quoted)."""
    if arg and not any(ch.isspace() or ch in "'\"" for ch in arg):
        return arg
    if "'" not in arg:
        return f"'{arg}'"
    return f'"{arg}"'


def _git(checkout: Checkout, *args: str) -> tuple[int, str]:
    result = runner.run(["git", *args], cwd=checkout.root, capture=True, query=True, check=False, quiet=True)
    return result.returncode, result.stdout.strip()


def client_go_version(checkout: Checkout, go: str) -> str:
    """go.mod's required k8s.io/client-go version (``go mod edit -json``), or empty."""
    result = runner.run(
        [go, "mod", "edit", "-json"],
        cwd=checkout.root,
        capture=True,
        query=True,
        quiet=True,
        what="go mod edit -json",
        todo="Fix go.mod.",
    )
    requires = json.loads(result.stdout).get("Require") or []
    return next((req["Version"] for req in requires if req.get("Path") == CLIENT_GO), "")


def newest_tag(checkout: Checkout) -> str:
    """The first of ``git tag -l --sort=-v:refname`` (empty without tags)."""
    _, tags = _git(checkout, "tag", "-l", "--sort=-v:refname")
    return tags.splitlines()[0] if tags else ""


def build_date(now: datetime.datetime | None = None) -> str:
    """``date -u +%Y-%m-%dT%H:%M:%SZ``."""
    moment = now or datetime.datetime.now(datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def stamp(checkout: Checkout, *, now: datetime.datetime | None = None) -> Stamp:
    """The version stamp of ``checkout`` as the Makefile computes it."""
    go = golang.go_binary()
    code, commit = _git(checkout, "rev-parse", "--short", "HEAD")
    commit = commit if code == 0 and commit else "local"
    dirty, _ = _git(checkout, "diff", "--quiet")
    code, described = _git(
        checkout, "describe", "--tags", "--match=v*", "--abbrev=14", f"{commit}^{{commit}}"
    )
    return Stamp(
        main_version=newest_tag(checkout),
        commit=commit,
        tree_state="clean" if dirty == 0 else "dirty",
        client_go_version=client_go_version(checkout, go),
        describe=described if code == 0 and described else f"v0.0.0-{commit}",
        build_date=build_date(now),
    )


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
