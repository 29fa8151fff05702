"""build-kubectl-image: "latest" from the release marker (a local server here), built with ko, pushed."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kstasks.core.errors import KstasksError
from kstasks.images import kubectl
from tests.conftest import kstasks, make_cli_source
from tests.test_images import index, tags


class Marker(http.server.BaseHTTPRequestHandler):
    body = b"v1.30.1\n"
    requests: list[str] = []

    def do_GET(self) -> None:
        Marker.requests.append(self.path)
        if self.path != "/release/stable.txt":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(Marker.body)))
        self.end_headers()
        self.wfile.write(Marker.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def marker() -> Iterator[str]:
    """Base URL of a local release-marker server (``<base>/stable.txt``)."""
    Marker.body, Marker.requests = b"v1.30.1\n", []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Marker)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/release"
    server.shutdown()
    server.server_close()


def test_latest_is_the_stable_marker(marker: str) -> None:
    assert kubectl.stable_release(marker).text == "1.30.1"
    assert Marker.requests == ["/release/stable.txt"]


def test_a_marker_that_is_not_a_version_is_refused(marker: str) -> None:
    Marker.body = b"<html>moved</html>"
    with pytest.raises(KstasksError) as caught:
        kubectl.stable_release(marker)
    assert caught.value.code == 1 and "does not hold a release version" in str(caught.value.message)


def test_a_silent_server_is_given_up_within_the_deadline() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        base = f"http://127.0.0.1:{listener.getsockname()[1]}"
        started = time.monotonic()
        with pytest.raises(KstasksError) as caught:
            kubectl.stable_release(base, deadline=1.0)
        assert time.monotonic() - started < 3
    assert caught.value.code == 1 and "no answer" in str(caught.value.message)


def test_bad_marker_url_exits_2(tmp_path: Path) -> None:
    result = kstasks("build-kubectl-image", "--marker-url", "ftp://x", cwd=tmp_path)
    assert result.returncode == 2 and "invalid release marker base URL" in result.stderr


@pytest.mark.tools
def test_latest_kubectl_is_built_and_pushed(
    marker: str, registry: str, base_image: str, tmp_path: Path
) -> None:
    source = make_cli_source(tmp_path / "kubernetes", "kubectl", ("1.29.0", "1.30.1"))
    temp = tmp_path / "tmp"
    temp.mkdir()
    args = ["build-kubectl-image", "--registry", f"{registry}/tools", "--platform", "linux/amd64"]
    env = {"KO_DEFAULTBASEIMAGE": base_image, "TMPDIR": str(temp)}
    result = kstasks(*args, "--source", str(source), "--marker-url", marker, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "Using kubectl v1.30.1 (the stable release marker)" in result.stderr
    digest, _ = index(registry, "tools/kubectl", "1.30.1")
    assert f"pushed {registry}/tools/kubectl:1.30.1@{digest}" in result.stdout
    assert list(temp.iterdir()) == []

    pinned = kstasks(*args, "-v", "v1.29.0", "--source", str(source), cwd=tmp_path, env=env)
    assert pinned.returncode == 0, pinned.stderr
    assert tags(registry, "tools/kubectl") == ["1.29.0", "1.30.1"]
    assert Marker.requests == ["/release/stable.txt"]


def test_the_image_is_built_on_the_checkouts_dockerfile_base(sample_v030: Path, sample_repo: Path) -> None:
    from kstasks.images import kubectl as kubectl_image

    assert kubectl_image.dockerfile_base(sample_v030) == "registry.access.redhat.com/ubi9/ubi-minimal"
    assert kubectl_image.dockerfile_base(sample_repo) == ""
    assert kubectl_image.dockerfile_base(None) == ""
