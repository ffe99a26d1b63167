"""Loading and checking an area: the valid tiny area, and every broken variant issue 2 lists."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import pytest

from evacsim.area.layers import AreaValidationError, coerce_value, load_area
from evacsim.area.schema import LAYER_SCHEMAS, schema_markdown
from evacsim.errors import AreaError
from tests.support.tiny_area import node_lonlat, tiny_features, write_tiny_area

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lon, lat) points on the mean-radius sphere."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def test_tiny_area_loads_projected_and_sorted(tiny_area_dir: Path) -> None:
    area = load_area(tiny_area_dir)
    assert area.crs.to_epsg() == 32648  # UTM 48N covers 102-108 E
    assert area.name == "tiny"
    assert area.warnings == ()
    counts = {name: len(area.layer(name)) for name in LAYER_SCHEMAS}
    assert counts == {
        "roads": 14,
        "grids": 4,
        "assembly_points": 2,
        "shelters": 2,
        "hazard_sources": 2,
        "supply_points": 1,
        "team_bases": 1,
        "context": 0,
    }
    for name in LAYER_SCHEMAS:
        gdf = area.layer(name)
        assert gdf.crs == area.crs
        assert list(gdf["id"]) == sorted(gdf["id"])
        assert [c.name for c in LAYER_SCHEMAS[name].all_columns] == list(
            gdf.columns[: len(LAYER_SCHEMAS[name].all_columns)]
        )
    assert list(area.hazard_sources["id"]) == ["CL-1", "T-01"]
    assert area.roads["lanes"].dtype == np.int64
    assert area.roads["oneway"].dtype == bool


def geodesic_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """WGS 84 ellipsoidal distance between two (lon, lat) points (Karney's algorithm, pyproj)."""
    return float(pyproj.Geod(ellps="WGS84").inv(a[0], a[1], b[0], b[1])[2])


def test_projection_preserves_lengths(tiny_area: Any) -> None:
    """UTM scale factor is within [0.9996, 1.0002] here (1.5 deg from the central meridian).

    The sphere (haversine) is 0.2 % short east-west at 29.4 N: the ellipsoid's prime-vertical radius
    there is 6383 km, not 6371 km.
    """
    road = tiny_area.roads.set_index("id").loc["R-0001"]
    a, b = node_lonlat(0, 0), node_lonlat(1, 0)
    assert road.geometry.length == pytest.approx(geodesic_m(a, b), rel=5e-4)
    assert road.geometry.length == pytest.approx(haversine_m(a, b), rel=3e-3)


def test_optional_layers_absent_are_empty_with_schema_columns(tmp_path: Path) -> None:
    folder = write_tiny_area(tmp_path, supply_points=None, team_bases=None, hazard_sources=None)
    area = load_area(folder)
    for name in ("supply_points", "team_bases", "hazard_sources", "context"):
        gdf = area.layer(name)
        assert len(gdf) == 0
        assert [c.name for c in LAYER_SCHEMAS[name].all_columns] == [
            c for c in gdf.columns if c != "geometry"
        ]
        assert gdf.crs == area.crs


def test_area_toml_is_read(tmp_path: Path) -> None:
    text = 'name = "Funiuxi test"\nattribution = "hand drawn"\n'
    area = load_area(write_tiny_area(tmp_path, area_toml=text))
    assert area.name == "Funiuxi test"
    assert area.meta["attribution"] == "hand drawn"


def _set(layer: str, fid: str, **props: Any) -> dict[str, Any]:
    feats = tiny_features(layer)
    for f in feats:
        if f["properties"]["id"] == fid:
            f["properties"].update(props)
    return {layer: feats}


def test_booleans_arrive_as_01_or_yes_no(tmp_path: Path) -> None:
    feats = tiny_features("roads")
    for f in feats:
        f["properties"]["oneway"] = "yes" if f["properties"]["oneway"] else 0
    area = load_area(write_tiny_area(tmp_path, roads=feats))
    oneway = area.roads.set_index("id")["oneway"]
    assert oneway.dtype == bool
    assert list(oneway[oneway].index) == ["R-0006"]


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        ("no", "bool", (True, False)),
        ("Yes", "bool", (True, True)),
        (1, "bool", (True, True)),
        (2, "bool", (False, 2)),
        (2.0, "int", (True, 2)),
        (2.5, "int", (False, 2.5)),
        ("3", "int", (True, 3)),
        (True, "int", (False, True)),
        ("many", "float", (False, "many")),
        (7, "str", (True, "7")),
        (float("nan"), "float", (True, None)),
    ],
)
def test_coerce_value(value: Any, kind: str, expected: tuple[bool, Any]) -> None:
    assert coerce_value(value, kind) == expected


def _without(layer: str, fid: str, prop: str) -> dict[str, Any]:
    feats = tiny_features(layer)
    for f in feats:
        if f["properties"]["id"] == fid:
            del f["properties"][prop]
    return {layer: feats}


def _drop_column(layer: str, prop: str) -> dict[str, Any]:
    feats = tiny_features(layer)
    for f in feats:
        f["properties"].pop(prop, None)
    return {layer: feats}


def _geometry(layer: str, fid: str, geometry: dict[str, Any] | None) -> dict[str, Any]:
    feats = tiny_features(layer)
    for f in feats:
        if f["properties"]["id"] == fid:
            f["geometry"] = geometry
    return {layer: feats}


def _duplicate_road() -> dict[str, Any]:
    feats = tiny_features("roads")
    feats[2]["properties"]["id"] = "R-0002"
    return {"roads": feats}


def _crs_member(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = {"type": "FeatureCollection", "features": tiny_features("roads")}
    doc["crs"] = {"type": "name", "properties": {"name": name}}
    return {"roads": doc}


def _projected_without_crs() -> dict[str, Any]:
    feats = tiny_features("assembly_points")
    feats[0]["geometry"]["coordinates"] = [641600.0, 3257100.0]
    return {"assembly_points": feats}


BOW_TIE = {
    "type": "Polygon",
    "coordinates": [
        [[106.46, 29.43], [106.462, 29.4318], [106.462, 29.43], [106.46, 29.4318], [106.46, 29.43]]
    ],
}

BAD_CASES: dict[str, tuple[Callable[[], dict[str, Any]], list[str]]] = {
    "missing required layer": (
        lambda: {"assembly_points": None},
        ["required layer 'assembly_points' is missing"],
    ),
    "missing column": (
        lambda: _drop_column("roads", "lanes"),
        ["roads.geojson: layer 'roads': required column 'lanes' is missing"],
    ),
    "empty required value": (
        lambda: _without("grids", "G-003", "town"),
        ["layer 'grids', feature 'G-003', field 'town': is empty"],
    ),
    "wrong dtype": (
        lambda: _set("grids", "G-002", population_day="many"),
        [
            "grids.geojson: layer 'grids', feature 'G-002', field 'population_day': "
            "'many' is not an integer"
        ],
    ),
    "non-integral int": (
        lambda: _set("roads", "R-0004", lanes=1.5),
        ["feature 'R-0004', field 'lanes': 1.5 is not an integer"],
    ),
    "out of bounds": (
        lambda: _set("grids", "G-004", car_share=1.7),
        ["layer 'grids', feature 'G-004', field 'car_share': 1.7 is outside [0, 1]"],
    ),
    "zero speed": (
        lambda: _set("roads", "R-0007", speed_kph=0),
        ["feature 'R-0007', field 'speed_kph': 0.0 is outside (0, 200]"],
    ),
    "unknown road class": (
        lambda: _set("roads", "R-0001", highway="runway"),
        ["feature 'R-0001', field 'highway': 'runway' is not one of"],
    ),
    "wrong geometry type": (
        lambda: _geometry(
            "assembly_points",
            "AP-1",
            {"type": "LineString", "coordinates": [[106.46, 29.43], [106.461, 29.43]]},
        ),
        ["feature 'AP-1', field 'geometry': is a LineString, expected Point"],
    ),
    "invalid geometry": (
        lambda: _geometry("grids", "G-001", BOW_TIE),
        ["feature 'G-001', field 'geometry': is invalid (Self-intersection"],
    ),
    "null geometry": (
        lambda: _geometry("shelters", "S-2", None),
        ["feature 'S-2', field 'geometry': is missing or empty"],
    ),
    "duplicate ids": (
        _duplicate_road,
        ["layer 'roads', feature 'R-0002', field 'id': used by 2 features"],
    ),
    "empty roads": (lambda: {"roads": []}, ["layer 'roads' has no features"]),
    "unknown CRS": (
        lambda: _crs_member("urn:ogc:def:crs:EPSG::999999"),
        ["roads.geojson: layer 'roads': CRS 'urn:ogc:def:crs:EPSG::999999' is not a known"],
    ),
    "projected coordinates, no CRS": (
        _projected_without_crs,
        [
            "layer 'assembly_points', feature 'AP-1', field 'geometry': "
            "coordinates (641600, 3257100) are outside the range"
        ],
    ),
    "grid assigned to a missing AP": (
        lambda: _set("grids", "G-002", assembly_point="AP-9"),
        [
            "layer 'grids', feature 'G-002', field 'assembly_point': "
            "'AP-9' is not an id in assembly_points"
        ],
    ),
    "tank lacking tank fields": (
        lambda: _without("hazard_sources", "T-01", "diameter_m"),
        ["layer 'hazard_sources', feature 'T-01', field 'diameter_m': a tank needs it"],
    ),
    "store lacking inventory": (
        lambda: _without("hazard_sources", "CL-1", "inventory_kg"),
        ["feature 'CL-1', field 'inventory_kg': a store needs it"],
    ),
    "malformed file": (
        lambda: {"shelters": "{not json"},
        ["shelters.geojson: layer 'shelters': cannot be read"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_bad_input_names_file_layer_feature_field(tmp_path: Path, case: str) -> None:
    make, fragments = BAD_CASES[case]
    folder = write_tiny_area(tmp_path, **make())
    with pytest.raises(AreaError) as info:
        load_area(folder)
    message = str(info.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message
    assert isinstance(info.value, ValueError)


def test_all_problems_are_collected(tmp_path: Path) -> None:
    grids = tiny_features("grids")
    grids[0]["properties"]["car_share"] = -0.1
    grids[1]["properties"]["assembly_point"] = "AP-7"
    folder = write_tiny_area(tmp_path, grids=grids, shelters=None)
    with pytest.raises(AreaValidationError) as info:
        load_area(folder)
    problems = info.value.problems
    assert len(problems) == 3
    assert str(info.value) == f"{problems[0]} (and 2 more problems)"
    assert any("'shelters' is missing" in p for p in problems)
    assert any("G-001" in p and "car_share" in p for p in problems)
    assert any("G-002" in p and "AP-7" in p for p in problems)


def test_bad_toml_is_a_problem(tmp_path: Path) -> None:
    with pytest.raises(AreaError, match=r"area\.toml: not valid TOML"):
        load_area(write_tiny_area(tmp_path, area_toml="name = = 3"))


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(AreaError, match="no such area folder"):
        load_area(tmp_path / "nowhere")


def _write_gpkg(area_dir: Path, target: Path, *, drop_crs: str | None = None) -> None:
    for name in LAYER_SCHEMAS:
        if not (area_dir / f"{name}.geojson").is_file():
            continue  # an optional layer the area does not have
        gdf = gpd.read_file(area_dir / f"{name}.geojson")
        if name == drop_crs:
            with pytest.warns(UserWarning, match="'crs' was not provided"):
                gdf.set_crs(None, allow_override=True).to_file(target, layer=name, driver="GPKG")
        else:
            gdf.to_file(target, layer=name, driver="GPKG")


def test_one_geopackage_gives_the_same_area(tiny_area_dir: Path, tmp_path: Path) -> None:
    gpkg = tmp_path / "tiny.gpkg"
    _write_gpkg(tiny_area_dir, gpkg)
    from_gpkg = load_area(gpkg)
    from_json = load_area(tiny_area_dir)
    assert from_gpkg.crs == from_json.crs
    for name in LAYER_SCHEMAS:
        a, b = from_gpkg.layer(name), from_json.layer(name)
        assert list(a["id"]) == list(b["id"])
        assert np.allclose(a.geometry.centroid.x, b.geometry.centroid.x, atol=1e-6)


def test_geopackage_layer_without_crs_is_an_error(tiny_area_dir: Path, tmp_path: Path) -> None:
    gpkg = tmp_path / "nocrs.gpkg"
    _write_gpkg(tiny_area_dir, gpkg, drop_crs="shelters")
    with pytest.raises(AreaError, match=r"nocrs\.gpkg: layer 'shelters': has no CRS"):
        load_area(gpkg)


def test_schema_markdown_lists_every_column() -> None:
    text = schema_markdown()
    for layer in LAYER_SCHEMAS.values():
        for col in layer.all_columns:
            assert f"| {layer.name} | `{col.name}` |" in text
    assert "| grids | `car_share` | float, [0, 1] | required |" in text


def _context_feature(fid: str, kind: str, geometry: dict[str, Any], name: str = "") -> Any:
    return {
        "type": "Feature",
        "properties": {"id": fid, "name": name, "kind": kind},
        "geometry": geometry,
    }


def _write_context(folder: Path, features: list[Any]) -> None:
    doc = {"type": "FeatureCollection", "features": features}
    (folder / "context.geojson").write_text(json.dumps(doc, ensure_ascii=False), "utf-8")


def _tiny_context() -> list[Any]:
    a, b = node_lonlat(0, -0.5), node_lonlat(2, -0.5)
    river = [node_lonlat(0, -1), node_lonlat(2, -1), node_lonlat(2, -0.8), node_lonlat(0, -0.8)]
    return [
        _context_feature("CX-2", "railway", {"type": "LineString", "coordinates": [a, b]}),
        _context_feature(
            "CX-1",
            "water",
            {"type": "Polygon", "coordinates": [[*river, river[0]]]},
            name="长江 Yangtze River",
        ),
    ]


def test_context_layer_loads_and_projects(tiny_area_dir: Path) -> None:
    _write_context(tiny_area_dir, _tiny_context())
    area = load_area(tiny_area_dir)
    ctx = area.context
    assert ctx.crs == area.crs
    assert list(ctx["id"]) == ["CX-1", "CX-2"]
    assert list(ctx["kind"]) == ["water", "railway"]
    assert list(ctx["name"]) == ["长江 Yangtze River", None]  # an empty name is allowed
    rail = ctx.geometry.iloc[1]
    a, b = node_lonlat(0, -0.5), node_lonlat(2, -0.5)
    assert rail.length == pytest.approx(geodesic_m(a, b), rel=5e-4)
    ring = [node_lonlat(0, -1), node_lonlat(2, -1), node_lonlat(2, -0.8), node_lonlat(0, -0.8)]
    lons, lats = [p[0] for p in ring], [p[1] for p in ring]
    geod_area_m2, _ = pyproj.Geod(ellps="WGS84").polygon_area_perimeter(lons, lats)
    assert ctx.geometry.iloc[0].area == pytest.approx(abs(geod_area_m2), rel=1e-3)
    assert area.warnings == ()


def test_context_kind_must_be_known(tiny_area_dir: Path) -> None:
    feats = _tiny_context()
    feats[0]["properties"]["kind"] = "canal"
    _write_context(tiny_area_dir, feats)
    with pytest.raises(AreaError) as info:
        load_area(tiny_area_dir)
    message = str(info.value)
    assert "\n" not in message
    assert "context.geojson: layer 'context', feature 'CX-2', field 'kind': 'canal'" in message
    assert "water, railway, boundary, other" in message


def test_context_points_are_refused(tiny_area_dir: Path) -> None:
    feats = _tiny_context()
    feats[1]["geometry"] = {"type": "Point", "coordinates": node_lonlat(0, -1)}
    _write_context(tiny_area_dir, feats)
    with pytest.raises(AreaError, match=r"feature 'CX-1', field 'geometry': is a Point"):
        load_area(tiny_area_dir)
