"""Misbehaving servers on 127.0.0.1 for the fault matrix (tests/test_fault_matrix.py) and the
network tests: each behaviour is a small raw-socket HTTP "server" that answers every request
the same hostile way, so every task that talks to the network can be run against the same table.

A behaviour is a function ``(Loopback, socket, Request) -> None`` that writes whatever it likes
on the connection of one request. :func:`serve` runs one on a free port (a thread per
connection) and records every request it read (method, path, headers), so tests can assert
where credentials went. ``DEADLINE`` is the network deadline the matrix gives the processes
under test (``KSTASKS_NETWORK_DEADLINE``); the behaviours are timed relative to it.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

DEADLINE = 2.0
"""Seconds of ``KSTASKS_NETWORK_DEADLINE`` for the processes under test."""
DRIP = 0.25
"""Seconds between the bytes of a dripping answer (well under the deadline: no read times out)."""


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Loopback:
    """A server on 127.0.0.1 (``host`` is ``127.0.0.1:PORT``, or another name for the same port)."""

    host: str = ""
    requests: list[Request] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    other: Loopback | None = None
    """A second server some behaviours point at (redirect or challenge to another host)."""

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def authorizations(self) -> list[str]:
        return [r.headers.get("authorization", "") for r in self.requests if r.headers.get("authorization")]


Behaviour = Callable[[Loopback, socket.socket, Request], None]


def read_request(conn: socket.socket) -> Request | None:
    """The request on ``conn`` (its body read and dropped), or None when the client went away."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path = [*lines[0].split(" "), "", ""][:2]
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk
    return Request(method, path, headers)


@contextmanager
def serve(
    behaviour: Behaviour, *, hostname: str = "127.0.0.1", other: Loopback | None = None
) -> Iterator[Loopback]:
    """``behaviour`` answering every request on a free port of 127.0.0.1 for the block."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.2)
    state = Loopback(host=f"{hostname}:{listener.getsockname()[1]}", other=other)

    def handle(conn: socket.socket) -> None:
        with conn:
            try:
                while not state.stopping.is_set():
                    request = read_request(conn)
                    if request is None:
                        return
                    state.requests.append(request)
                    behaviour(state, conn, request)
            except OSError:
                return

    def accept() -> None:
        while not state.stopping.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.stopping.set()
        thread.join(5)
        listener.close()


def refused_address() -> str:
    """``127.0.0.1:PORT`` where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{sock.getsockname()[1]}"


# -- behaviours -------------------------------------------------------------------------------


def answer(status: str, body: bytes = b"", **headers: str) -> Behaviour:
    """A complete answer, keep-alive."""

    def behaviour(state: Loopback, conn: socket.socket, request: Request) -> None:
        lines = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}"]
        lines += [f"{key.replace('_', '-')}: {value}" for key, value in headers.items()]
        text = "\r\n".join(lines).replace("{url}", state.url)
        if state.other is not None:
            text = text.replace("{other}", state.other.url)
        conn.sendall(text.encode() + b"\r\n\r\n" + (b"" if request.method == "HEAD" else body))

    return behaviour


def _drip(state: Loopback, conn: socket.socket, data: bytes, filler: bytes = b" ") -> None:
    position = 0
    while not state.stopping.is_set():
        conn.sendall(data[position : position + 1] or filler)
        position += 1
        time.sleep(DRIP)


def drip(head: bytes, filler: bytes = b" ") -> Behaviour:
    """``head`` (status line, headers and the body's start) one byte at a time, then filler, forever."""

    def behaviour(state: Loopback, conn: socket.socket, request: Request) -> None:
        _drip(state, conn, head, filler)

    return behaviour


def after(seconds: float, then: Behaviour) -> Behaviour:
    """``then``, after ``seconds`` of silence."""

    def behaviour(state: Loopback, conn: socket.socket, request: Request) -> None:
        if not state.stopping.wait(seconds):
            then(state, conn, request)

    return behaviour


def raw(data: bytes) -> Behaviour:
    """``data`` as is, then the connection closes."""

    def behaviour(state: Loopback, conn: socket.socket, request: Request) -> None:
        conn.sendall(data)
        conn.shutdown(socket.SHUT_RDWR)
        raise OSError("closed")

    return behaviour


def redirect_loop() -> Behaviour:
    """302 to a new path on the same server, forever."""

    def behaviour(state: Loopback, conn: socket.socket, request: Request) -> None:
        target = f"{request.path.split('?')[0]}?hop={len(state.requests)}"
        answer("302 Found", Location=target)(state, conn, request)

    return behaviour


def slow_redirects_then_5xx(hops: int = 7) -> Behaviour:
    """302s after 0.4 deadlines each (``hops`` of them), then 503s after 0.4 deadlines: a client
    giving each exchange its own deadline would take (hops + retries) x 0.4 deadlines."""

    def behaviour(state: Loopback, conn: socket.socket, request: Request) -> None:
        hop = int(request.path.rpartition("hop=")[2] or 0) if "hop=" in request.path else 0
        if hop < hops:
            then = answer("302 Found", Location=f"{request.path.split('?')[0]}?hop={hop + 1}")
        else:
            then = answer("503 Service Unavailable", b"{}", Content_Type="application/json")
        after(DEADLINE * 0.4, then)(state, conn, request)

    return behaviour


JSON = {"Content_Type": "application/json"}
DEEP = b"[" * 200_000 + b"]" * 200_000

BEHAVIOURS: dict[str, Behaviour] = {
    "drip-body-http1.0": drip(
        b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n{"
    ),
    "drip-body-http1.1": drip(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n{"
    ),
    "drip-body-close-delimited": drip(
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/json\r\n\r\n{"
    ),
    "drip-body-chunked": drip(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n{"),
    "drip-headers": drip(b"HTTP/1.1 200 OK\r\nX-Slow: ", b"a"),
    "truncated": raw(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a'),
    "oversized": raw(b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n" + b"x" * 65536),
    "not-http": raw(b"SSH-2.0-OpenSSH_9.2\r\n"),
    "5xx-storm": after(DEADLINE * 0.6, answer("503 Service Unavailable", b"{}", **JSON)),
    "429-huge-retry-after": answer(
        "429 Too Many Requests",
        b"{}",
        Retry_After="99999999999999",
        X_RateLimit_Remaining="0",
        X_RateLimit_Reset="99999999999999",
        **JSON,
    ),
    "redirect-loop": redirect_loop(),
    "slow-redirects-then-5xx": slow_redirects_then_5xx(),
    "redirect-to-file": answer("302 Found", Location="file:///etc/passwd"),
    "redirect-to-other-host": answer("307 Temporary Redirect", Location="{other}/elsewhere"),
    "challenge-from-other-host": answer(
        "401 Unauthorized",
        b"{}",
        WWW_Authenticate='Bearer realm="{other}/token",service="reg",scope="repository:x/y:pull,push"',
        **JSON,
    ),
    "deeply-nested-json": answer("200 OK", DEEP, **JSON),
}
"""Every hostile behaviour of the matrix but "refused" (which needs no server), by name."""

OTHER_HOST = answer(
    "401 Unauthorized", b"{}", WWW_Authenticate='Basic realm="other"', Content_Type="application/json"
)
"""What the other host of the redirect and challenge rows answers (anything that asks for credentials)."""
