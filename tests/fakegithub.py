"""Test helper: a local HTTP server that speaks the part of the GitHub REST API kstasks uses.

Queued answers (``answer``) come first; releases, assets, tags and dispatches are answered from
a :class:`tests.fakereleases.ReleaseStore`, with uploads on a second loopback port.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.fakereleases import ReleaseStore


class FakeGitHub:
    """Answers GET requests from per-path queues of (status, headers, body); the last answer repeats."""

    def __init__(self) -> None:
        self.answers: dict[str, list[tuple[int, dict[str, str], object]]] = {}
        self.requests: list[tuple[str, str | None]] = []
        self.url = ""
        self.releases = ReleaseStore()
        self.log: list[tuple[str, str, str, str | None]] = []
        """Every request: (``api`` or ``uploads``, method, path, Authorization header)."""

    def answer(self, path: str, *answers: tuple[int, dict[str, str], object]) -> None:
        """Queue ``answers`` for ``path``."""
        self.answers[path] = list(answers)

    def latest(self, repo: str, tag: str, **extra: object) -> None:
        """``/repos/<repo>/releases/latest`` answers with a release named ``tag``."""
        self.answer(
            f"/repos/{repo}/releases/latest",
            (200, {}, {"tag_name": tag, "draft": False, "prerelease": False, **extra}),
        )

    def count(self, path: str) -> int:
        """How many requests ``path`` got."""
        return sum(1 for requested, _ in self.requests if requested == path)


@contextmanager
def serve() -> Iterator[FakeGitHub]:
    """A FakeGitHub listening on 127.0.0.1 for the duration of the block."""
    fake = FakeGitHub()

    class Handler(BaseHTTPRequestHandler):
        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _send(self, status: int, headers: dict[str, str], body: object) -> None:
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            for key, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            fake.log.append(("api", "POST", self.path, self.headers.get("Authorization")))
            self._send(
                *(fake.releases.handle("POST", self.path, self.headers, self._body()) or (404, {}, {}))
            )

        def do_DELETE(self) -> None:
            fake.log.append(("api", "DELETE", self.path, self.headers.get("Authorization")))
            self._send(*(fake.releases.handle("DELETE", self.path, self.headers, None) or (404, {}, {})))

        def do_GET(self) -> None:
            fake.requests.append((self.path, self.headers.get("Authorization")))
            fake.log.append(("api", "GET", self.path, self.headers.get("Authorization")))
            if self.path not in fake.answers:
                stored = fake.releases.handle("GET", self.path, self.headers, None)
                if stored is not None:
                    self._send(*stored)
                    return
            queue = fake.answers.get(self.path) or [(404, {}, {"message": "Not Found"})]
            status, headers, body = queue.pop(0) if len(queue) > 1 else queue[0]
            data = json.dumps(body).encode()
            self.send_response(status)
            for key, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    class Uploads(BaseHTTPRequestHandler):
        def _send(self, status: int, headers: dict[str, str], data: bytes, kind: str) -> None:
            self.send_response(status)
            for key, value in {"Content-Type": kind, **headers}.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            fake.log.append(("uploads", "POST", self.path, self.headers.get("Authorization")))
            length = int(self.headers.get("Content-Length") or 0)
            status, headers, body = fake.releases.upload(self.path, length, self.rfile.read)
            if status == 500 and fake.releases.unstall.is_set():
                self.close_connection = True  # the client this stalled upload was for is gone
                return
            self._send(status, headers, json.dumps(body).encode(), "application/json")

        def do_GET(self) -> None:
            fake.log.append(("uploads", "GET", self.path, self.headers.get("Authorization")))
            found = fake.releases.download(self.path)
            status, data = found or (404, b"")
            self._send(status, {}, data, "application/octet-stream")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    uploads = ThreadingHTTPServer(("127.0.0.1", 0), Uploads)
    uploads.daemon_threads = server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    fake.releases.api = fake.url
    fake.releases.uploads = f"http://127.0.0.1:{uploads.server_address[1]}"
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (server, uploads)]
    for thread in threads:
        thread.start()
    try:
        yield fake
    finally:
        for each in (server, uploads):
            each.shutdown()
            each.server_close()
