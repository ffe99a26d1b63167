"""Traffic-engine benchmark: the entry point of ``make bench``.

The headline engine figure is the yardstick (:mod:`benchmarks.yardstick`): the engine's speed as
a ratio to the minimal heapq engine of ``../shared/bench``, 100k agents, paths off and on, median
of 3 in the same run (skipped when ``../shared`` is absent). Then the grid city
(benchmarks/grid.py: 10,000 nodes, 30,690 links, 13 exits) with 10k, 100k and 400k agents (seeded
random origins, departures uniform over one hour) through ``evacsim.sim.engine.TrafficEngine``,
each case in its own subprocess (so the peak RSS, from ``resource.getrusage``, is that case's
alone); the project's own mirror engine (benchmarks/heapq_engine.py) is only a second model check:
identical arrival times and link statistics on the 10k case. Prints tables and writes
``benchmarks/results/latest.json`` (``quick.json`` with ``--quick``: 10k agents, one rep).

Usage: ``python benchmarks/run.py [--quick] [--sizes 10000 100000 ...]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks import yardstick

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "latest.json"
TARGETS = {
    "traversals_per_s_at_100k": 400_000,
    "wall_s_at_400k": 60.0,
    "max_rss_mb_at_400k": 1536.0,
}


def run_case(agents: int, engine: str, dump: Path | None = None) -> dict[str, Any]:
    """Run one case in a fresh interpreter and return its JSON record."""
    cmd = [sys.executable, str(HERE / "bench_one.py"), "--agents", str(agents), "--engine", engine]
    if dump is not None:
        cmd += ["--dump", str(dump)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=HERE.parent)
    return json.loads(out.stdout.strip().splitlines()[-1])


def check_identical(agents: int) -> bool:
    """Run both engines on one case and compare arrival times and link statistics exactly."""
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp) / "simpy.npy", Path(tmp) / "heapq.npy"
        run_case(agents, "simpy", a)
        run_case(agents, "heapq", b)
        return bool(np.array_equal(np.load(a), np.load(b), equal_nan=True))


def funiuxi_end_to_end(repeats: int = 3) -> dict[str, Any]:
    """Wall time of the default scenario from the command line: load, build, simulate, write."""
    scenario = HERE.parent / "scenarios" / "funiuxi_tank_fire.toml"
    walls = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(repeats):
            cmd = [str(Path(sys.executable).parent / "evacsim"), "run", str(scenario), "--quiet"]
            t0 = time.perf_counter()
            subprocess.run([*cmd, "--out", str(Path(tmp) / f"run{k}")], check=True)
            walls.append(time.perf_counter() - t0)
    return {"scenario": scenario.name, "wall_s": sorted(walls), "median_wall_s": sorted(walls)[1]}


def print_table(rows: list[dict[str, Any]]) -> None:
    """Print one line per case."""
    head = f"{'engine':7} {'agents':>8} {'traversals':>11} {'run s':>7} {'cpu s':>7} "
    head += f"{'trav/s':>9} {'trav/cpu-s':>10} {'wall s':>7} {'RSS MB':>7}"
    print(head)
    for r in rows:
        print(
            f"{r['engine']:7} {r['agents']:>8} {r['traversals']:>11} {r['run_s']:>7.2f} "
            f"{r['run_cpu_s']:>7.2f} {r['traversals_per_s']:>9.0f} "
            f"{r['traversals_per_cpu_s']:>10.0f} {r['wall_s']:>7.2f} {r['max_rss_mb']:>7.0f}"
        )


def main() -> int:
    """Run the benchmark; exit 1 if the engines disagree."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10k agents only (smoke test)")
    ap.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 400_000])
    args = ap.parse_args()
    sizes = [10_000] if args.quick else args.sizes
    ystick = yardstick.measure(10_000, 1) if args.quick else yardstick.measure()
    yardstick.print_rows(ystick)
    identical = check_identical(10_000)
    rows: list[dict[str, Any]] = []
    for n in sizes:
        t0 = time.perf_counter()
        rec = run_case(n, "simpy")
        rec["wall_s"] = time.perf_counter() - t0  # whole subprocess: import, build, run
        rows.append(rec)
    print_table(rows)
    print(f"identical results (10k agents, simpy vs heapq): {identical}")
    e2e = funiuxi_end_to_end()
    print(f"default Funiuxi scenario end to end (CLI, median of 3): {e2e['median_wall_s']:.2f} s")
    report = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_avg": os.getloadavg(),
        },
        "network": "grid 100x100 nodes, 30,690 directed links, 13 exits (benchmarks/grid.py)",
        "targets": TARGETS,
        "yardstick": ystick,
        "identical_10k": identical,
        "cases": rows,
        "funiuxi_end_to_end": e2e,
    }
    out = RESULTS.with_name("quick.json") if args.quick else RESULTS  # keep the full figures
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"written {out.relative_to(HERE.parent)}")
    # Issue 14 points 3-5: default run stages, incident, scenarios, district (benchmarks/e2e.py).
    subprocess.run([sys.executable, str(HERE / "e2e.py"), *(["--quick"] if args.quick else [])])
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
