"""Exposure along trajectories, toxic dose and Purser FED (ISO 20414 Test 19)."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from evacsim.errors import HazardError
from evacsim.hazard.build import build_threat_zones
from evacsim.hazard.exposure import (
    dose_ppm_min,
    exposure_along,
    exposure_summary,
    fed_rate_per_min,
    incapacitation_time_s,
    purser_fed_time_s,
    time_in_levels,
    toxic_fed,
)
from evacsim.hazard.spec import HazardSpec, WeatherSpec
from evacsim.hazard.zones import ThreatZones

CRS = "EPSG:32648"
X0, Y0 = 650_000.0, 3_257_000.0


def _layer() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": ["CL-1"], "name": ["store"], "category": ["store"], "substance": ["chlorine"],
         "inventory_kg": [1000.0]},
        geometry=[Point(X0, Y0)], crs=CRS,
    )  # fmt: skip


def _radius_zones(start_s: float = 0.0) -> ThreatZones:
    spec = HazardSpec.model_validate(
        {"model": "radius", "source": "CL-1", "start_s": start_s,
         "radii_m": {"red": 300, "orange": 800, "yellow": 1500}}
    )  # fmt: skip
    return build_threat_zones(spec, WeatherSpec(), hazard_sources=_layer(), crs=CRS)


def _plume_zones() -> ThreatZones:
    spec = HazardSpec(model="toxic_plume", source="CL-1", release_rate_kg_s=1.0)
    weather = WeatherSpec(wind_from_deg=90, wind_speed_m_s=2.0, stability="D")
    return build_threat_zones(spec, weather, hazard_sources=_layer(), crs=CRS)


def test_radial_walk_times_in_levels() -> None:
    # walking outward at 1.25 m/s: red 300 m, orange 500 m, yellow 700 m of the path
    v = 1.25
    xy = np.array([[X0, Y0], [X0 + 2000, Y0]])
    t = np.array([0.0, 2000 / v])
    got = time_in_levels(_radius_zones(), xy, t)
    assert got == pytest.approx([300 / v, 500 / v, 700 / v], rel=0.01)


def test_zones_count_only_after_ignition() -> None:
    xy = np.array([[X0 + 10, Y0], [X0 + 10, Y0]])
    got = time_in_levels(_radius_zones(start_s=100), xy, np.array([0.0, 400.0]))
    assert got == pytest.approx([300.0, 0.0, 0.0])


def test_polyline_and_stationary_parts() -> None:
    # 100 s standing in orange, then a straight walk out to yellow and beyond at 1 m/s
    xy = np.array([[X0 + 500, Y0], [X0 + 500, Y0], [X0 + 2000, Y0]])
    t = np.array([0.0, 100.0, 1600.0])
    got = time_in_levels(_radius_zones(), xy, t)
    assert got == pytest.approx([0.0, 100 + 300, 700], rel=0.01)


def test_bad_trajectory() -> None:
    with pytest.raises(HazardError, match="t_s"):
        time_in_levels(_radius_zones(), np.zeros((3, 2)), np.array([0.0, 2.0, 1.0]))


def test_plume_dose_for_a_person_standing_downwind() -> None:
    z = _plume_zones()
    # wind from the east: the plume goes west; person 600 m west on the centreline
    x, y = X0 - 600, Y0
    c = float(z.concentration_ppm(x, y, 400.0))
    assert c > z.levels[0].threshold
    xy = np.array([[x, y], [x, y]])
    t = np.array([0.0, 3600.0])
    # cloud arrives at 600/2 = 300 s and passes after the 600 s release: dose = C · 10 min
    assert dose_ppm_min(z, xy, t) == pytest.approx(c * 10.0, rel=0.01)
    assert toxic_fed(z, xy, t) == pytest.approx(c**2 * 10.0 / (20.0**2 * 60.0), rel=0.01)
    assert z.aegl_duration_min == 60 and z.toxic_load_exponent == 2.0
    assert toxic_fed(z, xy, t, exponent=1.0, reference_min=10.0) == pytest.approx(
        c * 10.0 / (20.0 * 10.0), rel=0.01
    )
    record = exposure_along(z, xy, t)
    assert record["time_red_s"] == pytest.approx(600.0, rel=0.01)
    assert record["fed"] == pytest.approx(toxic_fed(z, xy, t))


def test_no_dose_upwind() -> None:
    z = _plume_zones()
    xy = np.array([[X0 + 600, Y0], [X0 + 600, Y0]])
    assert dose_ppm_min(z, xy, np.array([0.0, 3600.0])) == 0.0


def test_dose_only_for_toxic_models() -> None:
    with pytest.raises(HazardError, match="no concentration field"):
        dose_ppm_min(_radius_zones(), np.zeros((2, 2)), np.array([0.0, 1.0]))
    assert exposure_along(_radius_zones(), np.zeros((2, 2)), np.array([0.0, 1.0]))["fed"] == 0.0


# ISO 20414 Test 19 (pyFDS-Evac verification page; FDS+Evac guide §4.2): hand-calculated t*
ISO_TEST_19 = [
    (1000.01, 2.0, 15.0003, 981.71),
    (0.0, 0.0, 12.0002, 1666.49),
    (1000.01, 0.0, 21.0003, 1692.82),
    (1000.01, 3.43, 21.0003, 846.50),
]


@pytest.mark.parametrize(("co", "co2", "o2", "t_star"), ISO_TEST_19)
def test_iso_20414_test_19_fed_times(co: float, co2: float, o2: float, t_star: float) -> None:
    assert purser_fed_time_s(co, co2, o2) == pytest.approx(t_star, rel=1e-4)
    # pass criterion of the source: incapacitated at the first dose update after t*
    dt = 1.0
    t = incapacitation_time_s(co, co2, o2, dt_s=dt)
    assert t_star - 0.05 <= t < t_star + dt


def test_fed_rate_terms() -> None:
    # clean air: no CO, no CO2, 20.9 % O2 -> no dose
    assert float(fed_rate_per_min(0.0, 0.0, 20.9)) == 0.0
    assert math.isinf(purser_fed_time_s(0.0, 0.0, 20.9))
    rates = fed_rate_per_min(np.array([500.0, 1000.0]), 0.0, 21.0)
    assert rates[1] / rates[0] == pytest.approx(2**1.036)


def test_exposure_summary() -> None:
    df = pd.DataFrame(
        {"grid_id": ["G-1", "G-1", "G-2", "G-3"], "persons": [10, 5, 20, 7],
         "time_red_s": [0.0, 60.0, 0.0, 0.0], "time_orange_s": [30.0, 0.0, 10.0, 0.0],
         "time_yellow_s": [0.0, 0.0, 100.0, 0.0], "fed": [0.0, 1.2, 0.1, 0.0]}
    )  # fmt: skip
    out = exposure_summary(df)
    assert out["persons_in_red"] == 5
    assert out["person_s_in_orange"] == 10 * 30 + 20 * 10
    assert out["persons_fed_over_1"] == 5
    assert [g["grid_id"] for g in out["worst_grids"]] == ["G-1", "G-2"]
