"""Pinned Go tools, installed with ``go install`` into a versioned cache shared by all checkouts.

A tool is reused when the module version embedded in its binary (``go version -m``) is the
pinned one. At install the sha256 of each binary is recorded; a later run checks the content
digest (not size and mtime, which a rewrite can keep) and reinstalls a tool whose bytes changed.
The Go toolchain a tool is built with is a setting, or chosen (``kstasks/toolchain/toolchains.py``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from kstasks.core import context, errors, output, paths, runner
from kstasks.toolchain import golang, toolchains

_SEMVER_RE = re.compile(r"^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
_COMMIT_RE = re.compile(r"^[0-9a-f]{7,40}$")
_TOOLCHAIN_RE = re.compile(r"^(go\d+\.\d+(\.\d+)?((rc|beta)\d+)?|local|auto)?$")
_STAMP = ".kstasks-digests.json"
"""Per install directory: the sha256 of each binary, recorded when it was installed and checked."""


def _binary_name(package: str) -> str:
    parts = package.split("/")
    if len(parts) > 1 and re.fullmatch(r"v\d+", parts[-1]):
        return parts[-2]
    return parts[-1]


@dataclass(frozen=True)
class GoTool:
    """One ``go install``-able tool at a pinned version."""

    name: str
    module: str
    packages: tuple[str, ...]
    version_key: str
    toolchain_key: str = ""
    commit_pinned: bool = False
    from_module_dir: bool = False
    """Built inside the downloaded module, as kube_codegen.sh builds its generators (so its
    own ``go install`` finds them up to date); such binaries report ``(devel)``."""

    @property
    def binaries(self) -> tuple[str, ...]:
        """The executables ``go install`` writes (a major-version suffix is not part of the name)."""
        return tuple(_binary_name(package) for package in self.packages)


CODE_GENERATOR_BINARIES = ("applyconfiguration-gen", "client-gen", "informer-gen", "lister-gen")

TOOLS: dict[str, GoTool] = {
    tool.name: tool
    for tool in (
        GoTool(
            "controller-gen",
            "sigs.k8s.io/controller-tools",
            ("sigs.k8s.io/controller-tools/cmd/controller-gen",),
            "controller_tools",
            toolchain_key="controller_tools_gotoolchain",
        ),
        GoTool(
            "kustomize",
            "sigs.k8s.io/kustomize/kustomize/v5",
            ("sigs.k8s.io/kustomize/kustomize/v5",),
            "kustomize",
        ),
        GoTool(
            "code-generator",
            "k8s.io/code-generator",
            tuple(f"k8s.io/code-generator/cmd/{name}" for name in CODE_GENERATOR_BINARIES),
            "code_generator",
            toolchain_key="code_generator_gotoolchain",
            from_module_dir=True,
        ),
        GoTool("helm", "helm.sh/helm/v3", ("helm.sh/helm/v3/cmd/helm",), "helm"),
        GoTool("ko", "github.com/google/ko", ("github.com/google/ko",), "ko"),
        # Only the benchmark's Makefile-equivalent baseline and the tests use yq.
        GoTool("yq", "github.com/mikefarah/yq/v4", ("github.com/mikefarah/yq/v4",), "yq"),
        # make lint's linters, built (and run) with the Go of their time: they predate Go 1.21.
        GoTool(
            "golangci-lint",
            "github.com/golangci/golangci-lint",
            ("github.com/golangci/golangci-lint/cmd/golangci-lint",),
            "golangci_lint",
            toolchain_key="lint_gotoolchain",
        ),
        GoTool(
            "staticcheck",
            "honnef.co/go/tools",
            ("honnef.co/go/tools/cmd/staticcheck",),
            "staticcheck",
            toolchain_key="lint_gotoolchain",
        ),
        GoTool(
            "logcheck",
            "sigs.k8s.io/logtools",
            ("sigs.k8s.io/logtools/logcheck",),
            "logcheck",
            toolchain_key="lint_gotoolchain",
        ),
        # golangci-lint v2, for a checkout whose .golangci.yaml is in the `version: "2"` format.
        GoTool(
            "golangci-lint-v2",
            "github.com/golangci/golangci-lint/v2",
            ("github.com/golangci/golangci-lint/v2/cmd/golangci-lint",),
            "golangci_lint_v2",
        ),
        # logcheck for a checkout whose go.mod is newer than the Go the v0.24-era logcheck reads.
        GoTool(
            "logcheck-current",
            "sigs.k8s.io/logtools",
            ("sigs.k8s.io/logtools/logcheck",),
            "logcheck_current",
        ),
        # Only the tests use actionlint: on the workflows kstasks writes and publishes with.
        GoTool(
            "actionlint",
            "github.com/rhysd/actionlint",
            ("github.com/rhysd/actionlint/cmd/actionlint",),
            "actionlint",
        ),
        # Signs release images and the checksums file offline (`release --sign-key`, verify-release --key).
        GoTool(
            "cosign",
            "github.com/sigstore/cosign/v2",
            ("github.com/sigstore/cosign/v2/cmd/cosign",),
            "cosign",
        ),
        # The release's SBOMs (goreleaser's default sboms cmd): SPDX JSON of each binary.
        GoTool("syft", "github.com/anchore/syft", ("github.com/anchore/syft/cmd/syft",), "syft"),
        GoTool(
            "openshift-goimports",
            "github.com/openshift-eng/openshift-goimports",
            ("github.com/openshift-eng/openshift-goimports",),
            "openshift_goimports",
            commit_pinned=True,
        ),
    )
}
"""Every tool kstasks can install, by name."""


def validate_version(tool: GoTool, version: str) -> None:
    """Exit 2 unless ``version`` is a Go module version (or, for commit-pinned tools, a commit)."""
    if _SEMVER_RE.match(version) or (tool.commit_pinned and _COMMIT_RE.match(version)):
        return
    expected = "vMAJOR.MINOR.PATCH or a commit hash" if tool.commit_pinned else "vMAJOR.MINOR.PATCH"
    raise errors.BadInput(
        f"invalid version {version!r} for {tool.name} (expected {expected})",
        f"Fix kstasks.versions.{tool.version_key} in your invoke.yaml or environment.",
    )


def validate_toolchain(value: str, setting: str = "controller_tools_gotoolchain") -> None:
    """Exit 2 unless ``value`` is a GOTOOLCHAIN value such as ``go1.21.8`` (or empty)."""
    if not _TOOLCHAIN_RE.match(value):
        raise errors.BadInput(
            f"invalid GOTOOLCHAIN {value!r} (expected something like go1.21.8)",
            f"Fix kstasks.versions.{setting}.",
        )


def file_digest(path: Path) -> str:
    """The sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


ToolchainChooser = Callable[[str], tuple[str, str]]
"""Given a tool name, the toolchain to build it with (empty: the Go on PATH) and why."""


def semver_at_least(version: str, minimum: tuple[int, int, int]) -> bool:
    """Whether Go module version ``version`` (``v0.30.1``) is at least ``minimum``."""
    match = _SEMVER_RE.match(version)
    if not match:
        return False
    return (int(match[1]), int(match[2]), int(match[3])) >= minimum


def default_tools_dir() -> Path:
    """``$XDG_CACHE_HOME/kstasks/tools`` (``~/.cache/kstasks/tools``)."""
    return paths.cache_dir(paths.TOOLS)


def _matches_pin(tool: GoTool, version: str, embedded: str) -> bool:
    if tool.from_module_dir and embedded == "(devel)":
        return True
    if tool.commit_pinned and _COMMIT_RE.match(version):
        return embedded.rsplit("-", 1)[-1] == version[:12]
    return embedded == version


def _embedded_versions(go: str, binaries: list[Path]) -> dict[Path, str]:
    """The main-module version each binary was built from, read with ``go version -m``."""
    result = runner.run(
        [go, "version", "-m", *map(str, binaries)], capture=True, query=True, check=False, quiet=True
    )
    versions: dict[Path, str] = {}
    current: Path | None = None
    for line in result.stdout.splitlines():
        if not line.startswith("\t"):
            current = Path(line.split(":", 1)[0])
            continue
        fields = line.strip().split("\t")
        if current is not None and fields[0] == "mod" and len(fields) >= 3:
            versions[current] = fields[2]
    return versions


def _recorded_digests(directory: Path) -> dict | None:
    """The digests recorded in ``directory``, or None when there is no readable record."""
    try:
        recorded = json.loads((directory / _STAMP).read_text())
    except (OSError, ValueError):
        return None
    return recorded if isinstance(recorded, dict) else None


def record_digests(directory: Path, version: str, binaries: list[Path]) -> None:
    """Remember the sha256 of each binary of a checked install."""
    content = {"version": version, "binaries": {path.name: file_digest(path) for path in binaries}}
    (directory / _STAMP).write_text(json.dumps(content, sort_keys=True))


class Toolbox:
    """The pinned tools for one run: installs what is missing, checks each tool once."""

    def __init__(
        self,
        versions: Mapping[str, str],
        tools_dir: Path | None = None,
        *,
        chooser: ToolchainChooser | None = None,
    ) -> None:
        self.versions = dict(versions)
        self.tools_dir = Path(tools_dir) if tools_dir else default_tools_dir()
        self._ready: dict[str, Path] = {}
        self._chooser = chooser or self._choose_without_checkout
        self.toolchain_sources: dict[str, str] = {}
        """Why each tool's toolchain is what it is (for the report)."""

    def _choose_without_checkout(self, name: str) -> tuple[str, str]:
        """A toolchain that can build tool ``name`` (no checkout constraint known)."""
        tool = TOOLS[name]
        pin = toolchains.ToolPin(name, tool.module, self.version_of(name), tool.toolchain_key)
        return toolchains.choose_for(pin, target_go="", hints=(), cache_dir=self.tools_dir)

    def version_of(self, name: str) -> str:
        """The pinned version of tool ``name``."""
        return self.versions[TOOLS[name].version_key]

    def validate(self, names: list[str] | None = None) -> None:
        """Exit 2 on an unknown tool or a malformed version setting, before any work."""
        for name in names or list(TOOLS):
            if name not in TOOLS:
                raise errors.BadInput(f"unknown tool {name!r}", f"Choose from: {', '.join(TOOLS)}.")
            tool = TOOLS[name]
            validate_version(tool, self.versions[tool.version_key])
            if tool.toolchain_key:
                validate_toolchain(self.toolchain_of(name), tool.toolchain_key)

    def toolchain_of(self, name: str) -> str:
        """The GOTOOLCHAIN tool ``name`` is built (and, for generators, run) with; empty for PATH's go.

        The setting when it is given, else the chooser's answer (asked once)."""
        key = TOOLS[name].toolchain_key
        if not key:
            return ""
        value = str(self.versions.get(key) or "")
        if value:
            self.toolchain_sources.setdefault(name, "setting")
            return value
        chosen, why = self._chooser(name)
        self.versions[key] = chosen
        self.toolchain_sources[name] = why
        return chosen

    def tool_env(self, name: str) -> dict[str, str]:
        """Environment additions for building or running tool ``name``."""
        toolchain = self.toolchain_of(name)
        return {"GOTOOLCHAIN": toolchain} if toolchain else {}

    def install_dir(self, name: str) -> Path:
        """Where tool ``name`` lives at its pinned version (and toolchain)."""
        label = self.version_of(name)
        toolchain = self.toolchain_of(name)
        if toolchain:
            label += f"-{toolchain}"
        return self.tools_dir / name / label

    def binary(self, name: str, binary: str | None = None) -> Path:
        """The path of tool ``name`` (or one of its binaries), installed and checked."""
        directory = self.ensure(name)
        return directory / (binary or TOOLS[name].binaries[0])

    def ensure(self, name: str) -> Path:
        """Install tool ``name`` unless a checked copy is there; its directory."""
        if name in self._ready:
            return self._ready[name]
        tool = TOOLS[name]
        self.validate([name])
        directory = self.install_dir(name)
        if not self._verified(tool, directory):
            self._install(tool, directory)
            if context.dry_run():
                return directory
            if not self._verified(tool, directory):
                raise errors.StepFailed(
                    f"{name} installed but does not report version {self.version_of(name)}",
                    f"Remove {directory} and run 'kstasks tools' again.",
                )
        self._ready[name] = directory
        return directory

    def _verified(self, tool: GoTool, directory: Path) -> bool:
        binaries = [directory / binary for binary in tool.binaries]
        if not all(path.is_file() and os.access(path, os.X_OK) for path in binaries):
            return False
        version = self.version_of(tool.name)
        recorded = _recorded_digests(directory)
        if recorded is not None and recorded.get("version") == version:
            if recorded.get("binaries") == {path.name: file_digest(path) for path in binaries}:
                return True
            if recorded.get("binaries"):
                output.say(f"{tool.name} {version}: binaries differ from what was installed; reinstalling")
                return False
        embedded = _embedded_versions(golang.require_go(), binaries)
        if not all(_matches_pin(tool, version, embedded.get(path, "")) for path in binaries):
            return False
        record_digests(directory, version, binaries)
        return True

    def _install(self, tool: GoTool, directory: Path) -> None:
        go = golang.require_go()
        version = self.version_of(tool.name)
        env = self.tool_env(tool.name)
        if tool.from_module_dir:
            workdir, targets = self.module_dir(tool.name), list(tool.packages)
        else:
            workdir, targets = None, [f"{package}@{version}" for package in tool.packages]
        directory.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
        try:
            env["GOBIN"] = str(staging)
            label = f" with {env['GOTOOLCHAIN']}" if env.get("GOTOOLCHAIN") else ""
            with output.step(f"install {tool.name} {version}{label}"):
                try:
                    runner.run(
                        [go, "install", *targets],
                        cwd=workdir or staging,
                        env=env,
                        what=f"installing {tool.name} {version}",
                        todo="Check the version, and that the Go module proxy is reachable."
                        + (
                            " The built-in import ordering (kstasks.imports.tool: builtin) needs no install."
                            if tool.name == "openshift-goimports"
                            else ""
                        ),
                    )
                except errors.KstasksError as err:
                    raise toolchains.explain(
                        err, env.get("GOTOOLCHAIN", ""), tool.toolchain_key or "<tool>_gotoolchain"
                    ) from err
            if context.dry_run():
                return
            shutil.rmtree(directory, ignore_errors=True)
            staging.rename(directory)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def module_dir(self, name: str) -> Path:
        """The source of tool ``name``'s module at the pin, from the Go module cache."""
        key = f"{name}@module"
        if key in self._ready:
            return self._ready[key]
        tool = TOOLS[name]
        version = self.version_of(name)
        self.validate([name])
        self.tools_dir.mkdir(parents=True, exist_ok=True)
        result = runner.run(
            [golang.require_go(), "mod", "download", "-json", f"{tool.module}@{version}"],
            cwd=self.tools_dir,
            env=self.tool_env(name),
            capture=True,
            query=True,
            what=f"downloading {tool.module} {version}",
            todo="Check the version, and that the Go module proxy is reachable.",
        )
        directory = Path(json.loads(result.stdout)["Dir"])
        self._ready[key] = directory
        return directory

    def kube_codegen_script(self) -> Path:
        """kube_codegen.sh of the pinned k8s.io/code-generator."""
        script = self.module_dir("code-generator") / "kube_codegen.sh"
        if not script.is_file():
            raise errors.BadInput(
                f"k8s.io/code-generator {self.version_of('code-generator')} has no kube_codegen.sh",
                "Use code-generator v0.28.0 or newer (kstasks.versions.code_generator).",
            )
        return script

    def install_all(self, names: list[str]) -> dict[str, Path]:
        """Install and check each named tool; their directories."""
        self.validate(names)
        return {name: self.ensure(name) for name in names}
