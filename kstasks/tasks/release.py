"""Tasks for the version-reference graph: list, verify, prepare a release, verify a published one."""

from __future__ import annotations

import json
from pathlib import Path

from invoke import Collection, task
from invoke.context import Context

from kstasks import release
from kstasks.registry import Reference
from kstasks.tasks.common import REPO_HELP, target
from kstasks.versions import parse_release_version


def _graph(c: Context, repo: str | None) -> tuple[Path, release.Graph]:
    t = target(c, repo, [])
    return t.checkout.root, release.load_graph(t.checkout.root, t.config["release"]["graph"])


@task(help={"repo": REPO_HELP, "json": "Print JSON for machines instead of a table."})
def versions(c: Context, repo: str | None = None, json_: bool = False) -> None:
    """List every declared version reference: artifact, file:line, value."""
    root, graph = _graph(c, repo)
    rows = release.table(graph, release.scan(graph, root))
    print(json.dumps(rows, indent=2) if json_ else release.format_table(rows))


@task(name="verify-versions", help={"repo": REPO_HELP})
def verify_versions(c: Context, repo: str | None = None) -> None:
    """Fail, naming each problem, when version references disagree, are invalid or undeclared."""
    root, graph = _graph(c, repo)
    release.verify_versions(graph, root, release.scan(graph, root))


@task(
    name="release-prepare",
    help={
        "version": "The release: 0.25.0, v0.25.0 or 0.25.0-rc.1 (an rc leaves 'latest regular' literals).",
        "repo": REPO_HELP,
        "dry-run": "Print the diff instead of editing.",
    },
)
def release_prepare(c: Context, version: str, repo: str | None = None, dry_run: bool = False) -> None:
    """Make every edit the release document asks for, editing only the values, then verify."""
    wanted = parse_release_version(version)
    root, graph = _graph(c, repo)
    release.prepare_release(graph, root, wanted, dry_run=dry_run)


@task(
    name="verify-release",
    help={
        "version": "The published release to check.",
        "registry": "Registry (HOST[:PORT]/PATH or oci://...) holding this release's artifacts "
        "(default: each artifact's own).",
        "report": "Where to write the JSON report (default: dist/release-<version>.json).",
        "repo": REPO_HELP,
    },
)
def verify_release(
    c: Context,
    version: str,
    registry: str | None = None,
    report: str | None = None,
    repo: str | None = None,
) -> None:
    """Check over the registry API that every artifact of a release is published and consistent."""
    wanted = parse_release_version(version)
    override = Reference.parse(registry) if registry else None
    root, graph = _graph(c, repo)
    path = Path(report) if report else root / "dist" / f"release-{wanted.text}.json"
    release.check_release(graph, wanted, override, path)


def collection() -> Collection:
    """These tasks as a collection (added flat to the root namespace)."""
    return Collection(versions, verify_versions, release_prepare, verify_release)
