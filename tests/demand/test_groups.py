"""Demand: area shares, shadow, integer rounding, modes, departures (RN-8), determinism."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from shapely.geometry import Polygon, box
from shapely.geometry.base import BaseGeometry

from evacsim.area.layers import Area
from evacsim.demand.groups import (
    GROUP_COLUMNS,
    Demand,
    build_demand,
    grid_threat_levels,
    largest_remainder,
)
from evacsim.errors import AreaError, NetworkError
from evacsim.network.graph import RoadNetwork
from evacsim.scenario.distributions import Fixed, LogNormal, Rayleigh, Weibull
from evacsim.scenario.sections import DepartureSpec, EvacuationSpec, PopulationSpec
from tests.support.tiny_area import line_roads

# EPSG:32648 (UTM 48N) near 106.46E 29.43N, the Funiuxi area.
X0, Y0 = 641_000.0, 3_257_000.0
SIDE_M = 100.0


def _grids(pops: list[int], **cols: list[object]) -> gpd.GeoDataFrame:
    """A row of square 100 m grids eastwards from (X0, Y0)."""
    n = len(pops)
    data: dict[str, object] = {
        "id": [f"G-{i + 1:03d}" for i in range(n)],
        "town": ["Tiaodeng"] * n,
        "community": ["Funiuxi"] * n,
        "group": [f"{i + 1}" for i in range(n)],
        "population_day": pops,
        "population_night": [2 * p for p in pops],
        "needs_assistance": [0] * n,
        "car_share": [0.0] * n,
        "assembly_point": ["AP-1"] * n,
    }
    data.update(cols)
    geoms = [box(X0 + i * SIDE_M, Y0, X0 + (i + 1) * SIDE_M, Y0 + SIDE_M) for i in range(n)]
    return gpd.GeoDataFrame(data, geometry=geoms, crs="EPSG:32648")


def _zone_up_to(x_m: float) -> Polygon:
    """An evacuation zone covering everything west of ``X0 + x_m`` (and the grids' full height)."""
    return box(X0 - 2000.0, Y0 - 2000.0, X0 + x_m, Y0 + SIDE_M + 2000.0)


def _nodes(grids: gpd.GeoDataFrame) -> dict[str, dict[str, np.ndarray]]:
    ids = grids["id"].tolist()
    return {
        "walk": {g: np.array([10 * i, 10 * i + 1]) for i, g in enumerate(ids)},
        "car": {g: np.array([10 * i + 5]) for i, g in enumerate(ids)},
    }


def _demand(
    grids: gpd.GeoDataFrame,
    zone: Polygon | None,
    *,
    seed: int = 1,
    population: PopulationSpec | None = None,
    departure: DepartureSpec | None = None,
    evacuation: EvacuationSpec | None = None,
) -> Demand:
    return build_demand(
        grids,
        zone,
        grid_levels=[0] * len(grids),
        population=population or PopulationSpec(),
        departure=departure or DepartureSpec(),
        evacuation=evacuation or EvacuationSpec(),
        origin_nodes=_nodes(grids),
        rng=np.random.default_rng(seed),
    )


def test_largest_remainder_hand_example() -> None:
    # Floors 1, 2, 3 sum to 6 of 7; the one left goes to the largest fraction (0.4).
    assert largest_remainder([1.4, 2.3, 3.3]).tolist() == [2, 2, 3]
    assert largest_remainder([0.5, 0.5, 0.5], total=1).tolist() == [1, 0, 0]
    assert largest_remainder([2.9999999999, 1.0]).tolist() == [3, 1]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 10**8), min_size=1, max_size=30))
def test_largest_remainder_conserves_the_rounded_total(millis: list[int]) -> None:
    values = [k / 1000 for k in millis]
    out = largest_remainder(values)
    assert out.sum() == (2 * sum(millis) + 1000) // 2000  # the exact total, rounded half up
    assert (np.abs(out - np.asarray(values)) < 1.0).all()


def test_whole_grids_leave_when_they_touch_the_zone() -> None:
    # unit = "grid" (default): G-002, half inside, leaves whole, as the grid chain warns it;
    # G-003 only touches the zone along its edge (no shared area) and stays.
    grids = _grids([101, 201, 50])
    d = _demand(grids, _zone_up_to(150.0))
    inside = d.per_grid.set_index("grid_id")["persons_in_zone"]
    assert inside.tolist() == [101, 201, 0]
    assert d.persons_total == 302 == d.groups["persons"].sum()
    edge = _demand(grids, _zone_up_to(200.0)).per_grid["persons_in_zone"]
    assert edge.tolist() == [101, 201, 0]


def test_whole_grids_shadow_only_from_grids_outside_the_zone() -> None:
    # G-002 touches the zone and leaves whole (no shadow); G-003 lies in the 100 m ring.
    grids = _grids([100, 200, 300])
    pop = PopulationSpec(shadow_share=0.2, shadow_buffer_m=100.0)
    d = _demand(grids, _zone_up_to(150.0), population=pop)
    per = d.per_grid.set_index("grid_id")
    assert per["persons_in_zone"].tolist() == [100, 200, 0]
    assert per["persons_shadow"].tolist() == [0, 0, 30]  # 20 % of the half of G-003 in the ring


def test_area_share_half_grid_contributes_half() -> None:
    # unit = "area_share": G-001 fully inside, G-002 half inside (x up to 150 m), G-003 outside.
    grids = _grids([101, 201, 50])
    d = _demand(grids, _zone_up_to(150.0), evacuation=EvacuationSpec(unit="area_share"))
    inside = d.per_grid.set_index("grid_id")["persons_in_zone"]
    assert inside["G-001"] == 101
    assert abs(inside["G-002"] - 100.5) <= 1
    assert inside["G-003"] == 0
    assert d.persons_total == 202  # 101 + 100.5, rounded half up
    assert d.groups["persons"].sum() == d.persons_total
    assert not d.groups["shadow"].any()


def test_night_population_is_used_at_night() -> None:
    grids = _grids([100, 100])
    d = _demand(grids, _zone_up_to(200.0), population=PopulationSpec(period="night"))
    assert d.persons_total == 400
    assert d.per_grid["population"].tolist() == [200, 200]


def test_shadow_share_outside_the_zone() -> None:
    # Zone covers G-001; a 100 m ring covers G-002 whole; 20 % of its 200 people leave too.
    grids = _grids([100, 200, 300])
    pop = PopulationSpec(shadow_share=0.2, shadow_buffer_m=100.0)
    d = _demand(grids, _zone_up_to(100.0), population=pop)
    per = d.per_grid.set_index("grid_id")
    assert per.loc["G-001", "persons_shadow"] == 0
    assert per.loc["G-002", "persons_shadow"] == 40
    assert per.loc["G-003", "persons_shadow"] == 0
    assert per["persons_evacuating"].tolist() == [100, 40, 0]
    shadow = d.groups[d.groups["shadow"]]
    assert set(shadow["grid_id"]) == {"G-002"} and shadow["persons"].sum() == 40


def test_modes_split_with_integer_persons() -> None:
    # 100 persons: 10 need help; car_share 0.5 of the households: of 90 persons,
    # 90 * 0.5 * 2.5 / (0.5 * 2.5 + 0.5 * 2.62) = 43.95 -> 44 by car in 44 / 2.5 = 17.6 -> 18
    # cars; 46 walk in ceil(46 / 2.62) = 18 households: half the households have a car.
    grids = _grids([100], needs_assistance=[10], car_share=[0.5])
    d = _demand(grids, _zone_up_to(100.0))
    g = d.groups
    by_mode = g.groupby("mode")["persons"].agg(["sum", "count", "min", "max"])
    assert list(by_mode.loc["assisted"]) == [10, 10, 1, 1]
    assert by_mode.loc["car", "sum"] == 44 and by_mode.loc["car", "count"] == 18
    assert by_mode.loc["walk", "sum"] == 46 and by_mode.loc["walk", "count"] == 18
    assert g["persons"].between(1, 4).all()
    assert (g["vehicles"] == (g["mode"] == "car")).all()
    assert (g["needs_assistance"] == (g["mode"] == "assisted")).all()
    assert g["persons"].dtype == np.int64


@pytest.mark.parametrize(("car_share", "per_car"), [(0.3, 2.5), (0.7, 1.5), (0.5, 4.0)])
def test_car_share_is_a_share_of_households(car_share: float, per_car: float) -> None:
    """The schema: car_share is the share of HOUSEHOLDS leaving by car. Among 10,000 able
    persons, cars / (cars + walking households) comes out at car_share."""
    grids = _grids([10_000], car_share=[car_share])
    d = _demand(grids, _zone_up_to(100.0), population=PopulationSpec(persons_per_car=per_car))
    counts = d.groups["mode"].value_counts()
    assert counts["car"] / (counts["car"] + counts["walk"]) == pytest.approx(car_share, abs=0.002)


def test_no_cars_means_everyone_walks() -> None:
    grids = _grids([100], needs_assistance=[10], car_share=[0.5])
    d = _demand(grids, _zone_up_to(100.0), evacuation=EvacuationSpec(use_cars=False))
    assert set(d.groups["mode"]) == {"assisted", "walk"}
    assert d.groups.loc[d.groups["mode"] == "walk", "persons"].sum() == 90
    assert d.groups["vehicles"].sum() == 0


def test_mode_totals_conserved_over_many_grids() -> None:
    rng = np.random.default_rng(3)
    pops = rng.integers(0, 500, 25).tolist()
    grids = _grids(
        pops,
        needs_assistance=[p // 7 for p in pops],
        car_share=rng.uniform(0, 1, 25).round(3).tolist(),
    )
    d = _demand(grids, _zone_up_to(25 * SIDE_M))
    assert d.persons_total == sum(pops)
    per_grid = d.groups.groupby("grid_id")["persons"].sum()
    expected = d.per_grid.set_index("grid_id")["persons_evacuating"]
    assert (per_grid.reindex(expected.index, fill_value=0) == expected).all()
    # Assisted persons: the share needs_assistance / population, total within rounding.
    assisted = d.groups.loc[d.groups["mode"] == "assisted", "persons"].sum()
    assert assisted == sum(p // 7 for p in pops)


def test_fixed_delays_give_exact_departures_and_night_factor() -> None:
    grids = _grids([60, 40], car_share=[0.5, 0.5])
    dep = DepartureSpec(warning=Fixed(value_s=300.0), preparation=Fixed(value_s=600.0))
    day = _demand(grids, _zone_up_to(200.0), departure=dep)
    assert (day.groups["departure_s"] == 900.0).all()
    night = _demand(
        grids, _zone_up_to(200.0), departure=dep, population=PopulationSpec(period="night")
    )
    assert (night.groups["departure_s"] == 900.0 * 1.5).all()


def test_night_departures_are_later_by_the_night_factor() -> None:
    grids = _grids([3000])
    dep = DepartureSpec(night_factor=2.0)
    day = _demand(grids, _zone_up_to(100.0), departure=dep)
    # Same groups (night population is doubled, so compare medians, not rows).
    night = _demand(
        grids, _zone_up_to(100.0), departure=dep, population=PopulationSpec(period="night")
    )
    ratio = night.groups["departure_s"].median() / day.groups["departure_s"].median()
    assert 1.8 < ratio < 2.2
    assert stats.mannwhitneyu(night.groups["departure_s"], day.groups["departure_s"]).pvalue < 1e-6


@pytest.mark.parametrize(
    "dist",
    [
        Weibull(scale_s=900.0, shape=1.5),
        LogNormal(median_s=600.0, sigma=0.6),
        Rayleigh(scale_s=700.0),
    ],
)
def test_rn8_departure_distribution_ks(dist: Weibull | LogNormal | Rayleigh) -> None:
    # RN-8: N >= 1000 groups; departure = warning ~ D + preparation fixed 120 s.
    grids = _grids([3000])  # ceil(3000 / 2.62) = 1146 walking households
    dep = DepartureSpec(warning=dist, preparation=Fixed(value_s=120.0))
    d = _demand(grids, _zone_up_to(100.0), departure=dep, seed=11)
    t = d.groups["departure_s"].to_numpy()
    assert len(t) >= 1000
    result = stats.kstest(t, lambda x: dist.cdf(np.asarray(x) - 120.0))
    assert result.pvalue > 0.05


def test_rn8_ks_detects_a_wrong_distribution() -> None:
    grids = _grids([3000])
    dep = DepartureSpec(warning=Weibull(scale_s=900.0, shape=1.5), preparation=Fixed(value_s=0.0))
    t = _demand(grids, _zone_up_to(100.0), departure=dep).groups["departure_s"].to_numpy()
    wrong = Weibull(scale_s=1000.0, shape=1.5)
    assert stats.kstest(t, wrong.cdf).pvalue < 0.05


def test_origin_nodes_come_from_the_grids_candidates_of_the_mode() -> None:
    grids = _grids([200, 200], car_share=[0.5, 0.5], needs_assistance=[5, 5])
    d = _demand(grids, _zone_up_to(200.0))
    cand = _nodes(grids)
    for row in d.groups.itertuples():
        pool = cand["car" if row.mode == "car" else "walk"][str(row.grid_id)]
        assert row.origin_node in pool
    walk = d.groups[d.groups["mode"] == "walk"]
    assert walk["origin_node"].nunique() > 1  # both walk candidates drawn


def test_group_table_shape_and_ids() -> None:
    grids = _grids([50, 50], car_share=[0.4, 0.4])
    d = _demand(grids, _zone_up_to(200.0))
    assert tuple(d.groups.columns) == GROUP_COLUMNS
    assert d.groups["group_id"].is_monotonic_increasing
    assert d.groups["group_id"].iloc[0] == "G-001/0001"
    assert d.groups["group_id"].is_unique
    assert list(d.per_grid.columns) == [
        "grid_id", "community", "group", "population",
        "persons_in_zone", "persons_shadow", "persons_evacuating", "level",
    ]  # fmt: skip


def test_same_seed_same_tables_other_seed_differs() -> None:
    grids = _grids([120, 80, 60], car_share=[0.3, 0.6, 0.0], needs_assistance=[3, 0, 9])
    a = _demand(grids, _zone_up_to(250.0), seed=42)
    b = _demand(grids, _zone_up_to(250.0), seed=42)
    c = _demand(grids, _zone_up_to(250.0), seed=43)
    pd.testing.assert_frame_equal(a.groups, b.groups)
    pd.testing.assert_frame_equal(a.per_grid, b.per_grid)
    assert not a.groups["departure_s"].equals(c.groups["departure_s"])
    pd.testing.assert_frame_equal(a.per_grid, c.per_grid)  # counts do not depend on the seed


def test_no_zone_no_demand() -> None:
    d = _demand(_grids([100]), None)
    assert d.persons_total == 0 and len(d.groups) == 0
    assert tuple(d.groups.columns) == GROUP_COLUMNS


def test_grid_threat_levels_worst_level_touched() -> None:
    grids = _grids([1, 1, 1, 1])
    zones: dict[str, BaseGeometry | None] = {
        "red": _zone_up_to(50.0),  # part of G-001
        "orange": _zone_up_to(150.0),  # G-001, half of G-002
        "yellow": _zone_up_to(300.0),  # up to G-003 (G-004 only touches its edge)
    }
    assert grid_threat_levels(grids, zones).tolist() == [0, 1, 2, 3]


def test_bad_input_names_feature_and_field() -> None:
    grids = _grids([10, 10], car_share=[0.2, 1.7])
    with pytest.raises(AreaError, match=r"feature 'G-002', field 'car_share': 1\.7"):
        _demand(grids, _zone_up_to(200.0))
    with pytest.raises(AreaError, match="missing field 'population_day'"):
        _demand(_grids([10]).drop(columns="population_day"), _zone_up_to(100.0))
    grids = _grids([10], car_share=[1.0])
    nodes = _nodes(grids)
    nodes["car"] = {}
    with pytest.raises(NetworkError, match="feature 'G-001': no car origin node"):
        build_demand(
            grids,
            _zone_up_to(100.0),
            grid_levels={"G-001": 0},
            population=PopulationSpec(),
            departure=DepartureSpec(),
            evacuation=EvacuationSpec(),
            origin_nodes=nodes,
            rng=np.random.default_rng(0),
        )


def test_origin_candidates_nodes_inside_else_nearest() -> None:

    from evacsim.demand.groups import origin_candidates
    from evacsim.network.graph import build_network

    y = Y0 + 50.0
    roads = line_roads(X0, y)
    net = build_network(roads)
    grids = _grids([1, 1, 1])
    grids = grids.set_geometry(
        [
            box(X0 - 50, Y0, X0 + 150, Y0 + 100),  # nodes at x = 0 and 100
            box(X0 + 150, Y0, X0 + 350, Y0 + 100),  # node at x = 300
            box(X0 + 250, Y0 + 150, X0 + 350, Y0 + 250),  # only the footway's end
        ],
        crs="EPSG:32648",
    )
    xs = (net.node_x_m - X0).round().tolist()
    ys = (net.node_y_m - Y0).round().tolist()
    node = {(x, yy): k for k, (x, yy) in enumerate(zip(xs, ys, strict=True))}
    a, b, c, d = node[0, 50], node[100, 50], node[300, 50], node[300, 170]
    cands = origin_candidates(net, grids)
    assert {g: v.tolist() for g, v in cands["walk"].items()} == {
        "G-001": sorted([a, b]),
        "G-002": [c],
        "G-003": [d],
    }
    # G-003 has no drivable node inside: the nearest drivable node (x = 300, y = 50).
    assert cands["car"]["G-003"].tolist() == [c]


def test_tiny_area_end_to_end_conserves_population(
    tiny_area: Area, tiny_network: RoadNetwork
) -> None:
    from evacsim.demand.groups import origin_candidates

    grids = tiny_area.grids
    zone = grids.geometry.union_all().buffer(10.0)  # every grid wholly inside
    levels = dict.fromkeys(grids["id"], 1)
    pop = PopulationSpec(period="night")
    d = build_demand(
        grids,
        zone,
        grid_levels=levels,
        population=pop,
        departure=DepartureSpec(),
        evacuation=EvacuationSpec(),
        origin_nodes=origin_candidates(tiny_network, grids),
        rng=np.random.default_rng(5),
    )
    assert d.persons_total == 300 + 150 + 100 + 60  # night populations of the tiny area
    assert (d.groups["level"] == 1).all()
    assert d.groups["origin_node"].between(0, tiny_network.n_nodes - 1).all()
