"""``make all-generated``: every code generation step, in the Makefile's order."""

from __future__ import annotations

from functools import partial

from kstasks.codegen.clients import ClientGeneration
from kstasks.codegen.controllergen import MANIFEST_GENERATORS, bundle_crds, run_controller_gen
from kstasks.codegen.imports import run_imports
from kstasks.codegen.layout import ImportSettings, Layout
from kstasks.core import runner
from kstasks.project.repo import Checkout
from kstasks.toolchain.tools import Toolbox


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
