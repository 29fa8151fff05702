"""Tasks for the version-reference graph: list, verify, prepare a release, verify a published one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from invoke import Collection, task
from invoke.context import Context

from kstasks.tasks.common import REPO_HELP, show, target

if TYPE_CHECKING:
    from kstasks.release.graph import model


def _graph(c: Context, repo: str | None) -> tuple[Path, model.Graph]:
    from kstasks.release.graph import select

    t = target(c, repo, [])
    return t.checkout.root, select.graph_for(t.checkout.root, t.config["release"]["graph"])


@task(
    help={
        "repo": REPO_HELP,
        "json": "Print JSON for machines instead of a table: one record per reference (artifact, file, "
        "line, value, ..., historical, unpinned, findings).",
        "discover": "Write the checkout's graph (kstasks.release.graph) from what it finds, for review; "
        "today's disagreements are recorded as known.",
        "force": "With --discover: replace an existing graph file.",
    }
)
def versions(
    c: Context, repo: str | None = None, json_: bool = False, discover: bool = False, force: bool = False
) -> None:
    """List every declared version reference: artifact, file:line, value (--discover: write the graph)."""
    from kstasks.core import context, errors
    from kstasks.release.graph import check, scan
    from kstasks.release.graph import discover as discovery

    if discover:
        t = target(c, repo, [])
        name = t.config["release"]["graph"]
        if (t.checkout.root / name).exists() and not force:
            raise errors.BadInput(f"{name} exists in {t.checkout.root}", "Pass --force to replace it.")
        if context.dry_run():
            show(discovery.discovered_graph(t.checkout.root, name)[0].splitlines())
            return
        written = discovery.write_discovered(t.checkout.root, name, force=True)
        if written is not None:
            show(str(written))
        return
    root, graph = _graph(c, repo)
    found = scan.scan(graph, root)
    rows = scan.table(graph, found)
    if json_:
        issues = check.problems(graph, root, found, scan.tracked_files(root))
        show(json.dumps(check.with_findings(rows, issues), indent=2).splitlines())
        return
    show(scan.format_table(rows).splitlines())


@task(
    name="verify-versions",
    help={
        "repo": REPO_HELP,
        "published": "Instead: check that every pinned external reference exists (OCI tag, GitHub "
        "release and asset, Go module version).",
        "api-url": "With --published: the GitHub API (default: GITHUB_API_URL, else the public API).",
        "goproxy": "With --published: the Go module proxy URL (default: the first URL in GOPROXY).",
        "registry": "With --published: HOST[:PORT] standing in for every OCI registry.",
    },
)
def verify_versions(
    c: Context,
    repo: str | None = None,
    published: bool = False,
    api_url: str | None = None,
    goproxy: str | None = None,
    registry: str | None = None,
) -> None:
    """Fail, naming each new problem, when version references disagree, are invalid or undeclared
    (--published: when one names something that is not published)."""
    from kstasks.release import published as checked
    from kstasks.release.graph import scan, select
    from kstasks.remote import github
    from kstasks.remote.registry import Reference

    if not published:
        t = target(c, repo, [])
        select.verify_checkout(t.checkout.root, t.config["release"]["graph"])
        return
    api = github.api_base(api_url)
    if registry:
        Reference.parse(registry)  # exit 2 before any work when malformed
    root, graph = _graph(c, repo)
    found = scan.scan(graph, root)
    checked.verify_published(graph, found, api=api, goproxy=checked.goproxy_base(goproxy), registry=registry)


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
    from kstasks.core import locks
    from kstasks.core.semver import parse_release_version
    from kstasks.release import prepare

    wanted = parse_release_version(version)
    root, graph = _graph(c, repo)
    with locks.checkout_lock(root, "release-prepare"):
        show(prepare.prepare_release(graph, root, wanted, dry_run=dry_run).splitlines())


@task(
    help={
        "artifact": "An artifact of the version graph (kubeflex-chart, clusteradm-cli, go-toolchain...) or "
        "an upstream project (kubeflex, clusteradm, ocm-status-addon, helm, kubectl, go).",
        "version": "The new version (0.10.0, v0.10.0, 1.26); each literal keeps its own v or not.",
        "with-related": "Also bump the references a rule or agreement group ties to it.",
        "dry-run": "Print the diff instead of editing.",
        "repo": REPO_HELP,
    }
)
def bump(
    c: Context,
    artifact: str,
    version: str,
    with_related: bool = False,
    dry_run: bool = False,
    repo: str | None = None,
) -> None:
    """Set every live reference of an artifact to VERSION (values only); say what now disagrees."""
    from kstasks.core import locks
    from kstasks.release import prepare

    root, graph = _graph(c, repo)
    with locks.checkout_lock(root, "bump"):
        show(
            prepare.bump_checkout(graph, root, artifact, version, with_related=with_related, dry_run=dry_run)
        )


@task(
    name="verify-release",
    help={
        "version": "The published release to check.",
        "registry": "Registry (HOST[:PORT]/PATH or oci://...) holding this release's images and charts "
        "(default: each artifact's own).",
        "report": "Where to write the JSON report (default: dist/release-<version>.json).",
        "json": "Print the JSON report instead of a line per artifact.",
        "key": "A cosign public key: every image and the checksums file must carry its signature.",
        "github": "Check the GitHub release's assets (GITHUB_API_URL, GITHUB_REPOSITORY; GITHUB_TOKEN "
        "optional); --no-github skips them.",
        "repo": REPO_HELP,
    },
)
def verify_release(
    c: Context,
    version: str,
    registry: str | None = None,
    report: str | None = None,
    json_: bool = False,
    key: str | None = None,
    github: bool = True,
    repo: str | None = None,
) -> None:
    """Check that every artifact of a published release exists and is what the release says
    (the goreleaser config's images, charts and GitHub release assets when the checkout has one)."""
    from kstasks.core import errors
    from kstasks.core.semver import parse_release_version
    from kstasks.release import signing, verify, verifyplan
    from kstasks.release.goreleaser import config as goreleaser
    from kstasks.release.graph import select
    from kstasks.remote import github, releases
    from kstasks.remote.registry import Reference

    wanted = parse_release_version(version)
    override = Reference.parse(registry) if registry else None
    t = target(c, repo, [])
    root = t.checkout.root
    path = Path(report) if report else root / "dist" / f"release-{wanted.text}.json"
    if goreleaser.config_path(root) is None:
        if key:
            raise errors.BadInput("--key needs a checkout with a goreleaser config", "Drop --key.")
        graph = select.graph_for(root, t.config["release"]["graph"])
        show(verify.check_release(graph, wanted, override, path, json_out=json_))
        return
    public = Path(key) if key else None
    if public is not None:
        signing.check_key(public, private=False)
    target_github = None
    if github:
        settings = releases.from_environment(need_token=False)
        target_github = verifyplan.GitHubTarget(settings.api_url, settings.repository, settings.token)
    plan = goreleaser.load_plan(root)
    inputs = verifyplan.Inputs(
        wanted.text,
        registry=override,
        github=target_github,
        key=public,
        cosign=t.toolbox.binary("cosign") if public is not None else None,
    )
    result = verify.result_of(wanted, verifyplan.verify_plan(plan, inputs))
    show(verify.report_result(result, path, json_out=json_))


def collection() -> Collection:
    """These tasks as a collection (added flat to the root namespace)."""
    return Collection(versions, verify_versions, release_prepare, bump, verify_release)
