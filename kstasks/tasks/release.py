"""Tasks for the version-reference graph: list, verify, prepare a release, verify a published one."""

from __future__ import annotations

import json
from pathlib import Path

from invoke import Collection, task
from invoke.context import Context

from kstasks import release, runner
from kstasks.registry import Reference
from kstasks.tasks.common import REPO_HELP, target
from kstasks.versions import parse_release_version


def _load(c: Context, repo: str | None) -> tuple[Path, release.Graph, release.Scan]:
    t = target(c, repo, [])
    graph = release.load_graph(t.checkout.root, t.config["release"]["graph"])
    return t.checkout.root, graph, release.scan(graph, t.checkout.root)


def check(root: Path, graph: release.Graph, found: release.Scan) -> None:
    """Exit 1 naming each problem, or say the references are consistent."""
    issues = release.problems(graph, root, found, release.tracked_files(root))
    if issues:
        raise runner.stop(
            f"{len(issues)} version reference problem(s)",
            f"Fix the literals (or the graph, {graph.source}), then run verify-versions again.",
            details="\n".join(f"  - {issue}" for issue in issues),
        )
    runner.say(
        f"verify-versions: {len(found.occurrences)} references to {len(graph.artifacts)} artifacts agree"
    )


@task(help={"repo": REPO_HELP, "json": "Print JSON for machines instead of a table."})
def versions(c: Context, repo: str | None = None, json_: bool = False) -> None:
    """List every declared version reference: artifact, file:line, value."""
    _, graph, found = _load(c, repo)
    rows = release.table(graph, found)
    if json_:
        print(json.dumps(rows, indent=2))
        return
    print(f"{'ARTIFACT':32} {'WHERE':52} {'VALUE':14} {'CHANNEL':8} SET")
    for row in rows:
        where = f"{row['file']}:{row['line']}" if row["line"] else f"{row['file']} (missing)"
        print(
            f"{row['artifact']:32} {where:52} {row['value'] or '-':14} {row['channel'] or '-':8} {row['set']}"
        )


@task(name="verify-versions", help={"repo": REPO_HELP})
def verify_versions(c: Context, repo: str | None = None) -> None:
    """Fail, naming each problem, when version references disagree, are invalid or undeclared."""
    check(*_load(c, repo))


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
    root, graph, found = _load(c, repo)
    if found.missing:
        check(root, graph, found)
    edits = release.release_edits(graph, found, wanted)
    if dry_run or runner.options.dry:
        print(release.unified_diff(found, edits), end="")
        return
    for file, text in edits.items():
        (root / file).write_text(text)
        runner.say(f"release-prepare: {file} updated for {wanted.text}")
    if not edits:
        runner.say(f"release-prepare: nothing to change for {wanted.text}")
    check(root, graph, release.scan(graph, root))


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
    t = target(c, repo, [])
    graph = release.load_graph(t.checkout.root, t.config["release"]["graph"])
    result = release.verify_release(graph, wanted, override)
    path = Path(report) if report else t.checkout.root / "dist" / f"release-{wanted.text}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    for entry in result["artifacts"]:
        print(f"{entry['reference']}@{entry['digest'] or 'MISSING'}")
    if not result["ok"]:
        raise runner.stop(
            f"release {wanted.text} is incomplete or wrong (report: {path})",
            "Publish what is missing, then run verify-release again.",
            details="\n".join(f"  - {problem}" for problem in result["problems"]),
        )
    runner.say(f"verify-release: release {wanted.text} is complete (report: {path})")


def collection() -> Collection:
    """These tasks as a collection (added flat to the root namespace)."""
    return Collection(versions, verify_versions, release_prepare, verify_release)
