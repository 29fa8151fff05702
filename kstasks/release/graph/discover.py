"""Discovery: a graph for a checkout that has none, read from its own files."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from kstasks.core import context, fsutil, output
from kstasks.release.graph.catalogue import catalogue, detected_references, is_historical
from kstasks.release.graph.check import problems, undeclared
from kstasks.release.graph.model import Artifact, Problem, ReferenceSpec
from kstasks.release.graph.parse import bundled_graph, layout_matches, parse_graph
from kstasks.release.graph.scan import scan, tracked_files

_HEADER = """\
# The version-reference graph of this checkout, written by `kstasks versions --discover` (or
# `kstasks init`) for the maintainer to review: the published artifacts this checkout refers to,
# and every place a version of one is written (chart values, post-create hooks, scripts, docs
# config). References kstasks knows from KubeStellar's releases come first; then one reference
# per file and artifact for the other versioned mentions it found. Review those: a mention of an
# artifact this repository publishes is marked `set: release` (release-prepare will change it);
# where a version is quoted on purpose, delete the reference and add its file to scan.exclude.
#
# references[].set: what `release-prepare VERSION` does to the literal: never touch it, set it
# for every release (release), or only for a regular (non-rc) release (regular).
# references[].agree: references with the same group must hold the same version (default: the
# artifact). A reference's v_prefix overrides the artifact's where a template adds the v.
"""


_RULES_HEADER = """\
# rules[]: relations between artifacts' versions that verify-versions checks for every live,
# pinned pair: eq, le (left <= right), same-minor (MAJOR.MINOR), k8s-minor (client-go 0.X is
# Kubernetes 1.X). Loosen or delete one where this repository means otherwise.
"""


_KNOWN_HEADER = """\

# Problems this checkout already had when the graph was written. verify-versions lists them as
# warnings and fails on any other (or when one of these changes). Fill in each reason; delete an
# entry once it is fixed (verify-versions says when).
"""


RELEASE_GROUP = "kubestellar-release"


def _discovered_reference(artifact: Artifact, file: str, taken: set[str]) -> dict[str, Any]:
    stem = re.sub(r"[^a-z0-9]+", "-", Path(file).with_suffix("").as_posix().lower()).strip("-")
    base = f"{stem}-{artifact.id}"
    ident, n = base, 2
    while ident in taken:
        ident, n = f"{base}-{n}", n + 1
    taken.add(ident)
    entry: dict[str, Any] = {"id": ident, "artifact": artifact.id, "file": file}
    entry["pattern"] = artifact.mention_pattern().pattern  # type: ignore[union-attr]
    if artifact.self_published:
        entry.update({"set": "release", "agree": RELEASE_GROUP})
    return entry


def _artifact_data(artifact: Artifact) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": artifact.kind}
    if artifact.name != artifact.id:
        data["name"] = artifact.name
    data["registry"] = artifact.registry
    if artifact.v_prefix:
        data["v_prefix"] = True
    if artifact.self_published:
        data["self"] = True
    if artifact.mention:
        data["mention"] = artifact.mention
    if artifact.family:
        data["family"] = artifact.family
    if artifact.agree_on != "exact":
        data["agree_on"] = artifact.agree_on
    if artifact.loose:
        data["loose"] = True
    if artifact.published:
        data["published"] = dict(artifact.published)
    return data


def _reference_data(spec: ReferenceSpec) -> dict[str, Any]:
    data: dict[str, Any] = {"id": spec.id, "artifact": spec.artifact, "file": spec.file}
    data.update({"yaml_path": spec.yaml_path} if spec.yaml_path else {"pattern": spec.pattern})
    if spec.set != "never":
        data["set"] = spec.set
    if spec.agree:
        data["agree"] = spec.agree
    if spec.v_prefix is not None:
        data["v_prefix"] = spec.v_prefix
    for flag in ("historical", "unpinned"):
        if getattr(spec, flag):
            data[flag] = True
    if spec.form != "plain":
        data["form"] = spec.form
    return data


def discovered_data(root: Path) -> dict[str, Any]:
    """The graph data for the checkout at ``root``, found from kstasks' catalogue.

    On v0.24.0's layout the bundled v0.24.0 graph's references come first. Then every literal a
    detector of the catalogue finds (one reference per file and detector; a literal an earlier
    reference has is not repeated); then every other versioned mention of a catalogue image or
    chart in the files the scan covers, one reference per file and artifact. References in
    historical pages are marked ``historical``.
    """
    cat = catalogue()
    tracked = tracked_files(root)
    bundled = bundled_graph()
    references = [] if not layout_matches(bundled, root) else [_reference_data(s) for s in bundled.references]
    taken = {entry["id"] for entry in references}
    references += detected_references(root, tracked, taken)
    base = {
        "artifacts": dict(cat.data["artifacts"]),
        "rules": list(cat.data.get("rules") or []),
        "historical": cat.historical,
        "scan": {"include": ["**"], "exclude": cat.exclude},
    }
    interim = parse_graph({**base, "references": references}, "kstasks' version catalogue")
    found = scan(interim, root)
    shadowed = set(found.shadowed)
    references = [entry for entry in references if entry["id"] not in shadowed]
    mentioned = sorted(
        {(file, artifact) for file, _, artifact, _ in undeclared(interim, root, found, tracked)}
    )
    references += [
        _discovered_reference(interim.artifacts[artifact], file, taken) for file, artifact in mentioned
    ]
    for entry in references:
        if is_historical(entry["file"], cat.historical):
            entry["historical"] = True
    used = {entry["artifact"] for entry in references}
    graph = parse_graph({**base, "references": references}, "kstasks' version catalogue")
    return {
        "artifacts": {
            key: _artifact_data(a)
            for key, a in graph.artifacts.items()
            if key in used or (a.self_published and _layout_has(root, cat.data["artifacts"][key]))
        },  # verify-release checks what the release publishes
        "references": references,
        "rules": [r for r in base["rules"] if r["left"] in used and r["right"] in used],
        "historical": cat.historical,
        "scan": base["scan"],
    }


def _layout_has(root: Path, entry: Mapping[str, Any]) -> bool:
    """Whether the checkout publishes a catalogue artifact (its ``when: {exists: PATH}``)."""
    path = (entry.get("when") or {}).get("exists")
    return not path or (root / path).exists()


def render(data: Mapping[str, Any], known: Iterable[Problem] = ()) -> str:
    """Graph data as the file kstasks writes: commented, then each known problem with a reason line."""
    import json

    import yaml

    def dump(part: Mapping[str, Any]) -> str:
        return yaml.safe_dump(dict(part), sort_keys=False, default_flow_style=False, width=10_000)

    text = _HEADER + dump({"artifacts": data["artifacts"]}) + "\n" + dump({"references": data["references"]})
    if data.get("rules"):
        text += "\n" + _RULES_HEADER + dump({"rules": data["rules"]})
    if data.get("historical"):
        text += "\n" + dump({"historical": data["historical"]})
    text += "\n" + dump({"scan": data["scan"]})
    entries = list(known)
    if entries:
        text += _KNOWN_HEADER + "known:\n"
        for problem in entries:
            text += f"- problem: {json.dumps(problem.key, ensure_ascii=False)}\n"
            text += "  reason: ''  # why this is acceptable for now\n"
    return text


def discover(root: Path) -> str:
    """The text of a graph for the checkout at ``root`` (no known problems recorded)."""
    return render(discovered_data(root))


def discovered_graph(root: Path, name: str) -> tuple[str, int, int]:
    """The text of the graph discovered for the checkout at ``root`` (to be written as ``name``),
    today's problems recorded as known; with its numbers of references and known problems."""
    data = discovered_data(root)
    graph = parse_graph(data, name)
    issues = problems(graph, root, scan(graph, root), tracked_files(root))
    return render(data, issues), len(graph.references), len(issues)


def write_discovered(root: Path, name: str, *, force: bool = False) -> Path | None:
    """Write the discovered graph into ``root/name``, recording today's problems as known.

    An existing file is kept (None is returned) unless ``force``; under dry-run nothing is
    written either (:func:`discovered_graph` is what would be). The path written otherwise.
    """
    path = root / name
    if path.exists() and not force:
        output.say(f"versions: {name} exists; kept as it is")
        return None
    if context.dry_run():
        return None
    text, references, known = discovered_graph(root, name)
    fsutil.write_if_changed(path, text.encode())
    output.say(f"versions: wrote {name} ({references} references, {known} known problem(s))")
    return path
