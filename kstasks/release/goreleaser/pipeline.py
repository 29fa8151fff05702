"""``kstasks release``: the checkout's own release, end to end. Validate (one line, exit 2, before any
work), build everything into ``dist/`` (in a scratch directory first, switched in with one
rename), then publish: images and charts through the all-or-nothing, resumable push engine
(``kstasks.remote.push``), then the GitHub release and, when the workflow sends one, the docs
dispatch (``kstasks.remote.releases``), signing with ``--sign-key`` (``kstasks.release.signing``).

``snapshot`` builds and publishes nothing, as ``goreleaser release --snapshot`` does. Reruns
rebuild byte-identical artifacts (see ``build``, ``sbom``, ``charts``), so a rerun after a kill
finds what the first run pushed identical and completes the rest.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kstasks.charts.derive import ChartLayout
from kstasks.core import errors, fsutil, output, runner, scratch
from kstasks.core.semver import ReleaseVersion, parse_release_version
from kstasks.project.ldflags import newest_tag
from kstasks.project.repo import Checkout, load_checkout
from kstasks.release.goreleaser import build as building
from kstasks.release.goreleaser import charts as charting
from kstasks.release.goreleaser import images as imaging
from kstasks.release.goreleaser.config import ExpectedArtifact, ReleasePlan, expected_artifacts
from kstasks.release.goreleaser.sbom import make_sboms
from kstasks.release.goreleaser.workflow import fill
from kstasks.remote.dockerconfig import private_docker_config
from kstasks.remote.push import Artifact, publish_artifacts
from kstasks.remote.registry import Reference, Registry
from kstasks.toolchain.tools import Toolbox

LayoutToArtifact = Callable[[Path, str, str, str], Artifact]
"""(OCI layout, label, repository path, tag) → the artifact to push (``images.publish.layout_artifact``)."""


@dataclass(frozen=True)
class Request:
    """What the release was asked to do."""

    version: str
    """As given (``0.30.0``, ``v0.30.0``); empty with ``snapshot``: goreleaser's snapshot version."""
    snapshot: bool = False
    allow_untagged: bool = False
    registry: str = ""
    """``HOST/PATH`` replacing the registry prefix of every image and chart repository."""
    chart_dependency_registry: str = ""
    chart_dependency_mirrors: Mapping[str, str] = field(default_factory=dict)
    skip_dependency_update: bool = False
    force: bool = False
    sign_key: Path | None = None
    dispatch: bool = True
    dist: str = "dist"


@dataclass(frozen=True)
class Publishing:
    """Where the release goes (validated before any work)."""

    api_url: str
    repository: str
    token: str
    dispatch_token: str = ""


@dataclass(frozen=True)
class Validated:
    version: ReleaseVersion
    publishing: Publishing | None
    expected: list[ExpectedArtifact]


def _head_tags(root: Path) -> list[str]:
    result = runner.run(["git", "tag", "--points-at", "HEAD"], cwd=root, capture=True, query=True, quiet=True)
    return sorted(t for t in result.stdout.split() if t.startswith("v"))


def snapshot_version(root: Path) -> str:
    """goreleaser's snapshot version: ``<latest tag without v>-SNAPSHOT-<short commit>`` (0.0.0 untagged)."""
    tag = next((t for t in [newest_tag(load_checkout(root))] if t.startswith("v")), "")
    commit = runner.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture=True, query=True, quiet=True
    )
    base = tag[1:].split("-", 1)[0] if tag else "0.0.0"
    return f"{base}-SNAPSHOT-{commit.stdout.strip()}"


def validate(plan: ReleasePlan, request: Request, environ: Mapping[str, str]) -> Validated:
    """Every refusal a release can have, before any work (exit 2, one line)."""
    if not request.version and not request.snapshot:
        raise errors.BadInput("no version given", "Pass the version to release (0.30.0), or --snapshot.")
    version = parse_release_version(request.version or snapshot_version(plan.root))
    tags = _head_tags(plan.root)
    if request.version and version.tag not in tags and not request.allow_untagged:
        if tags:
            raise errors.BadInput(
                f"the checkout's HEAD is tagged {', '.join(tags)}, not {version.tag}",
                f"Check out {version.tag}, or pass --allow-untagged for a rehearsal.",
            )
        if not request.snapshot:
            raise errors.BadInput(
                f"the checkout's HEAD is not tagged {version.tag}",
                f"Tag it (git tag {version.tag}), or pass --allow-untagged for a rehearsal.",
            )
    if plan.source_enabled:
        raise errors.BadInput(
            "the goreleaser config enables source archives, which kstasks does not make", "Disable source:."
        )
    for text, what in (
        (request.registry, "--registry"),
        (request.chart_dependency_registry, "dependency registry"),
    ):
        if text:
            Reference.parse(text, what=what)
    if request.sign_key is not None:
        _check_key(request.sign_key, environ)
    expected = expected_artifacts(plan, version.text)
    publishing = None if request.snapshot else _publishing(plan, request, environ)
    if not request.snapshot:
        _releases()
        if request.sign_key is not None:
            _signing()
    return Validated(version, publishing, expected)


def _check_key(key: Path, environ: Mapping[str, str]) -> None:
    try:
        key.read_bytes()
    except OSError as err:
        raise errors.BadInput(
            f"the signing key {key} cannot be read ({err.strerror})", "Pass a cosign key."
        ) from err
    if "COSIGN_PASSWORD" not in environ:
        raise errors.BadInput(
            "COSIGN_PASSWORD is not set (the signing key's password)", "Set it (empty if none)."
        )


def _publishing(plan: ReleasePlan, request: Request, environ: Mapping[str, str]) -> Publishing:
    token = environ.get("GITHUB_TOKEN", "").strip()
    if not token:
        raise errors.BadInput(
            "GITHUB_TOKEN is not set: publishing a GitHub release needs a token",
            "Set GITHUB_TOKEN (as GitHub Actions does), or pass --snapshot to publish nothing.",
        )
    output.add_secret(token)
    repository = environ.get("GITHUB_REPOSITORY", "").strip()
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", repository):
        raise errors.BadInput(
            f"GITHUB_REPOSITORY is {repr(repository) if repository else 'unset'} (expected OWNER/NAME)",
            "Set GITHUB_REPOSITORY=owner/name, as GitHub Actions does.",
        )
    dispatch_token = ""
    if plan.dispatch is not None and request.dispatch:
        variable = plan.dispatch.token.removeprefix("secrets.") or "GITHUB_TOKEN"
        dispatch_token = environ.get(variable, "").strip()
        if not dispatch_token:
            raise errors.BadInput(
                f"{variable} is not set: the release workflow sends a {plan.dispatch.event_type} dispatch "
                f"to {plan.dispatch.repository} with it",
                f"Set {variable}, or pass --no-dispatch.",
            )
        output.add_secret(dispatch_token)
    api = environ.get("GITHUB_API_URL", "").strip() or "https://api.github.com"
    return Publishing(api.rstrip("/"), repository, token, dispatch_token)


@dataclass(frozen=True)
class Built:
    """A release, built: its files in ``dist`` and its images as OCI layouts."""

    dist: Path
    files: dict[str, list[Path]]
    """Kind (``archive``, ``checksums``, ``sbom``, ``chart``) → files in ``dist``."""
    images: list[imaging.BuiltImage]


def build_release(
    plan: ReleasePlan,
    layout: ChartLayout,
    toolbox: Toolbox,
    request: Request,
    version: ReleaseVersion,
    temp: Path,
) -> Built:
    """Everything the release makes; ``dist`` switched in whole; image layouts stay in ``temp``."""
    v = version.text
    staged_dist = temp / "dist"
    staged_dist.mkdir()
    with building.committed_source(plan) as source:
        binaries = building.build_binaries(plan, source, v, staged_dist)
        archives = building.build_archives(plan, source, v, binaries, staged_dist)
        subjects = {
            (b.binary, platform): binaries[(b.id, platform)]
            for b in plan.builds
            for _, platform in [(None, f"{o}/{a}") for o, a in b.platforms]
        }
        subjects.update({(a.name, _platform_of(plan, a.name, v)): a for a in archives})
        sboms = (
            make_sboms(plan, v, toolbox.binary("syft"), staged_dist, subjects, source.time)
            if plan.sboms
            else []
        )
        checksums = building.write_checksums(plan, v, [*archives, *sboms], staged_dist)
        original = _registry_prefixes(plan)
        rewrite = {prefix: request.registry.strip("/") for prefix in original} if request.registry else {}
        mirrors = charting.dependency_mirrors(
            request.chart_dependency_registry, request.chart_dependency_mirrors
        )
        charts = charting.package_charts(
            plan,
            load_checkout(source.root),
            layout,
            toolbox,
            v,
            temp / "stage",
            staged_dist,
            source.time,
            rewrite=rewrite,
            mirrors=mirrors,
            skip_dependency_update=request.skip_dependency_update,
        )
        images = imaging.build_images(
            plan, source, v, toolbox.binary("ko"), temp / "images", registry=request.registry
        )
    files = {
        "archive": archives,
        "sbom": sboms,
        "checksums": [checksums] if checksums else [],
        "chart": charts,
    }
    _check_complete(plan, v, files, images)
    (staged_dist / "artifacts.json").write_text(
        json.dumps(_listing(staged_dist, files, images), indent=2) + "\n"
    )
    dist = plan.root / request.dist
    fsutil.replace_tree(staged_dist, dist)
    return Built(dist, {kind: [dist / p.name for p in paths] for kind, paths in files.items()}, images)


def _platform_of(plan: ReleasePlan, name: str, version: str) -> str:
    found = [a.platform for a in expected_artifacts(plan, version) if a.kind == "archive" and a.name == name]
    return found[0] if found else ""


def _registry_prefixes(plan: ReleasePlan) -> set[str]:
    """The registry prefixes the config names (image repositories minus their last element, chart
    destinations)."""
    prefixes = {repo.rsplit("/", 1)[0] for ko in plan.kos for repo in ko.repositories}
    prefixes |= {c.destination.removeprefix("oci://") for c in plan.charts if c.destination}
    return {p for p in prefixes if "__KSTASKS_" not in p}


def _check_complete(
    plan: ReleasePlan, version: str, files: dict[str, list[Path]], images: list[imaging.BuiltImage]
) -> None:
    """The built set is exactly what the config describes (names), or the run stops before pushing."""
    expected = expected_artifacts(plan, version)
    for kind in ("archive", "sbom", "checksums", "chart"):
        want = sorted(a.name for a in expected if a.kind == kind)
        have = sorted(p.name for p in files[kind])
        if want != have:
            raise errors.StepFailed(
                f"the release built {kind}s {have}, the config describes {want}",
                "Report this; nothing was pushed.",
            )
    for image in images:
        platforms = set(imaging.layout_platforms(image.layout))
        if platforms != set(image.ko.platforms):
            raise errors.StepFailed(
                f"ko built {sorted(platforms)} for {image.ko.id}, the config asks {list(image.ko.platforms)}",
                "Report this; nothing was pushed.",
            )


def _listing(
    dist: Path, files: dict[str, list[Path]], images: list[imaging.BuiltImage]
) -> list[dict[str, str]]:
    rows = [
        {"kind": kind, "name": p.name, "sha256": building.sha256_file(p)}
        for kind, paths in sorted(files.items())
        for p in sorted(paths)
    ]
    for image in images:
        for platform, digest in sorted(imaging.layout_platforms(image.layout).items()):
            for repository, tag in image.references:
                rows.append(
                    {"kind": "image", "name": f"{repository}:{tag}", "platform": platform, "digest": digest}
                )
    return rows


def registry_artifacts(
    plan: ReleasePlan, built: Built, request: Request, version: ReleaseVersion, to_artifact: LayoutToArtifact
) -> dict[str, list[Artifact]]:
    """Host → the artifacts pushed there: every image tag, every chart."""
    from kstasks.release.charts import chart_artifact

    by_host: dict[str, list[Artifact]] = {}
    for image in built.images:
        for repository, tag in image.references:
            reference = Reference.parse(repository, what="image repository")
            by_host.setdefault(reference.host, []).append(
                to_artifact(image.layout, f"{repository}:{tag}", reference.path, tag)
            )
    for step, archive in zip(plan.charts, built.files["chart"], strict=True):
        destination = charting.step_destination(step, version.text, request.registry)
        if not destination:
            continue
        reference = Reference.parse(destination, what="chart destination")
        by_host.setdefault(reference.host, []).append(chart_artifact(archive, reference, version))
    return by_host


def publish_release(
    plan: ReleasePlan,
    built: Built,
    request: Request,
    validated: Validated,
    toolbox: Toolbox,
    to_artifact: LayoutToArtifact,
) -> list[str]:
    """Sign (locally) first, push images and charts, sign images, then the GitHub release and dispatch."""
    publishing = validated.publishing
    assert publishing is not None
    version = validated.version
    signing = _signing() if request.sign_key is not None else None
    assets = [*built.files["archive"], *built.files["checksums"], *built.files["sbom"]]
    if signing is not None and request.sign_key is not None:
        cosign = toolbox.binary("cosign")
        signatures = [signing.sign_blob(cosign, request.sign_key, path) for path in built.files["checksums"]]
        _keep_published_signatures(signing, cosign, request.sign_key, publishing, version.tag, signatures)
        assets += signatures
    lines = []
    pushed: list[tuple[Reference, str, str]] = []
    for host, artifacts in registry_artifacts(plan, built, request, version, to_artifact).items():
        registry = Registry(Reference.parse(host))
        registry.ping()
        for outcome in publish_artifacts(registry, artifacts, force=request.force, what="release artifact"):
            state = "already published, identical" if outcome.identical else "pushed"
            lines.append(f"{state} {outcome.artifact.label}@{outcome.digest}")
            pushed.append((registry.reference, f"{host}/{outcome.artifact.repository}", outcome.digest))
    if signing is not None and request.sign_key is not None:
        lines += _sign_images(signing, toolbox.binary("cosign"), request.sign_key, built, pushed)
    releases = _releases()
    lines += releases.publish_release(
        publishing.api_url,
        publishing.repository,
        publishing.token,
        version.tag,
        assets,
        prerelease=plan.release.is_prerelease(version.text),
        force=request.force,
    )
    if plan.dispatch is not None and request.dispatch:
        payload = {
            k: fill(str(v), tag=version.tag, version=version.text, repository=publishing.repository)
            for k, v in plan.dispatch.client_payload.items()
        }
        releases.dispatch(
            publishing.api_url,
            plan.dispatch.repository,
            publishing.dispatch_token,
            plan.dispatch.event_type,
            payload,
        )
        lines.append(f"dispatched {plan.dispatch.event_type} to {plan.dispatch.repository}")
    return lines


def preflight(plan: ReleasePlan, request: Request, validated: Validated) -> None:
    """Ask every registry the release pushes to, and the GitHub API, once before the build: an
    unreachable or misbehaving host stops the release within a network deadline, not after it."""
    first: dict[str, str] = {}  # host -> one repository the release writes there
    for name in [repo for ko in plan.kos for repo in ko.repositories]:
        name = imaging.rewrite(name, request.registry) if request.registry else name
        if "__KSTASKS_" not in name:
            reference = Reference.parse(name, what="image repository")
            first.setdefault(reference.host, reference.path)
    for host, repository in sorted(first.items()):
        registry = Registry(Reference.parse(host))
        registry.ping()
        registry.tags(repository)  # authentication, redirects and JSON, as the push will meet them
    publishing = validated.publishing
    assert publishing is not None
    _releases().tag_exists(publishing.api_url, publishing.repository, publishing.token, validated.version.tag)


def _releases():  # type: ignore[no-untyped-def]
    """``kstasks.remote.releases`` (the GitHub release over the REST API)."""
    try:
        from kstasks.remote import releases
    except ImportError as err:  # the GitHub side lands separately
        raise errors.EnvironmentUnusable(
            "this kstasks cannot publish GitHub releases (kstasks.remote.releases is missing)",
            "Use --snapshot, or a kstasks with GitHub release support.",
        ) from err
    return releases


def _sign_images(  # type: ignore[no-untyped-def]
    signing, cosign: Path, key: Path, built: Built, pushed: list[tuple[Reference, str, str]]
) -> list[str]:
    """Sign every pushed image by digest, cosign logged in to its registry as the push was; an
    image that already carries a signature by ``key`` (a rerun) is not signed again."""
    image_repos = {r for image in built.images for r, _ in image.references}
    lines = []
    with scratch.directory("cosign-login") as temp:
        public = signing.public_key(cosign, key, Path(temp))
        logins: dict[str, dict[str, str]] = {}
        for reference, repository, digest in pushed:
            if repository not in image_repos:
                continue
            if reference.host not in logins:
                logins[reference.host] = private_docker_config(reference.host, Path(temp))
            image, login = f"{repository}@{digest}", logins[reference.host]
            if signing.verify_image(cosign, public, image, registry_env=login) is None:
                lines.append(f"already signed {image}")
                continue
            signing.sign_image(cosign, key, image, registry_env=login)
            lines.append(f"signed {image}")
    return lines


def _keep_published_signatures(signing, cosign, key, publishing, tag, signatures) -> None:  # type: ignore[no-untyped-def]
    """A rerun keeps the signatures a first run uploaded when they verify (see
    ``signing.keep_published_signature``), so that it completes without --force."""
    releases = _releases()
    found = releases.release_assets(publishing.api_url, publishing.repository, publishing.token, tag)
    assets = found[1] if found else []
    published = {a["name"]: a for a in assets if a.get("state", "uploaded") == "uploaded"}
    wanted = [s for s in signatures if s.name in published]
    if not wanted:
        return
    public = signing.public_key(cosign, key, wanted[0].parent)
    for signature in wanted:
        data = releases.download_asset(
            publishing.api_url, publishing.repository, publishing.token, published[signature.name], 1 << 20
        )
        blob = signature.with_name(signature.name.removesuffix(".sig"))
        signing.keep_published_signature(cosign, public, blob, signature, data)
    public.unlink(missing_ok=True)


def _signing():  # type: ignore[no-untyped-def]
    try:
        from kstasks.release import signing
    except ImportError as err:
        raise errors.EnvironmentUnusable(
            "this kstasks cannot sign (kstasks.release.signing is missing)", "Drop --sign-key."
        ) from err
    return signing


def release(
    checkout: Checkout,
    plan: ReleasePlan,
    layout: ChartLayout,
    toolbox: Toolbox,
    request: Request,
    to_artifact: LayoutToArtifact,
) -> list[str]:
    """The whole release (``kstasks release``); the lines to print."""
    validated = validate(plan, request, os.environ)
    tools = [
        "helm",
        "ko",
        *(["syft"] if plan.sboms else []),
        *(["kustomize"] if any(c.make_chart for c in plan.charts) else []),
    ]
    if request.sign_key is not None:
        tools.append("cosign")
    for name in tools:
        toolbox.ensure(name)
    if not request.snapshot:
        preflight(plan, request, validated)
    with scratch.directory("release") as temp:
        built = build_release(plan, layout, toolbox, request, validated.version, temp)
        lines = [
            f"built {p.relative_to(checkout.root) if p.is_relative_to(checkout.root) else p}"
            for kind in ("archive", "sbom", "checksums", "chart")
            for p in built.files[kind]
        ]
        lines += [f"built image {r}:{t}" for image in built.images for r, t in image.references]
        if request.snapshot:
            return [*lines, f"snapshot {validated.version}: nothing published"]
        return [*lines, *publish_release(plan, built, request, validated, toolbox, to_artifact)]
