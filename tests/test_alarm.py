"""Alarm records (evacsim.scenario.alarm) and ``evacsim incident --alarm``."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from evacsim.area.layers import Area, load_area
from evacsim.cli import main
from evacsim.errors import ScenarioError
from evacsim.scenario.alarm import (
    ALARM_MODELS,
    DETECTIONS,
    SUBSTANCE_CLASSES,
    alarm_scenario_data,
    models_for,
    read_alarm,
)
from evacsim.scenario.load import scenario_from_dict
from tests.support.tiny_area import write_tiny_area

CST = timezone(timedelta(hours=8))


def _lpg_tank(feats: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The tiny area's hazard sources plus a 100 m³ LPG bullet next to the gasoline tank."""
    bullet = {"id": "T-02", "name": "LPG bullet", "category": "tank", "enterprise": "E-1",
              "hazard_source": "HS-01", "substance": "propane", "capacity_m3": 100.0,
              "diameter_m": 3.2, "dike_area_m2": 200.0, "kind": "horizontal_bullet"}  # fmt: skip
    point = {"type": "Point", "coordinates": [106.4634, 29.4290]}
    return [*feats, {"type": "Feature", "properties": bullet, "geometry": point}]


@pytest.fixture(scope="module")
def area(tmp_path_factory: pytest.TempPathFactory) -> Area:
    return load_area(write_tiny_area(tmp_path_factory.mktemp("alarm") / "area",
                                     hazard_sources=_lpg_tank))  # fmt: skip


def _write(folder: Path, name: str, record: dict[str, Any] | str) -> Path:
    path = folder / name
    text = record if isinstance(record, str) else json.dumps(record)
    path.write_text(text, encoding="utf-8")
    return path


FIRE = {"alarm_id": "A-1", "source": "T-01", "time": "2026-11-27T15:02:00+08:00",
        "detection": {"kind": "fire"}, "substance": "gasoline",
        "weather": {"wind_from_deg": 45, "wind_speed_m_s": 2.5, "stability": "D"}}  # fmt: skip


def test_every_detection_and_substance_class_has_models() -> None:
    for kind in DETECTIONS:
        for cls in SUBSTANCE_CLASSES:
            assert (kind, cls) in ALARM_MODELS
    assert models_for("fire", "gasoline").model == "pool_fire"
    assert models_for("fire", "汽油").model == "pool_fire"
    lpg = models_for("leak", "lpg")
    assert (lpg.model, lpg.worst_case) == ("vce", ("bleve",))
    assert models_for("explosion_risk", "propane").worst_case == ("vce",)
    assert models_for("leak", "chlorine").model == "toxic_plume"


def test_a_fire_alarm_becomes_a_chain_scenario(area: Area, tmp_path: Path) -> None:
    alarm = read_alarm(_write(tmp_path, "a.json", FIRE))
    data, notes = alarm_scenario_data(alarm, area=area, where="a.json")
    assert data["hazard"] == {"model": "pool_fire", "source": "T-01", "substance": "gasoline",
                              "evacuate": "orange", "domino": True}  # fmt: skip
    assert data["start"] == datetime(2026, 11, 27, 15, 2, tzinfo=CST)
    assert data["population"]["period"] == "day"
    assert data["warning"]["mode"] == "chain"
    assert data["weather"]["stability"] == "D" and notes == []
    scenario_from_dict(data)  # a valid scenario


def test_cloud_cover_gives_the_pasquill_turner_class(area: Area, tmp_path: Path) -> None:
    # 02:30 local, clear sky (2/10), 1.5 m/s = 2.9 kt -> row 2-3, night NRI -2 -> class 7 = F
    night = {
        **FIRE,
        "time": "2026-11-27T02:30:00+08:00",
        "weather": {"wind_from_deg": 200, "wind_speed_m_s": 1.5, "cloud_cover_tenths": 2},
    }
    data, notes = alarm_scenario_data(read_alarm(_write(tmp_path, "n.json", night)), area=area)
    assert data["weather"]["stability"] == "F"
    assert data["population"]["period"] == "night"
    assert "Pasquill" in notes[0]
    # noon, overcast 10/10 below 7000 ft -> D whatever the wind
    grey = {**FIRE, "time": "2026-06-21T12:54:00+08:00",
            "weather": {"wind_from_deg": 200, "wind_speed_m_s": 1.0, "cloud_cover_tenths": 10,
                        "cloud_base_m": 800}}  # fmt: skip
    data, _ = alarm_scenario_data(read_alarm(_write(tmp_path, "g.json", grey)), area=area)
    assert data["weather"]["stability"] == "D"


def test_leaks_and_releases_carry_their_rate_and_mass(area: Area, tmp_path: Path) -> None:
    leak = {**FIRE, "source": "CL-1", "substance": "chlorine",
            "detection": {"kind": "leak", "rate_kg_s": 1.5, "duration_s": 900}}  # fmt: skip
    data, _ = alarm_scenario_data(read_alarm(_write(tmp_path, "l.json", leak)), area=area)
    assert data["hazard"]["model"] == "toxic_plume"
    assert data["hazard"]["release_rate_kg_s"] == 1.5
    assert data["hazard"]["release_duration_s"] == 900
    lpg = {**FIRE, "source": "T-02", "substance": None,
           "detection": {"kind": "release", "mass_kg": 800}}  # fmt: skip
    data, _ = alarm_scenario_data(read_alarm(_write(tmp_path, "r.json", lpg)), area=area)
    assert data["hazard"]["substance"] == "propane"  # from the layer
    assert (data["hazard"]["model"], data["hazard"]["worst_case"]) == ("vce", ["bleve"])
    assert data["hazard"]["mass_kg"] == 800
    assert scenario_from_dict(data).hazard.worst_case == ("bleve",)


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ("{not json", "not a valid JSON alarm"),
        ("[1, 2]", "one JSON object"),
        ({**FIRE, "detection": {"kind": "leak"}}, "a leak needs rate_kg_s"),
        ({**FIRE, "time": "2026-11-27T15:02:00"}, "add the UTC offset"),
        ({**FIRE, "colour": "red"}, "unknown key 'colour'"),
        ({**FIRE, "weather": {"wind_from_deg": 1, "wind_speed_m_s": 2}}, "cloud_cover_tenths"),
        ({**FIRE, "detection": {"kind": "smoke"}}, "field 'detection.kind'"),
    ],
)
def test_a_malformed_alarm_is_one_line(tmp_path: Path, record: Any, expected: str) -> None:
    path = _write(tmp_path, "bad.json", record)
    with pytest.raises(ScenarioError) as exc:
        read_alarm(path)
    message = str(exc.value)
    assert "\n" not in message and str(path) in message and expected in message


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({**FIRE, "source": "T-99"}, "field 'source': 'T-99' is not in the hazard_sources"),
        ({**FIRE, "substance": "unobtainium"}, "unknown substance 'unobtainium'"),
        ({**FIRE, "substance": "diesel", "detection": {"kind": "fire"}, "source": "CL-1"}, None),
    ],
)
def test_unknown_sources_and_substances(
    area: Area, tmp_path: Path, record: Any, expected: str | None
) -> None:
    alarm = read_alarm(_write(tmp_path, "x.json", record))
    if expected is None:  # the alarm's substance wins over the layer's
        data, _ = alarm_scenario_data(alarm, area=area)
        assert data["hazard"]["model"] == "pool_fire" and "domino" not in data["hazard"]
        return
    with pytest.raises(ScenarioError, match=expected):
        alarm_scenario_data(alarm, area=area, where="x.json")


def test_incident_from_an_alarm_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    area = write_tiny_area(tmp_path / "area")
    path = _write(tmp_path, "fire.json", FIRE)
    out = tmp_path / "run"
    with pytest.raises(SystemExit) as exc:
        main(["incident", "--alarm", str(path), "--area", str(area), "--out", str(out), "--json"])
    assert exc.value.code == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["run_folder"] == str(out)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["start"] == "2026-11-27T15:02:00+08:00"
    assert summary["hazard"]["model"] == "pool_fire"
    assert "warning" in summary and summary["warning"]["households"] == summary["groups"]
    grids = [g for g in printed["grids"] if g["action"] == "evacuate"]
    assert grids and all(g["workers"] >= 1 and g["t_last_warned_s"] > 0 for g in grids)
    assert (out / "drill" / "warning" / "index.html").is_file()


def test_incident_needs_a_source_or_an_alarm(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["incident"])
    assert exc.value.code == 2
    assert "give --source (or --alarm)" in capsys.readouterr().err
