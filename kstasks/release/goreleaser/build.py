"""goreleaser's build, archive and checksum steps, done locally: every build for every platform with the
checkout's release ldflags, the tar.gz archives, the checksums file.

Reproducible by construction: the binaries are built from a detached git worktree of the commit at
a path fixed by the commit (so neither the checkout's location nor uncommitted edits reach them;
goreleaser does not add ``-trimpath`` and neither does kstasks, which would change the binaries);
``main.BuildDate`` is the commit's time (``SOURCE_DATE_EPOCH`` when set) instead of the clock's; the
archives have sorted members, the commit's time as mtime, uid/gid 0, no user or group names, and a
gzip header without name or time.
"""

from __future__ import annotations

import datetime
import gzip
import hashlib
import io
import os
import shutil
import tarfile
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kstasks.core import errors, locks, output, runner
from kstasks.project import ldflags, worktrees
from kstasks.project.repo import load_checkout
from kstasks.release.goreleaser import templates
from kstasks.release.goreleaser.config import (
    Build,
    ReleasePlan,
    archive_builds,
    archive_members,
    archive_name,
    version_fields,
)
from kstasks.toolchain import golang


@dataclass(frozen=True)
class Source:
    """The commit being released, checked out where the build happens."""

    root: Path
    """The checkout root inside the worktree (where go.mod is)."""
    commit: str
    time: datetime.datetime
    """The commit's time (or SOURCE_DATE_EPOCH)."""
    ldflags: str
    """``make ldflags``' output for this commit: the LDFLAGS the workflow hands goreleaser."""


def commit_time(git_root: Path, commit: str) -> datetime.datetime:
    """SOURCE_DATE_EPOCH when set, else the committer time of ``commit``."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if not epoch:
        args = ["git", "show", "-s", "--format=%ct", commit]
        epoch = runner.run(args, cwd=git_root, capture=True, query=True, quiet=True).stdout.strip()
    try:
        return datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc)
    except ValueError as err:
        raise errors.BadInput(f"SOURCE_DATE_EPOCH {epoch!r} is not a number of seconds", "Unset it.") from err


def source_dir(commit: str) -> Path:
    """Where ``commit`` is built: a path fixed by the commit (the build embeds it)."""
    return Path(tempfile.gettempdir()) / "kstasks-release-build" / commit[:20]


@contextmanager
def committed_source(plan: ReleasePlan) -> Iterator[Source]:
    """The checkout's HEAD as a worktree at ``source_dir(commit)``, removed afterwards."""
    checkout = load_checkout(plan.root)
    git_root = checkout.require_git("a release builds a commit")
    commit = worktrees.head_commit(git_root, hint="Commit first: a release builds a commit.")
    dirty = runner.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=plan.root,
        capture=True,
        query=True,
        quiet=True,
    ).stdout.strip()
    if dirty:
        output.warn("the checkout has uncommitted changes; the release builds the commit, without them")
    tree = source_dir(commit)
    tree.parent.mkdir(parents=True, exist_ok=True)
    with locks.checkout_lock(tree.parent, f"release build of {commit[:12]}"):
        if tree.exists():
            worktrees.remove(git_root, tree)
            shutil.rmtree(tree, ignore_errors=True)
        worktrees.add(git_root, tree, commit)
        try:
            root = tree / plan.root.resolve().relative_to(git_root.resolve())
            moment = commit_time(git_root, commit)
            stamp = ldflags.stamp(load_checkout(root), now=moment)
            yield Source(root, commit, moment, stamp.echoed())
        finally:
            worktrees.remove(git_root, tree)
            shutil.rmtree(tree, ignore_errors=True)


def target_dir(build: Build, os_name: str, arch: str) -> str:
    """goreleaser's dist directory of one build target (``controller-manager_linux_amd64_v1``)."""
    variant = {"amd64": "_v1", "arm64": "_v8.0", "arm": "_6"}.get(arch, "")
    return f"{build.id}_{os_name}_{arch}{variant}"


def _env(entries: tuple[str, ...], given: Mapping[str, str]) -> dict[str, str]:
    env = {}
    for entry in entries:
        key, _, value = entry.partition("=")
        env[key] = templates.render(value, {}, given, what=f"build env {key}")
    return env


def build_binaries(
    plan: ReleasePlan, source: Source, version: str, dist: Path
) -> dict[tuple[str, str], Path]:
    """Every build for every platform into ``dist/<target>/<binary>``; (build id, ``os/arch``) → binary."""
    go = golang.go_binary()
    fields = version_fields(plan, version)
    env_in = {**os.environ, "LDFLAGS": source.ldflags}
    built = {}
    for build in plan.builds:
        flags = " ".join(
            templates.render(f, fields, env_in, what=f"build {build.id} ldflags") for f in build.ldflags
        )
        for os_name, arch in build.platforms:
            out = dist / target_dir(build, os_name, arch) / build.binary
            env = {"GOOS": os_name, "GOARCH": arch, **_env(build.env, env_in)}
            args = [
                go,
                "build",
                *build.flags,
                *([f"-ldflags={flags}"] if flags else []),
                "-o",
                str(out),
                build.main,
            ]
            with output.step(f"release: build {build.id} for {os_name}/{arch}"):
                runner.run(args, cwd=source.root, env=env, what=f"go build {build.id}", todo="Fix the build.")
            built[(build.id, f"{os_name}/{arch}")] = out
    return built


def write_tar_gz(path: Path, members: list[tuple[str, Path]], mtime: int) -> None:
    """A deterministic tar.gz of ``members`` (archive name, file): sorted, fixed owner and time."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, file in sorted(members):
            info = tarfile.TarInfo(name)
            info.size = file.stat().st_size
            info.mtime = mtime
            info.mode = 0o755 if os.access(file, os.X_OK) else 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            with file.open("rb") as handle:
                tar.addfile(info, handle)
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        gz.write(buffer.getvalue())


def build_archives(
    plan: ReleasePlan, source: Source, version: str, binaries: Mapping[tuple[str, str], Path], dist: Path
) -> list[Path]:
    """One archive per archive entry and platform, members as goreleaser lays them out."""
    made = []
    for archive in plan.archives:
        if archive.format != "tar.gz":
            if archive.format == "binary":
                continue
            raise errors.BadInput(
                f"archives {archive.id}: format {archive.format!r} is not one kstasks makes",
                "Use tar.gz (goreleaser's default).",
            )
        builds = archive_builds(plan, archive)
        platforms = {p: None for b in builds for p in b.platforms}
        for os_name, arch in platforms:
            names = archive_members(plan, archive, version, os_name, arch)
            by_binary = {
                b.binary: binaries[(b.id, f"{os_name}/{arch}")]
                for b in builds
                if (os_name, arch) in b.platforms
            }
            members = []
            for name in names:
                bare = name.split("/", 1)[1] if archive.wrap_in_directory and "/" in name else name
                members.append((name, by_binary.get(bare) or source.root / bare))
            path = dist / archive_name(plan, archive, version, os_name, arch)
            write_tar_gz(path, members, int(source.time.timestamp()))
            made.append(path)
    return made


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_checksums(plan: ReleasePlan, version: str, files: list[Path], dist: Path) -> Path | None:
    """goreleaser's checksums file: ``<hex>  <name>`` per file, sorted by name."""
    if plan.checksum_disabled:
        return None
    if plan.checksum_algorithm != "sha256":
        raise errors.BadInput(
            f"checksum algorithm {plan.checksum_algorithm!r} is not one kstasks computes", "Use sha256."
        )
    name = templates.render(plan.checksum_name, version_fields(plan, version), what="checksum name_template")
    lines = sorted((f.name, f"{sha256_file(f)}  {f.name}\n") for f in files)
    path = dist / name
    path.write_text("".join(line for _, line in lines))
    return path
