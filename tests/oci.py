"""Test helper: push a minimal multi-platform base image to a registry over the distribution API."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import urllib.request

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _request(method: str, url: str, data: bytes | None = None, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    return urllib.request.urlopen(request, timeout=30)


def push_blob(registry: str, repository: str, data: bytes) -> str:
    """Upload ``data`` as a blob; its digest."""
    digest = _digest(data)
    with _request("POST", f"http://{registry}/v2/{repository}/blobs/uploads/") as response:
        location = response.headers["Location"]
    if location.startswith("/"):
        location = f"http://{registry}{location}"
    separator = "&" if "?" in location else "?"
    with _request(
        "PUT", f"{location}{separator}digest={digest}", data, {"Content-Type": "application/octet-stream"}
    ):
        pass
    return digest


def _layer(arch: str, note: str = "") -> tuple[bytes, str]:
    """A gzipped tar with one small file naming the architecture; (blob, diff id)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        content = f"base image for {arch}\n{note}".encode()
        info = tarfile.TarInfo("etc/kstasks-base")
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    uncompressed = raw.getvalue()
    return gzip.compress(uncompressed, mtime=0), _digest(uncompressed)


def push_base_image(
    registry: str, repository: str, tag: str, architectures: tuple[str, ...], note: str = ""
) -> str:
    """An OCI index with one tiny linux image per architecture (``note`` varies its content); its digest."""
    entries = []
    for arch in architectures:
        layer, diff_id = _layer(arch, note)
        layer_digest = push_blob(registry, repository, layer)
        config = json.dumps(
            {
                "architecture": arch,
                "os": "linux",
                "config": {"Env": ["PATH=/usr/local/bin:/usr/bin:/bin"]},
                "rootfs": {"type": "layers", "diff_ids": [diff_id]},
            }
        ).encode()
        config_digest = push_blob(registry, repository, config)
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {
                    "mediaType": "application/vnd.oci.image.config.v1+json",
                    "digest": config_digest,
                    "size": len(config),
                },
                "layers": [
                    {
                        "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                        "digest": layer_digest,
                        "size": len(layer),
                    }
                ],
            }
        ).encode()
        with _request(
            "PUT",
            f"http://{registry}/v2/{repository}/manifests/{_digest(manifest)}",
            manifest,
            {"Content-Type": OCI_MANIFEST},
        ):
            pass
        entries.append(
            {
                "mediaType": OCI_MANIFEST,
                "digest": _digest(manifest),
                "size": len(manifest),
                "platform": {"architecture": arch, "os": "linux"},
            }
        )
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}).encode()
    with _request(
        "PUT", f"http://{registry}/v2/{repository}/manifests/{tag}", index, {"Content-Type": OCI_INDEX}
    ):
        pass
    return _digest(index)
