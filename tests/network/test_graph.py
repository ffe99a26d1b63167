"""The road network contract on the tiny area and on small synthetic layers."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pyproj
import pytest
from shapely.geometry import LineString, Point

from evacsim.area.layers import Area, load_area
from evacsim.area.road_classes import ROAD_CLASS_DEFAULTS
from evacsim.errors import NetworkError
from evacsim.network.graph import RoadNetwork, build_network
from evacsim.network.snap import SnapError, node_components, snap_area, snap_points
from tests.support.tiny_area import BRIDGE_CROSSING, node_lonlat, tiny_features, write_tiny_area

UTM48N = "EPSG:32648"
EDGE_ATTRS = {
    "length_m",
    "speed_kph",
    "lanes",
    "capacity_vph",
    "storage_veh",
    "travel_time_s",
    "highway",
    "name",
    "geometry",
    "drivable",
    "walkable",
    "walk_capacity_pps",
    "walk_time_s",
    "walk_storage_persons",
    "road_id",
    "edge_index",
}


def _xy(lon: float, lat: float) -> tuple[float, float]:
    x, y = pyproj.Transformer.from_crs(4326, 32648, always_xy=True).transform(lon, lat)
    return float(x), float(y)


def node_at(net: RoadNetwork, i: float, j: float) -> int:
    """The node at tiny-grid position (i, j); fails if none lies within 1 mm."""
    x, y = _xy(*node_lonlat(i, j))
    d = np.hypot(net.node_x_m - x, net.node_y_m - y)
    assert d.min() < 1e-3
    return int(d.argmin())


def edges_of(net: RoadNetwork, road_id: str) -> np.ndarray:
    return np.flatnonzero(net.edge_road_id == road_id)


def test_counts_follow_the_one_way_and_walk_rules(tiny_network: RoadNetwork) -> None:
    # 11 two-way roads x 2 + one-way walkable R-0006 (drive + walk-only reverse) + footway x 2
    # + bridge x 2 = 28 directed edges; 3 x 3 grid nodes, no node where the bridge crosses.
    assert tiny_network.n_nodes == 9
    assert tiny_network.n_edges == 28


def test_graph_carries_every_attribute(tiny_network: RoadNetwork) -> None:
    g = tiny_network.graph
    assert pyproj.CRS(g.graph["crs"]).to_epsg() == 32648
    assert g.number_of_nodes() == tiny_network.n_nodes
    assert g.number_of_edges() == tiny_network.n_edges
    for k, data in g.nodes(data=True):
        assert (data["x"], data["y"]) == (tiny_network.node_x_m[k], tiny_network.node_y_m[k])
    for u, v, data in g.edges(data=True):
        assert set(data) >= EDGE_ATTRS
        e = data["edge_index"]
        assert (tiny_network.edge_tail[e], tiny_network.edge_head[e]) == (u, v)
        start = Point(data["geometry"].coords[0])
        assert start.distance(Point(g.nodes[u]["x"], g.nodes[u]["y"])) < 1e-3
    for name in ("edge_tail", "edge_head"):
        assert getattr(tiny_network, name).dtype == np.int32


def test_units_and_derived_values(tiny_area: Area, tiny_network: RoadNetwork) -> None:
    geod = pyproj.Geod(ellps="WGS84")
    a, b = node_lonlat(0, 0), node_lonlat(1, 0)
    length = geod.inv(a[0], a[1], b[0], b[1])[2]
    (e, _) = edges_of(tiny_network, "R-0001")
    net = tiny_network
    assert net.length_m[e] == pytest.approx(length, rel=5e-4)  # UTM scale error < 0.05 %
    assert net.travel_time_s[e] == pytest.approx(length / (50 / 3.6), rel=5e-4)
    assert net.walk_time_s[e] == pytest.approx(length / 1.2, rel=5e-4)
    # primary, 2 lanes/direction: 2 x per-lane default; storage 2 lanes x L / 7.5 m per car
    assert net.capacity_vph[e] == 2 * ROAD_CLASS_DEFAULTS["primary"].per_lane_capacity_vph
    assert net.storage_veh[e] == pytest.approx(2 * length / 7.5, rel=5e-4)
    assert net.walk_capacity_pps[e] == pytest.approx(3.0 * 1.3)
    assert net.walk_storage_persons[e] == pytest.approx(3.0 * length * 2.0, rel=5e-4)


def test_capacity_override_and_class_defaults(tiny_network: RoadNetwork) -> None:
    net = tiny_network
    assert set(net.capacity_vph[edges_of(net, "R-0003")]) == {1200.0}  # given by the feature
    assert set(net.capacity_vph[edges_of(net, "R-0004")]) == {1500.0}  # tertiary default
    assert set(net.capacity_vph[edges_of(net, "R-0014")]) == {3400.0}  # 2 x secondary 1700
    residential = ROAD_CLASS_DEFAULTS["residential"]
    assert residential.per_lane_capacity_vph == 1000.0
    assert 1800.0 <= ROAD_CLASS_DEFAULTS["primary"].per_lane_capacity_vph <= 1900.0


def test_one_way_is_drivable_one_way_but_walkable_both(tiny_network: RoadNetwork) -> None:
    net = tiny_network
    a, b = node_at(net, 1, 2), node_at(net, 2, 2)
    drive = [
        (net.edge_tail[e], net.edge_head[e]) for e in edges_of(net, "R-0006") if net.drivable[e]
    ]
    walk = [
        (net.edge_tail[e], net.edge_head[e]) for e in edges_of(net, "R-0006") if net.walkable[e]
    ]
    assert drive == [(a, b)]
    assert sorted(walk) == sorted([(a, b), (b, a)])
    rev = next(e for e in edges_of(net, "R-0006") if net.edge_tail[e] == b)
    assert net.capacity_vph[rev] == 0 and net.storage_veh[rev] == 0
    assert net.edge_geometry[rev].coords[0] == pytest.approx((net.node_x_m[b], net.node_y_m[b]))


def test_footway_is_walk_only(tiny_network: RoadNetwork) -> None:
    net = tiny_network
    foot = edges_of(net, "R-0013")
    assert len(foot) == 2
    assert not net.drivable[foot].any() and net.walkable[foot].all()
    assert (net.capacity_vph[foot] == 0).all()
    assert net.walk_capacity_pps[foot] == pytest.approx([3.0 * 1.3] * 2)  # width_m = 3 given


def test_bridge_does_not_connect_to_the_road_it_crosses(tiny_network: RoadNetwork) -> None:
    net = tiny_network
    cx, cy = _xy(*BRIDGE_CROSSING)
    assert np.hypot(net.node_x_m - cx, net.node_y_m - cy).min() > 90  # nearest node ~100 m away
    ends = {(net.edge_tail[e], net.edge_head[e]) for e in edges_of(net, "R-0014")}
    assert ends == {
        (node_at(net, 0, 0), node_at(net, 2, 1)),
        (node_at(net, 2, 1), node_at(net, 0, 0)),
    }
    column = edges_of(net, "R-0009")  # (1,0)-(1,1): still one segment, crossed mid-way
    assert {net.edge_tail[column[0]], net.edge_head[column[0]]} == {
        node_at(net, 1, 0),
        node_at(net, 1, 1),
    }
    g = nx.DiGraph()
    for e in np.flatnonzero(net.drivable):
        g.add_edge(int(net.edge_tail[e]), int(net.edge_head[e]), w=float(net.length_m[e]))
    via_bridge = nx.shortest_path_length(g, node_at(net, 0, 0), node_at(net, 2, 1), weight="w")
    assert via_bridge == pytest.approx(net.length_m[edges_of(net, "R-0014")[0]])


def test_connectivity_by_mode(tiny_network: RoadNetwork) -> None:
    net = tiny_network
    drive = nx.DiGraph(
        (int(u), int(v))
        for u, v in zip(net.edge_tail[net.drivable], net.edge_head[net.drivable], strict=True)
    )
    walk = nx.DiGraph(
        (int(u), int(v))
        for u, v in zip(net.edge_tail[net.walkable], net.edge_head[net.walkable], strict=True)
    )
    assert nx.is_strongly_connected(drive) and nx.is_strongly_connected(walk)
    a, b = node_at(net, 1, 2), node_at(net, 2, 2)
    assert nx.shortest_path_length(walk, b, a) == 1
    assert nx.shortest_path_length(drive, b, a) > 1  # must go around the one-way block
    assert set(node_components(net)) == {0}


def _roads(lines: list[LineString], **cols: list[Any]) -> gpd.GeoDataFrame:
    n = len(lines)
    data = {
        "id": [f"R-{k + 1:04d}" for k in range(n)],
        "name": [None] * n,
        "highway": ["residential"] * n,
        "lanes": [1] * n,
        "speed_kph": [36.0] * n,
        "oneway": [False] * n,
    }
    data.update(cols)
    return gpd.GeoDataFrame(data, geometry=lines, crs=UTM48N)


def test_endpoints_merge_at_one_millimetre() -> None:
    x0, y0 = 640000.0, 3256000.0
    lines = [
        LineString([(x0, y0), (x0 + 100, y0)]),
        LineString([(x0 + 100.0004, y0), (x0 + 200, y0)]),  # 0.4 mm off: same node
        LineString([(x0 + 200.005, y0), (x0 + 300, y0)]),  # 5 mm off: a separate node
    ]
    net = build_network(_roads(lines))
    assert net.n_nodes == 5
    assert net.travel_time_s[0] == pytest.approx(10.0)  # 100 m at 36 km/h = 10 m/s
    assert list(node_components(net)).count(0) == 3


def test_osm_classes_map_to_the_nearest_class() -> None:
    x0, y0 = 640000.0, 3256000.0
    lines = [LineString([(x0 + 100 * k, y0), (x0 + 100 * k + 100, y0)]) for k in range(4)]
    net = build_network(
        _roads(
            lines, highway=["living_street", "primary_link", "steps", "track"], lanes=[1, 2, 1, 1]
        )
    )
    assert list(net.edge_highway[::2]) == ["residential", "primary", "footway", "service"]
    assert list(net.capacity_vph[::2]) == [1000.0, 3600.0, 0.0, 600.0]
    assert not net.drivable[4] and net.walkable[4]


def test_walk_and_drive_columns_override_the_class() -> None:
    x0, y0 = 640000.0, 3256000.0
    lines = [LineString([(x0, y0), (x0 + 100, y0)]), LineString([(x0 + 100, y0), (x0 + 200, y0)])]
    net = build_network(
        _roads(lines, highway=["motorway", "footway"], walk=[True, None], drive=[None, True])
    )
    assert net.walkable.all() and net.drivable.all()


def test_build_network_errors() -> None:
    line = LineString([(640000, 3256000), (640100, 3256000)])
    with pytest.raises(NetworkError, match="projected"):
        build_network(_roads([line]).set_crs(4326, allow_override=True))
    with pytest.raises(NetworkError, match="no features"):
        build_network(_roads([]))
    with pytest.raises(NetworkError, match="feature 'R-0001', field 'highway': 'runway'"):
        build_network(_roads([line], highway=["runway"]))


def test_snap_points_respects_mode(tiny_network: RoadNetwork) -> None:
    net = tiny_network
    pts = gpd.GeoSeries(
        [Point(_xy(*node_lonlat(0, 1))), Point(_xy(*node_lonlat(2.02, 2)))], crs=UTM48N
    )
    idx, dist = snap_points(net, pts, mode="car")
    assert list(idx) == [node_at(net, 0, 1), node_at(net, 2, 2)]
    assert dist[0] < 1e-3 and dist[1] == pytest.approx(0.02 * 194.04, rel=2e-3)
    in_4326 = gpd.GeoSeries([Point(*node_lonlat(1, 1))], crs=4326)
    assert snap_points(net, in_4326, mode="walk")[0][0] == node_at(net, 1, 1)


def test_snap_points_car_skips_footway_only_nodes() -> None:
    x0, y0 = 640000.0, 3256000.0
    lines = [
        LineString([(x0, y0), (x0 + 100, y0)]),
        LineString([(x0 + 100, y0), (x0 + 100, y0 + 50)]),
    ]
    net = build_network(_roads(lines, highway=["residential", "footway"]))
    pts = gpd.GeoSeries([Point(x0 + 100, y0 + 60)], crs=UTM48N)
    walk_node, walk_d = snap_points(net, pts, mode="walk")
    car_node, car_d = snap_points(net, pts, mode="car")
    assert walk_d[0] == pytest.approx(10.0) and car_d[0] == pytest.approx(60.0)
    assert walk_node[0] != car_node[0]


def test_snap_tiny_area(tiny_area: Area, tiny_network: RoadNetwork) -> None:
    snapped = snap_area(tiny_area, tiny_network)
    assert snapped.warnings == ()
    assert list(snapped.assembly_points.ids) == ["AP-1", "AP-2"]
    assert list(snapped.assembly_points.walk_node) == [
        node_at(tiny_network, 0, 2),
        node_at(tiny_network, 2, 2),
    ]
    assert (snapped.assembly_points.walk_dist_m < 20).all()
    # grids join at a corner of their own cell (the corners are the nodes nearest the centre)
    corners = {node_at(tiny_network, i, j) for i in (0, 1) for j in (0, 1)}
    assert int(snapped.grids.walk_node[0]) in corners


def _tiny_area_with(tmp_path: Path, **overrides: Any) -> Area:
    return load_area(write_tiny_area(tmp_path, **overrides))


def test_facility_far_from_roads_is_an_error(tmp_path: Path) -> None:
    shelters = tiny_features("shelters")
    shelters[1]["geometry"]["coordinates"] = [106.4400, 29.4301]  # ~2 km west of the grid
    area = _tiny_area_with(tmp_path, shelters=shelters)
    with pytest.raises(NetworkError) as info:
        snap_area(area, build_network(area.roads))
    message = str(info.value)
    assert message.startswith("layer 'shelters', feature 'S-2': is ")
    assert "m from the nearest road (limit 300 m)" in message
    distance = float(message.split("is ")[1].split(" m")[0])
    assert 1900 < distance < 2050  # 0.0199 deg of longitude at 29.43 N = 1.93 km, to node (0,0)
    assert isinstance(info.value, SnapError) and len(info.value.problems) == 1


def _isolated_extras(road_ok: bool) -> dict[str, Any]:
    """An isolated street ~1 km east with a populated grid and a team base on it."""
    roads = tiny_features("roads")
    a, b = node_lonlat(7, 0), node_lonlat(8, 0)
    roads.append(
        {
            "type": "Feature",
            "properties": {
                "id": "R-0099",
                "name": "Far Lane",
                "highway": "residential",
                "lanes": 1,
                "speed_kph": 30.0,
                "oneway": False,
            },
            "geometry": {"type": "LineString", "coordinates": [list(a), list(b)]},
        }
    )
    grids = tiny_features("grids")
    far = copy.deepcopy(grids[0])
    ring = [node_lonlat(*p) for p in ((7, 0), (8, 0), (8, 1), (7, 1), (7, 0))]
    far["properties"] |= {
        "id": "G-009",
        "population_day": 10 if not road_ok else 0,
        "population_night": 0,
        "needs_assistance": 0,  # at most the population
    }
    far["geometry"] = {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}
    teams = tiny_features("team_bases")
    team = copy.deepcopy(teams[0])
    team["properties"]["id"] = "TM-2"
    team["geometry"]["coordinates"] = list(node_lonlat(7.5, 0.1))
    return {"roads": roads, "grids": [*grids, far], "team_bases": [*teams, team]}


def test_isolated_component_is_reported_as_a_road_piece(tmp_path: Path) -> None:
    """A team base on a road of its own: a second piece of both networks, with its size."""
    from evacsim.network.pieces import road_pieces

    area = _tiny_area_with(tmp_path, **_isolated_extras(road_ok=True))
    net = build_network(area.roads)
    snapped = snap_area(area, net)
    assert snapped.warnings == ()
    assert snapped.node_component.max() == 1
    pieces = road_pieces(area, net, snapped, period="day")
    assert pieces.counts == {"driving": 2, "walking": 2}
    table = pieces.table
    assert list(table["network"]) == ["driving and walking"]  # the same piece, said once
    assert list(table["facilities"]) == ["TM-2"] and list(table["nodes"]) == [2]
    far_road_m = float(net.length_m[net.edge_road_id == "R-0099"][0])
    assert table["road_m"].tolist() == pytest.approx([far_road_m], abs=0.1)
    assert all("TM-2" in w and "road piece 2" in w for w in pieces.warnings)


def test_populated_grid_without_reachable_assembly_point_is_an_error(tmp_path: Path) -> None:
    area = _tiny_area_with(tmp_path, **_isolated_extras(road_ok=False))
    with pytest.raises(
        NetworkError, match="layer 'grids', feature 'G-009': no assembly point is reachable"
    ):
        snap_area(area, build_network(area.roads))


def test_components_rank_largest_first() -> None:
    x0, y0 = 640000.0, 3256000.0
    lines = [LineString([(x0, y0), (x0 + 10, y0)])]  # small component first in the data
    lines += [LineString([(x0 + 500 + 10 * k, y0), (x0 + 510 + 10 * k, y0)]) for k in range(3)]
    comp = node_components(build_network(_roads(lines)))
    assert sorted(np.bincount(comp).tolist(), reverse=True) == np.bincount(comp).tolist() == [4, 2]
