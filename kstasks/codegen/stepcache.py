"""Per-step results of code generation and the checks, keyed by exactly what each step reads.

A step (controller-gen, the CRD bundle, the client generators, a module check) has a key: a
digest of the step's name and arguments, of every input it reads, of the state of its output
locations before it runs (a generator that leaves stale files alone gives another result on
another starting state), and of the context shared by all steps -- kstasks' version, go's
version and platform, go's environment variables and every kstasks setting (tool versions and
toolchains among them). On a hit the step is not run: its recorded outputs are put in place,
and files it had deleted are deleted. On a miss it runs; if it wrote nothing outside its
declared output locations, the complete content of those locations is recorded under its key.

Entries are files in the verification cache (``verified/steps``), each with a checksum of its
content and the key it was recorded for: an entry that is truncated, corrupt, of another
format or for another key is a miss (and removed), never a replay. The directory has a size
bound (``KSTASKS_CACHE_MAX_MB``, 512 by default); the entries used longest ago go first.

Per-file verdicts (:class:`FileVerdicts`: "this content is left unchanged by the step") serve
the import order check, whose work is per file.
"""

from __future__ import annotations

import base64
import contextlib
import contextvars
import hashlib
import json
import os
import platform
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kstasks import __version__
from kstasks.core import context, digests, output, scratch
from kstasks.core.fsutil import read_entry, write_if_changed
from kstasks.toolchain import golang

FORMAT = "kstasks-step-cache-1"
_MAGIC = FORMAT.encode() + b"\n"
DEFAULT_MAX_MB = 512
GO_ENVIRONMENT = (
    "GOFLAGS",
    "GOPROXY",
    "GOPRIVATE",
    "GONOPROXY",
    "GONOSUMDB",
    "GONOSUMCHECK",
    "GOSUMDB",
    "GOTOOLCHAIN",
    "GOEXPERIMENT",
    "GOOS",
    "GOARCH",
    "GOWORK",
    "CGO_ENABLED",
    "GO111MODULE",
    "GOPATH",
)
"""Environment variables that change what go and the generators read or produce."""


@dataclass(frozen=True)
class Outputs:
    """Where a step writes, relative to the tree: whole directories, single files, and files of
    one name anywhere below a directory (controller-gen's ``zz_generated.deepcopy.go``)."""

    dirs: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    named: tuple[tuple[str, str], ...] = ()

    def contains(self, relative: str) -> bool:
        """Whether ``relative`` is in one of these locations."""
        if relative in self.files:
            return True
        if any(relative.startswith(d.strip("/") + "/") for d in self.dirs):
            return True
        name = relative.rsplit("/", 1)[-1]
        return any(
            name == wanted and relative.startswith(base.strip("/") + "/") for base, wanted in self.named
        )

    def state(self, root: Path) -> dict[str, bytes]:
        """The content of every file in these locations."""
        found: dict[str, bytes] = {}
        candidates = [*self.files]
        for base in (*self.dirs, *(base for base, _ in self.named)):
            if (root / base).is_dir():
                candidates += [f"{base.strip('/')}/{p}" for p in digests.walk(root / base, ())]
        for relative in candidates:
            path = root / relative
            if self.contains(relative) and path.is_file() and not path.is_symlink():
                found[relative] = path.read_bytes()
        return found

    def digest(self, root: Path) -> str:
        """A digest of :meth:`state` (names and contents)."""
        digest = hashlib.sha256()
        for relative, data in sorted(self.state(root).items()):
            digest.update(relative.encode() + b"\0" + hashlib.sha256(data).digest())
        return digest.hexdigest()


def _snapshot(root: Path) -> dict[str, tuple[int, int, int]]:
    """Every file's size, modification time and inode (what a write changes)."""
    found = {}
    for relative in digests.walk(root, (".git",)):
        try:
            st = os.lstat(root / relative)
        except OSError:
            continue
        found[relative] = (st.st_size, st.st_mtime_ns, st.st_ino)
    return found


def _scratch_path(relative: str) -> bool:
    """Inside a hidden scratch directory kstasks makes and removes (a tree swap's)."""
    return any(part.startswith(f".{scratch.PREFIX}") for part in relative.split("/"))


def _changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> set[str]:
    return {p for p in set(before) | set(after) if before.get(p) != after.get(p)}


def max_bytes() -> int:
    """The cache's size bound in bytes (``KSTASKS_CACHE_MAX_MB``)."""
    try:
        megabytes = float(os.environ.get("KSTASKS_CACHE_MAX_MB") or DEFAULT_MAX_MB)
    except ValueError:
        megabytes = DEFAULT_MAX_MB
    return max(0, int(megabytes * 1024 * 1024))


@dataclass
class StepCache:
    """The step entries below ``directory``, for runs with ``settings``."""

    directory: Path
    settings: Mapping[str, Any]
    ran: list[str] = field(default_factory=list)
    """``<step>: ran ...`` or ``<step>: replayed ...`` for each step of this process, in order."""
    _common: str = ""

    def common(self) -> str:
        """The digest of the context every step's key shares."""
        if not self._common:
            go = golang.go_binary()
            shared = {
                "format": FORMAT,
                "kstasks": __version__,
                "kstasks-code": digests.kstasks_digest(),
                "go": golang.installed_go_version(go),
                "platform": [platform.system(), platform.machine()],
                "env": {name: os.environ.get(name) for name in GO_ENVIRONMENT},
                "settings": self.settings,
            }
            self._common = hashlib.sha256(
                json.dumps(shared, sort_keys=True, default=str).encode()
            ).hexdigest()
        return self._common

    def note(self, step: str, status: str) -> None:
        """Say (and keep in :attr:`ran`) what became of ``step``: ``ran ...`` or ``replayed ...``."""
        self.ran.append(f"{step}: {status}")
        output.say(f"cache: {step}: {status}")

    def key(self, step: str, parts: Iterable[tuple[str, str]]) -> str:
        """The key of ``step`` from named input digests."""
        digest = hashlib.sha256(f"{self.common()}\0{step}\0".encode())
        for name, value in parts:
            digest.update(name.encode() + b"\0" + value.encode() + b"\0")
        return digest.hexdigest()

    def _entry(self, key: str) -> Path:
        return self.directory / "steps" / f"{key}.z"

    def lookup(self, step: str, key: str) -> dict[str, bytes | None] | None:
        """The recorded outputs (None: the file was absent) of ``step`` under ``key``, or None."""
        return read_entry(self._entry(key), lambda raw: _decode(raw, step, key))

    def store(self, step: str, key: str, files: Mapping[str, bytes | None]) -> None:
        """Record ``files`` as ``step``'s outputs under ``key``, then keep the directory in bound."""
        if context.dry_run():
            return
        write_if_changed(self._entry(key), _encode(step, key, files))
        evict(self.directory, max_bytes())

    def run(
        self,
        step: str,
        parts: list[tuple[str, str]] | None,
        outputs: Outputs,
        root: Path,
        call: Callable[[], Any],
        *,
        concurrent: Outputs | None = None,
    ) -> bool:
        """Run ``call`` (the step, writing below ``root``) unless its key hit; whether it ran.

        ``parts`` None: the step cannot be keyed safely, so it runs and nothing is recorded.
        ``outputs`` must hold every place it writes; the step's output locations' state before
        it runs is part of its key. ``concurrent``: where steps running at the same time write
        (their writes do not count as this step's).
        """
        if parts is None:
            call()
            self.note(step, "ran (its inputs cannot be keyed safely)")
            return True
        key = self.key(step, [*parts, ("outputs-before", outputs.digest(root))])
        recorded = self.lookup(step, key)
        if recorded is not None:
            replay(root, outputs, recorded)
            self.note(step, "replayed (nothing it reads changed)")
            return False
        before = _snapshot(root)
        started = time.monotonic()
        call()
        self.note(step, f"ran ({time.monotonic() - started:.1f}s)")
        others = concurrent or Outputs()
        stray = sorted(
            p
            for p in _changed(before, _snapshot(root))
            if not (outputs.contains(p) or others.contains(p) or _scratch_path(p))
        )
        if stray:
            output.detail(
                f"cache: {step}: not recorded, it wrote outside its outputs: {', '.join(stray[:5])}"
            )
            return True
        self.store(step, key, dict(outputs.state(root)))
        return True

    def known(self, step: str, parts: list[tuple[str, str]]) -> bool:
        """Whether ``step`` (a check without outputs) succeeded before under these inputs."""
        hit = self.lookup(step, self.key(step, parts)) is not None
        self.note(step, "replayed (nothing it reads changed)" if hit else "ran")
        return hit

    def remember(self, step: str, parts: list[tuple[str, str]]) -> None:
        """Record that ``step`` (a check without outputs) succeeded under these inputs."""
        self.store(step, self.key(step, parts), {})


def replay(root: Path, outputs: Outputs, recorded: Mapping[str, bytes | None]) -> None:
    """Make ``outputs`` below ``root`` hold exactly ``recorded``."""
    if context.dry_run():
        return
    for relative in set(outputs.state(root)) - set(recorded):
        (root / relative).unlink()
    for relative, data in recorded.items():
        if data is None:
            (root / relative).unlink(missing_ok=True)
        else:
            write_if_changed(root / relative, data)


def _encode(step: str, key: str, files: Mapping[str, bytes | None]) -> bytes:
    body = {
        "format": FORMAT,
        "step": step,
        "key": key,
        "files": {p: None if d is None else base64.b64encode(d).decode() for p, d in sorted(files.items())},
    }
    payload = zlib.compress(json.dumps(body, sort_keys=True).encode(), 6)
    return _MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload


def _decode(raw: bytes, step: str, key: str) -> dict[str, bytes | None] | None:
    """An entry's files, or None when it is not exactly an intact entry for ``step`` and ``key``."""
    if not raw.startswith(_MAGIC):
        return None
    checksum, _, payload = raw[len(_MAGIC) :].partition(b"\n")
    if hashlib.sha256(payload).hexdigest().encode() != checksum:
        return None
    try:
        body = json.loads(zlib.decompress(payload))
        if body.get("format") != FORMAT or body.get("step") != step or body.get("key") != key:
            return None
        files = {}
        for relative, data in body["files"].items():
            if not isinstance(relative, str) or relative.startswith("/") or ".." in relative.split("/"):
                return None
            files[relative] = None if data is None else base64.b64decode(data, validate=True)
        return files
    except (ValueError, TypeError, KeyError, AttributeError, zlib.error):
        return None


def evict(directory: Path, bound: int) -> list[Path]:
    """Remove the entries used longest ago until the directory's files total at most ``bound``
    bytes; the removed entries."""
    entries = []
    for path in directory.rglob("*"):
        with contextlib.suppress(OSError):
            if path.is_file():
                st = path.stat()
                entries.append((st.st_mtime_ns, st.st_size, path))
    total = sum(size for _, size, _ in entries)
    removed = []
    for _, size, path in sorted(entries, key=lambda e: (e[0], str(e[2]))):
        if total <= bound:
            break
        path.unlink(missing_ok=True)
        total -= size
        removed.append(path)
    return removed


class FileVerdicts:
    """Contents (by digest) that a per-file step leaves unchanged, under one context key."""

    LIMIT = 200_000

    def __init__(self, cache: StepCache, step: str, parts: list[tuple[str, str]]) -> None:
        self.cache, self.step = cache, step
        self.key = cache.key(step, parts)
        self.path = cache.directory / "files" / f"{step}-{self.key}.json"
        self.clean: dict[str, float] = self._read()
        self.added: set[str] = set()

    def _read(self) -> dict[str, float]:
        try:
            body = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        if not isinstance(body, dict) or body.get("key") != self.key or body.get("format") != FORMAT:
            return {}
        clean = body.get("clean")
        return (
            {k: v for k, v in clean.items() if isinstance(v, (int, float))} if isinstance(clean, dict) else {}
        )

    def is_clean(self, digest: str) -> bool:
        """Whether content with ``digest`` was left unchanged by the step before."""
        return digest in self.clean

    def add(self, digests: Iterable[str]) -> None:
        """Remember contents the step left unchanged."""
        now = time.time()
        for digest in digests:
            self.clean[digest] = now
            self.added.add(digest)

    def save(self) -> None:
        """Write the verdicts (merged with any written meanwhile), the newest ``LIMIT`` kept."""
        if context.dry_run() or not self.added:
            return
        merged = {**self._read(), **self.clean}
        kept = dict(sorted(merged.items(), key=lambda item: -item[1])[: self.LIMIT])
        body = {"format": FORMAT, "key": self.key, "clean": kept}
        write_if_changed(self.path, json.dumps(body, sort_keys=True).encode())
        evict(self.cache.directory, max_bytes())


_ACTIVE: contextvars.ContextVar[StepCache | None] = contextvars.ContextVar("kstasks_step_cache", default=None)


def current() -> StepCache | None:
    """The step cache of the running generation, if one is active."""
    return _ACTIVE.get()


@contextlib.contextmanager
def active(cache: StepCache | None) -> Iterator[StepCache | None]:
    """Make ``cache`` the step cache of generations run inside the block (None: none)."""
    token = _ACTIVE.set(cache)
    try:
        yield cache
    finally:
        _ACTIVE.reset(token)
