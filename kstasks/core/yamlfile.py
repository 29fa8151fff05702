"""YAML read from files the user owns (Chart.yaml, values.yaml, settings), its errors as one line
naming the file, line and column. Imports only ``kstasks.core.errors``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kstasks.core import errors


def problem(error: BaseException) -> str:
    """A YAML error as one line: ``line L, column C: what is wrong (while what)``."""
    what, mark, during = (getattr(error, name, None) for name in ("problem", "problem_mark", "context"))
    if what:  # a marked error of PyYAML (or of the copy Invoke carries)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        name = str(getattr(mark, "name", "") or "")
        where = f"{name}, {where}" if name and not name.startswith("<") else where
        text = f"{where}{what}{f' ({during})' if during else ''}"
    else:
        text = str(error)
    text = " ".join(text.split())
    return f"{text[:300]}..." if len(text) > 300 else text


def loads(text: str | bytes, source: str) -> Any:
    """The YAML document in ``text`` (read from ``source``); exit 2 naming it if malformed."""
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise errors.BadInput(f"{source} is not valid YAML: {problem(err)}", f"Fix {source}.") from None
    except RecursionError:
        raise errors.BadInput(f"{source} is nested too deeply", f"Fix {source}.") from None


def load(path: Path, source: str | None = None) -> Any:
    """The YAML document in file ``path``; exit 2 naming it if malformed or not UTF-8."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise errors.BadInput(f"{source or path} is not UTF-8 text", f"Fix {source or path}.") from None
    return loads(text, source or str(path))
