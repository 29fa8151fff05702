"""Clientsets, listers and informers: ``make codegenclients`` (k8s code-generator)."""

from __future__ import annotations

import contextlib
import re
import shutil
from dataclasses import dataclass
from functools import partial
from importlib import resources
from pathlib import Path

from kstasks.codegen import gopathview
from kstasks.codegen.imports import normalise_imports, run_imports
from kstasks.codegen.layout import OUTPUT_DIR_INTERFACE, ImportSettings, Layout
from kstasks.core import context, errors, fsutil, output, runner, scratch
from kstasks.project.repo import Checkout
from kstasks.toolchain import toolchains
from kstasks.toolchain.tools import Toolbox, semver_at_least


def gen_client_arguments(
    checkout: Checkout, layout: Layout, code_generator_version: str, out_base: Path
) -> tuple[list[str], Path]:
    """kube::codegen::gen_client's arguments for this code-generator, and where it will write.

    Before v0.30 the generators write to ``<output-base>/<import path>``: the output base is
    a temporary directory in which the module path leads to the checkout's API (a symlink)
    and to an empty staging tree for the clients. From v0.30 the staging tree is given as
    ``--output-dir``.
    """
    generated_pkg = f"{checkout.module}/{layout.generated_dir.strip('/')}"
    header = str(checkout.path(layout.client_header))
    if semver_at_least(code_generator_version, OUTPUT_DIR_INTERFACE):
        staged = out_base / "generated"
        staged.mkdir(parents=True)
        args = [
            "--with-watch",
            "--output-dir",
            str(staged),
            "--output-pkg",
            generated_pkg,
            "--boilerplate",
            header,
            str(checkout.path(layout.api_dir)),
        ]
        return args, staged
    module_root = out_base / checkout.module
    api_link = module_root / layout.api_dir.strip("/")
    api_link.parent.mkdir(parents=True, exist_ok=True)
    api_link.symlink_to(checkout.path(layout.api_dir), target_is_directory=True)
    staged = module_root / layout.generated_dir.strip("/")
    staged.mkdir(parents=True)
    args = [
        "--with-watch",
        "--input-pkg-root",
        f"{checkout.module}/{layout.api_dir.strip('/')}",
        "--output-pkg-root",
        generated_pkg,
        "--output-base",
        str(out_base),
        "--boilerplate",
        header,
    ]
    return args, staged


_STALE_OUTPUT_CLEANUP_NOISE = re.compile(r"^fatal: Invalid path '.*kstasks-codegen-")
"""kube_codegen.sh first deletes earlier outputs with `git grep` run in the checkout; our
fresh output tree is outside it, so git complains. Nothing is there to delete: hide that."""


def _gen_client_script() -> Path:
    return Path(str(resources.files("kstasks") / "data" / "gen_client.sh"))


_GROUP_VERSION_RE = re.compile(r"^v[0-9]+((alpha|beta)[0-9]+)?$")


@dataclass(frozen=True)
class ClientInputs:
    """The API packages kube_codegen.sh would hand to the generators."""

    packages: list[str]
    group_versions: list[str]


def find_client_inputs(checkout: Checkout, layout: Layout) -> ClientInputs:
    """kube_codegen.sh's search: ``types.go`` files with ``+genclient`` under the API dir (git grep),
    kept when their directory is a version (v1, v1alpha1, ...)."""
    api = checkout.path(layout.api_dir).resolve()
    result = runner.run(
        ["git", "grep", "--untracked", "-l", "-e", "+genclient", f":(glob){api}/**/types.go"],
        cwd=checkout.root,
        capture=True,
        query=True,
        check=False,
        quiet=True,
    )
    files = sorted({line for line in result.stdout.splitlines() if line.strip()})
    packages, group_versions = [], []
    for file in files:
        directory = (checkout.root / file).parent.resolve()
        if not _GROUP_VERSION_RE.match(directory.name):
            continue
        packages.append(f"{checkout.module}/{directory.relative_to(checkout.root).as_posix()}")
        group_versions.append(f"{directory.parent.name}/{directory.name}")
    return ClientInputs(packages, group_versions)


def generator_commands(
    checkout: Checkout, layout: Layout, gobin: Path, out_base: Path, inputs: ClientInputs
) -> list[list[str]]:
    """client-gen, lister-gen and informer-gen exactly as kube_codegen.sh (< v0.30) runs them for
    ``gen_client --with-watch``, writing below ``out_base``."""
    out_pkg = f"{checkout.module}/{layout.generated_dir.strip('/')}"
    header = str(checkout.path(layout.client_header))
    common = ["-v", "0", "--go-header-file", header]
    dirs = [arg for package in inputs.packages for arg in ("--input-dirs", package)]
    return [
        [
            str(gobin / "client-gen"),
            *common,
            "--clientset-name",
            "versioned",
            "--input-base",
            f"{checkout.module}/{layout.api_dir.strip('/')}",
            "--output-base",
            str(out_base),
            "--output-package",
            f"{out_pkg}/clientset",
            "--apply-configuration-package",
            "",
            *[arg for gv in inputs.group_versions for arg in ("--input", gv)],
        ],
        [
            str(gobin / "lister-gen"),
            *common,
            "--output-base",
            str(out_base),
            "--output-package",
            f"{out_pkg}/listers",
            *dirs,
        ],
        [
            str(gobin / "informer-gen"),
            *common,
            "--output-base",
            str(out_base),
            "--output-package",
            f"{out_pkg}/informers",
            "--versioned-clientset-package",
            f"{out_pkg}/clientset/versioned",
            "--listers-package",
            f"{out_pkg}/listers",
            *dirs,
        ],
    ]


class ClientGeneration:
    """One client generation into a staging tree, swapped into the checkout when complete.

    ``run`` does the generator part (safe to run beside other steps that do not write the API
    types); ``finish`` orders the imports and swaps the tree in.
    """

    def __init__(
        self, checkout: Checkout, layout: Layout, toolbox: Toolbox, *, via: str = "generators"
    ) -> None:
        checkout.require_git("kube_codegen.sh finds the API types with git grep")
        self.checkout, self.layout, self.toolbox = checkout, layout, toolbox
        self.version = toolbox.version_of("code-generator")
        self.direct = via == "generators" and not semver_at_least(self.version, OUTPUT_DIR_INTERFACE)
        self.gobin = toolbox.ensure("code-generator")
        self.script = None if self.direct else toolbox.kube_codegen_script()
        self._scratch = contextlib.ExitStack()
        self._temp = self._scratch.enter_context(scratch.directory("codegen"))
        self.staged = Path()

    def __enter__(self) -> ClientGeneration:
        return self

    def __exit__(self, *exc: object) -> None:
        self._scratch.close()

    def run(self) -> None:
        """Generate clientset, listers and informers into the staging tree; a failure caused by the
        Go toolchain is reported as such."""
        try:
            self._generate()
        except errors.KstasksError as err:
            toolchain = self.toolbox.toolchain_of("code-generator")
            raise toolchains.explain(err, toolchain, "code_generator_gotoolchain") from err

    def _generate(self) -> None:
        out_base = self._temp
        env = {"GOBIN": str(self.gobin), **self.toolbox.tool_env("code-generator")}
        if self.layout.generator_gogc:
            env["GOGC"] = self.layout.generator_gogc
        todo = f"Fix the API types; {self.layout.generated_dir} was left as it was."
        if self.direct:
            self.staged = out_base / self.checkout.module / self.layout.generated_dir.strip("/")
            self.staged.mkdir(parents=True)
            inputs = find_client_inputs(self.checkout, self.layout)
            if not inputs.group_versions:
                return
            commands = generator_commands(self.checkout, self.layout, self.gobin, out_base, inputs)
            view = (
                gopathview.build(self.checkout, out_base / "gopath", inputs.packages, env)
                if self.layout.clients_gopath_view
                else None
            )
            if view is not None:
                try:
                    self._run_generators(
                        commands, {**env, **view.environment()}, view.checkout_dir, "on a GOPATH-mode view"
                    )
                    return
                except errors.KstasksError:
                    output.warn(
                        "codegenclients: the generators failed on the GOPATH-mode view; again in module mode"
                    )
                    shutil.rmtree(self.staged, ignore_errors=True)
                    self.staged.mkdir(parents=True)
            self._run_generators(commands, env, self.checkout.root, "in module mode")
            return
        args, self.staged = gen_client_arguments(self.checkout, self.layout, self.version, out_base)
        with output.step(f"codegenclients: kube_codegen.sh gen_client (code-generator {self.version})"):
            runner.run(
                ["bash", _gen_client_script(), self.script, *args],
                cwd=self.checkout.root,
                env=env,
                what="client generation (kube_codegen.sh)",
                hide_stderr=_STALE_OUTPUT_CLEANUP_NOISE,
                todo=todo,
            )

    def _run_generators(self, commands: list[list[str]], env: dict[str, str], cwd: Path, mode: str) -> None:
        todo = f"Fix the API types; {self.layout.generated_dir} was left as it was."
        with output.step(
            f"codegenclients: client-gen, lister-gen, informer-gen at once ({self.version}) {mode}"
        ):
            runner.parallel(
                *(
                    partial(
                        runner.run,
                        command,
                        cwd=cwd,
                        env=env,
                        capture=True,
                        what=Path(command[0]).name,
                        todo=todo,
                    )
                    for command in commands
                )
            )

    def finish(self, imports: ImportSettings) -> None:
        """Order the staged files' imports and swap the tree into the checkout."""
        if context.dry_run():
            return
        if not fsutil.tree_files(self.staged):
            raise errors.StepFailed(
                "client generation produced no files",
                f"Check the +genclient markers in {self.layout.api_dir}/**/types.go; "
                f"{self.layout.generated_dir} was left as it was.",
            )
        with output.step("codegenclients: imports of the generated clients"):
            normalise_imports(self.staged, self.checkout, imports, self.toolbox, report=False)
        fsutil.replace_tree(self.staged, self.checkout.path(self.layout.generated_dir))


def run_codegenclients(
    checkout: Checkout,
    layout: Layout,
    toolbox: Toolbox,
    imports: ImportSettings,
    *,
    ignore_go_version: bool,
    via: str = "generators",
) -> None:
    """Clientset, listers and informers (what kube_codegen.sh gen_client --with-watch makes), then
    imports. The previous ``pkg/generated`` stays in place until the new tree is complete."""
    with ClientGeneration(checkout, layout, toolbox, via=via) as clients:
        clients.run()
        clients.finish(imports)
    run_imports(checkout, imports, toolbox, ignore_go_version=ignore_go_version)
