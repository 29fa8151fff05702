"""What each generation step reads and where it writes: the inputs of its cache key.

- controller-gen (crd, rbac, webhook, object in one run, as ``paths=`` is the same for all):
  its arguments, the packages ``paths=`` names and every package inside the tree they import
  transitively (each package directory's files), go.mod/go.sum, the DeepCopy header file.
  Outputs: the CRD bases, ``config/rbac``, ``config/webhook`` and every
  ``zz_generated.deepcopy.go`` below the API directory.
- the CRD bundle: the whole kustomization directory (the CRD bases in it). A kustomization that
  refers outside its directory or to a remote resource is not keyed. Output: the bundle file.
- the client generators: the whole API directory, every package inside the tree the API
  packages import, go.mod/go.sum, the client header file, code-generator's version and how it
  is run. Output: the generated directory.
- import order: per file (:class:`~kstasks.codegen.stepcache.FileVerdicts`), with the rules.

Everything else (tool versions, toolchains, settings, go, kstasks) is in every key
(:meth:`~kstasks.codegen.stepcache.StepCache.common`). None: not keyable, the step runs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from kstasks.codegen import gopkgs
from kstasks.codegen.controllergen import controller_gen_arguments
from kstasks.codegen.layout import Layout, relative_source
from kstasks.codegen.stamp import CONTROLLER_GEN_DEFAULT_OUTPUTS
from kstasks.codegen.stepcache import Outputs, StepCache
from kstasks.core import digests

Parts = list[tuple[str, str]]

DEEPCOPY_FILE = "zz_generated.deepcopy.go"


def _files(root: Path, *relative: str) -> Parts:
    return [(f"file:{name}", digests.file_digest(root / name)) for name in relative]


def _local_packages(cache: StepCache, root: Path, layout: Layout) -> Parts | None:
    dirs = gopkgs.local_deps(root, [relative_source(layout)], cache.common(), cache.directory)
    if dirs is None:
        return None
    return [(f"package:{d}", digests.dir_digest(root, d)) for d in dirs]


def controller_gen(
    cache: StepCache, root: Path, layout: Layout, generators: tuple[str, ...], version: str
) -> tuple[Parts | None, Outputs]:
    """controller-gen's key inputs for ``generators`` and its output locations."""
    dirs = []
    if "crd" in generators:
        dirs.append(layout.crd_bases_dir)
    if "rbac" in generators:
        dirs.append(CONTROLLER_GEN_DEFAULT_OUTPUTS[0])
    if "webhook" in generators:
        dirs.append(CONTROLLER_GEN_DEFAULT_OUTPUTS[1])
    named = ((layout.api_dir, DEEPCOPY_FILE),) if "object" in generators else ()
    outputs = Outputs(dirs=tuple(d.strip("/") for d in dirs), named=named)
    packages = _local_packages(cache, root, layout)
    if packages is None:
        return None, outputs
    parts = [
        ("args", json.dumps(controller_gen_arguments(layout, generators))),
        ("version", version),
        *_files(root, "go.mod", "go.sum", layout.object_header),
        *packages,
    ]
    return parts, outputs


_OUTSIDE = re.compile(r"\.\./|://|^\s*-\s*(github\.com|gitlab\.com|bitbucket\.org)/", re.MULTILINE)


def crd_bundle(root: Path, layout: Layout, version: str) -> tuple[Parts | None, Outputs]:
    """The CRD bundle's key inputs (kustomize mode) and its output; not keyed when copying or
    when a kustomization refers outside its directory."""
    outputs = (
        Outputs(files=(layout.crd_bundle,))
        if layout.crd_bundle_mode == "kustomize"
        else Outputs(dirs=(layout.crd_files_dir.strip("/"),))
    )
    if layout.crd_bundle_mode != "kustomize":
        return None, outputs
    base = root / layout.crd_kustomization_dir
    for relative in digests.walk(base, ()) if base.is_dir() else ():
        if relative.rsplit("/", 1)[-1].lower() in (
            "kustomization.yaml",
            "kustomization.yml",
            "kustomization",
        ):
            try:
                text = (base / relative).read_text(errors="replace")
            except OSError:
                return None, outputs
            if _OUTSIDE.search(text):
                return None, outputs
    parts = [
        ("version", version),
        ("kustomization", digests.dir_digest(root, layout.crd_kustomization_dir, recursive=True)),
    ]
    return parts, outputs


def clients(
    cache: StepCache, root: Path, layout: Layout, version: str, how: str
) -> tuple[Parts | None, Outputs]:
    """The client generators' key inputs and their output directory."""
    outputs = Outputs(dirs=(layout.generated_dir.strip("/"),))
    packages = _local_packages(cache, root, layout)
    if packages is None:
        return None, outputs
    parts = [
        ("version", version),
        ("how", how),
        ("api", digests.dir_digest(root, layout.api_dir, recursive=True)),
        *_files(root, "go.mod", "go.sum", layout.client_header),
        *packages,
    ]
    return parts, outputs
