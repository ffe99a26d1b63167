"""Threat zones: specs, models through build_threat_zones, nesting, time, domino, bad input."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from shapely.geometry import LineString, Point

from evacsim.errors import HazardError
from evacsim.hazard import contours
from evacsim.hazard.build import build_threat_zones, calculate
from evacsim.hazard.spec import LEVELS, HazardSpec, WeatherSpec
from evacsim.hazard.zones import ThreatZones

CRS = "EPSG:32648"
X0, Y0 = 650_000.0, 3_257_000.0
NUREG_DIKE_M2 = 2545 * 0.09290304
# gasoline in the NUREG dike: Q = 568,279 kW (reference §2, derived)
GAS_Q_KW = 568_279.0

_COLUMNS = ["id", "name", "category", "enterprise", "hazard_source", "substance", "capacity_m3",
            "diameter_m", "dike_area_m2", "kind", "inventory_kg"]  # fmt: skip


def _layer(
    rows: Sequence[tuple[object, ...]], points: Sequence[tuple[float, float]]
) -> gpd.GeoDataFrame:
    data = {c: [r[i] for r in rows] for i, c in enumerate(_COLUMNS)}
    geoms = [Point(X0 + dx, Y0 + dy) for dx, dy in points]
    return gpd.GeoDataFrame(data, geometry=geoms, crs=CRS)


def _tank(tid: str, substance: str = "gasoline", kind: str = "floating_roof") -> tuple[object, ...]:
    return (tid, tid, "tank", "E-1", "HS-01", substance, 5000.0, 20.0, NUREG_DIKE_M2, kind, None)


@pytest.fixture
def sources() -> gpd.GeoDataFrame:
    rows = [
        _tank("T-01"),
        _tank("T-02"),
        _tank("T-03"),
        _tank("T-04", "propane", "pressurized_sphere"),
        ("CL-1", "chlorine", "store", "E-2", None, "chlorine", None, None, None, None, 6000.0),
        ("HS-01", "tank farm", "major_hazard_source", "E-1", None, None, None, None, None, None,
         None),
        ("E-1", "depot", "enterprise", None, None, None, None, None, None, None, None),
    ]  # fmt: skip
    pts = [(0, 0), (25, 0), (50, 0), (400, 400), (0, 3000), (10, 0), (0, 0)]
    return _layer(rows, pts)


def _zones(
    sources: gpd.GeoDataFrame, weather: WeatherSpec | None = None, **spec: object
) -> ThreatZones:
    return build_threat_zones(
        HazardSpec.model_validate(spec), weather or WeatherSpec(), hazard_sources=sources, crs=CRS
    )


def _assert_nested(zones: ThreatZones) -> None:
    for _, polys in zones.timeline:
        for inner, outer in (("red", "orange"), ("orange", "yellow")):
            # area-based: covers() is not robust to 1e-12 m noise from the union
            outside = polys[inner].difference(polys[outer]).area
            assert outside <= 1e-9 * max(polys[inner].area, 1.0)


# --------------------------------------------------------------------------- models


def test_radius_model_and_levels(sources: gpd.GeoDataFrame) -> None:
    z = _zones(sources, model="radius", source="T-01", radii_m={"red": 300, "orange": 800,
               "yellow": 1500})  # fmt: skip
    assert [lv.name for lv in z.levels] == list(LEVELS)
    assert [lv.threshold for lv in z.levels] == [300, 800, 1500]
    assert z.distances_m() == pytest.approx({"red": 300, "orange": 800, "yellow": 1500}, rel=1e-9)
    assert z.level_at(X0 + 299, Y0, 0) == 0
    assert z.level_at(X0, Y0 + 500, 0) == 1
    assert z.level_at(X0 - 1000, Y0, 0) == 2
    assert z.level_at(X0 + 1600, Y0, 0) == 3
    _assert_nested(z)


def test_pool_fire_distances_match_reference(sources: gpd.GeoDataFrame) -> None:
    z = _zones(sources, model="pool_fire", source="T-01")
    # reference §2: gasoline in the NUREG dike -> 36.8 / 52.1 / 82.4 m
    d = z.distances_m()
    for lv, expected in zip(LEVELS, (36.8, 52.1, 82.4), strict=True):
        assert d[lv] == pytest.approx(expected, rel=0.01)
    assert z.levels[0].label == "10 kW/m² — potentially lethal within 60 s"
    assert z.outputs["T-01"]["hrr_kw"] == pytest.approx(GAS_Q_KW, rel=1e-3)


def test_pool_fire_zone_is_at_least_the_pool(sources: gpd.GeoDataFrame) -> None:
    # with very high user thresholds the point source gives R < D/2: the pool itself is red
    z = _zones(sources, model="pool_fire", source="T-01",
               thresholds={"red": 300, "orange": 200, "yellow": 100})  # fmt: skip
    pool_radius_m = math.sqrt(NUREG_DIKE_M2 / math.pi)
    assert z.distances_m()["red"] == pytest.approx(pool_radius_m, rel=1e-6)
    assert z.levels[0].unit == "kW/m²"


def test_bleve_matches_ccps_example() -> None:
    spec = HazardSpec(model="bleve", at=(106.46, 29.43), substance="propane", capacity_m3=22.7)
    out = calculate(spec, WeatherSpec())
    assert out["outputs"]["fireball_diameter_m"] == pytest.approx(132.6, rel=0.01)
    assert out["outputs"]["fireball_duration_s"] == pytest.approx(10.3, rel=0.01)
    assert out["outputs"]["flux_at_100_m_kw_m2"] == pytest.approx(89.1, rel=0.01)
    # far field q ≈ E r²/X²: 2 kW/m² at X = r sqrt(350/2)
    r = out["outputs"]["fireball_diameter_m"] / 2
    assert out["levels"]["yellow"]["distance_m"] == pytest.approx(r * math.sqrt(175), rel=0.01)


def test_vce_one_psi_radius() -> None:
    spec = HazardSpec(model="vce", at=(0.0, 0.0), substance="gasoline", mass_kg=1000)
    out = calculate(spec, WeatherSpec())
    assert out["levels"]["yellow"]["distance_m"] == pytest.approx(166.0, rel=0.01)
    assert out["levels"]["red"]["unit"] == "psi"


def test_calculator_unites_worst_case_models_level_by_level() -> None:
    # CCPS's propane BLEVE (fireball r = 66.3 m) with the VCE of the same vapour: each level
    # reaches as far as the farther model, and each model keeps its own threshold and distance
    one = {"at": (106.46, 29.43), "substance": "propane", "capacity_m3": 22.7}
    united = calculate(HazardSpec(model="bleve", worst_case=("vce",), **one), WeatherSpec())
    alone = {m: calculate(HazardSpec(model=m, **one), WeatherSpec()) for m in ("bleve", "vce")}
    assert united["model"] == "bleve+vce"
    for name, level in united["levels"].items():
        each = {m: alone[m]["levels"][name]["distance_m"] for m in alone}
        assert level["distance_m"] == max(each.values())
        assert {m: b["distance_m"] for m, b in level["by_model"].items()} == each
        assert level["by_model"]["vce"]["unit"] == "psi"
        assert level["by_model"]["bleve"]["unit"] == "kW/m²"
    r_m = 132.6 / 2
    assert united["levels"]["yellow"]["distance_m"] == pytest.approx(r_m * math.sqrt(175), rel=0.01)
    assert set(united["outputs"]) == {"bleve", "vce"}


@pytest.mark.parametrize("substance", ["diesel", "heavy_fuel_oil", "kerosene"])
def test_vce_refuses_a_non_volatile_liquid(sources: gpd.GeoDataFrame, substance: str) -> None:
    with pytest.raises(HazardError) as err:
        _zones(sources, model="vce", source="T-01", substance=substance)
    msg = str(err.value)
    assert "'T-01'" in msg and f"'{substance}'" in msg and "non-volatile" in msg
    assert "\n" not in msg


def test_vce_on_kerosene_above_its_flash_point(sources: gpd.GeoDataFrame) -> None:
    hot = WeatherSpec(temperature_c=40.0)  # Jet A-1 flash point 38 °C: now it does evaporate
    z = _zones(sources, hot, model="vce", source="T-01", substance="kerosene", mass_kg=1000)
    assert z.outputs["T-01"]["w_tnt_kg"] == pytest.approx(0.1 * 1000 * 43_200 / 4686)


@pytest.mark.parametrize("substance", ["diesel", "heavy_fuel_oil"])
def test_bleve_refuses_a_liquid(sources: gpd.GeoDataFrame, substance: str) -> None:
    with pytest.raises(HazardError) as err:
        _zones(sources, model="bleve", source="T-04", substance=substance)
    msg = str(err.value)
    assert "'T-04'" in msg and f"'{substance}'" in msg and "liquid at atmospheric" in msg


def test_urban_plume_is_shorter_and_wider(sources: gpd.GeoDataFrame) -> None:
    w = WeatherSpec(wind_from_deg=0, wind_speed_m_s=3, stability="D")
    common = {"model": "toxic_plume", "source": "CL-1", "release_rate_kg_s": 1.0}
    rural = _zones(sources, w, **common).outputs["CL-1"]
    urban = _zones(sources, w, dispersion="urban", **common).outputs["CL-1"]
    assert urban["downwind_length_m"]["red"] < 0.6 * rural["downwind_length_m"]["red"]
    # a point 1 km downwind on the centreline: the ratio of the two σ products (addendum §2)
    zr = _zones(sources, w, **common)
    zu = _zones(sources, w, dispersion="urban", **common)
    cr = float(zr.concentration_ppm(X0, Y0 + 2000, 900.0))
    cu = float(zu.concentration_ppm(X0, Y0 + 2000, 900.0))
    assert cr / cu == pytest.approx(135.2 * 122.8 / (76.3 * 37.9), rel=2e-3)


def test_urban_dispersion_only_for_plumes(sources: gpd.GeoDataFrame) -> None:
    with pytest.raises(HazardError, match=r"hazard\.dispersion"):
        _zones(sources, model="pool_fire", source="T-01", dispersion="urban")


def test_at_point_is_projected(sources: gpd.GeoDataFrame) -> None:
    z = _zones(sources, model="radius", at=(106.46, 29.43), radii_m={"red": 1, "orange": 2,
               "yellow": 3})  # fmt: skip
    x, y = pyproj.Transformer.from_crs(4326, CRS, always_xy=True).transform(106.46, 29.43)
    assert z.sources[0][1:] == pytest.approx((x, y))


def test_group_source_is_the_union_of_its_tanks(sources: gpd.GeoDataFrame) -> None:
    z = _zones(sources, model="pool_fire", source="HS-01")
    assert {s[0] for s in z.sources} == {"T-01", "T-02", "T-03", "T-04"}
    single = _zones(sources, model="pool_fire", source="T-01").final()["red"]
    assert z.final()["red"].buffer(1e-6).covers(single)
    assert z.level_at(X0 + 400, Y0 + 400, 0) == 0


# --------------------------------------------------------------------------- plume


def test_plume_goes_downwind(sources: gpd.GeoDataFrame) -> None:
    w = WeatherSpec(wind_from_deg=45, wind_speed_m_s=3, stability="D")
    z = _zones(sources, w, model="toxic_plume", source="CL-1", release_rate_kg_s=1.0)
    cx, cy = X0, Y0 + 3000
    c = z.final()["yellow"].centroid
    assert c.x < cx and c.y < cy  # wind from NE blows toward SW
    assert math.degrees(math.atan2(c.x - cx, c.y - cy)) % 360 == pytest.approx(225, abs=0.5)
    s = 500 / math.sqrt(2)
    t_late = 3000.0
    assert z.level_at(cx - s, cy - s, 400) == 0  # downwind, on the centreline, cloud present
    assert z.level_at(cx + s, cy + s, 400) == 3  # upwind
    assert z.level_at(cx - s, cy - s, t_late) == 3  # the cloud has passed (600 s release)
    _assert_nested(z)


def test_plume_front_arrival_time(sources: gpd.GeoDataFrame) -> None:
    w = WeatherSpec(wind_from_deg=0, wind_speed_m_s=4, stability="D")
    z = _zones(sources, w, model="toxic_plume", source="CL-1", release_rate_kg_s=2.0, start_s=120)
    # wind from the north: the plume goes south; a road across it 400 m south of the source
    road = LineString([(X0 - 50, Y0 + 2600), (X0 + 50, Y0 + 2600)])
    upwind = LineString([(X0 - 50, Y0 + 3400), (X0 + 50, Y0 + 3400)])
    arrival = z.arrival_time_s([road, upwind], "red")
    assert arrival[0] == pytest.approx(120 + 400 / 4, abs=0.5)
    assert math.isinf(arrival[1])
    assert z.level_at(X0, Y0 + 2600, 120 + 400 / 4 - 5) == 3
    assert z.level_at(X0, Y0 + 2600, 120 + 400 / 4 + 5) == 0
    length = z.outputs["CL-1"]["downwind_length_m"]["red"]
    assert z.timeline[-1][0] >= 120 + 600 + length / 4


def test_plume_dose_shape_nested_and_monotone_in_wind(sources: gpd.GeoDataFrame) -> None:
    lengths = []
    for u in (2.0, 4.0, 8.0):
        w = WeatherSpec(wind_speed_m_s=u, stability="D")
        z = _zones(sources, w, model="toxic_plume", source="CL-1", release_rate_kg_s=1.0)
        lengths.append(z.outputs["CL-1"]["downwind_length_m"]["red"])
    assert lengths[0] > lengths[1] > lengths[2]  # C ∝ 1/u: stronger wind, shorter zone


def test_plume_calm_fallback(sources: gpd.GeoDataFrame) -> None:
    w = WeatherSpec(wind_speed_m_s=0.0, stability="F")
    z = _zones(sources, w, model="toxic_plume", source="CL-1", release_rate_kg_s=1.0)
    assert any("calm" in msg for msg in z.warnings)
    d = z.outputs["CL-1"]["downwind_length_m"]["red"] / 2
    # every direction is downwind in calm air: points on all sides are red once reached
    for dx, dy in ((d, 0), (-d, 0), (0, d), (0, -d)):
        assert z.level_at(X0 + dx, Y0 + 3000 + dy, d / 1.0 + 10) == 0


@settings(max_examples=15, deadline=None)
@given(
    wind=st.floats(0.0, 359.9),
    speed=st.floats(1.0, 10.0),
    stability=st.sampled_from("ABCDEF"),
    rate=st.floats(0.05, 20.0),
)
def test_plume_zones_always_nested(wind: float, speed: float, stability: str, rate: float) -> None:
    rows = [("CL-1", "s", "store", None, None, "chlorine", None, None, None, None, 1000.0)]
    layer = _layer(rows, [(0.0, 0.0)])
    w = WeatherSpec(wind_from_deg=wind, wind_speed_m_s=speed, stability=stability)  # type: ignore[arg-type]
    z = build_threat_zones(
        HazardSpec(
            model="toxic_plume", source="CL-1", release_rate_kg_s=rate, frame_interval_s=300
        ),
        w,
        hazard_sources=layer,
        crs=CRS,
    )
    _assert_nested(z)
    for _, polys in z.timeline:
        assert len(shapely.get_coordinates(polys["red"])) <= 400


# --------------------------------------------------------------------------- monotonicity


@pytest.mark.parametrize(
    ("model", "key", "values", "extra"),
    [
        ("pool_fire", "dike_area_m2", (100.0, 500.0, 2000.0), {"substance": "diesel"}),
        ("bleve", "mass_kg", (1e3, 1e4, 1e5), {"substance": "propane"}),
        ("vce", "mass_kg", (1e2, 1e3, 1e4), {"substance": "gasoline"}),
        ("toxic_plume", "release_rate_kg_s", (0.05, 0.2, 0.8), {"substance": "chlorine"}),
    ],
)
def test_bigger_source_never_shrinks(
    model: str, key: str, values: tuple[float, ...], extra: dict[str, object]
) -> None:
    dist = []
    for v in values:
        out = calculate(HazardSpec.model_validate({"model": model, "at": [0, 0], key: v, **extra}),
                        WeatherSpec())  # fmt: skip
        dist.append([out["levels"][lv]["distance_m"] for lv in LEVELS])
    d = np.array(dist)
    assert np.all(np.diff(d, axis=0) > 0)
    assert np.all(np.diff(d, axis=1) > 0)  # red < orange < yellow distances


# --------------------------------------------------------------------------- time and domino


def test_fire_zones_appear_at_ignition(sources: gpd.GeoDataFrame) -> None:
    z = _zones(sources, model="pool_fire", source="T-01", start_s=300)
    assert z.at(299)["yellow"].is_empty
    assert z.level_at(X0 + 10, Y0, 299) == 3
    assert z.level_at(X0 + 10, Y0, 300) == 0
    assert z.arrival_time_s([Point(X0 + 60, Y0)], "yellow")[0] == 300


def test_domino_sequence(sources: gpd.GeoDataFrame) -> None:
    z = _zones(sources, model="pool_fire", source="T-01", domino=True, domino_time_s=600)
    # point source: q = 0.3 Q / (4π d²); T-02 at 25 m, T-03 at 50 m (25 m from T-02)
    q25 = 0.3 * GAS_Q_KW / (4 * math.pi * 25**2)
    q50 = 0.3 * GAS_Q_KW / (4 * math.pi * 50**2)
    assert q25 > 15 > q50
    seq = z.escalation
    assert [(t, tid) for t, tid, _ in seq] == [(600.0, "T-02"), (1200.0, "T-03")]
    assert seq[0][2] == pytest.approx(q25, rel=1e-3)
    assert seq[1][2] == pytest.approx(q25 + q50, rel=1e-3)
    assert "T-04" not in {tid for _, tid, _ in seq}  # propane sphere 566 m away
    edge_t03 = X0 + 50 + 36  # red radius 36.8 m around T-03 only
    assert z.level_at(edge_t03, Y0, 1199) != 0
    assert z.level_at(edge_t03, Y0, 1200) == 0


def test_burning_tanks_add_up_in_the_zones(sources: gpd.GeoDataFrame) -> None:
    # T-01, T-02, T-03 at x = 0, 25, 50 m; at (25, 120) the point sources sum (by hand) to
    # 0.3 Q/4π (1/120² + 2/(25² + 120²)) = 2.75 kW/m² with all three burning (from 1200 s), but
    # only 0.3 Q/4π (1/(25² + 120²) + 1/120²) = 1.85 with two; every single circle (82.4 m) misses
    z = _zones(sources, model="pool_fire", source="T-01", domino=True, domino_time_s=600)
    k = 0.3 * GAS_Q_KW / (4 * math.pi)
    assert k * (1 / 120**2 + 2 / (25**2 + 120**2)) == pytest.approx(2.75, abs=0.01)
    assert k * (1 / (25**2 + 120**2) + 1 / 120**2) == pytest.approx(1.85, abs=0.01)
    assert z.level_at(X0 + 25, Y0 + 120, 1199) == 3
    assert z.level_at(X0 + 25, Y0 + 120, 1200) == 2
    assert z.harm is not None
    flux = z.harm.flux_kw_m2(np.array([X0 + 25.0]), np.array([Y0 + 120.0]), np.array([1200.0]))
    assert flux[0] == pytest.approx(2.75, abs=0.01)  # the in-run harm field sees the same
    _assert_nested(z)


def test_coarse_fire_grid_is_reported(
    sources: gpd.GeoDataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(contours, "MAX_GRID_POINTS", 32 * 32)
    z = _zones(sources, model="pool_fire", source="HS-01")
    assert any("contour grid" in w for w in z.warnings)
    assert not _zones(sources, model="pool_fire", source="T-01").warnings


def test_tanks_burning_together_beyond_100_km_are_refused(sources: gpd.GeoDataFrame) -> None:
    # 2 mW/m² puts one NUREG gasoline tank's yellow edge at sqrt(0.3 Q / (4π q)) ≈ 82 km: allowed;
    # three together reach past 100 km (bounded by one fire of 3 Q: 82.4 km × √3 = 143 km)
    low = {"red": 10, "orange": 5, "yellow": 2e-6}
    one = _zones(sources, model="pool_fire", source="T-01", thresholds=low)
    assert one.distances_m()["yellow"] == pytest.approx(82_400, rel=0.01)
    with pytest.raises(HazardError, match="3 tanks burning together: the yellow zone would reach"):
        _zones(sources, model="pool_fire", source=["T-01", "T-02", "T-03"], thresholds=low)


def test_no_domino_below_threshold(sources: gpd.GeoDataFrame) -> None:
    z = _zones(sources, model="pool_fire", source="T-01", domino=True, domino_threshold_kw_m2=25)
    assert z.escalation == ()


def test_arrival_time_is_fast_for_30k_edges(sources: gpd.GeoDataFrame) -> None:
    rng = np.random.default_rng(1)
    starts = rng.uniform([X0 - 8000, Y0 - 6000], [X0 + 8000, Y0 + 10000], (30_000, 2))
    edges = shapely.linestrings(np.stack([starts, starts + np.array([60.0, 35.0])], axis=1))
    w = WeatherSpec(wind_speed_m_s=2.0)
    plume = _zones(sources, w, model="toxic_plume", source="CL-1")
    fire = _zones(sources, model="pool_fire", source="T-01", domino=True)
    for z in (plume, fire):
        t0 = time.perf_counter()
        arrival = z.arrival_time_s(edges, "yellow")
        assert time.perf_counter() - t0 < 1.0
        touched = shapely.intersects(z.final()["yellow"], edges)
        assert np.array_equal(np.isfinite(arrival), touched)


def test_to_geodataframe(sources: gpd.GeoDataFrame) -> None:
    z = _zones(sources, model="pool_fire", source="T-01")
    gdf = z.to_geodataframe("EPSG:4326")
    assert list(gdf["level"]) == list(LEVELS)
    assert gdf.crs.to_epsg() == 4326
    assert set(gdf.columns) >= {"t_s", "threshold", "unit", "label", "geometry"}


# --------------------------------------------------------------------------- bad input


def test_radii_must_increase() -> None:
    with pytest.raises(ValidationError) as err:
        HazardSpec.model_validate(
            {"model": "radius", "at": [0, 0], "radii_m": {"red": 800, "orange": 300, "yellow": 900}}
        )
    assert err.value.errors()[0]["loc"] == ("radii_m",)


def test_negative_wind_and_unknown_key_rejected() -> None:
    with pytest.raises(ValidationError, match="wind_speed_m_s"):
        WeatherSpec(wind_speed_m_s=-1)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="radius_m"):
        HazardSpec.model_validate({"model": "radius", "at": [0, 0], "radius_m": 5})


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ({"model": "pool_fire", "source": "T-99"}, r"field 'hazard.source': 'T-99' is not in"),
        ({"model": "pool_fire", "source": "T-01", "substance": "kryptonite"}, "unknown substance"),
        ({"model": "radius", "source": "T-01"}, "hazard.radii_m' is required"),
        ({"model": "toxic_plume", "source": "T-01"}, "is not toxic"),
        ({"model": "bleve", "source": "T-01"}, "not a pressurised liquefied"),
        ({"model": "bleve", "source": "T-01", "substance": "propane"}, "field 'kind'"),
        ({"model": "vce", "source": "CL-1"}, "is not flammable"),
        ({"model": "pool_fire", "source": "CL-1"}, "no pool-fire data"),
        ({"model": "vce", "source": "T-01", "domino": True}, "hazard.domino"),
        ({"model": "pool_fire"}, "hazard.source"),
        ({"model": "pool_fire", "source": "T-01", "at": [1, 2]}, "not both"),
        (
            {
                "model": "vce",
                "source": "T-01",
                "thresholds": {"red": 1e-5, "orange": 1e-6, "yellow": 1e-7},
            },
            "Kinney",
        ),
    ],
)
def test_bad_input_names_the_field(
    sources: gpd.GeoDataFrame, spec: dict[str, object], match: str
) -> None:
    with pytest.raises(HazardError, match=match) as err:
        _zones(sources, None, **spec)
    assert "\n" not in str(err.value)


def test_bleve_on_pressurised_propane_tank(sources: gpd.GeoDataFrame) -> None:
    z = _zones(sources, model="bleve", source="T-04")
    assert z.outputs["T-04"]["mass_kg"] == pytest.approx(5000 * 0.9 * 585.3)


def test_hazard_outside_the_area_warns(sources: gpd.GeoDataFrame) -> None:
    far = shapely.box(X0 + 50_000, Y0, X0 + 60_000, Y0 + 10_000)
    spec = HazardSpec(model="pool_fire", source="T-01")
    z = build_threat_zones(spec, WeatherSpec(), hazard_sources=sources, crs=CRS, extent=far)
    assert any("outside the area" in w for w in z.warnings)
    assert not z.evacuation_zone().intersects(far)
