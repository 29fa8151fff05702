"""Benchmark kstasks against the Makefile-equivalent baseline on the bundled sample or a checkout.

Run: ``python3 bench/run.py [--runs N] [--only TASK] [--repo PATH]...``. Each case is timed as a
user would run it (a fresh process), after one warm-up run of each side so Go caches and tools are
warm; the table shows the medians and their ratio (kstasks / baseline: below 1 is faster). Without
``--repo`` the cases run on a copy of the sample (and ``all-generated --force`` on its v0.30
variant too); with ``--repo`` the checkout cases run on a work copy of each checkout given, its
baseline being that checkout's own recipe (``bench/recipe.py``). The rows are merged into
bench/results/latest.json (a row replaces the earlier one of the same case and checkout);
``--write-readme`` rewrites README.md's results table from that file and runs nothing.
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

sys.path.insert(0, str(HERE))

import readme  # noqa: E402
import recipe  # noqa: E402

from kstasks.project import settings  # noqa: E402
from kstasks.toolchain import tools  # noqa: E402

RESULTS = HERE / "results" / "latest.json"
VARIANT = "v0.30"
VARIANT_CHECKOUT = f"{readme.SAMPLE}, {VARIANT} variant"


@dataclass
class Case:
    """One comparison: the baseline command and the kstasks command, run in a prepared checkout."""

    name: str
    baseline: list[str]
    kstasks: list[str]
    env: dict[str, str]
    cwd: Path | None = None
    """Where to run (default: the prepared checkout)."""
    checkout: str = readme.SAMPLE
    """Which checkout the case runs on (the sample, its variant, or a checkout's name)."""
    same_output: bool = False
    """Whether both sides must leave the same files (each regenerates everything)."""


def prepare_checkout(dest: Path) -> Path:
    """A git repository holding a copy of the sample."""
    shutil.copytree(PROJECT / "sample", dest)
    identity = ["-c", "user.name=bench", "-c", "user.email=bench@kstasks.invalid"]
    for args in (["init", "-q"], ["add", "-A"], [*identity, "commit", "-qm", "sample"]):
        subprocess.run(["git", *args], cwd=dest, check=True)
    return dest


def baseline_env(work: Path, checkout: Path) -> dict[str, str]:
    """The baseline scripts' environment for ``checkout``: its recipe, with the tools at its pins."""
    found = recipe.read(checkout)
    print(f"baseline: {recipe.describe(found)}", file=sys.stderr)
    return {
        **recipe.baseline_env(found, work),
        "KSTASKS_REPO": str(checkout),
        "VERIFY_BOILERPLATE": os.environ.get("VERIFY_BOILERPLATE")
        or f"{sys.executable} -m kstasks.checks.boilerplate",
    }


def sample_env(work: Path, checkout: Path) -> dict[str, str]:
    """The sample's baseline environment, with what the chart, tool-image and verify baselines add."""
    box = tools.Toolbox(settings.defaults()["versions"])
    box.install_all(["yq", "ko"])
    return {
        **baseline_env(work, checkout),
        "YQ": str(box.binary("yq")),
        "KO": str(box.binary("ko")),
        "CONTROLLER_MANAGER_IMAGE": "ghcr.io/kubestellar/kubestellar/controller-manager:v0.24.0",
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
    outputs = []
    for side in sides:
        time_once(side, cwd, case.env)
        outputs.append(changes(cwd) if case.same_output else "")
    if len(set(outputs)) > 1:
        progress(f"warning: {case.name}: the baseline and kstasks leave different files")
    base: list[float] = []
    ours: list[float] = []
    label = display_name(case.name, case.checkout)
    for i in range(runs):
        if case.baseline:
            base.append(time_once(case.baseline, cwd, case.env))
        ours.append(time_once(case.kstasks, cwd, case.env))
        progress(
            f"{label}: run {i + 1}/{runs} baseline {base[-1] if base else 0:.2f}s kstasks {ours[-1]:.2f}s"
        )
    k = statistics.median(ours)
    b = statistics.median(base) if base else None
    return {
        "task": case.name,
        "checkout": case.checkout,
        "baseline_median_s": b,
        "kstasks_median_s": k,
        "ratio": k / b if b else None,
        "runs": runs,
        "cores": os.cpu_count(),
        "date": time.strftime("%Y-%m-%d"),
    }


def changes(checkout: Path) -> str:
    """How the checkout differs from its commit: ``git status`` and ``git diff`` (empty when as
    committed)."""
    commands = (["status", "--porcelain", "--untracked-files=all"], ["diff", "--binary", "HEAD"])
    return "\n".join(
        subprocess.run(["git", *args], cwd=checkout, capture_output=True, text=True, check=True).stdout
        for args in commands
    )


def display_name(task: str, checkout: str) -> str:
    """A case as the table names it: the task, and the checkout unless it is the sample."""
    return task if checkout == readme.SAMPLE else f"{task} [{checkout}]"


def kstasks(*args: str) -> list[str]:
    """``python -m kstasks ARGS``."""
    return [sys.executable, "-m", "kstasks", *args]


def all_generated_case(checkout: Path, env: dict[str, str], label: str) -> Case:
    """``all-generated --force`` against the checkout's Makefile-equivalent recipe."""
    return Case(
        "all-generated",
        ["bash", str(HERE / "baseline.sh"), str(checkout)],
        kstasks("all-generated", "--force"),
        env,
        checkout=label,
        same_output=True,
    )


VERIFY_TARGETS = (
    "verify-boilerplate",
    "verify-codegen",
    "verify-go-versions",
    "verify-imports",
    "verify-modules",
)
"""The checks ``bench/baseline-verify.sh`` runs, as kstasks tasks."""


def verify_targets(*, cached: bool) -> list[str]:
    """The five checks of the baseline in one kstasks run (verify-codegen cached or not)."""
    tasks = [
        [name, *(["--no-cache"] if name == "verify-codegen" and not cached else [])]
        for name in VERIFY_TARGETS
    ]
    return kstasks(*(word for task in tasks for word in task))


def checkout_cases(
    checkout: Path, env: dict[str, str], label: str, *, whole_verify: bool = False
) -> list[Case]:
    """The cases that apply to any checkout: regeneration and the verify checks (``verify`` itself
    with ``whole_verify``; else the baseline's five checks, as a real checkout may fail others)."""
    baseline = ["bash", str(HERE / "baseline.sh"), str(checkout)]
    verify = ["bash", str(HERE / "baseline-verify.sh"), str(checkout)]
    if not whole_verify:
        return [
            *regeneration_cases(checkout, env, label, baseline),
            Case(readme.TARGETS, verify, verify_targets(cached=False), env, checkout=label),
            Case(readme.TARGETS_CACHED, verify, verify_targets(cached=True), env, checkout=label),
        ]
    return [
        *regeneration_cases(checkout, env, label, baseline),
        Case("verify (every CI verify check)", verify, kstasks("verify", "--no-cache"), env, checkout=label),
        Case("verify, commit verified before", verify, kstasks("verify"), env, checkout=label),
    ]


def regeneration_cases(checkout: Path, env: dict[str, str], label: str, baseline: list[str]) -> list[Case]:
    """``all-generated`` forced and with nothing changed, and ``verify-codegen``."""
    return [
        all_generated_case(checkout, env, label),
        Case(
            "all-generated (rerun, nothing changed)", baseline, kstasks("all-generated"), env, checkout=label
        ),
        Case(
            "verify-codegen vs in-place regeneration",
            kstasks("all-generated", "--force"),
            kstasks("verify-codegen", "--no-cache"),
            env,
            checkout=label,
        ),
    ]


SAMPLE_ONLY = (
    "kstasks --list",
    "invoke --list",
    "chart",
    "build-clusteradm-image",
    RELEASE_CASE,
)
"""Cases of the sample alone: skipped with --repo."""


def sample_cases(
    args: argparse.Namespace, work: Path, servers: ExitStack, checkout: Path, env: dict[str, str]
) -> list[Case]:
    """The sample's own cases (tool image, release snapshot, chart, listings)."""
    tool_env = {**env, **tool_image_setup(work, servers)} if wanted(args, "build-clusteradm-image") else env
    release_env = {**env, **release_setup(work, servers)} if wanted(args, RELEASE_CASE) else env
    bin_dir = Path(sys.executable).parent
    return [
        Case("kstasks --list", [], [str(bin_dir / "kstasks"), "--list"], env),
        Case("invoke --list", [], [str(bin_dir / "invoke"), "--list"], env, PROJECT),
        Case("chart", ["bash", str(HERE / "baseline-chart.sh"), str(checkout)], kstasks("chart"), env),
        Case(
            "build-clusteradm-image",
            ["bash", str(HERE / "baseline-tool-image.sh")],
            kstasks(
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
            ),
            tool_env,
        ),
        Case(
            RELEASE_CASE,
            [],
            kstasks(
                "release",
                "0.30.0",
                "--snapshot",
                "--chart-dependency-registry",
                release_env.get("MIRROR", ""),
            ),
            release_env,
            Path(release_env["CHECKOUT"]) if "CHECKOUT" in release_env else None,
        ),
    ]


def variant_checkout(work: Path) -> Path:
    """The v0.30-shaped sample as a git repository."""
    from tests.samples import make_variant_repo

    return make_variant_repo(work / f"variant-{VARIANT}", VARIANT)


def bundled_cases(args: argparse.Namespace, work: Path, servers: ExitStack) -> list[Case]:
    """The cases on the sample, and ``all-generated --force`` on its v0.30 variant."""
    checkout = prepare_checkout(work / "checkout")
    env = sample_env(work, checkout)
    cases = [
        *checkout_cases(checkout, env, readme.SAMPLE, whole_verify=True),
        *sample_cases(args, work, servers, checkout, env),
    ]
    if wanted(args, "all-generated"):
        variant = variant_checkout(work)
        cases.append(all_generated_case(variant, baseline_env(work, variant), VARIANT_CHECKOUT))
    return cases


def repo_cases(args: argparse.Namespace, work: Path) -> list[Case]:
    """The checkout cases on a work copy of each ``--repo`` checkout (never the checkout itself)."""
    skipped = [name for name in SAMPLE_ONLY if args.only and name in args.only]
    if skipped:
        print(f"skipped with --repo (they need the bundled sample): {', '.join(skipped)}", file=sys.stderr)
    cases = []
    for index, source in enumerate(args.repo):
        label = source.resolve().name
        checkout = recipe.copy_checkout(source.resolve(), work / f"repo-{index}" / label)
        cases += checkout_cases(checkout, baseline_env(work, checkout), label)
    return cases


def merged(previous: dict[str, object], rows: list[dict[str, object]]) -> dict[str, object]:
    """``previous`` results with ``rows`` in place of the rows of the same case and checkout."""
    fresh = {(row["task"], row["checkout"]) for row in rows}
    kept = [
        row
        for row in previous.get("rows", [])  # type: ignore[union-attr]
        if (row.get("task"), row.get("checkout", readme.SAMPLE)) not in fresh
    ]
    return {"cores": os.cpu_count(), "rows": [*kept, *rows]}


def load_results(path: Path) -> dict[str, object]:
    """The results file, or empty results when there is none (or it is unreadable)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {"rows": []}
    return data if isinstance(data, dict) and isinstance(data.get("rows"), list) else {"rows": []}


def print_table(rows: list[dict[str, object]], runs: int) -> None:
    """The medians and ratios, one line per case."""
    print(f"\nmachine: {os.cpu_count()} cores; medians of {runs} runs after one warm-up\n")
    print(f"{'task':<62} {'baseline':>10} {'kstasks':>10} {'ratio':>7}")
    for row in rows:
        name = display_name(str(row["task"]), str(row["checkout"]))
        baseline = f"{row['baseline_median_s']:>9.2f}s" if row["baseline_median_s"] else f"{'-':>10}"
        ratio = f"{row['ratio']:>7.2f}" if row["ratio"] else f"{'-':>7}"
        print(f"{name:<62} {baseline} {row['kstasks_median_s']:>9.2f}s {ratio}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each side (default 5)")
    parser.add_argument("--only", action="append", help="run only this task (repeatable)")
    parser.add_argument(
        "--repo",
        action="append",
        type=Path,
        help="benchmark this KubeStellar checkout (a work copy of it) instead of the sample (repeatable)",
    )
    parser.add_argument(
        "--write-readme",
        action="store_true",
        help="rewrite README.md's results table from bench/results/latest.json, and run nothing",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run every selected case, print the table and merge the rows into the results file."""
    args = parse_args(argv)
    if args.write_readme:
        changed = readme.write_readme(PROJECT / "README.md", load_results(RESULTS))
        print(f"README.md {'rewritten' if changed else 'unchanged'} from {RESULTS.relative_to(PROJECT)}")
        return 0
    with tempfile.TemporaryDirectory(prefix="kstasks-bench-") as temp, ExitStack() as servers:
        work = Path(temp)
        cases = repo_cases(args, work) if args.repo else bundled_cases(args, work, servers)
        cases = [case for case in cases if wanted(args, case.name)]
        rows = [
            measure(case, case.cwd or Path(case.env["KSTASKS_REPO"]), args.runs, progress) for case in cases
        ]
    print_table(rows, args.runs)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(merged(load_results(RESULTS), rows), indent=2) + "\n")
    return 0


def progress(message: str) -> None:
    """A progress line on stderr."""
    print(message, file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
