"""Tasks for pinned tools and code generation."""

from __future__ import annotations

from collections.abc import Callable

from invoke import Collection, task
from invoke.context import Context

from kstasks import codegen, golang, scaffold, stamp
from kstasks.repo import Checkout, find_checkout
from kstasks.tasks.common import REPO_HELP, Target, project_dir, start, target, toolbox


def _needed(step: str, c: Context) -> list[str]:
    return codegen.tools_for(step, codegen.ImportSettings.from_config(c.config.kstasks.imports))


@task(
    iterable=["name"],
    help={"name": "A tool to install (repeatable; default: those the tasks use with these settings)."},
)
def tools(c: Context, name: list[str] | None = None) -> None:
    """Install the pinned Go tools into the shared versioned cache (and check them)."""
    config = start(c)
    box = toolbox(config)
    names = list(name or [*_needed("all-generated", c), "helm", "ko"])
    for tool_name, directory in box.install_all(names).items():
        print(f"{tool_name:22} {box.version_of(tool_name):12} {directory}")


@task(help={"repo": REPO_HELP})
def manifests(c: Context, repo: str | None = None) -> None:
    """CRD, RBAC and webhook YAML from the API types, and the CRD bundle (make manifests)."""
    t = target(c, repo, _needed("manifests", c))
    codegen.run_manifests(t.checkout, t.layout, t.toolbox)


@task(help={"repo": REPO_HELP})
def generate(c: Context, repo: str | None = None) -> None:
    """DeepCopy methods for the API types (make generate)."""
    t = target(c, repo, _needed("generate", c))
    codegen.run_generate(t.checkout, t.layout, t.toolbox)


@task(help={"repo": REPO_HELP})
def codegenclients(c: Context, repo: str | None = None) -> None:
    """Clientset, listers and informers under pkg/generated, then imports (make codegenclients)."""
    t = target(c, repo, _needed("codegenclients", c))
    codegen.run_codegenclients(
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
    t = target(c, repo, _needed("imports", c))
    codegen.run_imports(t.checkout, t.imports, t.toolbox, ignore_go_version=t.ignore_go_version)


def _generate_all(t: Target) -> Callable[[Checkout], None]:
    """all-generated with ``t``'s settings, for any checkout (verify-codegen's worktree copy)."""

    def generate_all(checkout: Checkout) -> None:
        codegen.run_all_generated(
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
    t = target(c, repo, _needed("all-generated", c))
    settings = {key: t.config[key] for key in ("versions", "codegen", "imports")}
    stamp.run_unless_current(t.checkout, t.layout, settings, _generate_all(t), force=force)


@task(name="verify-go-versions", help={"repo": REPO_HELP})
def verify_go_versions(c: Context, repo: str | None = None) -> None:
    """Check the installed Go against go.mod's go directive (IGNORE_GO_VERSION skips)."""
    t = target(c, repo, [])
    golang.verify_go_versions(t.checkout.root, ignore=t.ignore_go_version)


@task(
    help={
        "path": "The KubeStellar checkout to set up (default: the target checkout).",
        "force": "Overwrite files that are already there.",
    }
)
def init(c: Context, path: str | None = None, force: bool = False) -> None:
    """Write tasks.py, noxfile.py and a pull-request workflow into a KubeStellar checkout."""
    config = start(c)
    checkout = find_checkout(path, config.get("repo") if path is None else None, config_dir=project_dir(c))
    for written in scaffold.init_checkout(checkout.root, force=force):
        print(f"wrote {written.relative_to(checkout.root)}")


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
