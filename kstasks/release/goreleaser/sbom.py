"""goreleaser's SBOM step, done locally: ``syft`` (pinned, from the tool cache) run as goreleaser's
default ``sboms`` entry runs it (``$artifact --output spdx-json=$document``, in ``dist/``, with the
entry's ``env`` and ``$artifact``/``$document`` set; goreleaser also narrows the rest of the
environment to ``PASSTHROUGH``, kstasks' runner adds to it instead), one SPDX JSON document per
artifact the config catalogs.

Why syft: it is what goreleaser runs by default and what KubeStellar's workflow installs, and it
reads the Go build information embedded in a binary, so every module linked in is listed.

syft's SPDX output is not reproducible as written: ``creationInfo.created`` is the clock's time
and ``documentNamespace`` ends in a random UUID. kstasks rewrites exactly those two fields after
syft: ``created`` becomes the commit's time, the namespace's last element the sha256 of the
artifact's bytes. Everything else is syft's, byte for byte as parsed (re-serialised as syft
writes JSON: two-space indent). syft's update check is off (``SYFT_CHECK_FOR_APP_UPDATE``).
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Mapping
from pathlib import Path

from kstasks.core import errors, output, runner
from kstasks.release.goreleaser.build import sha256_file
from kstasks.release.goreleaser.config import ReleasePlan, expected_artifacts
from kstasks.release.goreleaser.model import Sbom

PASSTHROUGH = ("HOME", "USER", "USERPROFILE", "TMPDIR", "TMP", "TEMP", "PATH", "LOCALAPPDATA")
"""The environment goreleaser hands the SBOM command (``pipe/sbom``'s ``passthroughEnvVars``)."""


def _expand(text: str, values: Mapping[str, str]) -> str:
    for key in sorted(values, key=len, reverse=True):
        text = text.replace("${" + key + "}", values[key]).replace("$" + key, values[key])
    return text


def normalise(document: Path, created: datetime.datetime, subject_digest: str) -> None:
    """Make syft's SPDX JSON reproducible (see the module docstring)."""
    data = json.loads(document.read_text())
    info = data.get("creationInfo")
    if isinstance(info, dict):
        info["created"] = created.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    namespace = str(data.get("documentNamespace") or "")
    if namespace:
        data["documentNamespace"] = f"{namespace.rsplit('-', 5)[0]}-{subject_digest}"
    document.write_text(json.dumps(data, indent=2) + "\n")


def make_sboms(
    plan: ReleasePlan,
    version: str,
    syft: Path,
    dist: Path,
    subjects: Mapping[tuple[str, str], Path],
    created: datetime.datetime,
) -> list[Path]:
    """Every SBOM document the config asks for, in ``dist``. ``subjects`` maps (artifact name,
    platform) to the file: binaries by their ``binary`` path, archives by file name."""
    configs: dict[str, Sbom] = {s.id: s for s in plan.sboms}
    made = []
    for expected in expected_artifacts(plan, version):
        if expected.kind != "sbom":
            continue
        sbom = configs[expected.build]
        if sbom.cmd != "syft" and Path(sbom.cmd).name != "syft":
            raise errors.BadInput(f"sboms {sbom.id}: cmd {sbom.cmd!r} is not syft", "Use syft (the default).")
        subject = subjects.get((expected.source, expected.platform))
        if subject is None:
            raise errors.StepFailed(f"sboms {sbom.id}: nothing built for {expected.source}", "Report this.")
        document = dist / expected.name
        artifact = os.path.relpath(subject, dist)
        values = {
            "artifact": artifact,
            "document": expected.name,
            "document0": expected.name,
            "artifactID": expected.build,
        }
        args = [_expand(arg, values) for arg in sbom.args]
        env = {key: os.environ[key] for key in PASSTHROUGH if os.environ.get(key)}
        env.update(dict(entry.partition("=")[::2] for entry in sbom.env))
        env.update(values)
        env["SYFT_CHECK_FOR_APP_UPDATE"] = "false"
        with output.step(f"release: SBOM {expected.name}"):
            runner.run(
                [syft, *args],
                cwd=dist,
                env=env,
                capture=True,
                what=f"syft ({expected.name})",
                todo="See syft's output above.",
            )
        if not document.is_file():
            raise errors.StepFailed(f"syft wrote no {expected.name}", "Check the sboms entry's args.")
        normalise(document, created, sha256_file(subject))
        made.append(document)
    return made
