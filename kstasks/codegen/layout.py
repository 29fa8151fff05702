"""Where a checkout keeps its API types, generated code and CRDs, and what each step needs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from kstasks.codegen import goimports
from kstasks.core import errors
from kstasks.project.repo import Checkout

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
    clients_gopath_view: bool = True
    """Run the client generators of code-generator < v0.30 (gengo v1) in GOPATH mode on a view of
    the build list (:mod:`kstasks.codegen.gopathview`): the same files, without one ``go list`` per
    package; module mode when no exact view can be made."""
    verify_paths: tuple[str, ...] = ("api", "config/crd/bases", "pkg/crd/files", "pkg/generated")

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Layout:
        """A layout from the ``kstasks.codegen`` settings (unknown keys ignored)."""
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in dict(config).items() if key in known}
        if "verify_paths" in values:
            values["verify_paths"] = tuple(values["verify_paths"])
        if values.get("crd_bundle_mode", "kustomize") not in CRD_BUNDLE_MODES:
            raise errors.BadInput(
                f"unknown codegen.crd_bundle_mode {values['crd_bundle_mode']!r}",
                f"Use one of: {', '.join(CRD_BUNDLE_MODES)}.",
            )
        if values.get("clients_via", "generators") not in ("generators", "kube_codegen"):
            raise errors.BadInput(
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
            raise errors.BadInput(
                f"unknown imports tool {settings.tool!r}",
                "Set kstasks.imports.tool to 'builtin' or 'openshift-goimports'.",
            )
        return settings

    def rules(self, checkout: Checkout) -> goimports.ImportRules:
        """The ordering rules for ``checkout`` (its go.mod module unless one is configured)."""
        return goimports.ImportRules(self.module or checkout.module, self.intermediates)


def relative_source(layout: Layout) -> str:
    """The API packages as a go package pattern (``./api/...``)."""
    return f"./{layout.api_dir.strip('/')}/..."


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
        raise errors.BadInput(
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
