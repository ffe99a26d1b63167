"""The engine's headline speed figure: a ratio to the minimal heapq engine of ``../shared/bench``.

``../shared/bench/side_by_side.py`` runs the minimal reference engine (``meso_heapq.py``) and
ours (:mod:`benchmarks.yardstick_adapter`) alternately, each in a fresh process, on the same
workload (10,000-node grid city, ``agents`` agents, seed 0) and prints the ratio of traversals
per second (median of ``reps``) and whether clearance, mean travel time and traversal count are
identical. :func:`measure` runs it twice, with path recording off and on, and returns one row
per variant; without ``../shared`` (a checkout on its own) it returns no rows.

Usage: ``python benchmarks/yardstick.py [--agents N] [--reps R]`` (prints the rows as JSON).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SIDE_BY_SIDE = ROOT.parent / "shared" / "bench" / "side_by_side.py"
VARIANTS = {
    "paths off": "benchmarks.yardstick_adapter:run",
    "paths on": "benchmarks.yardstick_adapter:run_paths",
}
_LAST = re.compile(
    r"ratio engine/reference traversals per second: ([0-9.]+) \(median of (\d+)\), "
    r"results identical: (yes|no)"
)


def parse(output: str, impl: str) -> dict[str, Any]:
    """The figures of one ``side_by_side.py`` run from its printed table and last line."""
    walls: dict[str, list[float]] = {"reference": [], impl: []}
    for line in output.splitlines():
        words = line.split()
        if len(words) > 3 and words[0] == "rep" and words[2] in walls:
            walls[words[2]].append(float(words[3]))
    last = _LAST.search(output)
    if last is None:
        raise RuntimeError(f"side_by_side.py printed no ratio line:\n{output[-2000:]}")
    return {
        "ratio": float(last.group(1)),
        "reps": int(last.group(2)),
        "reference_s": statistics.median(walls["reference"]),
        "engine_s": statistics.median(walls[impl]),
        "identical": last.group(3),
    }


def measure(agents: int = 100_000, reps: int = 3) -> list[dict[str, Any]]:
    """Rows ``{engine, agents, ratio, reps, reference_s, engine_s, identical}`` (median wall
    seconds), paths off then on; ``[]`` when ``../shared/bench`` is not there."""
    if not SIDE_BY_SIDE.exists():
        return []
    rows = []
    for variant, impl in VARIANTS.items():
        cmd = [sys.executable, str(SIDE_BY_SIDE), "--impl", impl, "--agents", str(agents),
               "--reps", str(reps)]  # fmt: skip
        out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True)
        rows.append({"engine": variant, "agents": agents, **parse(out.stdout, impl)})
    return rows


def print_rows(rows: list[dict[str, Any]]) -> None:
    """One line per variant."""
    head = f"{'engine vs minimal heapq':24} {'agents':>8} {'ratio':>6} {'ref s':>7} {'ours s':>7}"
    print(head + " same")
    for r in rows:
        print(
            f"{'TrafficEngine, ' + r['engine']:24} {r['agents']:>8} {r['ratio']:>6.2f} "
            f"{r['reference_s']:>7.2f} {r['engine_s']:>7.2f} {r['identical']}"
        )


def main() -> int:
    """Run the yardstick and print its rows."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", type=int, default=100_000)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    rows = measure(args.agents, args.reps)
    print_rows(rows)
    print(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
