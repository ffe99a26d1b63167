"""The saved area map in a real browser: offline, no JS errors, layers, popups, escaping.

The synthetic area is built here, in EPSG:32648 around 106.46E 29.43N: two grids, three threat
zones around a tank, a shelter of known capacity, and a road named ``<script>alert(1)</script>``
placed away from every polygon so that a click on it reaches the road.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import folium
import folium.plugins
import geopandas as gpd
import pytest
from pyproj import CRS, Transformer
from shapely.geometry import LineString, Point, Polygon

from evacsim.maps._offline import save_offline
from evacsim.maps.base import area_map, save_map

from .conftest import LoggedPage

pytestmark = pytest.mark.browser

UTM = CRS.from_epsg(32648)
XSS = "<script>alert(1)</script>"
SHELTER_NAME = "Hall `${alert(2)}`"
SHELTER_CAPACITY = 1234
N_ZONES = 3
TO_UTM = Transformer.from_crs(4326, UTM, always_xy=True)
TO_WGS = Transformer.from_crs(UTM, 4326, always_xy=True)
X0, Y0 = TO_UTM.transform(106.46, 29.43)
XSS_ROAD_M = ((X0, Y0 - 600), (X0 + 400, Y0 - 600))


def _gdf(rows: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=UTM)


def _p(dx: float, dy: float) -> tuple[float, float]:
    return (X0 + dx, Y0 + dy)


def _area() -> SimpleNamespace:
    road = {"highway": "secondary", "lanes": 2, "speed_kph": 40.0, "oneway": False}
    grid = {"community": "Funiuxi", "group": "1", "population_day": 300, "population_night": 500,
            "needs_assistance": 10, "car_share": 0.3, "assembly_point": "AP-1"}  # fmt: skip
    return SimpleNamespace(
        name="Browser test area",
        crs=UTM,
        roads=_gdf(
            [
                {
                    "id": "R-1",
                    "name": "East road",
                    **road,
                    "geometry": LineString([_p(0, 0), _p(1000, 0)]),
                },
                {"id": "R-2", "name": XSS, **road, "geometry": LineString(XSS_ROAD_M)},
            ]
        ),
        grids=_gdf(
            [
                {
                    "id": "G-001",
                    **grid,
                    "geometry": Polygon([_p(0, 0), _p(500, 0), _p(500, 500), _p(0, 500)]),
                },
                {
                    "id": "G-002",
                    **grid,
                    "geometry": Polygon([_p(500, 0), _p(1000, 0), _p(1000, 500), _p(500, 500)]),
                },
            ]
        ),
        assembly_points=_gdf(
            [
                {
                    "id": "AP-1",
                    "name": "Yard",
                    "capacity_persons": 800,
                    "geometry": Point(_p(250, 800)),
                }
            ]
        ),
        shelters=_gdf(
            [
                {
                    "id": "S-1",
                    "name": SHELTER_NAME,
                    "capacity_persons": SHELTER_CAPACITY,
                    "geometry": Point(_p(1400, 250)),
                }
            ]
        ),
        hazard_sources=_gdf(
            [{"id": "T-01", "name": "Tank", "category": "tank", "geometry": Point(_p(750, 250))}]
        ),
        supply_points=gpd.GeoDataFrame({"id": [], "name": []}, geometry=[], crs=UTM),
        team_bases=gpd.GeoDataFrame({"id": [], "name": []}, geometry=[], crs=UTM),
    )


@pytest.fixture(scope="module")
def map_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tank = Point(_p(750, 250))
    zones = {lvl: tank.buffer(r) for lvl, r in (("red", 80), ("orange", 160), ("yellow", 240))}
    assert len(zones) == N_ZONES
    m = area_map(
        _area(), zones=zones, zone_labels={"red": "10 kW/m²"}, evacuating_grid_ids={"G-002"}
    )
    return save_map(m, tmp_path_factory.mktemp("map") / "map.html")


def test_map_loads_offline_without_errors(logged_page: LoggedPage, map_file: Path) -> None:
    logged_page.open_map(map_file)
    # 2 roads + 2 grids + 3 zones + 3 point markers (AP, shelter, tank)
    assert logged_page.overlay_paths() == 2 + 2 + N_ZONES + 3
    assert logged_page.page.locator(".evacsim-legend").is_visible()
    assert logged_page.log.problems() == {}


def test_layer_control_hides_and_shows_the_zones(logged_page: LoggedPage, map_file: Path) -> None:
    logged_page.open_map(map_file)
    before = logged_page.overlay_paths()
    toggle = logged_page.page.locator(".leaflet-control-layers label", has_text="Threat zones")
    toggle.locator("input").click()
    assert logged_page.overlay_paths() == before - N_ZONES
    toggle.locator("input").click()
    assert logged_page.overlay_paths() == before
    assert logged_page.log.problems() == {}


def test_facility_popup_shows_capacity_and_name_as_text(
    logged_page: LoggedPage, map_file: Path
) -> None:
    logged_page.open_map(map_file)
    logged_page.page.locator("path.evacsim-shelters").click()
    popup = logged_page.page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert str(SHELTER_CAPACITY) in text
    assert SHELTER_NAME in text  # backtick and ${} shown literally, not evaluated
    assert logged_page.log.problems() == {}


def test_malicious_road_name_is_shown_as_text(logged_page: LoggedPage, map_file: Path) -> None:
    logged_page.open_map(map_file)
    page = logged_page.page
    (xa, ya), (xb, yb) = XSS_ROAD_M
    lon, lat = TO_WGS.transform((xa + xb) / 2, (ya + yb) / 2)
    x, y = page.evaluate(
        """([lat, lon]) => {
            const el = document.querySelector('.folium-map');
            const pt = window[el.id].latLngToContainerPoint([lat, lon]);
            const box = el.getBoundingClientRect();
            return [box.left + pt.x, box.top + pt.y];
        }""",
        [lat, lon],
    )
    assert page.evaluate("([x, y]) => document.elementFromPoint(x, y).tagName", [x, y]) == "path"
    page.mouse.click(x, y)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert XSS in popup.inner_text()
    assert popup.locator("script").count() == 0
    assert logged_page.log.dialogs == []
    assert logged_page.log.problems() == {}


def test_plugin_assets_run_offline(logged_page: LoggedPage, tmp_path: Path) -> None:
    m = folium.Map(location=(29.43, 106.46), zoom_start=14, tiles=None)
    folium.plugins.Fullscreen().add_to(m)
    folium.plugins.HeatMap([[29.43, 106.46, 1.0]]).add_to(m)
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [106.46, 29.43]},
        "properties": {"times": ["2024-01-01T00:00:00", "2024-01-01T00:10:00"]},
    }
    folium.plugins.TimestampedGeoJson(
        {"type": "FeatureCollection", "features": [feature]}, period="PT5M", auto_play=False
    ).add_to(m)
    path = save_offline(m, tmp_path / "plugins.html")
    logged_page.page.goto(path.as_uri())
    logged_page.page.wait_for_selector(".leaflet-control-zoom-fullscreen")
    logged_page.page.wait_for_selector(".timecontrol-play")
    logged_page.page.wait_for_selector(".leaflet-marker-icon")  # default icon, from a data: URI
    assert logged_page.log.problems() == {}
