"""Harm fields against the published numbers (reference addendum §3 and §5, reference §§2–4)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely

from evacsim.hazard.blast import overpressure_distance_m
from evacsim.hazard.harm import (
    BlastSource,
    Fireball,
    HarmField,
    PoolFireEmitter,
    thermal_dose_tdu,
    thermal_fed_rate_per_s,
)
from evacsim.hazard.plume import GaussianPlume


def test_thermal_worked_example_5_kw_m2_for_60_s() -> None:
    # addendum §3: 60 s at 5 kW/m² is 513 TDU; SFPE incapacitation after 70.55 s, FED(60 s) 0.85
    assert float(thermal_dose_tdu(5.0, 60.0)) == pytest.approx(513.0, abs=0.5)
    rate = float(thermal_fed_rate_per_s(5.0))
    assert 1.0 / rate == pytest.approx(70.55, abs=0.01)
    assert 60.0 * rate == pytest.approx(0.85, abs=0.005)


def test_radiant_heat_below_2_5_kw_m2_counts_nothing() -> None:
    # ISO 13571 §8.2: below 2.5 kW/m² radiant heat is tolerated (else a sunny day would kill)
    q = np.array([1.0, 2.49, 2.5])
    assert thermal_fed_rate_per_s(q)[:2].tolist() == [0.0, 0.0]
    assert thermal_dose_tdu(q, 10.0)[:2].tolist() == [0.0, 0.0]
    assert thermal_fed_rate_per_s(q)[2] > 0.0


def _fire(t_on: float = 100.0) -> PoolFireEmitter:
    return PoolFireEmitter(0.0, 0.0, 568_279.0, 0.30, 17.35, t_on)


def test_pool_fire_point_crossing_at_5_kw_m2() -> None:
    field = HarmField("thermal", fires=(_fire(),))
    r5 = math.sqrt(0.30 * 568_279.0 / (4 * math.pi * 5.0))
    # standing there before the fire: FED 1 at 100 s + 70.55 s; indoors never
    outdoors, indoors = (field.point_timeline(r5, 0.0, indoor=i) for i in (False, True))
    assert outdoors.crossing_s(0.0, 1.0) == pytest.approx(170.55, abs=0.01)
    assert math.isinf(indoors.crossing_s(0.0, 1.0))
    fed, dose = outdoors.gain(0.0, 160.0)
    assert fed == pytest.approx(0.85, abs=0.005)
    assert dose == pytest.approx(513.0, abs=0.5)
    # harm reaches the 2.5 kW/m² circle, √2 × the 5 kW/m² one, from the ignition on
    r = r5 * math.sqrt(2)
    on, off = field.windows_s(shapely.points([[r - 0.5, 0.0], [r + 0.5, 0.0]]))
    assert on.tolist() == [100.0, math.inf] and off.tolist() == [math.inf, -math.inf]


def test_fluxes_of_several_fires_add_up() -> None:
    # two fires 200 m either side of a point, each giving it 1.7 kW/m² (harmless alone), the
    # second igniting later: together 3.4 kW/m² from the second ignition on
    q_kw = 1.7 * 4 * math.pi * 200.0**2 / 0.30
    fires = (PoolFireEmitter(-200.0, 0.0, q_kw, 0.30, 20.0, 0.0),
             PoolFireEmitter(200.0, 0.0, q_kw, 0.30, 20.0, 600.0))  # fmt: skip
    field = HarmField("thermal", fires=fires)
    q = field.flux_kw_m2(np.zeros(2), np.zeros(2), np.array([300.0, 900.0]))
    assert q == pytest.approx([1.7, 3.4])
    on, off = field.windows_s(shapely.points([[0.0, 0.0]]))
    assert on[0] == 600.0 and math.isinf(off[0])
    assert field.point_timeline(0.0, 0.0).crossing_s(0.0, 1.0) == pytest.approx(
        600.0 + 600.0 / 3.4**1.33
    )


def test_fireball_harms_only_while_it_lasts() -> None:
    # CCPS propane truck (reference §3): D 132.6 m, 10.3 s, 89.1 kW/m² at 100 m
    ball = Fireball(0.0, 0.0, 132.63, 350.0, 1.0, 50.0, 10.29)
    field = HarmField("thermal", fireballs=(ball,))
    q = float(field.flux_kw_m2(np.array([100.0]), np.array([0.0]), np.array([55.0]))[0])
    assert q == pytest.approx(89.1, abs=0.05)
    _, dose = field.point_timeline(100.0, 0.0).gain(0.0, 3600.0)
    assert dose == pytest.approx(10.29 * q ** (4 / 3), rel=1e-9)
    on, off = field.windows_s(shapely.points([[100.0, 0.0]]))
    assert on[0] == 50.0 and off[0] == pytest.approx(60.29)


def test_toxic_field_is_the_aegl3_load() -> None:
    # chlorine, AEGL-3 60 min = 20 ppm, n = 2 (addendum §5: 20 ppm for 30 min is FED 0.5)
    plume = GaussianPlume(2.0, 2.0, "D", 70.90, (20.0, 2.0, 0.5), wind_from_deg=0.0,
                          duration_s=3600.0)  # fmt: skip
    field = HarmField("toxic", plumes=(plume,), c_ref_ppm=20.0, exponent=2.0, t_ref_min=60.0)
    x = 1000.0  # downwind (south)
    c = float(plume.centreline_ppm(x))
    arrive = x / 2.0
    assert field.point_breaks_s(0.0, -x).tolist() == pytest.approx([arrive, arrive + 3600.0])
    there = field.point_timeline(0.0, -x)
    fed, dose = there.gain(0.0, arrive + 1800.0)
    assert fed == pytest.approx((c / 20.0) ** 2 * 0.5)
    assert dose == pytest.approx(c * 30.0)
    # a road across the plume 1 km downwind: covered from the front's arrival to the tail's
    road = shapely.linestrings([[-50.0, -x], [50.0, -x]])
    on, off = field.windows_s(np.array([road]))
    assert on[0] == pytest.approx(arrive) and off[0] == pytest.approx(arrive + 3600.0)
    t_star = there.crossing_s(0.0, 1.0)
    assert t_star == pytest.approx(arrive + 3600.0 * (20.0 / c) ** 2)
    # upwind: never
    assert math.isinf(field.point_timeline(0.0, x).crossing_s(0.0, 1.0))
    # once the cloud has passed, the load stops growing: beyond reach
    assert math.isinf(there.crossing_s(0.0, 1e6))


def test_blast_overpressure_at_the_8_psi_radius() -> None:
    w = 1000.0
    blast = BlastSource(0.0, 0.0, w, True, 0.0)
    field = HarmField("blast", blasts=(blast,), casualty_psi=8.0)
    r8 = overpressure_distance_m(w, 8.0, ground_burst=True)
    assert float(field.overpressure_psi(np.array([r8]), np.array([0.0]))[0]) == pytest.approx(8.0)
    # EPA RMP: 1 psi at ≈ 17 W^(1/3) m for a ground burst
    p = float(field.overpressure_psi(np.array([17.0 * w ** (1 / 3)]), np.array([0.0]))[0])
    assert p == pytest.approx(1.0, rel=0.01)
    assert field.point_timeline(10.0, 0.0).gain(0.0, 100.0) == (0.0, 0.0)  # no dose to add
