"""The checkout's own ``check_pre_req.sh`` read as data (never run): its programs, how each one's
version is asked, how to install it and the minimum versions, from the positional arguments of its
``is_installed_<key>`` functions; the roles of the positions from the generic ``is_installed``
function's body (v0.24's four arguments, v0.27's eight); the list from ``PROGRAMS="@(...)"``; the
default groups from the branch that runs when no program is named.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from kstasks.core import errors

SCRIPT_PLACES = ("scripts/check_pre_req.sh", "hack/check_pre_req.sh")
"""Where releases keep it (scripts/ since v0.26; hack/ before), newest first."""

_FUNCTION_RE = re.compile(r"^is_installed_([A-Za-z0-9_]+)\s*\(\)\s*\{(.*?)^\}", re.MULTILINE | re.DOTALL)
_GENERIC_RE = re.compile(r"^is_installed\s*\(\)\s*\{(.*?)^\}", re.MULTILINE | re.DOTALL)
_PROGRAMS_RE = re.compile(r"^PROGRAMS=[\"']?@\(([^)]*)\)", re.MULTILINE)
_DEFAULT_BLOCK_RE = re.compile(
    r"^if \[ \$\{#programs\[@\]\} -eq 0 \]; then\n(.*?)^(?:else|fi)\b", re.MULTILINE | re.DOTALL
)
_ROLES = {
    "help": re.compile(r"install:\s*\$(\d)"),
    "display": re.compile(r"version[^\n:]*:\s*\$\(eval \"\$(\d)\""),
    "structured": re.compile(r"gotver=\$\(eval \"\$(\d)\""),
    "minimum": re.compile(r"wantver=\"\$(\d)\""),
    "additional": re.compile(r"addlver=\"\$(\d)\""),
    "upper": re.compile(r"exclver=\"\$(\d)\""),
}


@dataclass(frozen=True)
class ScriptProgram:
    """One ``is_installed_<key>`` function's arguments, by role."""

    key: str
    label: str
    command: str
    display: str = ""
    """Shell command printing the version for people."""
    structured: str = ""
    """Shell command printing the version the script compares (as strings, like ``[[ < ]]``)."""
    install: str = ""
    minimum: str = ""
    additional: str = ""
    """A second accepted range, ``additional <= v < upper`` (the roll from 9 to 10)."""
    upper: str = ""


@dataclass(frozen=True)
class PrereqScript:
    """What a ``check_pre_req.sh`` checks."""

    path: str
    """Relative to the checkout, e.g. ``scripts/check_pre_req.sh``."""
    programs: dict[str, ScriptProgram]
    """In ``PROGRAMS`` order."""
    groups: tuple[tuple[str, tuple[str, ...]], ...]
    """The default check: (title, keys) in order (one untitled group when it prints no titles)."""


def find(root: Path) -> Path | None:
    """The checkout's check_pre_req.sh (scripts/, else hack/, else anywhere below), or None."""
    for place in SCRIPT_PLACES:
        if (root / place).is_file():
            return root / place
    found = sorted(path for path in root.glob("**/check_pre_req.sh") if ".git" not in path.parts)
    return found[0] if found else None


def _roles(text: str) -> dict[str, int]:
    generic = _GENERIC_RE.search(text)
    body = generic[1] if generic else ""
    roles = {role: int(match[1]) for role, pattern in _ROLES.items() if (match := pattern.search(body))}
    if "display" not in roles and "structured" not in roles:
        version = re.search(r"\$\(eval \"\$(\d)\"", body)
        if version:
            roles["display"] = int(version[1])
    return roles


def _arguments(body: str, name: str) -> list[str]:
    joined = re.sub(r"\\\n", " ", body)
    call = next(
        (line.strip() for line in joined.splitlines() if line.strip().startswith("is_installed ")), ""
    )
    try:
        words = shlex.split(call, comments=True)
    except ValueError as err:
        raise errors.BadInput(
            f"cannot read is_installed_{name} in check_pre_req.sh ({err})", "Fix its quoting."
        ) from err
    return words[1:]


def parse(text: str, path: str) -> PrereqScript:
    """The programs, minimums and groups of the script ``text``."""
    roles = _roles(text)
    found: dict[str, ScriptProgram] = {}
    for match in _FUNCTION_RE.finditer(text):
        key, args = match[1], _arguments(match[2], match[1])
        if len(args) < 2:
            continue

        def at(role: str, args: list[str] = args) -> str:
            position = roles.get(role)
            return args[position - 1] if position and position <= len(args) else ""

        found[key] = ScriptProgram(
            key=key,
            label=args[0],
            command=args[1],
            display=at("display"),
            structured=at("structured"),
            install=at("help"),
            minimum=at("minimum"),
            additional=at("additional"),
            upper=at("upper"),
        )
    listed = _PROGRAMS_RE.search(text)
    order = [key for key in (listed[1].split("|") if listed else found) if key in found]
    programs = {key: found[key] for key in order}
    return PrereqScript(path, programs, _groups(text, programs))


def _groups(text: str, programs: dict[str, ScriptProgram]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    block = _DEFAULT_BLOCK_RE.search(text)
    if block is None:
        return (("", tuple(programs)),)
    listed = re.search(r"programs=\(([^)]*)\)", block[1])
    if listed:
        return (("", tuple(key for key in listed[1].split() if key in programs)),)
    groups: list[tuple[str, list[str]]] = []
    for line in block[1].splitlines():
        line = line.strip()
        title = re.match(r"^echo\s+[\"'](.*)[\"']$", line)
        if title:
            groups.append((title[1], []))
        elif line.startswith("is_installed_") and line[len("is_installed_") :] in programs:
            if not groups:
                groups.append(("", []))
            groups[-1][1].append(line[len("is_installed_") :])
    return tuple((title, tuple(keys)) for title, keys in groups)


def read(root: Path) -> PrereqScript | None:
    """The check_pre_req.sh of the checkout at ``root``, parsed; None when it has none."""
    script = find(root)
    if script is None:
        return None
    return parse(script.read_text(errors="replace"), script.relative_to(root).as_posix())


def accepts(program: ScriptProgram, got: str) -> bool:
    """The script's test: ``got >= minimum``, or ``additional <= got < upper``, as strings."""
    if not program.minimum and not program.upper:
        return True
    if program.minimum and not got < program.minimum:
        return True
    return bool(program.upper) and got < program.upper and not got < program.additional
