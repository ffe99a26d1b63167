"""Run one benchmark case in this process and print one JSON line (called by run.py).

Usage: python benchmarks/bench_one.py --agents N --engine simpy|heapq [--seed S] [--dump FILE]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.grid import grid_city
from benchmarks.heapq_engine import HeapqEngine

DEPARTURE_SPREAD_S = 3600.0


def demand(n_agents: int, n_nodes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random origins (uniform over nodes) and departures (uniform over one hour), seeded."""
    rng = np.random.default_rng(seed)
    origins = rng.integers(0, n_nodes, size=n_agents)
    departures = np.sort(rng.uniform(0.0, DEPARTURE_SPREAD_S, size=n_agents))
    return origins, departures


def run_simpy(city, origins: np.ndarray, departures: np.ndarray) -> tuple[np.ndarray, dict]:  # type: ignore[no-untyped-def]
    """Run the SimPy engine; return arrival times and timings."""
    import simpy

    from evacsim.sim._engine_stats import LinkSpec
    from evacsim.sim.engine import TrafficEngine

    t0 = time.perf_counter()
    env = simpy.Environment()
    links = LinkSpec(city.tail, city.head, city.freeflow_s, city.capacity_per_s, city.storage_units)
    eng = TrafficEngine(env, links)
    tid = eng.add_route_table(city.next_link, city.dest_nodes)
    eng.add_agents(origins, departures, table_id=tid)
    t1 = time.perf_counter()
    c1 = time.process_time()
    eng.run()
    t2 = time.perf_counter()
    cpu = time.process_time() - c1
    res = eng.results()
    return np.concatenate([res.arrival_s, res.max_queue, res.congested_s]), {
        "setup_s": t1 - t0,
        "run_s": t2 - t1,
        "run_cpu_s": cpu,
        "traversals": int(res.volume.sum()),
        "arrived": res.counts["arrived"],
        "stranded": res.counts["stranded"],
        "clearance_s": float(np.nanmax(res.arrival_s)),
    }


def run_heapq(city, origins: np.ndarray, departures: np.ndarray) -> tuple[np.ndarray, dict]:  # type: ignore[no-untyped-def]
    """Run the plain heapq reference engine; return arrival times and timings."""
    t0 = time.perf_counter()
    eng = HeapqEngine(
        city.tail, city.head, city.freeflow_s, city.capacity_per_s, city.storage_units,
        city.next_link, city.dest_nodes, city.n_nodes,
    )  # fmt: skip
    eng.add_agents(origins, departures)
    t1 = time.perf_counter()
    c1 = time.process_time()
    eng.run()
    t2 = time.perf_counter()
    cpu = time.process_time() - c1
    arr = np.array(eng.arrival_s, dtype=float)
    out = np.concatenate([arr, eng.max_queue, eng.congested_s])
    return out, {
        "setup_s": t1 - t0,
        "run_s": t2 - t1,
        "run_cpu_s": cpu,
        "traversals": int(sum(eng.volume)),
        "arrived": int(np.isfinite(arr).sum()),
        "stranded": 0,
        "clearance_s": float(np.nanmax(arr)),
    }


def main() -> None:
    """Parse arguments, run the case, print a JSON line."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--agents", type=int, required=True)
    ap.add_argument("--engine", choices=["simpy", "heapq"], default="simpy")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument(
        "--dump", type=Path, default=None, help="save arrival times + link max queue + congested s"
    )
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    city = grid_city()
    origins, departures = demand(args.agents, city.n_nodes, args.seed)
    runner = run_simpy if args.engine == "simpy" else run_heapq
    if args.profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        arr, info = prof.runcall(runner, city, origins, departures)
        pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(15)
    else:
        arr, info = runner(city, origins, departures)
    if args.dump is not None:
        np.save(args.dump, arr)
    info.update(
        engine=args.engine,
        agents=args.agents,
        links=len(city.tail),
        nodes=city.n_nodes,
        traversals_per_s=info["traversals"] / info["run_s"],
        traversals_per_cpu_s=info["traversals"] / info["run_cpu_s"],
        max_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    )
    print(json.dumps(info))


if __name__ == "__main__":
    main()
