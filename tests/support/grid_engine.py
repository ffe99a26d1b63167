"""The benchmarks' grid city as an engine test case (tests/sim): a congested case and a run."""

from __future__ import annotations

import importlib.util
from types import ModuleType
from typing import Any

import numpy as np
import simpy

from evacsim.sim._engine_stats import LinkSpec
from evacsim.sim.engine import TrafficEngine
from tests.support.paths import BENCHMARKS


def load_benchmark(name: str) -> ModuleType:
    """The module ``benchmarks/<name>.py`` (the folder is not a package on the path)."""
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def congested_grid_case() -> tuple[Any, np.ndarray, np.ndarray]:
    """The benchmark grid with at most 2 vehicles of storage per link, 3000 agents in 600 s."""
    city = load_benchmark("grid").grid_city()
    city.storage_units = np.minimum(city.storage_units, 2.0)
    rng = np.random.default_rng(7)
    origins = rng.integers(0, city.n_nodes, size=3000)
    departures = np.sort(rng.uniform(0.0, 600.0, size=3000))
    return city, origins, departures


def run_engine(city: Any, origins: np.ndarray, deps: np.ndarray, **kw: Any) -> TrafficEngine:
    """Run ``evacsim.sim.engine`` on the grid and return the engine."""
    env = simpy.Environment()
    links = LinkSpec(city.tail, city.head, city.freeflow_s, city.capacity_per_s,
                     city.storage_units)  # fmt: skip
    eng = TrafficEngine(env, links, **kw)
    tid = eng.add_route_table(city.next_link, city.dest_nodes)
    eng.add_agents(origins, deps, table_id=tid)
    eng.run()
    return eng
