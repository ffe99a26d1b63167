"""The whole simulation on the tiny area: accounting, determinism, hazard rules, capacities."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from evacsim.pipeline import Run, run
from evacsim.plan.make import outside_zone
from evacsim.scenario.load import load_scenario
from evacsim.scenario.prepare import prepare
from tests.support.rules import entries_into_worse_zones
from tests.support.tiny_area import tiny_scenario, write_tiny_area


def _scenario(
    tiny_area_dir: Path,
    *,
    seed: int = 3,
    evacuate: str = "orange",
    period: str = "night",
    buses: int = 2,
    bus_capacity: int = 20,
    closed: str = "[]",
    name: str = "s.toml",
) -> Path:
    path = tiny_area_dir.parent / name
    text = tiny_scenario(
        seed=seed, area=tiny_area_dir.name, evacuate=evacuate, period=period, buses=buses,
        bus_capacity=bus_capacity, extra=f"[simulation]\nclosed_roads = {closed}\n",
    )  # fmt: skip
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def tiny_run(tiny_area_dir: Path) -> Run:
    return run(_scenario(tiny_area_dir))


def test_every_person_is_accounted_for_once(tiny_run: Run) -> None:
    summary = tiny_run.summary
    assert summary["persons_total"] > 0
    assert sum(summary["persons"].values()) == summary["persons_total"]
    demand_total = int(tiny_run.results.extra["per_grid"]["persons_evacuating"].sum())
    assert summary["persons_total"] == demand_total


def test_same_seed_same_results_other_seed_differs(tiny_area_dir: Path) -> None:
    a = run(_scenario(tiny_area_dir, seed=11)).results
    b = run(_scenario(tiny_area_dir, seed=11)).results
    pd.testing.assert_frame_equal(a.groups, b.groups)
    pd.testing.assert_frame_equal(a.paths, b.paths)
    pd.testing.assert_frame_equal(a.links, b.links)
    c = run(_scenario(tiny_area_dir, seed=12)).results
    assert not np.allclose(a.groups["departure_s"], c.groups["departure_s"])


def test_groups_arrive_only_at_their_assigned_assembly_point(tiny_run: Run) -> None:
    """RN-7 on the whole model: 100 % reach the point they were assigned."""
    g = tiny_run.results.groups
    snapped = tiny_run.prepared.snapped.assembly_points
    node_of = dict(zip(snapped.ids, snapped.walk_node, strict=True))
    car_node_of = dict(zip(snapped.ids, snapped.car_node, strict=True))
    arrived = g[g["t_assembly_s"].notna()]
    assert len(arrived) > 0
    paths = tiny_run.results.paths
    net = tiny_run.prepared.network
    for row in arrived.itertuples():
        mine = paths[paths["group_id"] == row.group_id]
        first_leg = mine[mine["t_exit_s"] <= row.t_assembly_s]
        if first_leg.empty:
            continue  # started at the assembly point's own node
        last_edge = int(first_leg["edge"].iloc[-1])
        expected = car_node_of if row.mode == "car" else node_of
        assert net.edge_head[last_edge] == expected[row.assembly_point]


def test_nobody_enters_a_more_dangerous_zone(tiny_run: Run) -> None:
    """DESIGN rule on the whole model, at every link entry of every group."""
    assert len(tiny_run.results.paths) > 0
    broken, _ = entries_into_worse_zones(tiny_run)
    assert broken == 0


def _small_shelters(features: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for feature in features:
        feature["properties"]["capacity_persons"] = 12
    return features


def test_full_shelters_are_booked_never_overfilled_nobody_refused(tmp_path: Path) -> None:
    area_dir = write_tiny_area(tmp_path / "tiny", shelters=_small_shelters)
    scenario = _scenario(area_dir, buses=4, bus_capacity=50, evacuate="yellow", period="day")
    result = run(scenario).results
    occ, fac = result.occupancy, result.facilities.set_index("id")
    shelters = fac[fac["kind"] == "shelter"]
    assert (shelters["peak"] <= 12).all()
    for sid in shelters.index:
        series = occ.loc[occ["facility_id"] == sid, "persons"]
        assert (series <= 12).all()
    # More people than the 24 places: places are booked at dispatch, so nobody is refused at a
    # shelter door; the others stay at their assembly point, which says why, and the run ends.
    assert result.persons_total > 24
    assert shelters["refused"].sum() == 0
    usable, _ = outside_zone(prepare(load_scenario(scenario)), "shelters")
    assert result.persons_by_state["sheltered"] == 12 * int(usable.sum())
    g = result.groups
    waiting = g[g["state"] == "at_assembly"]
    assert len(waiting) > 0
    assert set(waiting["end_reason"]) == {"shelters_full"}
    assert result.ended_by == "done"


def test_without_buses_walkers_wait_at_assembly(tiny_area_dir: Path) -> None:
    result = run(_scenario(tiny_area_dir, buses=0)).results
    g = result.groups
    walkers = g[(g["mode"] != "car") & g["t_assembly_s"].notna()]
    assert len(walkers) > 0
    assert set(walkers["state"]) == {"at_assembly"}
    assert result.vehicles.empty


def test_buses_carry_waiting_people_to_shelters(tiny_area_dir: Path) -> None:
    result = run(_scenario(tiny_area_dir, buses=3, bus_capacity=10)).results
    trips = result.vehicles
    assert len(trips) > 0
    assert (trips["persons"] <= 10 + 3).all()  # whole households; the first always boards
    walkers = result.groups[result.groups["mode"] != "car"]
    assert (walkers["state"] == "sheltered").sum() > 0
    assert (walkers.loc[walkers["state"] == "sheltered", "t_shelter_s"] >= walkers.loc[
        walkers["state"] == "sheltered", "t_assembly_s"]).all()  # fmt: skip


def test_closed_road_is_never_used(tiny_area_dir: Path) -> None:
    prepared = prepare(load_scenario(_scenario(tiny_area_dir)))
    net = prepared.network
    busiest = run(_scenario(tiny_area_dir)).results.links
    road = str(busiest.sort_values("volume", ascending=False)["road_id"].iloc[0])
    closed = run(_scenario(tiny_area_dir, closed=f'["{road}"]', name="c.toml")).results
    used = set(net.edge_road_id[closed.paths["edge"].to_numpy()])
    assert road not in used


def test_empty_evacuation_runs_and_says_so(tiny_area_dir: Path) -> None:
    path = tiny_area_dir.parent / "far.toml"
    path.write_text(
        f"""
name = "far away"
area = "{tiny_area_dir.name}"
[hazard]
model = "radius"
at = [106.40, 29.40]
radii_m = {{ red = 10, orange = 20, yellow = 30 }}
""",
        encoding="utf-8",
    )
    result = run(path)
    assert result.summary["persons_total"] == 0
    assert "nobody" in result.summary["note"]
    assert result.summary["ete_s"]["assembly"]["p50"] is None


def test_growing_plume_rule_follows_the_zones_at_each_instant(tiny_area_dir: Path) -> None:
    """RN-10 on the whole model: the chlorine cloud reaches roads over time (d / u after the
    release). With every level closing roads (closure_level = yellow), at every link entry the
    level entered is no worse than the agent's level at that instant; the route tables are
    rebuilt as the cloud grows, and roads the cloud reaches only later are open until it comes."""
    path = tiny_area_dir.parent / "plume.toml"
    path.write_text(
        f"""
name = "tiny chlorine"
seed = 5
area = "{tiny_area_dir.name}"
[hazard]
model = "toxic_plume"
source = "CL-1"
release_rate_kg_s = 0.5
release_duration_s = 3600
evacuate = "yellow"
closure_level = "yellow"
[weather]
wind_from_deg = 180
wind_speed_m_s = 1.0
stability = "F"
[departure]
warning = {{ dist = "fixed", value_s = 0 }}
preparation = {{ dist = "uniform", low_s = 0, high_s = 600 }}
""",
        encoding="utf-8",
    )
    result = run(path)
    prepared, res = result.prepared, result.results
    net = prepared.network
    yellow_t = prepared.zones.arrival_time_s(net.edge_geometry, "yellow")
    assert np.isfinite(yellow_t).any() and yellow_t[np.isfinite(yellow_t)].max() > 0
    broken, _ = entries_into_worse_zones(result)
    assert broken == 0
    used = res.paths.merge(res.paths["edge"].map(lambda e: yellow_t[e]).rename("t_yellow"),
                           left_index=True, right_index=True)  # fmt: skip
    later = used[(used["t_yellow"] > used["t_enter_s"]) & np.isfinite(used["t_yellow"])]
    assert len(later) > 0, "some roads are taken before the cloud reaches them"
    assert sum(result.summary["persons"].values()) == result.summary["persons_total"]
    assert "dose_ppm_min" in res.groups
    assert (res.events["kind"] == "hazard").any(), "route tables were rebuilt as the cloud grew"


def test_assembly_point_cut_off_from_every_shelter_keeps_people_there(
    tiny_area_dir: Path,
) -> None:
    """AP-2's only drivable way out is closed: cars and walkers that reach it stay there (at the
    assembly point, not stranded), and no bus is sent to a point it could not leave."""
    prepared = prepare(load_scenario(_scenario(tiny_area_dir)))
    net, snapped = prepared.network, prepared.snapped.assembly_points
    ap2 = int(snapped.car_node[list(snapped.ids).index("AP-2")])
    out = np.flatnonzero((net.edge_tail == ap2) & net.drivable)
    assert out.size, "the tiny area must give AP-2 a drivable way out"
    closed = sorted({str(r) for r in net.edge_road_id[out]})
    scenario = _scenario(
        tiny_area_dir, closed=str(closed).replace("'", '"'), buses=3, period="day", name="cut.toml"
    )
    result = run(scenario).results
    g = result.groups
    at_ap2 = g[(g["assembly_point"] == "AP-2") & g["t_assembly_s"].notna()]
    assert len(at_ap2) > 0
    assert set(at_ap2["state"]) == {"at_assembly"}
    assert not (result.vehicles["from"] == "AP-2").any()
    assert not g["stranded_reason"].str.startswith("bus").any()
    assert (result.events["kind"] == "cut_off").any() or (at_ap2["mode"] != "car").all()


def test_bus_legs_are_the_routes_buses_drove(tiny_area_dir: Path) -> None:
    """Each recorded bus leg is a connected walk from the assembly point to the shelter."""
    from evacsim.results.routes import recorded_bus_leg

    result = run(_scenario(tiny_area_dir, buses=3, bus_capacity=10))
    res, prepared = result.results, result.prepared
    net, snap = prepared.network, prepared.snapped
    ap_node = dict(zip(snap.assembly_points.ids, snap.assembly_points.car_node, strict=True))
    s_node = dict(zip(snap.shelters.ids, snap.shelters.car_node, strict=True))
    legs = res.vehicles[["from", "to"]].drop_duplicates()
    assert len(legs) > 0
    checked = 0
    for ap, shelter in legs.itertuples(index=False):
        edges = recorded_bus_leg(res, ap, shelter)
        if edges is None:
            continue
        checked += 1
        assert net.edge_tail[edges[0]] == ap_node[ap]
        assert net.edge_head[edges[-1]] == s_node[shelter]
        np.testing.assert_array_equal(net.edge_head[edges[:-1]], net.edge_tail[edges[1:]])
        assert net.drivable[edges].all()
    assert checked > 0
