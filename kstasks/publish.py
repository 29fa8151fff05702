"""Publishing a release: whole, once, or not at all.

Release charts are packaged into ``dist/`` as a set (archives plus a checksum file, switched
in together) and pushed over the OCI distribution API, as are the images ko builds into an
OCI layout. Every push uploads blobs and manifests by digest first and writes tags last, each
tag checked just before and read back just after it is written. A tag that already holds
exactly the digest being pushed counts as published ("already published, identical"), so an
interrupted publish is completed by running it again; a tag holding anything else is refused,
and a tag that someone else overwrites during the run fails it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tarfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from invoke.exceptions import Exit

from kstasks import fsutil, runner, scratch
from kstasks.chart import ChartLayout, ReleaseImages, StagedChart, stage_release_charts
from kstasks.registry import HELM_CONFIG_TYPE, OCI_MANIFEST, Reference, Registry, digest_of
from kstasks.repo import Checkout
from kstasks.tools import Toolbox
from kstasks.versions import ReleaseVersion

HELM_CHART_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
SETTLE_SECONDS = 0.5
"""How long a tag this run wrote must keep its digest before the next tag is written.

A racing run that checked the tag just before our write overwrites it within about one round
trip; seeing that, this run stops before writing another tag, so the other run's set is the one
published whole."""


# -- pushing artifacts immutably ------------------------------------------------------------


@dataclass(frozen=True)
class Artifact:
    """One thing to publish: blobs, manifests by digest (the tagged one last), and its tag."""

    label: str
    """How it is named to people: ``HOST/PATH/NAME:TAG``."""
    repository: str
    tag: str
    blobs: tuple[Callable[[], bytes], ...]
    manifests: tuple[tuple[bytes, str], ...]
    """``(bytes, media type)`` of every manifest, children first; the last one gets the tag."""

    @property
    def digest(self) -> str:
        """The digest the tag must hold."""
        return digest_of(self.manifests[-1][0])


@dataclass(frozen=True)
class Outcome:
    """A published artifact: its digest as read back, and whether it was there already."""

    artifact: Artifact
    digest: str
    identical: bool
    certain: bool = True
    """False when the tag's write was sent but its answer never came."""


def _public(outcomes: list[Outcome]) -> str:
    if not outcomes:
        return "No tag of this run is public."
    named = [
        f"{o.artifact.label}@{o.digest}{'' if o.certain else ' (perhaps: no answer to its write)'}"
        for o in outcomes
    ]
    return "Already public: " + ", ".join(named) + "."


def _foreign(artifact: Artifact, found: str, outcomes: list[Outcome]) -> Exit:
    return runner.stop(
        f"{artifact.label} now holds {found}, someone else's digest (this run pushes {artifact.digest})",
        f"A published release is immutable; find out who else publishes it. {_public(outcomes)}",
    )


@contextmanager
def _naming_public(outcomes: list[Outcome]) -> Iterator[None]:
    """On any failure, say which artifacts of this run are already public."""
    try:
        yield
    except Exit as err:
        message = str(err.message or "")
        if "Already public" not in message and "No tag of this run" not in message:
            message = f"{message.rstrip()} {_public(outcomes)}"
        raise Exit(message, code=err.code) from err
    except BaseException:
        runner.say(f"interrupted. {_public(outcomes)}")
        raise


def upload(registry: Registry, artifact: Artifact) -> None:
    """Blobs, then every manifest by its digest: nothing a tag points at yet.

    A write that fails while another run stores the same bytes (the registry may answer 400
    or 500 then) counts as done when the registry then holds them; otherwise it is retried once.
    """
    for load in artifact.blobs:
        registry.push_blob(artifact.repository, load())
    for data, media_type in artifact.manifests:
        digest = digest_of(data)
        try:
            registry.put_manifest(artifact.repository, digest, data, media_type)
        except Exit:
            if registry.resolve(artifact.repository, digest) == digest:
                continue
            time.sleep(0.2)
            for load in artifact.blobs:
                registry.push_blob(artifact.repository, load())
            registry.put_manifest(artifact.repository, digest, data, media_type)


def _put_tag(registry: Registry, artifact: Artifact) -> None:
    """Write the tag; a failed write after which the tag holds our digest anyway counts as done."""
    data, media_type = artifact.manifests[-1]
    try:
        registry.put_manifest(artifact.repository, artifact.tag, data, media_type)
    except Exit:
        if registry.resolve(artifact.repository, artifact.tag) != artifact.digest:
            raise


def _write_tag(registry: Registry, artifact: Artifact, outcomes: list[Outcome], *, force: bool) -> None:
    """Check, write and read back one tag; recorded in ``outcomes`` as soon as it is public."""
    if not force:
        found = registry.resolve(artifact.repository, artifact.tag)
        if found == artifact.digest:
            outcomes.append(Outcome(artifact, found, True))
            return
        if found is not None:
            raise _foreign(artifact, found, outcomes)
    outcomes.append(Outcome(artifact, artifact.digest, False, certain=False))
    _put_tag(registry, artifact)
    outcomes[-1] = Outcome(artifact, artifact.digest, False)
    _verify(registry, artifact, outcomes)


def _verify(registry: Registry, artifact: Artifact, outcomes: list[Outcome]) -> None:
    """Exit 1 unless the tag of ``artifact`` holds its digest (computed from the bytes read back)."""
    found = registry.resolve(artifact.repository, artifact.tag)
    if found != artifact.digest:
        others = [outcome for outcome in outcomes if outcome.artifact != artifact]
        raise _foreign(artifact, str(found or "nothing"), others)


def publish_artifacts(
    registry: Registry,
    artifacts: list[Artifact],
    *,
    force: bool = False,
    settle: float = SETTLE_SECONDS,
    what: str = "artifact",
) -> list[Outcome]:
    """Publish ``artifacts`` (tags in the given order); exit 1 if a tag holds another digest.

    With ``force`` a tag holding something else is overwritten; the result is still read back.
    """
    found = {a.label: registry.resolve(a.repository, a.tag) for a in artifacts}
    identical = [a for a in artifacts if found[a.label] == a.digest]
    taken = [a for a in artifacts if found[a.label] not in (None, a.digest)]
    if taken and not force:
        already = [Outcome(a, a.digest, True) for a in identical]
        raise runner.stop(
            "already published: "
            + ", ".join(
                f"{a.label} holds {found[a.label]}, someone else's digest (this run pushes {a.digest})"
                for a in taken
            ),
            f"A published {what} is immutable: nothing was pushed. Pass --force to overwrite. "
            + _public(already),
        )
    outcomes: list[Outcome] = []
    todo = [a for a in artifacts if a not in identical]
    with _naming_public(outcomes):
        for artifact in todo:
            with runner.step(f"upload {artifact.label} by digest"):
                upload(registry, artifact)
        outcomes.extend(Outcome(a, a.digest, True) for a in identical)
        for artifact in todo:
            with runner.step(f"tag {artifact.label}"):
                _write_tag(registry, artifact, outcomes, force=force)
                if not outcomes[-1].identical and settle:
                    time.sleep(settle)  # a racing run's write lands now, before our next tag
                    _verify(registry, artifact, outcomes)
        for outcome in outcomes:
            _verify(registry, outcome.artifact, outcomes)
    for outcome in outcomes:
        if outcome.identical:
            runner.say(f"already published, identical: {outcome.artifact.label}@{outcome.digest}")
    return outcomes


# -- the release charts as a set in dist/ -----------------------------------------------------


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
        with runner.step(f"package-charts: stage charts for {version}"):
            staged = stage_release_charts(checkout, layout, toolbox, version, images, stage)
        for chart in staged:
            with runner.step(f"package-charts: {chart.key} chart"):
                _lint_and_package(helm, chart, version, out, skip_dependency_update)
        if runner.options.dry:
            return []
        archives = sorted(out.glob("*.tgz"))
        _switch_in_set(dist, version, archives, Path(temp) / "dist")
    result = [dist / archive.name for archive in archives]
    for archive in result:
        print(archive)
    return result


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
            todo="Its dependencies need the network: pass --skip-dependency-update to package with the "
            "dependencies already in the chart's charts/ directory. Nothing was packaged.",
        )
    runner.run(
        [helm, "lint", str(chart.path)],
        what=f"helm lint ({chart.key} chart)",
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
        todo="Fix the chart (with --skip-dependency-update, its dependencies must be in its charts/ "
        "directory); nothing was packaged.",
    )


def release_archives(dist: Path, version: ReleaseVersion) -> list[Path]:
    """The complete, checksum-verified chart set of ``version`` in ``dist``; exit 2 otherwise."""
    checksums = checksum_file(dist, version)
    again = f"Run 'package-charts --version {version}' again; nothing was pushed."
    if not checksums.is_file():
        if list(dist.glob(f"*-{version.text}.tgz")):
            raise runner.usage_error(f"the charts of {version} in {dist} are not a complete set", again)
        raise runner.usage_error(
            f"no packaged charts for {version} in {dist}", f"Run 'package-charts --version {version}' first."
        )
    archives = []
    for line in checksums.read_text().splitlines():
        expected, _, name = line.strip().partition("  ")
        archive = dist / name
        if not archive.is_file():
            raise runner.usage_error(f"{archive} of the chart set {checksums.name} is missing", again)
        if _sha256(archive) != expected:
            raise runner.usage_error(f"{archive} does not match its checksum in {checksums.name}", again)
        archives.append(archive)
    strays = sorted({p.name for p in dist.glob(f"*-{version.text}.tgz")} - {a.name for a in archives})
    if not archives or strays:
        raise runner.usage_error(
            f"the chart set {checksums.name} in {dist} is incomplete"
            + (f" ({', '.join(strays)} not in it)" if strays else ""),
            again,
        )
    return archives


# -- publishing the charts --------------------------------------------------------------------


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
        raise runner.usage_error(f"{archive} is not a packaged Helm chart", "Run package-charts again.")
    return chart


def chart_artifact(archive: Path, destination: Reference, version: ReleaseVersion) -> Artifact:
    """The OCI artifact helm makes of ``archive``, made the same way from the same bytes.

    Config: the chart's metadata as JSON; one layer: the archive; no timestamp annotation,
    so the same archive always gives the same manifest digest.
    """
    chart = archive_chart(archive)
    if str(chart.get("version")) != version.text:
        raise runner.usage_error(
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
    if runner.options.dry:
        for artifact in artifacts:
            runner.say(f"would push {artifact.label}@{artifact.digest}")
        return []
    registry.ping()
    outcomes = publish_artifacts(registry, artifacts, force=force, settle=settle, what="chart")
    return [_read_back(registry, outcome, version) for outcome in outcomes]


def _read_back(registry: Registry, outcome: Outcome, version: ReleaseVersion) -> PublishedChart:
    """The chart at its tag as the registry serves it, checked; printed with its computed digest."""
    artifact = outcome.artifact
    found = registry.helm_chart_config(artifact.repository, artifact.tag)
    if found is None:
        raise runner.stop(f"{artifact.label} is not in the registry after the push", "Check the registry.")
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
        raise runner.stop(
            f"{artifact.label} in the registry is wrong: {'; '.join(problems)}", "Check the packaging."
        )
    published = PublishedChart(
        name, str(config["version"]), str(config["appVersion"]), artifact.label, digest
    )
    print(f"{published.reference}@{published.digest}")
    return published
