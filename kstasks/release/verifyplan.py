"""verify-release for a checkout with a goreleaser config: every artifact its release plan
(``kstasks.release.goreleaser``) describes, checked where it was published.

- GitHub release assets (archives, the checksums file, SBOMs) over the REST API: present and
  completely uploaded; each listed in the checksums file with the sha256 of its downloaded bytes
  (downloads bounded by the size GitHub reports and a hard limit); archives listed (never
  extracted, members with ``..`` or absolute names refused) and holding the expected members;
  an SBOM for every binary the config says has one.
- Images: each tag is an index holding every platform the config names, each platform's
  manifest present.
- Charts: present at their tag, ``version`` and ``appVersion`` equal to the version, and every
  image the templates refer to (template expressions evaluated, ``kstasks.release.chartimages``)
  present when it is one of the release's own images; one that cannot be evaluated is a problem.
- With a public key: each image and the checksums file (its ``.sig`` asset) verify with cosign.

``--registry HOST/PATH`` stands in for the location of every image and chart: the last element
of the repository the config names (``.../controller-manager``) is kept below it.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kstasks.release import chartimages, signing
from kstasks.release.goreleaser import config as goreleaser
from kstasks.remote import releases
from kstasks.remote.registry import Reference, Registry

MAX_ASSET = 512 * 1024 * 1024
MAX_CHECKSUMS = 4 * 1024 * 1024
MAX_ARCHIVE_MEMBERS = 10000
INDEX_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
HELM_CHART_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"


@dataclass(frozen=True)
class GitHubTarget:
    """Where the release's GitHub release is: the API, ``owner/name`` and a token (may be empty)."""

    api_url: str
    repository: str
    token: str


@dataclass
class Inputs:
    """What a verification needs besides the plan."""

    version: str
    registry: Reference | None = None
    github: GitHubTarget | None = None
    key: Path | None = None
    cosign: Path | None = None


def relocate(repository: str, override: Reference | None) -> tuple[Reference, str]:
    """The registry location and repository path of ``host/path/name`` (``--registry`` applied)."""
    text = repository.removeprefix("oci://")
    if override is not None:
        return override, override.repository(text.rsplit("/", 1)[-1])
    where = Reference.parse(text, what="repository")
    return Reference(where.host, ""), where.path


class _Clients:
    def __init__(self) -> None:
        self.by_host: dict[str, Registry] = {}

    def __call__(self, where: Reference) -> Registry:
        if where.host not in self.by_host:
            self.by_host[where.host] = Registry(where)
            self.by_host[where.host].ping()
        return self.by_host[where.host]


def _entry(entries: list[dict[str, Any]], kind: str, name: str, **extra: Any) -> dict[str, Any]:
    entry = {"artifact": name, "kind": kind, "reference": name, "digest": None, "problems": [], **extra}
    entries.append(entry)
    return entry


def verify_plan(plan: goreleaser.ReleasePlan, inputs: Inputs) -> list[dict[str, Any]]:
    """One report entry per artifact the plan describes, each with its problems."""
    expected = goreleaser.expected_artifacts(plan, inputs.version)
    entries: list[dict[str, Any]] = []
    clients = _Clients()
    image_digests = _check_images(expected, inputs, clients, entries)
    _check_charts(expected, plan, inputs, clients, entries, image_digests)
    if not plan.release.disable and inputs.github is not None:
        _check_assets(expected, plan, inputs, entries)
    return entries


def _check_images(
    expected: list[goreleaser.ExpectedArtifact],
    inputs: Inputs,
    clients: _Clients,
    entries: list[dict[str, Any]],
) -> dict[str, str]:
    platforms: dict[str, list[str]] = {}
    for artifact in expected:
        if artifact.kind == "image":
            platforms.setdefault(artifact.name, []).append(artifact.platform)
    digests: dict[str, str] = {}
    for name, wanted in platforms.items():
        repository, _, tag = name.rpartition(":")
        where, path = relocate(repository, inputs.registry)
        shown = f"{where.host}/{path}:{tag}"
        entry = _entry(entries, "image", name, reference=shown, platforms=wanted)
        manifest = clients(where).manifest(path, tag)
        if manifest is None:
            entry["problems"].append(f"image {shown} is missing")
            continue
        entry["digest"] = digests[repository.rsplit("/", 1)[-1] + ":" + tag] = manifest.digest
        if manifest.media_type in INDEX_TYPES:
            children = {
                f"{m.get('platform', {}).get('os')}/{m.get('platform', {}).get('architecture')}": m.get(
                    "digest"
                )
                for m in manifest.body.get("manifests", [])
            }
        else:
            children = {}
        for platform in wanted:
            child = children.get(platform)
            if child is None:
                entry["problems"].append(f"image {shown} has no {platform} image")
            elif clients(where).manifest(path, str(child)) is None:
                entry["problems"].append(f"image {shown}: the {platform} manifest {child} is missing")
        if inputs.key is not None and inputs.cosign is not None:
            refused = signing.verify_image(
                inputs.cosign, inputs.key, f"{where.host}/{path}@{manifest.digest}"
            )
            entry["signature"] = refused is None
            if refused is not None:
                entry["problems"].append(
                    f"image {shown}: the signature does not verify with {inputs.key.name} ({refused})"
                )
    return digests


def own_repositories(expected: list[goreleaser.ExpectedArtifact], registry: Reference | None) -> set[str]:
    """The release's image repositories as the config names them and, with ``--registry``, as moved
    there: charts made with ``make chart`` (v0.21-v0.24) name the moved image."""
    named = {a.name.rpartition(":")[0] for a in expected if a.kind == "image"}
    if registry is None:
        return named
    moved = {f"{where.host}/{path}" for where, path in (relocate(r, registry) for r in named)}
    return named | moved


def _check_charts(
    expected: list[goreleaser.ExpectedArtifact],
    plan: goreleaser.ReleasePlan,
    inputs: Inputs,
    clients: _Clients,
    entries: list[dict[str, Any]],
    image_digests: dict[str, str],
) -> None:
    own_images = own_repositories(expected, inputs.registry)
    for artifact in (a for a in expected if a.kind == "chart"):
        if not artifact.reference:
            continue
        repository, _, tag = artifact.reference.removeprefix("oci://").rpartition(":")
        where, path = relocate(repository, inputs.registry)
        shown = f"{where.host}/{path}:{tag}"
        entry = _entry(entries, "chart", artifact.name, reference=shown, images=[])
        manifest = clients(where).manifest(path, tag)
        if manifest is None:
            entry["problems"].append(f"chart {shown} is missing")
            continue
        entry["digest"] = manifest.digest
        config = json.loads(clients(where).blob(path, manifest.body["config"]["digest"]))
        for key in ("version", "appVersion"):
            if str(config.get(key)) != inputs.version:
                entry["problems"].append(
                    f"chart {shown}: {key} is {config.get(key)!r}, expected {inputs.version!r}"
                )
        layer = next(
            (x for x in manifest.body.get("layers", []) if x.get("mediaType") == HELM_CHART_LAYER), None
        )
        if layer is None:
            entry["problems"].append(f"chart {shown} has no chart content layer")
            continue
        try:
            images = chartimages.images_in_chart(clients(where).blob(path, layer["digest"]))
        except (ValueError, tarfile.TarError, OSError) as err:
            entry["problems"].append(f"chart {shown} cannot be read ({err})")
            continue
        for image in images:
            _check_chart_image(image, own_images, inputs, clients, entry)


def _check_chart_image(
    image: chartimages.ChartImage, own: set[str], inputs: Inputs, clients: _Clients, entry: dict[str, Any]
) -> None:
    if image.reference is None:
        entry["images"].append({"image": image.template, "checked": False, "problem": image.problem})
        entry["problems"].append(
            f"chart {entry['reference']}: {image.source} refers to {image.template}, which {image.problem}"
        )
        return
    repository, _, tag = image.reference.rpartition(":")
    if "@" in image.reference or repository not in own:
        entry["images"].append({"image": image.reference, "checked": False})
        return
    where, path = relocate(repository, inputs.registry)
    found = clients(where).manifest(path, tag)
    entry["images"].append(
        {"image": image.reference, "checked": True, "digest": found.digest if found else None}
    )
    if found is None:
        entry["problems"].append(
            f"chart {entry['reference']} refers to {image.reference}, "
            f"which is missing ({where.host}/{path}:{tag})"
        )


def archive_members(data: bytes) -> tuple[list[str], list[str]]:
    """The member names of a tar.gz archive, read without extracting; (names, problems)."""
    names: list[str] = []
    problems: list[str] = []
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
            for count, member in enumerate(tar):
                if count >= MAX_ARCHIVE_MEMBERS:
                    problems.append(f"more than {MAX_ARCHIVE_MEMBERS} members")
                    break
                name = member.name
                if name.startswith("/") or ".." in name.split("/"):
                    problems.append(f"member {name!r} points outside the archive")
                    continue
                if member.issym() or member.islnk():
                    problems.append(f"member {name!r} is a link")
                    continue
                if member.isfile():
                    names.append(name.removeprefix("./"))
    except (tarfile.TarError, OSError, EOFError) as err:
        problems.append(f"not a readable archive ({err})")
    return names, problems


def _check_assets(
    expected: list[goreleaser.ExpectedArtifact],
    plan: goreleaser.ReleasePlan,
    inputs: Inputs,
    entries: list[dict[str, Any]],
) -> None:
    github = inputs.github
    assert github is not None
    tag = f"v{inputs.version}"
    found = releases.release_assets(github.api_url, github.repository, github.token, tag)
    wanted = [a for a in expected if a.kind in ("archive", "checksums", "sbom")]
    release_entry = _entry(entries, "github-release", tag, reference=f"{github.repository}@{tag}")
    if not releases.tag_exists(github.api_url, github.repository, github.token, tag):
        release_entry["problems"].append(f"the tag {tag} of {github.repository} is missing")
    if found is None:
        release_entry["problems"].append(f"github release {tag} of {github.repository} is missing")
        return
    release, assets = found
    release_entry["digest"] = str(release.get("id"))
    by_name = {str(a.get("name")): a for a in assets}
    prerelease = plan.release.is_prerelease(inputs.version)
    if bool(release.get("prerelease")) != prerelease:
        release_entry["problems"].append(
            f"github release {tag} is {'' if release.get('prerelease') else 'not '}a pre-release; "
            f"the config says it {'is' if prerelease else 'is not'}"
        )
    data: dict[str, bytes] = {}
    asset_entries: dict[str, dict[str, Any]] = {}
    for artifact in wanted:
        entry = asset_entries[artifact.name] = _entry(
            entries, artifact.kind, artifact.name, reference=f"{tag}/{artifact.name}"
        )
        asset = by_name.get(artifact.name)
        if asset is None or asset.get("state", "uploaded") != "uploaded":
            state = "missing" if asset is None else f"not completely uploaded ({asset.get('state')})"
            entry["problems"].append(f"github release {tag}: asset {artifact.name} is {state}")
            continue
        bound = MAX_CHECKSUMS if artifact.kind == "checksums" else MAX_ASSET
        if int(asset.get("size", 0)) > bound:
            entry["problems"].append(
                f"github release {tag}: asset {artifact.name} is larger than {bound} bytes"
            )
            continue
        data[artifact.name] = releases.download_asset(
            github.api_url, github.repository, github.token, asset, bound
        )
        entry["digest"] = "sha256:" + hashlib.sha256(data[artifact.name]).hexdigest()
        if artifact.kind == "archive":
            _check_archive(artifact, data[artifact.name], entry)
        if artifact.kind == "sbom" and b"spdxVersion" not in data[artifact.name][:4096]:
            entry["problems"].append(
                f"github release {tag}: asset {artifact.name} is not an SPDX JSON document"
            )
    _check_sbom_per_binary(expected, asset_entries, by_name, tag, entries)
    for checksums in (a for a in wanted if a.kind == "checksums"):
        if checksums.name in data:
            _check_checksums(checksums, data, asset_entries, tag)
            if inputs.key is not None and inputs.cosign is not None:
                _check_blob_signature(
                    checksums.name, data[checksums.name], by_name, inputs, asset_entries[checksums.name], tag
                )


def _check_archive(artifact: goreleaser.ExpectedArtifact, data: bytes, entry: dict[str, Any]) -> None:
    names, problems = archive_members(data)
    for problem in problems:
        entry["problems"].append(f"archive {artifact.name}: {problem}")
    for member in artifact.members:
        if member not in names:
            entry["problems"].append(f"archive {artifact.name} lacks {member}")


def _check_sbom_per_binary(
    expected: list[goreleaser.ExpectedArtifact],
    asset_entries: dict[str, dict[str, Any]],
    by_name: dict[str, Any],
    tag: str,
    entries: list[dict[str, Any]],
) -> None:
    covered = {(a.source, a.platform): a.name for a in expected if a.kind == "sbom"}
    if not any(a.kind == "sbom" and a.platform for a in expected):
        return  # the config makes no per-binary SBOMs (v0.24 and earlier make none)
    for binary in (a for a in expected if a.kind == "binary"):
        name = covered.get((binary.name, binary.platform))
        if name is not None and name in by_name:
            continue
        problem = f"github release {tag}: no SBOM for binary {binary.name} ({binary.platform})"
        if name is not None:
            asset_entries[name]["problems"].append(f"{problem}: {name} is missing")
        else:
            _entry(entries, "binary", f"{binary.name} ({binary.platform})")["problems"].append(problem)


def _check_checksums(
    checksums: goreleaser.ExpectedArtifact,
    data: dict[str, bytes],
    asset_entries: dict[str, dict[str, Any]],
    tag: str,
) -> None:
    listed: dict[str, str] = {}
    for line in data[checksums.name].decode(errors="replace").splitlines():
        digest, _, name = line.strip().partition("  ")
        if digest and name:
            listed[name.strip()] = digest.lower()
    entry = asset_entries[checksums.name]
    for member in checksums.members:
        if member not in listed:
            entry["problems"].append(f"checksums {checksums.name} does not list {member}")
        elif member in data and hashlib.sha256(data[member]).hexdigest() != listed[member]:
            asset_entries[member]["problems"].append(
                f"github release {tag}: asset {member} does not match its sha256 in {checksums.name}"
            )


def _check_blob_signature(
    name: str, blob: bytes, by_name: dict[str, Any], inputs: Inputs, entry: dict[str, Any], tag: str
) -> None:
    github, key, cosign = inputs.github, inputs.key, inputs.cosign
    assert github is not None and key is not None and cosign is not None
    sig_asset = by_name.get(f"{name}.sig")
    if sig_asset is None:
        entry["signature"] = False
        entry["problems"].append(f"github release {tag}: {name} has no signature ({name}.sig is missing)")
        return
    signature = releases.download_asset(github.api_url, github.repository, github.token, sig_asset, 64 * 1024)
    with tempfile.TemporaryDirectory(prefix="kstasks-verify-") as temp:
        blob_path, sig_path = Path(temp) / name, Path(temp) / f"{name}.sig"
        blob_path.write_bytes(blob)
        sig_path.write_bytes(signature)
        refused = signing.verify_blob(cosign, key, blob_path, sig_path)
    entry["signature"] = refused is None
    if refused is not None:
        entry["problems"].append(
            f"github release {tag}: the signature of {name} does not verify with {key.name} ({refused})"
        )
