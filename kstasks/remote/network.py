"""HTTP requests with a deadline for the whole exchange, for the registry and GitHub API clients.

A per-read timeout does not bound a server that drips its answer a byte at a time; here a
watchdog shuts the connection down when the deadline passes, wherever the exchange is
(connecting, sending, reading headers or body). Failures are told apart: nothing answered
(:class:`Unreachable`), the deadline passed (:class:`DeadlineExceeded`), the answer broke off
(:class:`Truncated`), the answer was not HTTP (:class:`Malformed`). Redirects are not followed:
callers decide where credentials may go.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from email.message import Message
from urllib.parse import urlsplit

MAX_BODY = 512 * 1024 * 1024
"""Answers larger than this are refused (a registry blob of a release is far smaller)."""


class NetworkError(Exception):
    """A request that did not give a complete HTTP answer."""

    def __init__(self, url: str, problem: str) -> None:
        super().__init__(f"{problem} ({url})")
        self.url = url
        self.problem = problem


class Unreachable(NetworkError):
    """Nothing answered: connection refused, unknown host, network down, TLS failure."""


class DeadlineExceeded(NetworkError):
    """The whole exchange took longer than its deadline."""


class Truncated(NetworkError):
    """The server started answering and broke off."""


class Malformed(NetworkError):
    """What came back was not an HTTP answer."""


@dataclass(frozen=True)
class Answer:
    """A complete HTTP answer."""

    url: str
    status: int
    headers: Message = field(repr=False)
    body: bytes = field(repr=False)

    def header(self, name: str, default: str = "") -> str:
        """The value of header ``name`` (case-insensitive), or ``default``."""
        value = self.headers.get(name)
        return default if value is None else str(value)


def _proxy(scheme: str, host: str) -> tuple[str, int] | None:
    """The HTTP proxy the environment names for ``scheme://host``, or None (never for loopback)."""
    if host in ("localhost", "::1") or host.startswith("127.") or urllib.request.proxy_bypass(host):
        return None
    proxy = urllib.request.getproxies().get(scheme)
    if not proxy:
        return None
    parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    if not parts.hostname:
        return None
    return parts.hostname, parts.port or 80


def _connection(url: str, timeout: float) -> tuple[http.client.HTTPConnection, str]:
    """A connection for ``url`` (through the environment's proxy, if any) and the request target."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Malformed(url, "not an http(s) URL")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    target = parts.path or "/"
    if parts.query:
        target += f"?{parts.query}"
    proxy = _proxy(parts.scheme, parts.hostname)
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    if proxy is None:
        return cls(parts.hostname, port, timeout=timeout), target
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(proxy[0], proxy[1], timeout=timeout)
        conn.set_tunnel(parts.hostname, port)
        return conn, target
    return http.client.HTTPConnection(proxy[0], proxy[1], timeout=timeout), url


def request(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    deadline: float = 30.0,
) -> Answer:
    """``method url`` with the whole exchange bounded by ``deadline`` seconds."""
    try:
        conn, target = _connection(url, deadline)
    except ValueError as err:  # a port that is not a number
        raise Malformed(url, f"not a valid URL: {err}") from err
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        sock = conn.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    watchdog = threading.Timer(deadline, expire)
    watchdog.daemon = True
    started = time.monotonic()
    watchdog.start()
    stage = "connect"
    try:
        conn.connect()
        stage = "send"
        conn.request(method, target, body=body, headers=headers or {})
        stage = "status"
        response = conn.getresponse()
        stage = "body"
        data = _read_body(response, url)
        if expired.is_set():
            raise DeadlineExceeded(url, f"no complete answer within {deadline:g}s")
        return Answer(url, response.status, response.headers, data)
    except NetworkError:
        raise
    except (OSError, http.client.HTTPException) as err:
        if expired.is_set() or time.monotonic() - started >= deadline:
            raise DeadlineExceeded(url, f"no complete answer within {deadline:g}s") from err
        raise _classify(url, stage, err) from err
    finally:
        watchdog.cancel()
        conn.close()


def _read_body(response: http.client.HTTPResponse, url: str) -> bytes:
    """The whole body, or :class:`Truncated` if it breaks off before its announced length."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = response.read(65536)
        if not chunk:
            break
        size += len(chunk)
        if size > MAX_BODY:
            raise Malformed(url, f"an answer larger than {MAX_BODY // (1024 * 1024)} MiB")
        chunks.append(chunk)
    if response.length:  # bytes announced by Content-Length that never came
        raise Truncated(url, f"the answer broke off after {size} bytes, {response.length} short")
    return b"".join(chunks)


def _classify(url: str, stage: str, err: BaseException) -> NetworkError:
    """The kind of failure ``err`` is, given how far the exchange got."""
    if isinstance(err, http.client.IncompleteRead):
        return Truncated(url, f"the answer broke off after {len(err.partial)} bytes")
    if stage == "body":
        return Truncated(url, f"the answer broke off ({type(err).__name__})")
    if isinstance(err, http.client.RemoteDisconnected):
        return Truncated(url, "the server closed the connection without answering")
    if isinstance(err, (http.client.BadStatusLine, http.client.LineTooLong)) or (
        isinstance(err, http.client.HTTPException) and stage == "status"
    ):
        return Malformed(url, "the server's answer is not HTTP")
    return Unreachable(url, f"{type(err).__name__}: {err}".rstrip(": "))
