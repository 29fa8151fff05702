"""Code generation: ``make manifests``, ``generate``, ``codegenclients``, ``imports``, ``all-generated``.

Each step runs the same tool command, with the same arguments, as KubeStellar v0.24.0's
Makefile, so the outputs are the same bytes. What changes is the handling around them:
the clients are generated into a temporary tree and swapped in only after the generator
and the import step succeeded, and the checkout may live in any directory.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any

from invoke.exceptions import Exit

from kstasks import fsutil, goimports, golang, runner, scratch, toolchains
from kstasks.repo import Checkout
from kstasks.tools import Toolbox, semver_at_least

OUTPUT_DIR_INTERFACE = (0, 30, 0)
"""From this code-generator version on, kube_codegen.sh takes --output-dir/--output-pkg."""

CRD_BUNDLE_MODES = ("kustomize", "copy")
"""How ``make manifests`` fills the CRD files the Go code embeds (``codegen.crd_bundle_mode``)."""


@dataclass(frozen=True)
class Layout:
    """Where the generated files of a checkout live (paths relative to its root)."""

    api_dir: str = "api"
    rbac_role_name: str = "manager-role"
    crd_bases_dir: str = "config/crd/bases"
    crd_kustomization_dir: str = "config/crd"
    crd_bundle: str = "pkg/crd/files/crds.yaml"
    crd_bundle_mode: str = "kustomize"
    """``kustomize``: ``kustomize build <crd_kustomization_dir>/`` into ``crd_bundle`` (v0.22+);
    ``copy``: every file of ``crd_bases_dir`` copied into ``crd_files_dir`` (v0.21.x)."""
    crd_files_dir: str = "pkg/crd/files"
    object_header: str = "hack/boilerplate/boilerplate.go.txt"
    client_header: str = "hack/boilerplate/boilerplate.generatego.txt"
    generated_dir: str = "pkg/generated"
    generator_gogc: str = "400"
    """GOGC for the client generators: they parse much Go source, and less frequent garbage
    collection saves them a good share of CPU (about 13% at 400, for some more memory)."""
    clients_via: str = "generators"
    """``generators``: run client-gen, lister-gen and informer-gen directly, at once (for
    code-generator < v0.30); ``kube_codegen``: run kube_codegen.sh (always so from v0.30)."""
    verify_paths: tuple[str, ...] = ("api", "config/crd/bases", "pkg/crd/files", "pkg/generated")

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Layout:
        """A layout from the ``kstasks.codegen`` settings (unknown keys ignored)."""
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in dict(config).items() if key in known}
        if "verify_paths" in values:
            values["verify_paths"] = tuple(values["verify_paths"])
        if values.get("crd_bundle_mode", "kustomize") not in CRD_BUNDLE_MODES:
            raise runner.usage_error(
                f"unknown codegen.crd_bundle_mode {values['crd_bundle_mode']!r}",
                f"Use one of: {', '.join(CRD_BUNDLE_MODES)}.",
            )
        if values.get("clients_via", "generators") not in ("generators", "kube_codegen"):
            raise runner.usage_error(
                f"unknown codegen.clients_via {values['clients_via']!r}",
                "Use 'generators' or 'kube_codegen'.",
            )
        return cls(**values)


@dataclass(frozen=True)
class ImportSettings:
    """How ``make imports`` normalises Go imports."""

    tool: str = "builtin"
    module: str = ""
    intermediates: tuple[str, ...] = ("github.com/kubestellar/kubeflex",)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ImportSettings:
        """Import settings from the ``kstasks.imports`` settings."""
        settings = cls(
            tool=str(config.get("tool", "builtin")),
            module=str(config.get("module") or ""),
            intermediates=tuple(config.get("intermediates") or ()),
        )
        if settings.tool not in ("builtin", "openshift-goimports"):
            raise runner.usage_error(
                f"unknown imports tool {settings.tool!r}",
                "Set kstasks.imports.tool to 'builtin' or 'openshift-goimports'.",
            )
        return settings

    def rules(self, checkout: Checkout) -> goimports.ImportRules:
        """The ordering rules for ``checkout`` (its go.mod module unless one is configured)."""
        return goimports.ImportRules(self.module or checkout.module, self.intermediates)


def _relative_source(layout: Layout) -> str:
    return f"./{layout.api_dir.strip('/')}/..."


def controller_gen_arguments(layout: Layout, generators: tuple[str, ...]) -> list[str]:
    """controller-gen's arguments for ``generators`` (of rbac, crd, webhook, object), as the Makefile
    writes them: generators in that order, the source paths, then the CRD output rule if crd runs.

    The CRD output rule is per generator, so RBAC, webhook and DeepCopy files land in their default
    places even when all four run at once.
    """
    options = {
        "rbac": f"rbac:roleName={layout.rbac_role_name}",
        "crd": "crd",
        "webhook": "webhook",
        "object": f"object:headerFile={layout.object_header}",
    }
    args = [options[name] for name in ("rbac", "crd", "webhook", "object") if name in generators]
    args.append(f"paths={_relative_source(layout)}")
    if "crd" in generators:
        args.append(f"output:crd:artifacts:config={layout.crd_bases_dir}")
    return args


def run_controller_gen(
    checkout: Checkout, layout: Layout, toolbox: Toolbox, generators: tuple[str, ...], step: str
) -> None:
    """One controller-gen run for ``generators``, reported as part of ``step``."""
    with runner.step(f"{step}: controller-gen {', '.join(generators)}"):
        try:
            runner.run(
                [toolbox.binary("controller-gen"), *controller_gen_arguments(layout, generators)],
                cwd=checkout.root,
                what=f"controller-gen ({step})",
                todo=f"Fix the kubebuilder markers in the API types, then run {step} again.",
            )
        except Exit as err:
            raise toolchains.explain(err, "", "controller_tools_gotoolchain") from err


MANIFEST_GENERATORS = ("rbac", "crd", "webhook")


def run_manifests(checkout: Checkout, layout: Layout, toolbox: Toolbox) -> None:
    """CRDs, RBAC and webhook YAML from the API types (controller-gen), then the CRD bundle."""
    run_controller_gen(checkout, layout, toolbox, MANIFEST_GENERATORS, "manifests")
    bundle_crds(checkout, layout, toolbox)


def bundle_crds(checkout: Checkout, layout: Layout, toolbox: Toolbox) -> None:
    """The CRD files the Go code embeds: a kustomize bundle, or copies (``layout.crd_bundle_mode``)."""
    if layout.crd_bundle_mode == "copy":
        copy_crds(checkout, layout)
        return
    kustomize = toolbox.binary("kustomize")
    with runner.step(f"manifests: kustomize build {layout.crd_kustomization_dir}/"):
        result = runner.run(
            [kustomize, "build", f"{layout.crd_kustomization_dir.rstrip('/')}/"],
            cwd=checkout.root,
            capture=True,
            what="kustomize build (CRD bundle)",
            todo=f"Fix {layout.crd_kustomization_dir}/kustomization.yaml, then run manifests again.",
        )
        if not runner.options.dry:
            fsutil.write_if_changed(checkout.path(layout.crd_bundle), result.stdout.encode())


def copy_crds(checkout: Checkout, layout: Layout) -> None:
    """``cp <crd_bases_dir>/* <crd_files_dir>`` (v0.21.x): each file written atomically."""
    source = checkout.path(layout.crd_bases_dir)
    with runner.step(f"manifests: copy {layout.crd_bases_dir}/* to {layout.crd_files_dir}"):
        if runner.options.dry:
            return
        destination = checkout.path(layout.crd_files_dir)
        destination.mkdir(parents=True, exist_ok=True)
        for path in sorted(source.iterdir()):
            if path.is_file():
                fsutil.write_if_changed(destination / path.name, path.read_bytes())


def run_generate(checkout: Checkout, layout: Layout, toolbox: Toolbox) -> None:
    """DeepCopy methods for the API types (controller-gen object)."""
    run_controller_gen(checkout, layout, toolbox, ("object",), "generate")


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
        except Exit as err:
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
            with runner.step(
                f"codegenclients: client-gen, lister-gen, informer-gen at once ({self.version})"
            ):
                runner.parallel(
                    *(
                        partial(
                            runner.run,
                            command,
                            cwd=self.checkout.root,
                            env=env,
                            capture=True,
                            what=Path(command[0]).name,
                            todo=todo,
                        )
                        for command in commands
                    )
                )
            return
        args, self.staged = gen_client_arguments(self.checkout, self.layout, self.version, out_base)
        with runner.step(f"codegenclients: kube_codegen.sh gen_client (code-generator {self.version})"):
            runner.run(
                ["bash", _gen_client_script(), self.script, *args],
                cwd=self.checkout.root,
                env=env,
                what="client generation (kube_codegen.sh)",
                hide_stderr=_STALE_OUTPUT_CLEANUP_NOISE,
                todo=todo,
            )

    def finish(self, imports: ImportSettings) -> None:
        """Order the staged files' imports and swap the tree into the checkout."""
        if runner.options.dry:
            return
        if not fsutil.tree_files(self.staged):
            raise runner.stop(
                "client generation produced no files",
                f"Check the +genclient markers in {self.layout.api_dir}/**/types.go; "
                f"{self.layout.generated_dir} was left as it was.",
            )
        with runner.step("codegenclients: imports of the generated clients"):
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


def normalise_imports(
    root: Path, checkout: Checkout, imports: ImportSettings, toolbox: Toolbox, *, report: bool = True
) -> None:
    """Order the Go imports below ``root`` with the configured tool."""
    rules = imports.rules(checkout)
    if imports.tool == "openshift-goimports":
        goimports.run_openshift_goimports(toolbox.binary("openshift-goimports"), root, rules)
        return
    changed = goimports.normalise_tree(root, rules)
    for path in changed if report else ():
        runner.say(f"imports: {path.relative_to(root)} updated")


def run_imports(
    checkout: Checkout, imports: ImportSettings, toolbox: Toolbox, *, ignore_go_version: bool
) -> None:
    """``make imports``: verify-go-versions, then order the imports of every Go file."""
    golang.verify_go_versions(checkout.root, ignore=ignore_go_version)
    with runner.step("imports"):
        normalise_imports(checkout.root, checkout, imports, toolbox)


def run_all_generated(
    checkout: Checkout,
    layout: Layout,
    toolbox: Toolbox,
    imports: ImportSettings,
    *,
    ignore_go_version: bool,
    via: str = "generators",
) -> None:
    """``make all-generated``: manifests, generate, codegenclients — same outputs, less waiting.

    controller-gen runs once for all four generators; then the CRD bundle and the client
    generators (which read the DeepCopy file controller-gen writes) run at the same time.
    """
    with ClientGeneration(checkout, layout, toolbox, via=via) as clients:
        run_controller_gen(
            checkout, layout, toolbox, (*MANIFEST_GENERATORS, "object"), "manifests + generate"
        )
        runner.parallel(partial(bundle_crds, checkout, layout, toolbox), clients.run)
        clients.finish(imports)
    run_imports(checkout, imports, toolbox, ignore_go_version=ignore_go_version)


def missing_inputs(checkout: Checkout, layout: Layout, step: str) -> list[str]:
    """What the checkout lacks that ``step`` reads (relative paths); empty when it has everything."""
    needed = [layout.api_dir] if step != "imports" else []
    if step in ("manifests", "all-generated") and layout.crd_bundle_mode == "kustomize":
        needed.append(f"{layout.crd_kustomization_dir.rstrip('/')}/kustomization.yaml")
    return [relative for relative in needed if not checkout.path(relative).exists()]


def require_inputs(checkout: Checkout, layout: Layout, step: str) -> None:
    """Exit 2, before anything is written, when the checkout lacks what ``step`` reads."""
    missing = missing_inputs(checkout, layout, step)
    if missing:
        raise runner.usage_error(
            f"{checkout.root} has no {' and no '.join(missing)}, which {step} reads; nothing was written",
            "Run it in a checkout that has them, or set kstasks.codegen (api_dir, crd_kustomization_dir, "
            "crd_bundle_mode) to where this checkout keeps them.",
        )


def tools_for(step: str, imports: ImportSettings, *, layout: Layout | None = None) -> list[str]:
    """The pinned tools a code generation step needs (no kustomize where CRDs are copied)."""
    needed = {
        "manifests": ["controller-gen", "kustomize"],
        "generate": ["controller-gen"],
        "codegenclients": ["code-generator"],
        "imports": [],
        "all-generated": ["controller-gen", "kustomize", "code-generator"],
    }[step]
    if imports.tool == "openshift-goimports" and step in ("codegenclients", "imports", "all-generated"):
        needed.append("openshift-goimports")
    if layout is not None and layout.crd_bundle_mode == "copy":
        needed = [name for name in needed if name != "kustomize"]
    return needed
