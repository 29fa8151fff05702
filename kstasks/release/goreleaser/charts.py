"""The release workflow's chart steps, done locally for any layout: each ``helm package`` the
workflow runs (v0.21 to v0.24: the controller-manager chart from ``make chart``, core-chart, the
transport chart; v0.25 on: core-chart alone), after the ``sed`` edits it makes first, with
``--dependency-update`` where the workflow passes it.

Dependency repositories can be redirected (an air-gapped mirror; the tests' loopback registry):
``mirrors`` maps repository prefixes (``oci://ghcr.io/``) to replacements, applied to the staged
copy's Chart.yaml only. ``skip_dependency_update`` packages with ``charts/`` as it stands.

The archives are made reproducible after helm: helm stamps every member with the clock's time and
writes the clock's time into Chart.lock's ``generated:``; both become the commit's time. helm's
member order varies between runs (subcharts), so members are sorted (Chart.yaml first), owners are
cleared and the gzip header carries no time.
"""

from __future__ import annotations

import datetime
import gzip
import io
import re
import tarfile
from collections.abc import Mapping
from pathlib import Path

import yaml

from kstasks.charts.derive import ChartLayout, derive_template
from kstasks.charts.staging import _stage_copy
from kstasks.core import errors, output, runner
from kstasks.project.repo import Checkout
from kstasks.release.goreleaser.config import ReleasePlan, chart_name
from kstasks.release.goreleaser.workflow import ChartStep, Edit, fill
from kstasks.toolchain.tools import Toolbox


def sed_to_python(pattern: str) -> str:
    """A sed basic regular expression as a Python one."""
    out = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            out.append(nxt if nxt in "(){}|+?" else "\\" + nxt)
            i += 2
            continue
        out.append("\\" + char if char in "(){}|+?" else char)
        i += 1
    return "".join(out)


def apply_edit(root: Path, edit: Edit, replacement: str) -> None:
    """``sed -i 's/pattern/replacement/g' file`` on the staged copy; exit 2 when nothing matches."""
    path = root / edit.file
    text = path.read_text()
    regex = re.compile(sed_to_python(edit.pattern), re.MULTILINE)
    python_replacement = replacement.replace("\\&", "\x00").replace("&", r"\g<0>").replace("\x00", "&")
    new, count = regex.subn(python_replacement, text)
    if count == 0:
        raise errors.BadInput(
            f"the release workflow's sed on {edit.file} matches nothing ({edit.pattern!r})",
            "Restore what it replaces in the tracked file.",
        )
    path.write_text(new)


def redirect_dependencies(chart_dir: Path, mirrors: Mapping[str, str]) -> list[str]:
    """Rewrite the dependency repositories of the staged ``Chart.yaml`` by ``mirrors``; what changed."""
    if not mirrors:
        return []
    path = chart_dir / "Chart.yaml"
    data = yaml.safe_load(path.read_text()) or {}
    changed = []
    for dependency in data.get("dependencies") or []:
        repository = str(dependency.get("repository") or "")
        for prefix in sorted(mirrors, key=len, reverse=True):
            if repository.startswith(prefix):
                dependency["repository"] = mirrors[prefix] + repository[len(prefix) :]
                changed.append(f"{repository} -> {dependency['repository']}")
                break
    if changed:
        path.write_text(yaml.safe_dump(data, sort_keys=False))
    return changed


def normalise_chart_archive(archive: Path, moment: datetime.datetime) -> None:
    """helm's archive with the commit's time in every header and in Chart.lock (see above)."""
    mtime = int(moment.timestamp())
    stamp = moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    buffer = io.BytesIO()
    with (
        tarfile.open(archive) as source,
        tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as out,
    ):
        members = sorted(
            source.getmembers(),
            key=lambda m: (not m.name.endswith("/Chart.yaml") or m.name.count("/") != 1, m.name),
        )
        for member in members:
            handle = source.extractfile(member) if member.isfile() else None
            data = handle.read() if handle is not None else b""
            if member.name.count("/") == 1 and member.name.endswith("/Chart.lock"):
                data = re.sub(rb"(?m)^generated: .*$", f'generated: "{stamp}"'.encode(), data)
            member.mtime = mtime
            member.uid = member.gid = 0
            member.uname = member.gname = ""
            member.size = len(data)
            member.pax_headers = {}
            out.addfile(member, io.BytesIO(data) if member.isfile() else None)
    with archive.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        gz.write(buffer.getvalue())


def package_charts(
    plan: ReleasePlan,
    checkout: Checkout,
    layout: ChartLayout,
    toolbox: Toolbox,
    version: str,
    stage: Path,
    out: Path,
    moment: datetime.datetime | None,
    *,
    rewrite: Mapping[str, str] | None = None,
    mirrors: Mapping[str, str] | None = None,
    skip_dependency_update: bool = False,
) -> list[Path]:
    """Every chart the workflow packages, as it packages it, into ``out``; the archives.

    ``checkout`` is the source being released; ``rewrite`` maps original registry prefixes to
    ``--registry`` (applied to the images the workflow writes into charts)."""
    helm = toolbox.binary("helm")
    tag = f"v{version}"
    made = []
    for step in plan.charts:
        staged = _stage_copy(checkout, step.path, stage)
        if step.make_chart is not None:
            image = _rewritten(fill(step.make_chart.value, tag=tag, version=version), rewrite)
            template = staged / Path(layout.chart_template).relative_to(layout.chart_dir)
            template.parent.mkdir(parents=True, exist_ok=True)
            template.write_text(derive_template(checkout, layout, toolbox, image))
        for edit in step.edits:
            apply_edit(stage, edit, _rewritten(fill(edit.replacement, tag=tag, version=version), rewrite))
        for line in redirect_dependencies(staged, mirrors or {}):
            output.detail(f"chart dependency {line}")
        update = step.dependency_update and not skip_dependency_update
        args = [helm, "package", str(staged), "--destination", str(out), "--version", version]
        args += ["--app-version", version, *(["--dependency-update"] if update else [])]
        with output.step(f"release: helm package {step.path}"):
            runner.run(
                args,
                env=_helm_env(stage),
                what=f"helm package ({step.path})",
                todo="Its dependencies need their registries: redirect them (--chart-dependency-registry) "
                "or pass --skip-dependency-update to use the chart's charts/ directory. Nothing was pushed.",
            )
        archive = out / f"{chart_name(plan, step)}-{version}.tgz"
        if not archive.is_file():
            raise errors.StepFailed(f"helm package wrote no {archive.name}", "Check the chart's name.")
        if moment is not None:
            normalise_chart_archive(archive, moment)
        made.append(archive)
    return made


def _helm_env(stage: Path) -> dict[str, str]:
    """helm's repository and cache files kept in the run's scratch area (no user state read or left)."""
    return {
        "HELM_REPOSITORY_CONFIG": str(stage / ".helm" / "repositories.yaml"),
        "HELM_REPOSITORY_CACHE": str(stage / ".helm" / "repository"),
        "HELM_CACHE_HOME": str(stage / ".helm" / "cache"),
    }


def _rewritten(text: str, rewrite: Mapping[str, str] | None) -> str:
    for prefix in sorted(rewrite or {}, key=len, reverse=True):
        text = text.replace(prefix + "/", (rewrite or {})[prefix] + "/")
    return text


def dependency_mirrors(registry: str, configured: Mapping[str, str]) -> dict[str, str]:
    """The prefix map: the setting's, plus ``--chart-dependency-registry HOST/PATH``, which sends
    every ``oci://X`` dependency to ``oci://HOST/PATH/X``."""
    mirrors = {str(k): str(v) for k, v in configured.items()}
    if registry:
        mirrors["oci://"] = f"oci://{registry.strip('/')}/"
    return mirrors


def step_destination(step: ChartStep, version: str, registry: str) -> str:
    """Where a chart is pushed (``oci://`` stripped), after ``--registry``."""
    destination = fill(step.destination, tag=f"v{version}", version=version).removeprefix("oci://")
    return registry.strip("/") if registry and destination else destination
