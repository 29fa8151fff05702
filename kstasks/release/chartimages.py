"""The image references a packaged chart's templates name, with their template expressions
evaluated against the chart's own values.

KubeStellar's charts write references such as
``ghcr.io/kubestellar/kubestellar/controller-manager:{{ $.Values.KUBESTELLAR_VERSION }}`` and
``...:{{ .Values.TRANSPORT_VERSION | default .Values.KUBESTELLAR_VERSION }}``, often inside
``range`` blocks over lists that are empty in the chart's values — so ``helm template`` with the
chart's values renders none of them. Each ``image:`` line is therefore evaluated on its own:
``.Values.a.b`` and ``$.Values.a.b`` paths, quoted literals, and the pipeline functions ``default``,
``quote``, ``toString`` and ``trimPrefix``. A reference that still cannot be evaluated is returned
as unresolved (verify-release reports it; nothing is skipped silently).
"""

from __future__ import annotations

import io
import re
import shlex
import tarfile
from dataclasses import dataclass
from typing import Any

import yaml

MAX_CHART = 64 * 1024 * 1024
"""Chart archives, and the templates read from them, larger than this are refused."""
MAX_MEMBERS = 20000

_IMAGE_LINE_RE = re.compile(r"""^\s*-?\s*image:\s*(.+?)\s*$""", re.MULTILINE)
_ACTION_RE = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}")


@dataclass(frozen=True)
class ChartImage:
    """One ``image:`` value of a template: its text, and the reference it evaluates to (or None)."""

    template: str
    source: str
    reference: str | None
    problem: str = ""


def chart_texts(archive: bytes) -> dict[str, str]:
    """``values.yaml`` and ``templates/*`` of the chart (not its dependencies'), read without extracting."""
    if len(archive) > MAX_CHART:
        raise ValueError(f"the chart archive is larger than {MAX_CHART} bytes")
    texts: dict[str, str] = {}
    total = 0
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        for count, member in enumerate(tar):
            if count > MAX_MEMBERS:
                raise ValueError(f"the chart archive has more than {MAX_MEMBERS} members")
            parts = member.name.split("/")
            if not member.isfile() or ".." in parts or member.name.startswith("/"):
                continue
            wanted = parts[1:2] == ["templates"] or parts[1:] == ["values.yaml"]
            if not wanted:
                continue
            total += member.size
            if total > MAX_CHART:
                raise ValueError(f"the chart's templates are larger than {MAX_CHART} bytes")
            handle = tar.extractfile(member)
            if handle is not None:
                texts["/".join(parts[1:])] = handle.read(MAX_CHART).decode(errors="replace")
    return texts


class _Unresolved(Exception):
    pass


def _lookup(values: dict[str, Any], path: str) -> Any:
    node: Any = {"Values": values}
    for key in path.lstrip("$").lstrip(".").split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _term(values: dict[str, Any], word: str) -> Any:
    if word.startswith(("$.Values.", ".Values.")) or word in (".Values", "$.Values"):
        return _lookup(values, word)
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "\"'`":
        return word[1:-1]
    if re.fullmatch(r"-?\d+(\.\d+)?", word):
        return word
    raise _Unresolved(word)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {} or value is False


def _evaluate(values: dict[str, Any], expression: str) -> str:
    stages = [stage.strip() for stage in expression.split("|")]
    current: Any = None
    for index, stage in enumerate(stages):
        try:
            words = shlex.split(stage, posix=False)
        except ValueError as err:
            raise _Unresolved(stage) from err
        if not words:
            raise _Unresolved(expression)
        name, args = words[0], [_term(values, w) for w in words[1:]]
        if index == 0 and not args and name not in ("quote", "toString"):
            current = _term(values, name)
            continue
        if index == 0:  # a function call first: its last argument is the piped value
            current, args = (args[-1] if args else None), args[:-1]
        if name == "default":
            current = args[0] if _empty(current) and args else current
        elif name in ("quote", "toString"):
            current = "" if current is None else str(current)
        elif name == "trimPrefix" and args:
            current = str(current or "").removeprefix(str(args[0]))
        else:
            raise _Unresolved(name)
    if current is None:
        raise _Unresolved(f"{expression} (not in values)")
    return str(current)


def evaluate_reference(text: str, values: dict[str, Any]) -> tuple[str | None, str]:
    """``text`` (an ``image:`` value) with each ``{{ ... }}`` evaluated; (reference, problem)."""
    value = text.split(" #", 1)[0].strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    try:
        result = _ACTION_RE.sub(lambda m: _evaluate(values, m[1]), value)
    except _Unresolved as err:
        return None, f"cannot evaluate {err.args[0]!r}"
    if not result or "{{" in result or any(c.isspace() for c in result):
        return None, "does not evaluate to an image reference"
    return result, ""


def images_in_chart(archive: bytes) -> list[ChartImage]:
    """Every distinct ``image:`` value in the chart's templates, evaluated against its values."""
    texts = chart_texts(archive)
    try:
        values = yaml.safe_load(texts.get("values.yaml", "")) or {}
    except yaml.YAMLError:
        values = {}
    if not isinstance(values, dict):
        values = {}
    found: list[ChartImage] = []
    seen: set[str] = set()
    for name, text in sorted(texts.items()):
        if not name.startswith("templates/"):
            continue
        for match in _IMAGE_LINE_RE.finditer(text):
            raw = match[1]
            if raw in seen or raw.startswith(("{{- if", "{{ if")):
                continue
            seen.add(raw)
            reference, problem = evaluate_reference(raw, values)
            found.append(ChartImage(raw, name, reference, problem))
    return found
