"""controller-gen and the CRD bundle: ``make manifests`` and ``make generate``."""

from __future__ import annotations

from kstasks.codegen.layout import Layout, relative_source
from kstasks.core import context, errors, fsutil, output, runner
from kstasks.project.repo import Checkout
from kstasks.toolchain import toolchains
from kstasks.toolchain.tools import Toolbox


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
    args.append(f"paths={relative_source(layout)}")
    if "crd" in generators:
        args.append(f"output:crd:artifacts:config={layout.crd_bases_dir}")
    return args


def run_controller_gen(
    checkout: Checkout, layout: Layout, toolbox: Toolbox, generators: tuple[str, ...], step: str
) -> None:
    """One controller-gen run for ``generators``, reported as part of ``step``."""
    with output.step(f"{step}: controller-gen {', '.join(generators)}"):
        try:
            runner.run(
                [toolbox.binary("controller-gen"), *controller_gen_arguments(layout, generators)],
                cwd=checkout.root,
                what=f"controller-gen ({step})",
                todo=f"Fix the kubebuilder markers in the API types, then run {step} again.",
            )
        except errors.KstasksError as err:
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
    with output.step(f"manifests: kustomize build {layout.crd_kustomization_dir}/"):
        result = runner.run(
            [kustomize, "build", f"{layout.crd_kustomization_dir.rstrip('/')}/"],
            cwd=checkout.root,
            capture=True,
            what="kustomize build (CRD bundle)",
            todo=f"Fix {layout.crd_kustomization_dir}/kustomization.yaml, then run manifests again.",
        )
        if not context.dry_run():
            fsutil.write_if_changed(checkout.path(layout.crd_bundle), result.stdout.encode())


def copy_crds(checkout: Checkout, layout: Layout) -> None:
    """``cp <crd_bases_dir>/* <crd_files_dir>`` (v0.21.x): each file written atomically."""
    source = checkout.path(layout.crd_bases_dir)
    with output.step(f"manifests: copy {layout.crd_bases_dir}/* to {layout.crd_files_dir}"):
        if context.dry_run():
            return
        destination = checkout.path(layout.crd_files_dir)
        destination.mkdir(parents=True, exist_ok=True)
        for path in sorted(source.iterdir()):
            if path.is_file():
                fsutil.write_if_changed(destination / path.name, path.read_bytes())


def run_generate(checkout: Checkout, layout: Layout, toolbox: Toolbox) -> None:
    """DeepCopy methods for the API types (controller-gen object)."""
    run_controller_gen(checkout, layout, toolbox, ("object",), "generate")
