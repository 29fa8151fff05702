"""Benchmark kstasks against the Makefile-equivalent baseline on the bundled sample.

Run: ``python3 bench/run.py [--runs N] [--only TASK]``. Each case is timed as a user would run it
(a fresh process), after one warm-up run of each side so Go caches and tools are warm;
the table shows the medians and their ratio (kstasks / baseline: below 1 is faster).
Results are also written to bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
sys.path.insert(0, str(PROJECT))

from kstasks.project import settings  # noqa: E402
from kstasks.toolchain import tools  # noqa: E402


@dataclass
class Case:
    """One comparison: the baseline command and the kstasks command, run in a prepared checkout."""

    name: str
    baseline: list[str]
    kstasks: list[str]
    env: dict[str, str]
    cwd: Path | None = None
    """Where to run (default: the prepared checkout)."""


def prepare_checkout(dest: Path) -> Path:
    """A git repository holding a copy of the sample."""
    shutil.copytree(PROJECT / "sample", dest)
    identity = ["-c", "user.name=bench", "-c", "user.email=bench@kstasks.invalid"]
    for args in (["init", "-q"], ["add", "-A"], [*identity, "commit", "-qm", "sample"]):
        subprocess.run(["git", *args], cwd=dest, check=True)
    return dest


def baseline_env(work: Path) -> dict[str, str]:
    """The tool paths the baseline script takes, at kstasks' pins."""
    box = tools.Toolbox(settings.defaults()["versions"])
    box.install_all(["controller-gen", "kustomize", "code-generator", "yq", "ko"])
    imports = os.environ.get("OPENSHIFT_GOIMPORTS") or f"{sys.executable} -m kstasks.codegen.goimports"
    return {
        "CONTROLLER_GEN": str(box.binary("controller-gen")),
        "KUSTOMIZE": str(box.binary("kustomize")),
        "CODE_GEN_DIR": str(box.module_dir("code-generator")),
        "GOBIN": str(work / "baseline-gobin"),
        "IMPORTS": imports,
        "YQ": str(box.binary("yq")),
        "KO": str(box.binary("ko")),
        "CONTROLLER_MANAGER_IMAGE": "ghcr.io/kubestellar/kubestellar/controller-manager:v0.24.0",
        "VERIFY_BOILERPLATE": os.environ.get("VERIFY_BOILERPLATE")
        or f"{sys.executable} -m kstasks.checks.boilerplate",
        "PYTHONPATH": str(PROJECT),
    }


TOOL_VERSION = "0.9.0"
TOOL_PLATFORMS = "linux/amd64,linux/arm64"


def wanted(args: argparse.Namespace, name: str) -> bool:
    """Whether ``--only`` selects case ``name``."""
    return not args.only or name in args.only


def tool_image_setup(work: Path, servers: ExitStack) -> dict[str, str]:
    """A local registry with a two-platform base image, and a local upstream source repository
    (the real upstream is not reachable from the benchmark machine)."""
    from tests.oci import push_base_image
    from tests.servers import make_cli_source, registry_server

    (work / "registry").mkdir()
    registry = servers.enter_context(registry_server(work / "registry"))
    push_base_image(registry, "base/static", "latest", ("amd64", "arm64"))
    source = make_cli_source(work / "clusteradm-source", "clusteradm", (TOOL_VERSION,))
    return {
        "KO_DEFAULTBASEIMAGE": f"{registry}/base/static:latest",
        "REGISTRY": f"{registry}/kubestellar",
        "SOURCE": source.as_uri(),
        "VERSION": TOOL_VERSION,
        "PLATFORMS": TOOL_PLATFORMS,
    }


RELEASE_CASE = "release snapshot (v0.30 layout)"


def release_setup(work: Path, servers: ExitStack) -> dict[str, str]:
    """The v0.30-shaped sample tagged v0.30.0, and a local registry with the base image and
    stand-ins for core-chart's OCI dependencies (where --chart-dependency-registry sends helm)."""
    from tests.oci import push_base_image
    from tests.samples import make_variant_repo
    from tests.servers import registry_server

    (work / "release-registry").mkdir()
    registry = servers.enter_context(registry_server(work / "release-registry"))
    push_base_image(registry, "base/static", "latest", ("amd64", "arm64"))
    helm = tools.Toolbox(settings.defaults()["versions"]).binary("helm")
    for name, version, repository in (
        ("kubeflex-operator", "v0.9.3", "ghcr.io/kubestellar/kubeflex/chart"),
        ("argo-cd", "9.1.0", "ghcr.io/argoproj/argo-helm"),
    ):
        chart = work / "release-deps" / name
        (chart / "templates").mkdir(parents=True)
        (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: {version}\n")
        subprocess.run(
            [helm, "package", str(chart), "-d", str(chart.parent)], check=True, capture_output=True
        )
        archive = chart.parent / f"{name}-{version}.tgz"
        destination = f"oci://{registry}/mirror/{repository}"
        subprocess.run(
            [helm, "push", str(archive), destination, "--plain-http"], check=True, capture_output=True
        )
    checkout = make_variant_repo(work / "release-checkout", "v0.30", tag="v0.30.0")
    return {
        "KO_DEFAULTBASEIMAGE": f"{registry}/base/static:latest",
        "KSTASKS_REPO": str(checkout),
        "MIRROR": f"{registry}/mirror",
        "CHECKOUT": str(checkout),
    }


def time_once(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Wall seconds of one run; a failing run aborts the benchmark."""
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"benchmark command failed: {' '.join(command)}\n{result.stderr[-3000:]}")
    return elapsed


def measure(case: Case, cwd: Path, runs: int, progress: Callable[[str], None]) -> dict[str, object]:
    """Warm up both sides once, then alternate ``runs`` timed runs of each (a case without a
    baseline is timed alone)."""
    sides = [side for side in (case.baseline, case.kstasks) if side]
    for side in sides:
        time_once(side, cwd, case.env)
    base: list[float] = []
    ours: list[float] = []
    for i in range(runs):
        if case.baseline:
            base.append(time_once(case.baseline, cwd, case.env))
        ours.append(time_once(case.kstasks, cwd, case.env))
        progress(
            f"{case.name}: run {i + 1}/{runs} baseline {base[-1] if base else 0:.2f}s kstasks {ours[-1]:.2f}s"
        )
    k = statistics.median(ours)
    b = statistics.median(base) if base else None
    return {
        "task": case.name,
        "baseline_median_s": b,
        "kstasks_median_s": k,
        "ratio": k / b if b else None,
        "runs": runs,
    }


def main() -> int:
    """Run every case and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each side (default 5)")
    parser.add_argument("--only", action="append", help="run only this task (repeatable)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kstasks-bench-") as temp, ExitStack() as servers:
        work = Path(temp)
        checkout = prepare_checkout(work / "checkout")
        env = {**baseline_env(work), "KSTASKS_REPO": str(checkout)}
        tool_env = (
            {**env, **tool_image_setup(work, servers)} if wanted(args, "build-clusteradm-image") else env
        )
        release_env = {**env, **release_setup(work, servers)} if wanted(args, RELEASE_CASE) else env
        cases = [
            Case(
                "all-generated",
                ["bash", str(HERE / "baseline.sh"), str(checkout)],
                [sys.executable, "-m", "kstasks", "all-generated", "--force"],
                env,
            ),
            Case(
                "all-generated (rerun, nothing changed)",
                ["bash", str(HERE / "baseline.sh"), str(checkout)],
                [sys.executable, "-m", "kstasks", "all-generated"],
                env,
            ),
            Case(
                "verify-codegen vs in-place regeneration",
                [sys.executable, "-m", "kstasks", "all-generated", "--force"],
                [sys.executable, "-m", "kstasks", "verify-codegen", "--no-cache"],
                env,
            ),
            Case(
                "verify (every CI verify check)",
                ["bash", str(HERE / "baseline-verify.sh"), str(checkout)],
                [sys.executable, "-m", "kstasks", "verify", "--no-cache"],
                env,
            ),
            Case(
                "verify, commit verified before",
                ["bash", str(HERE / "baseline-verify.sh"), str(checkout)],
                [sys.executable, "-m", "kstasks", "verify"],
                env,
            ),
            Case("kstasks --list", [], [str(Path(sys.executable).parent / "kstasks"), "--list"], env),
            Case("invoke --list", [], [str(Path(sys.executable).parent / "invoke"), "--list"], env, PROJECT),
            Case(
                "chart",
                ["bash", str(HERE / "baseline-chart.sh"), str(checkout)],
                [sys.executable, "-m", "kstasks", "chart"],
                env,
            ),
            Case(
                "build-clusteradm-image",
                ["bash", str(HERE / "baseline-tool-image.sh")],
                [
                    sys.executable,
                    "-m",
                    "kstasks",
                    "build-clusteradm-image",
                    "--version",
                    TOOL_VERSION,
                    "--registry",
                    tool_env.get("REGISTRY", ""),
                    "--platform",
                    TOOL_PLATFORMS,
                    "--source",
                    tool_env.get("SOURCE", ""),
                    "--force",
                ],
                tool_env,
            ),
            Case(
                RELEASE_CASE,
                [],
                [
                    sys.executable,
                    "-m",
                    "kstasks",
                    "release",
                    "0.30.0",
                    "--snapshot",
                    "--chart-dependency-registry",
                    release_env.get("MIRROR", ""),
                ],
                release_env,
                Path(release_env["CHECKOUT"]) if "CHECKOUT" in release_env else None,
            ),
        ]
        cases = [case for case in cases if wanted(args, case.name)]
        rows = [
            measure(case, case.cwd or checkout, args.runs, lambda m: print(m, file=sys.stderr))
            for case in cases
        ]
    print(f"\nmachine: {os.cpu_count()} cores; medians of {args.runs} runs after one warm-up\n")
    print(f"{'task':<42} {'baseline':>10} {'kstasks':>10} {'ratio':>7}")
    for row in rows:
        baseline = f"{row['baseline_median_s']:>9.2f}s" if row["baseline_median_s"] else f"{'-':>10}"
        ratio = f"{row['ratio']:>7.2f}" if row["ratio"] else f"{'-':>7}"
        print(f"{row['task']:<42} {baseline} {row['kstasks_median_s']:>9.2f}s {ratio}")
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "latest.json").write_text(json.dumps({"cores": os.cpu_count(), "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
