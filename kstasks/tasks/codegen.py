"""Tasks for pinned tools and code generation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from invoke import Collection, task
from invoke.context import Context

from kstasks.tasks.common import REPO_HELP, Target, project_dir, show, start, target, toolbox, writing

if TYPE_CHECKING:
    from kstasks.project.repo import Checkout


def needed_tools(step: str) -> Callable[[dict[str, Any]], list[str]]:
    """The tools ``step`` needs with the checkout's settings (no kustomize where CRDs are copied)."""
    from kstasks.codegen.layout import ImportSettings, Layout, tools_for

    def needed(config: dict[str, Any]) -> list[str]:
        layout = Layout.from_config(config["codegen"])
        return tools_for(step, ImportSettings.from_config(config["imports"]), layout=layout)

    return needed


@task(
    iterable=["name"],
    help={
        "name": "A tool to install (repeatable; default: those the tasks use with these settings).",
        "repo": REPO_HELP,
    },
)
def tools(c: Context, name: list[str] | None = None, repo: str | None = None) -> None:
    """Install the pinned Go tools the checkout uses into the shared versioned cache (and check them)."""
    from kstasks.project.repo import resolve_root

    def wanted(config: dict[str, Any]) -> list[str]:
        return list(name or [*needed_tools("all-generated")(config), "helm", "ko"])

    base = start(c)
    if (
        repo is None
        and not (resolve_root(None, base.get("repo"), config_dir=project_dir(c)) / "go.mod").is_file()
    ):
        box = toolbox(base)  # no checkout here: kstasks' defaults, toolchains chosen per tool
        names = wanted(base)
        box.validate(names)
    else:
        t = target(c, repo, wanted)
        box, names = t.toolbox, wanted(t.config)
    for tool_name, directory in box.install_all(names).items():
        print(f"{tool_name:22} {box.version_of(tool_name):12} {directory}")


@task(help={"repo": REPO_HELP})
def manifests(c: Context, repo: str | None = None) -> None:
    """CRD, RBAC and webhook YAML from the API types, and the CRD bundle (make manifests)."""
    from kstasks.codegen import controllergen
    from kstasks.codegen.layout import require_inputs

    t = target(c, repo, needed_tools("manifests"))
    require_inputs(t.checkout, t.layout, "manifests")
    with writing(t, "manifests"):
        controllergen.run_manifests(t.checkout, t.layout, t.toolbox)


@task(help={"repo": REPO_HELP})
def generate(c: Context, repo: str | None = None) -> None:
    """DeepCopy methods for the API types (make generate)."""
    from kstasks.codegen import controllergen
    from kstasks.codegen.layout import require_inputs

    t = target(c, repo, needed_tools("generate"))
    require_inputs(t.checkout, t.layout, "generate")
    with writing(t, "generate"):
        controllergen.run_generate(t.checkout, t.layout, t.toolbox)


@task(help={"repo": REPO_HELP})
def codegenclients(c: Context, repo: str | None = None) -> None:
    """Clientset, listers and informers under pkg/generated, then imports (make codegenclients)."""
    from kstasks.codegen import clients
    from kstasks.codegen.layout import require_inputs

    t = target(c, repo, needed_tools("codegenclients"))
    require_inputs(t.checkout, t.layout, "codegenclients")
    with writing(t, "codegenclients"):
        clients.run_codegenclients(
            t.checkout,
            t.layout,
            t.toolbox,
            t.imports,
            ignore_go_version=t.ignore_go_version,
            via=t.layout.clients_via,
        )


@task(help={"repo": REPO_HELP})
def imports(c: Context, repo: str | None = None) -> None:
    """Order Go imports: std, other, k8s.io, openshift, kubeflex, module (make imports)."""
    from kstasks.codegen.imports import run_imports

    t = target(c, repo, needed_tools("imports"))
    with writing(t, "imports"):
        run_imports(t.checkout, t.imports, t.toolbox, ignore_go_version=t.ignore_go_version)


def generate_all_for(t: Target) -> Callable[[Checkout], None]:
    """all-generated with ``t``'s settings, for any checkout (verify-codegen's worktree copy)."""
    from kstasks.codegen import allgenerated

    def generate_all(checkout: Checkout) -> None:
        allgenerated.run_all_generated(
            checkout,
            t.layout,
            t.toolbox,
            t.imports,
            ignore_go_version=t.ignore_go_version,
            via=t.layout.clients_via,
        )

    return generate_all


@task(
    name="all-generated",
    help={"repo": REPO_HELP, "force": "Regenerate even when nothing changed since the last run."},
)
def all_generated(c: Context, repo: str | None = None, force: bool = False) -> None:
    """Every generated file: manifests, generate, codegenclients (make all-generated)."""
    from kstasks.codegen import stamp
    from kstasks.codegen.layout import require_inputs

    t = target(c, repo, needed_tools("all-generated"))
    require_inputs(t.checkout, t.layout, "all-generated")
    settings = {key: t.config[key] for key in ("versions", "codegen", "imports")}
    with writing(t, "all-generated"):
        stamp.run_unless_current(t.checkout, t.layout, settings, generate_all_for(t), force=force)


@task(name="verify-go-versions", help={"repo": REPO_HELP})
def verify_go_versions(c: Context, repo: str | None = None) -> None:
    """Check the installed Go against go.mod's go directive (IGNORE_GO_VERSION skips)."""
    from kstasks.toolchain import golang

    t = target(c, repo, [])
    show(golang.verify_go_versions(t.checkout.root, ignore=t.ignore_go_version))


@task(
    help={
        "repo": REPO_HELP,
        "force": "Overwrite files that are already there (and rewrite an invoke.yaml with comments).",
    }
)
def init(c: Context, repo: str | None = None, force: bool = False) -> None:
    """Set a checkout up: tasks.py, noxfile.py, a PR workflow, its Makefile's pins and its version graph.

    The pins are written so that nothing is lost when the Makefile is gone."""
    from kstasks.core import context, output
    from kstasks.project import checkoutconfig, pins, scaffold
    from kstasks.project.repo import find_checkout
    from kstasks.release.graph import discover

    config = start(c)
    checkout = find_checkout(repo, config.get("repo"), config_dir=project_dir(c))
    graph_name = config["release"]["graph"]
    if context.dry_run():
        for name in (*scaffold.FILES, "invoke.yaml (the Makefile's pins)", graph_name):
            print(f"would write {name}")
        return
    config_name = (checkoutconfig.config_file(checkout.root) or checkout.root / "invoke.yaml").name
    also = (config_name, graph_name, scaffold.PRESUBMITS_FILE)
    with scaffold.all_or_nothing(checkout.root, also):
        said = [
            f"wrote {w.relative_to(checkout.root)}"
            for w in scaffold.init_checkout(checkout.root, force=force)
        ]
        presubmits, warnings = scaffold.write_presubmit_workflow(
            checkout.root, _task_names(checkout.root), force=force
        )
        if presubmits is not None:
            said.append(f"wrote {presubmits.relative_to(checkout.root)}")
        discovery = pins.discover(checkout.root, checkout.module)
        path, added = checkoutconfig.write_pins(checkout.root, discovery, force=force)
        discover.write_discovered(checkout.root, graph_name, force=force)
    for warning in warnings:
        output.warn(warning)
    for line in said:
        print(line)
    print(
        f"wrote {path.relative_to(checkout.root)}: {', '.join(added)}"
        if added
        else f"{path.relative_to(checkout.root)}: nothing to add"
    )


def _task_names(root: Path) -> list[str]:
    """The tasks a make target can be: those the Makefile maps name for a target (every release's),
    and the checkout's own ``ko-build-*-local`` targets."""
    from kstasks.images import makerecipes
    from kstasks.tasks import makefilemap

    names = {
        task for ref in makefilemap.refs() for entry in makefilemap.load(ref=ref) for task in entry.tasks
    }
    return sorted(names | {found.target for found in makerecipes.read(root).images})


def collection() -> Collection:
    """These tasks as a collection (added flat to the root namespace)."""
    return Collection(
        tools,
        manifests,
        generate,
        codegenclients,
        imports,
        all_generated,
        verify_go_versions,
        init,
    )
