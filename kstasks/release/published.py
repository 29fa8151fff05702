"""verify-versions --published: every pinned external reference resolves to something that exists.

An OCI chart or image at its tag (the registry API), a GitHub release and its asset (the GitHub
REST API at ``GITHUB_API_URL`` or an override), a Go module version (the Go module proxy
protocol: ``GET $GOPROXY/<module>/@v/<version>.info``). Each has a base-URL override, so tests
use servers on loopback. A host that cannot be asked gets one warning and its references are
left unchecked; the other checks still run. Only a reference that was checked and is missing
fails.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from kstasks.core import errors, output
from kstasks.release.graph.model import Artifact, Graph, Occurrence
from kstasks.release.graph.rules import live
from kstasks.release.graph.scan import Scan
from kstasks.remote import network

DEADLINE = 15.0


@dataclass(frozen=True)
class Check:
    """One thing to look up: what, where (a host), and the references that name it."""

    kind: str
    """``oci``, ``github`` or ``module``."""
    location: str
    version: str
    asset: str = ""


@dataclass
class Outcome:
    """What the lookups found."""

    missing: list[str] = field(default_factory=list)
    checked: int = 0
    unchecked: int = 0
    unreachable: list[str] = field(default_factory=list)


def _tag(artifact: Artifact, value: str) -> str:
    bare = value[1:] if value[:1] in ("v", "V") else value
    return f"v{bare}" if artifact.v_prefix else bare.replace("+", "_")


def checks(graph: Graph, found: Scan) -> dict[Check, list[Occurrence]]:
    """The lookups the graph's pinned, live, external references call for (one per distinct one)."""
    wanted: dict[Check, list[Occurrence]] = {}
    for occ in live(found.occurrences):
        artifact = graph.artifacts[occ.spec.artifact]
        if artifact.self_published or not artifact.published or occ.spec.form != "plain":
            continue
        tag = _tag(artifact, occ.value)
        where = dict(artifact.published)
        if "oci" in where:
            check = Check("oci", where["oci"], tag)
        elif "github" in where:
            asset = where.get("asset", "").replace("{version}", tag.lstrip("v"))
            check = Check("github", where["github"], tag, asset)
        elif "module" in where:
            check = Check("module", where["module"], tag)
        else:
            continue
        wanted.setdefault(check, []).append(occ)
    return wanted


def goproxy_base(option: str | None) -> str | None:
    """The Go module proxy to ask: ``option``, else the first URL in ``GOPROXY``; None if neither."""
    if option:
        return option.rstrip("/")
    for entry in os.environ.get("GOPROXY", "").replace("|", ",").split(","):
        if entry.strip().startswith(("http://", "https://")):
            return entry.strip().rstrip("/")
    return None


def module_path_escaped(path: str) -> str:
    """The module path as the proxy protocol writes it (capitals as ``!`` + lower case)."""
    return "".join(f"!{ch.lower()}" if ch.isupper() else ch for ch in path)


def _get(url: str, headers: dict[str, str] | None = None) -> network.Answer:
    deadline = min(DEADLINE, network.default_deadline())  # KSTASKS_NETWORK_DEADLINE shortens it
    return network.request("GET", url, headers=headers or {}, deadline=deadline)


class _HostDown(Exception):
    """A host that cannot be asked (unreachable, refusing, or not speaking its API)."""


def _github(api: str) -> Callable[[Check], bool]:
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    token = os.environ.get("GITHUB_TOKEN", "")
    if token:
        output.add_secret(token)
        headers["Authorization"] = f"Bearer {token}"

    def exists(check: Check) -> bool:
        answer = _get(f"{api}/repos/{check.location}/releases/tags/{quote(check.version)}", headers)
        if answer.status == 404:
            return False
        if answer.status != 200:
            raise _HostDown(f"HTTP {answer.status}")
        try:
            release = json.loads(answer.body)
        except RecursionError:
            raise _HostDown("JSON nested too deeply, not the GitHub API's JSON") from None
        except ValueError:
            raise _HostDown("an answer that is not JSON") from None
        if not isinstance(release, dict) or not isinstance(release.get("assets") or [], list):
            raise _HostDown("JSON that is not a GitHub release")
        names = {str(a.get("name")) for a in release.get("assets") or [] if isinstance(a, dict)}
        return not check.asset or check.asset in names

    return exists


def _goproxy(base: str) -> Callable[[Check], bool]:
    def exists(check: Check) -> bool:
        url = f"{base}/{module_path_escaped(check.location)}/@v/{quote(check.version)}.info"
        answer = _get(url)
        if answer.status in (404, 410):
            return False
        if answer.status != 200:
            raise _HostDown(f"HTTP {answer.status}")
        try:
            info = json.loads(answer.body)
        except (ValueError, RecursionError):
            info = None
        if not isinstance(info, dict) or not isinstance(info.get("Version"), str):
            raise _HostDown("an answer that is not a module proxy's version JSON")
        return True

    return exists


def _oci(mirror: str | None) -> Callable[[Check], bool]:
    from kstasks.remote.registry import Reference, Registry

    clients: dict[str, Registry] = {}

    def exists(check: Check) -> bool:
        host, _, repository = check.location.partition("/")
        host = mirror or host
        if host not in clients:
            clients[host] = Registry(Reference.parse(host))
        try:
            return clients[host].manifest(repository, check.version) is not None
        except errors.KstasksError as err:
            raise _HostDown(err.summary) from err

    return exists


def _host(check: Check, api: str, proxy: str | None, mirror: str | None) -> str:
    if check.kind == "oci":
        return mirror or check.location.split("/", 1)[0]
    return urlsplit(api if check.kind == "github" else proxy or "").netloc


def verify_published(
    graph: Graph,
    found: Scan,
    *,
    api: str,
    goproxy: str | None = None,
    registry: str | None = None,
) -> Outcome:
    """Look up every pinned external reference; exit 1 naming each one checked and missing.

    ``registry`` (HOST[:PORT]) stands in for every OCI registry; ``api`` is the GitHub API base;
    ``goproxy`` the module proxy (unset: module versions are not checked, with a warning).
    """
    lookups = {"github": _github(api), "oci": _oci(registry)}
    if goproxy:
        lookups["module"] = _goproxy(goproxy)
    outcome, down = Outcome(), set()
    wanted = checks(graph, found)
    if not goproxy and any(check.kind == "module" for check in wanted):
        output.warn(
            "verify-versions --published: no Go module proxy (set GOPROXY or pass --goproxy); "
            "Go module versions are not checked"
        )
    for check, occurrences in sorted(wanted.items(), key=lambda item: (item[0].kind, item[0].location)):
        host = _host(check, api, goproxy, registry)
        if check.kind not in lookups or host in down:
            outcome.unchecked += 1
            continue
        try:
            present = lookups[check.kind](check)
        except (_HostDown, network.NetworkError, errors.KstasksError) as err:
            down.add(host)
            outcome.unreachable.append(host)
            outcome.unchecked += 1
            problem = getattr(err, "problem", None) or getattr(err, "summary", None) or str(err)
            output.warn(
                f"verify-versions --published: {host} cannot be asked ({problem}); "
                "its references are not checked"
            )
            continue
        outcome.checked += 1
        if not present:
            places = ", ".join(dict.fromkeys(f"{occ.file}:{occ.line}" for occ in occurrences))
            what = {"oci": "no tag", "github": "no release", "module": "no module version"}[check.kind]
            if check.kind == "github" and check.asset:
                what = "no release or no asset " + check.asset + " in it"
            outcome.missing.append(f"{check.location}: {what} {check.version} (named at {places})")
    if outcome.missing:
        raise errors.CheckFailed(
            f"{len(outcome.missing)} pinned reference(s) name something that is not published",
            "Fix each literal (kstasks bump ARTIFACT VERSION), or publish what it names.",
            context="\n".join(f"  - {line}" for line in outcome.missing),
        )
    output.say(
        f"verify-versions --published: {outcome.checked} published artifact version(s) exist"
        + (f", {outcome.unchecked} not checked" if outcome.unchecked else "")
    )
    return outcome
