"""The run maps (evacsim.maps): routes, congestion, the evacuee animation, popups, AP maps.

Oracles: the tiny area's documented geometry (nodes at ``node_lonlat(i, j)``, grid G-001 and
G-003 assigned to AP-1), networkx's Dijkstra for bus routes, linear interpolation along a straight
edge for the animation, arithmetic for the frame caps, and sums over the groups table for the
numbers shown in popups and charts.
"""

from __future__ import annotations

import dataclasses
import re
import time
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer

from evacsim.display.arrivals import arrivals_svg
from evacsim.maps._offline import external_references
from evacsim.maps.animation import MAX_AGENTS, MAX_FRAMES
from evacsim.maps.assembly_maps import assembly_point_map
from evacsim.maps.base import save_map
from evacsim.maps.run_map import congestion_color, evacuee_animation, run_map
from evacsim.maps.write import write_run_maps
from evacsim.pipeline import Run, run
from evacsim.results.routes import bus_route_edges, grid_routes
from tests.support.paths import SCENARIOS
from tests.support.runs import XSS, decode, make_tiny_run
from tests.support.tiny_area import DLON, node_lonlat


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return make_tiny_run(tmp_path_factory.mktemp("viz_run"))


@pytest.fixture(scope="module")
def run_page(tiny_run: Run) -> str:
    return str(run_map(tiny_run).get_root().render())


def _edge(run_: Run, a: tuple[int, int], b: tuple[int, int]) -> int:
    """The drivable edge from tiny-area node position a to b."""
    net = run_.prepared.network
    to_utm = Transformer.from_crs(4326, net.crs, always_xy=True)

    def node(ij: tuple[int, int]) -> int:
        x, y = to_utm.transform(*node_lonlat(*ij))
        return int(np.argmin(np.hypot(net.node_x_m - x, net.node_y_m - y)))

    (edge,) = np.flatnonzero((net.edge_tail == node(a)) & (net.edge_head == node(b)) & net.drivable)
    return int(edge)


def _one_group_run(run_: Run, rows: list[tuple[int, float, float]]) -> Run:
    """The tiny run with its results replaced by one walking group on the given edges."""
    res = run_.results
    group = res.groups.iloc[[0]].assign(group_id="X/1", mode="walk", persons=4)
    paths = pd.DataFrame(
        {"group_id": "X/1", "edge": [r[0] for r in rows], "mode": "walk",
         "t_enter_s": [r[1] for r in rows], "t_exit_s": [r[2] for r in rows]}
    )  # fmt: skip
    empty_trips = res.vehicles.iloc[0:0]
    new = dataclasses.replace(res, groups=group, paths=paths, vehicles=empty_trips)
    return dataclasses.replace(run_, results=new)


def test_animation_interpolates_along_edges_and_waits_at_nodes(tiny_run: Run) -> None:
    e1, e2 = _edge(tiny_run, (0, 0), (1, 0)), _edge(tiny_run, (1, 0), (2, 0))
    one = _one_group_run(tiny_run, [(e1, 100.0, 400.0), (e2, 460.0, 760.0)])
    anim = evacuee_animation(one)
    # 30 s steps fit: frames at 90, 120, ..., 750 s (23 frames)
    assert (anim.t0_s, anim.step_s, anim.n_frames) == (90.0, 30.0, 23)
    (pos,) = decode(anim)
    assert sorted(pos) == list(range(1, 23))  # not before departure (90 s), not after 760 s
    lon00, lat00 = node_lonlat(0, 0)
    lon10, _ = node_lonlat(1, 0)
    expected = {
        1: lon00 + DLON * (120 - 100) / 300,  # on the first edge
        10: lon00 + DLON * (390 - 100) / 300,
        11: lon10,  # 420 s: waiting at node (1, 0) for the next edge
        12: lon10,
        13: lon10 + DLON * (480 - 460) / 300,
        22: lon10 + DLON * (750 - 460) / 300,
    }
    for frame, lon in expected.items():
        assert pos[frame][0] == pytest.approx(lon, abs=2e-5), frame
        assert pos[frame][1] == pytest.approx(lat00, abs=2e-5), frame
    assert anim.groups_drawn == 1 and anim.persons_per_dot == 4


def test_frame_step_grows_to_keep_the_frame_cap(tiny_run: Run) -> None:
    e1 = _edge(tiny_run, (0, 0), (1, 0))
    anim = evacuee_animation(_one_group_run(tiny_run, [(e1, 0.0, 100_000.0)]))
    # 100 000 s in <= 200 frames needs a step >= 503 s: the next round step is 10 min
    assert anim.step_s == 600.0 and anim.n_frames == 100_000 // 600 + 1 <= MAX_FRAMES
    small = evacuee_animation(_one_group_run(tiny_run, [(e1, 0.0, 100_000.0)]), max_frames=20)
    # beyond 1 h steps (28 frames > 20): 100 000 s / 19 intervals, rounded up to 88 min; frames
    # at 0, 88, ..., 18 * 88 min (the next, 19 * 88 min, is past the end)
    assert (small.step_s, small.n_frames) == (88 * 60.0, 19)


def _scaled_results(run_: Run, copies: int) -> Run:
    """The tiny run's groups and paths copied ``copies`` times, copy c delayed by 10 c seconds."""
    res = run_.results
    shift = np.repeat(np.arange(copies) * 10.0, len(res.groups))
    groups = pd.concat([res.groups] * copies, ignore_index=True)
    ids = [f"C{c:05d}/{g}" for c in range(copies) for g in res.groups["group_id"]]
    groups = groups.assign(group_id=ids)
    for col in ("departure_s", "t_assembly_s", "t_shelter_s"):
        groups[col] += shift
    paths = pd.concat([res.paths] * copies, ignore_index=True)
    n = len(res.paths)
    paths["group_id"] = [f"C{c:05d}/{g}" for c in range(copies) for g in res.paths["group_id"]]
    paths["t_enter_s"] += np.repeat(np.arange(copies) * 10.0, n)
    paths["t_exit_s"] += np.repeat(np.arange(copies) * 10.0, n)
    new = dataclasses.replace(res, groups=groups, paths=paths)
    return dataclasses.replace(run_, results=new)


def test_hundred_thousand_persons_are_sampled_fairly_and_fit_in_the_file(
    tiny_run: Run, tmp_path: Path
) -> None:
    per_copy = int(tiny_run.results.groups["persons"].sum())
    big = _scaled_results(tiny_run, copies=-(-100_000 // per_copy))
    groups = big.results.groups
    assert groups["persons"].sum() >= 100_000
    anim = evacuee_animation(big)
    assert anim.groups_drawn <= MAX_AGENTS and anim.n_frames <= MAX_FRAMES
    assert anim.persons_per_dot == pytest.approx(groups["persons"].sum() / anim.groups_drawn)
    # a fair sample spreads over the copies: its mean delay matches the population's (weighted)
    sample = groups[groups["group_id"].isin(_sampled_ids(big))]
    assert len(sample) == anim.groups_drawn
    delay = groups["group_id"].str[1:6].astype(int) * 10.0
    w_mean = float(np.average(delay, weights=groups["persons"]))
    assert float(delay[sample.index].mean()) == pytest.approx(w_mean, rel=0.05)
    t0 = time.perf_counter()
    path = save_map(run_map(big), tmp_path / "map.html")
    elapsed = time.perf_counter() - t0
    size_mb = path.stat().st_size / 1e6
    print(f"100k-person run map: {size_mb:.2f} MB, built in {elapsed:.2f} s")
    assert size_mb < 15.0


def _sampled_ids(big: Run) -> list[str]:
    from evacsim.maps.animation import _sample_groups

    return list(_sample_groups(big.results.groups, MAX_AGENTS)["group_id"])


def test_congestion_classes() -> None:
    colors = [congestion_color(s) for s in (0.0, 1.0, 59.9, 60.0, 299.0, 300.0, 899.0, 900.0)]
    assert len(set(colors)) == 5
    assert colors[0] != colors[1] and colors[1] == colors[2]
    assert colors[3] == colors[4] != colors[2]
    assert colors[5] == colors[6] != colors[4]
    assert colors[7] == congestion_color(86_400.0) != colors[6]


def test_grid_routes_reach_their_assembly_point_and_shelter(tiny_run: Run) -> None:
    routes = grid_routes(tiny_run)
    net, snap = tiny_run.prepared.network, tiny_run.prepared.snapped
    ap_ids, s_ids = list(snap.assembly_points.ids), list(snap.shelters.ids)
    plan = {"G-001": "AP-1", "G-002": "AP-2", "G-003": "AP-1", "G-004": "AP-2"}  # _tiny_area.py
    to_ap = routes[routes["leg"] == "assembly"]
    assert len(to_ap) >= 2
    for row in to_ap.itertuples():
        assert row.assembly_point == plan[row.grid_id]
        node = int(snap.assembly_points.walk_node[ap_ids.index(row.assembly_point)])
        car = int(snap.assembly_points.car_node[ap_ids.index(row.assembly_point)])
        dist = min(row.geometry.distance(_pt(net, node)), row.geometry.distance(_pt(net, car)))
        assert dist < 1.0
    on = routes[routes["leg"] == "shelter"]
    assert len(on) >= 1
    for row in on.itertuples():
        for s in row.shelters.split(";"):
            node = int(snap.shelters.car_node[s_ids.index(s)])
            assert row.geometry.distance(_pt(net, node)) < 1.0
    groups = tiny_run.results.groups
    for row in to_ap.itertuples():
        assert row.persons == groups.loc[groups["grid_id"] == row.grid_id, "persons"].sum()


def _pt(net: Any, node: int) -> Any:
    from shapely.geometry import Point

    return Point(net.node_x_m[node], net.node_y_m[node])


def test_bus_route_is_the_fastest_drive(tiny_run: Run) -> None:
    net, snap = tiny_run.prepared.network, tiny_run.prepared.snapped
    edges = bus_route_edges(tiny_run, "AP-1", "S-2")
    origin = int(snap.assembly_points.car_node[list(snap.assembly_points.ids).index("AP-1")])
    dest = int(snap.shelters.car_node[list(snap.shelters.ids).index("S-2")])
    assert net.edge_tail[edges[0]] == origin and net.edge_head[edges[-1]] == dest
    assert (net.edge_head[edges[:-1]] == net.edge_tail[edges[1:]]).all()
    drive = nx.DiGraph()
    for u, v, d in net.graph.edges(data=True):
        if d["drivable"] and (not drive.has_edge(u, v) or drive[u][v]["w"] > d["travel_time_s"]):
            drive.add_edge(u, v, w=d["travel_time_s"])
    best = nx.dijkstra_path_length(drive, origin, dest, weight="w")
    assert net.travel_time_s[edges].sum() == pytest.approx(best)
    assert len(bus_route_edges(tiny_run, "AP-1", "no-such-shelter")) == 0


def test_facility_popups_show_capacity_and_numbers(tiny_run: Run, run_page: str) -> None:
    groups = tiny_run.results.groups
    sheltered = int(groups.loc[groups["shelter"] == "S-2", "persons_sheltered"].sum())
    assert sheltered > 0
    popups = re.findall(r"<div class=\"evacsim-popup\">.*?</div>", run_page)
    (s2,) = [p for p in popups if "&lt;script&gt;alert(1)&lt;/script&gt;</b>" in p and "S-2" in p]
    assert "Capacity (persons)</th><td>250<" in s2
    assert f"Peak occupancy (persons)</th><td>{sheltered}<" in s2  # nobody leaves a shelter
    assert f"Arrivals (persons)</th><td>{sheltered}<" in s2
    assert "Refused</th><td>0<" in s2


def test_names_from_map_data_are_escaped(run_page: str) -> None:
    assert XSS not in run_page and "${alert" not in run_page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in run_page
    assert "School &#96;&#36;{alert(2)}&#96; yard" in run_page


def test_run_map_layers_legend_and_print_layout(run_page: str) -> None:
    for layer in ("Congestion", "Routes to assembly points", "Routes to shelters"):
        assert f'"{layer}"' in run_page
    assert '"Evacuees (time slider)"' in run_page
    for text in ("queue ≥ 15 min", "1 dot = 1 household", "to AP-2 Market square"):
        assert text in run_page
    assert "@page {size: A4 landscape" in run_page and "evacsim-no-print" in run_page


def test_assembly_point_map_shows_its_grids_and_arrivals(tiny_run: Run) -> None:
    page = str(assembly_point_map(tiny_run, "AP-1").get_root().render())
    groups = tiny_run.results.groups
    mine = groups[groups["assembly_point"] == "AP-1"]
    arrived = int(mine.loc[mine["t_assembly_s"].notna(), "persons"].sum())
    assert arrived > 0
    assert f"arrived: {arrived} persons" in page
    per_grid = tiny_run.results.extra["per_grid"]
    evacuating = set(per_grid.loc[per_grid["persons_evacuating"] > 0, "grid_id"])
    grids = set(re.findall(r"Grid (G-\d{3})", page))
    assert grids == {"G-001", "G-003"} & evacuating  # the tiny area assigns these to AP-1
    assert "Market square" not in page.split("evacsim-legend", 1)[0]  # AP-2 not drawn
    with pytest.raises(KeyError, match="AP-9"):
        assembly_point_map(tiny_run, "AP-9")


def test_arrivals_chart_steps_up_to_the_total() -> None:
    svg = arrivals_svg([600.0, 60.0, float("nan")], [5, 3, 7], width_px=340, height_px=150)
    assert "arrived: 8 persons" in svg
    (points,) = re.findall(r'class="evacsim-arrivals"[^>]*points="([^"]+)"', svg)
    xy = np.array([[float(v) for v in p.split(",")] for p in points.split()])
    # left 40 px, right 332 px, bottom 128 px, top 16 px; t_max = 600 s, y_max = 8 persons
    x = 40 + 292 * np.array([0, 60, 60, 600, 600, 600]) / 600
    y = 128 - 112 * np.array([0, 0, 3, 3, 8, 8]) / 8
    np.testing.assert_allclose(xy, np.column_stack([x, y]), atol=0.06)
    assert "`" not in svg and "$" not in svg and "\\" not in svg


def test_write_run_maps_writes_every_assembly_point_offline(tiny_run: Run, tmp_path: Path) -> None:
    out = write_run_maps(tiny_run, tmp_path)
    assert set(out) == {"map", "ap:AP-1", "ap:AP-2"}
    assert out["ap:AP-1"].name == "ap_AP-1.html"
    for path in out.values():
        assert path.parent == tmp_path
        assert external_references(path.read_text(encoding="utf-8")) == []


@pytest.fixture(scope="module")
def funiuxi_run() -> Run:
    return run(SCENARIOS / "funiuxi_tank_fire.toml")


def test_funiuxi_run_map_is_small_and_fast(funiuxi_run: Run, tmp_path: Path) -> None:
    t0 = time.perf_counter()
    out = write_run_maps(funiuxi_run, tmp_path)
    elapsed = time.perf_counter() - t0
    sizes = {k: round(p.stat().st_size / 1e6, 2) for k, p in out.items()}
    print(f"Funiuxi maps (MB): {sizes}; all written in {elapsed:.2f} s")
    assert sizes["map"] < 5.0 and elapsed < 15.0
    groups = funiuxi_run.results.groups
    used = set(groups.loc[groups["t_assembly_s"].notna(), "assembly_point"])
    assert used and used < set(funiuxi_run.prepared.area.assembly_points["id"])  # some unused
    assert set(out) == {"map"} | {f"ap:{ap}" for ap in used}  # maps only where people came


def test_arrivals_chart_of_many_arrivals_stays_small_and_keeps_the_peak() -> None:
    t = np.arange(1, 50_001, dtype=float)  # one person a second for 50 000 s
    occ_t = np.arange(1, 2001, dtype=float) * 20.0  # 2 000 changes, 5 persons or fewer
    occ_p = np.arange(2000) % 6
    occ_p[1000] = 900  # a spike lasting 20 s, far shorter than a chart bin (~156 s)
    occ = pd.DataFrame({"t_s": occ_t, "persons": occ_p})
    svg = arrivals_svg(t, np.ones_like(t), occupancy=occ, width_px=320)
    assert len(svg) < 30_000 and "arrived: 50,000 persons" in svg
    assert '<text x="36" y="20" text-anchor="end">50000</text>' in svg  # y axis to the total
    (grey,) = re.findall(r'stroke="#999" points="([^"]+)"', svg)
    ys = [float(p.split(",")[1]) for p in grey.split()]
    # the spike still reaches 900 / 50 000 of the axis height (112 px)
    assert min(ys) == pytest.approx(128 - 112 * 900 / 50_000, abs=0.06)
