"""Fire zones of tanks burning together: contours of the summed point-source flux.

Oracles: the analytic one-tank radius ``sqrt(χr Q / (4π q))`` (NUREG-1805, reference §2: gasoline
in the NUREG dike gives 36.8 / 52.1 / 82.4 m), and summed fluxes written out by hand below.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from shapely.geometry import Point

from evacsim.hazard import contours
from evacsim.hazard.contours import flux_level_sets
from evacsim.hazard.fire import point_source_distance_m
from evacsim.hazard.harm import HarmField, PoolFireEmitter

CHI = 0.30
GAS_Q_KW = 568_279.0  # gasoline in the NUREG dike (reference §2)
NUREG_POOL_M = 2 * math.sqrt(2545 * 0.09290304 / math.pi)  # 17.3 m
X0, Y0 = 641_451.25, 3_256_440.85  # a Funiuxi tank, map metres


def _hand_flux(q_kw: float, *distances_m: float) -> float:
    """χr Q / (4π r²) per tank, added (NUREG-1805 point source)."""
    return sum(CHI * q_kw / (4 * math.pi * r * r) for r in distances_m)


def _fire(x: float, y: float, q_kw: float = GAS_Q_KW, t_s: float = 0.0) -> PoolFireEmitter:
    return PoolFireEmitter(x, y, q_kw, CHI, NUREG_POOL_M, t_s)


@pytest.mark.parametrize(("q_kw", "pool_m"), [(GAS_Q_KW, NUREG_POOL_M), (27_447_970.0, 120.6),
                                              (1.0e5, 2.0)])  # fmt: skip
def test_single_tank_is_the_analytic_circle(q_kw: float, pool_m: float) -> None:
    fire = PoolFireEmitter(X0, Y0, q_kw, CHI, pool_m, 0.0)
    sets = flux_level_sets([fire], 0.0, [10.0, 5.0, 2.0])
    for flux, zone in zip((10.0, 5.0, 2.0), sets.polygons, strict=True):
        radius_m = point_source_distance_m(q_kw, flux, radiative_fraction=CHI)
        assert zone.geom_type == "Polygon" and zone.is_valid
        r = np.hypot(*(shapely.get_coordinates(zone) - [X0, Y0]).T)
        # vertices on or inside the circle, edges at most 1 % inside it
        assert r.max() <= radius_m * (1 + 1e-9)
        assert shapely.distance(Point(X0, Y0), shapely.get_exterior_ring(zone)) >= 0.99 * radius_m
        assert zone.area == pytest.approx(math.pi * radius_m**2, rel=0.01)
    assert max(sets.radius_error) <= 0.01


def test_single_tank_matches_the_reference_radii() -> None:
    sets = flux_level_sets([_fire(0.0, 0.0)], 0.0, [10.0, 5.0, 2.0])
    for zone, expected_m in zip(sets.polygons, (36.8, 52.1, 82.4), strict=True):
        assert math.sqrt(zone.area / math.pi) == pytest.approx(expected_m, rel=0.01)


def test_the_pool_itself_is_in_the_zone() -> None:
    # the edge of the NUREG pool gets 0.3 × 568 MW / (4π 8.66²) = 180 kW/m²: 300 is reached
    # nowhere outside, but the flames are the worst place of all
    edge_flux = _hand_flux(GAS_Q_KW, NUREG_POOL_M / 2)
    assert 180 < edge_flux < 300
    (zone,) = flux_level_sets([_fire(0.0, 0.0)], 0.0, [300.0]).polygons
    assert zone.area == pytest.approx(math.pi * (NUREG_POOL_M / 2) ** 2, rel=0.005)


# --------------------------------------------------------------------------- two tanks


def _two_tanks() -> tuple[list[PoolFireEmitter], float, float]:
    """Two equal tanks 2.5 R apart on the x axis (R the 5 kW/m² radius of one): the circles do
    not touch, but half way between them the flux is 2 × 5 / 1.25² = 6.4 kW/m²."""
    radius_m = point_source_distance_m(GAS_Q_KW, 5.0, radiative_fraction=CHI)
    gap_m = 2.5 * radius_m
    return [_fire(X0, Y0), _fire(X0 + gap_m, Y0)], radius_m, gap_m


def test_two_tanks_zone_holds_both_circles_and_the_waist() -> None:
    fires, radius_m, gap_m = _two_tanks()
    (zone,) = flux_level_sets(fires, 0.0, [5.0]).polygons
    assert zone.is_valid and zone.geom_type == "Polygon"  # one region: the waist joins them
    for f in fires:
        assert zone.contains(Point(f.x_m, f.y_m).buffer(0.99 * radius_m))
    half = gap_m / 2
    mid = (X0 + half, Y0)
    assert _hand_flux(GAS_Q_KW, half, half) == pytest.approx(6.4)
    circles = shapely.union_all([Point(f.x_m, f.y_m).buffer(radius_m) for f in fires])
    assert not circles.contains(Point(mid)) and zone.contains(Point(mid))
    # on the perpendicular through the middle, 2 χQ/(4π(h² + b²)) = q at b = sqrt(2χQ/(4πq) - h²)
    for flux, inside in ((5.0 * 1.03, True), (5.0 * 0.97, False)):
        b = math.sqrt(2 * CHI * GAS_Q_KW / (4 * math.pi * flux) - half**2)
        assert _hand_flux(GAS_Q_KW, math.hypot(half, b), math.hypot(half, b)) == pytest.approx(flux)
        assert zone.contains(Point(X0 + half, Y0 + b)) is inside
        assert zone.contains(Point(X0 + half, Y0 - b)) is inside


def test_two_tanks_reach_beyond_their_circles_outward() -> None:
    fires, radius_m, gap_m = _two_tanks()
    (zone,) = flux_level_sets(fires, 0.0, [5.0]).polygons
    # on the axis beyond the second tank, at s from it: q = χQ/4π (1/s² + 1/(s + gap)²)
    for s, inside in ((1.02 * radius_m, True), (1.06 * radius_m, False)):
        flux = _hand_flux(GAS_Q_KW, s, s + gap_m)
        assert (flux > 5.0) is inside  # 5.21 and 4.85 kW/m²
        assert zone.contains(Point(X0 + gap_m + s, Y0)) is inside


def test_zones_are_nested_and_agree_with_the_harm_field() -> None:
    rng = np.random.default_rng(7)
    fires = [_fire(X0 + dx, Y0 + dy) for dx, dy in rng.uniform(-150, 150, (6, 2))]
    thresholds = (10.0, 5.0, 2.0)
    sets = flux_level_sets(fires, 0.0, thresholds)
    assert all(z.is_valid for z in sets.polygons)
    red, orange, yellow = sets.polygons
    assert red.difference(orange).area <= 1e-6 * red.area
    assert orange.difference(yellow).area <= 1e-6 * orange.area
    # the in-run harm field sees the same flux: 2 % clear of a threshold, the zone says the same
    x = X0 + rng.uniform(-900, 900, 20_000)
    y = Y0 + rng.uniform(-900, 900, 20_000)
    q = HarmField("thermal", fires=tuple(fires)).flux_kw_m2(x, y, np.zeros(x.size))
    for flux, zone in zip(thresholds, sets.polygons, strict=True):
        inside = shapely.contains_xy(zone, x, y)
        assert inside[q >= 1.02 * flux].all()
        assert not inside[q <= 0.98 * flux].any()
        assert (q >= 1.02 * flux).sum() > 100  # the sample does reach into the zone


def test_only_fires_burning_by_then_count() -> None:
    fires, radius_m, gap_m = _two_tanks()
    later = [fires[0], _fire(fires[1].x_m, fires[1].y_m, t_s=600.0)]
    (before,) = flux_level_sets(later, 599.0, [5.0]).polygons
    (after,) = flux_level_sets(later, 600.0, [5.0]).polygons
    assert math.sqrt(before.area / math.pi) == pytest.approx(radius_m, rel=0.01)
    assert after.contains(Point(X0 + gap_m / 2, Y0)) and not before.contains(
        Point(X0 + gap_m / 2, Y0)
    )
    assert flux_level_sets(later, -1.0, [5.0]).polygons[0].is_empty


def test_grid_is_capped_and_says_how_coarse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(contours, "MAX_GRID_POINTS", 64 * 64)
    fires = [_fire(X0, Y0), _fire(X0 + 3000.0, Y0 + 3000.0)]
    sets = flux_level_sets(fires, 0.0, [5.0])
    (zone,) = sets.polygons
    width_m = 3000 + 2 * math.sqrt(2) * point_source_distance_m(GAS_Q_KW, 5.0)
    assert sets.cell_m[0] >= width_m / 64  # 64 × 64 points at most
    radius_m = point_source_distance_m(GAS_Q_KW, 5.0)
    assert sets.radius_error[0] == pytest.approx(0.375 * (sets.cell_m[0] / radius_m) ** 2)
    assert sets.radius_error[0] > 0.01
    assert zone.is_valid and zone.geom_type == "MultiPolygon"  # still both fires
