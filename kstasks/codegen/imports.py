"""Import order over the checkout: ``make imports``."""

from __future__ import annotations

from pathlib import Path

from kstasks.codegen import goimports
from kstasks.codegen.layout import ImportSettings
from kstasks.core import output
from kstasks.project.repo import Checkout
from kstasks.toolchain import golang
from kstasks.toolchain.tools import Toolbox


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
        output.say(f"imports: {path.relative_to(root)} updated")


def run_imports(
    checkout: Checkout, imports: ImportSettings, toolbox: Toolbox, *, ignore_go_version: bool
) -> None:
    """``make imports``: verify-go-versions, then order the imports of every Go file."""
    golang.verify_go_versions_first(checkout.root, ignore=ignore_go_version)
    with output.step("imports"):
        normalise_imports(checkout.root, checkout, imports, toolbox)
