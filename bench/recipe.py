"""The Makefile-equivalent recipe of a checkout, read as kstasks reads it, for the baselines.

A checkout's ``make all-generated`` differs between releases only in what its Makefile,
``hack/update-codegen-clients.sh`` and go.mod say: tool versions, the paths controller-gen is
given, whether the CRD files are a kustomize bundle or copies, the client package, and which
interface its code-generator's ``kube_codegen.sh`` has (``--output-base`` before v0.30,
``--output-dir``/``--output-pkg`` from v0.30 on). This module takes all of that from the settings a
kstasks task would use for the checkout (its pins, laid over kstasks' defaults) and hands it to
``bench/baseline.sh`` as environment variables, with the tools at those pins.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kstasks.codegen.layout import OUTPUT_DIR_INTERFACE, ImportSettings, Layout, tools_for
from kstasks.project import checkoutconfig, pins
from kstasks.project.repo import load_checkout
from kstasks.toolchain.tools import Toolbox, default_tools_dir, semver_at_least

PROJECT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Recipe:
    """What one checkout's ``make all-generated`` runs, as kstasks reads it."""

    root: Path
    module: str
    layout: Layout
    imports: ImportSettings
    toolbox: Toolbox
    discovery: pins.Discovery
    config: dict[str, Any]

    @property
    def code_generator(self) -> str:
        """The pinned k8s.io/code-generator version."""
        return self.toolbox.version_of("code-generator")

    @property
    def gen_client_interface(self) -> str:
        """``output-dir`` (code-generator v0.30+) or ``output-base`` (before)."""
        return "output-dir" if semver_at_least(self.code_generator, OUTPUT_DIR_INTERFACE) else "output-base"

    def tools(self) -> list[str]:
        """The pinned tools ``all-generated`` needs for this checkout."""
        return tools_for("all-generated", self.imports, layout=self.layout)


def read(root: Path) -> Recipe:
    """The recipe of the checkout at ``root`` (its pins over kstasks' defaults, toolchains chosen as
    a task chooses them)."""
    checkout = load_checkout(root)
    layers = checkoutconfig.checkout_layers(checkout.root, checkout.module)
    config = layers.values
    tools_dir = Path(config["tools_dir"]) if config.get("tools_dir") else default_tools_dir()
    chooser = checkoutconfig.toolchain_chooser(layers, config, tools_dir)
    return Recipe(
        root=checkout.root,
        module=checkout.module,
        layout=Layout.from_config(config["codegen"]),
        imports=ImportSettings.from_config(config["imports"]),
        toolbox=Toolbox(config["versions"], tools_dir, chooser=chooser),
        discovery=layers.discovery,
        config=config,
    )


def imports_command() -> str:
    """``make imports``' tool: openshift-goimports when given, else kstasks' stand-in taking its flags."""
    return os.environ.get("OPENSHIFT_GOIMPORTS") or f"{sys.executable} -m kstasks.codegen.goimports"


def imports_arguments(recipe: Recipe) -> str:
    """``-i PATTERN``... ``-m MODULE``, as the Makefile's imports rule gives them."""
    words = [word for pattern in recipe.imports.intermediates for word in ("-i", pattern)]
    return " ".join([*words, "-m", recipe.imports.module or recipe.module])


def baseline_env(recipe: Recipe, work: Path) -> dict[str, str]:
    """What ``bench/baseline.sh`` reads for this checkout; installs the tools at its pins."""
    box = recipe.toolbox
    box.install_all(recipe.tools())
    layout = recipe.layout
    env = {
        "MODULE": recipe.module,
        "CONTROLLER_GEN": str(box.binary("controller-gen")),
        "CODE_GEN_DIR": str(box.module_dir("code-generator")),
        "CODE_GEN_INTERFACE": recipe.gen_client_interface,
        "CODE_GEN_GOTOOLCHAIN": box.toolchain_of("code-generator"),
        "GOBIN": str(work / "baseline-gobin"),
        "API_DIR": layout.api_dir.strip("/"),
        "RBAC_ROLE_NAME": layout.rbac_role_name,
        "CRD_BASES_DIR": layout.crd_bases_dir.rstrip("/"),
        "CRD_BUNDLE_MODE": layout.crd_bundle_mode,
        "CRD_KUSTOMIZATION_DIR": layout.crd_kustomization_dir.rstrip("/"),
        "CRD_BUNDLE": layout.crd_bundle,
        "CRD_FILES_DIR": layout.crd_files_dir.rstrip("/"),
        "OBJECT_HEADER": layout.object_header,
        "CLIENT_HEADER": layout.client_header,
        "GENERATED_DIR": layout.generated_dir.strip("/"),
        "VERIFY_PATHS": " ".join(layout.verify_paths),
        "IMPORTS": imports_command(),
        "IMPORTS_ARGS": imports_arguments(recipe),
        "PYTHONPATH": str(PROJECT),
    }
    if layout.crd_bundle_mode == "kustomize":
        env["KUSTOMIZE"] = str(box.binary("kustomize"))
    return env


def describe(recipe: Recipe) -> str:
    """One line naming the pins the baseline runs with."""
    box = recipe.toolbox
    names = ", ".join(f"{name} {box.version_of(name)}" for name in recipe.tools())
    bundle = "kustomize bundle" if recipe.layout.crd_bundle_mode == "kustomize" else "CRD copy"
    return f"{recipe.root.name}: {names}; {bundle}; gen_client --{recipe.gen_client_interface}"


IDENTITY = ["-c", "user.name=bench", "-c", "user.email=bench@kstasks.invalid"]


def checkout_files(source: Path) -> list[str] | None:
    """The files git shows in ``source`` (tracked, and untracked but not ignored), or None when
    ``source`` is not a git work tree."""
    result = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=source,
        capture_output=True,
    )
    if result.returncode != 0:
        return None
    return sorted({name for name in result.stdout.decode().split("\0") if name})


def copy_checkout(source: Path, dest: Path) -> Path:
    """A work copy of ``source`` at ``dest`` (in a git work tree: the files git shows, build output
    and ignored files left out) as a fresh git repository with one commit; ``source`` is only read."""
    files = checkout_files(source)
    if files is None:
        shutil.copytree(source, dest, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    else:
        for name in files:
            origin, target = source / name, dest / name
            if not origin.is_symlink() and not origin.is_file():
                continue  # deleted in the work tree, or a submodule
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, target, follow_symlinks=False)
    for args in (["init", "-q"], ["add", "-A"], [*IDENTITY, "commit", "-qm", f"copy of {source.name}"]):
        subprocess.run(["git", *args], cwd=dest, check=True, capture_output=True)
    return dest
