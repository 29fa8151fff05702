"""HTTP requests with a deadline for the whole exchange, for the registry and GitHub API clients.

A per-read timeout does not bound a server that drips its answer a byte at a time; here a
watchdog shuts the connection down when the deadline passes, wherever the exchange is
(connecting, sending, reading headers or body). The watchdog holds its own handle on the
connection's socket (taken when it is created), so it reaches the socket the answer is read
from whatever the server chooses: HTTP/1.0 or 1.1, keep-alive or ``Connection: close``,
``Content-Length``, chunked or close-delimited bodies, TLS or not.

A :class:`Budget` is the time one whole operation may take (all its requests, redirects and
retries): callers create one per operation and pass it to every :func:`request` of it, so
deadlines never multiply. Its length is :func:`default_deadline` (``KSTASKS_NETWORK_DEADLINE``
seconds, 30 by default).

Failures are told apart: nothing answered (:class:`Unreachable`), the deadline passed
(:class:`DeadlineExceeded`), the answer broke off (:class:`Truncated`), the answer was not
HTTP (:class:`Malformed`). Redirects are not followed: callers decide where credentials may go.
Imports only ``kstasks.core``.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import os
import socket
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from email.message import Message
from urllib.parse import urlsplit

from kstasks.core import errors

MAX_BODY = 512 * 1024 * 1024
"""Answers larger than this are refused (a registry blob of a release is far smaller)."""
DEADLINE_ENV = "KSTASKS_NETWORK_DEADLINE"
DEFAULT_DEADLINE = 30.0
"""Seconds one network operation (a request with its redirects and retries) may take."""
MAX_DEADLINE = 3600.0


def is_loopback(host: str) -> bool:
    """Whether ``host`` (no port) is this machine: localhost, 127.0.0.0/8 or ::1."""
    name = host.strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def is_web_url(url: str) -> bool:
    """Whether ``url`` is http(s) with a host and, where it names a port, a number."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def default_deadline() -> float:
    """``KSTASKS_NETWORK_DEADLINE`` seconds, else 30; exit 2 if it is not a sane number."""
    text = os.environ.get(DEADLINE_ENV, "").strip()
    if not text:
        return DEFAULT_DEADLINE
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds <= MAX_DEADLINE:  # also refuses nan and inf
        raise errors.BadInput(
            f"{DEADLINE_ENV} must be a number of seconds above 0 and at most {MAX_DEADLINE:g}",
            f"Unset it (the default is {DEFAULT_DEADLINE:g}) or set e.g. {DEADLINE_ENV}=60.",
        )
    return seconds


class Budget:
    """The time left for one whole operation: every request, redirect and retry of it."""

    def __init__(self, seconds: float | None = None) -> None:
        self.seconds = default_deadline() if seconds is None else seconds
        self.ends = time.monotonic() + self.seconds

    def remaining(self) -> float:
        """Seconds left (never below 0)."""
        return max(0.0, self.ends - time.monotonic())

    def allows(self, pause: float) -> bool:
        """Whether pausing ``pause`` seconds still leaves time for another request."""
        return pause < self.remaining()


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
    deadline: float | None = None,
    budget: Budget | None = None,
) -> Answer:
    """``method url``, the whole exchange bounded by ``deadline`` seconds (or what is left of
    ``budget``, the operation's time; the shorter of both)."""
    limit = budget.seconds if budget is not None else (deadline or default_deadline())
    seconds = deadline if deadline is not None else limit
    if budget is not None:
        seconds = min(seconds, budget.remaining())
    if seconds <= 0:
        raise DeadlineExceeded(url, f"no complete answer within {limit:g}s")
    try:
        conn, target = _connection(url, seconds)
    except ValueError as err:  # a port that is not a number
        raise Malformed(url, f"not a valid URL: {err}") from err
    watch = _Watch(conn)
    watchdog = threading.Timer(seconds, watch.expire)
    watchdog.daemon = True
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
        if watch.expired.is_set():
            raise DeadlineExceeded(url, f"no complete answer within {limit:g}s")
        return Answer(url, response.status, response.headers, data)
    except (NetworkError, OSError, http.client.HTTPException) as err:
        if watch.expired.is_set() or isinstance(err, TimeoutError):
            raise DeadlineExceeded(url, f"no complete answer within {limit:g}s") from err
        if isinstance(err, NetworkError):
            raise
        raise _classify(url, stage, err) from err
    finally:
        watchdog.cancel()
        watch.close()
        conn.close()


class _Watch:
    """The watchdog's own handles on every socket of one connection (a duplicate of each, so it
    reaches the socket even after ``http.client`` or TLS took it over)."""

    def __init__(self, conn: http.client.HTTPConnection) -> None:
        self.expired = threading.Event()
        self.lock = threading.Lock()
        self.sockets: list[socket.socket] = []
        create = conn._create_connection  # type: ignore[attr-defined]

        def created(*args: object, **kwargs: object) -> socket.socket:
            sock: socket.socket = create(*args, **kwargs)
            with self.lock:
                if self.expired.is_set():
                    sock.close()
                    raise TimeoutError("the deadline passed while connecting")
                self.sockets.append(sock.dup())
            return sock

        conn._create_connection = created  # type: ignore[attr-defined]

    def expire(self) -> None:
        """Shut the connection down: whatever reads or writes on it returns at once."""
        with self.lock:
            self.expired.set()
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.close()
            self.sockets.clear()


def _read_body(response: http.client.HTTPResponse, url: str) -> bytes:
    """The whole body, or :class:`Truncated` if it breaks off before its announced length."""
    if response.length is not None and response.length > MAX_BODY:
        raise Malformed(url, f"an answer larger than {MAX_BODY // (1024 * 1024)} MiB")
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
