"""The local E2E setup of the core-chart layout (v0.25+): the checkout's
``test/e2e/common/setup-kubestellar.sh`` runs ``make kind-load-image``, ``helm dependency update
core-chart/`` and ``helm upgrade --install ks-core core-chart/ --set KUBESTELLAR_VERSION=<short
commit> ...``. The helm command is read from that script (its non-released branch) as data; the
chart is staged in a scratch copy (dependency repositories redirected there when asked), so no
tracked file of the checkout is ever written -- not Chart.lock, not charts/.
"""

from __future__ import annotations

import re
import shlex
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from kstasks.core import errors, runner
from kstasks.project.repo import Checkout

E2E_SETUP = "test/e2e/common/setup-kubestellar.sh"
SHORT_COMMIT = "$(git rev-parse --short HEAD)"
_ASSIGN_RE = re.compile(r"^([A-Z_][A-Z0-9_]*)=([^\s;]*)\s*$", re.MULTILINE)
_VAR_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
_REPOSITORY_RE = re.compile(r"^(\s*-?\s*repository:\s*)([\"']?)(\S+?)\2\s*$", re.MULTILINE)
CONTEXT_VARIABLE_FLAGS = ("--kube-context",)


@dataclass(frozen=True)
class InstallCommand:
    """The helm command of the local setup, as the checkout's script writes it."""

    args: tuple[str, ...]
    """After ``helm``, unexpanded (``$(git rev-parse --short HEAD)``, ``$HOSTING_CONTEXT`` ...)."""
    defaults: Mapping[str, str]
    """The script's top-level ``VAR=value`` assignments."""
    chart: str
    """The chart argument (``core-chart/``)."""
    source: str
    """Where it was read."""


def _commands(text: str) -> list[str]:
    joined = re.sub(r"\\\n", " ", text)
    return [line.strip() for line in joined.splitlines()]


def read_install_command(checkout: Checkout, chart_dir: str) -> InstallCommand:
    """The ``helm upgrade --install`` after ``helm dependency update <chart_dir>`` in the
    checkout's E2E setup script; without one, ``upgrade --install ks-core <chart_dir>/ --set
    KUBESTELLAR_VERSION=<short commit>``."""
    script = checkout.path(E2E_SETUP)
    fallback = (
        "upgrade",
        "--install",
        "ks-core",
        f"{chart_dir}/",
        "--set",
        f"KUBESTELLAR_VERSION={SHORT_COMMIT}",
    )
    if not script.is_file():
        return InstallCommand(fallback, {}, f"{chart_dir}/", "kstasks' default (no E2E setup script)")
    text = script.read_text(errors="replace")
    lines = _commands(text)
    updated = next((i for i, line in enumerate(lines) if line.startswith("helm dependency update")), None)
    after = lines[updated + 1 :] if updated is not None else lines
    command = next((line for line in after if line.startswith("helm upgrade") and "--install" in line), "")
    if not command:
        return InstallCommand(
            fallback, {}, f"{chart_dir}/", f"kstasks' default ({E2E_SETUP} installs no chart)"
        )
    try:
        words = shlex.split(command.replace(SHORT_COMMIT, "__SHORT_COMMIT__"), comments=True)
    except ValueError as err:
        raise errors.BadInput(
            f"cannot read the helm command of {E2E_SETUP} ({err})", "Fix its quoting."
        ) from err
    args = tuple(word.replace("__SHORT_COMMIT__", SHORT_COMMIT) for word in words[1:])
    chart = next((word for word in args if word.rstrip("/") == chart_dir.rstrip("/")), f"{chart_dir}/")
    defaults: dict[str, str] = {}
    for match in _ASSIGN_RE.finditer(text):  # the first top-level assignment is the default
        defaults.setdefault(match[1], match[2].strip("\"'"))
    return InstallCommand(args, defaults, chart, E2E_SETUP)


def expand_args(
    command: InstallCommand, *, tag: str, chart_path: Path, values: Mapping[str, str]
) -> list[str]:
    """The helm arguments with the short commit as ``tag``, the chart as ``chart_path`` and each
    ``$VAR`` from ``values`` (else the script's default); a flag whose value is empty is dropped."""
    result: list[str] = []
    skip = False
    args = list(command.args)
    for index, word in enumerate(args):
        if skip:
            skip = False
            continue
        if word == command.chart:
            result.append(str(chart_path))
            continue
        value = _VAR_RE.sub(lambda m: values.get(m[1] or m[2], command.defaults.get(m[1] or m[2], "")), word)
        value = value.replace(SHORT_COMMIT, tag)
        if word.startswith("--") and "=" not in word and index + 1 < len(args):
            following = _VAR_RE.sub(
                lambda m: values.get(m[1] or m[2], command.defaults.get(m[1] or m[2], "")), args[index + 1]
            )
            if not following:
                skip = True
                continue
        result.append(value)
    return result


def as_template(args: list[str]) -> list[str]:
    """``upgrade --install NAME CHART ...`` as ``template NAME CHART ...`` (no cluster flags)."""
    result: list[str] = []
    skip = False
    for word in args:
        if skip:
            skip = False
            continue
        if word in ("upgrade", "--install"):
            continue
        if word in CONTEXT_VARIABLE_FLAGS:
            skip = True
            continue
        if word.startswith("--kube-context="):
            continue
        result.append(word)
    return ["template", *result]


def redirect_repositories(chart_yaml: Path, redirects: Mapping[str, str]) -> list[str]:
    """Rewrite the dependency repositories of a (staged) Chart.yaml whose URL starts with a key of
    ``redirects``; the rewrites made, ``FROM -> TO``."""
    done: list[str] = []

    def replace(match: re.Match[str]) -> str:
        url = match[3]
        for prefix, target in redirects.items():
            if url == prefix or url.startswith(prefix.rstrip("/") + "/"):
                new = target.rstrip("/") + url[len(prefix.rstrip("/")) :]
                done.append(f"{url} -> {new}")
                return f"{match[1]}{match[2]}{new}{match[2]}"
        return match[0]

    text = chart_yaml.read_text()
    chart_yaml.write_text(_REPOSITORY_RE.sub(replace, text))
    return done


def parse_redirects(items: list[str], configured: Mapping[str, str]) -> dict[str, str]:
    """``FROM=TO`` flags over the ``kstasks.chart.dependency_repositories`` setting; exit 2 on a
    malformed one."""
    result = {str(k): str(v) for k, v in dict(configured or {}).items()}
    for item in items:
        source, sep, target = item.partition("=")
        if not sep or not source or not target:
            raise errors.BadInput(
                f"--dependency-repo {item!r} is not FROM=TO",
                "Pass e.g. --dependency-repo oci://ghcr.io/kubestellar/kubeflex/chart=oci://127.0.0.1:5000/kubeflex.",
            )
        result[source] = target
    return result


def stage_chart(
    checkout: Checkout, chart_dir: str, scratch: Path, redirects: Mapping[str, str]
) -> tuple[Path, list[str]]:
    """A copy of the checkout's chart in ``scratch`` (repositories redirected); its path and the rewrites."""
    source = checkout.path(chart_dir)
    if not (source / "Chart.yaml").is_file():
        raise errors.BadInput(
            f"{checkout.root} has no {chart_dir}/Chart.yaml",
            "install-local-core-chart is for the core-chart layout (v0.25+); "
            "use install-local-chart for chart/.",
        )
    staged = scratch / Path(chart_dir).name
    shutil.copytree(source, staged, ignore=shutil.ignore_patterns("charts", "Chart.lock"))
    return staged, redirect_repositories(staged / "Chart.yaml", redirects) if redirects else []


def dependency_update(helm: Path, staged: Path) -> None:
    """``helm dependency update`` of the staged chart."""
    runner.run(
        [helm, "dependency", "update", str(staged)],
        what="helm dependency update (core chart)",
        todo="Its dependencies need their registries: redirect them with --dependency-repo FROM=TO "
        "(or kstasks.chart.dependency_repositories).",
    )
