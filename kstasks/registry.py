"""A small OCI registry client over the distribution API (with requests).

Reads tags, manifests and blobs; finds digests. Plain HTTP only for loopback registries.
Credentials come from the environment (``KSTASKS_REGISTRY_USERNAME`` /
``KSTASKS_REGISTRY_PASSWORD``) and are never printed.
"""

from __future__ import annotations

import ipaddress
import json
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from kstasks import runner

MANIFEST_TYPES = ", ".join(
    (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)
HELM_CONFIG_TYPE = "application/vnd.cncf.helm.config.v1+json"
USERNAME_ENV = "KSTASKS_REGISTRY_USERNAME"
PASSWORD_ENV = "KSTASKS_REGISTRY_PASSWORD"


def is_loopback(host: str) -> bool:
    """Whether ``host`` (no port) is this machine: localhost, 127.0.0.0/8 or ::1."""
    name = host.strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


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
            raise runner.usage_error(
                f"invalid {what} {text!r}", "Use oci://HOST[:PORT]/PATH or HOST[:PORT]/PATH."
            )
        host, _, path = raw.partition("/")
        parsed = urlsplit(f"//{host}")
        if not host or not parsed.hostname or " " in raw:
            raise runner.usage_error(
                f"invalid {what} {text!r}", "Use oci://HOST[:PORT]/PATH or HOST[:PORT]/PATH."
            )
        return cls(host=host, path=path.strip("/"))

    @property
    def hostname(self) -> str:
        """The host without its port."""
        return urlsplit(f"//{self.host}").hostname or self.host

    @property
    def plain_http(self) -> bool:
        """Plain HTTP is used for loopback registries only."""
        return is_loopback(self.hostname)

    def repository(self, name: str) -> str:
        """The repository path of ``name`` below this location."""
        return f"{self.path}/{name}" if self.path else name

    def oci(self) -> str:
        """``oci://host/path``."""
        return f"oci://{self.host}/{self.path}".rstrip("/")

    def __str__(self) -> str:
        return f"{self.host}/{self.path}".rstrip("/")


@dataclass(frozen=True)
class Manifest:
    """A manifest as the registry serves it."""

    digest: str
    media_type: str
    body: dict[str, Any]


def credentials_from_env() -> tuple[str, str] | None:
    """Registry credentials from the environment, registered as secrets."""
    username, password = os.environ.get(USERNAME_ENV), os.environ.get(PASSWORD_ENV)
    if not (username and password):
        return None
    runner.add_secret(password)
    return username, password


class Registry:
    """The distribution API of one registry host."""

    def __init__(self, reference: Reference, *, timeout: float = 10.0) -> None:
        import requests

        self.reference = reference
        self.base = f"{'http' if reference.plain_http else 'https'}://{reference.host}/v2"
        self.session = requests.Session()
        self.timeout = timeout
        self.credentials = credentials_from_env()
        if self.credentials:
            self.session.auth = self.credentials
        self._token: str | None = None

    def _get(self, path: str, *, accept: str | None = None, method: str = "GET") -> Any:
        import requests

        headers = {"Accept": accept} if accept else {}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        url = f"{self.base}/{path}"
        try:
            response = self.session.request(method, url, headers=headers, timeout=self.timeout)
            if response.status_code == 401 and self._token is None and self._authenticate(response):
                headers["Authorization"] = f"Bearer {self._token}"
                response = self.session.request(method, url, headers=headers, timeout=self.timeout)
        except requests.RequestException as err:
            raise runner.usage_error(
                f"registry {self.reference.host} is unreachable ({type(err).__name__})",
                "Check the registry address and that it is running and reachable.",
            ) from err
        return response

    def _authenticate(self, challenge: Any) -> bool:
        """Follow a Bearer token challenge (as ghcr.io and others send)."""
        header = challenge.headers.get("WWW-Authenticate", "")
        if not header.lower().startswith("bearer "):
            return False
        fields = dict(part.split("=", 1) for part in header[len("bearer ") :].split(",") if "=" in part)
        fields = {key.strip(): value.strip().strip('"') for key, value in fields.items()}
        realm = fields.pop("realm", "")
        if not realm:
            return False
        response = self.session.get(realm, params=fields, timeout=self.timeout)
        if response.status_code != 200:
            return False
        body = response.json()
        self._token = body.get("token") or body.get("access_token")
        if self._token:
            runner.add_secret(self._token)
        return bool(self._token)

    def _check(self, response: Any, what: str) -> None:
        if response.status_code in (401, 403):
            raise runner.usage_error(
                f"registry {self.reference.host} refused access to {what} (HTTP {response.status_code})",
                f"Set {USERNAME_ENV} and {PASSWORD_ENV} to credentials with access.",
            )
        if response.status_code >= 400:
            raise runner.stop(
                f"registry {self.reference.host} answered HTTP {response.status_code} for {what}",
                "Check the registry and try again.",
            )

    def ping(self) -> None:
        """Exit 2 unless the registry answers the API base."""
        response = self._get("")
        if response.status_code not in (200, 401):
            self._check(response, "the API base")

    def manifest(self, repository: str, reference: str) -> Manifest | None:
        """The manifest of ``repository:reference``, or None if there is none."""
        response = self._get(f"{repository}/manifests/{reference}", accept=MANIFEST_TYPES)
        if response.status_code == 404:
            return None
        self._check(response, f"{repository}:{reference}")
        body = json.loads(response.content)
        return Manifest(
            digest=response.headers.get("Docker-Content-Digest", ""),
            media_type=body.get("mediaType") or response.headers.get("Content-Type", ""),
            body=body,
        )

    def blob(self, repository: str, digest: str) -> bytes:
        """The bytes of blob ``digest``."""
        response = self._get(f"{repository}/blobs/{digest}")
        self._check(response, f"{repository}@{digest}")
        return response.content

    def tags(self, repository: str) -> list[str]:
        """The tags of ``repository`` (empty if it does not exist)."""
        response = self._get(f"{repository}/tags/list")
        if response.status_code == 404:
            return []
        self._check(response, f"{repository} tags")
        return list(json.loads(response.content).get("tags") or [])

    def helm_chart_config(self, repository: str, reference: str) -> tuple[str, dict[str, Any]] | None:
        """The digest and config (name, version, appVersion) of a Helm chart, or None."""
        found = self.manifest(repository, reference)
        if found is None:
            return None
        config = found.body.get("config") or {}
        if config.get("mediaType") != HELM_CONFIG_TYPE:
            raise runner.stop(
                f"{repository}:{reference} is not a Helm chart (config type {config.get('mediaType')!r})",
                "Check the registry path.",
            )
        return found.digest, json.loads(self.blob(repository, config["digest"]))
