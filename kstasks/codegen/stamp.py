"""Skip a regeneration whose inputs and outputs are exactly as the last run left them.

After a successful all-generated, a digest of every file generation reads or writes (the API
sources and DeepCopy files, go.mod/go.sum, the boilerplate files, config/crd with the CRD
bases, the CRD bundle, config/rbac and config/webhook, pkg/generated, and every Go file,
which the imports step may rewrite) together with the settings, tool versions, the Go
version and kstasks' own version is recorded outside the checkout. The next run computes the
same digest and skips when it matches: change any byte of any of those files, or any
setting, and generation runs -- each step then skipped on its own when what it reads is
unchanged (:mod:`kstasks.codegen.stepcache`; ``--force`` runs every step).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from kstasks import __version__
from kstasks.codegen import stepcache
from kstasks.codegen.layout import Layout
from kstasks.core import digests, output, paths
from kstasks.core.context import dry_run
from kstasks.project.repo import Checkout
from kstasks.toolchain import golang

CONTROLLER_GEN_DEFAULT_OUTPUTS = ("config/rbac", "config/webhook")
_SKIPPED_DIRS = {".git", "vendor", "node_modules"}


def stamp_dir() -> Path:
    """Where digests are kept: ``$XDG_CACHE_HOME/kstasks/stamps``."""
    return paths.cache_dir(paths.STAMPS)


def _stamp_file(checkout: Checkout) -> Path:
    key = hashlib.sha256(str(checkout.root).encode()).hexdigest()[:24]
    return stamp_dir() / f"all-generated-{key}.json"


def generation_files(checkout: Checkout, layout: Layout) -> Iterator[str]:
    """Relative paths of every file that generation reads or writes, each once, sorted."""
    root = checkout.root
    whole_dirs = [
        layout.api_dir,
        layout.crd_kustomization_dir,
        layout.generated_dir,
        os.path.dirname(layout.crd_bundle),
        layout.crd_files_dir,
        *CONTROLLER_GEN_DEFAULT_OUTPUTS,
    ]
    chosen = {"go.mod", "go.sum", layout.object_header, layout.client_header, layout.crd_bundle}
    prefixes = tuple(d.strip("/") + "/" for d in whole_dirs if d)
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = [d for d in subdirs if d not in _SKIPPED_DIRS]
        relative_dir = os.path.relpath(directory, root)
        for name in files:
            relative = name if relative_dir == "." else f"{relative_dir}/{name}"
            if name.endswith(".go") or relative in chosen or relative.startswith(prefixes):
                yield relative.replace(os.sep, "/")


def fingerprint(checkout: Checkout, layout: Layout, settings: Mapping[str, Any]) -> str:
    """The digest of everything a regeneration depends on or produces."""
    digest = hashlib.sha256()
    go = golang.go_binary()
    context = {
        "kstasks": __version__,
        "kstasks-code": digests.kstasks_digest(),
        "go": golang.installed_go_version(go),
        "settings": settings,
    }
    digest.update(json.dumps(context, sort_keys=True, default=str).encode())
    for relative in sorted(set(generation_files(checkout, layout))):
        path = checkout.root / relative
        digest.update(relative.encode() + b"\0")
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            digest.update(b"unreadable")
    return digest.hexdigest()


def is_current(checkout: Checkout, value: str) -> bool:
    """Whether ``value`` is the digest the last successful run recorded for this checkout."""
    try:
        recorded = json.loads(_stamp_file(checkout).read_text())
    except (OSError, ValueError):
        return False
    return recorded.get("root") == str(checkout.root) and recorded.get("digest") == value


def record(checkout: Checkout, value: str) -> None:
    """Remember ``value`` as this checkout's digest after a successful run."""
    path = _stamp_file(checkout)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"root": str(checkout.root), "digest": value}))


def run_unless_current(
    checkout: Checkout,
    layout: Layout,
    settings: Mapping[str, Any],
    generate: Callable[[Checkout], None],
    *,
    force: bool = False,
) -> bool:
    """Run ``generate`` unless nothing changed since its last successful run; whether it ran."""
    if not force and is_current(checkout, fingerprint(checkout, layout, settings)):
        output.say(
            "all-generated: nothing it reads or writes changed since its last run here; skipped "
            "(--force regenerates)"
        )
        return False
    steps = (
        None
        if force
        else stepcache.StepCache(paths.cache_dir(paths.VERIFIED), {"layout": repr(layout), **settings})
    )
    with stepcache.active(steps):
        generate(checkout)
    if not dry_run():
        record(checkout, fingerprint(checkout, layout, settings))
    return True
