"""The release charts, staged: copies of the chart directories with the release's values set."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from kstasks.charts.derive import ChartLayout, derive_template
from kstasks.core import errors, yamlfile
from kstasks.core.semver import ReleaseVersion
from kstasks.project.repo import Checkout
from kstasks.toolchain.tools import Toolbox


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
    source = checkout.path(relative)
    if not (source / "Chart.yaml").is_file():
        raise errors.BadInput(
            f"{source} has no Chart.yaml",
            f"Check the chart paths in the kstasks.chart settings ({relative}).",
        )
    dest = stage / relative
    shutil.copytree(source, dest, symlinks=True)
    chart = yamlfile.load(source / "Chart.yaml", f"{relative}/Chart.yaml") or {}
    if not isinstance(chart, dict):
        raise errors.BadInput(f"{relative}/Chart.yaml is not a mapping", f"Fix {relative}/Chart.yaml.")
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
        raise errors.BadInput(f"no top-level {key!r} line to set", f"Add '{key}: ...' to the values file.")
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
        raise errors.BadInput(
            f"{layout.transport_placeholder} is not in the transport chart's {layout.transport_template}",
            "Restore the placeholder in the tracked chart.",
        )
    controller.write_text(text.replace(layout.transport_placeholder, images.transport_image(version)))
    return [
        StagedChart("controller-manager", manager, dependency_update=False),
        StagedChart("core", core, dependency_update=True),
        StagedChart("transport", transport, dependency_update=True),
    ]
