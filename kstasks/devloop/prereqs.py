"""hack/check_pre_req.sh: is each prerequisite on PATH, at which version, and is it new enough."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from kstasks.core import errors, runner
from kstasks.core.report import Report

_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")


@dataclass(frozen=True)
class Program:
    """One prerequisite: how to find it, ask its version, and install it."""

    key: str
    label: str
    command: str
    version_args: tuple[str, ...]
    install: str = ""
    minimum: str = ""
    """The lowest version KubeStellar's pre-requisites page accepts (empty: any)."""


PROGRAMS: dict[str, Program] = {
    p.key: p
    for p in (
        Program(
            "argo",
            "ArgoCD CLI",
            "argocd",
            ("version", "--short", "--client"),
            "https://argo-cd.readthedocs.io/en/stable/cli_installation/",
        ),
        Program("brew", "Home Brew", "brew", ("--version",), "https://brew.sh"),
        Program("docker", "Docker", "docker", ("--version",), "https://docs.docker.com/engine/install/"),
        Program("go", "Go", "go", ("version",), "https://go.dev/doc/install", "1.21"),
        Program("helm", "Helm", "helm", ("version", "--short"), "https://helm.sh/docs/intro/install/"),
        Program("jq", "jq", "jq", ("--version",), "https://jqlang.github.io/jq/download/"),
        Program(
            "kflex", "KubeFlex", "kflex", ("version",), "https://github.com/kubestellar/kubeflex", "0.6.1"
        ),
        Program(
            "kind",
            "Kind",
            "kind",
            ("version",),
            "https://kind.sigs.k8s.io/docs/user/quick-start/#installation",
        ),
        Program("ko", "KO", "ko", ("version",), "https://ko.build/install/"),
        Program(
            "kubectl",
            "kubectl",
            "kubectl",
            ("version", "--client"),
            "https://kubernetes.io/docs/tasks/tools/install-kubectl-linux/",
        ),
        Program("make", "GNU Make", "make", ("--version",), "https://www.gnu.org/software/make/"),
        Program(
            "ocm",
            "OCM CLI",
            "clusteradm",
            ("version",),
            "https://github.com/open-cluster-management-io/clusteradm#install",
        ),
        Program("yq", "yq", "yq", ("--version",), "brew install yq or snap install yq"),
    )
}
"""The script's PROGRAMS, by the names it accepts."""

DEFAULT_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Checking pre-requisites for using KubeStellar:", ("docker", "kubectl", "kflex", "ocm", "helm")),
    ("Checking additional pre-requisites for running the examples:", ("kind", "argo")),
    ("Checking pre-requisites for building KubeStellar:", ("make", "go", "ko")),
)
"""What the script checks when no program is named, in its order."""


@dataclass(frozen=True)
class Finding:
    """What was found for one program."""

    program: Program
    path: Path | None
    version: str = ""

    @property
    def too_old(self) -> bool:
        """Found, but below the minimum version."""
        if self.path is None or not self.program.minimum:
            return False
        found = version_tuple(self.version)
        return found is not None and found < (version_tuple(self.program.minimum) or (0, 0, 0))

    @property
    def ok(self) -> bool:
        """Found and new enough."""
        return self.path is not None and not self.too_old


def version_tuple(text: str) -> tuple[int, int, int] | None:
    """The first ``X.Y[.Z]`` in ``text``."""
    match = _VERSION.search(text)
    return (int(match[1]), int(match[2]), int(match[3] or 0)) if match else None


def validate(keys: list[str]) -> None:
    """Exit 2 on a program name the script does not know."""
    unknown = [key for key in keys if key not in PROGRAMS]
    if unknown:
        raise errors.BadInput(f"unknown program {', '.join(unknown)}", f"Choose from: {' '.join(PROGRAMS)}.")


def probe(program: Program) -> Finding:
    """Look ``program`` up on PATH and ask its version (the first line that names one)."""
    found = shutil.which(program.command)
    if found is None:
        return Finding(program, None)
    result = runner.run([found, *program.version_args], capture=True, query=True, check=False, quiet=True)
    lines = [line.strip() for line in (result.stdout + "\n" + result.stderr).splitlines() if line.strip()]
    version = next((line for line in lines if _VERSION.search(line)), lines[0] if lines else "")
    return Finding(program, Path(found), version)


def describe(finding: Finding, *, verbose: bool) -> list[str]:
    """The lines the script prints for one program (version and path always; install hint with verbose)."""
    program = finding.program
    minimum = f" (minimum {program.minimum})" if program.minimum else ""
    if finding.path is None:
        lines = [f"X {program.label}: not found{minimum}"]
        if verbose and program.install:
            lines.append(f"  how to install: {program.install}")
        return lines
    mark = "X" if finding.too_old else "\u2714"
    status = f": too old{minimum}" if finding.too_old else minimum
    return [f"{mark} {program.label}{status}", f"  version: {finding.version}", f"     path: {finding.path}"]


def check(keys: list[str], *, verbose: bool = False, assert_all: bool = False) -> Report:
    """Check the named programs (default: the script's three groups): a line per program (and the
    groups' titles), failing with exit 1 naming what is missing.

    With ``assert_all`` (the script's --assert) checking stops at the first missing program.
    """
    validate(keys)
    groups = [("Checking pre-requisites for KubeStellar:", tuple(keys))] if keys else list(DEFAULT_GROUPS)
    findings: list[Finding] = []
    report = Report()
    for title, members in groups:
        if verbose or not keys:
            report.lines.append(title)
        for key in members:
            finding = probe(PROGRAMS[key])
            findings.append(finding)
            report.lines += describe(finding, verbose=verbose)
            if assert_all and not finding.ok:
                break
        if assert_all and findings and not findings[-1].ok:
            break
    missing = [f"{f.program.key} ({'too old' if f.too_old else 'missing'})" for f in findings if not f.ok]
    if missing:
        report.failure = errors.CheckFailed(
            f"prerequisites not met: {', '.join(missing)}", "Install them (--verbose says how)."
        )
    return report
