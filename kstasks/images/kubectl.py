"""hack/build-kubectl-image.sh: the kubectl image, beside the clusteradm and Helm CLI ones.

With no version, "latest" is the Kubernetes stable release marker (``<base>/stable.txt``, the
script's ``curl .../release/stable.txt``), fetched within one bounded deadline for the whole
request. The image is built from the Kubernetes source at ``v<version>`` with ko, like the other
tool images (:func:`kstasks.images.build_tool_image`), and pushed as ``<registry>/kubectl:<version>``.
"""

from __future__ import annotations

import re
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from kstasks.core import errors, output
from kstasks.core.semver import ReleaseVersion, try_parse

DEFAULT_MARKER_BASE = "https://dl.k8s.io/release"
MARKER = "stable.txt"
MAX_MARKER_BYTES = 256


def marker_url(base: str) -> str:
    """``<base>/stable.txt``; exit 2 on a base that is not an http(s) URL."""
    if not base.startswith(("http://", "https://")):
        raise errors.BadInput(f"invalid release marker base URL {base!r}", "Use an http(s) URL.")
    return f"{base.rstrip('/')}/{MARKER}"


def _fetch(url: str, timeout: float, result: dict[str, Any]) -> None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            result["body"] = response.read(MAX_MARKER_BYTES + 1)
    except (urllib.error.URLError, OSError, ValueError) as err:
        result["error"] = err


def fetch_marker(url: str, *, deadline: float = 20.0) -> str:
    """The text at ``url``, or exit 1 saying why; the whole request ends within ``deadline`` seconds."""
    result: dict[str, Any] = {}
    worker = threading.Thread(target=_fetch, args=(url, deadline, result), daemon=True)
    worker.start()
    worker.join(deadline)
    if worker.is_alive():
        raise errors.StepFailed(
            f"no answer from {url} within {deadline:g}s", "Check the network, or pass --version."
        )
    if "error" in result:
        raise errors.StepFailed(
            f"could not read {url}: {result['error']}", "Check the network, or pass --version."
        )
    body: bytes = result["body"]
    if len(body) > MAX_MARKER_BYTES:
        raise errors.StepFailed(
            f"{url} is not a release marker (too long)", "Check --marker-url, or pass --version."
        )
    return body.decode("utf-8", errors="replace").strip()


def stable_release(base: str, *, deadline: float = 20.0) -> ReleaseVersion:
    """The Kubernetes stable release named by ``<base>/stable.txt``."""
    url = marker_url(base)
    text = fetch_marker(url, deadline=deadline)
    version = try_parse(text)
    if version is None:
        raise errors.StepFailed(f"{url} does not hold a release version ({text[:40]!r})", "Pass --version.")
    output.say(f"Using kubectl {version.tag} (the stable release marker).")
    return version


DOCKERFILE = "hack/Dockerfile.kubectl"
_FROM_RE = re.compile(r"^FROM\s+(?:--platform=\S+\s+)?(\S+)", re.MULTILINE)


def dockerfile_base(root: Path | None) -> str:
    """The base image the checkout's ``hack/Dockerfile.kubectl`` builds on (its last ``FROM``;
    empty without one): the kubectl image is built on it, as the Dockerfile's is (UBI9 at v0.30)."""
    path = Path(root) / DOCKERFILE if root is not None else None
    if path is None or not path.is_file():
        return ""
    found = _FROM_RE.findall(path.read_text(errors="replace"))
    return found[-1] if found else ""
