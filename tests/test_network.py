"""Registry and GitHub API clients against small misbehaving HTTP servers on 127.0.0.1.

Each server is a thread in the test process; every test is bounded in time.
"""

from __future__ import annotations

import json
import os
import stat
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from invoke.exceptions import Exit

from kstasks.core.errors import KstasksError
from kstasks.remote import github
from kstasks.remote.dockerconfig import private_docker_config
from kstasks.remote.registry import Reference, Registry
from tests.conftest import free_port, kstasks
from tests.fakegithub import serve

Route = Callable[[BaseHTTPRequestHandler], None]


class Server:
    """Answers each path with a route; records (method, path, Authorization) of every request."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, str, str | None]] = []
        self.stopping = threading.Event()
        self.url = ""
        self.host = ""


@contextmanager
def server(hostname: str = "127.0.0.1") -> Iterator[Server]:
    """A :class:`Server` listening on ``hostname`` (127.0.0.1) for the block."""
    state = Server()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _any(self) -> None:
            state.requests.append((self.command, self.path, self.headers.get("Authorization")))
            route = state.routes.get(self.path.split("?")[0]) or state.routes.get("*")
            if route is None:
                send(self, 404, b'{"errors":[]}')
                return
            route(self)

        do_GET = do_HEAD = do_PUT = do_POST = _any

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    state.host = f"{hostname}:{httpd.server_address[1]}"
    state.url = f"http://{state.host}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.stopping.set()
        httpd.shutdown()
        httpd.server_close()


def send(handler: BaseHTTPRequestHandler, status: int, body: bytes, **headers: str) -> None:
    handler.send_response(status)
    for key, value in {"Content-Type": "application/json", **headers}.items():
        handler.send_header(key.replace("_", "-"), value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(body)


def drip(state: Server, data: bytes, *, every: float = 0.05) -> Route:
    """Write ``data`` (then spaces, forever) one byte at a time."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        position = 0
        while not state.stopping.is_set():
            byte = data[position : position + 1] or b" "
            position += 1
            try:
                handler.wfile.write(byte)
                handler.wfile.flush()
            except OSError:
                return
            time.sleep(every)

    return route


def raw(data: bytes) -> Route:
    """Write ``data`` as is and close."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(data)
        handler.wfile.flush()
        handler.close_connection = True

    return route


def failure(call: Callable[[], object]) -> Exit:
    with pytest.raises(KstasksError) as caught:
        call()
    return caught.value


def registry_at(state: Server, timeout: float = 1.5) -> Registry:
    return Registry(Reference.parse(f"{state.host}/team"), timeout=timeout)


# -- bounded waits --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"tags": [',
        b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 5000,
    ],
    ids=["body", "headers"],
)
def test_a_registry_that_drips_cannot_hold_past_the_deadline(answer: bytes) -> None:
    with server() as state:
        state.routes["*"] = drip(state, answer)
        started = time.monotonic()
        error = failure(lambda: registry_at(state).tags("team/app"))
        elapsed = time.monotonic() - started
    assert elapsed < 6.0  # the drip never ends: only the 1.5 s deadline stops it
    assert error.code == 1
    assert "gave no complete answer within 1.5s" in str(error.message)
    assert len(str(error.message).splitlines()) == 1


def test_a_truncated_registry_answer_is_not_unreachable() -> None:
    with server() as state:
        state.routes["*"] = raw(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"tags": ["0.1')
        error = failure(lambda: registry_at(state).tags("team/app"))
    assert error.code == 1
    assert "broke off" in str(error.message) and "unreachable" not in str(error.message)


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        (lambda h: send(h, 200, b"<html>login</html>", Content_Type="text/html"), "not JSON"),
        (lambda h: send(h, 200, b'["a list"]'), "not JSON"),
        (raw(b"SSH-2.0-OpenSSH_9.2\r\n"), "did not answer as an OCI registry"),
    ],
    ids=["html", "json-list", "not-http"],
)
def test_a_malformed_registry_answer_is_one_line_exit_2(route: Route, expected: str) -> None:
    with server() as state:
        state.routes["*"] = route
        error = failure(lambda: registry_at(state).tags("team/app"))
    assert error.code == 2
    assert expected in str(error.message) and len(str(error.message).splitlines()) == 1


def test_a_github_api_that_drips_is_bounded_and_not_retried() -> None:
    with server() as state:
        state.routes["*"] = drip(state, b"HTTP/1.1 200 OK\r\nContent-Length: 900\r\n\r\n{")
        started = time.monotonic()
        error = failure(lambda: github.get_json(f"{state.url}/repos/a/b/releases/latest", timeout=1.5))
        elapsed = time.monotonic() - started
    assert elapsed < 6.0  # the drip never ends: only the 1.5 s deadline stops it
    assert error.code == 1 and "no complete answer within 1.5s" in str(error.message)
    assert len(state.requests) == 1


def test_html_from_the_github_api_is_one_line_exit_2() -> None:
    with server() as state:
        state.routes["*"] = lambda h: send(h, 200, b"<!doctype html><p>proxy login", Content_Type="text/html")
        error = failure(lambda: github.latest_release("a/b", api=state.url))
    assert error.code == 2
    assert "answered with HTML" in str(error.message) and len(str(error.message).splitlines()) == 1


def test_a_truncated_github_answer_is_retried_and_not_called_unreachable() -> None:
    with server() as state:
        state.routes["*"] = raw(b'HTTP/1.1 200 OK\r\nContent-Length: 80\r\n\r\n{"tag_name": "v1')
        retry = github.Retry(attempts=3, backoff=0.01)
        error = failure(lambda: github.latest_release("a/b", api=state.url, retry=retry))
    assert len(state.requests) == 3
    assert error.code == 1
    assert "broke off" in str(error.message) and "unreachable" not in str(error.message)


def test_rate_limit_with_a_token_set_does_not_ask_for_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "tok-123")
    with serve() as fake:
        fake.answer(
            "/repos/a/b/releases/latest",
            (403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1700000000"}, {"message": "limit"}),
        )
        error = failure(lambda: github.latest_release("a/b", api=fake.url))
    assert error.code == 2
    assert "GITHUB_TOKEN is set" in str(error.message) and "set GITHUB_TOKEN to" not in str(error.message)
    assert "tok-123" not in str(error.message)


@pytest.mark.parametrize("url", ["api.github.com", "ftp://x/y", "http://host:port"])
def test_an_unparsable_github_api_url_is_exit_2(url: str) -> None:
    assert failure(lambda: github.api_base(url)).code == 2


@pytest.mark.parametrize("host", ["bogus://x", "tcp://[::1", "tcp://host:notaport"])
def test_an_unparsable_docker_host_is_one_line_exit_2(host: str, sample_repo: Path) -> None:
    result = kstasks(
        "ko-build-controller-manager-local",
        "--arch",
        "amd64",
        cwd=sample_repo,
        env={"KSTASKS_REPO": str(sample_repo), "DOCKER_HOST": host},
        timeout=120,
    )
    assert result.returncode == 2
    said = [line for line in result.stderr.strip().splitlines() if not line.startswith("+ ")]
    assert len(said) == 1 and "is not an engine address" in said[0] and "Traceback" not in result.stderr


# -- credentials ----------------------------------------------------------------------------


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    monkeypatch.setenv("KSTASKS_REGISTRY_USERNAME", "robot")
    monkeypatch.setenv("KSTASKS_REGISTRY_PASSWORD", "pa55word")
    return "robot", "pa55word"


def test_a_plain_http_token_realm_on_another_host_gets_nothing(credentials: tuple[str, str]) -> None:
    with server("localhost") as realm, server() as state:
        realm.routes["*"] = lambda h: send(h, 200, b'{"token": "t"}')
        challenge = f'Bearer realm="{realm.url}/token",service="reg",scope="repository:team/app:pull"'
        state.routes["*"] = lambda h: send(h, 401, b"{}", WWW_Authenticate=challenge)
        error = failure(lambda: registry_at(state).tags("team/app"))
    assert error.code == 2
    assert "without HTTPS; nothing was sent there" in str(error.message)
    assert realm.requests == []
    assert all(auth is None for _, _, auth in state.requests)
    assert "pa55word" not in str(error.message)


def test_credentials_go_to_the_same_host_realm_and_tokens_only_to_the_registry(
    credentials: tuple[str, str],
) -> None:
    with server() as state:
        challenge = f'Bearer realm="{state.url}/token",service="reg",scope="repository:team/app:pull"'

        def registry(handler: BaseHTTPRequestHandler) -> None:
            if handler.headers.get("Authorization") == "Bearer tok-1":
                send(handler, 200, json.dumps({"name": "team/app", "tags": ["1.0.0"]}).encode())
            else:
                send(handler, 401, b"{}", WWW_Authenticate=challenge)

        state.routes["*"] = registry
        state.routes["/token"] = lambda h: send(h, 200, b'{"token": "tok-1"}')
        assert registry_at(state).tags("team/app") == ["1.0.0"]
    auths = [(path.split("?")[0], auth) for _, path, auth in state.requests]
    assert auths[0] == ("/v2/team/app/tags/list", None)
    assert auths[1][0] == "/token" and auths[1][1] and auths[1][1].startswith("Basic ")
    assert auths[2] == ("/v2/team/app/tags/list", "Bearer tok-1")


def test_a_redirect_to_another_host_carries_no_credentials(credentials: tuple[str, str]) -> None:
    data = b"blob bytes"
    import hashlib

    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    with server("localhost") as storage, server() as state:
        storage.routes["*"] = lambda h: send(h, 200, data, Content_Type="application/octet-stream")

        def registry(handler: BaseHTTPRequestHandler) -> None:
            if handler.headers.get("Authorization", "").startswith("Basic "):
                send(handler, 307, b"", Location=f"{storage.url}/blob")
            else:
                send(handler, 401, b"{}", WWW_Authenticate='Basic realm="reg"')

        state.routes["*"] = registry
        assert registry_at(state).blob("team/app", digest) == data
    assert [auth for _, _, auth in storage.requests] == [None]
    assert state.requests[-1][2] and state.requests[-1][2].startswith("Basic ")


def test_a_registry_address_with_credentials_is_refused_unechoed(sample_repo: Path) -> None:
    result = kstasks(
        "publish-charts",
        "--version",
        "0.25.0",
        "--registry",
        f"oci://robot:hunter2@127.0.0.1:{free_port()}/x",
        cwd=sample_repo,
        env={"KSTASKS_REPO": str(sample_repo)},
        timeout=120,
    )
    assert result.returncode == 2
    assert "hunter2" not in result.stderr + result.stdout
    last = result.stderr.rstrip().splitlines()[-1]
    assert "carries credentials" in last and "KSTASKS_REGISTRY_USERNAME" in last


def test_ko_credentials_file_is_private(credentials: tuple[str, str], tmp_path: Path) -> None:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="kstasks-", dir=tmp_path) as temp:
        env = private_docker_config(Reference.parse("registry.example/team").host, Path(temp))
        config = Path(env["DOCKER_CONFIG"]) / "config.json"
        assert stat.S_IMODE(config.stat().st_mode) == 0o600
        assert stat.S_IMODE(os.stat(temp).st_mode) == 0o700
        assert "registry.example" in json.loads(config.read_text())["auths"]
    assert list(tmp_path.iterdir()) == []


# -- deadlines whatever the server's framing (tests/faults.py behaviours) ---------------------


@pytest.mark.parametrize(
    "behaviour",
    [
        "drip-body-http1.0",
        "drip-body-http1.1",
        "drip-body-close-delimited",
        "drip-body-chunked",
        "drip-headers",
    ],
)
def test_the_deadline_holds_whatever_the_framing(behaviour: str) -> None:
    from kstasks.remote import network
    from tests import faults

    with faults.serve(faults.BEHAVIOURS[behaviour]) as state:
        started = time.monotonic()
        with pytest.raises(network.DeadlineExceeded):
            network.request("GET", f"{state.url}/v2/", deadline=1.0)
        elapsed = time.monotonic() - started
    assert 0.9 < elapsed < 2.0, elapsed


def test_one_budget_spans_every_request_of_an_operation() -> None:
    from kstasks.remote import network
    from tests import faults

    with faults.serve(faults.after(0.6, faults.answer("200 OK", b"{}"))) as state:
        budget = network.Budget(1.0)
        network.request("GET", f"{state.url}/a", budget=budget)  # 0.6 s of the 1 s
        started = time.monotonic()
        with pytest.raises(network.DeadlineExceeded) as caught:
            network.request("GET", f"{state.url}/b", budget=budget)  # 0.4 s left: not enough
        assert time.monotonic() - started < 0.7
    assert "within 1s" in str(caught.value)
