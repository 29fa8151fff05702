"""First runs against the generators' own cost, on a copy of the bundled sample.

Run: ``python3 bench/floor.py [--runs N] [--variant v0.30 | --repo PATH]``: on the sample, its
v0.30-shaped variant, or a work copy of a KubeStellar checkout (at that checkout's pins). The
floor is the generator processes alone -- controller-gen once for rbac, crd, webhook and object,
``kustomize build`` of the CRDs, client-gen, lister-gen and informer-gen -- run one by one with
exactly the arguments kstasks gives them, each timed with its own CPU time (user + system, from
``wait4``). Before code-generator v0.30 the client generators run in module mode and again on the
GOPATH-mode view kstasks gives them; from v0.30 on kstasks runs ``kube_codegen.sh``, and the
floor takes the generator commands from one traced run of it. Then ``all-generated --force``
(kstasks) and ``bench/baseline.sh`` (the checkout's Makefile-equivalent commands) are timed the
same way, each process with all its children. Printed: medians of wall and CPU seconds, the
floor's critical path (controller-gen, then the longest of the bundle and the client generators,
which kstasks runs beside it: at once before v0.30, one after the other inside kube_codegen.sh
from v0.30 on), and the ratios. Results also go to bench/results/floor.json, by checkout.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(HERE))

import readme  # noqa: E402
import recipe  # noqa: E402
from run import VARIANT, VARIANT_CHECKOUT, baseline_env, prepare_checkout, variant_checkout  # noqa: E402

from kstasks.codegen import gopathview  # noqa: E402
from kstasks.codegen.clients import find_client_inputs, gen_client_arguments, generator_commands  # noqa: E402
from kstasks.codegen.controllergen import controller_gen_arguments  # noqa: E402
from kstasks.core import context  # noqa: E402
from kstasks.project.repo import Checkout, load_checkout  # noqa: E402

CLIENT_GENERATORS = ("applyconfiguration-gen", "client-gen", "lister-gen", "informer-gen")


def timed(command: Sequence[str], cwd: Path, env: Mapping[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (the process and all its children) of one run; a failure aborts."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        list(command), cwd=cwd, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert proc.stderr is not None
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{stderr.decode(errors='replace')[-3000:]}")
    return wall, usage.ru_utime + usage.ru_stime


Run = tuple[str, list[str], dict[str, str]]
"""A generator run: its name, its command and what it adds to the environment."""


def generator_runs(found: recipe.Recipe, work: Path) -> tuple[list[Run], bool]:
    """The generator commands kstasks runs for the checkout (at its pins), by name; and whether
    kstasks runs the client generators one after the other (inside kube_codegen.sh)."""
    box, layout = found.toolbox, found.layout
    loaded = load_checkout(found.root)
    gobin = box.ensure("code-generator")
    runs: list[Run] = [
        (
            "controller-gen",
            [
                str(box.binary("controller-gen")),
                *controller_gen_arguments(layout, ("rbac", "crd", "webhook", "object")),
            ],
            {},
        ),
    ]
    if layout.crd_bundle_mode == "kustomize":
        bundle = [str(box.binary("kustomize")), "build", f"{layout.crd_kustomization_dir}/"]
        runs.append(("kustomize", bundle, {}))
    env = {"GOBIN": str(gobin), "GOGC": layout.generator_gogc, **box.tool_env("code-generator")}
    if found.gen_client_interface == "output-dir" or layout.clients_via == "kube_codegen":
        commands = traced_generator_commands(found, loaded, work / "floor-out", env)
        return [*runs, *((Path(c[0]).name, c, env) for c in commands)], True
    out_base = work / "floor-out"
    staged = out_base / loaded.module / layout.generated_dir
    staged.mkdir(parents=True, exist_ok=True)
    with context.running(level="quiet"):
        inputs = find_client_inputs(loaded, layout)
    commands = generator_commands(loaded, layout, gobin, out_base, inputs)
    for command in commands:
        runs.append((Path(command[0]).name, command, env))
    with context.running(level="quiet"):
        view = gopathview.build(loaded, work / "floor-gopath", inputs.packages)
    if view is not None:
        for command in commands:
            runs.append((f"{Path(command[0]).name} (GOPATH view)", command, {**env, **view.environment()}))
    return runs, False


def traced_generator_commands(
    found: recipe.Recipe, loaded: Checkout, out_base: Path, env: dict[str, str]
) -> list[list[str]]:
    """The client generator commands kube_codegen.sh runs for the checkout, with kstasks'
    gen_client arguments, read from one traced (``bash -x``) run of it."""
    out_base.mkdir(parents=True, exist_ok=True)
    args, _ = gen_client_arguments(loaded, found.layout, found.code_generator, out_base)
    script = found.toolbox.kube_codegen_script()
    program = 'source "$1"; shift; kube::codegen::gen_client "$@"'
    result = subprocess.run(
        ["bash", "-x", "-c", program, "gen_client", str(script), *args],
        cwd=found.root,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise SystemExit(f"kube_codegen.sh gen_client failed:\n{result.stderr[-3000:]}")
    commands = []
    for line in result.stderr.splitlines():
        words = shlex.split(line.lstrip("+ ")) if line.startswith("+") else []
        if words and Path(words[0]).name in CLIENT_GENERATORS and Path(words[0]).is_absolute():
            commands.append(words)
    return commands


def median_pair(samples: list[tuple[float, float]]) -> tuple[float, float]:
    """Medians of walls and of CPU times."""
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def floor_checkout(args: argparse.Namespace, work: Path) -> tuple[Path, str]:
    """The checkout to measure (the sample, its variant, or a work copy of --repo) and its name."""
    if args.repo:
        source = args.repo.resolve()
        return recipe.copy_checkout(source, work / "repo" / source.name), source.name
    if args.variant:
        return variant_checkout(work), VARIANT_CHECKOUT
    return prepare_checkout(work / "checkout"), readme.SAMPLE


def summary(per: dict[str, tuple[float, float]], sequential: bool) -> dict[str, dict[str, float] | None]:
    """The floor's critical path and CPU, in module mode and on the GOPATH view (if measured)."""
    viewed = [name for name in per if name.endswith("(GOPATH view)")]
    clients = [name for name in per if Path(name).name in CLIENT_GENERATORS]
    bundle = [per["kustomize"][0]] if "kustomize" in per else []
    first = per["controller-gen"]

    def critical(names: list[str]) -> float:
        walls = [per[name][0] for name in names]
        return first[0] + max([*bundle, sum(walls) if sequential else max(walls, default=0.0)])

    def cpu(names: list[str]) -> float:
        return first[1] + (per["kustomize"][1] if bundle else 0.0) + sum(per[name][1] for name in names)

    return {
        "floor": {"critical_wall_s": critical(clients), "cpu_s": cpu(clients)},
        "floor_gopath_view": {"critical_wall_s": critical(viewed), "cpu_s": cpu(viewed)} if viewed else None,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Measure the floor, kstasks and the baseline; print and record."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--variant", choices=[VARIANT], help="the sample's variant of this shape")
    where.add_argument("--repo", type=Path, help="a KubeStellar checkout (a work copy of it is measured)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kstasks-floor-") as temp:
        work = Path(temp)
        checkout, label = floor_checkout(args, work)
        env = baseline_env(work, checkout)
        ours = [sys.executable, "-m", "kstasks", "all-generated", "--force"]
        baseline = ["bash", str(HERE / "baseline.sh"), str(checkout)]
        runs, sequential = generator_runs(recipe.read(checkout), work)
        for command in (ours, baseline):  # warm-up
            timed(command, checkout, env)
        floor: dict[str, list[tuple[float, float]]] = {name: [] for name, _, _ in runs}
        measured: dict[str, list[tuple[float, float]]] = {"kstasks": [], "baseline": []}
        for index in range(args.runs):
            for name, command, extra in runs:
                floor[name].append(timed(command, checkout, {**env, **extra}))
            measured["kstasks"].append(timed(ours, checkout, env))
            measured["baseline"].append(timed(baseline, checkout, env))
            print(f"run {index + 1}/{args.runs} done", file=sys.stderr)
    per = {name: median_pair(samples) for name, samples in floor.items()}
    totals = summary(per, sequential)
    k_wall, k_cpu = median_pair(measured["kstasks"])
    b_wall, b_cpu = median_pair(measured["baseline"])
    critical, floor_cpu = totals["floor"]["critical_wall_s"], totals["floor"]["cpu_s"]  # type: ignore[index]
    print(f"\n{label}: {os.cpu_count()} cores; medians of {args.runs} runs after one warm-up\n")
    print(f"{'':<28} {'wall':>8} {'cpu':>8}")
    for name, (wall, cpu) in per.items():
        print(f"  {name:<26} {wall:7.2f}s {cpu:7.2f}s")
    print(f"{'floor (generators alone)':<28} {critical:7.2f}s {floor_cpu:7.2f}s   (wall: critical path)")
    view = totals["floor_gopath_view"]
    if view:
        print(f"{'floor, clients on the view':<28} {view['critical_wall_s']:7.2f}s {view['cpu_s']:7.2f}s")
    print(f"{'kstasks all-generated':<28} {k_wall:7.2f}s {k_cpu:7.2f}s")
    print(f"{'baseline (Makefile cmds)':<28} {b_wall:7.2f}s {b_cpu:7.2f}s")
    print(
        f"\nkstasks/baseline: wall {k_wall / b_wall:.2f}, cpu {k_cpu / b_cpu:.2f}; "
        f"kstasks/floor: wall {k_wall / critical:.2f}, cpu {k_cpu / floor_cpu:.2f}; "
        f"floor/baseline: wall {critical / b_wall:.2f}, cpu {floor_cpu / b_cpu:.2f}"
    )
    record(
        label,
        {
            "runs": args.runs,
            "cores": os.cpu_count(),
            "generators": {name: {"wall_s": w, "cpu_s": c} for name, (w, c) in per.items()},
            **totals,
            "clients_sequential": sequential,
            "kstasks": {"wall_s": k_wall, "cpu_s": k_cpu},
            "baseline": {"wall_s": b_wall, "cpu_s": b_cpu},
        },
    )
    return 0


def record(label: str, result: dict[str, object]) -> None:
    """Merge one checkout's result into bench/results/floor.json (keyed by checkout)."""
    path = HERE / "results" / "floor.json"
    path.parent.mkdir(exist_ok=True)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        data = {}
    checkouts = data.get("checkouts") if isinstance(data, dict) else None
    checkouts = checkouts if isinstance(checkouts, dict) else {}
    checkouts[label] = result
    path.write_text(json.dumps({"checkouts": checkouts}, indent=2) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
