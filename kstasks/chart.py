"""Charts: ``make chart``, and the chart part of the v0.24.0 release workflow.

``chart`` derives the controller-manager Helm template with kustomize on a copy of
``config/`` (the Makefile edits ``config/manager/kustomization.yaml`` in place and then
``git checkout``s it, which throws away a user's edits); the ClusterRole name rewrites the
Makefile does with yq are done here on the parsed documents.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from kstasks import fsutil, runner
from kstasks.repo import Checkout
from kstasks.tools import Toolbox
from kstasks.versions import ReleaseVersion

CLUSTER_SCOPED_RBAC = ("ClusterRole", "ClusterRoleBinding")


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
    with tempfile.TemporaryDirectory(prefix="kstasks-chart-") as temp:
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
    """The Makefile's two yq passes: prefix ClusterRole* names and ClusterRoleBinding roleRefs."""
    import yaml

    documents = [doc for doc in yaml.safe_load_all(manifests) if doc is not None]
    for doc in documents:
        kind = doc.get("kind")
        if kind in CLUSTER_SCOPED_RBAC:
            doc["metadata"]["name"] = prefix + doc["metadata"]["name"]
        if kind == "ClusterRoleBinding":
            doc["roleRef"]["name"] = prefix + doc["roleRef"]["name"]
    return yaml.safe_dump_all(documents, sort_keys=False, default_flow_style=False, width=10_000)


def derive_template(checkout: Checkout, layout: ChartLayout, toolbox: Toolbox, image: str) -> str:
    """The controller-manager chart template for ``image``."""
    rendered = render_controller_manager(checkout, layout, toolbox.binary("kustomize"), image)
    return prefix_cluster_rbac(rendered, layout.name_prefix)


def run_chart(checkout: Checkout, layout: ChartLayout, toolbox: Toolbox, image: str) -> Path:
    """``make chart``: write the controller-manager chart template; its path."""
    with runner.step(f"chart: controller-manager template for {image}"):
        text = derive_template(checkout, layout, toolbox, image)
        target = checkout.path(layout.chart_template)
        if not runner.options.dry:
            fsutil.write_if_changed(target, text.encode())
    return target


@dataclass(frozen=True)
class ReleaseImages:
    """The images a release's charts refer to."""

    registry: str = "ghcr.io/kubestellar/kubestellar"
    controller_manager: str = "controller-manager"
    transport: str = "ocm-transport-controller"

    def controller_manager_image(self, version: ReleaseVersion) -> str:
        """As the workflow passes it to ``make chart``: tagged ``v<version>``."""
        return f"{self.registry}/{self.controller_manager}:{version.tag}"

    def transport_image(self, version: ReleaseVersion) -> str:
        """As the workflow writes it into the transport chart: tagged ``<version>``."""
        return f"{self.registry}/{self.transport}:{version.text}"


@dataclass(frozen=True)
class StagedChart:
    """A chart copied into the staging area and specialised for a release."""

    key: str
    path: Path
    dependency_update: bool


def _stage_copy(checkout: Checkout, relative: str, stage: Path) -> Path:
    """Copy chart ``relative`` into ``stage`` at the same relative path, linking file:// deps."""
    import yaml

    source = checkout.path(relative)
    if not (source / "Chart.yaml").is_file():
        raise runner.usage_error(
            f"{source} has no Chart.yaml",
            f"Check the chart paths in the kstasks.chart settings ({relative}).",
        )
    dest = stage / relative
    shutil.copytree(source, dest, symlinks=True)
    chart = yaml.safe_load((source / "Chart.yaml").read_text()) or {}
    for dependency in chart.get("dependencies") or []:
        repository = str(dependency.get("repository") or "")
        if repository.startswith("file://") and not Path(repository[len("file://") :]).is_absolute():
            target = (source / repository[len("file://") :]).resolve()
            link = (dest / repository[len("file://") :]).resolve()
            if not link.exists():
                link.parent.mkdir(parents=True, exist_ok=True)
                link.symlink_to(target, target_is_directory=True)
    return dest


def set_yaml_scalar_line(text: str, key: str, value: str) -> str:
    """The workflow's ``sed 's/^KEY:.*$/KEY: "value"/g'`` on a values file."""
    pattern = re.compile(rf"^{re.escape(key)}:.*$", re.MULTILINE)
    if not pattern.search(text):
        raise runner.usage_error(f"no top-level {key!r} line to set", f"Add '{key}: ...' to the values file.")
    return pattern.sub(f'{key}: "{value}"', text)


def stage_release_charts(
    checkout: Checkout,
    layout: ChartLayout,
    toolbox: Toolbox,
    version: ReleaseVersion,
    images: ReleaseImages,
    stage: Path,
) -> list[StagedChart]:
    """Copies of the three charts, specialised for ``version`` as the release workflow does."""
    manager = _stage_copy(checkout, layout.chart_dir, stage)
    template = manager / Path(layout.chart_template).relative_to(layout.chart_dir)
    template.parent.mkdir(parents=True, exist_ok=True)
    template.write_text(derive_template(checkout, layout, toolbox, images.controller_manager_image(version)))

    core = _stage_copy(checkout, layout.core_chart_dir, stage)
    values = core / "values.yaml"
    values.write_text(set_yaml_scalar_line(values.read_text(), layout.core_version_key, version.text))

    transport = _stage_copy(checkout, layout.transport_chart_dir, stage)
    controller = transport / layout.transport_template
    text = controller.read_text()
    if layout.transport_placeholder not in text:
        raise runner.usage_error(
            f"{layout.transport_placeholder} is not in the transport chart's {layout.transport_template}",
            "Restore the placeholder in the tracked chart.",
        )
    controller.write_text(text.replace(layout.transport_placeholder, images.transport_image(version)))
    return [
        StagedChart("controller-manager", manager, dependency_update=False),
        StagedChart("core", core, dependency_update=True),
        StagedChart("transport", transport, dependency_update=True),
    ]
