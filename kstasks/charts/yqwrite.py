"""yq v4's bytes for kustomize's output text.

``make chart`` pipes ``kustomize build`` through yq. Both write YAML with go-yaml v3 (key order,
scalar styles and comments kept), but kustomize asks for compact sequences and folds long
scalars at 80 columns, and yq does neither. So yq's output is kustomize's text with the block
sequences in mappings indented by two, each folded scalar on one line, and whatever the yq
expression changed written as go-yaml writes a new string. This module makes exactly those
edits on the text (every other byte stays), which is faster and more faithful than parsing and
re-serialising with another YAML library.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any


def _last_line(node: Any) -> int:
    """The 0-based line holding the last character of ``node``'s text."""
    import yaml

    if isinstance(node, yaml.MappingNode) and node.value and not node.flow_style:
        return _last_line(node.value[-1][1])
    if isinstance(node, yaml.SequenceNode) and node.value and not node.flow_style:
        return _last_line(node.value[-1])
    mark = node.end_mark
    return mark.line - 1 if mark.column == 0 and mark.line > node.start_mark.line else mark.line


def _compact_sequences(node: Any) -> Iterator[Any]:
    """Block sequences that are mapping values, which kustomize writes without indentation."""
    import yaml

    if isinstance(node, yaml.MappingNode):
        for _, value in node.value:
            if isinstance(value, yaml.SequenceNode) and not value.flow_style and value.value:
                yield value
            yield from _compact_sequences(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _compact_sequences(item)


def indent_sequences(text: str) -> str:
    """kustomize's YAML as yq v4 writes it: block sequences in mappings indented by two.

    Both tools write with go-yaml v3 (no line folding, scalar styles, key order and comments
    kept); kustomize asks for compact sequences, yq does not. Every line of such a sequence
    (nested ones count once per level) gains two spaces; empty lines stay empty.
    """
    import yaml

    shift = [0] * (text.count("\n") + 2)
    for document in yaml.compose_all(text, Loader=yaml.SafeLoader):
        for sequence in _compact_sequences(document):
            for line in range(sequence.start_mark.line, _last_line(sequence) + 1):
                shift[line] += 2
    lines = text.split("\n")
    return "\n".join(" " * shift[i] + line if line.strip() else line for i, line in enumerate(lines))


_DOUBLE_QUOTED_ESCAPES = {
    "\0": "0",
    "\a": "a",
    "\b": "b",
    "\t": "t",
    "\n": "n",
    "\v": "v",
    "\f": "f",
    "\r": "r",
    "\x1b": "e",
    '"': '"',
    "\\": "\\",
    "\x85": "N",
    "\u2028": "L",
    "\u2029": "P",
}


def _printable(char: str) -> bool:
    """go-yaml v3's ``is_printable`` (line breaks aside)."""
    code = ord(char)
    return (
        0x20 <= code <= 0x7E
        or 0xA0 <= code <= 0xD7FF
        or (0xE000 <= code <= 0xFFFD and code != 0xFEFF)
        or 0x10000 <= code <= 0x10FFFF
    )


def double_quoted(value: str) -> str:
    """``value`` as go-yaml v3 writes a double-quoted scalar on one line (yq never folds)."""
    out = []
    for char in value:
        if char in _DOUBLE_QUOTED_ESCAPES:
            out.append("\\" + _DOUBLE_QUOTED_ESCAPES[char])
        elif _printable(char):
            out.append(char)
        elif ord(char) <= 0xFF:
            out.append(f"\\x{ord(char):02X}")
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(f"\\U{ord(char):08X}")
    return '"' + "".join(out) + '"'


_LINE_BREAKS = "\n\r\x85\u2028\u2029"


def single_quoted(value: str) -> str | None:
    """``value`` single-quoted on one line, or None where go-yaml v3 would not write it so.

    go-yaml refuses single quotes for non-printable characters (a tab, say); line breaks would
    make it several lines, which kstasks leaves to the double-quoted form. Leading and trailing
    spaces are fine.
    """
    if not value or any(char in _LINE_BREAKS or not _printable(char) for char in value):
        return None
    return "'" + value.replace("'", "''") + "'"


def yq_string(value: str) -> str:
    """A string yq computed (``"prefix" + .``) as go-yaml v3 writes it.

    The prefix starts with ``{``, so the plain style is never possible: single quotes when the
    value allows them, double quotes otherwise.
    """
    return single_quoted(value) or double_quoted(value)


def _unfolded(node: Any) -> str | None:
    """A scalar kustomize folded over several lines, on one line as yq writes it; else None."""
    if node.start_mark.line == node.end_mark.line or node.style not in ("", None, "'", '"'):
        return None
    value = str(node.value)
    if node.style == '"':
        return double_quoted(value)
    if "\n" in value:
        return None
    return single_quoted(value) if node.style == "'" else value


def _scalars(node: Any) -> Iterator[Any]:
    import yaml

    if isinstance(node, yaml.ScalarNode):
        yield node
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _scalars(item)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from _scalars(key)
            yield from _scalars(value)


def scalar_at(node: Any, *keys: str) -> Any:
    """The scalar node at ``keys`` below mapping ``node``, or None."""
    import yaml

    for key in keys:
        if not isinstance(node, yaml.MappingNode):
            return None
        node = next((value for name, value in node.value if name.value == key), None)
    return node if isinstance(node, yaml.ScalarNode) else None


Edit = tuple[int, int, str]
"""A span of the text and what replaces it."""
Renamer = Callable[[Any], list[Edit]]


def as_yq_writes(text: str, renames: Renamer) -> str:
    """``text`` (go-yaml v3 output, as kustomize writes it) as yq v4 writes it after ``renames``.

    ``renames`` gives, for each composed document, the scalars yq's expression changes. Every
    other scalar keeps its bytes except those kustomize folded over several lines, which yq
    writes on one; then sequences are indented as yq does.
    """
    import yaml

    edits: list[Edit] = []
    for document in yaml.compose_all(text, Loader=yaml.SafeLoader):
        renamed = renames(document)
        edits += renamed
        names = {start for start, _, _ in renamed}
        for node in _scalars(document):
            unfolded = _unfolded(node)
            if unfolded is not None and node.start_mark.index not in names:
                edits.append((node.start_mark.index, node.end_mark.index, unfolded))
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return indent_sequences(text)
