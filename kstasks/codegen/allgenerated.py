"""``make all-generated``: every code generation step, in the Makefile's order.

With a step cache active (:func:`kstasks.codegen.stepcache.active`), each step is skipped when
exactly what it reads is unchanged and its recorded outputs are put in place instead
(:mod:`kstasks.codegen.stepkeys` says what each step reads).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from kstasks.codegen import goimports, stepcache, stepkeys
from kstasks.codegen.clients import ClientGeneration
from kstasks.codegen.controllergen import MANIFEST_GENERATORS, bundle_crds, run_controller_gen
from kstasks.codegen.imports import normalise_imports, run_imports
from kstasks.codegen.layout import OUTPUT_DIR_INTERFACE, ImportSettings, Layout
from kstasks.core import context, digests, output, runner
from kstasks.project.repo import Checkout
from kstasks.toolchain import golang
from kstasks.toolchain.tools import Toolbox, semver_at_least

ALL_CONTROLLER_GEN = (*MANIFEST_GENERATORS, "object")


def tool_label(toolbox: Toolbox, name: str) -> str:
    """A tool's version with the toolchain it is built and run with (part of a step's key)."""
    return f"{toolbox.version_of(name)}+{toolbox.toolchain_of(name) or 'go'}"


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
    cache = None if context.dry_run() else stepcache.current()
    if cache is None:
        with ClientGeneration(checkout, layout, toolbox, via=via) as clients:
            run_controller_gen(checkout, layout, toolbox, ALL_CONTROLLER_GEN, "manifests + generate")
            runner.parallel(partial(bundle_crds, checkout, layout, toolbox), clients.run)
            clients.finish(imports)
        run_imports(checkout, imports, toolbox, ignore_go_version=ignore_go_version)
        return
    _cached_all_generated(cache, checkout, layout, toolbox, imports, ignore_go_version, via)


def _cached_all_generated(
    cache: stepcache.StepCache,
    checkout: Checkout,
    layout: Layout,
    toolbox: Toolbox,
    imports: ImportSettings,
    ignore_go_version: bool,
    via: str,
) -> None:
    root = checkout.root
    parts, outputs = stepkeys.controller_gen(
        cache, root, layout, ALL_CONTROLLER_GEN, tool_label(toolbox, "controller-gen")
    )
    cache.run(
        "controller-gen",
        parts,
        outputs,
        root,
        partial(run_controller_gen, checkout, layout, toolbox, ALL_CONTROLLER_GEN, "manifests + generate"),
    )
    direct = via == "generators" and not semver_at_least(
        toolbox.version_of("code-generator"), OUTPUT_DIR_INTERFACE
    )
    bundle_parts, bundle_outputs = stepkeys.crd_bundle(
        root, layout, "" if layout.crd_bundle_mode == "copy" else tool_label(toolbox, "kustomize")
    )
    client_parts, client_outputs = stepkeys.clients(
        cache, root, layout, tool_label(toolbox, "code-generator"), "direct" if direct else "kube_codegen"
    )

    def generate_clients() -> None:
        with ClientGeneration(checkout, layout, toolbox, via=via) as clients:
            clients.run()
            clients.finish(imports)

    runner.parallel(
        partial(
            cache.run,
            "crd-bundle",
            bundle_parts,
            bundle_outputs,
            root,
            partial(bundle_crds, checkout, layout, toolbox),
            concurrent=client_outputs,
        ),
        partial(
            cache.run,
            "clients",
            client_parts,
            client_outputs,
            root,
            generate_clients,
            concurrent=bundle_outputs,
        ),
    )
    golang.verify_go_versions_first(root, ignore=ignore_go_version)
    with output.step("imports"):
        cached_imports(cache, root, checkout, imports, toolbox)


def cached_imports(
    cache: stepcache.StepCache, root: Path, checkout: Checkout, imports: ImportSettings, toolbox: Toolbox
) -> list[str]:
    """Order the imports of the Go files below ``root`` whose content the step has not left
    unchanged before (every file, with openshift-goimports: it is not keyed per file); the files
    it changed, relative to ``root``."""
    files = [p.relative_to(root).as_posix() for p in goimports.go_files(root)]
    if imports.tool != "builtin":
        cache.note("imports", "ran (not keyed per file with openshift-goimports)")
        before = {f: digests.file_digest(root / f) for f in files}
        normalise_imports(root, checkout, imports, toolbox, report=False)
        return [f for f in files if digests.file_digest(root / f) != before[f]]
    rules = imports.rules(checkout)
    verdicts = stepcache.FileVerdicts(
        cache, "imports", [("rules", repr((rules.module, rules.intermediates)))]
    )
    before = {f: digests.file_digest(root / f) for f in files}
    todo = [f for f in files if not verdicts.is_clean(before[f])]
    cache.note(
        "imports",
        f"ran on {len(todo)} of {len(files)} files" if todo else "replayed (every file in order before)",
    )
    goimports.normalise_files(root, [root / f for f in todo], rules)
    changed = [f for f in todo if digests.file_digest(root / f) != before[f]]
    verdicts.add(before[f] for f in todo if f not in changed)
    verdicts.save()
    for relative in changed:
        output.say(f"imports: {relative} updated")
    return changed
