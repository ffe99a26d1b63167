"""Stage 1 and 2 assignment: policies, the capacity LP against brute force, warnings."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evacsim.area.layers import Area
from evacsim.errors import AreaError, ScenarioError
from evacsim.network.graph import RoadNetwork
from evacsim.plan.assembly import Assignment, assign_assembly, transport_lp
from evacsim.plan.shelters import initial_shelter_plan, shelter_preferences
from tests.support.tiny_area import line_roads

INF = np.inf
GRIDS = ["G-001", "G-002", "G-003"]
APS = ["AP-1", "AP-2"]
# Hand instance: 75 persons, capacity 85. AP-1 (cap 40) is best for G-003 (saves 280 s/person)
# then G-001 (saves 200 s); G-002 prefers AP-2. Optimum: G-003 25 + G-001 15 at AP-1, the other
# 15 of G-001 and all of G-002 at AP-2: 25*120 + 15*100 + 15*300 + 20*150 = 12000 person-s.
TT = np.array([[100.0, 300.0], [200.0, 150.0], [120.0, 400.0]])
SUPPLY = [30, 20, 25]
CAP = [40, 45]


def _brute_force_cost(tt: np.ndarray, supply: list[int], cap: list[int]) -> float:
    """Minimum persons × seconds over every integer split of 3 grids over 2 points."""
    best = INF
    for to_first in itertools.product(*(range(s + 1) for s in supply)):
        load1 = sum(to_first)
        load2 = sum(supply) - load1
        if load1 > cap[0] or load2 > cap[1]:
            continue
        cost = sum(a * tt[i, 0] + (supply[i] - a) * tt[i, 1] for i, a in enumerate(to_first))
        best = min(best, cost)
    return best


def _assign(policy: str, **kw: object) -> Assignment:
    args: dict[str, object] = {
        "grid_ids": GRIDS,
        "planned_ap": ["AP-2", "AP-2", "AP-2"],
        "persons": SUPPLY,
        "ap_ids": APS,
        "ap_capacity_persons": CAP,
        "travel_time_s": TT,
    }
    args.update(kw)
    return assign_assembly(policy, **args)  # type: ignore[arg-type]


def test_capacity_policy_hits_hand_and_brute_force_optimum() -> None:
    a = _assign("capacity")
    assert _brute_force_cost(TT, SUPPLY, CAP) == 12000.0
    assert a.cost_person_s() == pytest.approx(12000.0)
    assert a.by_grid["G-003"] == [("AP-1", 25)]
    assert a.by_grid["G-001"] == [("AP-1", 15), ("AP-2", 15)]
    assert a.by_grid["G-002"] == [("AP-2", 20)]
    assert a.persons.sum(axis=1).tolist() == SUPPLY
    assert a.warnings == ()


@settings(max_examples=40, deadline=None)
@given(
    supply=st.lists(st.integers(0, 6), min_size=3, max_size=3),
    cap=st.lists(st.integers(0, 10), min_size=2, max_size=2),
    tt=st.lists(st.integers(1, 50), min_size=6, max_size=6),
)
def test_capacity_policy_matches_brute_force(
    supply: list[int], cap: list[int], tt: list[int]
) -> None:
    if sum(supply) > sum(cap):
        cap = [cap[0] + sum(supply) - sum(cap), cap[1]]  # feasible: brute force has no overflow
    matrix = np.array(tt, dtype=float).reshape(3, 2)
    a = _assign("capacity", persons=supply, ap_capacity_persons=cap, travel_time_s=matrix)
    assert a.cost_person_s() == pytest.approx(_brute_force_cost(matrix, supply, cap))
    assert (a.persons.sum(axis=0) <= np.array(cap)).all()
    assert a.persons.sum(axis=1).tolist() == supply


def test_capacity_policy_matches_networkx_min_cost_flow() -> None:
    rng = np.random.default_rng(7)
    n, m = 12, 4
    supply = rng.integers(0, 300, n)
    cap = rng.integers(200, 900, m)
    tt = rng.integers(60, 3600, (n, m)).astype(float)
    g = nx.DiGraph()
    g.add_node("src", demand=-int(supply.sum()))
    g.add_node("sink", demand=int(supply.sum()))
    for i in range(n):
        g.add_edge("src", f"g{i}", capacity=int(supply[i]), weight=0)
        for j in range(m):
            g.add_edge(f"g{i}", f"a{j}", weight=int(tt[i, j]))
    for j in range(m):
        g.add_edge(f"a{j}", "sink", capacity=int(cap[j]), weight=0)
    expected = nx.min_cost_flow_cost(g)
    a = assign_assembly(
        "capacity",
        grid_ids=[f"G-{i:03d}" for i in range(n)],
        planned_ap=None,
        persons=supply,
        ap_ids=[f"AP-{j}" for j in range(m)],
        ap_capacity_persons=cap,
        travel_time_s=tt,
    )
    assert a.cost_person_s() == pytest.approx(expected)
    assert (a.persons.sum(axis=0) <= cap).all()


def test_capacity_overflow_goes_to_nearest_with_warning() -> None:
    # 75 persons, 40 places: 35 over. Every grid's nearest is AP-1 except G-002 (AP-2).
    a = _assign("capacity", ap_capacity_persons=[20, 20])
    assert a.persons.sum() == 75
    assert a.persons.sum(axis=1).tolist() == SUPPLY
    assert any("35 persons over capacity" in w for w in a.warnings)
    within, overflow = transport_lp(np.array(SUPPLY), np.array([20, 20]), TT, np.isfinite(TT))
    assert within.sum() == 40 and overflow.sum() == 35
    nearest = np.argmin(TT, axis=1)
    expected = within.copy()
    expected[np.arange(3), nearest] += overflow
    assert (a.persons == expected).all()


def test_plan_policy_uses_the_maps_point_even_when_not_nearest() -> None:
    a = _assign("plan", ap_capacity_persons=[100, 100])
    assert a.by_grid == {"G-001": [("AP-2", 30)], "G-002": [("AP-2", 20)], "G-003": [("AP-2", 25)]}
    assert a.warnings == ()


def test_plan_policy_reports_overloaded_point() -> None:
    a = _assign("plan", ap_capacity_persons=[40, 45])
    assert a.ap_loads() == {"AP-1": 0, "AP-2": 75}
    assert any("'AP-2' receives 75 persons, capacity 45 (over by 30)" in w for w in a.warnings)


def test_plan_falls_back_to_nearest_usable_and_warns() -> None:
    a = _assign(
        "plan",
        planned_ap={"G-001": "AP-1", "G-002": "AP-1", "G-003": "AP-1"},
        ap_usable=[False, True],
        ap_capacity_persons=[100, 100],
    )
    assert all(flows == [("AP-2", p)] for flows, p in zip(a.by_grid.values(), SUPPLY, strict=True))
    assert len(a.warnings) == 3 and "unusable" in a.warnings[0]
    tt = TT.copy()
    tt[0, 1] = INF  # G-001 cannot reach its planned AP-2
    b = _assign("plan", travel_time_s=tt, ap_capacity_persons=[100, 100])
    assert b.by_grid["G-001"] == [("AP-1", 30)]
    assert "unreachable" in b.warnings[0]


def test_nearest_policy_is_argmin_over_usable_reachable() -> None:
    a = _assign("nearest", ap_capacity_persons=[100, 100])
    assert a.by_grid == {"G-001": [("AP-1", 30)], "G-002": [("AP-2", 20)], "G-003": [("AP-1", 25)]}
    tt = TT.copy()
    tt[2, 0] = INF
    b = _assign("nearest", travel_time_s=tt, ap_capacity_persons=[100, 100])
    assert b.by_grid["G-003"] == [("AP-2", 25)]


@pytest.mark.parametrize("policy", ["plan", "nearest", "capacity"])
def test_unusable_point_is_never_chosen(policy: str) -> None:
    a = _assign(
        policy, ap_usable=[True, False], planned_ap=["AP-2"] * 3, ap_capacity_persons=[10, 100]
    )
    assert a.ap_loads()["AP-2"] == 0
    assert a.ap_loads()["AP-1"] == 75


@pytest.mark.parametrize("policy", ["plan", "nearest", "capacity"])
def test_unreachable_grid_is_reported_not_assigned(policy: str) -> None:
    tt = TT.copy()
    tt[1, :] = INF
    a = _assign(policy, travel_time_s=tt, ap_capacity_persons=[100, 100])
    assert a.by_grid["G-002"] == []
    assert a.unassigned == {"G-002": 20}
    assert any("G-002" in w and "20 persons" in w for w in a.warnings)


def test_bad_policy_and_unknown_planned_point_raise_one_line() -> None:
    with pytest.raises(ScenarioError, match=r"evacuation\.assignment"):
        _assign("random")
    with pytest.raises(AreaError, match="feature 'G-002', field 'assembly_point': 'AP-9'"):
        _assign("plan", planned_ap=["AP-1", "AP-9", "AP-1"])


def test_assignment_table() -> None:
    df = _assign("capacity").to_frame()
    assert list(df.columns) == ["grid_id", "mode", "ap_id", "persons", "travel_time_s"]
    assert df["persons"].sum() == 75


def test_shelter_preferences_nearest_first_skipping_unusable_and_unreachable() -> None:
    tt = np.array([[300.0, 100.0, 200.0], [INF, 50.0, 60.0]])
    prefs = shelter_preferences(["AP-1", "AP-2"], ["S-1", "S-2", "S-3"], tt, [True, False, True])
    assert prefs == {"AP-1": ["S-3", "S-1"], "AP-2": ["S-3"]}


def test_initial_shelter_plan_is_capacity_aware_and_optimal() -> None:
    # AP-1 100 persons, AP-2 50; S-1 takes 80, S-2 200. Both prefer S-1; moving an AP-1 person
    # S-1 -> S-2 costs 100 s, an AP-2 person 400 s: AP-2 keeps S-1 (50), AP-1 gets 30 + 70.
    tt = np.array([[100.0, 200.0], [100.0, 500.0]])
    plan = initial_shelter_plan({"AP-1": 100, "AP-2": 50}, {"S-1": 80, "S-2": 200}, tt)
    assert plan == {"AP-1": [("S-1", 30), ("S-2", 70)], "AP-2": [("S-1", 50)]}


def test_travel_time_matrix_on_a_small_network() -> None:

    from evacsim.network.graph import build_network
    from evacsim.plan.assembly import travel_time_matrix_s

    x0, y0 = 641_000.0, 3_257_050.0
    roads = line_roads(x0, y0)
    net = build_network(roads)
    key = {
        (round(x - x0), round(y - y0)): k
        for k, (x, y) in enumerate(zip(net.node_x_m, net.node_y_m, strict=True))
    }
    start, end, foot = key[0, 0], key[300, 0], key[300, 120]
    origins, dests = np.array([start, foot]), np.array([end])
    car = travel_time_matrix_s(net, origins, dests, weight_s=net.travel_time_s, usable=net.drivable)
    # 300 m at 36 km/h = 10 m/s; the footway end has no drivable road.
    assert car[0, 0] == pytest.approx(30.0)
    assert car[1, 0] == INF
    walk = travel_time_matrix_s(net, origins, dests, weight_s=net.walk_time_s, usable=net.walkable)
    assert walk[:, 0] == pytest.approx([300 / 1.2, 120 / 1.2])


@pytest.mark.parametrize("policy", ["plan", "nearest", "capacity"])
def test_tiny_area_walk_assignment(policy: str, tiny_area: Area, tiny_network: RoadNetwork) -> None:
    from evacsim.network.snap import snap_points
    from evacsim.plan.assembly import travel_time_matrix_s

    area, net = tiny_area, tiny_network
    grid_nodes, _ = snap_points(net, area.grids.geometry, mode="walk")
    ap_nodes, _ = snap_points(net, area.assembly_points.geometry, mode="walk")
    tt = travel_time_matrix_s(
        net, grid_nodes, ap_nodes, weight_s=net.walk_time_s, usable=net.walkable
    )
    assert np.isfinite(tt).all() and (tt >= 0).all()
    persons = dict(zip(area.grids["id"], area.grids["population_night"], strict=True))
    cap = area.assembly_points["capacity_persons"].to_numpy()
    a = assign_assembly(
        policy,
        grid_ids=area.grids["id"].tolist(),
        planned_ap=area.grids["assembly_point"].tolist(),
        persons=persons,
        ap_ids=area.assembly_points["id"].tolist(),
        ap_capacity_persons=cap,
        travel_time_s=tt,
    )
    assert sum(a.ap_loads().values()) == 610
    if policy == "capacity":  # 610 persons, 500 + 400 places
        assert all(a.ap_loads()[ap] <= c for ap, c in zip(a.ap_ids, cap, strict=True))
    if policy == "plan":
        assert a.by_grid["G-002"] == [("AP-2", 150)]
