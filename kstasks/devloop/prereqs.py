"""check_pre_req.sh: is each prerequisite on PATH, at which version, and is it new enough.

The programs, version commands and minimums are the checkout's own script's (read as data by
:mod:`kstasks.devloop.prereqscript`); without a script, v0.24.0's list below.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from kstasks.core import errors, runner
from kstasks.core.report import Report
from kstasks.devloop.prereqscript import PrereqScript, ScriptProgram, accepts

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
    script: ScriptProgram | None = None
    """The checkout's script's own description (then its version commands and test decide)."""

    @classmethod
    def from_script(cls, found: ScriptProgram) -> Program:
        """A program as the checkout's script describes it."""
        if found.upper:
            minimum = f"{found.minimum or found.additional.lstrip(':')}, below {found.upper.lstrip(':')}"
        else:
            match = re.search(r"\d+(?:\.\d+)*", found.minimum)
            minimum = match[0] if match else found.minimum
        return cls(found.key, found.label, found.command, (), found.install, minimum, found)


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
    compared: str = ""
    """What the script's structured-version command printed (what its test compares)."""

    @property
    def too_old(self) -> bool:
        """Found, but below the minimum version."""
        if self.path is None or not self.program.minimum:
            return False
        if self.program.script is not None:
            return not accepts(self.program.script, self.compared)
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


def programs_of(script: PrereqScript | None) -> dict[str, Program]:
    """The programs ``script`` knows, in its order (without a script: v0.24.0's)."""
    if script is None:
        return PROGRAMS
    return {key: Program.from_script(found) for key, found in script.programs.items()}


def validate(keys: list[str], programs: dict[str, Program] | None = None) -> None:
    """Exit 2 on a program name the script does not know."""
    known = PROGRAMS if programs is None else programs
    unknown = [key for key in keys if key not in known]
    if unknown:
        raise errors.BadInput(f"unknown program {', '.join(unknown)}", f"Choose from: {' '.join(known)}.")


def _shell(command: str) -> str:
    """What a version command of the script prints (stderr dropped, as the script does)."""
    if not command:
        return ""
    result = runner.run(["bash", "-c", command], capture=True, query=True, check=False, quiet=True)
    return result.stdout.strip()


def probe(program: Program) -> Finding:
    """Look ``program`` up on PATH and ask its version (the first line that names one)."""
    found = shutil.which(program.command)
    if found is None:
        return Finding(program, None)
    if program.script is not None:
        compared = _shell(program.script.structured)
        shown = _shell(program.script.display) if program.script.display else compared
        return Finding(program, Path(found), shown.splitlines()[0] if shown else "", compared)
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
    lines = [f"{mark} {program.label}{status}", f"  version: {finding.version}"]
    if finding.compared and finding.compared != finding.version:
        lines.append(f" compared: {finding.compared}")
    return [*lines, f"     path: {finding.path}"]


def check(
    keys: list[str], *, verbose: bool = False, assert_all: bool = False, script: PrereqScript | None = None
) -> Report:
    """Check the named programs (default: the script's three groups): a line per program (and the
    groups' titles), failing with exit 1 naming what is missing.

    With ``assert_all`` (the script's --assert) checking stops at the first missing program.
    """
    programs = programs_of(script)
    validate(keys, programs)
    default = list(script.groups) if script is not None else list(DEFAULT_GROUPS)
    groups = [("Checking pre-requisites for KubeStellar:", tuple(keys))] if keys else default
    findings: list[Finding] = []
    report = Report()
    for title, members in groups:
        if title and (verbose or not keys):
            report.lines.append(title)
        for key in members:
            finding = probe(programs[key])
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
