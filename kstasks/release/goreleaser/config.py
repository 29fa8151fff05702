"""The checkout's release plan: ``.goreleaser.yaml`` (goreleaser v1 or v2 shape) and the release
workflow read into typed records, and the artifacts a release of a version consists of.

goreleaser's defaults, as its source sets them (``internal/pipe/*``, v2.14; v1 alike), and which
this module relies on:

- ``project_name`` (``pipe/project``): the config's, else ``release.github.name``, which the release
  pipe's defaults (run first) take from the ``origin`` remote's GitHub repository name; else the last
  element of the Go module path (``go list -m``); kstasks adds the directory name as the last resort.
- ``builds`` (``pipe/build``): ``id`` = project name, ``binary`` = project name, ``main`` = ``.``,
  ``goos`` = darwin, linux, windows, ``goarch`` = 386, amd64, arm64; no ``-trimpath`` unless
  ``flags`` asks. The binary's artifact name is the ``binary`` value (``bin/controller-manager``)
  and its template ``.Binary`` the base name (``controller-manager``).
- ``archives`` (``pipe/archive``): one ``tar.gz`` archive per platform holding every build's binary
  at its ``binary`` path, named ``{{ .ProjectName }}_{{ .Version }}_{{ .Os }}_{{ .Arch }}`` (plus
  ``v{{ .Arm }}``, ``_{{ .Mips }}`` and the non-``v1`` GOAMD64 level), with the files matching
  ``license*``, ``LICENSE*``, ``readme*``, ``README*``, ``changelog*``, ``CHANGELOG*``.
- ``checksum`` (``pipe/checksums``): sha256, ``{{ .ProjectName }}_{{ .Version }}_checksums.txt``,
  lines ``<hex>  <name>`` sorted by name, over every uploadable artifact (archives and SBOMs).
- ``sboms`` (``pipe/sbom``): ``cmd`` syft, ``args`` ``$artifact --output spdx-json=$document``,
  ``artifacts`` archive; documents ``{{ .ArtifactName }}.sbom.json`` (binary:
  ``{{ .Binary }}_{{ .Version }}_{{ .Os }}_{{ .Arch }}.sbom.json``). ``artifacts: source`` catalogs
  the source archive, which exists only with ``source: enabled: true`` — without it goreleaser
  warns "no artifacts matching current filters" and writes no source SBOM; so does kstasks.
- ``kos`` (goreleaser's ko pipe): ``repositories`` (v2) or ``repository`` (v1), ``tags``
  (default ``latest``), ``platforms`` (default linux/amd64), ``bare``; the build's ``main``.
- Version: the tag without its leading ``v``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from kstasks.core import errors, runner
from kstasks.release.goreleaser import templates
from kstasks.release.goreleaser.model import (
    KINDS,
    Archive,
    Build,
    ExpectedArtifact,
    KoImage,
    ReleasePlan,
    ReleaseSettings,
    Sbom,
)
from kstasks.release.goreleaser.workflow import ChartStep, chart_names, fill, read_workflow

__all__ = [
    "KINDS",
    "Archive",
    "Build",
    "ExpectedArtifact",
    "KoImage",
    "ReleasePlan",
    "ReleaseSettings",
    "Sbom",
    "expected_artifacts",
    "load_plan",
]

CONFIG_NAMES = (".goreleaser.yaml", ".goreleaser.yml", "goreleaser.yaml", "goreleaser.yml")
DEFAULT_GOOS = ("darwin", "linux", "windows")
DEFAULT_GOARCH = ("386", "amd64", "arm64")
DEFAULT_ARCHIVE_NAME = (
    "{{ .ProjectName }}_{{ .Version }}_{{ .Os }}_{{ .Arch }}{{ with .Arm }}v{{ . }}{{ end }}"
    '{{ with .Mips }}_{{ . }}{{ end }}{{ if not (eq .Amd64 "v1") }}{{ .Amd64 }}{{ end }}'
)
DEFAULT_ARCHIVE_FILES = ("license*", "LICENSE*", "readme*", "README*", "changelog*", "CHANGELOG*")
DEFAULT_CHECKSUM_NAME = "{{ .ProjectName }}_{{ .Version }}_checksums.txt"
DEFAULT_SBOM_ARGS = ("$artifact", "--output", "spdx-json=$document")


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(item) for item in value)


def _bool(value: Any, default: bool = False) -> bool:
    if value is None:
        return default
    return str(value).lower() == "true"


def config_path(root: Path) -> Path | None:
    """The checkout's goreleaser config file, or None."""
    return next((root / name for name in CONFIG_NAMES if (root / name).is_file()), None)


def _git_remote_name(root: Path) -> str:
    args = ["git", "config", "--get", "remote.origin.url"]
    result = runner.run(args, cwd=root, capture=True, query=True, check=False, quiet=True)
    url = result.stdout.strip() if result.returncode == 0 else ""
    if "github.com" not in url:
        return ""
    return url.rstrip("/").removesuffix(".git").rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def derive_project_name(data: Mapping[str, Any], root: Path, module: str) -> str:
    """goreleaser's project name for this config and checkout (see the module docstring)."""
    if data.get("project_name"):
        return str(data["project_name"])
    github = ((data.get("release") or {}).get("github") or {}).get("name")
    if github:
        return str(github)
    return _git_remote_name(root) or (module.rsplit("/", 1)[-1] if module else "") or root.resolve().name


def _build(entry: Mapping[str, Any], project: str) -> Build:
    ignore = tuple((str(i.get("goos", "")), str(i.get("goarch", ""))) for i in entry.get("ignore") or [])
    return Build(
        id=str(entry.get("id") or project),
        main=str(entry.get("main") or "."),
        binary=str(entry.get("binary") or project),
        goos=_strings(entry.get("goos")) or DEFAULT_GOOS,
        goarch=_strings(entry.get("goarch")) or DEFAULT_GOARCH,
        env=_strings(entry.get("env")),
        ldflags=_strings(entry.get("ldflags")),
        flags=_strings(entry.get("flags")),
        ignore=ignore,
    )


def _ko(entry: Mapping[str, Any], builds: Sequence[Build], where: Path) -> KoImage:
    build_id = str(entry.get("build") or (builds[0].id if builds else ""))
    build = next((b for b in builds if b.id == build_id), None)
    if build is None:
        raise errors.BadInput(
            f"{where.name}: kos entry {entry.get('id')!r} builds {build_id!r}, not in builds:",
            "Fix the ko entry's build: field.",
        )
    repositories = _strings(entry.get("repositories")) or _strings(entry.get("repository"))
    if not repositories:
        raise errors.BadInput(
            f"{where.name}: kos entry {entry.get('id')!r} names no repository",
            "Give it repositories: (goreleaser v2) or repository: (v1).",
        )
    return KoImage(
        id=str(entry.get("id") or build_id),
        build=build_id,
        repositories=repositories,
        tags=_strings(entry.get("tags")) or ("latest",),
        platforms=_strings(entry.get("platforms")) or ("linux/amd64",),
        bare=_bool(entry.get("bare")),
        preserve_import_paths=_bool(entry.get("preserve_import_paths")),
        base_import_paths=_bool(entry.get("base_import_paths")),
        ldflags=_strings(entry.get("ldflags")) or build.ldflags,
        main=str(entry.get("main") or build.main),
    )


def _archive(entry: Mapping[str, Any]) -> Archive:
    formats = _strings(entry.get("formats")) or _strings(entry.get("format")) or ("tar.gz",)
    files = tuple(
        str(item.get("src") if isinstance(item, dict) else item) for item in entry.get("files") or []
    )
    wrap = entry.get("wrap_in_directory")
    return Archive(
        id=str(entry.get("id") or "default"),
        format=formats[0],
        name_template=str(entry.get("name_template") or DEFAULT_ARCHIVE_NAME),
        files=files or DEFAULT_ARCHIVE_FILES,
        builds=_strings(entry.get("ids")) or _strings(entry.get("builds")),
        wrap_in_directory="" if wrap in (None, False, "false") else str(wrap),
    )


def _sbom(entry: Mapping[str, Any]) -> Sbom:
    artifacts = str(entry.get("artifacts") or "archive")
    documents = _strings(entry.get("documents"))
    if not documents:
        documents = {
            "binary": ("{{ .Binary }}_{{ .Version }}_{{ .Os }}_{{ .Arch }}.sbom.json",),
            "any": (),
        }.get(artifacts, ("{{ .ArtifactName }}.sbom.json",))
    cmd = str(entry.get("cmd") or "syft")
    args = _strings(entry.get("args")) or (DEFAULT_SBOM_ARGS if cmd == "syft" else ())
    return Sbom(
        id=str(entry.get("id") or "default"),
        artifacts=artifacts,
        documents=documents,
        cmd=cmd,
        args=args,
        env=_strings(entry.get("env")),
        ids=_strings(entry.get("ids")),
    )


def _module(root: Path) -> str:
    import re

    gomod = root / "go.mod"
    found = re.search(r"^module\s+(\S+)", gomod.read_text(), re.M) if gomod.is_file() else None
    return found.group(1) if found else ""


def load_plan(root: Path) -> ReleasePlan:
    """The release plan of the checkout at ``root``; exit 2 when it has no goreleaser config."""
    path = config_path(root)
    if path is None:
        raise errors.BadInput(
            f"{root} has no .goreleaser.yaml: kstasks release follows the checkout's goreleaser config",
            "Run this in a KubeStellar checkout of v0.21 or later.",
        )
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as err:
        raise errors.BadInput(f"cannot read {path.name} ({err})", "Fix the goreleaser config.") from err
    if not isinstance(data, dict):
        raise errors.BadInput(f"{path.name} is not a goreleaser config", "Fix the goreleaser config.")
    module = _module(root)
    project = derive_project_name(data, root, module)
    builds = tuple(_build(entry, project) for entry in data.get("builds") or [{}])
    kos = tuple(_ko(entry, builds, path) for entry in data.get("kos") or [])
    archives = tuple(_archive(entry) for entry in data.get("archives") or [{}])
    checksum = data.get("checksum") or {}
    release = data.get("release") or {}
    return ReleasePlan(
        root=root,
        config_path=path,
        config_version=int(data.get("version") or 1),
        project_name=project,
        module=module,
        builds=builds,
        kos=kos,
        archives=archives,
        checksum_name=str(checksum.get("name_template") or DEFAULT_CHECKSUM_NAME),
        checksum_algorithm=str(checksum.get("algorithm") or "sha256"),
        checksum_disabled=_bool(checksum.get("disable")),
        sboms=tuple(_sbom(entry) for entry in data.get("sboms") or []),
        source_enabled=_bool((data.get("source") or {}).get("enabled")),
        release=ReleaseSettings(
            draft=_bool(release.get("draft")),
            prerelease=str(release.get("prerelease", "false")).lower(),
            mode=str(release.get("mode") or "keep-existing"),
            name_template=str(release.get("name_template") or "{{ .Tag }}"),
            disable=_bool(release.get("disable")),
        ),
        workflow=read_workflow(root),
    )


def version_fields(plan: ReleasePlan, version: str) -> dict[str, str]:
    """The template fields of a release of ``version`` (no leading ``v``)."""
    core = version.split("+", 1)[0]
    numbers = [*core.split("-", 1)[0].split("."), "", "", ""][:3]
    return {
        "ProjectName": plan.project_name,
        "Version": version,
        "RawVersion": core.split("-", 1)[0],
        "Tag": f"v{version}",
        "Major": numbers[0],
        "Minor": numbers[1],
        "Patch": numbers[2],
        "Prerelease": core.split("-", 1)[1] if "-" in core else "",
    }


def _archive_files(plan: ReleasePlan, archive: Archive) -> list[str]:
    """The checkout's files the archive's globs match (top level, files only), sorted, unique."""
    found: set[str] = set()
    for pattern in archive.files:
        found.update(str(p.relative_to(plan.root)) for p in plan.root.glob(pattern) if p.is_file())
    return sorted(found)


def archive_name(plan: ReleasePlan, archive: Archive, version: str, os_name: str, arch: str) -> str:
    fields = {**version_fields(plan, version), **templates.platform_fields(os_name, arch)}
    stem = templates.render(archive.name_template, fields, what=f"archive {archive.id} name_template")
    return f"{stem}.{archive.format}"


def archive_members(plan: ReleasePlan, archive: Archive, version: str, os_name: str, arch: str) -> list[str]:
    """The archive's members for one platform: its files and every included build's binary."""
    fields = {**version_fields(plan, version), **templates.platform_fields(os_name, arch)}
    wrap = archive.wrap_in_directory
    if wrap == "true":
        wrap = archive.name_template
    prefix = templates.render(wrap, fields, what=f"archive {archive.id} wrap_in_directory") if wrap else ""
    members = _archive_files(plan, archive)
    members += [b.binary for b in archive_builds(plan, archive) if (os_name, arch) in b.platforms]
    return sorted(f"{prefix}/{m}" if prefix else m for m in members)


def archive_builds(plan: ReleasePlan, archive: Archive) -> list[Build]:
    return [b for b in plan.builds if not archive.builds or b.id in archive.builds]


def expected_artifacts(plan: ReleasePlan, version: str) -> list[ExpectedArtifact]:
    """Every artifact a release of ``version`` makes: binaries, archives, SBOMs, the checksums file,
    images (one per repository, tag and platform) and charts, as the config and workflow say."""
    base = version_fields(plan, version)
    result: list[ExpectedArtifact] = []
    binaries: list[ExpectedArtifact] = []
    for build in plan.builds:
        for os_name, arch in build.platforms:
            binaries.append(ExpectedArtifact("binary", build.binary, f"{os_name}/{arch}", build.id))
    result += binaries
    archives: list[ExpectedArtifact] = []
    for archive in plan.archives:
        if archive.format == "binary":
            continue
        platforms = {p: None for b in archive_builds(plan, archive) for p in b.platforms}
        for os_name, arch in platforms:
            name = archive_name(plan, archive, version, os_name, arch)
            members = archive_members(plan, archive, version, os_name, arch)
            platform = f"{os_name}/{arch}"
            archives.append(ExpectedArtifact("archive", name, platform, archive.id, tuple(members)))
    result += archives
    sboms: list[ExpectedArtifact] = []
    for sbom in plan.sboms:
        sboms += _sbom_documents(plan, sbom, version, binaries, archives)
    result += sboms
    if not plan.checksum_disabled:
        listed = sorted(a.name for a in [*archives, *sboms])
        name = templates.render(plan.checksum_name, base, what="checksum name_template")
        result.append(ExpectedArtifact("checksums", name, members=tuple(listed)))
    for ko in plan.kos:
        tags = [templates.render(t, base, what=f"kos {ko.id} tags") for t in ko.tags]
        for repository in ko.image_names(import_path(plan, ko.main)):
            for tag in tags:
                for platform in ko.platforms:
                    result.append(ExpectedArtifact("image", f"{repository}:{tag}", platform, ko.build))
    for chart in plan.charts:
        name = chart_name(plan, chart)
        destination = fill(chart.destination, tag=f"v{version}", version=version)
        reference = f"{destination}/{name}:{version}" if destination else ""
        file_name = f"{name}-{version}.tgz"
        result.append(ExpectedArtifact("chart", file_name, source=chart.path, reference=reference))
    return result


def chart_name(plan: ReleasePlan, chart: ChartStep) -> str:
    return chart_names(plan.root, [chart.path])[chart.path]


def import_path(plan: ReleasePlan, main: str) -> str:
    relative = main.removeprefix("./").rstrip("/")
    return f"{plan.module}/{relative}" if relative and relative != "." else plan.module


def _sbom_documents(
    plan: ReleasePlan,
    sbom: Sbom,
    version: str,
    binaries: list[ExpectedArtifact],
    archives: list[ExpectedArtifact],
) -> list[ExpectedArtifact]:
    base = version_fields(plan, version)
    subjects: list[tuple[dict[str, str], str, str]] = []
    if sbom.artifacts == "binary":
        builds = {b.id: b for b in plan.builds}
        for binary in binaries:
            if sbom.ids and binary.build not in sbom.ids:
                continue
            os_name, arch = binary.platform.split("/")
            fields = {
                **base,
                **templates.platform_fields(os_name, arch),
                "Binary": builds[binary.build].binary_base,
                "ArtifactName": binary.name,
                "ArtifactID": binary.build,
            }
            subjects.append((fields, binary.name, binary.platform))
    elif sbom.artifacts == "archive":
        for archive in archives:
            if sbom.ids and archive.build not in sbom.ids:
                continue
            os_name, arch = archive.platform.split("/")
            fields = {**base, **templates.platform_fields(os_name, arch), "ArtifactName": archive.name}
            subjects.append((fields, archive.name, archive.platform))
    elif sbom.artifacts == "source" and plan.source_enabled:
        name = f"{plan.project_name}-{version}.tar.gz"
        subjects.append(({**base, "ArtifactName": name}, name, ""))
    elif sbom.artifacts == "any":
        subjects.append((dict(base), "", ""))
    found = []
    for fields, source, platform in subjects:
        for document in sbom.documents:
            rendered = templates.render(document, fields, what=f"sboms {sbom.id} documents")
            found.append(ExpectedArtifact("sbom", Path(rendered).name, platform, sbom.id, source=source))
    return found
