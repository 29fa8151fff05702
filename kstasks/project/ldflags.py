"""The version stamp ``make ldflags`` prints, computed as KubeStellar's Makefile computes it (newest
tag, short commit, git tree state, go.mod's k8s.io/client-go version, build date) in Python instead
of jq and shell pipelines. ``build`` and the release (``kstasks.release.goreleaser``) link with it.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass

from kstasks.core import runner
from kstasks.project.repo import Checkout
from kstasks.toolchain import golang

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
