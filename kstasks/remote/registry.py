"""A small OCI registry client over the distribution API.

Reads tags, manifests and blobs; pushes blobs and manifests by digest and tags last. Every
digest it reports is computed from the bytes it read. Plain HTTP only for loopback registries.
Credentials come from the environment (``KSTASKS_REGISTRY_USERNAME`` /
``KSTASKS_REGISTRY_PASSWORD``), are never printed, and are sent only to the registry's own
origin (scheme, host and port) or to a token service over HTTPS. Each operation (a request with
its authentication, redirects and retries) has one deadline for all of it; a host that let one
pass is not asked again in this run.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urljoin, urlsplit

from kstasks.core import errors, output
from kstasks.remote import auth, network

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MANIFEST_TYPES = ", ".join(
    (
        OCI_INDEX,
        OCI_MANIFEST,
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)
HELM_CONFIG_TYPE = "application/vnd.cncf.helm.config.v1+json"
USERNAME_ENV = "KSTASKS_REGISTRY_USERNAME"
PASSWORD_ENV = "KSTASKS_REGISTRY_PASSWORD"
TRANSIENT_RETRIES = (0.1, 0.3, 0.9, 0.0)
"""Pauses between attempts of an idempotent request the registry answered with 5xx (the last is unused)."""
UPLOAD_RATE = 1024 * 1024
"""Bytes per second an upload is given on top of the network deadline."""
MAX_REDIRECTS = 8
_REPOSITORY_RE = re.compile(
    r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$"
)
_REGISTRY_FORMS = "Use oci://HOST[:PORT]/PATH or HOST[:PORT]/PATH."


def digest_of(data: bytes) -> str:
    """The OCI digest (sha256) of ``data``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Reference:
    """``host[:port]/path`` of an OCI location, with or without the ``oci://`` scheme."""

    host: str
    path: str

    @classmethod
    def parse(cls, text: str, *, what: str = "registry") -> Reference:
        """Parse ``oci://HOST[:PORT]/PATH`` or ``HOST[:PORT]/PATH``; exit 2 if malformed."""
        raw = text.strip()
        if raw.startswith("oci://"):
            raw = raw[len("oci://") :]
        elif "://" in raw:
            raise errors.BadInput(f"invalid {what} {_without_userinfo(text)!r}", _REGISTRY_FORMS)
        host, _, path = raw.partition("/")
        if "@" in host:
            raise errors.BadInput(
                f"the {what} {_without_userinfo(text)!r} carries credentials; they are never taken from "
                "a registry address",
                f"Remove 'user:password@' and set {USERNAME_ENV} and {PASSWORD_ENV} instead.",
            )
        try:
            parsed = urlsplit(f"//{host}")
            parsed.port  # noqa: B018 - raises ValueError for a port that is not a number
        except ValueError:
            raise errors.BadInput(f"invalid {what} {text!r}: bad host or port", _REGISTRY_FORMS) from None
        path = path.strip("/")
        if not host or not parsed.hostname or " " in raw or (path and not _REPOSITORY_RE.match(path)):
            raise errors.BadInput(
                f"invalid {what} {text!r}", f"{_REGISTRY_FORMS} (PATH: lowercase letters, digits, . _ - /)."
            )
        return cls(host=host, path=path)

    @property
    def hostname(self) -> str:
        """The host without its port."""
        return urlsplit(f"//{self.host}").hostname or self.host

    @property
    def plain_http(self) -> bool:
        """Plain HTTP is used for loopback registries only."""
        return network.is_loopback(self.hostname)

    def repository(self, name: str) -> str:
        """The repository path of ``name`` below this location."""
        return f"{self.path}/{name}" if self.path else name

    def oci(self) -> str:
        """``oci://host/path``."""
        return f"oci://{self.host}/{self.path}".rstrip("/")

    def __str__(self) -> str:
        return f"{self.host}/{self.path}".rstrip("/")


def _without_userinfo(text: str) -> str:
    """``text`` with any ``user:password@`` replaced by ``***@``."""
    return re.sub(r"^((?:[a-z]+://)?)[^/@]*@", r"\1***@", text.strip())


@dataclass(frozen=True)
class Manifest:
    """A manifest as the registry serves it; ``digest`` is computed from ``data``."""

    digest: str
    media_type: str
    body: dict[str, Any]
    data: bytes = b""


def credentials_from_env() -> tuple[str, str] | None:
    """Registry credentials from the environment, registered as secrets."""
    username, password = auth.name_from_env(USERNAME_ENV), auth.secret_from_env(PASSWORD_ENV)
    if not (username and password):
        return None
    output.add_secret(base64.b64encode(f"{username}:{password}".encode()).decode())
    return username, password


def _error_codes(answer: network.Answer) -> list[str]:
    """The distribution API error codes in ``answer`` (none if it has no such body)."""
    try:
        errors = json.loads(answer.body).get("errors") or []
        return [str(error.get("code")) for error in errors if isinstance(error, dict) and error.get("code")]
    except (ValueError, AttributeError, RecursionError):
        return []


class Registry:
    """The distribution API of one registry host."""

    def __init__(self, reference: Reference, *, timeout: float | None = None) -> None:
        self.reference = reference
        self.scheme = "http" if reference.plain_http else "https"
        self.base = f"{self.scheme}://{reference.host}/v2"
        self.timeout = network.default_deadline() if timeout is None else timeout
        self.credentials = credentials_from_env()
        self._authorization = ""
        self._stuck: dict[tuple[str, str, int], errors.KstasksError] = {}
        """Origins that let a deadline pass, with the error: not asked again."""

    # -- transport -------------------------------------------------------------------------

    def _own(self, url: str) -> bool:
        """Whether ``url`` is this registry's own origin (where its credentials may go)."""
        return auth.origin(url) == auth.origin(self.base)

    def _send(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None, budget: network.Budget
    ) -> network.Answer:
        """One request within what is left of ``budget``; network failures as one-line errors."""
        host = self.reference.host
        where = auth.origin(url)
        if where in self._stuck:
            raise self._stuck[where]
        try:
            return network.request(method, url, headers=headers, body=body, budget=budget)
        except network.Unreachable as err:
            raise errors.BadInput(
                f"registry {host} is unreachable ({err.problem.split(':')[0]})",
                "Check the registry address and that it is running and reachable.",
            ) from err
        except network.DeadlineExceeded as err:
            self._stuck[where] = errors.StepFailed(
                f"registry {host} gave no complete answer within {budget.seconds:g}s "
                f"({method} {urlsplit(url).path}{'' if self._own(url) else ' at ' + urlsplit(url).netloc})",
                f"The registry is stuck or too slow; try again later (or raise {network.DEADLINE_ENV}).",
            )
            raise self._stuck[where] from err
        except network.Truncated as err:
            raise errors.StepFailed(
                f"registry {host}: {err.problem} ({method} {urlsplit(url).path})",
                "The connection broke; try again.",
            ) from err
        except network.Malformed as err:
            raise errors.BadInput(
                f"{urlsplit(url).netloc} did not answer as an OCI registry ({err.problem})",
                "Check the registry address.",
            ) from err

    def _call(
        self,
        method: str,
        path: str,
        *,
        accept: str | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
    ) -> network.Answer:
        """``method`` on ``path`` (below /v2/, or an absolute URL), authenticating on a challenge.

        Redirects of reads are followed; credentials never go to another host.
        """
        url = path if "://" in path else f"{self.base}/{path}"
        retryable = method in ("GET", "HEAD") or (method == "PUT" and "/manifests/" in url)
        budget = network.Budget(self.timeout + (len(body) / UPLOAD_RATE if body else 0))
        for delay in TRANSIENT_RETRIES:
            started = time.monotonic()
            answer = self._call_once(method, url, accept, body, content_type, budget)
            took = time.monotonic() - started
            if not (retryable and answer.status in (500, 502, 503, 504) and budget.allows(took + delay)):
                return answer  # another attempt would not fit in the operation's deadline
            time.sleep(delay)
        return answer

    def _call_once(
        self,
        method: str,
        url: str,
        accept: str | None,
        body: bytes | None,
        content_type: str | None,
        budget: network.Budget,
    ) -> network.Answer:
        """One attempt: authenticate on a challenge, follow redirects of reads."""
        authenticated = False
        for _ in range(MAX_REDIRECTS):
            headers = {"Accept": accept} if accept else {}
            if content_type:
                headers["Content-Type"] = content_type
            if self._own(url) and self._authorization:
                headers["Authorization"] = self._authorization
            answer = self._send(method, url, headers, body, budget)
            if answer.status == 401 and self._own(url) and not authenticated:
                authenticated = True
                if self._authorize(answer, budget):
                    continue
            if answer.status in (301, 302, 303, 307, 308) and method in ("GET", "HEAD"):
                url = self._redirect(method, url, answer.header("Location"))
                continue
            return answer
        raise errors.StepFailed(
            f"registry {self.reference.host} redirects without end", "Check the registry."
        )

    def _redirect(self, method: str, url: str, location: str) -> str:
        """Where a redirect of ``url`` leads; exit 2 if it is not an http(s) URL."""
        target = urljoin(url, location)
        try:
            parts = urlsplit(target)
            valid = parts.scheme in ("http", "https") and bool(parts.hostname)
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        except ValueError:
            valid = False
        if not valid:
            raise errors.BadInput(
                f"registry {self.reference.host} redirected {method} {urlsplit(url).path} to "
                f"{output.redact(target)[:200]}, not an http(s) URL",
                "Check the registry address; nothing was read from there.",
            )
        return target

    def _authorize(self, answer: network.Answer, budget: network.Budget) -> bool:
        """Follow a Basic or Bearer challenge; whether there is something new to try."""
        challenge = auth.choose(auth.parse_challenges(answer.header("WWW-Authenticate")))
        if challenge is None:
            return False
        scheme, params = challenge.scheme, dict(challenge.params)
        if scheme == "basic":
            if not self.credentials:
                return False
            pair = f"{self.credentials[0]}:{self.credentials[1]}".encode()
            self._authorization = "Basic " + base64.b64encode(pair).decode()
            return True
        token = self._token(params.pop("realm"), params, budget)
        self._authorization = f"Bearer {token}" if token else ""
        return bool(token)

    def _token(self, realm: str, params: dict[str, str], budget: network.Budget) -> str:
        """A token from the registry's token service; exit 2 before sending anything unsafe."""
        parts = urlsplit(realm)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise errors.BadInput(
                f"registry {self.reference.host} sends token requests to {output.redact(realm)[:200]!r}, "
                "not an http(s) URL; nothing was sent there",
                "Check the registry.",
            )
        if parts.scheme != "https" and not self._own(realm):
            raise errors.BadInput(
                f"registry {self.reference.host} sends token requests to {parts.scheme}://{parts.netloc}, "
                "another origin without HTTPS; nothing was sent there",
                "Use the registry's HTTPS address, or a registry whose token service uses HTTPS.",
            )
        headers = {}
        if self.credentials:
            pair = f"{self.credentials[0]}:{self.credentials[1]}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        wanted = {key: value for key, value in params.items() if key in ("service", "scope")}
        url = f"{realm}{'&' if '?' in realm else '?'}{urlencode(wanted)}" if wanted else realm
        answer = self._send("GET", url, headers, None, budget)
        if answer.status in (401, 403):
            raise errors.BadInput(
                f"the token service of registry {self.reference.host} refused the credentials "
                f"(HTTP {answer.status})",
                f"Check {USERNAME_ENV} and {PASSWORD_ENV}.",
            )
        if answer.status != 200:
            return ""
        body = self._json(answer, "a token")
        token = str(body.get("token") or body.get("access_token") or "")
        if any(ord(char) < 0x21 or ord(char) == 0x7F for char in token) or len(token) > auth.MAX_SECRET:
            raise errors.BadInput(
                f"the token service of registry {self.reference.host} sent an unusable token "
                "(control characters, spaces or too long); it was not used",
                "Check the registry's token service.",
            )
        output.add_secret(token)
        return token

    def _json(self, answer: network.Answer, what: str) -> dict[str, Any]:
        """The JSON object in ``answer``; exit 2 if it is not one."""
        try:
            value = json.loads(answer.body)
        except ValueError:
            value = None
        except RecursionError:
            raise errors.BadInput(
                f"{urlsplit(answer.url).netloc} sent JSON nested too deeply for {what or 'a request'}",
                "Check that the address is an OCI registry.",
            ) from None
        if not isinstance(value, dict):
            raise errors.BadInput(
                f"{urlsplit(answer.url).netloc} sent something that is not JSON for {what or 'a request'}",
                "Check that the address is an OCI registry.",
            )
        return value

    def _check(self, answer: network.Answer, what: str) -> None:
        if answer.status in (401, 403):
            raise errors.BadInput(
                f"registry {self.reference.host} refused access to {what} (HTTP {answer.status})",
                f"Set {USERNAME_ENV} and {PASSWORD_ENV} to credentials with access.",
            )
        if answer.status >= 400:
            codes = _error_codes(answer)
            wait = answer.header("Retry-After").strip()[:40] if answer.status in (429, 503) else ""
            raise errors.StepFailed(
                f"registry {self.reference.host} answered HTTP {answer.status}"
                f"{' (' + ', '.join(codes) + ')' if codes else ''} for {what}"
                f"{f' (it asks to wait {wait}s)' if wait.isdigit() else ''}",
                "Check the registry and try again.",
            )

    # -- reading ---------------------------------------------------------------------------

    def ping(self) -> None:
        """Exit 2 unless the registry answers the API base."""
        answer = self._call("GET", "")
        if answer.status not in (200, 401):
            self._check(answer, "the API base")

    def manifest(self, repository: str, reference: str) -> Manifest | None:
        """The manifest of ``repository:reference`` (digest computed from its bytes), or None."""
        answer = self._call("GET", f"{repository}/manifests/{quote(reference)}", accept=MANIFEST_TYPES)
        if answer.status == 404:
            return None
        self._check(answer, f"{repository}:{reference}")
        body = self._json(answer, f"{repository}:{reference}")
        digest = digest_of(answer.body)
        if reference.startswith("sha256:") and digest != reference:
            raise errors.StepFailed(
                f"registry {self.reference.host} served {repository}@{reference} with digest {digest}",
                "The registry is corrupt or lying; check it.",
            )
        media_type = str(body.get("mediaType") or answer.header("Content-Type"))
        return Manifest(digest=digest, media_type=media_type, body=body, data=answer.body)

    def resolve(self, repository: str, tag: str) -> str | None:
        """The digest (computed from the bytes served) ``repository:tag`` points at, or None."""
        found = self.manifest(repository, tag)
        return found.digest if found else None

    def blob(self, repository: str, digest: str) -> bytes:
        """The bytes of blob ``digest`` (checked against it)."""
        answer = self._call("GET", f"{repository}/blobs/{digest}")
        self._check(answer, f"{repository}@{digest}")
        if digest_of(answer.body) != digest:
            raise errors.StepFailed(
                f"registry {self.reference.host} served blob {digest} with other content",
                "The registry is corrupt; check it.",
            )
        return answer.body

    def tags(self, repository: str) -> list[str]:
        """The tags of ``repository`` (empty if it does not exist)."""
        answer = self._call("GET", f"{repository}/tags/list")
        if answer.status == 404:
            return []
        self._check(answer, f"{repository} tags")
        return [str(tag) for tag in self._json(answer, f"{repository} tags").get("tags") or []]

    def helm_chart_config(self, repository: str, reference: str) -> tuple[str, dict[str, Any]] | None:
        """The digest and config (name, version, appVersion) of a Helm chart, or None."""
        found = self.manifest(repository, reference)
        if found is None:
            return None
        config = found.body.get("config") or {}
        if config.get("mediaType") != HELM_CONFIG_TYPE:
            raise errors.StepFailed(
                f"{repository}:{reference} is not a Helm chart (config type {config.get('mediaType')!r})",
                "Check the registry path.",
            )
        data = self.blob(repository, str(config.get("digest")))
        try:
            return found.digest, dict(json.loads(data))
        except (ValueError, TypeError, RecursionError):
            raise errors.StepFailed(
                f"{repository}:{reference} has a malformed chart config", "Check the chart."
            ) from None

    # -- writing ---------------------------------------------------------------------------

    def has_blob(self, repository: str, digest: str) -> bool:
        """Whether ``repository`` already holds blob ``digest``."""
        answer = self._call("HEAD", f"{repository}/blobs/{digest}")
        if answer.status == 404:
            return False
        self._check(answer, f"{repository}@{digest}")
        return True

    def push_blob(self, repository: str, data: bytes) -> str:
        """Upload ``data`` as a blob (skipped if the registry has it); its digest.

        An upload that fails while another client stores the same blob counts as done when
        the registry then has it; otherwise it is tried once more.
        """
        digest = digest_of(data)
        if self.has_blob(repository, digest):
            return digest
        try:
            return self._upload(repository, data, digest)
        except errors.KstasksError:
            if self.has_blob(repository, digest):
                return digest
            time.sleep(0.2)
            return self._upload(repository, data, digest)

    def _upload(self, repository: str, data: bytes, digest: str) -> str:
        """A monolithic upload: POST for a session, PUT the bytes with their digest."""
        started = self._call("POST", f"{repository}/blobs/uploads/")
        self._check(started, f"an upload to {repository}")
        location = started.header("Location")
        if not location:
            raise errors.StepFailed(
                f"registry {self.reference.host} started an upload without a Location", "Check it."
            )
        url = urljoin(f"{self.base}/", location)
        finished = self._call(
            "PUT",
            f"{url}{'&' if '?' in url else '?'}digest={quote(digest)}",
            body=data,
            content_type="application/octet-stream",
        )
        self._check(finished, f"the upload of {repository}@{digest}")
        return digest

    def put_manifest(self, repository: str, reference: str, data: bytes, media_type: str) -> str:
        """Store manifest ``data`` under ``reference`` (its digest, or a tag); its digest."""
        answer = self._call(
            "PUT", f"{repository}/manifests/{quote(reference)}", body=data, content_type=media_type
        )
        self._check(answer, f"{repository}:{reference}")
        return digest_of(data)
