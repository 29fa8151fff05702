"""The version-reference graph: every place that refers to a published artifact's version.

One YAML file (``kstasks-versions.yaml`` in the checkout) declares the artifacts (images and
charts) and the references to them: a file with a YAML path, or a regular expression whose
``version`` group is the literal. A checkout without one gets kstasks' bundled v0.24.0 graph
when its layout is v0.24.0's (every reference of that graph is found), else a graph discovered
from the checkout itself (:func:`discover`). From it kstasks lists the references, checks that
they agree, finds mentions nobody declared, and edits the values for a release — and only the
values: every other byte of each file stays as it was. Disagreements recorded as ``known`` (the
ones a checkout had when its graph was written) are warnings, not failures.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

from kstasks import fsutil, runner
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
        """The registry tag this artifact carries for ``version`` (build metadata's ``+`` as ``_``)."""
        return f"v{version.registry_tag}" if self.v_prefix else version.registry_tag

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


@dataclass(frozen=True)
class Known:
    """A problem the checkout had when its graph was written, accepted for a reason."""

    problem: str
    reason: str = ""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the references.

    ``text`` names files and lines; ``key`` is the same without line numbers, so a known
    problem stays known when unrelated edits move it.
    """

    text: str
    key: str

    def __str__(self) -> str:
        return self.text


@dataclass
class Graph:
    """Artifacts and references, as declared."""

    artifacts: dict[str, Artifact]
    references: list[ReferenceSpec]
    scan_include: list[str] = field(default_factory=lambda: ["**"])
    scan_exclude: list[str] = field(default_factory=list)
    source: str = ""
    known: list[Known] = field(default_factory=list)
    file: str = ""
    """The checkout's graph file it was read from; empty for a bundled or discovered graph."""


def _fail(source: str, problem: str) -> runner.Exit:
    return runner.usage_error(f"{source}: {problem}", "Fix the version-reference graph file.")


def parse_graph(data: Mapping[str, Any], source: str) -> Graph:
    """A graph from its YAML data; exit 2 on anything malformed."""
    try:
        return _parse_graph(data, source)
    except (AttributeError, TypeError, ValueError) as err:  # a list or number where a mapping belongs
        raise _fail(source, f"malformed ({type(err).__name__}: {str(err)[:80]})") from err


def _outside(file: str) -> bool:
    """Whether a reference's file is absolute or climbs out of the checkout."""
    path = PurePosixPath(file)
    return path.is_absolute() or ".." in path.parts


def _parse_graph(data: Mapping[str, Any], source: str) -> Graph:
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
        if _outside(spec.file):
            raise _fail(source, f"reference {spec.id!r}: {spec.file[:80]!r} is outside the checkout")
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
    known = []
    for index, value in enumerate(data.get("known") or []):
        if not isinstance(value, Mapping) or not str(value.get("problem") or "").strip():
            raise _fail(source, f"known entry {index + 1} needs a 'problem:' text")
        known.append(Known(str(value["problem"]), str(value.get("reason") or "")))
    scan = data.get("scan") or {}
    return Graph(
        artifacts,
        references,
        list(scan.get("include") or ["**"]),
        list(scan.get("exclude") or []),
        source,
        known,
    )


BUNDLED = "versions-v0.24.0.yaml"
"""kstasks' graph of KubeStellar v0.24.0, also the catalogue discovery starts from."""


def _parse_text(text: str, source: str) -> Graph:
    import yaml

    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as err:
        raise _fail(source, f"not valid YAML ({err})") from err
    if not isinstance(data, Mapping):
        raise _fail(source, "not a mapping of artifacts, references and scan")
    return parse_graph(data, source)


def bundled_graph() -> Graph:
    """kstasks' graph of the KubeStellar v0.24.0 layout."""
    text = (resources.files("kstasks") / "data" / BUNDLED).read_text()
    return _parse_text(text, "kstasks' bundled v0.24.0 graph")


def layout_matches(graph: Graph, root: Path) -> bool:
    """Whether every reference of ``graph`` is found in the checkout (its layout is the graph's)."""
    return not scan(graph, root).missing


def load_graph(root: Path, name: str) -> Graph:
    """The graph for the checkout at ``root``; its ``source`` says which one.

    The checkout's own file ``name`` when it has one; else kstasks' bundled v0.24.0 graph if the
    checkout has that layout; else the graph :func:`discover` finds in the checkout (not written).
    """
    path = root / name
    if path.is_file():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as err:
            raise _fail(str(name), "not UTF-8 text") from err
        graph = _parse_text(text, str(name))
        graph.file = str(name)
        return graph
    bundled = bundled_graph()
    if layout_matches(bundled, root):
        bundled.source = (
            f"kstasks' bundled v0.24.0 graph (this checkout has no {name}; its layout is v0.24.0's)"
        )
        return bundled
    return _parse_text(
        discover(root),
        f"discovered from this checkout (it has no {name} and not the v0.24.0 layout; "
        "`versions --discover` writes it for review)",
    )


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


def _problem(file: str, line: int | None, rest: str) -> Problem:
    where = f"{file}:{line}" if line else file
    return Problem(f"{where}: {rest}", f"{file}: {rest}")


def _disagreement(group: str, members: list[Occurrence]) -> Problem:
    text = "; ".join(f"{occ.value} at {occ.file}:{occ.line}" for occ in members)
    by_value: dict[str, list[str]] = defaultdict(list)
    for occ in members:
        if occ.file not in by_value[occ.value]:
            by_value[occ.value].append(occ.file)
    key = "; ".join(f"{value} in {', '.join(files)}" for value, files in by_value.items())
    return Problem(f"references to {group} disagree: {text}", f"references to {group} disagree: {key}")


def _by_place(occurrences: Iterable[Occurrence]) -> list[Occurrence]:
    return sorted(occurrences, key=lambda occ: (occ.file, occ.line, occ.start))


def problems(graph: Graph, root: Path, found: Scan, tracked: Iterable[str]) -> list[Problem]:
    """Everything wrong with the references, one sentence each (by file, then line)."""
    issues = [
        Problem(text, text)
        for text in (
            f"{spec.id} ({graph.artifacts[spec.artifact].name}): {why}" for spec, why in found.missing
        )
    ]
    occurrences = _by_place(found.occurrences)
    for occ in occurrences:
        if try_parse(occ.value) is None:
            issues.append(
                _problem(occ.file, occ.line, f"{occ.value!r} is not a valid version ({occ.spec.id})")
            )
            continue
        has_v = occ.value[:1] in ("v", "V")
        if has_v != expected_v(occ, graph):
            wanted = "a v" if expected_v(occ, graph) else "no v"
            issues.append(
                _problem(occ.file, occ.line, f"{occ.value!r} should carry {wanted} ({occ.spec.id})")
            )
    groups: dict[str, list[Occurrence]] = defaultdict(list)
    for occ in occurrences:
        groups[occ.spec.group].append(occ)
    for group, members in groups.items():
        if len({_normalised(occ.value) for occ in members}) > 1:
            issues.append(_disagreement(group, members))
    issues += [
        _problem(file, line, f"undeclared reference to {artifact} ({value}); declare it in the graph file")
        for file, line, artifact, value in sorted(undeclared(graph, root, found, tracked))
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
        for occ in _by_place(found.occurrences)
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
        for spec, why in sorted(found.missing, key=lambda missing: missing[0].file)
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


@dataclass
class Verdict:
    """Problems split by the graph's known list."""

    new: list[Problem]
    known: list[tuple[Problem, Known]]
    gone: list[Known]
    changed: dict[str, Known]
    """New problems' keys -> the known entry each replaces (same subject, other values)."""


def _subject(key: str) -> str:
    return key.split(":", 1)[0]


def judge(graph: Graph, issues: list[Problem]) -> Verdict:
    """Which problems are new, which are known, and which known ones are gone or changed."""
    known = {entry.problem.strip(): entry for entry in graph.known}
    present = {issue.key for issue in issues}
    new = [issue for issue in issues if issue.key not in known]
    missing = [entry for key, entry in known.items() if key not in present]
    changed = {}
    for issue in new:
        previous = next((e for e in missing if _subject(e.problem) == _subject(issue.key)), None)
        if previous is not None:
            changed[issue.key] = previous
            missing.remove(previous)
    return Verdict(
        new=new,
        known=[(issue, known[issue.key]) for issue in issues if issue.key in known],
        gone=missing,
        changed=changed,
    )


def verify_versions(graph: Graph, root: Path, found: Scan) -> None:
    """Exit 1 naming each new problem; known ones are warnings, fixed known ones can go."""
    verdict = judge(graph, problems(graph, root, found, tracked_files(root)))
    for issue, entry in verdict.known:
        reason = entry.reason.strip() or "no reason given yet"
        runner.warn(f"known version disagreement ({reason}): {issue.text}")
    for entry in verdict.gone:
        where = graph.file or graph.source
        runner.warn(f"a known problem is gone; its entry in {where} can go: {entry.problem}")
    if verdict.new:
        raise runner.stop(
            f"{len(verdict.new)} version reference problem(s)",
            f"Fix the literals (or the graph, {graph.file}), then run verify-versions again."
            if graph.file
            else "Fix the literals, or record them in a graph of the checkout's own "
            "(`kstasks versions --discover`), then run verify-versions again.",
            details="\n".join(
                f"  - {issue.text}"
                + (
                    f" (it was known as: {verdict.changed[issue.key].problem})"
                    if issue.key in verdict.changed
                    else ""
                )
                for issue in verdict.new
            ),
        )
    apart = f", apart from {len(verdict.known)} known problem(s)" if verdict.known else ""
    count = f"{len(found.occurrences)} references to {len(graph.artifacts)} artifacts"
    runner.say(f"verify-versions: {count} agree{apart}")


def graph_for(root: Path, name: str) -> Graph:
    """:func:`load_graph`, saying which graph it is (stderr)."""
    graph = load_graph(root, name)
    runner.say(f"version graph: {graph.source}")
    return graph


def verify_checkout(root: Path, name: str) -> None:
    """verify-versions for the checkout at ``root``: its graph (said which), scanned and judged."""
    graph = graph_for(root, name)
    verify_versions(graph, root, scan(graph, root))


def format_table(rows: list[dict[str, Any]]) -> str:
    """``versions``' table: artifact, file:line, value, channel, what release-prepare does."""
    cells = [("ARTIFACT", "WHERE", "VALUE", "CHANNEL", "SET")] + [
        (
            str(row["artifact"]),
            f"{row['file']}:{row['line']}" if row["line"] else f"{row['file']} (missing)",
            str(row["value"] or "-"),
            str(row["channel"] or "-"),
            str(row["set"]),
        )
        for row in rows
    ]
    widths = [max(len(line[column]) for line in cells) for column in range(4)]
    return "\n".join(
        " ".join(cell.ljust(width) for cell, width in zip(line[:4], widths, strict=True)) + " " + line[4]
        for line in cells
    )


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
    entry["pattern"] = artifact.mention_pattern().pattern
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
    return data


def discovered_data(root: Path) -> dict[str, Any]:
    """The graph data for the checkout at ``root``, found from kstasks' catalogue.

    The catalogue is the bundled v0.24.0 graph: each of its references that the checkout has is
    kept; every other versioned mention of one of its artifacts (in the files the scan covers)
    becomes a reference of its own, one per file and artifact.
    """
    catalogue = bundled_graph()
    found = scan(catalogue, root)
    missing = {spec.id for spec, _ in found.missing}
    references = [_reference_data(spec) for spec in catalogue.references if spec.id not in missing]
    taken = {entry["id"] for entry in references}
    mentioned = sorted(
        {(file, artifact) for file, _, artifact, _ in undeclared(catalogue, root, found, tracked_files(root))}
    )
    references += [
        _discovered_reference(catalogue.artifacts[artifact], file, taken) for file, artifact in mentioned
    ]
    used = {entry["artifact"] for entry in references}
    return {
        "artifacts": {
            key: _artifact_data(a)
            for key, a in catalogue.artifacts.items()
            if key in used or a.self_published  # verify-release checks what the release publishes
        },
        "references": references,
        "scan": {"include": catalogue.scan_include, "exclude": catalogue.scan_exclude},
    }


def render(data: Mapping[str, Any], known: Iterable[Problem] = ()) -> str:
    """Graph data as the file kstasks writes: commented, then each known problem with a reason line."""
    import json

    import yaml

    def dump(part: Mapping[str, Any]) -> str:
        return yaml.safe_dump(dict(part), sort_keys=False, default_flow_style=False, width=10_000)

    text = _HEADER + dump({"artifacts": data["artifacts"]}) + "\n" + dump({"references": data["references"]})
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


def write_discovered(root: Path, name: str, *, force: bool = False) -> Path | None:
    """Write the discovered graph into ``root/name``, recording today's problems as known.

    An existing file is kept (None is returned) unless ``force``. The path written otherwise.
    """
    path = root / name
    if path.exists() and not force:
        runner.say(f"versions: {name} exists; kept as it is")
        return None
    data = discovered_data(root)
    graph = parse_graph(data, name)
    issues = problems(graph, root, scan(graph, root), tracked_files(root))
    text = render(data, issues)
    if runner.options.dry:
        print(text, end="")
        return None
    fsutil.write_if_changed(path, text.encode())
    runner.say(f"versions: wrote {name} ({len(graph.references)} references, {len(issues)} known problem(s))")
    return path
