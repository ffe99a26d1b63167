"""``evacsim incident``: an ad-hoc incident on an area, its tables, and the scenario it can save."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from evacsim.cli import main
from evacsim.errors import ScenarioError
from evacsim.incident import (
    IncidentReport,
    incident_data,
    incident_scenario,
    run_incident,
    scenario_toml,
    write_scenario_toml,
)
from evacsim.scenario.load import load_scenario
from tests.support.tiny_area import tiny_features, write_tiny_area

RADII = {"red": 60.0, "orange": 150.0, "yellow": 250.0}


@pytest.fixture(scope="module")
def area(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_area(tmp_path_factory.mktemp("incident") / "area")


@pytest.fixture(scope="module")
def report(area: Path) -> IncidentReport:
    data = incident_data(
        source="T-01",
        model="radius",
        area=area,
        night=True,
        evacuate="yellow",
        params={"radii_m": RADII},
        seed=3,
    )
    return run_incident(data)


def test_zones_reach_the_given_radii(report: IncidentReport) -> None:
    zones = report.zones.set_index("level")
    for level, radius_m in RADII.items():
        # A buffered circle's vertices lie on the radius (within the polygon approximation).
        assert zones.loc[level, "distance_m"] == pytest.approx(radius_m, abs=1.0)
        assert zones.loc[level, "unit"] == "m"


def test_grids_to_warn_carry_the_layer_facts(report: IncidentReport) -> None:
    grids = report.grids
    layer = {f["properties"]["id"]: f["properties"] for f in tiny_features("grids")}
    assert len(grids) > 0
    for rec in grids.to_dict("records"):
        props = layer[rec["grid_id"]]
        assert rec["community"] == props["community"]
        assert rec["group"] == props["group"]
        assert rec["population"] == props["population_night"]
        assert rec["needs_assistance"] == props["needs_assistance"]
        assert 0 <= rec["persons_evacuating"] <= rec["population"]
        if rec["action"] == "evacuate":
            assert rec["assembly_point"] in ("AP-1", "AP-2")
            assert rec["route"] and rec["route_length_m"] > 0
    summary = report.run.summary
    assert grids["persons_evacuating"].sum() == summary["persons_total"]
    assert report.assembly_points["arrivals"].sum() >= 0
    assert report.ete_s == summary["ete_s"]


def test_scenario_file_round_trip(area: Path, tmp_path: Path) -> None:
    data = incident_data(
        source="CL-1",
        model="toxic_plume",
        area=area,
        wind_from_deg=170.0,
        wind_speed_m_s=2.0,
        stability="D",
        params={"release_duration_s": 300},
    )
    path = write_scenario_toml(data, tmp_path / "sub" / "incident.toml")
    text = path.read_text(encoding="utf-8")
    raw = tomllib.loads(text)
    assert (
        raw["area"] == "../../" + area.parent.name + "/area"
        or Path(raw["area"]).is_absolute() is False
    )
    loaded = load_scenario(path)
    assert loaded.area_path == area.resolve()
    direct = incident_scenario(data)
    assert loaded.model_dump() == direct.model_dump() | {"area": raw["area"]}


def test_toml_writer_escapes_and_orders() -> None:
    text = scenario_toml(
        {
            "name": 'a "quoted"\nname',
            "seed": 1,
            "ok": True,
            "x": 1.5,
            "hazard": {"radii_m": {"red": 1, "orange": 2}, "list": ["a", "b"]},
        }
    )
    data = tomllib.loads(text)
    assert data["name"] == 'a "quoted"\nname'
    assert data["hazard"] == {"radii_m": {"red": 1, "orange": 2}, "list": ["a", "b"]}
    assert (data["seed"], data["ok"], data["x"]) == (1, True, 1.5)


def test_bad_options_name_the_option(area: Path) -> None:
    with pytest.raises(ScenarioError, match=r"evacsim incident: --source 'T-99'"):
        run_incident(incident_data(source="T-99", model="radius", area=area))
    with pytest.raises(ScenarioError, match=r"evacsim incident: field 'weather\.wind_from_deg'"):
        incident_scenario(
            incident_data(source="T-01", model="radius", area=area, wind_from_deg=400.0)
        )


def test_incident_command(area: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = tmp_path / "made.toml"
    argv = [
        "incident",
        "--source",
        "T-01",
        "--model",
        "radius",
        "--set",
        "radii_m = { red = 60, orange = 150, yellow = 250 }",
        "--area",
        str(area),
        "--night",
        "--out",
        str(tmp_path / "run"),
        "--save-scenario",
        str(saved),
        "--json",
    ]
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out = capsys.readouterr()
    assert exc.value.code == 0, out.err
    data = json.loads(out.out)
    assert Path(data["map"]).is_file()
    assert {z["level"] for z in data["zones"]} == {"red", "orange", "yellow"}
    assert load_scenario(saved).population.period == "night"
    with pytest.raises(SystemExit) as exc:
        main(["incident", "--source", "T-99", "--area", str(area), "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.count("\n") == 1 and "T-99" in err
    assert not (tmp_path / "x").exists()
