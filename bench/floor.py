"""First runs against the generators' own cost, on a copy of the bundled sample.

Run: ``python3 bench/floor.py [--runs N]``. The floor is the generator processes alone --
controller-gen once for rbac, crd, webhook and object, ``kustomize build`` of the CRDs,
client-gen, lister-gen and informer-gen -- run one by one with exactly the arguments kstasks
gives them, each timed with its own CPU time (user + system, from ``wait4``); the client
generators in module mode and again on the GOPATH-mode view kstasks gives them. Then
``all-generated --force`` (kstasks) and ``bench/baseline.sh`` (the Makefile's commands) are timed
the same way, each process with all its children. Printed: medians of wall and CPU seconds, the
floor's critical path (controller-gen, then the longest of the bundle and the client generators,
which kstasks runs at once), and the ratios. Results also go to bench/results/floor.json.
"""

from __future__ import annotations

import argparse
import json
import os
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

from run import baseline_env, prepare_checkout  # noqa: E402

from kstasks.codegen import gopathview  # noqa: E402
from kstasks.codegen.clients import find_client_inputs, generator_commands  # noqa: E402
from kstasks.codegen.controllergen import controller_gen_arguments  # noqa: E402
from kstasks.codegen.layout import Layout  # noqa: E402
from kstasks.core import context  # noqa: E402
from kstasks.project import settings  # noqa: E402
from kstasks.project.repo import load_checkout  # noqa: E402
from kstasks.toolchain import tools  # noqa: E402


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


def generator_runs(checkout: Path, work: Path) -> list[tuple[str, list[str], dict[str, str]]]:
    """The generator commands kstasks runs for the sample (v0.24.0's pins), by name."""
    box = tools.Toolbox(settings.defaults()["versions"])
    layout = Layout()
    loaded = load_checkout(checkout)
    out_base = work / "floor-out"
    gobin = box.ensure("code-generator")
    staged = out_base / loaded.module / layout.generated_dir
    staged.mkdir(parents=True, exist_ok=True)
    with context.running(level="quiet"):
        inputs = find_client_inputs(loaded, layout)
    runs = [
        (
            "controller-gen",
            [
                str(box.binary("controller-gen")),
                *controller_gen_arguments(layout, ("rbac", "crd", "webhook", "object")),
            ],
            {},
        ),
        ("kustomize", [str(box.binary("kustomize")), "build", "config/crd/"], {}),
    ]
    env = {"GOBIN": str(gobin), "GOGC": layout.generator_gogc}
    commands = generator_commands(loaded, layout, gobin, out_base, inputs)
    for command in commands:
        runs.append((Path(command[0]).name, command, env))
    with context.running(level="quiet"):
        view = gopathview.build(loaded, work / "floor-gopath", inputs.packages)
    if view is not None:
        for command in commands:
            runs.append((f"{Path(command[0]).name} (GOPATH view)", command, {**env, **view.environment()}))
    return runs


def median_pair(samples: list[tuple[float, float]]) -> tuple[float, float]:
    """Medians of walls and of CPU times."""
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def main(argv: Sequence[str] | None = None) -> int:
    """Measure the floor, kstasks and the baseline; print and record."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kstasks-floor-") as temp:
        work = Path(temp)
        checkout = prepare_checkout(work / "checkout")
        env = {**baseline_env(work), "KSTASKS_REPO": str(checkout)}
        ours = [sys.executable, "-m", "kstasks", "all-generated", "--force"]
        baseline = ["bash", str(HERE / "baseline.sh"), str(checkout)]
        runs = generator_runs(checkout, work)
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
    viewed = [name for name in per if name.endswith("(GOPATH view)")]
    module_mode = [name for name in per if name.endswith("-gen") and name != "controller-gen"]
    floor_cpu = sum(cpu for name, (_, cpu) in per.items() if name not in viewed)
    clients = [per[name][0] for name in module_mode]
    critical = per["controller-gen"][0] + max([per["kustomize"][0], *clients])
    view_cpu = per["controller-gen"][1] + per["kustomize"][1] + sum(per[name][1] for name in viewed)
    view_critical = per["controller-gen"][0] + max([per["kustomize"][0], *(per[n][0] for n in viewed)])
    k_wall, k_cpu = median_pair(measured["kstasks"])
    b_wall, b_cpu = median_pair(measured["baseline"])
    print(f"\nmachine: {os.cpu_count()} cores; medians of {args.runs} runs after one warm-up\n")
    print(f"{'':<28} {'wall':>8} {'cpu':>8}")
    for name, (wall, cpu) in per.items():
        print(f"  {name:<26} {wall:7.2f}s {cpu:7.2f}s")
    print(f"{'floor (generators alone)':<28} {critical:7.2f}s {floor_cpu:7.2f}s   (wall: critical path)")
    if viewed:
        print(f"{'floor, clients on the view':<28} {view_critical:7.2f}s {view_cpu:7.2f}s")
    print(f"{'kstasks all-generated':<28} {k_wall:7.2f}s {k_cpu:7.2f}s")
    print(f"{'baseline (Makefile cmds)':<28} {b_wall:7.2f}s {b_cpu:7.2f}s")
    print(
        f"\nkstasks/baseline: wall {k_wall / b_wall:.2f}, cpu {k_cpu / b_cpu:.2f}; "
        f"kstasks/floor: wall {k_wall / critical:.2f}, cpu {k_cpu / floor_cpu:.2f}; "
        f"floor/baseline: wall {critical / b_wall:.2f}, cpu {floor_cpu / b_cpu:.2f}"
    )
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "floor.json").write_text(
        json.dumps(
            {
                "cores": os.cpu_count(),
                "runs": args.runs,
                "generators": {name: {"wall_s": w, "cpu_s": c} for name, (w, c) in per.items()},
                "floor": {"critical_wall_s": critical, "cpu_s": floor_cpu},
                "floor_gopath_view": {"critical_wall_s": view_critical, "cpu_s": view_cpu}
                if viewed
                else None,
                "kstasks": {"wall_s": k_wall, "cpu_s": k_cpu},
                "baseline": {"wall_s": b_wall, "cpu_s": b_cpu},
            },
            indent=2,
        )
        + "\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
