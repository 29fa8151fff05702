"""Which graph a checkout uses (its own file, the bundled v0.24.0 one, or one discovered from its
files), and verify-versions on it.
"""

from __future__ import annotations

from pathlib import Path

from kstasks.core import output
from kstasks.release.graph.check import verify_versions
from kstasks.release.graph.discover import discover
from kstasks.release.graph.model import Graph
from kstasks.release.graph.parse import bundled_graph, graph_error, layout_matches, parse_text
from kstasks.release.graph.scan import scan


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
            raise graph_error(str(name), "not UTF-8 text") from err
        graph = parse_text(text, str(name))
        graph.file = str(name)
        return graph
    if layout_matches(bundled_graph(), root):
        return parse_text(
            discover(root),
            f"kstasks' bundled v0.24.0 graph (this checkout has no {name}; its layout is v0.24.0's), "
            "with the other references kstasks' catalogue finds",
        )
    return parse_text(
        discover(root),
        f"discovered from this checkout (it has no {name} and not the v0.24.0 layout; "
        "`versions --discover` writes it for review)",
    )


def graph_for(root: Path, name: str) -> Graph:
    """:func:`load_graph`, saying which graph it is (stderr)."""
    graph = load_graph(root, name)
    output.say(f"version graph: {graph.source}")
    return graph


def verify_checkout(root: Path, name: str) -> None:
    """verify-versions for the checkout at ``root``: its graph (said which), scanned and judged."""
    graph = graph_for(root, name)
    verify_versions(graph, root, scan(graph, root))
