"""Test helper: GitHub releases, release assets, tags and repository dispatches, kept in memory and
answered by the local GitHub API server (tests/fakegithub.py), as the REST API answers them.

Assets are uploaded to a second loopback port (as uploads.github.com is another host than
api.github.com); downloading an asset answers with a redirect to that second port, as GitHub
redirects to its storage host. An upload is recorded as ``state: "starter"`` from its first byte
and becomes ``uploaded`` only once every byte arrived, so a client killed mid-upload leaves what
GitHub leaves.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

Reply = tuple[int, dict[str, str], Any]


@dataclass
class ReleaseStore:
    """Releases per repository, with the bytes of their assets."""

    api: str = ""
    uploads: str = ""
    releases: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    blobs: dict[int, bytes] = field(default_factory=dict)
    tags: dict[str, set[str]] = field(default_factory=dict)
    dispatches: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    with_digest: bool = True
    """Whether assets carry ``digest: sha256:...`` (GitHub added it in 2025; older servers do not)."""
    stall_upload_after: int | None = None
    """Stop reading an upload after this many bytes and wait forever (to kill a client mid-upload)."""
    stalled: threading.Event = field(default_factory=threading.Event)
    unstall: threading.Event = field(default_factory=threading.Event)
    _next_id: int = 1
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def _id(self) -> int:
        with self._lock:
            self._next_id += 1
            return self._next_id

    def release(self, repo: str, tag: str) -> dict[str, Any] | None:
        """The release of ``tag`` in ``repo``, or None."""
        return next((r for r in self.releases.get(repo, []) if r["tag_name"] == tag), None)

    def asset(self, repo: str, tag: str, name: str) -> dict[str, Any] | None:
        """The asset ``name`` of that release, or None."""
        release = self.release(repo, tag)
        return next((a for a in release["assets"] if a["name"] == name), None) if release else None

    def replace_asset_bytes(self, repo: str, tag: str, name: str, data: bytes) -> None:
        """Tamper: the asset ``name`` now holds ``data`` (as if someone re-uploaded it)."""
        asset = self.asset(repo, tag, name)
        assert asset is not None, name
        self.blobs[asset["id"]] = data
        asset["size"] = len(data)
        asset["digest"] = "sha256:" + hashlib.sha256(data).hexdigest() if self.with_digest else None

    def delete_asset(self, repo: str, tag: str, name: str) -> None:
        """Tamper: the asset ``name`` is gone."""
        release = self.release(repo, tag)
        assert release is not None
        release["assets"] = [a for a in release["assets"] if a["name"] != name]

    def _public(self, asset: dict[str, Any]) -> dict[str, Any]:
        shown = dict(asset)
        if not self.with_digest:
            shown.pop("digest", None)
        return shown

    def _release_json(self, release: dict[str, Any]) -> dict[str, Any]:
        shown = {k: v for k, v in release.items() if k != "assets"}
        shown["assets"] = [self._public(a) for a in release["assets"]]
        return shown

    def _find_by_id(self, repo: str, release_id: int) -> dict[str, Any] | None:
        return next((r for r in self.releases.get(repo, []) if r["id"] == release_id), None)

    def _find_asset(self, repo: str, asset_id: int) -> tuple[dict[str, Any], dict[str, Any]] | None:
        for release in self.releases.get(repo, []):
            for asset in release["assets"]:
                if asset["id"] == asset_id:
                    return release, asset
        return None

    def handle(self, method: str, path: str, headers: Any, body: bytes | None) -> Reply | None:
        """The API's answer for ``method path``, or None when this is not a releases path."""
        parts = urlsplit(path)
        query = parse_qs(parts.query)
        match = re.fullmatch(r"/repos/([^/]+/[^/]+)(/.*)", parts.path)
        if not match:
            return None
        repo, rest = match[1], match[2]
        if method == "POST" and rest == "/dispatches":
            import json

            self.dispatches.append((repo, json.loads(body or b"{}")))
            return 204, {}, None
        if method == "GET" and (tag := re.fullmatch(r"/releases/tags/(.+)", rest)):
            release = self.release(repo, tag[1])
            return (200, {}, self._release_json(release)) if release else (404, {}, {"message": "Not Found"})
        if method == "GET" and (tag := re.fullmatch(r"/git/ref/tags/(.+)", rest)):
            if tag[1] in self.tags.get(repo, set()):
                return 200, {}, {"ref": f"refs/tags/{tag[1]}", "object": {"type": "commit", "sha": "0" * 40}}
            return 404, {}, {"message": "Not Found"}
        if method == "POST" and rest == "/releases":
            return self._create(repo, body)
        if method == "GET" and (found := re.fullmatch(r"/releases/(\d+)/assets", rest)):
            release = self._find_by_id(repo, int(found[1]))
            if release is None:
                return 404, {}, {"message": "Not Found"}
            per_page = int(query.get("per_page", ["30"])[0])
            page = int(query.get("page", ["1"])[0])
            chosen = release["assets"][(page - 1) * per_page : page * per_page]
            return 200, {}, [self._public(a) for a in chosen]
        if (found := re.fullmatch(r"/releases/assets/(\d+)", rest)) and method in ("GET", "DELETE"):
            located = self._find_asset(repo, int(found[1]))
            if located is None:
                return 404, {}, {"message": "Not Found"}
            release, asset = located
            if method == "DELETE":
                release["assets"] = [a for a in release["assets"] if a is not asset]
                return 204, {}, None
            if "octet-stream" in str(headers.get("Accept", "")):
                return 302, {"Location": f"{self.uploads}/download/{asset['id']}"}, None
            return 200, {}, self._public(asset)
        return None

    def _create(self, repo: str, body: bytes | None) -> Reply:
        import json

        payload = json.loads(body or b"{}")
        tag = str(payload.get("tag_name", ""))
        if not tag:
            return 422, {}, {"message": "Validation Failed", "errors": [{"code": "missing_field"}]}
        with self._lock:
            if self.release(repo, tag) is not None:
                return (
                    422,
                    {},
                    {
                        "message": "Validation Failed",
                        "errors": [{"resource": "Release", "code": "already_exists", "field": "tag_name"}],
                    },
                )
            release_id = self._id()
            release = {
                "id": release_id,
                "tag_name": tag,
                "name": payload.get("name") or tag,
                "body": payload.get("body") or "",
                "draft": bool(payload.get("draft")),
                "prerelease": bool(payload.get("prerelease")),
                "upload_url": f"{self.uploads}/repos/{repo}/releases/{release_id}/assets{{?name,label}}",
                "assets": [],
            }
            self.releases.setdefault(repo, []).append(release)
            self.tags.setdefault(repo, set()).add(tag)
        return 201, {}, self._release_json(release)

    def upload(self, path: str, length: int, read: Any) -> Reply:
        """An upload to the uploads host: ``POST /repos/o/r/releases/ID/assets?name=N``."""
        parts = urlsplit(path)
        match = re.fullmatch(r"/repos/([^/]+/[^/]+)/releases/(\d+)/assets", parts.path)
        name = parse_qs(parts.query).get("name", [""])[0]
        release = self._find_by_id(match[1], int(match[2])) if match else None
        if release is None or not name:
            return 404, {}, {"message": "Not Found"}
        if any(a["name"] == name for a in release["assets"]):
            return (
                422,
                {},
                {"message": "Validation Failed", "errors": [{"code": "already_exists", "field": "name"}]},
            )
        asset = {
            "id": self._id(),
            "name": name,
            "state": "starter",
            "size": 0,
            "digest": None,
            "content_type": "application/octet-stream",
        }
        release["assets"].append(asset)
        if self.stall_upload_after is not None:
            read(min(self.stall_upload_after, length))
            self.stalled.set()
            self.unstall.wait(600)
            return 500, {}, {"message": "stalled"}
        data = read(length)
        self.blobs[asset["id"]] = data
        asset.update(state="uploaded", size=len(data), digest="sha256:" + hashlib.sha256(data).hexdigest())
        return 201, {}, self._public(asset)

    def download(self, path: str) -> tuple[int, bytes] | None:
        """``GET /download/ID`` on the uploads host: the asset's bytes."""
        match = re.fullmatch(r"/download/(\d+)", path)
        if not match or int(match[1]) not in self.blobs:
            return None
        return 200, self.blobs[int(match[1])]
