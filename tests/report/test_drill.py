"""Drill sheets (HTML + GPX per team) and the team/supply map layers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import folium
import gpxpy
import pytest

from evacsim.maps.teams import add_team_layers
from evacsim.pipeline import Run, run
from evacsim.report.drill import write_drill_sheets
from tests.support.tiny_area import DLAT, DLON, LAT0, LON0, write_scenario, write_tiny_area

BASE_LONLAT = (106.4622, 29.4302)  # TM-1 in tests/support/tiny_area.py
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


def test_one_html_and_one_gpx_per_team(sheets: list[Path]) -> None:
    assert [p.name for p in sheets] == ["TM-1.html", "TM-1.gpx"]
    assert all(p.parent.name == "drill" and p.stat().st_size > 0 for p in sheets)


def test_html_is_escaped_self_contained_and_lists_every_task(
    sheets: list[Path], drill_run: Run
) -> None:
    text = sheets[0].read_text(encoding="utf-8")
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "http://" not in text and "https://" not in text and "src=" not in text
    assert "@media print" in text
    tasks = drill_run.results.extra["teams"]
    for target in tasks["target"]:
        assert target in text


def test_gpx_is_valid_and_in_wgs84(sheets: list[Path], drill_run: Run) -> None:
    gpx = gpxpy.parse(sheets[1].read_text(encoding="utf-8"))
    base = next(w for w in gpx.waypoints if w.name == "TM-1 base")
    assert (base.longitude, base.latitude) == pytest.approx(BASE_LONLAT, abs=1e-6)
    routes = drill_run.results.extra["team_paths"].groupby(["vehicle", "task"]).ngroups
    assert len(gpx.tracks) == routes > 0
    for track in gpx.tracks:
        for p in track.segments[0].points:  # every point on the tiny street grid (lon/lat)
            assert LON0 - 1e-4 <= p.longitude <= LON0 + 2 * DLON + 1e-4
            assert LAT0 - 1e-4 <= p.latitude <= LAT0 + 2 * DLAT + 1e-4


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
