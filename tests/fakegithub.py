"""Test helper: a local HTTP server that speaks the part of the GitHub REST API kstasks uses."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeGitHub:
    """Answers GET requests from per-path queues of (status, headers, body); the last answer repeats."""

    def __init__(self) -> None:
        self.answers: dict[str, list[tuple[int, dict[str, str], object]]] = {}
        self.requests: list[tuple[str, str | None]] = []
        self.url = ""

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
        def do_GET(self) -> None:
            fake.requests.append((self.path, self.headers.get("Authorization")))
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

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
