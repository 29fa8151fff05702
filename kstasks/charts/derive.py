"""``make chart``: the controller-manager chart template, derived from the checkout's kustomizations.

``chart`` derives the controller-manager Helm template with kustomize on a copy of
``config/`` (the Makefile edits ``config/manager/kustomization.yaml`` in place and then
``git checkout``s it, which throws away a user's edits). The Makefile pipes kustomize's output
through yq twice; kstasks changes only the ClusterRole names in kustomize's text and writes it
as yq does (indented sequences, scalars unfolded), so the bytes are the Makefile's; for
v0.21, whose Makefile runs scripts/add-helm-code.sh instead, that script's bytes.
"""

from __future__ import annotations

import fnmatch
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from kstasks.charts import templatecache, yqwrite
from kstasks.core import context, errors, fsutil, output, runner, scratch
from kstasks.project.repo import Checkout
from kstasks.toolchain.tools import Toolbox


@dataclass(frozen=True)
class ChartLayout:
    """Where chart inputs and outputs live in a checkout, and what gets rewritten."""

    config_dir: str = "config"
    manager_kustomization_dir: str = "config/manager"
    default_kustomization_dir: str = "config/default"
    controller_image_name: str = "controller"
    chart_dir: str = "chart"
    chart_template: str = "chart/templates/controller-manager.yaml"
    name_prefix: str = "{{.Values.ControlPlaneName}}-"
    core_chart_dir: str = "core-chart"
    core_version_key: str = "KUBESTELLAR_VERSION"
    transport_chart_dir: str = "ocm-transport-controller-chart"
    transport_template: str = "templates/controller.yaml"
    transport_placeholder: str = "OTC_IMAGE_PLACEHOLDER"
    name_rewrite: str = ""
    """How ClusterRole names get their prefix: ``yq`` (v0.22.0 on), ``add-helm-code`` (v0.21's
    scripts/add-helm-code.sh); empty: as the checkout's Makefile does it."""

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ChartLayout:
        """A layout from the ``kstasks.chart`` settings (unknown keys ignored)."""
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in dict(config).items() if key in known})


def makefile_image(image: str) -> str:
    """The image as ``make chart`` passes it to kustomize: ``sed 's/\\(:.*\\)v/\\1/'``.

    That drops the last ``v`` after the first ``:`` (for ``registry/name:v1.2.3``: the tag's
    ``v``).
    """
    return re.sub(r"(:.*)v", r"\1", image, count=1)


def render_controller_manager(checkout: Checkout, layout: ChartLayout, kustomize: Path, image: str) -> str:
    """``kustomize build`` of the default kustomization with the controller image set, on a copy."""
    config = checkout.path(layout.config_dir)
    with scratch.directory("chart") as temp:
        copy = Path(temp) / layout.config_dir
        shutil.copytree(config, copy, symlinks=True)
        manager = copy / Path(layout.manager_kustomization_dir).relative_to(layout.config_dir)
        default = copy / Path(layout.default_kustomization_dir).relative_to(layout.config_dir)
        runner.run(
            [kustomize, "edit", "set", "image", f"{layout.controller_image_name}={makefile_image(image)}"],
            cwd=manager,
            what="kustomize edit set image",
            todo=f"Check the image reference {image!r}.",
        )
        result = runner.run(
            [kustomize, "build", str(default)],
            cwd=checkout.root,
            capture=True,
            query=True,
            what=f"kustomize build {layout.default_kustomization_dir}",
            todo=f"Fix the kustomizations under {layout.config_dir}/; nothing was written.",
        )
    return result.stdout


def prefix_cluster_rbac(manifests: str, prefix: str) -> str:
    """The Makefile's two yq passes (v0.22.0 on), on kustomize's output text, giving yq's bytes.

    ``metadata.name`` of every ``ClusterRole*`` kind and ``roleRef.name`` of every
    ClusterRoleBinding get ``prefix``; only those scalars change, then the text is written as
    yq writes it.
    """
    return yqwrite.as_yq_writes(manifests, lambda document: _renames(document, prefix))


def _renames(document: Any, prefix: str) -> list[tuple[int, int, str]]:
    """The yq rewrites of one document: spans and their new text."""
    edits: list[tuple[int, int, str]] = []
    kind = yqwrite.scalar_at(document, "kind")
    if kind is None or not fnmatch.fnmatchcase(str(kind.value), "ClusterRole*"):
        return edits
    paths = [("metadata", "name")] + ([("roleRef", "name")] if kind.value == "ClusterRoleBinding" else [])
    for path in paths:
        node = yqwrite.scalar_at(document, *path)
        if node is None:
            raise errors.BadInput(
                f"a {kind.value} at line {kind.start_mark.line + 1} of the kustomize output has no "
                f"{'.'.join(path)}",
                "Fix the RBAC manifests under config/.",
            )
        edits.append(_prefixed(node, prefix))
    return edits


NAME_REWRITES = ("yq", "add-helm-code")


def makefile_recipe(makefile: str, target: str) -> str:
    """The recipe lines of ``target`` in a Makefile's text (empty when it has none)."""
    match = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n?)*)", makefile, re.MULTILINE)
    return match[1] if match else ""


def name_rewrite(checkout: Checkout, layout: ChartLayout) -> str:
    """``layout.name_rewrite``, else what the checkout's ``make chart`` runs."""
    if layout.name_rewrite:
        if layout.name_rewrite not in NAME_REWRITES:
            raise errors.BadInput(
                f"unknown kstasks.chart.name_rewrite {layout.name_rewrite!r}",
                f"Use one of {', '.join(NAME_REWRITES)}, or leave it empty to follow the Makefile.",
            )
        return layout.name_rewrite
    makefile = checkout.path("Makefile")
    recipe = makefile_recipe(makefile.read_text(errors="replace"), "chart") if makefile.is_file() else ""
    return "add-helm-code" if "add-helm-code.sh" in recipe else "yq"


def _bash_read_lines(text: str) -> list[str]:
    """The lines ``while read line`` (IFS='', no -r) gives: backslashes escape, a trailing one joins."""
    lines, pending = [], ""
    raw = text.split("\n")[:-1]  # read drops a last line without a newline
    for line in raw:
        joined = line.endswith("\\") and (len(line) - len(line.rstrip("\\"))) % 2 == 1
        pending += re.sub(r"\\(.)", r"\1", line[:-1] if joined else line)
        if not joined:
            lines.append(pending)
            pending = ""
    return lines


def _sed_pattern(name: str) -> str:
    """``name`` as the script's sed reads it (a basic regular expression: ``.`` matches anything)."""
    return re.escape(name).replace("\\.", ".")


def add_helm_code(manifests: str, prefix: str) -> str:
    """KubeStellar v0.21's ``scripts/add-helm-code.sh add`` on kustomize's output, in its bytes.

    It splits the documents at ``---`` lines into numbered files (taken back in the order the
    shell's glob lists them: ``1, 10, 11, 2, ...``), replaces a ClusterRole*'s name everywhere in
    its document with the prefixed name in single quotes (sed), lets yq rewrite a binding's
    ``roleRef.name`` (which rewrites that whole document as yq writes), and writes each document
    after a ``---`` line.
    """
    import yaml

    chunks: dict[int, list[str]] = {}
    number = 1
    for line in _bash_read_lines(manifests):
        if line.startswith("#{{-"):
            continue
        if line == "---":
            number += 1
        else:
            chunks.setdefault(number, []).append(line)
    out = []
    for number in sorted(chunks, key=lambda n: f"{n}.yaml"):
        text = "\n".join(chunks[number]) + "\n"
        document = yaml.compose(text, Loader=yaml.SafeLoader)
        kind, name = yqwrite.scalar_at(document, "kind"), yqwrite.scalar_at(document, "metadata", "name")
        if kind is not None and name is not None and kind.value in ("ClusterRole", "ClusterRoleBinding"):
            replacement = f"'{prefix}{name.value}'".replace("\\", "\\\\")
            text = re.sub(_sed_pattern(name.value), replacement, text)
            if kind.value == "ClusterRoleBinding":
                text = yqwrite.as_yq_writes(text, lambda doc: _prefixed_role_ref(doc, prefix))
        out.append("---\n" + text)
    return "".join(out)


def _prefixed(node: Any, prefix: str) -> yqwrite.Edit:
    """yq's ``|= "prefix" + .`` on scalar ``node``."""
    return node.start_mark.index, node.end_mark.index, yqwrite.yq_string(prefix + str(node.value))


def _prefixed_role_ref(document: Any, prefix: str) -> list[yqwrite.Edit]:
    node = yqwrite.scalar_at(document, "roleRef", "name")
    return [] if node is None else [_prefixed(node, prefix)]


def derive_template(checkout: Checkout, layout: ChartLayout, toolbox: Toolbox, image: str) -> str:
    """The controller-manager chart template for ``image``, named as the checkout's Makefile does."""
    rewrite = name_rewrite(checkout, layout)
    recipe = {
        "image": image,
        "layout": repr(layout),
        "rewrite": rewrite,
        "kustomize": f"{toolbox.version_of('kustomize')} {toolbox.install_dir('kustomize')}",
    }
    entry = templatecache.key(checkout.path(layout.config_dir), recipe)
    return templatecache.remembered(
        entry, lambda: _derive(checkout, layout, toolbox.binary("kustomize"), image, rewrite)
    )


def _derive(checkout: Checkout, layout: ChartLayout, kustomize: Path, image: str, rewrite: str) -> str:
    """kustomize's build of the config copy with the image set, its ClusterRole names prefixed."""
    import yaml

    rendered = render_controller_manager(checkout, layout, kustomize, image)
    try:
        if rewrite == "add-helm-code":
            return add_helm_code(rendered, layout.name_prefix)
        return prefix_cluster_rbac(rendered, layout.name_prefix)
    except yaml.YAMLError as err:
        where = (
            "scripts/add-helm-code.sh's split documents"
            if rewrite == "add-helm-code"
            else "kustomize's output"
        )
        raise errors.StepFailed(
            f"cannot read {where} as YAML ({' '.join(str(err).split())})",
            f"Check the kustomizations under {layout.config_dir}/; nothing was written.",
        ) from err


def require_chart(checkout: Checkout, layout: ChartLayout) -> None:
    """Exit 2 when the checkout has no chart to derive (KubeStellar v0.25 and later)."""
    if not checkout.path(layout.chart_dir).is_dir():
        raise errors.BadInput(
            f"{checkout.root} has no {layout.chart_dir}/ directory, so there is no chart to derive "
            "(KubeStellar releases from v0.25.0 on have none)",
            "Nothing was written. v0.25 replaced `make chart` with core-chart/: `package-charts` packages it "
            "and `install-local-core-chart` installs it with local images.",
        )


def run_chart(checkout: Checkout, layout: ChartLayout, toolbox: Toolbox, image: str) -> Path:
    """``make chart``: write the controller-manager chart template; its path."""
    require_chart(checkout, layout)
    with output.step(f"chart: controller-manager template for {image}"):
        text = derive_template(checkout, layout, toolbox, image)
        target = checkout.path(layout.chart_template)
        if not context.dry_run():
            fsutil.write_if_changed(target, text.encode())
    return target
