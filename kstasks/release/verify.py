"""verify-release: every artifact of a published release exists and is what the release says."""

from __future__ import annotations

import gzip
import io
import re
import tarfile
import zlib
from pathlib import Path
from typing import Any

from kstasks.core import errors, yamlfile
from kstasks.core.report import Report
from kstasks.core.semver import ReleaseVersion
from kstasks.release.graph.model import Artifact, Graph

_IMAGE_LINE_RE = re.compile(r"""^\s*-?\s*image:\s*["']?([^\s"'#]+)""", re.MULTILINE)


_VALUES_RE = re.compile(r"\{\{-?\s*\.Values\.(\w+)\s*-?\}\}")


HELM_CHART_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"


MAX_CHART_EXPANDED = 64 * 1024 * 1024
"""A chart's archive may expand to this many bytes when read (a gzip bomb is refused beyond it)."""
MAX_CHART_MEMBERS = 10_000


class _Bounded(io.RawIOBase):
    """The decompressed stream of a chart archive, refusing to give more than ``limit`` bytes."""

    def __init__(self, stream: Any, limit: int, what: str) -> None:
        self.stream, self.left, self.what = stream, limit, what

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.stream.read(min(len(buffer), self.left + 1))
        self.left -= len(data)
        if self.left < 0:
            raise errors.CheckFailed(
                f"{self.what} expands to more than {MAX_CHART_EXPANDED // (1024 * 1024)} MiB; "
                "it was not read",
                "A chart is far smaller: the registry holds something else (a gzip bomb?).",
            )
        buffer[: len(data)] = data
        return len(data)


def _chart_texts(archive: bytes, what: str) -> dict[str, str]:
    """``values.yaml`` and ``templates/*`` of a packaged chart (paths below its directory), read
    within bounds; exit 1 for a member outside the chart, too many members or too many bytes."""
    texts: dict[str, str] = {}
    stream = _Bounded(gzip.GzipFile(fileobj=io.BytesIO(archive)), MAX_CHART_EXPANDED, what)
    try:
        with tarfile.open(fileobj=io.BufferedReader(stream), mode="r|") as tar:
            for count, member in enumerate(tar):
                parts = member.name.split("/")
                if member.name.startswith("/") or ".." in parts or count >= MAX_CHART_MEMBERS:
                    problem = (
                        f"more than {MAX_CHART_MEMBERS} members"
                        if count >= MAX_CHART_MEMBERS
                        else f"a member outside the chart ({member.name[:100]!r})"
                    )
                    raise errors.CheckFailed(
                        f"{what} holds {problem}; it was not read", "Check the registry."
                    )
                if member.isfile() and (parts[1:2] == ["templates"] or parts[1:] == ["values.yaml"]):
                    handle = tar.extractfile(member)
                    if handle is not None:
                        texts["/".join(parts[1:])] = handle.read().decode(errors="replace")
    except (tarfile.TarError, OSError, EOFError, zlib.error) as err:
        raise errors.CheckFailed(
            f"{what} is not a chart archive ({type(err).__name__})", "Check the registry."
        ) from err
    return texts


def images_in_chart(archive: bytes, what: str = "the chart") -> list[str]:
    """Image references in a packaged chart's templates, ``{{ .Values.X }}`` filled from its values."""
    texts = _chart_texts(archive, what)
    values = yamlfile.loads(texts.get("values.yaml", ""), f"{what}: values.yaml") or {}
    if not isinstance(values, dict):
        values = {}
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
    from kstasks.remote.registry import Reference, Registry

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
    return result_of(version, entries)


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

    try:
        config = json.loads(remote.blob(repository, str((body.get("config") or {}).get("digest"))))
    except (ValueError, RecursionError):
        config = None
    if not isinstance(config, dict):
        entry["problems"].append(f"{entry['reference']} has a malformed chart config")
        return
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
    try:
        images = images_in_chart(remote.blob(repository, str(layer.get("digest"))), entry["reference"])
    except errors.CheckFailed as err:  # a hostile archive: a problem of this release, not a crash
        entry["problems"].append(err.summary)
        return
    for image in images:
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


def check_release(
    graph: Graph, version: ReleaseVersion, registry: Any | None, report: Path, *, json_out: bool = False
) -> Report:
    """verify_release, with its JSON report written to ``report``: a line per artifact, failing
    with exit 1 listing every problem."""
    return report_result(verify_release(graph, version, registry), report, json_out=json_out)


def result_of(version: ReleaseVersion, entries: list[dict[str, Any]]) -> dict[str, Any]:
    """The report of ``entries`` (each with its ``problems``)."""
    problems_found = [problem for entry in entries for problem in entry["problems"]]
    return {
        "version": version.text,
        "ok": not problems_found,
        "problems": problems_found,
        "artifacts": entries,
    }


def report_result(result: dict[str, Any], report: Path, *, json_out: bool = False) -> Report:
    """``result`` written to ``report`` as JSON; its lines (or the JSON with ``json_out``), failing
    with exit 1 listing every problem."""
    import json

    version = result["version"]
    report.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result, indent=2) + "\n"
    report.write_text(text)
    if json_out:
        lines = text.splitlines()
    else:
        lines = [f"{entry['reference']}@{entry['digest'] or 'MISSING'}" for entry in result["artifacts"]]
    if not result["ok"]:
        failure = errors.CheckFailed(
            f"release {version} is incomplete or wrong (report: {report})",
            "Publish what is missing, then run verify-release again.",
            context="\n".join(f"  - {problem}" for problem in result["problems"]),
        )
        return Report(lines, failure)
    done = [] if json_out else [f"verify-release: release {version} is complete (report: {report})"]
    return Report([*lines, *done])
