"""OSM import on a hand-written extract (tests/data/osm/tiny.osm); no network access."""

from __future__ import annotations

import bz2
import math
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pytest

from evacsim.area.layers import load_area
from evacsim.area.osm import (
    MAX_SEGMENT_M,
    graph_from_osm,
    parse_lanes,
    parse_speed_kph,
    write_roads_geojson,
)
from evacsim.errors import NetworkError
from evacsim.network.graph import RoadNetwork, build_network
from tests.support.paths import DATA
from tests.support.tiny_area import write_tiny_area

TINY_OSM = DATA / "osm" / "tiny.osm"
# node id -> (lon, lat), as written in tiny.osm
NODES = {
    1: (106.4600, 29.4300),
    2: (106.4610, 29.4300),
    3: (106.4620, 29.4300),
    4: (106.4610, 29.4310),
    5: (106.4610, 29.4290),
    6: (106.4620, 29.4310),
    7: (106.4620, 29.4320),
    8: (106.4614, 29.4316),
    15: (106.4625, 29.4290),
}
BUILDING_AND_LANDUSE_NODES = {
    9: (106.4603, 29.4303),
    11: (106.4606, 29.4306),
    13: (106.4600, 29.4280),
}


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance on the mean-radius sphere (6371.0088 km), metres."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


@pytest.fixture(scope="module")
def osm_roads() -> gpd.GeoDataFrame:
    return graph_from_osm(TINY_OSM)


@pytest.fixture(scope="module")
def osm_net(osm_roads: gpd.GeoDataFrame) -> RoadNetwork:
    return build_network(osm_roads)


def node_index(net: RoadNetwork, osm_node: int) -> int:
    x, y = (
        gpd.GeoSeries(gpd.points_from_xy(*zip(NODES[osm_node], strict=True)), crs=4326)
        .to_crs(net.crs)
        .iloc[0]
        .coords[0]
    )
    d = np.hypot(net.node_x_m - x, net.node_y_m - y)
    assert d.min() < 1e-3, f"OSM node {osm_node} is not a network node"
    return int(d.argmin())


def test_only_highway_ways_become_roads(osm_roads: gpd.GeoDataFrame, osm_net: RoadNetwork) -> None:
    assert set(osm_roads["osm_ids"]) == {"100", "101", "102", "103", "104"}
    assert osm_roads.crs.to_epsg() == 32648
    pts = gpd.GeoSeries(
        gpd.points_from_xy(*zip(*BUILDING_AND_LANDUSE_NODES.values(), strict=True)), crs=4326
    ).to_crs(osm_net.crs)
    for p in pts:
        assert np.hypot(osm_net.node_x_m - p.x, osm_net.node_y_m - p.y).min() > 20
        assert osm_roads.distance(p).min() > 20


def test_topology_and_attributes(osm_roads: gpd.GeoDataFrame) -> None:
    by_way = osm_roads.groupby("osm_ids")
    # ways 100 and 101 are split where they cross at node 2; 102 (221 m, longer than
    # MAX_SEGMENT_M = 200 m) in two equal pieces; the others stay whole
    assert by_way.size().to_dict() == {"100": 2, "101": 2, "102": 2, "103": 1, "104": 1}
    half = osm_roads[osm_roads["osm_ids"] == "102"].geometry.length
    assert half.iloc[0] == pytest.approx(half.iloc[1]) and half.max() <= MAX_SEGMENT_M
    assert len(set(osm_roads["id"])) == len(osm_roads)
    primary = osm_roads[osm_roads["osm_ids"] == "102"].iloc[0]
    assert primary["oneway"] and primary["highway"] == "primary"
    assert primary["lanes"] == 2  # one-way: all lanes in one direction
    assert primary["speed_kph"] == pytest.approx(30 * 1.609344)  # "30 mph"
    west = osm_roads[osm_roads["osm_ids"] == "100"]
    assert (west["lanes"] == 1).all()  # lanes=2 on a two-way street: 1 per direction
    assert (west["speed_kph"] == 30.0).all() and (~west["oneway"]).all()
    assert osm_roads[osm_roads["osm_ids"] == "104"].iloc[0]["oneway"]


def test_lengths_match_haversine(osm_roads: gpd.GeoDataFrame) -> None:
    expected = {
        "100": haversine_m(NODES[1], NODES[2]) + haversine_m(NODES[2], NODES[3]),
        "101": haversine_m(NODES[4], NODES[2]) + haversine_m(NODES[2], NODES[5]),
        "102": haversine_m(NODES[3], NODES[6]) + haversine_m(NODES[6], NODES[7]),
        "103": haversine_m(NODES[4], NODES[8]) + haversine_m(NODES[8], NODES[7]),
        "104": haversine_m(NODES[15], NODES[5]),
    }
    lengths = osm_roads.geometry.length.groupby(osm_roads["osm_ids"]).sum()
    for way, want in expected.items():
        assert lengths[way] == pytest.approx(want, rel=0.01)


def test_one_way_and_walk_only_in_the_network(osm_net: RoadNetwork) -> None:
    net = osm_net
    drive = {
        (int(u), int(v))
        for u, v in zip(net.edge_tail[net.drivable], net.edge_head[net.drivable], strict=True)
    }
    n = {k: node_index(net, k) for k in (2, 3, 4, 5, 7, 15)}
    # primary one-way 3 -> 7, in two pieces: cut halfway, at its middle vertex (OSM node 6)
    mid = node_index(net, 6)
    assert {(n[3], mid), (mid, n[7])} <= drive and not {(mid, n[3]), (n[7], mid)} & drive
    assert (n[5], n[15]) in drive and (n[15], n[5]) not in drive  # oneway=-1 drawn 15 -> 5
    assert (n[2], n[4]) in drive and (n[4], n[2]) in drive
    foot = net.edge_highway == "footway"
    assert foot.sum() == 2 and not net.drivable[foot].any() and net.walkable[foot].all()
    assert {(int(net.edge_tail[e]), int(net.edge_head[e])) for e in np.flatnonzero(foot)} == {
        (n[4], n[7]),
        (n[7], n[4]),
    }
    walk = nx.DiGraph(
        list(
            zip(
                net.edge_tail[net.walkable].tolist(),
                net.edge_head[net.walkable].tolist(),
                strict=True,
            )
        )
    )
    assert nx.has_path(walk, n[7], n[3])  # walkers may walk the one-way primary backwards


def test_geojson_round_trip_keeps_connectivity(
    osm_roads: gpd.GeoDataFrame, osm_net: RoadNetwork, tmp_path: Path
) -> None:
    folder = write_tiny_area(tmp_path / "area", roads=None)
    written = write_roads_geojson(osm_roads, folder)
    assert written == folder / "roads.geojson"
    assert gpd.read_file(written).crs.to_epsg() == 4326
    area = load_area(folder)
    again = build_network(area.roads)
    assert again.n_nodes == osm_net.n_nodes and again.n_edges == osm_net.n_edges

    def pairs(
        net: RoadNetwork, mask: np.ndarray
    ) -> set[tuple[tuple[float, ...], tuple[float, ...]]]:
        xy = [
            (round(float(x), 1), round(float(y), 1))
            for x, y in zip(net.node_x_m, net.node_y_m, strict=True)
        ]
        return {
            (xy[u], xy[v]) for u, v in zip(net.edge_tail[mask], net.edge_head[mask], strict=True)
        }

    assert pairs(again, again.drivable) == pairs(osm_net, osm_net.drivable)
    assert pairs(again, again.walkable) == pairs(osm_net, osm_net.walkable)


def test_bz2_and_graphml_inputs(osm_roads: gpd.GeoDataFrame, tmp_path: Path) -> None:
    packed = tmp_path / "tiny.osm.bz2"
    packed.write_bytes(bz2.compress(TINY_OSM.read_bytes()))
    assert graph_from_osm(packed)["osm_ids"].tolist() == osm_roads["osm_ids"].tolist()
    # a GraphML saved by osmnx from the raw file still holds the building and the landuse
    raw = ox.graph_from_xml(TINY_OSM, simplify=False, retain_all=True)
    graphml = tmp_path / "tiny.graphml"
    ox.save_graphml(raw, graphml)
    from_graphml = graph_from_osm(graphml)
    assert sorted(from_graphml["osm_ids"]) == sorted(osm_roads["osm_ids"])


def test_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(NetworkError, match="not an OSM extract"):
        graph_from_osm(tmp_path / "roads.shp")
    only_building = tmp_path / "building.osm"
    only_building.write_text(
        '<osm version="0.6"><node id="1" lat="29.43" lon="106.46"/>'
        '<node id="2" lat="29.431" lon="106.46"/><node id="3" lat="29.431" lon="106.461"/>'
        '<way id="9"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="1"/>'
        '<tag k="building" v="yes"/></way></osm>',
        encoding="utf-8",
    )
    with pytest.raises(NetworkError, match=r"building\.osm: holds no highway"):
        graph_from_osm(only_building)
    with pytest.raises(NetworkError, match=r"missing\.osm: cannot be read"):
        graph_from_osm(tmp_path / "missing.osm")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("50", 50.0),
        ("50 mph", 80.4672),
        ("30 km/h", 30.0),
        (["40", "60"], 40.0),
        ("none", None),
        ("RU:urban", None),
        (None, None),
    ],
)
def test_parse_speed(value: object, expected: float | None) -> None:
    got = parse_speed_kph(value)
    assert got == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize(
    ("value", "expected"), [("2", 2), ("2;3", 2), (["4", "3"], 3), ("two", None), (None, None)]
)
def test_parse_lanes(value: object, expected: int | None) -> None:
    assert parse_lanes(value) == expected
