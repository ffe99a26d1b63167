"""Emergency teams (issue 7): door-to-door help, staffing, traffic control, closed roads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import simpy

from evacsim.errors import ScenarioError
from evacsim.pipeline import Run, run
from evacsim.scenario.load import load_scenario
from evacsim.scenario.prepare import prepare
from evacsim.sim._engine_stats import LinkSpec
from evacsim.sim.engine import TrafficEngine
from evacsim.sim.teams import junction_links
from tests.support.tiny_area import node_lonlat, write_scenario, write_tiny_area


def _node_at(run_: Run, i: int, j: int) -> int:
    """Network node of tiny-grid position (i, j)."""
    import geopandas as gpd
    import shapely

    from evacsim.network.snap import snap_points

    lon, lat = node_lonlat(i, j)
    pts = gpd.GeoSeries(shapely.points([lon], [lat]), crs="EPSG:4326")
    nodes, dist = snap_points(run_.prepared.network, pts, mode="car")
    assert dist[0] < 1.0
    return int(nodes[0])


@pytest.fixture(scope="module")
def area_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_area(tmp_path_factory.mktemp("teams") / "tiny")


@pytest.fixture(scope="module")
def team_run(area_dir: Path) -> Run:
    return run(write_scenario(area_dir))


# ------------------------------------------------------------------ door to door
def test_assisted_persons_reach_assembly_only_in_a_team_vehicle(team_run: Run) -> None:
    res = team_run.results
    g = res.groups
    assisted = g[g["mode"] == "assisted"]
    arrived = assisted[assisted["t_assembly_s"].notna()]
    assert len(assisted) > 0 and len(arrived) == len(assisted)
    trips = res.extra["teams"]
    trips = trips[trips["task"] == "door_to_door"]
    carried = {gid: row for _, row in trips.iterrows() for gid in row["target"].split(";")}
    for row in arrived.itertuples():
        trip = carried[row.group_id]  # every arrival was carried by a team vehicle...
        assert trip["status"] == "done"
        assert trip["t_finish_s"] == row.t_assembly_s  # ...and arrived with it
        assert row.t_assembly_s > row.departure_s
    # nobody needing help walked: no person used the slow walking stream
    assert "assisted" not in set(res.paths["mode"])
    assert (trips["persons"] <= 4).all()  # vehicle capacity (default 4 persons)


def test_without_teams_assisted_walk_and_a_warning_says_so(tmp_path: Path) -> None:
    area_dir = write_tiny_area(tmp_path / "tiny", team_bases=None)
    result = run(write_scenario(area_dir))
    g = result.results.groups
    assert (g.loc[g["mode"] == "assisted", "t_assembly_s"].notna()).any()
    assert "assisted" in set(result.results.paths["mode"])
    assert any("nobody helps them" in w for w in result.summary["warnings"])
    assert result.summary["teams"] == {}


# --------------------------------------------------------------- staffing
def _few_members(features: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for f in features:
        f["properties"]["members"] = 4  # one post of 4 only
    return features


def test_unstaffed_assembly_point_dispatches_no_bus(tmp_path: Path) -> None:
    area_dir = write_tiny_area(tmp_path / "tiny", team_bases=_few_members)
    result = run(write_scenario(area_dir, extra="[teams]\nstaff_per_post = 4\n"))
    res = result.results
    tasks = res.extra["teams"]
    staffed = tasks[tasks["task"] == "staff_assembly"]
    assert list(staffed["target"]) == ["AP-1"]  # the one post the 4 members can hold
    t_staff = float(staffed["t_start_s"].iloc[0])
    trips = res.vehicles
    assert len(trips) > 0 and set(trips["from"]) == {"AP-1"}
    assert (trips["t_depart_s"] >= t_staff).all()  # a bus leaves only after staff arrived
    g = res.groups
    waiting_at_2 = g[(g["assembly_point"] == "AP-2") & (g["mode"] != "car")]  # cars drive on
    assert len(waiting_at_2) > 0
    assert set(waiting_at_2["state"]) == {"at_assembly"}
    assert any("AP-2" in w and "not staffed" in w for w in result.summary["warnings"])
    res.check_accounting()


def test_posts_are_staffed_and_reported(team_run: Run) -> None:
    teams = team_run.summary["teams"]
    tasks = teams["by_team"]["TM-1"]["tasks"]
    kinds = {t["task"] for t in tasks}
    assert {"staff_assembly", "staff_shelter", "door_to_door"} <= kinds
    mobilisation_s = 300.0
    assert all(t["t_start_s"] is None or t["t_start_s"] >= mobilisation_s for t in tasks)
    assert teams["by_team"]["TM-1"]["distance_km"] > 0


# ------------------------------------------------------------------ closed roads
def test_team_never_enters_a_closed_road(area_dir: Path, team_run: Run) -> None:
    net = team_run.prepared.network
    paths = team_run.results.extra["team_paths"]
    busiest = paths["edge"].map(lambda e: net.edge_road_id[e]).value_counts()
    road = str(busiest.index[0])
    closed = run(write_scenario(area_dir, closed=f'["{road}"]', name="closed.toml")).results
    used = set(net.edge_road_id[closed.extra["team_paths"]["edge"].to_numpy()])
    assert road not in used
    assert len(closed.extra["team_paths"]) > 0


# --------------------------------------------------------------- traffic control
def test_junction_links_split_toward_and_away_from_the_hazard(team_run: Run) -> None:
    """At (0, 1) with T-01 at ~(1.5, -0.67): (0,0) and (1,1) are nearer the tank, (0,2) not."""
    net = team_run.prepared.network
    node = _node_at(team_run, 0, 1)
    (_, x, y), *_ = team_run.prepared.zones.sources
    toward, away = junction_links(net, node, np.array([[x, y]]))
    heads_toward = {int(h) for h in net.edge_head[toward]}
    heads_away = {int(h) for h in net.edge_head[away]}
    assert heads_toward == {_node_at(team_run, 0, 0), _node_at(team_run, 1, 1)}
    assert heads_away == {_node_at(team_run, 0, 2)}


def _g3_to_ap2(features: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for f in features:
        if f["properties"]["id"] == "G-003":
            f["properties"]["assembly_point"] = "AP-2"  # cars head east, via (0, 1)
    return features


def _toward_entries(run_: Run, after_s: float) -> tuple[int, int]:
    """Car entries by evacuees after ``after_s`` on links leaving (0, 1): (toward, away)."""
    net = run_.prepared.network
    (_, x, y), *_ = run_.prepared.zones.sources
    toward, away = junction_links(net, _node_at(run_, 0, 1), np.array([[x, y]]))
    p = run_.results.paths
    late = p[(p["t_enter_s"] > after_s) & (p["mode"] == "car")]
    return int(late["edge"].isin(toward).sum()), int(late["edge"].isin(away).sum())


def test_traffic_control_stops_evacuees_heading_toward_the_hazard(tmp_path: Path) -> None:
    area_dir = write_tiny_area(tmp_path / "tiny", grids=_g3_to_ap2)
    base = run(write_scenario(area_dir, name="base.toml"))
    lon, lat = node_lonlat(0, 1)
    extra = f'[[teams.tasks]]\nteam = "TM-1"\ntask = "traffic_control"\nat = [{lon}, {lat}]\n'
    controlled = run(write_scenario(area_dir, extra=extra, name="tc.toml"))
    tasks = controlled.results.extra["teams"]
    post = tasks[tasks["task"] == "traffic_control"]
    assert list(post["status"]) == ["staffed"]
    t_staffed = float(post["t_start_s"].iloc[0])
    toward_before, away_before = _toward_entries(base, t_staffed)
    toward_after, away_after = _toward_entries(controlled, t_staffed)
    assert toward_before > 0  # without control, evacuees drive toward the tank there
    assert toward_after == 0  # with it, none does after the junction is staffed
    g = controlled.results.groups
    assert g.loc[g["mode"] == "car", "t_assembly_s"].notna().all()  # rerouted, not stuck
    assert away_after >= away_before
    controlled.results.check_accounting()


def test_capacity_factor_changes_clearance_by_the_predicted_amount() -> None:
    """N cars queued on a link of capacity c leave at T + k/c; at c * f the last leaves at
    T + (N - 1)/(c f): clearance shortens by (N - 1)/c * (1 - 1/f) (headway rule, RN-3)."""
    n, t_ff, c, f = 100, 30.0, 0.5, 1.15

    def clearance(factor: float | None) -> float:
        env = simpy.Environment()
        spec = LinkSpec(np.array([0]), np.array([1]), np.array([t_ff]), np.array([c]),
                        np.array([np.inf]), n_nodes=2)  # fmt: skip
        eng = TrafficEngine(env, spec)
        if factor is not None:
            eng.set_capacity_factor([0], factor)
        eng.add_agents(np.zeros(n, dtype=int), np.zeros(n), paths=[[0]] * n)
        eng.run()
        return float(np.nanmax(eng.results().arrival_s))

    base, controlled = clearance(None), clearance(f)
    assert base == pytest.approx(t_ff + (n - 1) / c, abs=1e-9)
    assert controlled == pytest.approx(t_ff + (n - 1) / (c * f), abs=1e-9)
    assert base - controlled == pytest.approx((n - 1) / c * (1 - 1 / f), abs=1e-9)


# --------------------------------------------------------------------- scenario
def test_unknown_team_in_a_task_names_the_field(area_dir: Path) -> None:
    extra = '[[teams.tasks]]\nteam = "TM-9"\ntask = "cordon"\nnode = 0\n'
    with pytest.raises(ScenarioError, match=r"teams\.tasks\.0\.team.*TM-9"):
        run(write_scenario(area_dir, extra=extra, name="bad.toml"))


def test_task_needs_a_place(area_dir: Path) -> None:
    extra = '[[teams.tasks]]\nteam = "TM-1"\ntask = "traffic_control"\n'
    with pytest.raises(ScenarioError, match="exactly one of 'at' or 'node'"):
        prepare(load_scenario(write_scenario(area_dir, extra=extra, name="bad2.toml")))
