"""The version-reference graph: every place that refers to a published artifact's version.

One YAML file (``kstasks-versions.yaml`` in the checkout, else kstasks' default for the
v0.24.0 layout) declares the artifacts (images and charts) and the references to them: a
file with a YAML path, or a regular expression whose ``version`` group is the literal.
From it kstasks lists the references, checks that they agree, finds mentions nobody
declared, and edits the values for a release — and only the values: every other byte of
each file stays as it was.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from kstasks import runner
from kstasks.versions import ReleaseVersion, try_parse

SET_CHOICES = ("never", "release", "regular")
_PATH_PART_RE = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@dataclass(frozen=True)
class Artifact:
    """A published image or chart."""

    id: str
    kind: str
    name: str
    registry: str
    v_prefix: bool = False
    self_published: bool = False
    """Published by this repository's release (verify-release checks it)."""
    mention: str = ""
    """A regex (with a ``version`` group) for mentions of it anywhere; derived when empty."""

    def tag(self, version: ReleaseVersion) -> str:
        """The tag this artifact carries for ``version``."""
        return version.tag if self.v_prefix else version.text

    def mention_pattern(self) -> re.Pattern[str]:
        """How a versioned mention of this artifact looks in any file."""
        if self.mention:
            return re.compile(self.mention, re.MULTILINE)
        location = re.escape(f"{self.registry.removeprefix('oci://')}/{self.name}")
        version = r"""["']?(?P<version>v?\d+\.\d+\.\d+[\w.+-]*)"""
        if self.kind == "image":
            return re.compile(rf"{location}:{version}", re.MULTILINE)
        return re.compile(rf"{location}\b(?:[^\n]*\n){{0,2}}?[^\n]*?--version[\s=\-]*{version}", re.MULTILINE)


@dataclass(frozen=True)
class ReferenceSpec:
    """One declared reference: where a version literal of an artifact lives."""

    id: str
    artifact: str
    file: str
    yaml_path: str = ""
    pattern: str = ""
    set: str = "never"
    """What release-prepare does: never touch it, set it for every release, or only a regular one."""
    agree: str = ""
    """References with the same group must hold the same version; default: the artifact id."""
    v_prefix: bool | None = None
    """Whether this literal carries a ``v``; default: as the artifact's tags do."""

    @property
    def group(self) -> str:
        """The agreement group."""
        return self.agree or self.artifact


@dataclass(frozen=True)
class Occurrence:
    """A reference found in a file."""

    spec: ReferenceSpec
    file: str
    line: int
    start: int
    end: int
    value: str
    style: str = ""
    """The YAML quote style of the scalar (``'``, ``"`` or empty)."""


@dataclass
class Graph:
    """Artifacts and references, as declared."""

    artifacts: dict[str, Artifact]
    references: list[ReferenceSpec]
    scan_include: list[str] = field(default_factory=lambda: ["**"])
    scan_exclude: list[str] = field(default_factory=list)
    source: str = ""


def _fail(source: str, problem: str) -> runner.Exit:
    return runner.usage_error(f"{source}: {problem}", "Fix the version-reference graph file.")


def parse_graph(data: Mapping[str, Any], source: str) -> Graph:
    """A graph from its YAML data; exit 2 on anything malformed."""
    artifacts = {}
    for key, value in (data.get("artifacts") or {}).items():
        if value.get("kind") not in ("image", "chart"):
            raise _fail(source, f"artifact {key!r} needs kind: image or chart")
        artifacts[key] = Artifact(
            id=key,
            kind=value["kind"],
            name=str(value.get("name") or key),
            registry=str(value.get("registry", "")),
            v_prefix=bool(value.get("v_prefix", False)),
            self_published=bool(value.get("self", False)),
            mention=str(value.get("mention") or ""),
        )
    references = []
    for index, value in enumerate(data.get("references") or []):
        spec = ReferenceSpec(
            id=str(value.get("id") or f"reference-{index}"),
            artifact=str(value.get("artifact", "")),
            file=str(value.get("file", "")),
            yaml_path=str(value.get("yaml_path") or ""),
            pattern=str(value.get("pattern") or ""),
            set=str(value.get("set") or "never"),
            agree=str(value.get("agree") or ""),
            v_prefix=value.get("v_prefix"),
        )
        if spec.artifact not in artifacts:
            raise _fail(source, f"reference {spec.id!r} names unknown artifact {spec.artifact!r}")
        if not spec.file or bool(spec.yaml_path) == bool(spec.pattern):
            raise _fail(source, f"reference {spec.id!r} needs a file and exactly one of yaml_path or pattern")
        if spec.set not in SET_CHOICES:
            raise _fail(source, f"reference {spec.id!r}: set must be one of {', '.join(SET_CHOICES)}")
        if spec.pattern:
            try:
                if "version" not in re.compile(spec.pattern).groupindex:
                    raise _fail(source, f"reference {spec.id!r}: the pattern needs a (?P<version>...) group")
            except re.error as err:
                raise _fail(source, f"reference {spec.id!r}: bad pattern ({err})") from err
        references.append(spec)
    scan = data.get("scan") or {}
    return Graph(
        artifacts, references, list(scan.get("include") or ["**"]), list(scan.get("exclude") or []), source
    )


def load_graph(root: Path, name: str) -> Graph:
    """The checkout's graph file ``name``, else kstasks' default for the v0.24.0 layout."""
    import yaml

    path = root / name
    if path.is_file():
        text, source = path.read_text(), str(name)
    else:
        text = (resources.files("kstasks") / "data" / "versions-v0.24.0.yaml").read_text()
        source = "kstasks default graph (v0.24.0 layout)"
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as err:
        raise _fail(source, f"not valid YAML ({err})") from err
    return parse_graph(data, source)


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def _yaml_node(text: str, path: str) -> Any:
    """The composed YAML node at dotted ``path`` (``a.b[0].c``) of the first document, or None."""
    import yaml

    node = yaml.compose(text)
    for name, index in _PATH_PART_RE.findall(path):
        if node is None:
            return None
        if name:
            if not isinstance(node, yaml.MappingNode):
                return None
            node = next((value for key, value in node.value if key.value == name), None)
        else:
            if not isinstance(node, yaml.SequenceNode) or int(index) >= len(node.value):
                return None
            node = node.value[int(index)]
    return node if isinstance(node, yaml.ScalarNode) else None


class Missing(Exception):
    """A declared reference could not be found."""


def find(spec: ReferenceSpec, root: Path, cache: dict[str, str]) -> list[Occurrence]:
    """The occurrences of ``spec`` in its file; raises Missing when there are none."""
    path = root / spec.file
    if spec.file not in cache:
        if not path.is_file():
            raise Missing(f"{spec.file} does not exist")
        cache[spec.file] = path.read_text()
    text = cache[spec.file]
    if spec.yaml_path:
        node = _yaml_node(text, spec.yaml_path)
        if node is None:
            raise Missing(f"{spec.file} has no scalar at {spec.yaml_path}")
        start, end = node.start_mark.index, node.end_mark.index
        return [
            Occurrence(spec, spec.file, _line_of(text, start), start, end, str(node.value), node.style or "")
        ]
    found = [
        Occurrence(
            spec,
            spec.file,
            _line_of(text, m.start("version")),
            m.start("version"),
            m.end("version"),
            m["version"],
        )
        for m in re.finditer(spec.pattern, text, re.MULTILINE)
    ]
    if not found:
        raise Missing(f"{spec.file} has no match for the pattern of {spec.id}")
    return found


@dataclass
class Scan:
    """Every declared reference found, and those that were not."""

    occurrences: list[Occurrence]
    missing: list[tuple[ReferenceSpec, str]]
    texts: dict[str, str]


def scan(graph: Graph, root: Path) -> Scan:
    """Find every declared reference under ``root``."""
    texts: dict[str, str] = {}
    occurrences, missing = [], []
    for spec in graph.references:
        try:
            occurrences += find(spec, root, texts)
        except Missing as why:
            missing.append((spec, str(why)))
    return Scan(occurrences, missing, texts)


def expected_v(occurrence: Occurrence, graph: Graph) -> bool:
    """Whether this literal should carry a ``v``."""
    spec = occurrence.spec
    return graph.artifacts[spec.artifact].v_prefix if spec.v_prefix is None else bool(spec.v_prefix)


def _normalised(value: str) -> str:
    parsed = try_parse(value)
    return parsed.text if parsed else value


def problems(graph: Graph, root: Path, found: Scan, tracked: Iterable[str]) -> list[str]:
    """Everything wrong with the references, one sentence each."""
    issues = [f"{spec.id} ({graph.artifacts[spec.artifact].name}): {why}" for spec, why in found.missing]
    for occ in found.occurrences:
        where = f"{occ.file}:{occ.line}"
        if try_parse(occ.value) is None:
            issues.append(f"{where}: {occ.value!r} is not a valid version ({occ.spec.id})")
            continue
        has_v = occ.value[:1] in ("v", "V")
        if has_v != expected_v(occ, graph):
            wanted = "a v" if expected_v(occ, graph) else "no v"
            issues.append(f"{where}: {occ.value!r} should carry {wanted} ({occ.spec.id})")
    groups: dict[str, list[Occurrence]] = defaultdict(list)
    for occ in found.occurrences:
        groups[occ.spec.group].append(occ)
    for group, members in groups.items():
        values = {_normalised(occ.value) for occ in members}
        if len(values) > 1:
            listing = "; ".join(f"{occ.value} at {occ.file}:{occ.line}" for occ in members)
            issues.append(f"references to {group} disagree: {listing}")
    issues += [
        f"{file}:{line}: undeclared reference to {artifact} ({value}); declare it in the graph file"
        for file, line, artifact, value in undeclared(graph, root, found, tracked)
    ]
    return issues


def _scanned(graph: Graph, path: str) -> bool:
    included = any(fnmatch.fnmatch(path, pattern) for pattern in graph.scan_include)
    return included and not any(fnmatch.fnmatch(path, pattern) for pattern in graph.scan_exclude)


def undeclared(
    graph: Graph, root: Path, found: Scan, tracked: Iterable[str]
) -> list[tuple[str, int, str, str]]:
    """Versioned mentions of declared artifacts that no reference covers."""
    covered: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for occ in found.occurrences:
        covered[occ.file].append((occ.start, occ.end))
    patterns = [(artifact.id, artifact.mention_pattern()) for artifact in graph.artifacts.values()]
    results = []
    for path in tracked:
        if not _scanned(graph, path):
            continue
        text = found.texts.get(path)
        if text is None:
            try:
                raw = (root / path).read_bytes()
            except OSError:
                continue
            if b"\0" in raw[:8192] or len(raw) > 2_000_000:
                continue
            text = raw.decode(errors="replace")
        for artifact_id, pattern in patterns:
            for match in pattern.finditer(text):
                start, end = match.span("version")
                if not any(s <= start and end <= e for s, e in covered.get(path, [])):
                    results.append((path, _line_of(text, start), artifact_id, match["version"]))
    return results


def tracked_files(root: Path) -> list[str]:
    """Files git tracks below ``root`` (relative to it), or every file when git does not know it."""
    result = runner.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture=True,
        query=True,
        check=False,
        quiet=True,
    )
    if result.returncode == 0:
        return sorted(p for p in result.stdout.split("\0") if p)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and ".git" not in p.parts)


def table(graph: Graph, found: Scan) -> list[dict[str, Any]]:
    """One row a reference occurrence: artifact, where, value, and what release-prepare does."""
    rows = [
        {
            "artifact": graph.artifacts[occ.spec.artifact].name,
            "kind": graph.artifacts[occ.spec.artifact].kind,
            "reference": occ.spec.id,
            "file": occ.file,
            "line": occ.line,
            "value": occ.value,
            "channel": (try_parse(occ.value).channel if try_parse(occ.value) else "invalid"),  # type: ignore[union-attr]
            "set": occ.spec.set,
        }
        for occ in found.occurrences
    ]
    rows += [
        {
            "artifact": graph.artifacts[spec.artifact].name,
            "kind": graph.artifacts[spec.artifact].kind,
            "reference": spec.id,
            "file": spec.file,
            "line": None,
            "value": None,
            "channel": None,
            "set": spec.set,
            "missing": why,
        }
        for spec, why in found.missing
    ]
    return rows


def render_value(occ: Occurrence, value: str) -> str:
    """``value`` written as the literal it replaces was written (same quotes)."""
    if occ.style in ("'", '"'):
        return f"{occ.style}{value}{occ.style}"
    return value


def release_edits(graph: Graph, found: Scan, version: ReleaseVersion) -> dict[str, str]:
    """New contents of every file release-prepare changes for ``version``."""
    wanted = ("release", "regular") if not version.is_prerelease else ("release",)
    by_file: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for occ in found.occurrences:
        if occ.spec.set not in wanted:
            continue
        literal = version.tag if expected_v(occ, graph) else version.text
        by_file[occ.file].append((occ.start, occ.end, render_value(occ, literal)))
    edits = {}
    for file, spans in by_file.items():
        text = found.texts[file]
        for start, end, new in sorted(spans, reverse=True):
            text = text[:start] + new + text[end:]
        if text != found.texts[file]:
            edits[file] = text
    return edits


def unified_diff(found: Scan, edits: Mapping[str, str]) -> str:
    """The edits as a unified diff."""
    return "".join(
        "".join(
            difflib.unified_diff(
                found.texts[file].splitlines(keepends=True),
                text.splitlines(keepends=True),
                fromfile=f"a/{file}",
                tofile=f"b/{file}",
            )
        )
        for file, text in sorted(edits.items())
    )


_IMAGE_LINE_RE = re.compile(r"""^\s*-?\s*image:\s*["']?([^\s"'#]+)""", re.MULTILINE)
_VALUES_RE = re.compile(r"\{\{-?\s*\.Values\.(\w+)\s*-?\}\}")
HELM_CHART_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"


def images_in_chart(archive: bytes) -> list[str]:
    """Image references in a packaged chart's templates, ``{{ .Values.X }}`` filled from its values."""
    import io
    import tarfile

    import yaml

    texts: dict[str, str] = {}
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar.getmembers():
            parts = member.name.split("/")
            if member.isfile() and (parts[1:2] == ["templates"] or parts[1:] == ["values.yaml"]):
                handle = tar.extractfile(member)
                if handle is not None:
                    texts["/".join(parts[1:])] = handle.read().decode(errors="replace")
    values = yaml.safe_load(texts.get("values.yaml", "")) or {}
    found = []
    for name, text in texts.items():
        if not name.startswith("templates/"):
            continue
        for match in _IMAGE_LINE_RE.finditer(text):
            image = _VALUES_RE.sub(lambda m: str(values.get(m[1], m[0])), match[1])
            if "{{" not in image and image not in found:
                found.append(image)
    return found


def _image_artifact(graph: Graph, image: str) -> tuple[Artifact, str] | None:
    repository, _, tag = image.rpartition(":")
    for artifact in graph.artifacts.values():
        if artifact.kind == "image" and repository == f"{artifact.registry}/{artifact.name}":
            return artifact, tag
    return None


def verify_release(graph: Graph, version: ReleaseVersion, registry: Any | None) -> dict[str, Any]:
    """Check, over the registry API, what a release must have published; a report.

    ``registry`` (a registry Reference) stands in for the registry of every artifact this
    repository publishes. The report lists each artifact with its digest and its problems.
    """
    from kstasks.registry import Reference, Registry

    clients: dict[str, Registry] = {}

    def location(artifact: Artifact) -> Reference:
        return registry if registry is not None else Reference.parse(artifact.registry)

    def client(reference: Reference) -> Registry:
        if reference.host not in clients:
            clients[reference.host] = Registry(reference)
            clients[reference.host].ping()
        return clients[reference.host]

    entries = []
    for artifact in (a for a in graph.artifacts.values() if a.self_published):
        where = location(artifact)
        repository, tag = where.repository(artifact.name), artifact.tag(version)
        entry: dict[str, Any] = {
            "artifact": artifact.id,
            "kind": artifact.kind,
            "reference": f"{where}/{artifact.name}:{tag}",
            "digest": None,
            "problems": [],
            "images": [],
        }
        entries.append(entry)
        manifest = client(where).manifest(repository, tag)
        if manifest is None:
            entry["problems"].append(f"{entry['reference']} is missing")
            continue
        entry["digest"] = manifest.digest
        if artifact.kind == "chart":
            _check_chart(graph, version, client(where), repository, manifest.body, entry, location, client)
    problems_found = [problem for entry in entries for problem in entry["problems"]]
    return {
        "version": version.text,
        "ok": not problems_found,
        "problems": problems_found,
        "artifacts": entries,
    }


def _check_chart(
    graph: Graph,
    version: ReleaseVersion,
    remote: Any,
    repository: str,
    body: dict[str, Any],
    entry: dict[str, Any],
    location: Any,
    client: Any,
) -> None:
    import json

    config = json.loads(remote.blob(repository, body["config"]["digest"]))
    for key in ("version", "appVersion"):
        if str(config.get(key)) != version.text:
            entry["problems"].append(
                f"{entry['reference']}: {key} is {config.get(key)!r}, expected {version.text!r}"
            )
    layer = next(
        (layer for layer in body.get("layers", []) if layer.get("mediaType") == HELM_CHART_LAYER), None
    )
    if layer is None:
        entry["problems"].append(f"{entry['reference']} has no chart content layer")
        return
    for image in images_in_chart(remote.blob(repository, layer["digest"])):
        known = _image_artifact(graph, image)
        if known is None or not known[0].self_published:
            entry["images"].append({"image": image, "checked": False})
            continue
        artifact, tag = known
        where = location(artifact)
        found = client(where).manifest(where.repository(artifact.name), tag)
        entry["images"].append({"image": image, "checked": True, "digest": found.digest if found else None})
        if found is None:
            entry["problems"].append(
                f"{entry['reference']} refers to {image}, which is missing ({where}/{artifact.name}:{tag})"
            )


def verify_versions(graph: Graph, root: Path, found: Scan) -> None:
    """Exit 1 naming each problem, or say that the references agree."""
    issues = problems(graph, root, found, tracked_files(root))
    if issues:
        raise runner.stop(
            f"{len(issues)} version reference problem(s)",
            f"Fix the literals (or the graph, {graph.source}), then run verify-versions again.",
            details="\n".join(f"  - {issue}" for issue in issues),
        )
    runner.say(
        f"verify-versions: {len(found.occurrences)} references to {len(graph.artifacts)} artifacts agree"
    )


def format_table(rows: list[dict[str, Any]]) -> str:
    """``versions``' table: artifact, file:line, value, channel, what release-prepare does."""
    lines = [f"{'ARTIFACT':32} {'WHERE':52} {'VALUE':14} {'CHANNEL':8} SET"]
    for row in rows:
        where = f"{row['file']}:{row['line']}" if row["line"] else f"{row['file']} (missing)"
        lines.append(
            f"{row['artifact']:32} {where:52} {row['value'] or '-':14} {row['channel'] or '-':8} {row['set']}"
        )
    return "\n".join(lines)


def prepare_release(graph: Graph, root: Path, version: ReleaseVersion, *, dry_run: bool = False) -> None:
    """Set every literal the release document asks for to ``version``, then verify the references.

    With ``dry_run`` the diff is printed and nothing is written. A reference that cannot be found
    stops it before any edit.
    """
    found = scan(graph, root)
    if found.missing:
        verify_versions(graph, root, found)
    edits = release_edits(graph, found, version)
    if dry_run or runner.options.dry:
        print(unified_diff(found, edits), end="")
        return
    for file, text in edits.items():
        (root / file).write_text(text)
        runner.say(f"release-prepare: {file} updated for {version.text}")
    if not edits:
        runner.say(f"release-prepare: nothing to change for {version.text}")
    verify_versions(graph, root, scan(graph, root))


def check_release(
    graph: Graph, version: ReleaseVersion, registry: Any | None, report: Path
) -> dict[str, Any]:
    """verify_release, with its JSON report written to ``report``; exit 1 listing every problem."""
    import json

    result = verify_release(graph, version, registry)
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps(result, indent=2) + "\n")
    for entry in result["artifacts"]:
        print(f"{entry['reference']}@{entry['digest'] or 'MISSING'}")
    if not result["ok"]:
        raise runner.stop(
            f"release {version.text} is incomplete or wrong (report: {report})",
            "Publish what is missing, then run verify-release again.",
            details="\n".join(f"  - {problem}" for problem in result["problems"]),
        )
    runner.say(f"verify-release: release {version.text} is complete (report: {report})")
    return result
