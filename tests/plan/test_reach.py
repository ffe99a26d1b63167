"""The hazard rule over time and per mode (:mod:`evacsim.plan.reach`), on a hand-drawn road and
hand-drawn zones: which edges are open follows from the geometry, not from the code."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, Point

from evacsim.hazard.zones import ThreatLevel, ThreatZones
from evacsim.network.graph import RoadNetwork, build_network
from evacsim.plan.reach import Reach, hazard_rule, mode_networks
from evacsim.scenario.sections import EvacuationSpec
from evacsim.sim.router import Router, build_link_sets

X = (0.0, 100.0, 200.0, 300.0)  # a straight two-way road, nodes every 100 m


def _road() -> RoadNetwork:
    roads = gpd.GeoDataFrame(
        {"id": ["R-1", "R-2", "R-3"], "name": ["a", "b", "c"], "highway": ["residential"] * 3,
         "lanes": [1] * 3, "speed_kph": [36.0] * 3, "oneway": [False] * 3},
        geometry=[LineString([(X[k], 0.0), (X[k + 1], 0.0)]) for k in range(3)],
        crs="EPSG:32648",
    )  # fmt: skip
    return build_network(roads)


def _disc(x: float, r: float):  # type: ignore[no-untyped-def]
    return Point(x, 0.0).buffer(r, 256)


def _zones(frames: list[tuple[float, float, float]], closure: str = "red") -> ThreatZones:
    """Zones centred on the road at x: per frame (t_s, red radius, orange radius); yellow =
    orange + 1 m."""
    levels = tuple(ThreatLevel(n, 1.0, "m", n) for n in ("red", "orange", "yellow"))
    timeline = tuple(
        (t, {"red": _disc(-20.0, r), "orange": _disc(-20.0, o), "yellow": _disc(-20.0, o + 1)})
        for t, r, o in frames
    )
    return ThreatZones("radius", levels, timeline, crs=None, closure_level=closure)


def _edge(net: RoadNetwork, a: float, b: float) -> int:
    tail = int(np.argmin(np.abs(net.node_x_m - a)))
    head = int(np.argmin(np.abs(net.node_x_m - b)))
    return int(np.flatnonzero((net.edge_tail == tail) & (net.edge_head == head))[0])


def test_a_person_may_leave_the_zone_they_are_in_never_enter_a_worse_one() -> None:
    """Red disc centred at x = -20 m: radius 30 m at t = 0 (node 0 inside, edge 0-100 touched),
    130 m from t = 100 s (node 100 inside, edge 100-200 touched)."""
    net = _road()
    rule = hazard_rule(_zones([(0.0, 30.0, 30.0), (100.0, 130.0, 130.0)]), net)
    open0, open1 = rule.open_at(0.0), rule.open_at(100.0)
    # t = 0: from the red node 0 outward is allowed; from node 100 into the red edge is not
    assert open0[_edge(net, 0, 100)] and not open0[_edge(net, 100, 0)]
    assert open0[_edge(net, 100, 200)] and open0[_edge(net, 200, 100)]
    # t = 100 s: node 100 is now red itself (it may leave through red roads); node 200 may not
    # enter the edge 200-100, which the red disc now touches
    assert open1[_edge(net, 100, 0)] and open1[_edge(net, 100, 200)]
    assert not open1[_edge(net, 200, 100)] and open1[_edge(net, 200, 300)]
    np.testing.assert_array_equal(rule.change_times_s(), [100.0])
    assert list(rule.state_index(np.array([0.0, 99.9, 100.0, 5e3]))) == [0, 0, 1, 1]


def test_closure_level_decides_which_levels_close_roads() -> None:
    """Orange disc of 130 m, red of 30 m: with closure_level red, the orange roads stay open to
    people outside them; with closure_level orange they close."""
    net = _road()
    frames = [(0.0, 30.0, 130.0)]
    red = hazard_rule(_zones(frames, "red"), net).open_at(0.0)
    orange = hazard_rule(_zones(frames, "orange"), net).open_at(0.0)
    into_orange = _edge(net, 200, 100)  # touches the orange disc; node 200 is outside it
    assert red[into_orange] and not orange[into_orange]
    assert set(np.flatnonzero(~red)) < set(np.flatnonzero(~orange))


def test_router_tables_follow_the_rule_as_it_changes() -> None:
    """Route from node 300 to node 100: open at t = 0, closed once the red disc reaches node
    100 (the last edge then enters red from outside); the table registered at t = 0 is replaced
    by the rebuilt one."""
    net = _road()
    links = build_link_sets(net, EvacuationSpec())
    rule = hazard_rule(_zones([(0.0, 30.0, 30.0), (100.0, 130.0, 130.0)]), net)
    tables: dict[int, np.ndarray] = {}

    def register(nxt: np.ndarray, dests: np.ndarray) -> int:
        tables[len(tables)] = nxt
        return len(tables) - 1

    def replace(tid: int, nxt: np.ndarray) -> None:
        tables[tid] = nxt

    router = Router(net, links, rule, np.zeros(net.n_edges, bool), register=register,
                    replace=replace)  # fmt: skip
    origin = int(np.argmin(np.abs(net.node_x_m - 300)))
    dest = int(np.argmin(np.abs(net.node_x_m - 100)))
    tid = router.table("car", (dest,))
    assert router.reachable("car", dest, origin) and tables[tid][origin] >= 0
    assert router.update(50.0) is False  # nothing changes before 100 s
    assert router.update(100.0) is True
    assert not router.reachable("car", dest, origin) and tables[tid][origin] == -1


@pytest.mark.parametrize("mode", ["car", "walk"])
def test_reach_explains_why_a_point_cannot_be_reached(mode: str) -> None:
    net = _road()
    rule = hazard_rule(_zones([(0.0, 30.0, 30.0)]), net)
    closed = np.isin(net.edge_road_id, ["R-3"])
    reach = Reach(net, mode_networks(net, EvacuationSpec()), rule, closed)
    node = {x: int(np.argmin(np.abs(net.node_x_m - x))) for x in X}
    tt = reach.times_s(mode, 0.0, [node[100]], [node[0], node[200], node[300]])
    speed = 10.0 if mode == "car" else 1.2
    assert np.isinf(tt[0, 0]) and np.isinf(tt[0, 2])
    assert tt[0, 1] == pytest.approx(100.0 / speed, rel=1e-6)
    assert "closed roads" in reach.why_not(mode, 0.0, node[100], node[300])
    assert "hazard" in reach.why_not(mode, 0.0, node[100], node[0])
