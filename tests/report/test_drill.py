"""Drill sheets (HTML per team) and the team/supply map layers (the teams' GPX: tests/export)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import folium
import pytest

from evacsim.maps.teams import add_team_layers
from evacsim.pipeline import Run, run
from evacsim.report.drill import write_drill_sheets
from tests.support.tiny_area import LAT0, LON0, write_scenario, write_tiny_area

EVIL = "<script>alert(1)</script> & Co"


def _evil_name(features: list[dict[str, Any]]) -> list[dict[str, Any]]:
    features[0]["properties"]["name"] = EVIL
    return features


@pytest.fixture(scope="module")
def drill_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    area_dir = write_tiny_area(tmp_path_factory.mktemp("drill") / "tiny", team_bases=_evil_name)
    return run(write_scenario(area_dir))


@pytest.fixture(scope="module")
def sheets(drill_run: Run, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_drill_sheets(drill_run, tmp_path_factory.mktemp("out"))


def test_one_sheet_per_team(sheets: list[Path]) -> None:
    assert [p.name for p in sheets] == ["TM-1.html"]
    assert all(p.parent.name == "drill" and p.stat().st_size > 0 for p in sheets)


def test_html_is_escaped_self_contained_and_has_a_page_per_task(
    sheets: list[Path], drill_run: Run
) -> None:
    text = sheets[0].read_text(encoding="utf-8")
    assert "<script" not in text and "&lt;script&gt;" in text
    assert (
        "http://" not in text.replace("http://www.w3.org/2000/svg", "") and "https://" not in text
    )
    assert "src=" not in text
    assert "@media print" in text and "break-before: page" in text
    assert '<meta name="viewport"' in text
    tasks = drill_run.results.extra["teams"]
    driven = drill_run.results.extra["team_paths"].groupby(["vehicle", "task"]).ngroups
    assert text.count('<section class="task"') == len(tasks)
    assert text.count('<svg class="evacsim-sketch"') == driven > 0  # a map per route driven
    for target in tasks.loc[tasks["task"] == "door_to_door", "target"]:
        for group_id in target.split(";"):
            assert group_id in text  # each household picked up is named...
    assert "node " not in text  # ...and no place is a node number


def test_steps_carry_the_clock_time_of_each_road(drill_run: Run, sheets: list[Path]) -> None:
    text = sheets[0].read_text(encoding="utf-8")
    paths = drill_run.results.extra["team_paths"]
    first = paths.sort_values("t_enter_s", kind="stable").iloc[0]
    minutes = round(float(first["t_enter_s"]) / 60)
    # the tiny scenario runs at night: the documented default start is 02:00 (UTC+08:00)
    clock = f"02:{minutes:02d} (T+0:{minutes:02d})"
    assert minutes < 60 and clock in text


def test_no_teams_no_sheets(tmp_path: Path) -> None:
    area_dir = write_tiny_area(tmp_path / "tiny", team_bases=None)
    assert write_drill_sheets(run(write_scenario(area_dir)), tmp_path / "out") == []


def test_map_layers_for_team_routes_and_supply_runs(drill_run: Run) -> None:
    m = folium.Map(location=(LAT0, LON0), tiles=None)
    add_team_layers(m, drill_run)
    folium.LayerControl().add_to(m)
    html = m.get_root().render()
    assert "Team routes" in html and "Supply runs" in html
    assert "<script>alert(1)" not in html
    n_routes = drill_run.results.extra["team_paths"].groupby(["vehicle", "task"]).ngroups
    n_supply = drill_run.results.extra["supply_paths"]["run"].nunique()
    assert html.count("L.polyline(") == n_routes + n_supply


def test_many_routes_merge_into_one_line_per_team_and_truck(
    drill_run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shapely

    import evacsim.maps.teams as teams
    from evacsim.results.teams import task_routes

    monkeypatch.setattr(teams, "MAX_ROUTE_LINES", 0)  # a district: more routes than the cap
    m = folium.Map(location=(LAT0, LON0), tiles=None)
    add_team_layers(m, drill_run)
    html = m.get_root().render()
    extra = drill_run.results.extra
    n_teams = extra["team_paths"]["team"].nunique()
    supplies = extra["supplies"]
    n_trucks = supplies.loc[extra["supply_paths"]["run"].unique(), "truck"].nunique()
    assert html.count("L.polyline(") == n_teams + n_trucks
    # the merged lines still cover every road a team drove: no task's route lies off them
    routes = task_routes(drill_run.results, drill_run.prepared.network)
    net, paths = drill_run.prepared.network, extra["team_paths"]
    for team, legs in paths.groupby("team"):
        parts = teams._road_lines(net, legs["edge"].to_numpy())
        drawn = shapely.union_all([shapely.LineString([(x, y) for y, x in p]) for p in parts])
        mine = routes.loc[routes["team"] == team, "geometry"].dropna()
        assert len(mine) and all(drawn.buffer(1e-6).covers(g) for g in mine)
