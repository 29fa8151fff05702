"""release-prepare: edit the version literals the graph declares for a new release."""

from __future__ import annotations

from pathlib import Path

from kstasks.core import context, output
from kstasks.core.semver import ReleaseVersion
from kstasks.release.graph.check import verify_versions
from kstasks.release.graph.edit import release_edits, unified_diff
from kstasks.release.graph.model import Graph
from kstasks.release.graph.scan import scan


def prepare_release(graph: Graph, root: Path, version: ReleaseVersion, *, dry_run: bool = False) -> str:
    """Set every literal the release document asks for to ``version``, then verify the references.

    With ``dry_run`` nothing is written and the diff is returned (empty otherwise). A reference
    that cannot be found stops it before any edit.
    """
    found = scan(graph, root)
    if found.missing:
        verify_versions(graph, root, found)
    edits = release_edits(graph, found, version)
    if dry_run or context.dry_run():
        return unified_diff(found, edits)
    for file, text in edits.items():
        (root / file).write_text(text)
        output.say(f"release-prepare: {file} updated for {version.text}")
    if not edits:
        output.say(f"release-prepare: nothing to change for {version.text}")
    verify_versions(graph, root, scan(graph, root))
    return ""


def bump_checkout(
    graph: Graph, root: Path, name: str, version: str, *, with_related: bool = False, dry_run: bool = False
) -> str:
    """``bump NAME VERSION``: the diff under ``dry_run``, else write the edits and say which files
    changed; either way, warn about each related reference that now disagrees."""
    from kstasks.release.graph import bump

    planned = bump.plan(graph, root, name, version, with_related=with_related)
    found = scan(graph, root)
    if planned.left_alone:
        output.say(f"bump: not bumped (name each to bump it): {', '.join(planned.left_alone)}")
    for issue in planned.disagreements:
        output.warn(f"bump: now disagrees (bump it too, or pass --with-related): {issue.text}")
    if dry_run or context.dry_run():
        return unified_diff(found, planned.edits)
    if not planned.edits:
        output.say(f"bump: every live reference of {', '.join(planned.artifacts)} is {version} already")
        return ""
    for file in bump.write(root, planned):
        output.say(f"bump: {file} updated ({', '.join(planned.artifacts)} -> {version})")
    return ""
