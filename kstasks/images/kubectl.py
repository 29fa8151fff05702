"""hack/build-kubectl-image.sh: the kubectl image, beside the clusteradm and Helm CLI ones.

With no version, "latest" is the Kubernetes stable release marker (``<base>/stable.txt``, the
script's ``curl .../release/stable.txt``), fetched within one bounded deadline for the whole
lookup (``KSTASKS_NETWORK_DEADLINE``). The image is built from the Kubernetes source at
``v<version>`` with ko, like the other tool images (:func:`kstasks.images.build_tool_image`), and
pushed as ``<registry>/kubectl:<version>``.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin

from kstasks.core import errors, output
from kstasks.core.semver import ReleaseVersion, try_parse
from kstasks.remote import network

DEFAULT_MARKER_BASE = "https://dl.k8s.io/release"
MARKER = "stable.txt"
MAX_MARKER_BYTES = 256


def marker_url(base: str) -> str:
    """``<base>/stable.txt``; exit 2 on a base that is not an http(s) URL."""
    if not base.startswith(("http://", "https://")):
        raise errors.BadInput(f"invalid release marker base URL {base!r}", "Use an http(s) URL.")
    return f"{base.rstrip('/')}/{MARKER}"


MAX_REDIRECTS = 5


def fetch_marker(url: str, *, deadline: float | None = None) -> str:
    """The text at ``url``, or exit 1 saying why; the whole lookup (redirects included: the
    marker's host redirects to its CDN) ends within ``deadline`` seconds (default: the network
    deadline). No credential is sent anywhere."""
    budget = network.Budget(deadline)
    first = url
    for _ in range(MAX_REDIRECTS):
        try:
            answer = network.request("GET", url, budget=budget)
        except network.DeadlineExceeded:
            raise errors.StepFailed(
                f"no answer from {first} within {budget.seconds:g}s", "Check the network, or pass --version."
            ) from None
        except network.NetworkError as err:
            raise errors.StepFailed(
                f"could not read {first}: {err.problem}", "Check the network, or pass --version."
            ) from None
        if answer.status in (301, 302, 303, 307, 308):
            url = urljoin(url, answer.header("Location"))
            if not network.is_web_url(url):
                raise errors.StepFailed(
                    f"{first} redirected to {url[:200]}, not an http(s) URL",
                    "Check --marker-url, or pass --version.",
                )
            continue
        if answer.status != 200:
            raise errors.StepFailed(
                f"could not read {first}: HTTP {answer.status}", "Check the network, or pass --version."
            )
        if len(answer.body) > MAX_MARKER_BYTES:
            raise errors.StepFailed(
                f"{first} is not a release marker (too long)", "Check --marker-url, or pass --version."
            )
        return answer.body.decode("utf-8", errors="replace").strip()
    raise errors.StepFailed(f"{first} redirects without end", "Check --marker-url, or pass --version.")


def stable_release(base: str, *, deadline: float | None = None) -> ReleaseVersion:
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
