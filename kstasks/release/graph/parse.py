"""Reading a graph file: its YAML checked and turned into the model (``kstasks.release.graph.model``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

from kstasks.core import errors, yamlfile
from kstasks.release.graph.model import (
    AGREE_ON,
    FORMS,
    KINDS,
    RELATIONS,
    SET_CHOICES,
    Artifact,
    Graph,
    Known,
    ReferenceSpec,
    Rule,
)
from kstasks.release.graph.scan import scan


def graph_error(source: str, problem: str) -> errors.KstasksError:
    """Bad input in the graph file ``source``."""
    return errors.BadInput(f"{source}: {problem}", "Fix the version-reference graph file.")


def parse_graph(data: Mapping[str, Any], source: str) -> Graph:
    """A graph from its YAML data; exit 2 on anything malformed."""
    try:
        return _parse_graph(data, source)
    except (AttributeError, TypeError, ValueError) as err:  # a list or number where a mapping belongs
        raise graph_error(source, f"malformed ({type(err).__name__}: {str(err)[:80]})") from err


def _outside(file: str) -> bool:
    """Whether a reference's file is absolute or climbs out of the checkout."""
    path = PurePosixPath(file)
    return path.is_absolute() or ".." in path.parts


def _parse_graph(data: Mapping[str, Any], source: str) -> Graph:
    artifacts = {}
    for key, value in (data.get("artifacts") or {}).items():
        if value.get("kind") not in KINDS:
            raise graph_error(source, f"artifact {key!r} needs kind: one of {', '.join(KINDS)}")
        if str(value.get("agree_on") or "exact") not in AGREE_ON:
            raise graph_error(source, f"artifact {key!r}: agree_on must be one of {', '.join(AGREE_ON)}")
        published = value.get("published") or {}
        if not isinstance(published, Mapping):
            raise graph_error(source, f"artifact {key!r}: published must be a mapping")
        artifacts[key] = Artifact(
            id=key,
            kind=value["kind"],
            name=str(value.get("name") or key),
            registry=str(value.get("registry", "")),
            v_prefix=bool(value.get("v_prefix", False)),
            self_published=bool(value.get("self", False)),
            mention=str(value.get("mention") or ""),
            family=str(value.get("family") or ""),
            agree_on=str(value.get("agree_on") or "exact"),
            loose=bool(value.get("loose", False)),
            published=tuple((str(k), str(v)) for k, v in published.items()),
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
            historical=bool(value.get("historical", False)),
            unpinned=bool(value.get("unpinned", False)),
            form=str(value.get("form") or "plain"),
        )
        if spec.form not in FORMS:
            raise graph_error(source, f"reference {spec.id!r}: form must be one of {', '.join(FORMS)}")
        if spec.artifact not in artifacts:
            raise graph_error(source, f"reference {spec.id!r} names unknown artifact {spec.artifact!r}")
        if _outside(spec.file):
            raise graph_error(source, f"reference {spec.id!r}: {spec.file[:80]!r} is outside the checkout")
        if not spec.file or bool(spec.yaml_path) == bool(spec.pattern):
            raise graph_error(
                source, f"reference {spec.id!r} needs a file and exactly one of yaml_path or pattern"
            )
        if spec.set not in SET_CHOICES:
            raise graph_error(source, f"reference {spec.id!r}: set must be one of {', '.join(SET_CHOICES)}")
        if spec.pattern:
            try:
                if "version" not in re.compile(spec.pattern).groupindex:
                    raise graph_error(
                        source, f"reference {spec.id!r}: the pattern needs a (?P<version>...) group"
                    )
            except re.error as err:
                raise graph_error(source, f"reference {spec.id!r}: bad pattern ({err})") from err
        references.append(spec)
    known = []
    for index, value in enumerate(data.get("known") or []):
        if not isinstance(value, Mapping) or not str(value.get("problem") or "").strip():
            raise graph_error(source, f"known entry {index + 1} needs a 'problem:' text")
        known.append(Known(str(value["problem"]), str(value.get("reason") or "")))
    scan = data.get("scan") or {}
    return Graph(
        artifacts,
        references,
        list(scan.get("include") or ["**"]),
        list(scan.get("exclude") or []),
        source,
        known,
        rules=_rules(data.get("rules") or [], artifacts, source),
        historical=[str(glob) for glob in data.get("historical") or []],
    )


def _rules(entries: Any, artifacts: Mapping[str, Artifact], source: str) -> list[Rule]:
    """The graph's ``rules:``: each names two declared artifacts and a relation."""
    rules = []
    for index, value in enumerate(entries):
        rule = Rule(
            id=str(value.get("id") or f"rule-{index + 1}"),
            left=str(value.get("left", "")),
            relation=str(value.get("relation", "")),
            right=str(value.get("right", "")),
            says=str(value.get("says") or ""),
        )
        if rule.relation not in RELATIONS:
            raise graph_error(source, f"rule {rule.id!r}: relation must be one of {', '.join(RELATIONS)}")
        for end in (rule.left, rule.right):
            if end not in artifacts:
                raise graph_error(source, f"rule {rule.id!r} names unknown artifact {end!r}")
        rules.append(rule)
    return rules


BUNDLED = "versions-v0.24.0.yaml"
"""kstasks' graph of KubeStellar v0.24.0, also the catalogue discovery starts from."""


def parse_text(text: str, source: str) -> Graph:
    import yaml

    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as err:
        raise graph_error(source, f"not valid YAML ({yamlfile.problem(err)})") from err
    if not isinstance(data, Mapping):
        raise graph_error(source, "not a mapping of artifacts, references and scan")
    return parse_graph(data, source)


def bundled_graph() -> Graph:
    """kstasks' graph of the KubeStellar v0.24.0 layout."""
    text = (resources.files("kstasks") / "data" / BUNDLED).read_text()
    return parse_text(text, "kstasks' bundled v0.24.0 graph")


def layout_matches(graph: Graph, root: Path) -> bool:
    """Whether every reference of ``graph`` is found in the checkout (its layout is the graph's)."""
    return not scan(graph, root).missing
