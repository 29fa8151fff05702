"""Authentication helpers: ``WWW-Authenticate`` challenges parsed per RFC 7235, the origin a
credential belongs to, and credentials from the environment checked before any use.

A challenge list may hold several challenges (``Basic realm="a", Bearer realm="b",
scope="repository:x:pull,push"``); parameter values are tokens or quoted strings, in which
commas are data and ``\\x`` stands for ``x``; a scheme may carry a token68 instead of
parameters. Credentials go only to the scheme, host and port (the origin) they belong to.
Imports only ``kstasks.core``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from kstasks.core import errors, output

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_TOKEN_RE = re.compile(_TOKEN)
_TOKEN68_RE = re.compile(r"[A-Za-z0-9._~+/-]+=*")
_QUOTED_RE = re.compile(r'"((?:[^"\\]|\\.)*)"', re.DOTALL)
_SPACE_RE = re.compile(r"[ \t]*")

MIN_SECRET = 4
"""Shorter credentials are refused: masking them would garble ordinary words in the log."""
MAX_SECRET = 16384
"""Longer credentials are refused (no registry or GitHub token is near this long)."""


@dataclass(frozen=True)
class Challenge:
    """One challenge: its scheme (lower case), parameters (names lower case) or token68."""

    scheme: str
    params: dict[str, str] = field(default_factory=dict)
    token68: str = ""


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def space(self) -> None:
        self.pos = _SPACE_RE.match(self.text, self.pos).end()  # type: ignore[union-attr]

    def match(self, pattern: re.Pattern[str]) -> str | None:
        found = pattern.match(self.text, self.pos)
        if found is None:
            return None
        self.pos = found.end()
        return found.group(0)

    def peek(self, char: str) -> bool:
        return self.text.startswith(char, self.pos)

    def done(self) -> bool:
        return self.pos >= len(self.text)


def parse_challenges(header: str) -> list[Challenge]:
    """Every challenge in a ``WWW-Authenticate`` value (RFC 7235 section 4.1), in order.

    What cannot be parsed ends the list: a malformed header gives the challenges before it.
    """
    scan = _Scanner(header)
    found: list[Challenge] = []
    while True:
        scan.space()
        while scan.peek(","):
            scan.pos += 1
            scan.space()
        scheme = scan.match(_TOKEN_RE)
        if scheme is None:
            return found
        params: dict[str, str] = {}
        token68 = ""
        scan.space()
        if _at_param(scan):
            params = _params(scan)
        else:
            token68 = scan.match(_TOKEN68_RE) or ""
            scan.space()
        found.append(Challenge(scheme.lower(), params, token68))
        if not (scan.done() or scan.peek(",")):
            return found


def _at_param(scan: _Scanner) -> bool:
    """Whether ``name=value`` starts at the scanner (else a token68, ``abc==``, or nothing)."""
    found = re.compile(rf'({_TOKEN})[ \t]*=[ \t]*(?:"|{_TOKEN})').match(scan.text, scan.pos)
    return found is not None


def _params(scan: _Scanner) -> dict[str, str]:
    """``name=value`` pairs separated by commas, until the next challenge or the end."""
    params: dict[str, str] = {}
    while True:
        scan.space()
        name = scan.match(_TOKEN_RE) or ""
        scan.space()
        scan.pos += 1  # the "=" (_at_param saw it)
        scan.space()
        quoted = scan.match(_QUOTED_RE)
        if quoted is not None:
            value = re.sub(r"\\(.)", r"\1", quoted[1:-1], flags=re.DOTALL)
        else:
            token = scan.match(_TOKEN_RE)
            if token is None:  # an unterminated quoted string: the header ends here
                return params
            value = token
        params.setdefault(name.lower(), value)
        scan.space()
        comma = scan.pos
        while scan.peek(","):
            scan.pos += 1
            scan.space()
        if scan.pos == comma or not _at_param(scan):
            scan.pos = comma  # the end, or a comma before the next challenge
            return params


def choose(challenges: list[Challenge]) -> Challenge | None:
    """The challenge to answer: Bearer (with a realm) before Basic; None if neither is there."""
    for wanted in ("bearer", "basic"):
        for challenge in challenges:
            if challenge.scheme == wanted and (wanted == "basic" or challenge.params.get("realm")):
                return challenge
    return None


def origin(url: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of ``url``, the port filled in from the scheme."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    default = 443 if parts.scheme == "https" else 80
    return parts.scheme.lower(), (parts.hostname or "").lower(), port or default


def secret_from_env(name: str) -> str | None:
    """The credential in environment variable ``name``, registered as a secret; None if unset.

    Exit 2, naming the variable but never its value, if it holds control characters (a
    newline pasted with it) or is absurdly short or long.
    """
    value = os.environ.get(name)
    if not value:
        return None
    problem = ""
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in value):
        problem = "holds a control character"
    elif len(value) < MIN_SECRET:
        problem = f"is shorter than {MIN_SECRET} characters"
    elif len(value) > MAX_SECRET:
        problem = f"is longer than {MAX_SECRET} characters"
    elif value != value.strip():
        problem = "starts or ends with spaces"
    if problem:
        raise errors.BadInput(
            f"{name} {problem}; it was not used",
            f"Set {name} to the credential alone (no newline or carriage return, no spaces around it).",
        )
    output.add_secret(value)
    return value


def name_from_env(name: str) -> str | None:
    """A user name from environment variable ``name`` (not secret); exit 2 if it holds control
    characters or a colon (which would split a Basic credential)."""
    value = os.environ.get(name)
    if not value:
        return None
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in value) or ":" in value or len(value) > 1024:
        raise errors.BadInput(
            f"{name} holds a control character, a colon or is too long; it was not used",
            f"Set {name} to the user name alone.",
        )
    return value
