"""Test helpers for publishing: chart sets with other content, and concurrent publishers."""

from __future__ import annotations

import gzip
import hashlib
import io
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

from tests.conftest import PROJECT


def retar_with_extra_file(archive: Path, target: Path) -> None:
    """A copy of chart ``archive`` at ``target`` with one more file (so: other bytes, same chart)."""
    raw = io.BytesIO()
    with tarfile.open(archive) as source, tarfile.open(fileobj=raw, mode="w") as copy:
        top = ""
        for member in source.getmembers():
            top = top or member.name.split("/", 1)[0]
            copy.addfile(member, source.extractfile(member) if member.isfile() else None)
        extra = b"# rebuilt by someone else\n"
        info = tarfile.TarInfo(f"{top}/NOTES-other.txt")
        info.size = len(extra)
        copy.addfile(info, io.BytesIO(extra))
    target.write_bytes(gzip.compress(raw.getvalue(), mtime=0))


def other_set(dist: Path, dest: Path, version: str, changed: str) -> Path:
    """A copy of the chart set of ``version`` in ``dist`` where chart ``changed`` has other bytes."""
    dest.mkdir(parents=True, exist_ok=True)
    checksums = dist / f"charts-{version}.sha256"
    lines = []
    for line in checksums.read_text().splitlines():
        name = line.split("  ", 1)[1]
        if name.startswith(f"{changed}-{version}"):
            retar_with_extra_file(dist / name, dest / name)
        else:
            shutil.copyfile(dist / name, dest / name)
        lines.append(f"{hashlib.sha256((dest / name).read_bytes()).hexdigest()}  {name}\n")
    (dest / checksums.name).write_text("".join(lines))
    return dest


PUBLISHER = """
import sys, time
from pathlib import Path
from kstasks.core.errors import KstasksError
from kstasks.core.semver import parse_release_version
from kstasks.release import charts
from kstasks.remote.registry import Reference

dist, destination, version, start = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
release = parse_release_version(version)
archives = charts.release_archives(Path(dist), release)
time.sleep(max(0.0, start - time.time()))
try:
    published = charts.publish_charts(archives, Reference.parse(destination), release)
except KstasksError as err:
    print(err.message, file=sys.stderr)
    sys.exit(err.code)
for chart in published:
    print(f"{chart.reference}@{chart.digest}")
"""


def race(dists: tuple[Path, Path], destination: str, version: str) -> list[subprocess.CompletedProcess[str]]:
    """Two processes publishing ``dists`` to ``destination``, their pushes starting at the same instant."""
    start = time.time() + 1.5
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", PUBLISHER, str(dist), destination, version, str(start)],
            cwd=PROJECT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for dist in dists
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return results
