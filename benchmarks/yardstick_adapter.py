"""Adapter of :class:`evacsim.sim.engine.TrafficEngine` for the shared speed yardstick.

``../shared/bench/side_by_side.py --impl benchmarks.yardstick_adapter[:run_paths]`` calls one of
these functions with the workload dict of ``../shared/bench/evac_common.py`` (links as arrays,
a next-hop table toward the nearest of 13 exits, sorted departures) and compares its arrival
times and traversal count with the minimal heapq engine's (``meso_heapq.py``), in the same run.

The engine is built as real runs build it (``evacsim.sim.simulation``): gridlock watchdog on,
one route table, agents added in one call; ``run_paths`` also records every agent's path, as
every real run does.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import simpy

from evacsim.sim.engine import LinkSpec, TrafficEngine


def _run(sc: dict[str, Any], *, record_paths: bool) -> dict[str, Any]:
    """Build the engine on the workload ``sc``, run it to the end, return the yardstick dict."""
    links = LinkSpec(
        np.asarray(sc["src"], np.int64),
        np.asarray(sc["dst"], np.int64),
        np.asarray(sc["tt"], np.float64),
        1.0 / np.asarray(sc["headway"], np.float64),
        np.asarray(sc["storage"], np.float64),
    )
    env = simpy.Environment()
    eng = TrafficEngine(env, links, record_paths=record_paths)
    dests = np.flatnonzero(np.asarray(sc["is_dest"], bool))
    nxt = np.asarray(sc["nxt_link"], np.int64).copy()
    nxt[dests] = -1
    tid = eng.add_route_table(nxt, dests)
    eng.add_agents(np.asarray(sc["origin"], np.int64), np.asarray(sc["dep"], float), table_id=tid)
    eng.run()
    res = eng.results()
    return {"arrival": np.asarray(res.arrival_s, float), "traversals": int(res.volume.sum())}


def run(sc: dict[str, Any]) -> dict[str, Any]:
    """The engine without path recording (the yardstick's "paths off" figure)."""
    return _run(sc, record_paths=False)


def run_paths(sc: dict[str, Any]) -> dict[str, Any]:
    """The engine with every agent's path recorded (the "paths on" figure)."""
    return _run(sc, record_paths=True)
