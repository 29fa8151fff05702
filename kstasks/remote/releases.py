"""A GitHub release over the REST API, as goreleaser's ``release`` with ``mode: keep-existing`` makes
it, and the ``repository_dispatch`` a release workflow sends.

Where the token goes: only to the API's own origin (the scheme, host and port of ``api_url``),
and to the ``upload_url`` the API itself returned for the release being published (on GitHub
that is uploads.github.com), and only over HTTPS unless the host is this machine's loopback.
A redirect (GitHub sends asset downloads to a storage host) is followed without it. The token
is registered as a secret so that no message shows it, and it travels only in request headers
(no file, no child process).

An existing release keeps its name and notes; an asset already there with the same name, size
and sha256 counts as done; one with other bytes is refused, naming it, unless ``force`` (then it
is deleted and uploaded again). An asset GitHub has not finished receiving (``state`` other than
``uploaded``: a run killed mid-upload) is replaced, so a rerun completes what a killed run began.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin

from kstasks.core import errors, output
from kstasks.remote import auth, github, network

DEFAULT_API = "https://api.github.com"
_REPOSITORY_RE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_EVENT_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
MAX_ASSET = 2 * 1024 * 1024 * 1024
"""Assets larger than this are not downloaded for comparison (release assets are far smaller)."""
_ATTEMPTS = 4


@dataclass(frozen=True)
class Settings:
    """What GitHub Actions sets for a job: the API, the repository and the token."""

    api_url: str
    repository: str
    token: str


def from_environment(*, need_token: bool = True) -> Settings:
    """GITHUB_API_URL (default the public API), GITHUB_REPOSITORY and GITHUB_TOKEN; exit 2 if one is
    missing or invalid (the token only when ``need_token``)."""
    api = origin_checked(os.environ.get("GITHUB_API_URL") or DEFAULT_API)
    repository = os.environ.get("GITHUB_REPOSITORY", "").strip()
    if not _REPOSITORY_RE.match(repository):
        raise errors.BadInput(
            f"GITHUB_REPOSITORY is {'unset' if not repository else repr(repository)} (expected OWNER/NAME)",
            "Set GITHUB_REPOSITORY=owner/name, as GitHub Actions does.",
        )
    token = os.environ.get("GITHUB_TOKEN", "").strip()
    if need_token and not token:
        raise errors.BadInput(
            "GITHUB_TOKEN is not set: publishing a GitHub release needs a token",
            "Set GITHUB_TOKEN (in Actions: env: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}).",
        )
    output.add_secret(token)
    return Settings(api, repository, token)


def origin_checked(url: str) -> str:
    """``url`` without a trailing slash; exit 2 unless it is https, or http to a loopback host."""
    return github.checked_api_url(url, "Fix GITHUB_API_URL.")


def is_prerelease(version: str) -> bool:
    """goreleaser's ``prerelease: auto``: the version has a pre-release part (``1.2.3-rc.1``)."""
    core = version.lstrip("v").split("+", 1)[0]
    return "-" in core


class _Client:
    """Requests to one GitHub API with a token that goes only where it may."""

    def __init__(self, api_url: str, token: str) -> None:
        self.api = origin_checked(api_url)
        self.token = token
        self.trusted = {auth.origin(self.api)}
        self.upload_urls: set[str] = set()
        output.add_secret(token)

    def trust_upload_url(self, upload_url: str) -> str:
        """The upload URL the API returned for a release (its ``{?name,label}`` template removed):
        the token may go to that URL exactly (not to the rest of its host)."""
        url = re.sub(r"\{[^}]*\}$", "", upload_url)
        origin_checked(url)
        self.upload_urls.add(url)
        return url

    def _headers(self, url: str, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        headers.update(extra or {})
        trusted = auth.origin(url) in self.trusted or url.split("?", 1)[0] in self.upload_urls
        if self.token and trusted:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def call(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        deadline: float | None = None,
        ok: tuple[int, ...] = (200,),
        missing_ok: bool = False,
    ) -> network.Answer | None:
        """``method url``; retried on server errors and broken connections (POST only when nothing
        was sent), None for 404 with ``missing_ok``, exit 1 or 2 naming the failure otherwise.
        ``deadline`` (default KSTASKS_NETWORK_DEADLINE) bounds it, retries included (a timeout ends it)."""
        limit = network.default_deadline() if deadline is None else deadline
        started = time.monotonic()
        problem, tried = "", 0
        for attempt in range(_ATTEMPTS):
            if attempt:
                delay = 0.5 * 2 ** (attempt - 1)
                if time.monotonic() - started + delay >= limit:
                    break  # no time left for another attempt within the deadline
                output.say(f"github: {problem}; retrying in {delay:.1f}s ({attempt + 1}/{_ATTEMPTS})")
                time.sleep(delay)
            remaining, tried = max(limit - (time.monotonic() - started), 0.1), attempt + 1
            try:
                answer = network.request(
                    method, url, headers=self._headers(url, headers), body=body, deadline=remaining
                )
            except network.Unreachable as err:
                problem = f"{err.problem.split(':')[0]} talking to {url}"
                continue
            except network.DeadlineExceeded:
                raise errors.StepFailed(
                    f"the GitHub API gave no complete answer within {limit:g}s ({method} {url})",
                    "Check GITHUB_API_URL and the network; a rerun completes what was published.",
                ) from None
            except network.Truncated as err:
                if method == "POST":
                    raise errors.StepFailed(
                        f"the GitHub API did not complete {method} {url} ({err.problem})",
                        "Run again: what was published is kept and the rest completed.",
                    ) from None
                problem = err.problem
                continue
            except network.Malformed as err:
                raise errors.BadInput(
                    f"{url} is not a GitHub API ({err.problem})", "Check GITHUB_API_URL."
                ) from None
            if answer.status >= 500:
                problem = f"HTTP {answer.status} from {url}"
                continue
            return self._judge(method, url, answer, ok, missing_ok)
        raise errors.StepFailed(
            f"the GitHub API kept failing ({problem}) after {tried} attempt(s)",
            "Try again later: a rerun completes what was published.",
        )

    @staticmethod
    def _judge(
        method: str, url: str, answer: network.Answer, ok: tuple[int, ...], missing_ok: bool
    ) -> network.Answer | None:
        if answer.status in ok:
            return answer
        if answer.status == 404 and missing_ok:
            return None
        message = _message(answer)
        if answer.status in (401, 403):
            raise errors.BadInput(
                f"the GitHub API refused {method} {url} (HTTP {answer.status}{message})",
                "Check the token and its permissions (a release needs contents: write).",
            )
        raise errors.StepFailed(
            f"the GitHub API answered HTTP {answer.status} for {method} {url}{message}",
            "Check the repository and tag; a rerun completes what was published.",
        )

    def json(self, method: str, url: str, payload: Any = None, **kwargs: Any) -> Any:
        """The decoded JSON answer (None for a 404 with ``missing_ok``)."""
        body = None if payload is None else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"} if body is not None else None
        answer = self.call(method, url, body=body, headers=headers, **kwargs)
        if answer is None:
            return None
        try:
            return json.loads(answer.body) if answer.body else {}
        except (ValueError, RecursionError):  # RecursionError: JSON nested too deeply
            raise errors.BadInput(
                f"{url} answered with something that is not JSON", "Check GITHUB_API_URL."
            ) from None

    def download(self, url: str, size_bound: int) -> bytes:
        """An asset's bytes (following one redirect, without the token unless it stays trusted)."""
        for _hop in range(3):
            answer = self.call(
                "GET",
                url,
                headers={"Accept": "application/octet-stream"},
                deadline=2 * network.default_deadline() + size_bound / (256 * 1024),
                ok=(200, 301, 302, 303, 307, 308),
            )
            assert answer is not None
            if answer.status == 200:
                if len(answer.body) > size_bound:
                    raise errors.CheckFailed(f"{url} is larger than {size_bound} bytes", "Check the asset.")
                return answer.body
            location = answer.header("Location")
            if not location:
                break
            url = urljoin(url, location)
        raise errors.StepFailed(f"the GitHub API did not hand out {url}", "Check the asset.")


def _message(answer: network.Answer) -> str:
    """GitHub's ``message`` and the ``code`` of each of its ``errors`` (``already_exists``)."""
    try:
        data = json.loads(answer.body)
        text = str(data.get("message", ""))
        codes = [
            str(e.get("code")) for e in data.get("errors") or [] if isinstance(e, dict) and e.get("code")
        ]
    except (ValueError, AttributeError):
        text, codes = "", []
    if codes:
        text = f"{text} ({', '.join(codes)})" if text else ", ".join(codes)
    return f": {text[:200]}" if text else ""


def _repo_url(client: _Client, repository: str) -> str:
    if not _REPOSITORY_RE.match(repository):
        raise errors.BadInput(f"repository {repository!r} is not OWNER/NAME", "Fix GITHUB_REPOSITORY.")
    return f"{client.api}/repos/{repository}"


def find_release(client: _Client, repository: str, tag: str) -> dict[str, Any] | None:
    """The release of ``tag``, or None."""
    found = client.json(
        "GET", f"{_repo_url(client, repository)}/releases/tags/{quote(tag, safe='')}", missing_ok=True
    )
    return found if isinstance(found, dict) else None


def list_assets(client: _Client, repository: str, release: dict[str, Any]) -> list[dict[str, Any]]:
    """Every asset of ``release`` (all pages)."""
    assets: list[dict[str, Any]] = []
    for page in range(1, 100):
        url = f"{_repo_url(client, repository)}/releases/{release['id']}/assets?per_page=100&page={page}"
        batch = client.json("GET", url)
        if not isinstance(batch, list):
            raise errors.StepFailed(f"{url} did not answer with a list of assets", "Check GITHUB_API_URL.")
        assets.extend(batch)
        if len(batch) < 100:
            break
    return assets


def file_sha256(path: Path) -> str:
    """The hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def same_bytes(client: _Client, repository: str, remote: dict[str, Any], local: Path) -> bool:
    """Whether the uploaded asset ``remote`` holds ``local``'s bytes: size, then the digest GitHub
    reports (``sha256:...``), else the downloaded bytes."""
    size = local.stat().st_size
    if int(remote.get("size", -1)) != size:
        return False
    reported = str(remote.get("digest") or "")
    if reported.startswith("sha256:"):
        return reported == f"sha256:{file_sha256(local)}"
    url = f"{_repo_url(client, repository)}/releases/assets/{remote['id']}"
    data = client.download(url, size)
    return hashlib.sha256(data).hexdigest() == file_sha256(local)


def _ensure_release(
    client: _Client, repository: str, tag: str, name: str | None, prerelease: bool
) -> tuple[dict[str, Any], str]:
    release = find_release(client, repository, tag)
    if release is not None:
        return release, f"github release {tag}: exists, kept as it is (keep-existing)"
    payload = {"tag_name": tag, "name": name or tag, "draft": False, "prerelease": prerelease}
    answer = _create(client, repository, payload)
    if answer is None:  # another run created it first
        release = find_release(client, repository, tag)
        if release is None:
            raise errors.StepFailed(
                f"GitHub says the release {tag} exists but does not show it", "Run again."
            )
        return release, f"github release {tag}: created meanwhile by another run, kept"
    kind = "pre-release" if prerelease else "release"
    return answer, f"github release {tag}: created ({kind})"


def _create(client: _Client, repository: str, payload: dict[str, Any]) -> dict[str, Any] | None:
    """POST the release; None when GitHub answers that it already exists (422 already_exists)."""
    url = f"{_repo_url(client, repository)}/releases"
    try:
        answer = client.call(
            "POST",
            url,
            body=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
            ok=(201,),
        )
    except errors.StepFailed as err:
        if "HTTP 422" in err.summary and "already" in err.summary.lower():
            return None
        raise
    assert answer is not None
    return json.loads(answer.body)


def _upload(client: _Client, upload_url: str, path: Path) -> dict[str, Any]:
    data = path.read_bytes()
    answer = client.call(
        "POST",
        f"{upload_url}?name={quote(path.name, safe='')}",
        body=data,
        headers={"Content-Type": "application/octet-stream", "Content-Length": str(len(data))},
        deadline=4 * network.default_deadline() + len(data) / (256 * 1024),
        ok=(201,),
    )
    assert answer is not None
    uploaded = json.loads(answer.body)
    if int(uploaded.get("size", -1)) != len(data):
        raise errors.StepFailed(
            f"GitHub stored {path.name} with {uploaded.get('size')} bytes, not {len(data)}",
            "Run again: the asset is replaced.",
        )
    return uploaded


def _delete_asset(client: _Client, repository: str, asset: dict[str, Any]) -> None:
    client.call(
        "DELETE", f"{_repo_url(client, repository)}/releases/assets/{asset['id']}", ok=(204,), missing_ok=True
    )


def _check_assets(assets: list[Path]) -> None:
    names: set[str] = set()
    for path in assets:
        if not path.is_file():
            raise errors.BadInput(f"release asset {path} does not exist", "Build the release first.")
        if path.name in names:
            raise errors.BadInput(f"two release assets are named {path.name}", "Rename one of them.")
        names.add(path.name)


def publish_release(
    api_url: str,
    repository: str,
    token: str,
    tag: str,
    assets: list[Path],
    *,
    prerelease: bool,
    name: str | None = None,
    force: bool = False,
) -> list[str]:
    """Create (or keep) the release of ``tag``, its assets exactly ``assets``' bytes; lines to print."""
    if not token:
        raise errors.BadInput(
            "GITHUB_TOKEN is not set: publishing a GitHub release needs a token",
            "Set GITHUB_TOKEN (in Actions: env: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}).",
        )
    _check_assets(assets)
    client = _Client(api_url, token)
    release, line = _ensure_release(client, repository, tag, name, prerelease)
    lines = [line]
    upload_url = client.trust_upload_url(str(release.get("upload_url") or ""))
    remote = {asset["name"]: asset for asset in list_assets(client, repository, release)}
    todo: list[tuple[Path, dict[str, Any] | None]] = []
    different: list[str] = []
    for path in assets:
        found = remote.get(path.name)
        if found is None:
            todo.append((path, None))
        elif found.get("state", "uploaded") != "uploaded":
            todo.append((path, found))  # a killed upload: GitHub never finished receiving it
        elif same_bytes(client, repository, found, path):
            lines.append(f"github release {tag}: {path.name} is already there, identical")
        elif force:
            todo.append((path, found))
        else:
            different.append(path.name)
    if different:
        raise errors.CheckFailed(
            f"github release {tag} already has {', '.join(different)} with other bytes",
            "A published asset is never replaced silently: pass --force to replace it.",
        )
    for path, old in todo:
        if old is not None:
            _delete_asset(client, repository, old)
        try:
            uploaded = _upload(client, upload_url, path)
        except errors.StepFailed as err:
            if "HTTP 422" not in err.summary:
                raise
            # An attempt whose answer was lost left the name taken: look again, then once more.
            again = {a["name"]: a for a in list_assets(client, repository, release)}.get(path.name)
            if (
                again is not None
                and again.get("state") == "uploaded"
                and same_bytes(client, repository, again, path)
            ):
                lines.append(f"github release {tag}: {path.name} is already there, identical")
                continue
            if again is not None:
                _delete_asset(client, repository, again)
            uploaded = _upload(client, upload_url, path)
        verb = "replaced" if old is not None else "uploaded"
        lines.append(f"github release {tag}: {path.name} {verb} ({uploaded.get('size')} bytes)")
    return lines


def release_assets(
    api_url: str, repository: str, token: str, tag: str
) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """The release of ``tag`` and its assets, or None (for verify-release; the token may be empty)."""
    client = _Client(api_url, token)
    release = find_release(client, repository, tag)
    if release is None:
        return None
    return release, list_assets(client, repository, release)


def tag_exists(api_url: str, repository: str, token: str, tag: str) -> bool:
    """Whether the repository has the git tag ``tag``."""
    client = _Client(api_url, token)
    url = f"{_repo_url(client, repository)}/git/ref/tags/{quote(tag, safe='')}"
    return client.json("GET", url, missing_ok=True) is not None


def download_asset(
    api_url: str, repository: str, token: str, asset: dict[str, Any], size_bound: int
) -> bytes:
    """The bytes of ``asset`` (refused when larger than ``size_bound``)."""
    if int(asset.get("size", 0)) > size_bound:
        raise errors.CheckFailed(
            f"release asset {asset.get('name')} is larger than {size_bound} bytes", "Check it."
        )
    client = _Client(api_url, token)
    return client.download(f"{_repo_url(client, repository)}/releases/assets/{asset['id']}", size_bound)


def dispatch(
    api_url: str, repository: str, token: str, event_type: str, client_payload: dict[str, Any]
) -> None:
    """``POST /repos/{repository}/dispatches`` as peter-evans/repository-dispatch sends it."""
    if not token:
        raise errors.BadInput(
            f"no token for the repository_dispatch to {repository}",
            "Set the dispatch token (the workflow passes secrets.WORKFLOW_SYNC_TOKEN).",
        )
    if not _EVENT_RE.match(event_type):
        raise errors.BadInput(f"event type {event_type!r} is not valid", "Fix the dispatch's event type.")
    client = _Client(api_url, token)
    payload = {"event_type": event_type, "client_payload": client_payload}
    client.call(
        "POST",
        f"{_repo_url(client, repository)}/dispatches",
        body=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        ok=(204, 200),
    )
