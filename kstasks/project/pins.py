"""What a checkout pins for itself: read from its Makefile, ``hack/*.sh`` and go.mod.

KubeStellar's releases differ in their tool versions, the Go toolchain the Makefile builds
controller-gen with, how ``make manifests`` fills ``pkg/crd/files``, the image variables and the
ko images. A checkout without kstasks settings of its own still describes all of that in its
Makefile; this module reads it as data (a setting path, its value, and where it came from) so
that no code path depends on a release tag.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KUSTOMIZE_LATEST = "v5.3.0"
"""What ``kustomize/v5@latest`` (v0.21.x Makefiles) is read as: the version KubeStellar pinned
when it replaced ``@latest`` (v0.22.0), so the output does not change with the day it runs."""

_ASSIGNMENT_RE = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*(\?=|:=|::=|\+=|=)\s*(.*)$")
_REFERENCE_RE = re.compile(r"\$[({]([A-Za-z_][A-Za-z0-9_]*)[)}]")
_TOOLCHAIN_RE = re.compile(r"\bGOTOOLCHAIN=(go\d+\.\d+(?:\.\d+)?)")
_KUSTOMIZE_RE = re.compile(r"sigs\.k8s\.io/kustomize/kustomize/v5@(\S+)")
_TARGET_RE = re.compile(r"^([A-Za-z0-9_./-]+)\s*:(?!=)")
_KO_BUILD_RE = re.compile(r"\bko build\b.*?\s(\./\S+)")
_CP_CRDS_RE = re.compile(r"^cp\s+(\S+)/\*\s+(\S+?)/?$")
_KUSTOMIZE_BUNDLE_RE = re.compile(r"\$[({]KUSTOMIZE[)}]\s+build\s+(\S+?)/?\s*>\s*(\S+)$")
_GOIMPORTS_RE = re.compile(r"\$[({]OPENSHIFT_GOIMPORTS[)}]((?:\s+-[im]\s+\S+)+)")
_GO_DIRECTIVE_RE = re.compile(r"^go\s+(\d+\.\d+(?:\.\d+)?)\s*$", re.MULTILINE)
_TOOLCHAIN_DIRECTIVE_RE = re.compile(r"^toolchain\s+(go\S+)\s*$", re.MULTILINE)
_SCRIPT_ROOT_RE = re.compile(r"^\$[({]?SCRIPT_ROOT[)}]?/")


@dataclass(frozen=True)
class Pin:
    """One setting found in the checkout."""

    path: tuple[str, ...]
    """The setting it sets, e.g. ``("versions", "controller_tools")``."""
    value: Any
    source: str
    """Where it was read, e.g. ``Makefile: CONTROLLER_TOOLS_VERSION ?= v0.13.0``."""


@dataclass
class Discovery:
    """Everything read from one checkout."""

    pins: list[Pin] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    go_directive: str = ""
    """go.mod's ``go`` line (``1.24.1``), empty when absent."""
    go_toolchain: str = ""
    """go.mod's ``toolchain`` line (``go1.24.3``), empty when absent."""

    def add(self, path: tuple[str, ...], value: Any, source: str) -> None:
        """Record a pin (the first one found for a setting wins)."""
        if value in (None, "") or any(pin.path == path for pin in self.pins):
            return
        self.pins.append(Pin(path, value, source))

    def settings(self) -> dict[str, Any]:
        """The pins as a nested ``kstasks`` settings fragment."""
        result: dict[str, Any] = {}
        for pin in self.pins:
            section = result
            for key in pin.path[:-1]:
                section = section.setdefault(key, {})
            section[pin.path[-1]] = pin.value
        return result

    def value(self, *path: str) -> Any:
        """The pin at ``path``, or None."""
        return next((pin.value for pin in self.pins if pin.path == path), None)


def logical_lines(text: str) -> Iterator[str]:
    """Make's lines with backslash continuations joined and comments (outside recipes) dropped."""
    pending = ""
    for raw in text.splitlines():
        if raw.endswith("\\"):
            pending += raw[:-1] + " "
            continue
        line = pending + raw
        pending = ""
        if not line.startswith("\t"):
            line = line.split("#", 1)[0].rstrip()
        yield line
    if pending:
        yield pending


def makefile_variables(text: str) -> dict[str, str]:
    """Top-level variable assignments (``?=`` keeps the first, ``=``/``:=`` the last), unexpanded."""
    variables: dict[str, str] = {}
    for line in logical_lines(text):
        if line.startswith("\t"):
            continue
        match = _ASSIGNMENT_RE.match(line.strip())
        if not match:
            continue
        name, operator, value = match[1], match[2], match[3].strip()
        if operator == "?=" and name in variables:
            continue
        if operator == "+=":
            value = f"{variables.get(name, '')} {value}".strip()
        variables[name] = value
    return variables


def expand(value: str, variables: Mapping[str, str], depth: int = 0) -> str:
    """``$(NAME)`` and ``${NAME}`` replaced by their (expanded) values; unknown names stay."""
    if depth > 10:
        return value

    def replace(match: re.Match[str]) -> str:
        name = match[1]
        if name not in variables:
            return match[0]
        return expand(variables[name], variables, depth + 1)

    return _REFERENCE_RE.sub(replace, value)


def recipes(text: str) -> dict[str, list[str]]:
    """Each rule's target name and its recipe lines (tab stripped, continuations joined)."""
    result: dict[str, list[str]] = {}
    current: str | None = None
    for line in logical_lines(text):
        if line.startswith("\t"):
            if current is not None:
                result.setdefault(current, []).append(line.strip())
            continue
        match = _TARGET_RE.match(line)
        if match and not _ASSIGNMENT_RE.match(line.strip()):
            current = match[1]
            result.setdefault(current, [])
        elif line.strip():
            current = None
    return result


def _unquote(value: str) -> str:
    return value.strip().strip("\"'")


def _read_controller_gen_arguments(line: str, found: Discovery) -> None:
    """Paths the Makefile's controller-gen command names (roles, API dir, CRD dir, header)."""
    for word in line.split():
        key, _, value = word.partition("=")
        value = _unquote(value)
        if key == "rbac:roleName":
            found.add(("codegen", "rbac_role_name"), value, f"Makefile: controller-gen {word}")
        elif key == "paths" and value.startswith("./") and value.endswith("/..."):
            found.add(("codegen", "api_dir"), value[2:-4], f"Makefile: controller-gen {word}")
        elif key == "output:crd:artifacts:config":
            found.add(("codegen", "crd_bases_dir"), value.rstrip("/"), f"Makefile: controller-gen {word}")
        elif key == "object:headerFile":
            found.add(("codegen", "object_header"), value, f"Makefile: controller-gen {word}")


def _read_manifests_recipe(lines: list[str], found: Discovery) -> None:
    """How ``make manifests`` fills the CRD files the Go code embeds: copied, or a kustomize bundle."""
    for line in lines:
        if "controller-gen" in line.lower() or "CONTROLLER_GEN" in line:
            _read_controller_gen_arguments(line, found)
        copy = _CP_CRDS_RE.match(line)
        if copy:
            source = f"Makefile: manifests: {line}"
            found.add(("codegen", "crd_bundle_mode"), "copy", source)
            found.add(("codegen", "crd_files_dir"), copy[2], source)
        bundle = _KUSTOMIZE_BUNDLE_RE.search(line)
        if bundle:
            source = f"Makefile: manifests: {line}"
            found.add(("codegen", "crd_bundle_mode"), "kustomize", source)
            found.add(("codegen", "crd_kustomization_dir"), bundle[1], source)
            found.add(("codegen", "crd_bundle"), bundle[2], source)


def _read_tool_lines(text: str, variables: Mapping[str, str], found: Discovery) -> None:
    """The kustomize install line and the GOTOOLCHAIN each tool is installed with."""
    for line in logical_lines(text):
        if not line.startswith("\t"):
            continue
        line = line.strip()
        expanded = expand(line, variables)
        kustomize = _KUSTOMIZE_RE.search(expanded)
        if kustomize:
            version = kustomize[1]
            if version == "latest":
                found.add(
                    ("versions", "kustomize"),
                    KUSTOMIZE_LATEST,
                    f"Makefile: kustomize/v5@latest, read as {KUSTOMIZE_LATEST} "
                    "(the version KubeStellar pinned when it replaced @latest)",
                )
                found.notes.append(
                    f"the Makefile installs kustomize v5@latest; kstasks uses {KUSTOMIZE_LATEST} instead, "
                    "so the result does not depend on the day it runs"
                )
            else:
                found.add(("versions", "kustomize"), version, f"Makefile: {kustomize[0]}")
        toolchain = _TOOLCHAIN_RE.search(expanded)
        if toolchain and "controller-tools/cmd/controller-gen@" in expanded:
            found.add(
                ("versions", "controller_tools_gotoolchain"),
                toolchain[1],
                f"Makefile: GOTOOLCHAIN={toolchain[1]} on the controller-gen install line",
            )
        if toolchain and "k8s.io/code-generator" in expanded:
            found.add(
                ("versions", "code_generator_gotoolchain"),
                toolchain[1],
                f"Makefile: GOTOOLCHAIN={toolchain[1]} on the code-generator line",
            )
        goimports = _GOIMPORTS_RE.search(line)
        if goimports:
            words = goimports[1].split()
            options = dict(zip(words[::2], words[1::2], strict=False))
            if "-i" in options:
                found.add(("imports", "intermediates"), [options["-i"]], f"Makefile: imports: {line}")
            if "-m" in options:
                found.add(("imports", "module"), options["-m"], f"Makefile: imports: {line}")


def _component_name(target: str, package: str) -> str:
    """``ko-build-transport-local`` → ``transport``; ``ko-build-local`` → the package's last element."""
    middle = target.removeprefix("ko-build-").removesuffix("-local").removesuffix("local").strip("-")
    return middle or package.rstrip("/").rsplit("/", 1)[-1]


def _read_images(text: str, variables: Mapping[str, str], found: Discovery) -> None:
    """The ko images the Makefile builds, and the variable naming the controller-manager image."""
    components: dict[str, dict[str, str]] = {}
    targets = []
    for target, lines in recipes(text).items():
        for line in lines:
            match = _KO_BUILD_RE.search(expand(line, variables))
            if match and target.startswith("ko-build"):
                components[_component_name(target, match[1])] = {"package": match[1]}
                targets.append(target)
    if components:
        found.add(("images", "components"), components, f"Makefile: ko build in {', '.join(targets)}")
    for name in ("CONTROLLER_MANAGER_IMAGE", "IMG"):
        if name in variables:
            found.add(
                ("images", "controller_manager_image_variable"),
                name,
                f"Makefile: {name} ?= {variables[name]}",
            )
            break
    if "DOCKER_REGISTRY" in variables:
        found.add(
            ("images", "registry"),
            expand(variables["DOCKER_REGISTRY"], variables),
            f"Makefile: DOCKER_REGISTRY ?= {variables['DOCKER_REGISTRY']}",
        )


MAKEFILE_VERSION_VARIABLES = {
    "CONTROLLER_TOOLS_VERSION": ("versions", "controller_tools"),
    "CODE_GEN_VER": ("versions", "code_generator"),
    "OPENSHIFT_GOIMPORTS_VER": ("versions", "openshift_goimports"),
}
"""Makefile variables that are tool pins, and the setting each becomes."""


def read_makefile(text: str, found: Discovery) -> None:
    """Every pin a KubeStellar Makefile holds, into ``found``."""
    variables = makefile_variables(text)
    for name, path in MAKEFILE_VERSION_VARIABLES.items():
        if name in variables:
            value = expand(variables[name], variables)
            found.add(path, value, f"Makefile: {name} = {value}")
    _read_tool_lines(text, variables, found)
    rules = recipes(text)
    _read_manifests_recipe(rules.get("manifests", []), found)
    for line in rules.get("generate", []):
        if "CONTROLLER_GEN" in line:
            _read_controller_gen_arguments(line, found)
    _read_images(text, variables, found)


def read_codegen_script(text: str, module: str, found: Discovery, name: str) -> None:
    """The client header and output package of ``hack/update-codegen-clients.sh``."""
    words = [_unquote(word) for line in logical_lines(text) for word in line.split()]
    variables = {
        name: _unquote(value) for name, value in makefile_variables(text).items() if name != "SCRIPT_ROOT"
    }
    for option, value in itertools.pairwise(words):
        value = expand(value, variables)
        if option == "--boilerplate" and _SCRIPT_ROOT_RE.match(value):
            header = _SCRIPT_ROOT_RE.sub("", value)
            found.add(("codegen", "client_header"), header, f"{name}: {option} {value}")
        if option in ("--output-pkg-root", "--output-pkg") and value.startswith(module + "/"):
            found.add(("codegen", "generated_dir"), value[len(module) + 1 :], f"{name}: {option} {value}")


def read_go_mod(text: str, found: Discovery) -> None:
    """go.mod's ``go`` and ``toolchain`` lines (what Go the generators must run with)."""
    directive = _GO_DIRECTIVE_RE.search(text)
    toolchain = _TOOLCHAIN_DIRECTIVE_RE.search(text)
    found.go_directive = directive[1] if directive else ""
    found.go_toolchain = toolchain[1] if toolchain else ""


def discover(root: Path, module: str) -> Discovery:
    """The pins of the checkout at ``root`` (module path ``module``)."""
    found = Discovery()
    go_mod = root / "go.mod"
    if go_mod.is_file():
        read_go_mod(go_mod.read_text(), found)
    makefile = root / "Makefile"
    if makefile.is_file():
        read_makefile(makefile.read_text(errors="replace"), found)
    script = root / "hack" / "update-codegen-clients.sh"
    if script.is_file():
        text = script.read_text(errors="replace")
        read_codegen_script(text, module, found, "hack/update-codegen-clients.sh")
    same_module = ("imports", "module")
    found.pins = [pin for pin in found.pins if not (pin.path == same_module and pin.value == module)]
    return found
