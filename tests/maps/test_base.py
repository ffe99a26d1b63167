"""Tests of evacsim.maps.base: the area map's layers, popups, escaping, geometry handling.

Oracles: the synthetic area is built in UTM 48N (EPSG:32648) from known longitude/latitude, so the
map's EPSG:4326 coordinates must give those values back; buffer areas are compared with pi r^2.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import folium
import geopandas as gpd
import pytest
from pyproj import CRS, Transformer
from shapely.geometry import LineString, Point, Polygon, shape

from evacsim.errors import AreaError, HazardError
from evacsim.maps._offline import external_references
from evacsim.maps.base import area_map, save_map
from evacsim.maps.layers import zone_shapes
from evacsim.maps.ui import MapUI

UTM = CRS.from_epsg(32648)
LON0, LAT0 = 106.46, 29.43
XSS = "<script>alert(1)</script>"
CONTEXT = "Context (rivers, railways)"
TEMPLATE_XSS = "Depot `${alert(2)}` \\"


def _origin() -> tuple[float, float]:
    x0, y0 = Transformer.from_crs(4326, UTM, always_xy=True).transform(LON0, LAT0)
    return float(x0), float(y0)


def _gdf(rows: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=UTM)


@dataclass(frozen=True, eq=False)
class SyntheticArea:
    """The attributes of evacsim.area.Area that the map reads."""

    roads: gpd.GeoDataFrame
    grids: gpd.GeoDataFrame
    assembly_points: gpd.GeoDataFrame
    shelters: gpd.GeoDataFrame
    hazard_sources: gpd.GeoDataFrame
    supply_points: gpd.GeoDataFrame
    team_bases: gpd.GeoDataFrame
    crs: CRS = UTM
    name: str = "Synthetic"
    meta: dict[str, Any] = field(default_factory=dict)
    context: gpd.GeoDataFrame | None = None


def build_area() -> SyntheticArea:
    """Two 500 m grids, five roads (one named like an XSS attack), one facility of each kind."""
    x0, y0 = _origin()

    def p(dx: float, dy: float) -> tuple[float, float]:
        return (x0 + dx, y0 + dy)

    road = {"lanes": 2, "speed_kph": 40.0, "oneway": False}
    straight = LineString([p(i * 10.0, 0.0) for i in range(101)])  # 101 collinear vertices
    roads = _gdf(
        [
            {"id": "R-0001", "name": "Main St", "highway": "primary", **road, "geometry": straight},
            {
                "id": "R-0002",
                "name": "",
                "highway": "residential",
                **road,
                "geometry": LineString([p(500, 0), p(500, 500)]),
            },
            {
                "id": "R-0003",
                "name": "Kink Rd",
                "highway": "service",
                **road,
                "geometry": LineString([p(0, 600), p(100, 605), p(200, 600)]),
            },
            {
                "id": "R-0004",
                "name": "Link",
                "highway": "primary_link",
                **road,
                "geometry": LineString([p(1000, 0), p(1200, 250)]),
            },
            {
                "id": "R-0009",
                "name": XSS,
                "highway": "residential",
                **road,
                "geometry": LineString([p(0, -600), p(400, -600)]),
            },
        ]
    )
    grid = {"town": "Tiaozhen", "needs_assistance": 12, "car_share": 0.4}
    grids = _gdf(
        [
            {
                "id": "G-001",
                "community": "Funiuxi",
                "group": "1",
                "population_day": 321,
                "population_night": 654,
                "assembly_point": "AP-1",
                **grid,
                "geometry": Polygon([p(0, 0), p(500, 0), p(500, 500), p(0, 500)]),
            },
            {
                "id": "G-002",
                "community": "Funiuxi",
                "group": "2",
                "population_day": 100,
                "population_night": 200,
                "assembly_point": "AP-1",
                **grid,
                "geometry": Polygon([p(500, 0), p(1000, 0), p(1000, 500), p(500, 500)]),
            },
        ]
    )
    return SyntheticArea(
        roads=roads,
        grids=grids,
        assembly_points=_gdf(
            [
                {
                    "id": "AP-1",
                    "name": "School yard",
                    "capacity_persons": 800,
                    "geometry": Point(p(250, 700)),
                }
            ]
        ),
        shelters=_gdf(
            [
                {
                    "id": "S-1",
                    "name": TEMPLATE_XSS,
                    "capacity_persons": 1234,
                    "geometry": Point(p(1200, 250)),
                }
            ]
        ),
        hazard_sources=_gdf(
            [{"id": "T-01", "name": "Tank 1", "category": "tank", "geometry": Point(p(750, 250))}]
        ),
        supply_points=_gdf(
            [{"id": "SP-1", "name": "Depot", "stock_water_l": 5000, "geometry": Point(p(-200, 0))}]
        ),
        team_bases=_gdf(
            [
                {
                    "id": "TM-1",
                    "name": "Fire team",
                    "members": 40,
                    "vehicles": 3,
                    "geometry": Point(p(-200, 300)),
                }
            ]
        ),
    )


def zones_around_tank(radii_m: tuple[float, float, float] = (100.0, 200.0, 300.0)) -> dict:
    """Red/orange/yellow discs around T-01 (in the area's CRS)."""
    x0, y0 = _origin()
    centre = Point(x0 + 750, y0 + 250)
    return {
        lvl: centre.buffer(r) for lvl, r in zip(("red", "orange", "yellow"), radii_m, strict=True)
    }


def _layer(m: folium.Map, name: str) -> Any:
    for child in m._children.values():
        if getattr(child, "layer_name", None) == name:
            return child
    raise AssertionError(f"no layer {name!r}")


@pytest.fixture(scope="module")
def area() -> SyntheticArea:
    return build_area()


@pytest.fixture(scope="module")
def page(area: SyntheticArea) -> str:
    m = area_map(area, zones=zones_around_tank(), evacuating_grid_ids={"G-001"})
    return m.get_root().render()


def test_coordinates_come_back_to_wgs84_rounded(area: SyntheticArea) -> None:
    roads = _layer(area_map(area), "Roads").data["features"]
    lon, lat = roads[0]["geometry"]["coordinates"][0]
    assert lon == pytest.approx(LON0, abs=2e-6) and lat == pytest.approx(LAT0, abs=2e-6)
    for feat in roads:
        for x, y in feat["geometry"]["coordinates"]:
            assert round(x, 6) == x and round(y, 6) == y


def test_geometry_simplified_to_about_one_metre(area: SyntheticArea) -> None:
    roads = {
        f["properties"]["tooltip_html"]: f for f in _layer(area_map(area), "Roads").data["features"]
    }
    # 101 collinear vertices carry no shape: two remain; a 5 m kink (> 1 m tolerance) stays.
    assert len(roads["Main St"]["geometry"]["coordinates"]) == 2
    assert len(roads["Kink Rd"]["geometry"]["coordinates"]) == 3


def test_names_are_escaped_as_text(area: SyntheticArea, page: str) -> None:
    assert XSS not in page
    roads = _layer(area_map(area), "Roads").data["features"]
    (bad,) = [f["properties"] for f in roads if "alert(1)" in f["properties"]["popup_html"]]
    assert "<b>&lt;script&gt;alert(1)&lt;/script&gt;</b>" in bad["popup_html"]
    assert bad["tooltip_html"] == "&lt;script&gt;alert(1)&lt;/script&gt;"
    # a backtick or ${ } would break out of folium's JS template literals
    assert "`${alert(2)}`" not in page and "${alert" not in page
    assert "&#96;&#36;{alert(2)}&#96;" in page


def test_grid_popup_and_colour(area: SyntheticArea) -> None:
    m = area_map(area, evacuating_grid_ids={"G-001"})
    layer = _layer(m, "Grids")
    feats = {f["properties"]["tooltip_html"]: f for f in layer.data["features"]}
    g1, g2 = feats["Grid G-001"], feats["Grid G-002"]
    html1 = g1["properties"]["popup_html"]
    for text in ("Funiuxi", "321", "654", "12", "AP-1 (School yard)", "Evacuating</th><td>yes"):
        assert text in html1
    assert "Evacuating</th><td>no" in g2["properties"]["popup_html"]
    assert layer.style_function(g1)["fillColor"] != layer.style_function(g2)["fillColor"]


def test_zones_drawn_outermost_first_with_thresholds(area: SyntheticArea) -> None:
    labels = {"red": "37.5 kW/m²", "orange": "12.5 kW/m²", "yellow": "4 kW/m²"}
    m = area_map(area, zones=zones_around_tank(), zone_labels=labels)
    feats = _layer(m, "Threat zones").data["features"]
    assert [f["properties"]["level"] for f in feats] == ["yellow", "orange", "red"]
    assert "37.5 kW/m²" in feats[2]["properties"]["popup_html"]
    to_utm = Transformer.from_crs(4326, UTM, always_xy=True)
    for feat, radius in zip(feats, (300.0, 200.0, 100.0), strict=True):
        ring = [to_utm.transform(x, y) for x, y in feat["geometry"]["coordinates"][0]]
        assert Polygon(ring).area == pytest.approx(math.pi * radius**2, rel=0.01)
    assert "12.5 kW/m²" in m.get_root().render()  # in the legend


def test_zone_adapter_reads_a_threat_zones_object() -> None:
    class Zones:
        thresholds: ClassVar[dict[str, str]] = {"red": "10 kW/m²", "yellow": "2 kW/m²"}

        def final(self) -> dict:
            return {k: v for k, v in zones_around_tank().items() if k != "orange"}

    shapes = zone_shapes(Zones())
    assert [(s.level, s.label) for s in shapes] == [("yellow", "2 kW/m²"), ("red", "10 kW/m²")]
    assert shape(shapes[1].geometry).area == pytest.approx(math.pi * 100.0**2, rel=0.01)


def test_unknown_zone_level_is_rejected() -> None:
    with pytest.raises(HazardError, match="'purple'"):
        zone_shapes({"purple": Point(0, 0).buffer(1)})


def test_missing_grid_field_names_layer_and_field(area: SyntheticArea) -> None:
    broken = SyntheticArea(**{**area.__dict__, "grids": area.grids.drop(columns="community")})
    with pytest.raises(AreaError, match="layer 'grids': field 'community'"):
        area_map(broken)


def test_facilities_markers_and_popups(page: str) -> None:
    for text in ("School yard", "800", "1234", "Tank 1", "5000", "Fire team", "40"):
        assert text in page
    assert page.count("L.circleMarker(") == 5


def test_no_tiles_by_default_and_layer_control(area: SyntheticArea) -> None:
    m = area_map(area)
    kinds = [type(c).__name__ for c in m._children.values()]
    assert "TileLayer" not in kinds and "LayerControl" in kinds
    assert "TileLayer" in [type(c).__name__ for c in area_map(area, tiles=True)._children.values()]


def test_fit_bounds_encloses_every_layer(area: SyntheticArea) -> None:
    m = area_map(area)
    (ui,) = [c for c in m._children.values() if isinstance(c, MapUI)]
    (south, west), (north, east) = ui.bounds
    inv = Transformer.from_crs(UTM, 4326, always_xy=True)
    for dx, dy in ((-200, 0), (1200, 250), (0, -600), (250, 700)):  # extreme features
        lon, lat = inv.transform(_origin()[0] + dx, _origin()[1] + dy)
        assert west - 1e-6 <= lon <= east + 1e-6 and south - 1e-6 <= lat <= north + 1e-6


def test_save_map_is_offline(area: SyntheticArea, tmp_path: Path) -> None:
    out = save_map(area_map(area, zones=zones_around_tank()), tmp_path / "map.html")
    assert out.exists() and [p.name for p in tmp_path.iterdir()] == ["map.html"]
    assert external_references(out.read_text(encoding="utf-8")) == []


def test_real_threat_zones_object_gives_thresholds_and_crs(area: SyntheticArea) -> None:
    from evacsim.hazard.zones import ThreatLevel, ThreatZones

    levels = tuple(
        ThreatLevel(lv, kw, "kW/m²", f"label {lv}")
        for lv, kw in (("red", 10.0), ("orange", 5.0), ("yellow", 2.0))
    )
    discs = zones_around_tank()
    zones = ThreatZones(model="pool_fire", levels=levels, timeline=((0.0, discs),), crs=UTM)
    shapes = zone_shapes(zones)
    assert [(s.level, s.label) for s in shapes] == [
        ("yellow", "2 kW/m² (label yellow)"),
        ("orange", "5 kW/m² (label orange)"),
        ("red", "10 kW/m² (label red)"),
    ]
    feats = _layer(area_map(area, zones=zones), "Threat zones").data["features"]
    assert "10 kW/m² (label red)" in feats[2]["properties"]["popup_html"]


YANGTZE = "长江 Yangtze River"


@pytest.fixture(scope="module")
def context_area(area: SyntheticArea) -> SyntheticArea:
    """The synthetic area with a river south of it and a railway named like an XSS attack."""
    x0, y0 = _origin()
    river = Polygon([(x0 - 300, y0 - 900), (x0 + 1300, y0 - 900), (x0 + 1300, y0 - 700),
                     (x0 - 300, y0 - 700)])  # fmt: skip
    rail = LineString([(x0 - 300, y0 - 650), (x0 + 1300, y0 - 650)])
    context = _gdf(
        [
            {"id": "CX-1", "name": YANGTZE, "kind": "water", "geometry": river},
            {"id": "CX-2", "name": XSS, "kind": "railway", "geometry": rail},
            {"id": "CX-3", "name": None, "kind": "boundary", "geometry": rail.offset_curve(50)},
        ]
    )
    return dataclasses.replace(area, context=context)


def test_context_is_drawn_first_with_styles_by_kind(context_area: SyntheticArea) -> None:
    m = area_map(context_area)
    names = [c.layer_name for c in m._children.values() if hasattr(c, "layer_name")]
    assert names.index(CONTEXT) < names.index("Grids") < names.index("Roads")
    layer = _layer(m, CONTEXT)
    water, rail, boundary = layer.data["features"]
    assert [f["properties"]["kind"] for f in (water, rail, boundary)] == [
        "water",
        "railway",
        "boundary",
    ]
    water_style, rail_style = layer.style_function(water), layer.style_function(rail)
    assert water_style["fill"] is True and water_style["fillColor"] == "#a5d8ff"
    assert rail_style["fill"] is False and rail_style["dashArray"]
    assert rail_style["color"] == "#343a40"
    # drawn only: a tooltip, no popup
    assert "popup_html" not in water["properties"]
    assert boundary["properties"]["tooltip_html"] == "boundary CX-3"
    # the river's area survives the round trip to EPSG:4326 (1600 m x 200 m)
    to_utm = Transformer.from_crs(4326, UTM, always_xy=True)
    ring = [to_utm.transform(x, y) for x, y in water["geometry"]["coordinates"][0]]
    assert Polygon(ring).area == pytest.approx(1600.0 * 200.0, rel=1e-4)


def test_context_names_escaped_in_page_and_legend(context_area: SyntheticArea) -> None:
    layer = _layer(area_map(context_area), CONTEXT)
    tips = [f["properties"]["tooltip_html"] for f in layer.data["features"]]
    assert tips[:2] == [YANGTZE, "&lt;script&gt;alert(1)&lt;/script&gt;"]
    page = area_map(context_area).get_root().render()
    assert XSS not in page
    assert json.dumps(YANGTZE)[1:-1] in page  # folium writes JSON with \uXXXX escapes
    assert json.dumps(CONTEXT) in page  # in the layer control
    assert ">water</div>" in page and ">railway</div>" in page  # legend rows


def test_context_does_not_widen_the_view(area: SyntheticArea, context_area: SyntheticArea) -> None:
    def bounds(a: SyntheticArea) -> Any:
        (ui,) = [c for c in area_map(a)._children.values() if isinstance(c, MapUI)]
        return ui.bounds

    assert bounds(context_area) == bounds(area)


def test_context_without_kind_names_layer_and_field(context_area: SyntheticArea) -> None:
    assert context_area.context is not None
    broken = dataclasses.replace(context_area, context=context_area.context.drop(columns="kind"))
    with pytest.raises(AreaError, match="layer 'context': field 'kind'"):
        area_map(broken)


def test_no_context_layer_without_context(area: SyntheticArea) -> None:
    page = area_map(area).get_root().render()
    assert json.dumps(CONTEXT) not in page and ">water</div>" not in page


def test_feature_collection_writes_what_shapely_maps() -> None:
    """Lines are converted all at once; the GeoJSON is exactly shapely's ``mapping``."""
    import json

    from shapely.geometry import LineString, MultiLineString, Point, Polygon, mapping

    from evacsim.maps.layers import feature_collection

    geoms = [
        LineString([(106.51, 29.41), (106.5123456, 29.4154321), (106.52, 29.42)]),
        MultiLineString([[(0, 0), (1, 1)], [(2, 2), (3, 3), (4, 5.5)]]),
        Point(1, 2),
        Polygon([(0, 0), (1, 0), (1, 1)]),
        LineString(),
        LineString([(0, 0, 1), (1, 1, 2)]),
        LineString([(9, 9), (8, 8)]),
    ]
    props = [{"k": k} for k in range(len(geoms))]
    got = feature_collection(geoms, props)
    assert [f["id"] for f in got["features"]] == [str(k) for k in range(len(geoms))]
    assert json.dumps([f["geometry"] for f in got["features"]]) == json.dumps(
        [mapping(g) for g in geoms]
    )
    with pytest.raises(ValueError, match="as many"):
        feature_collection(geoms, props[:-1])
