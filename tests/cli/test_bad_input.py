"""Bad input through the real command line: one line naming the file and field, exit code 2, no
traceback, no run folder.

Scenario cases are the files in ``tests/data/bad/`` (their first line, ``# expect: TEXT``, is
what the error line must contain); each is copied beside a valid tiny area named ``area``.
Broken areas are variants of ``tests/support/tiny_area.py`` run with a valid scenario.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from evacsim.cli import main
from tests.support.paths import DATA
from tests.support.tiny_area import tiny_features, write_tiny_area

BAD = DATA / "bad"
CASES = sorted(BAD.glob("*.toml"))
VALID = """name = "valid scenario, broken area"
seed = 1
area = "area"
[hazard]
model = "radius"
source = "T-01"
radii_m = { red = 60, orange = 150, yellow = 250 }
"""


def _expect(path: Path) -> str:
    first = path.read_bytes().split(b"\n", 1)[0].decode("utf-8")
    assert first.startswith("# expect: "), path
    return first.removeprefix("# expect: ")


def _run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    code = exc.value.code
    return int(code) if isinstance(code, int) else -1, capsys.readouterr().err


def _assert_one_line(err: str, *needles: str) -> None:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def test_corpus_is_large_enough() -> None:
    assert len(CASES) + len(AREA_CASES) >= 25


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_bad_scenario(case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tiny_area(tmp_path / "area")
    scenario = tmp_path / case.name
    shutil.copyfile(case, scenario)
    parent = tmp_path / "out"
    parent.mkdir()
    code, err = _run_cli(["run", str(scenario), "--out", str(parent / "run")], capsys)
    assert code == 2, err
    _assert_one_line(err, case.name, _expect(case))
    assert list(parent.iterdir()) == []


def _set(layer: str, fid: str, **props: Any) -> Callable[[list[dict[str, Any]]], list[Any]]:
    def change(feats: list[dict[str, Any]]) -> list[Any]:
        for feat in feats:
            if feat["properties"]["id"] == fid:
                feat["properties"].update(props)
        return feats

    return change


def _duplicate_first(feats: list[dict[str, Any]]) -> list[Any]:
    return [*feats, feats[0]]


def _no_geometry(feats: list[dict[str, Any]]) -> list[Any]:
    feats[1]["geometry"] = None
    return feats


#: name -> (write_tiny_area overrides, layer file named in the error, field or text named).
AREA_CASES: dict[str, tuple[dict[str, Any], str, str]] = {
    "roads_missing": ({"roads": None}, "roads", "roads"),
    "grids_not_json": ({"grids": "{not json"}, "grids", "grids"),
    "car_share_1_7": ({"grids": _set("grids", "G-002", car_share=1.7)}, "grids", "car_share"),
    "assembly_point_unknown": (
        {"grids": _set("grids", "G-003", assembly_point="AP-9")},
        "grids",
        "assembly_point",
    ),
    "ap_capacity_zero": (
        {"assembly_points": _set("assembly_points", "AP-1", capacity_persons=0)},
        "assembly_points",
        "capacity_persons",
    ),
    "road_lanes_zero": ({"roads": _set("roads", "R-0002", lanes=0)}, "roads", "lanes"),
    "grid_id_duplicate": ({"grids": _duplicate_first}, "grids", "G-001"),
    "population_text": (
        {"grids": _set("grids", "G-001", population_day="many")},
        "grids",
        "population_day",
    ),
    "shelter_without_geometry": ({"shelters": _no_geometry}, "shelters", "S-2"),
}


@pytest.mark.parametrize("case", sorted(AREA_CASES))
def test_broken_area(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    overrides, layer, needle = AREA_CASES[case]
    write_tiny_area(tmp_path / "area", **overrides)
    scenario = tmp_path / "s.toml"
    scenario.write_text(VALID, encoding="utf-8")
    parent = tmp_path / "out"
    parent.mkdir()
    code, err = _run_cli(["run", str(scenario), "--out", str(parent / "run")], capsys)
    assert code == 2, err
    _assert_one_line(err, layer, needle)
    assert list(parent.iterdir()) == []


def test_tiny_features_are_unchanged_by_variants() -> None:
    # The variants above edit copies: the shared fixture stays valid.
    assert tiny_features("grids")[1]["properties"]["car_share"] == 0.5


def test_missing_scenario_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run_cli(["run", str(tmp_path / "nope.toml")], capsys)
    assert code == 2
    _assert_one_line(err, "nope.toml", "not found")


def test_bad_input_in_a_real_process(tmp_path: Path) -> None:
    """The installed entry point: exit code 2 and one line, through a subprocess."""
    write_tiny_area(tmp_path / "area")
    case = BAD / "wind_400_degrees.toml"
    shutil.copyfile(case, tmp_path / case.name)
    proc = subprocess.run(
        [sys.executable, "-m", "evacsim.cli", "run", case.name, "--out", "out/run"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    _assert_one_line(proc.stderr, case.name, "weather.wind_from_deg")
    assert not (tmp_path / "out").exists()
