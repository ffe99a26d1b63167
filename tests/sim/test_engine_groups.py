"""Capacity groups of the traffic engine (``LinkSpec.share_with``) and the footways built on them.

Oracles: the single-bottleneck discharge ``t_ff + (N - 1) / c`` (DESIGN.md's link model: exits at
least ``1 / c`` apart, charged at the exit) with ``N`` the number of people through the shared
server, and verification test RN-14 of ``reference/verification_tests.md`` (counter-flow: with a
shared capacity, clearance does not decrease as the opposing demand grows).
"""

from __future__ import annotations

import itertools
import math

import geopandas as gpd
import numpy as np
import pytest
import simpy
from shapely.geometry import LineString

from evacsim.errors import NetworkError
from evacsim.network.graph import build_network
from evacsim.scenario.sections import EvacuationSpec
from evacsim.sim.engine import LinkSpec, TrafficEngine
from evacsim.sim.router import MODES, build_link_sets

INF = math.inf
T_S, C_PPS = 20.0, 0.5  # free-flow time and capacity of the two-way link


def counter_flow(n_fwd: int, n_back: int, *, shared: bool) -> tuple[float, float]:
    """Last arrival (s) of each direction on a two-way link 0 <-> 1, everyone leaving at 0."""
    env = simpy.Environment()
    links = LinkSpec(
        np.array([0, 1]), np.array([1, 0]), np.array([T_S, T_S]), np.array([C_PPS, C_PPS]),
        np.array([INF, INF]), share_with=np.array([0, 0]) if shared else None,
    )  # fmt: skip
    eng = TrafficEngine(env, links)
    fwd = eng.add_agents([0] * n_fwd, 0.0, paths=[[0]] * n_fwd)
    back = eng.add_agents([1] * n_back, 0.0, paths=[[1]] * n_back)
    eng.run()
    arr = eng.results().arrival_s
    last = (float(arr[fwd].max()) if n_fwd else 0.0, float(arr[back].max()) if n_back else 0.0)
    return last


@pytest.mark.parametrize(("n_fwd", "n_back"), [(10, 0), (10, 5), (7, 13), (1, 1)])
def test_both_directions_pass_one_server(n_fwd: int, n_back: int) -> None:
    """Shared: the last of all N = n_fwd + n_back leaves at t_ff + (N - 1)/c."""
    last = max(counter_flow(n_fwd, n_back, shared=True))
    assert last == pytest.approx(T_S + (n_fwd + n_back - 1) / C_PPS, rel=1e-12)


def test_rn14_clearance_does_not_fall_as_opposing_demand_grows() -> None:
    """RN-14: one direction's clearance is non-decreasing in the opposing demand when capacity
    is shared, and independent of it when each direction has its own (the previous model)."""
    runs = [counter_flow(10, n_back, shared=True) for n_back in range(0, 16)]
    subject = [fwd for fwd, _ in runs]
    assert all(b >= a for a, b in itertools.pairwise(subject))
    assert subject[0] == pytest.approx(T_S + 9 / C_PPS)
    link = [max(r) for r in runs]  # the link's clearance grows by 1/c per opposing person
    assert link[1:] == pytest.approx([T_S + (9 + n) / C_PPS for n in range(1, 16)])
    own = [counter_flow(10, n_back, shared=False)[0] for n_back in range(0, 16)]
    assert own == pytest.approx([T_S + 9 / C_PPS] * 16)


def test_share_with_must_name_lead_links() -> None:
    """A link may only share with a link that leads its own group."""
    with pytest.raises(NetworkError, match="share_with"):
        LinkSpec(np.array([0, 1, 0]), np.array([1, 0, 1]), np.ones(3), np.ones(3), np.ones(3),
                 share_with=np.array([1, 2, 2]))  # fmt: skip


# ---------------------------------------------------------------- footways of a real network
LENGTH_M = 150.0
WIDTH_M, FLOW_PPS_PER_M = 2.0, 1.3  # footway default width; flow per metre (README, graph.py)


def _footway() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": ["F-1"], "name": ["path"], "highway": ["footway"], "lanes": [1],
         "speed_kph": [5.0], "oneway": [False]},
        geometry=[LineString([(0.0, 0.0), (LENGTH_M, 0.0)])], crs="EPSG:32648",
    )  # fmt: skip


def test_walkers_and_assisted_both_ways_form_one_group() -> None:
    """The four links of one footway (walk/assisted x two directions) share one lead."""
    net = build_network(_footway())
    links = build_link_sets(net, EvacuationSpec())
    lead = links.spec.share_with
    assert lead is not None
    on_foot = links.link_mode != MODES.index("car")
    assert on_foot.sum() == 4
    assert len(set(lead[on_foot].tolist())) == 1


def test_walkers_and_assisted_share_the_footway_capacity() -> None:
    """N_w walkers and N_a assisted persons released together at one end of a footway: the
    server is busy from the walkers' free-flow time on (the walkers' queue lasts past the
    assisted persons' free-flow time), so the last leaves at t_ff + (N_w + N_a - 1) / c."""
    spec = EvacuationSpec()
    net = build_network(_footway())
    links = build_link_sets(net, spec)
    c = WIDTH_M * FLOW_PPS_PER_M
    n_walk, n_assisted = 400, 150
    t_walk = LENGTH_M / spec.walk_speed_m_s
    assert n_walk / c > LENGTH_M / spec.assisted_speed_m_s - t_walk  # the queue stays busy
    edge = int(np.flatnonzero(net.edge_tail == np.argmin(net.node_x_m))[0])
    walk_link = int(links.edge_link["walk"][edge])
    assisted_link = int(links.edge_link["assisted"][edge])
    env = simpy.Environment()
    eng = TrafficEngine(env, links.spec)
    origin = int(net.edge_tail[edge])
    eng.add_agents([origin] * n_walk, 0.0, paths=[[walk_link]] * n_walk)
    eng.add_agents([origin] * n_assisted, 0.0, paths=[[assisted_link]] * n_assisted)
    eng.run()
    arrival = eng.results().arrival_s
    assert np.all(np.isfinite(arrival))
    assert arrival.max() == pytest.approx(t_walk + (n_walk + n_assisted - 1) / c, rel=1e-9)
