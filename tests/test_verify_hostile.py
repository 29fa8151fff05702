"""verify-release reading hostile chart archives from a real registry (Debian's docker-registry):
a gzip bomb and members outside the chart are problems of the release, reported in one line
each, read within bounds; never a crash or an unbounded read."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import time
from pathlib import Path

import pytest

from kstasks.release.verify import HELM_CHART_LAYER
from kstasks.remote.registry import HELM_CONFIG_TYPE, OCI_MANIFEST, Reference, Registry
from tests.conftest import kstasks

pytestmark = pytest.mark.tools


class _Zeros(io.RawIOBase):
    def readable(self) -> bool:
        return True

    def readinto(self, buffer):  # type: ignore[no-untyped-def]
        buffer[:] = bytes(len(buffer))
        return len(buffer)


def _archive(members: list[tuple[str, int]]) -> bytes:
    data = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=data, mode="wb", compresslevel=1) as zipped,
        tarfile.open(fileobj=zipped, mode="w|") as tar,
    ):
        for name, size in members:
            info = tarfile.TarInfo(name)
            info.size = size
            tar.addfile(info, io.BufferedReader(_Zeros()) if size else None)
    return data.getvalue()


def _push_chart(location: str, name: str, archive: bytes) -> None:
    registry = Registry(Reference.parse(location), timeout=60)
    repository = Reference.parse(location).repository(name)
    config = json.dumps({"name": name, "version": "0.25.0", "appVersion": "0.25.0"}).encode()
    layers = [(config, HELM_CONFIG_TYPE), (archive, HELM_CHART_LAYER)]
    digests = [registry.push_blob(repository, data) for data, _ in layers]
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": HELM_CONFIG_TYPE, "digest": digests[0], "size": len(config)},
        "layers": [{"mediaType": HELM_CHART_LAYER, "digest": digests[1], "size": len(archive)}],
    }
    registry.put_manifest(repository, "0.25.0", json.dumps(manifest).encode(), OCI_MANIFEST)


@pytest.mark.parametrize(
    ("members", "problem"),
    [
        ([("controller-manager-chart/templates/bomb.yaml", 80 * 1024 * 1024)], "expands to more than 64 MiB"),
        ([("controller-manager-chart/../../templates/x.yaml", 10)], "holds a member outside the chart ("),
        ([("/etc/templates/x.yaml", 10)], "holds a member outside the chart ("),
    ],
    ids=["gzip-bomb", "dotdot", "absolute"],
)
def test_verify_release_bounds_what_it_reads_of_a_chart(
    members: list[tuple[str, int]], problem: str, registry: str, sample_repo: Path
) -> None:
    location = f"{registry}/hostile{abs(hash(problem)) % 10000}"
    _push_chart(location, "controller-manager-chart", _archive(members))
    started = time.monotonic()
    result = kstasks(
        "verify-release",
        "0.25.0",
        "--registry",
        location,
        cwd=sample_repo,
        env={"KSTASKS_REPO": str(sample_repo)},
    )
    assert result.returncode == 1, result.stderr
    assert f"{location}/controller-manager-chart:0.25.0 {problem}" in result.stderr
    assert "Traceback" not in result.stderr and "kstasks bug" not in result.stderr
    assert time.monotonic() - started < 30
