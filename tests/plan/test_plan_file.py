"""The plan file: written and read back, bad files named, and what a run does with it (delays,
splits, preferred routes that give way to live rerouting)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evacsim.area.layers import load_area
from evacsim.errors import ScenarioError
from evacsim.network.routing import path_edges, route_tree
from evacsim.plan.make import make_plan
from evacsim.plan.plan_file import (
    ROUTE_COLUMNS,
    PlanFile,
    read_plan_file,
    road_edges,
    write_plan_file,
)
from evacsim.plan.reach import hazard_rule
from evacsim.scenario.load import load_scenario
from evacsim.scenario.prepare import prepare
from evacsim.sim.router import Router, build_link_sets
from evacsim.sim.warning import apply_warning
from tests.support.tiny_area import tiny_scenario, write_tiny_area


def _plan(**routes: tuple[str, ...]) -> PlanFile:
    grids = pd.DataFrame(
        {"grid_id": ["G-001", "G-002", "G-002", "G-003"],
         "assembly_point": ["AP-2", "AP-1", "AP-2", "AP-1"],
         "persons": [10, 3, 1, 7], "delay_s": [600.0, 0.0, 0.0, 0.0]}
    )  # fmt: skip
    rows = [{"grid_id": "G-003", "mode": "walk", "assembly_point": "AP-1", "road_ids": r}
            for r in routes.values()]  # fmt: skip
    return PlanFile(grids=grids, routes=pd.DataFrame(rows, columns=list(ROUTE_COLUMNS)))


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    write_tiny_area(tmp_path / "area")
    path = tmp_path / "s.toml"
    path.write_text(tiny_scenario(seed=4, period="day"), encoding="utf-8")
    return path


def _with_plan(scenario: Path, plan: PlanFile) -> Path:
    area = load_area(scenario.parent / "area")
    write_plan_file(plan, scenario.parent / "plan.gpkg", area=area)
    path = scenario.with_name("opt.toml")
    extra = '[evacuation]\nassignment = "optimized"\nplan_file = "plan.gpkg"\n'
    path.write_text(scenario.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return path


def test_round_trip(scenario: Path) -> None:
    plan = _plan(a=("R-0013", "R-0008"))
    area = load_area(scenario.parent / "area")
    path = write_plan_file(plan, scenario.parent / "p.gpkg", area=area)
    back = read_plan_file(path)
    pd.testing.assert_frame_equal(
        back.grids[["grid_id", "assembly_point", "persons", "delay_s"]], plan.grids,
        check_dtype=False,
    )  # fmt: skip
    assert back.preferred_roads() == {("G-003", "walk", "AP-1"): ("R-0013", "R-0008")}
    assert back.delay_s() == {"G-001": 600.0, "G-002": 0.0, "G-003": 0.0}
    assert back.shares()["G-002"] == [("AP-1", 3), ("AP-2", 1)]


def test_a_run_applies_delays_and_splits(scenario: Path) -> None:
    official = make_plan(prepare(scenario), np.random.default_rng(4))
    prepared = prepare(_with_plan(scenario, _plan()))
    plan = make_plan(prepared, np.random.default_rng(4))
    assert plan.grid_delay_s == {"G-001": 600.0, "G-002": 0.0, "G-003": 0.0}
    apply_warning(prepared, plan, np.random.default_rng(5), grid_delay_s=plan.grid_delay_s)
    a, b = official.demand.groups, plan.demand.groups
    delay = np.where(a["grid_id"] == "G-001", 600.0, 0.0)
    np.testing.assert_allclose(b["departure_s"], a["departure_s"] + delay)  # same draws + delay
    assert plan.assignment.policy == "optimized"
    split = dict(plan.assignment.by_grid["G-002"])
    total = sum(n for _, n in official.assignment.by_grid["G-002"])
    assert sum(split.values()) == total  # conserved
    assert split["AP-1"] == round(total * 3 / 4) or split["AP-1"] == int(total * 3 / 4)
    assert dict(plan.assignment.by_grid["G-001"]) == {
        "AP-2": sum(n for _, n in official.assignment.by_grid["G-001"])
    }


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda p: p.grids.assign(assembly_point="AP-9"), "field 'assembly_point': 'AP-9'"),
        (lambda p: p.grids.assign(grid_id="G-404"), "'G-404' is not a grid"),
        (lambda p: p.grids.assign(delay_s=-5.0), "field 'delay_s'"),
    ],
)
def test_bad_plan_files_are_named(scenario: Path, mutate, needle: str) -> None:  # type: ignore[no-untyped-def]
    plan = _plan()
    bad = PlanFile(grids=mutate(plan), routes=plan.routes)
    path = _with_plan(scenario, bad)
    with pytest.raises(ScenarioError, match=r"plan\.gpkg") as exc:
        make_plan(prepare(path), np.random.default_rng(4))
    assert needle in str(exc.value)


def test_unknown_road_and_missing_file(scenario: Path, tmp_path: Path) -> None:
    path = _with_plan(scenario, _plan(a=("R-0013", "R-9999")))
    with pytest.raises(ScenarioError, match=r"layer 'routes'.*'R-9999' is not a road"):
        make_plan(prepare(path), np.random.default_rng(4))
    (tmp_path / "plan.gpkg").unlink()
    with pytest.raises(ScenarioError, match=r"field 'evacuation\.plan_file'"):
        prepare(path)
    (tmp_path / "plan.gpkg").write_text("not a geopackage", encoding="utf-8")
    with pytest.raises(ScenarioError, match="not a readable plan file"):
        read_plan_file(tmp_path / "plan.gpkg")


def test_optimized_needs_a_plan_file(tmp_path: Path) -> None:
    write_tiny_area(tmp_path / "area")
    path = tmp_path / "x.toml"
    path.write_text(tiny_scenario() + '[evacuation]\nassignment = "optimized"\n', "utf-8")
    with pytest.raises(ScenarioError, match="needs 'plan_file'"):
        load_scenario(path)


def test_preferred_route_is_followed_until_closed(scenario: Path) -> None:
    """A preferred (slower) route wins while open; closing it, live rerouting takes over."""
    prep = prepare(scenario)
    net = prep.network
    links = build_link_sets(net, prep.scenario.evacuation)
    tables: dict[int, np.ndarray] = {}

    def register(nxt: np.ndarray, _dests: np.ndarray) -> int:
        tables[len(tables)] = nxt
        return len(tables) - 1

    def replace(tid: int, nxt: np.ndarray) -> None:
        tables[tid] = nxt

    router = Router(net, links, hazard_rule(prep.zones, net), np.zeros(net.n_edges, bool),
                    register=register, replace=replace)  # fmt: skip
    weight, usable = links.weight_s["car"], links.usable["car"]
    origin, dest = 0, int(net.n_nodes - 1)
    fastest = path_edges(route_tree(net, [dest], weight_s=weight, usable=usable), origin)
    # a detour: forbid the fastest route's first edge and take the best other way
    other = usable.copy()
    other[fastest[0]] = False
    detour = path_edges(route_tree(net, [dest], weight_s=weight, usable=other), origin)
    assert weight[detour].sum() > weight[fastest].sum()
    prefer = road_edges(net, {("g", "car", "a"): tuple(net.edge_road_id[detour])})["g", "car", "a"]
    tid = router.table("car", (dest,), prefer)
    to_link = links.edge_link["car"]
    assert tables[tid][origin] == to_link[detour[0]]  # follows the preferred route
    router.close_edges(np.array([detour[0]]))
    assert tables[tid][origin] != to_link[detour[0]]  # closed: rerouted
    assert tables[tid][origin] >= 0
