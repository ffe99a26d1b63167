"""RN-9 for real: the optimizer splits a grid over two routes the way the analytic optimum does,
the engine confirms it, and the bound agrees (verification_tests.md, RN-9)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evacsim.optimize.search import Optimized, optimize
from tests.optimize.test_ten import rn9_optimum
from tests.support.two_routes import write_two_routes

HEADWAY_S = 2.0  # 1 / c, c = 0.5 veh/s


def _run(tmp_path: Path, persons: int) -> tuple[Optimized, float, float]:
    result = optimize(write_two_routes(tmp_path, persons=persons), max_simulations=8)
    ff = result.prepared.network.travel_time_s
    road = result.prepared.network.edge_road_id.astype(str)
    t_a, t_b = float(ff[road == "R-A"].min()), float(ff[road == "R-B"].min())
    assert 299.0 < t_a < 302.0 and 419.0 < t_b < 422.0  # the area is what the test says
    return result, t_a, t_b


def _p100(candidate: object) -> float:
    return float(candidate.summary["ete_s"]["assembly"]["p100"])  # type: ignore[attr-defined]


def _last(result: Optimized) -> dict[str, float]:
    g = result.best.results.groups
    return {str(k): float(v) for k, v in g.groupby("assembly_point")["t_assembly_s"].max().items()}


def test_small_demand_all_take_route_a(tmp_path: Path) -> None:
    """N = 50 (N/c = 100 s < 120 s): everyone on A is optimal and is what the optimizer keeps."""
    result, t_a, _ = _run(tmp_path, 50)
    assert set(_last(result)) == {"AP-A"}
    assert _p100(result.best) == pytest.approx(
        t_a + 49 / 0.5, abs=0.05
    )  # summary times are rounded to 0.1 s
    assert result.bound.assembly_s <= _p100(result.best)
    assert _p100(result.best) - result.bound.assembly_s < 2.0


def test_large_demand_splits_to_the_analytic_optimum(tmp_path: Path) -> None:
    """N = 600: the split minimises the last arrival, the two routes' last arrivals lie within
    one headway, the clearance is no later than all on A, and the bound is the optimum."""
    n = 600
    result, t_a, t_b = _run(tmp_path, n)
    last = _last(result)
    assert set(last) == {"AP-A", "AP-B"}
    assert abs(last["AP-A"] - last["AP-B"]) <= HEADWAY_S
    optimum = rn9_optimum(n, t_a, t_b)
    clearance = _p100(result.best)
    assert clearance == pytest.approx(optimum, abs=0.05)  # summary times are rounded to 0.1 s
    all_on_a = t_a + (n - 1) / 0.5
    assert _p100(result.official) == pytest.approx(
        all_on_a, abs=0.05
    )  # summary times are rounded to 0.1 s  # the map's plan
    assert clearance <= all_on_a
    assert optimum - HEADWAY_S <= result.bound.assembly_s <= clearance
    shares = result.best.plan_file.shares()["G-1"]
    assert sum(p for _, p in shares) == n  # persons conserved over the split
    assert np.isclose(result.best.results.groups["persons"].sum(), n)


def test_without_splitting_the_grid_goes_whole(tmp_path: Path) -> None:
    """``split_grids = false``: one point per grid, so all on A (B alone is slower)."""
    result = optimize(write_two_routes(tmp_path, persons=600, split=False), max_simulations=6)
    assert set(_last(result)) == {"AP-A"}
    assert len(result.best.plan_file.grids) == 1
