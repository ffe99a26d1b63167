"""Which max-flow solver for the clearance bound: OR-Tools ``SimpleMaxFlow`` or scipy's
``maximum_flow`` (Dinic, Edmonds-Karp), on the time-expanded networks of the bundled scenarios.

Each case is one trial of the bound's horizon search (the stage-1 network of a mode, every group,
at 1.3× the shortest feasible horizon so the network is larger than the one the bound solves
last), timed end to end: building the solver's input from the TEN's arc arrays and solving.
Both solvers must find the same flow. Usage: ``python benchmarks/bound_solvers.py``.
"""

from __future__ import annotations

import platform
import time
from pathlib import Path

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import maximum_flow

from evacsim.optimize.bound import _static, choose_step_s, official_demand
from evacsim.optimize.networks import Networks
from evacsim.optimize.ten import _Expanded, per_step_capacity
from evacsim.scenario.prepare import prepare

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ("funiuxi_tank_fire", "funiuxi_tank_fire_night", "funiuxi_lpg_bleve")


def ortools_flow(t: np.ndarray, h: np.ndarray, c: np.ndarray, s: int, z: int) -> int:
    from ortools.graph.python import max_flow

    solver = max_flow.SimpleMaxFlow()
    solver.add_arcs_with_capacity(t, h, c)
    solver.solve(s, z)
    return int(solver.optimal_flow())


def scipy_flow(t: np.ndarray, h: np.ndarray, c: np.ndarray, s: int, z: int, method: str) -> int:
    n = int(max(t.max(), h.max())) + 1
    graph = csr_array((c.astype(np.int32), (t, h)), shape=(n, n))
    return int(maximum_flow(graph, s, z, method=method).flow_value)


def timed(fn, *args) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    value = fn(*args)
    return value, time.perf_counter() - t0


def main() -> None:
    print(
        f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}"
    )
    for name in SCENARIOS:
        prepared = prepare(ROOT / "scenarios" / f"{name}.toml")
        groups = official_demand(prepared, prepared.scenario.seed).groups
        ctx = Networks(prepared)
        for mode in ("car", "walk"):
            g = groups[groups["mode"] == mode]
            units = g["persons"].to_numpy(np.int64) if mode == "walk" else np.ones(len(g), int)
            max_unit = int(units.max())
            cap = ctx.capacity_per_s(mode)
            probe = _static(ctx, mode, 0, ctx.ap_nodes[mode], np.full(ctx.net.n_edges, -1))
            origins = g["origin_node"].to_numpy(np.int64)
            release = g["departure_s"].to_numpy(float)
            pot = probe.time_to_sink_s()[origins]
            step = choose_step_s(cap[ctx.usable(mode, 0)], max_unit=max_unit,
                                 horizon_s=float((release + pot).max()),
                                 n_nodes=ctx.net.n_nodes)  # fmt: skip
            per = per_step_capacity(np.nan_to_num(cap, nan=np.inf), step, max_unit)
            ten = _Expanded(_static(ctx, mode, 0, ctx.ap_nodes[mode], per), origins, release,
                            units, step)  # fmt: skip
            k = int(ten.min_steps * 1.3)
            (t, h, c, s, z), build = timed(ten.arcs, k)
            row = [f"{name:26s} {mode:5s} Δ={step:4.0f}s {t.size:9d} arcs  build {build:5.2f}s"]
            flows = set()
            for label, fn, extra in (("ortools", ortools_flow, ()),
                                     ("scipy-dinic", scipy_flow, ("dinic",)),
                                     ("scipy-ek", scipy_flow, ("edmonds_karp",))):  # fmt: skip
                flow, sec = timed(fn, t, h, c, s, z, *extra)
                flows.add(flow)
                row.append(f"{label} {sec:6.2f}s")
            assert len(flows) == 1, flows
            print("  ".join(row))


if __name__ == "__main__":
    main()
