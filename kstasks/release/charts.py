"""The release charts: packaged into ``dist/`` as a set, then pushed whole or not at all."""

from __future__ import annotations

import hashlib
import json
import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kstasks.charts.derive import ChartLayout
from kstasks.charts.staging import ReleaseImages, StagedChart, stage_release_charts
from kstasks.core import context, errors, fsutil, output, runner, scratch
from kstasks.core.semver import ReleaseVersion
from kstasks.project.repo import Checkout
from kstasks.remote.push import SETTLE_SECONDS, Artifact, Outcome, publish_artifacts
from kstasks.remote.registry import HELM_CONFIG_TYPE, OCI_MANIFEST, Reference, Registry, digest_of
from kstasks.toolchain.tools import Toolbox

HELM_CHART_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"


def checksum_file(dist: Path, version: ReleaseVersion) -> Path:
    """The file listing the chart set of ``version`` (``sha256sum`` format)."""
    return dist / f"charts-{version.text}.sha256"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def package_release_charts(
    checkout: Checkout,
    layout: ChartLayout,
    toolbox: Toolbox,
    version: ReleaseVersion,
    images: ReleaseImages,
    dist: Path,
    *,
    skip_dependency_update: bool = False,
) -> list[Path]:
    """Lint and package the release's charts into ``dist`` as one set; the archives.

    The archives and their checksum file appear in ``dist`` together (one rename), or not at
    all; other files in ``dist`` are kept. Tracked files are untouched.
    """
    helm = toolbox.binary("helm")
    with scratch.directory("charts") as temp:
        stage, out = Path(temp) / "stage", Path(temp) / "out"
        out.mkdir()
        if _workflow_charts(checkout):
            _package_as_the_workflow(
                checkout, layout, toolbox, version, images, stage, out, skip_dependency_update
            )
        else:
            with output.step(f"package-charts: stage charts for {version}"):
                staged = stage_release_charts(checkout, layout, toolbox, version, images, stage)
            for chart in staged:
                with output.step(f"package-charts: {chart.key} chart"):
                    _lint_and_package(helm, chart, version, out, skip_dependency_update)
        if context.dry_run():
            return []
        archives = sorted(out.glob("*.tgz"))
        _switch_in_set(dist, version, archives, Path(temp) / "dist")
    return [dist / archive.name for archive in archives]


def _workflow_charts(checkout: Checkout) -> bool:
    """Whether the checkout's release workflow (with its goreleaser config) says which charts it packages."""
    from kstasks.release.goreleaser.config import config_path
    from kstasks.release.goreleaser.workflow import read_workflow

    return config_path(checkout.root) is not None and bool(read_workflow(checkout.root).charts)


def _package_as_the_workflow(
    checkout: Checkout,
    layout: ChartLayout,
    toolbox: Toolbox,
    version: ReleaseVersion,
    images: ReleaseImages,
    stage: Path,
    out: Path,
    skip_dependency_update: bool,
) -> None:
    """The charts the checkout's release workflow packages, as it packages them (every layout:
    v0.25 on, core-chart alone)."""
    from kstasks.release.goreleaser import build, charts
    from kstasks.release.goreleaser.config import load_plan

    plan = load_plan(checkout.root)
    moment = build.commit_time(checkout.root, "HEAD") if checkout.git_root else None
    default = ReleaseImages().registry
    rewrite = {default: images.registry} if images.registry != default else {}
    charts.package_charts(
        plan,
        checkout,
        layout,
        toolbox,
        version.text,
        stage,
        out,
        moment,
        rewrite=rewrite,
        skip_dependency_update=skip_dependency_update,
    )


def _switch_in_set(dist: Path, version: ReleaseVersion, archives: list[Path], staging: Path) -> None:
    """Make ``dist`` hold its other files plus exactly this set, switched in one rename."""
    staging.mkdir()
    old_set = _listed(checksum_file(dist, version)) if checksum_file(dist, version).is_file() else []
    replaced = {*old_set, checksum_file(dist, version).name, *(a.name for a in archives)}
    replaced |= {p.name for p in dist.glob(f"*-{version.text}.tgz")} if dist.is_dir() else set()
    if dist.is_dir():
        for entry in dist.iterdir():
            if entry.name not in replaced:
                copy = shutil.copytree if entry.is_dir() and not entry.is_symlink() else shutil.copy2
                copy(entry, staging / entry.name)
    lines = []
    for archive in archives:
        shutil.copyfile(archive, staging / archive.name)
        lines.append(f"{_sha256(archive)}  {archive.name}\n")
    checksum_file(staging, version).write_text("".join(lines))
    fsutil.replace_tree(staging, dist)


def _listed(checksums: Path) -> list[str]:
    """The file names a checksum file lists."""
    return [line.split(None, 1)[1].strip() for line in checksums.read_text().splitlines() if line.strip()]


def _lint_and_package(helm: Path, chart: StagedChart, version: ReleaseVersion, out: Path, skip: bool) -> None:
    update = chart.dependency_update and not skip
    if update:
        runner.run(
            [helm, "dependency", "update", str(chart.path)],
            what=f"helm dependency update ({chart.key} chart)",
            chatter=True,
            todo="Its dependencies need the network: pass --skip-dependency-update to package with the "
            "dependencies already in the chart's charts/ directory. Nothing was packaged.",
        )
    runner.run(
        [helm, "lint", str(chart.path)],
        what=f"helm lint ({chart.key} chart)",
        chatter=True,
        todo="Fix the chart; nothing was packaged.",
    )
    runner.run(
        [
            helm,
            "package",
            str(chart.path),
            "--destination",
            str(out),
            "--version",
            version.text,
            "--app-version",
            version.text,
        ],
        what=f"helm package ({chart.key} chart)",
        chatter=True,
        todo="Fix the chart (with --skip-dependency-update, its dependencies must be in its charts/ "
        "directory); nothing was packaged.",
    )


def release_archives(dist: Path, version: ReleaseVersion) -> list[Path]:
    """The complete, checksum-verified chart set of ``version`` in ``dist``; exit 2 otherwise."""
    checksums = checksum_file(dist, version)
    again = f"Run 'package-charts --version {version}' again; nothing was pushed."
    if not checksums.is_file():
        if list(dist.glob(f"*-{version.text}.tgz")):
            raise errors.BadInput(f"the charts of {version} in {dist} are not a complete set", again)
        raise errors.BadInput(
            f"no packaged charts for {version} in {dist}", f"Run 'package-charts --version {version}' first."
        )
    archives = []
    for line in checksums.read_text().splitlines():
        expected, _, name = line.strip().partition("  ")
        archive = dist / name
        if not archive.is_file():
            raise errors.BadInput(f"{archive} of the chart set {checksums.name} is missing", again)
        if _sha256(archive) != expected:
            raise errors.BadInput(f"{archive} does not match its checksum in {checksums.name}", again)
        archives.append(archive)
    strays = sorted({p.name for p in dist.glob(f"*-{version.text}.tgz")} - {a.name for a in archives})
    if not archives or strays:
        raise errors.BadInput(
            f"the chart set {checksums.name} in {dist} is incomplete"
            + (f" ({', '.join(strays)} not in it)" if strays else ""),
            again,
        )
    return archives


@dataclass(frozen=True)
class PublishedChart:
    """A chart as read back from the registry after the push."""

    name: str
    version: str
    app_version: str
    reference: str
    digest: str


def archive_chart(archive: Path) -> dict[str, Any]:
    """The Chart.yaml inside a packaged chart."""
    import yaml

    try:
        with tarfile.open(archive) as tar:
            member = next(
                (m for m in tar.getmembers() if m.name.count("/") == 1 and m.name.endswith("/Chart.yaml")),
                None,
            )
            handle = tar.extractfile(member) if member is not None else None
            chart = yaml.safe_load(handle.read()) if handle is not None else None
    except (tarfile.TarError, OSError, yaml.YAMLError):
        chart = None
    if not isinstance(chart, dict) or not chart.get("name"):
        raise errors.BadInput(f"{archive} is not a packaged Helm chart", "Run package-charts again.")
    return chart


def chart_artifact(archive: Path, destination: Reference, version: ReleaseVersion) -> Artifact:
    """The OCI artifact helm makes of ``archive``, made the same way from the same bytes.

    Config: the chart's metadata as JSON; one layer: the archive; no timestamp annotation,
    so the same archive always gives the same manifest digest.
    """
    chart = archive_chart(archive)
    if str(chart.get("version")) != version.text:
        raise errors.BadInput(
            f"{archive} holds chart version {chart.get('version')!r}, not {version.text!r}",
            f"Run 'package-charts --version {version}' again.",
        )
    content = archive.read_bytes()
    config = json.dumps(chart, sort_keys=True, separators=(",", ":"), default=str).encode()
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": HELM_CONFIG_TYPE, "digest": digest_of(config), "size": len(config)},
        "layers": [{"mediaType": HELM_CHART_LAYER, "digest": digest_of(content), "size": len(content)}],
        "annotations": {
            "org.opencontainers.image.title": str(chart["name"]),
            "org.opencontainers.image.version": version.text,
            **(
                {"org.opencontainers.image.description": str(chart["description"])}
                if chart.get("description")
                else {}
            ),
        },
    }
    name = str(chart["name"])
    return Artifact(
        label=f"{destination.oci()}/{name}:{version.registry_tag}",
        repository=destination.repository(name),
        tag=version.registry_tag,
        blobs=(lambda: config, lambda: content),
        manifests=((json.dumps(manifest, separators=(",", ":")).encode(), OCI_MANIFEST),),
    )


def publish_charts(
    archives: list[Path],
    destination: Reference,
    version: ReleaseVersion,
    *,
    force: bool = False,
    settle: float = SETTLE_SECONDS,
) -> list[PublishedChart]:
    """Push the chart set ``archives`` to ``destination`` and read each back.

    A chart tag holding another digest is refused (exit 1, nothing pushed) unless ``force``;
    one holding exactly this chart counts as published.
    """
    registry = Registry(destination)
    artifacts = [chart_artifact(archive, destination, version) for archive in archives]
    if context.dry_run():
        for artifact in artifacts:
            output.say(f"would push {artifact.label}@{artifact.digest}")
        return []
    registry.ping()
    outcomes = publish_artifacts(registry, artifacts, force=force, settle=settle, what="chart")
    return [_read_back(registry, outcome, version) for outcome in outcomes]


def _read_back(registry: Registry, outcome: Outcome, version: ReleaseVersion) -> PublishedChart:
    """The chart at its tag as the registry serves it, checked, with its computed digest."""
    artifact = outcome.artifact
    found = registry.helm_chart_config(artifact.repository, artifact.tag)
    if found is None:
        raise errors.StepFailed(
            f"{artifact.label} is not in the registry after the push", "Check the registry."
        )
    digest, config = found
    name = artifact.repository.rsplit("/", 1)[-1]
    problems = [
        f"{field} is {config.get(field)!r}, expected {expected!r}"
        for field, expected in (("name", name), ("version", version.text), ("appVersion", version.text))
        if str(config.get(field)) != expected
    ]
    if digest != artifact.digest:
        problems.append(f"its digest is {digest}, pushed {artifact.digest}")
    if problems:
        raise errors.StepFailed(
            f"{artifact.label} in the registry is wrong: {'; '.join(problems)}", "Check the packaging."
        )
    return PublishedChart(name, str(config["version"]), str(config["appVersion"]), artifact.label, digest)
