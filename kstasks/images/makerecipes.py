"""The checkout's local-image rules, read from its Makefile as data: which ``ko-build-*-local``
targets it has (the package each builds and the variable naming its image, ``GET_KFCFG_IMAGE``
...), and which images its ``kind-load-image`` / ``k3d-load-image`` recipes load into which cluster.

Nothing here depends on a release: a target or an image the Makefile adds becomes a task or a
loaded image because the Makefile names it. Reading is plain text work (no ``make``, no
subprocess), so the program can do it at start to list the checkout's tasks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kstasks.project import pins

LOCAL_TARGET_RE = re.compile(r"^ko-build-[A-Za-z0-9-]+-local$")
_RULE_RE = re.compile(r"^([^:#=\s\t][^:#=]*?)\s*::?(?!=)\s*(.*)$")
_CONDITIONAL_RE = re.compile(r"^\s*(ifn?def|ifn?eq|else|endif|include|-include|export|define|endef)\b")
_KO_RE = re.compile(r"\bko build\b.*?\s(\./\S+)")
_DOCKER_TAG_RE = re.compile(r"\bdocker tag\s+\S+\s+\$[({]([A-Za-z_][A-Za-z0-9_]*)[)}]\s*$")
_VARIABLE_RE = re.compile(r"\$[({]([A-Za-z_][A-Za-z0-9_]*)[)}]")
LOADERS = {"kind-load-image": "kind", "k3d-load-image": "k3d"}
"""The load targets kstasks knows, and the program each recipe runs."""
CLUSTER_VARIABLES = {"kind": "KIND_HOSTING_CLUSTER", "k3d": "K3D_HOSTING_CLUSTER"}
DEFAULT_CLUSTER = "kubeflex"


@dataclass(frozen=True)
class LocalImage:
    """One ``ko-build-<name>-local`` target."""

    target: str
    """``ko-build-get-kubeconfig-local``."""
    component: str
    """``get-kubeconfig`` (the middle of the target name)."""
    package: str
    """What ko builds: ``./cmd/kflex-get-kubeconfig``."""
    variable: str
    """The Makefile variable naming the image (``GET_KFCFG_IMAGE``); empty when it tags none."""

    @property
    def image(self) -> str:
        """The image name ko gives it with -B: the package's last path element."""
        return self.package.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class LoadRecipe:
    """What ``kind-load-image`` or ``k3d-load-image`` loads, read from its recipe."""

    target: str
    program: str
    """``kind`` or ``k3d``."""
    cluster_variable: str
    cluster_default: str
    variables: tuple[str, ...]
    """The image variables it loads, in the recipe's order, each once."""
    prerequisites: tuple[str, ...]
    corrections: tuple[str, ...] = field(default=())
    """Where the recipe says something other than it means, and what kstasks does instead."""
    found: bool = True
    """False when the Makefile has no such target (then it loads every local image)."""


@dataclass(frozen=True)
class MakeRules:
    """The local-image rules of one checkout's Makefile."""

    images: tuple[LocalImage, ...]
    loaders: Mapping[str, LoadRecipe]
    variables: Mapping[str, str]
    targets: frozenset[str]

    def by_target(self, target: str) -> LocalImage | None:
        """The local image built by ``target``, or None."""
        return next((image for image in self.images if image.target == target), None)

    def by_variable(self, variable: str) -> LocalImage | None:
        """The local image whose tag is ``variable``, or None."""
        return next((image for image in self.images if image.variable == variable), None)

    def default_image(self, image: LocalImage, registry: str, tag: str) -> str:
        """The image name the Makefile gives ``image`` with DOCKER_REGISTRY and IMAGE_TAG as given."""
        if not image.variable or image.variable not in self.variables:
            return f"{registry}/{image.image}:{tag}"
        values = {**self.variables, "DOCKER_REGISTRY": registry, "IMAGE_TAG": tag}
        expanded = pins.expand(values[image.variable], values)
        return expanded if "$" not in expanded else f"{registry}/{image.image}:{tag}"


def rules_with_prerequisites(text: str) -> dict[str, tuple[list[str], list[str]]]:
    """Each rule's target (every one of a multi-target rule, ``$(VAR)`` file targets and ``%``
    patterns included; special targets such as ``.PHONY`` left out): (prerequisites, recipe lines)."""
    result: dict[str, tuple[list[str], list[str]]] = {}
    current: list[str] = []
    for line in pins.logical_lines(text):
        if line.startswith("\t"):
            for name in current:
                result[name][1].append(line.strip())
            continue
        match = _RULE_RE.match(line)
        if match and not re.match(r"^\S+\s*(\?|:|::|\+|!)?=", line) and not _CONDITIONAL_RE.match(line):
            current = [name for name in match[1].split() if not name.startswith(".")]
            prerequisites = match[2].split("##", 1)[0].split(";", 1)[0].split()
            for name in current:
                result.setdefault(name, ([], []))[0].extend(prerequisites)
        elif line.strip():
            current = []
    return result


def _component(target: str) -> str:
    return target.removeprefix("ko-build-").removesuffix("-local")


def _local_images(rules: Mapping[str, tuple[list[str], list[str]]], variables: Mapping[str, str]) -> list:
    images = []
    for target, (_, lines) in rules.items():
        if not LOCAL_TARGET_RE.match(target):
            continue
        package = variable = ""
        for line in lines:
            built = _KO_RE.search(pins.expand(line, variables))
            package = package or (built[1] if built else "")
            tagged = _DOCKER_TAG_RE.search(line)
            variable = variable or (tagged[1] if tagged else "")
        if package:
            images.append(LocalImage(target, _component(target), package, variable))
    return images


def _load_recipe(
    target: str,
    program: str,
    rule: tuple[list[str], list[str]],
    variables: Mapping[str, str],
    image_variables: Sequence[str],
) -> LoadRecipe:
    """The images a load recipe names and where it means them to go (see :class:`LoadRecipe`)."""
    prerequisites, lines = rule
    cluster_variable = CLUSTER_VARIABLES[program]
    named: list[str] = []
    corrections = []
    for line in lines:
        if not line.startswith(program + " "):
            continue
        words = _VARIABLE_RE.findall(line)
        if program == "kind":
            named += [word for word in words if word in image_variables and word not in named]
            continue
        named += [word for word in words if word in image_variables and word not in named]
        if "-c" in line.split() and cluster_variable not in words:
            corrections.append(
                f"the recipe line `{line}` passes an image where the cluster belongs; kstasks imports "
                f"each image it names into ${{{cluster_variable}}}"
            )
    default = pins.expand(variables.get(cluster_variable, DEFAULT_CLUSTER), variables) or DEFAULT_CLUSTER
    return LoadRecipe(
        target=target,
        program=program,
        cluster_variable=cluster_variable,
        cluster_default=default,
        variables=tuple(named),
        prerequisites=tuple(prerequisites),
        corrections=tuple(corrections),
    )


def parse(text: str) -> MakeRules:
    """The local-image rules of the Makefile ``text``."""
    variables = pins.makefile_variables(text)
    rules = rules_with_prerequisites(text)
    images = _local_images(rules, variables)
    image_variables = [image.variable for image in images if image.variable]
    loaders = {}
    for target, program in LOADERS.items():
        if target in rules:
            loaders[target] = _load_recipe(target, program, rules[target], variables, image_variables)
        else:
            loaders[target] = LoadRecipe(
                target=target,
                program=program,
                cluster_variable=CLUSTER_VARIABLES[program],
                cluster_default=DEFAULT_CLUSTER,
                variables=tuple(image_variables),
                prerequisites=tuple(image.target for image in images),
                found=False,
            )
    return MakeRules(tuple(images), loaders, variables, frozenset(rules))


def read(root: Path) -> MakeRules:
    """The local-image rules of the checkout at ``root`` (none without a Makefile)."""
    makefile = Path(root) / "Makefile"
    text = makefile.read_text(errors="replace") if makefile.is_file() else ""
    return parse(text)


def images_to_load(rules: MakeRules, recipe: LoadRecipe) -> list[LocalImage]:
    """The local images ``recipe`` loads (each built first, as its prerequisites or what it names
    mean), in the recipe's order."""
    chosen = [image for image in (rules.by_variable(name) for name in recipe.variables) if image]
    for name in recipe.prerequisites:
        image = rules.by_target(name)
        if image is not None and image not in chosen and not recipe.found:
            chosen.append(image)
    return chosen
