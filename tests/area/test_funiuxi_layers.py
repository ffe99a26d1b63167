"""The bundled Funiuxi area (``maps/funiuxi``): reproducible, complete, and topologically sound.

Oracles are the facts the area is built from (5 assembly points, 8 shelters, 5 supply points,
6 teams of 200+, 6 enterprises, 10 major hazard sources, 53 tanks, a 300,000 m³ depot; Zhongba
Road 60 km/h with 4 lanes each way) and geometric rules (roads meet only at shared endpoints,
never touch the river, cross the railway only on bridges or the level crossing). The layers are
read with plain ``json`` and shapely, not with ``evacsim.area``.
"""

from __future__ import annotations

import json
import math
import re
import sys
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from pyproj import Transformer
from shapely import STRtree
from shapely import transform as shapely_transform
from shapely.geometry import LineString, MultiPoint, Point, shape

from tests.support.paths import FUNIUXI

MAP_DIR = FUNIUXI
sys.path.insert(0, str(MAP_DIR))

import make_layers as ml  # noqa: E402

LAYERS = ml.LAYERS
FACILITIES = ("assembly_points", "shelters", "supply_points", "team_bases")
Feature = dict[str, Any]


@pytest.fixture(scope="module")
def layers() -> dict[str, list[Feature]]:
    """The committed layers, as GeoJSON features."""
    out = {}
    for name in LAYERS:
        data = json.loads((MAP_DIR / f"{name}.geojson").read_text(encoding="utf-8"))
        assert data["type"] == "FeatureCollection"
        out[name] = data["features"]
    return out


@pytest.fixture(scope="module")
def to_m() -> Transformer:
    return Transformer.from_crs("EPSG:4326", "EPSG:32648", always_xy=True)


def _metric(feature: Feature, to_m: Transformer) -> Any:
    project: Any = to_m.transform  # (x, y) -> (x, y); the stubs only know the interleaved form
    return shapely_transform(shape(feature["geometry"]), project, interleaved=False)


@pytest.fixture(scope="module")
def roads_m(layers: dict[str, list[Feature]], to_m: Transformer) -> list[LineString]:
    return [_metric(f, to_m) for f in layers["roads"]]


def _ids(features: list[Feature]) -> list[str]:
    return [f["properties"]["id"] for f in features]


# --- (1) reproducible ---------------------------------------------------------------------------


def test_generator_reproduces_committed_files_byte_for_byte(tmp_path: Path) -> None:
    ml.write_layers(tmp_path)
    for name in LAYERS:
        committed = (MAP_DIR / f"{name}.geojson").read_bytes()
        assert (tmp_path / f"{name}.geojson").read_bytes() == committed, name


def test_files_are_one_feature_per_line(layers: dict[str, list[Feature]]) -> None:
    for name in LAYERS:
        text = (MAP_DIR / f"{name}.geojson").read_text(encoding="utf-8")
        assert text.endswith("]}\n")
        assert len(text.splitlines()) == len(layers[name]) + 2, name
        coords = re.findall(r"-?\d+\.\d+", text.split('"geometry"', 1)[-1])
        assert all(len(c.split(".")[1]) <= 7 for c in coords)


# --- (2) counts, ids, references, columns ---------------------------------------------------------


def test_counts_and_ids(layers: dict[str, list[Feature]]) -> None:
    roads = _ids(layers["roads"])
    assert len(roads) >= 600
    assert roads == [f"R-{k:04d}" for k in range(1, len(roads) + 1)]
    by_cat: dict[str, list[str]] = {}
    for f in layers["hazard_sources"]:
        by_cat.setdefault(f["properties"]["category"], []).append(f["properties"]["id"])
    assert by_cat["enterprise"] == [f"E-{k}" for k in range(1, 7)]
    assert by_cat["major_hazard_source"] == [f"HS-{k:02d}" for k in range(1, 11)]
    assert by_cat["tank"] == [f"T-{k:02d}" for k in range(1, 54)]
    assert by_cat["store"] == ["CL-1"]
    assert _ids(layers["assembly_points"]) == [f"AP-{k}" for k in range(1, 6)]
    assert _ids(layers["shelters"]) == [f"S-{k}" for k in range(1, 9)]
    assert _ids(layers["supply_points"]) == [f"SP-{k}" for k in range(1, 6)]
    assert _ids(layers["team_bases"]) == [f"TM-{k}" for k in range(1, 7)]
    grids = _ids(layers["grids"])
    assert len(grids) >= 40
    assert grids == [f"G-{k:03d}" for k in range(1, len(grids) + 1)]
    assert sum(f["properties"]["members"] for f in layers["team_bases"]) >= 200
    assert _ids(layers["context"]) == ["CX-1", "CX-2"]
    for name in LAYERS:
        assert len(set(_ids(layers[name]))) == len(layers[name]), name


def test_references_resolve(layers: dict[str, list[Feature]]) -> None:
    aps = set(_ids(layers["assembly_points"]))
    assert {f["properties"]["assembly_point"] for f in layers["grids"]} <= aps
    props = [f["properties"] for f in layers["hazard_sources"]]
    enterprises = {p["id"] for p in props if p["category"] == "enterprise"}
    sources = {p["id"]: p for p in props if p["category"] == "major_hazard_source"}
    assert {p["enterprise"] for p in sources.values()} <= enterprises
    for p in props:
        if p["category"] == "tank":
            assert p["hazard_source"] in sources
            assert sources[p["hazard_source"]]["enterprise"] == p["enterprise"]
    store = props[-1]
    assert store["substance"] == "chlorine" and store["inventory_kg"] > 0


def test_road_columns_follow_the_contract(layers: dict[str, list[Feature]]) -> None:
    classes = {"trunk", "primary", "secondary", "tertiary", "residential", "service", "footway"}
    for f in layers["roads"]:
        p = f["properties"]
        assert f["geometry"]["type"] == "LineString"
        assert p["highway"] in classes
        assert isinstance(p["lanes"], int) and p["lanes"] >= 1
        assert p["speed_kph"] > 0
        for key in ("oneway", "walk", "drive", "bridge", "level_crossing"):
            assert isinstance(p[key], bool), (p["id"], key)
        if p["highway"] == "footway":
            assert p["width_m"] > 0 and not p["drive"]


def test_named_main_roads_match_the_facts(
    layers: dict[str, list[Feature]], roads_m: list[LineString]
) -> None:
    props = [f["properties"] for f in layers["roads"]]
    zhongba = [p for p in props if (p["name"] or "").startswith("中坝路 Zhongba Road")]
    assert zhongba and all(
        (p["highway"], p["lanes"], p["speed_kph"]) == ("trunk", 4, 60.0) for p in zhongba
    )  # dual 8 lanes at 60 km/h (facts §3)
    binjiang = [p for p in props if (p["name"] or "").startswith("滨江路")]
    assert binjiang and all((p["highway"], p["lanes"]) == ("primary", 2) for p in binjiang)
    names = " ".join(p["name"] or "" for p in props)
    for needle in ("华福路", "建桥大道", "跳磴立交", "陈家隔立交"):
        assert needle in names
    # The viaduct passes over local streets with no common vertex.
    tree = STRtree(roads_m)
    over = 0
    for i, p in enumerate(props):
        if p["highway"] == "trunk" and p["bridge"]:
            hits = tree.query(roads_m[i], predicate="crosses")
            over += sum(props[j]["highway"] != "trunk" for j in hits)
    assert over >= 3


# --- (3) topology -------------------------------------------------------------------------------


def test_roads_meet_only_at_shared_endpoints_unless_bridged(
    layers: dict[str, list[Feature]],
) -> None:
    props = [f["properties"] for f in layers["roads"]]
    lines = [LineString(f["geometry"]["coordinates"]) for f in layers["roads"]]
    ends = [{line.coords[0], line.coords[-1]} for line in lines]
    tree = STRtree(lines)
    bad = []
    for i, j in zip(*tree.query(lines, predicate="intersects"), strict=True):
        if i >= j or props[i]["bridge"] or props[j]["bridge"]:
            continue
        shared = ends[i] & ends[j]
        rest = lines[i].intersection(lines[j])
        if shared:
            rest = rest.difference(MultiPoint(list(shared)))
        if not rest.is_empty:
            bad.append((props[i]["id"], props[j]["id"]))
    assert bad == []


def test_no_road_touches_the_river(roads_m: list[LineString]) -> None:
    river = ml.river_polygon_m()
    frame = ml.frame_polygon_m()
    assert river.intersection(frame).area > 1e6  # the river really is inside the map
    hits = STRtree(roads_m).query(river, predicate="intersects")
    assert list(hits) == []


def test_context_draws_the_river_and_the_railway(
    layers: dict[str, list[Feature]], roads_m: list[LineString], to_m: Transformer
) -> None:
    props = [f["properties"] for f in layers["context"]]
    assert [(p["name"], p["kind"]) for p in props] == [
        ("长江 Yangtze River", "water"),
        ("成渝铁路 Chengdu–Chongqing railway", "railway"),
    ]
    river, rail = (_metric(f, to_m) for f in layers["context"])
    frame = ml.frame_polygon_m()
    assert frame.buffer(1.0).contains(river) and frame.buffer(1.0).contains(rail)
    expected_river = ml.river_polygon_m() & frame
    assert river.symmetric_difference(expected_river).area < 1e-3 * expected_river.area
    assert rail.hausdorff_distance(ml.railway_line_m() & frame) < 0.1  # 7-decimal rounding
    ends = (Point(rail.coords[0]), Point(rail.coords[-1]))
    assert all(frame.exterior.distance(p) < 1.0 for p in ends)  # it crosses the whole map
    assert list(STRtree(roads_m).query(river, predicate="intersects")) == []


def test_railway_is_crossed_only_by_bridges_and_the_level_crossing(
    layers: dict[str, list[Feature]], roads_m: list[LineString]
) -> None:
    rail = ml.railway_line_m()
    props = [f["properties"] for f in layers["roads"]]
    crossing = [props[i] for i in STRtree(roads_m).query(rail, predicate="intersects")]
    assert len(crossing) >= 4
    assert all(p["bridge"] or p["level_crossing"] for p in crossing)
    assert sum(p["level_crossing"] for p in crossing) >= 1


def _graph(features: list[Feature], *, drive_only: bool = False) -> nx.Graph:
    graph = nx.Graph()
    for f in features:
        if drive_only and not f["properties"]["drive"]:
            continue
        coords = f["geometry"]["coordinates"]
        a, b = (tuple(round(c, 7) for c in coords[k]) for k in (0, -1))
        graph.add_edge(a, b)
    return graph


def test_road_graph_is_connected(layers: dict[str, list[Feature]]) -> None:
    assert nx.is_connected(_graph(layers["roads"]))
    assert nx.is_connected(_graph(layers["roads"], drive_only=True))


def test_everything_lies_in_the_4km_frame(roads_m: list[LineString], to_m: Transformer) -> None:
    frame = ml.frame_polygon_m().buffer(1.0)
    assert all(frame.contains(line) for line in roads_m)
    x, y = to_m.transform(106.46, 29.43)  # the depot's working estimate is the depot centre
    depot = ml.Frame.create().point_m(*ml.DEPOT_UV)
    assert math.dist((x, y), depot) < 0.01
    assert Point(x, y).distance(frame.centroid) < 1000.0


# --- (4) facilities, hazard sources and grids ------------------------------------------------


def test_facilities_lie_within_150_m_of_a_road_endpoint(
    layers: dict[str, list[Feature]], roads_m: list[LineString], to_m: Transformer
) -> None:
    ends = STRtree([Point(c) for line in roads_m for c in (line.coords[0], line.coords[-1])])
    for name in FACILITIES:
        for f in layers[name]:
            here = _metric(f, to_m)
            near = ends.geometries[ends.nearest(here)]
            assert here.distance(near) <= 150.0, f["properties"]["id"]


def test_facility_capacities(layers: dict[str, list[Feature]]) -> None:
    aps = [f["properties"]["capacity_persons"] for f in layers["assembly_points"]]
    shelters = [f["properties"]["capacity_persons"] for f in layers["shelters"]]
    assert all(2_000 <= c <= 12_000 for c in aps)
    assert all(500 <= c <= 5_000 for c in shelters)
    night = sum(f["properties"]["population_night"] for f in layers["grids"])
    assert sum(shelters) < night  # shelter capacity must matter
    for f in layers["supply_points"]:
        stocks = [v for k, v in f["properties"].items() if k.startswith("stock_")]
        assert len(stocks) == 4 and all(isinstance(v, int) and v >= 0 for v in stocks)


def _tanks(layers: dict[str, list[Feature]]) -> list[dict[str, Any]]:
    return [
        f["properties"] for f in layers["hazard_sources"] if f["properties"]["category"] == "tank"
    ]


def test_depot_capacity_and_tank_geometry(layers: dict[str, list[Feature]]) -> None:
    tanks = _tanks(layers)
    depot = [t for t in tanks if t["enterprise"] == "E-1"]
    assert 285_000 <= sum(t["capacity_m3"] for t in depot) <= 315_000  # 300,000 m³ (facts §1)
    assert len(depot) > len(tanks) / 2
    for t in tanks:
        d, v = t["diameter_m"], t["capacity_m3"]
        if t["kind"] in ("floating_roof", "fixed_roof"):
            assert 11.5 <= 4 * v / (math.pi * d * d) <= 20.5, t["id"]  # shell height, m
            assert t["substance"] != "lpg"
        elif t["kind"] == "pressurised_sphere":
            assert math.pi * d**3 / 6 == pytest.approx(v, rel=0.03)
            assert t["substance"] == "lpg"
        else:
            assert t["kind"] == "horizontal_bullet" and t["substance"] == "lpg"
    t07 = next(t for t in tanks if t["id"] == "T-07")  # the default scenario's source
    assert (t07["enterprise"], t07["substance"], t07["kind"]) == (
        "E-1",
        "gasoline",
        "floating_roof",
    )


def test_dikes_hold_their_tanks(layers: dict[str, list[Feature]]) -> None:
    groups: dict[str, list[dict[str, Any]]] = {}
    for t in _tanks(layers):
        groups.setdefault(t["hazard_source"], []).append(t)
    for hs, tanks in groups.items():
        area = {t["dike_area_m2"] for t in tanks}
        assert len(area) == 1, hs  # one shared dike per group
        footprints = sorted(math.pi * t["diameter_m"] ** 2 / 4 for t in tanks)
        assert area.pop() > sum(footprints), hs
        if tanks[0]["kind"] in ("floating_roof", "fixed_roof"):
            largest = max(t["capacity_m3"] for t in tanks)
            share = 0.5 if all(t["kind"] == "floating_roof" for t in tanks) else 1.0
            net = tanks[0]["dike_area_m2"] - sum(footprints[:-1])
            assert net * 2.0 >= share * largest * 0.99, hs  # 2.0 m wall holds the largest tank


def test_grids_tile_populated_land(
    layers: dict[str, list[Feature]], roads_m: list[LineString], to_m: Transformer
) -> None:
    grids = [_metric(f, to_m) for f in layers["grids"]]
    river = ml.river_polygon_m()
    tanks = [  # the depot's tank farm is not populated land
        _metric(f, to_m)
        for f in layers["hazard_sources"]
        if f["properties"]["category"] == "tank" and f["properties"]["enterprise"] == "E-1"
    ]
    assert len(tanks) >= 27
    roads = STRtree(roads_m)
    for f, g in zip(layers["grids"], grids, strict=True):
        gid = f["properties"]["id"]
        assert g.is_valid and g.area > 10_000.0, gid
        assert g.intersection(river).area < 1.0, gid
        assert not any(g.contains(t) for t in tanks), gid
        assert len(roads.query(g, predicate="intersects")) > 0, gid
    tree = STRtree(grids)
    for i, j in zip(*tree.query(grids, predicate="intersects"), strict=True):
        if i < j:
            assert grids[i].intersection(grids[j]).area < 1.0


def test_grid_population(layers: dict[str, list[Feature]], to_m: Transformer) -> None:
    props = [f["properties"] for f in layers["grids"]]
    night = sum(p["population_night"] for p in props)
    day = sum(p["population_day"] for p in props)
    assert 20_000 <= night <= 200_000 and 10_000 <= day <= 200_000
    for p in props:
        assert 0.2 <= p["car_share"] <= 0.6
        assert 0 <= p["needs_assistance"] <= 0.05 * p["population_night"] + 1
        if "Industrial Park" in p["town"]:
            assert p["population_day"] > p["population_night"]
    by_community = Counter(p["community"] for p in props)
    assert len(by_community) >= 5
    depot = Point(to_m.transform(106.46, 29.43))
    near_day = sum(
        f["properties"]["population_day"]
        for f in layers["grids"]
        if _metric(f, to_m).centroid.distance(depot) <= 1_500.0
    )
    ap_total = sum(f["properties"]["capacity_persons"] for f in layers["assembly_points"])
    assert ap_total >= 0.6 * near_day


def test_area_toml() -> None:
    meta = tomllib.loads((MAP_DIR / "area.toml").read_text(encoding="utf-8"))
    assert meta["name"] == "Funiuxi (伏牛溪), Dadukou, Chongqing"
    assert meta["attribution"] and meta["notes"]
