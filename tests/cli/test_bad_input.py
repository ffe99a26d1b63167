"""Bad input through the real command line: one line naming the file and field (or the option,
argument or command), exit code 2, no traceback, no folder left behind.

The corpus has three parts:

- scenario files in ``tests/data/bad/*.toml`` (their first line, ``# expect: TEXT``, is what the
  error line must contain), each copied beside a valid tiny area named ``area``;
- broken areas (:data:`AREA_CASES`): variants of ``tests/support/tiny_area.py`` run with a valid
  scenario;
- bad arguments of every command in ``tests/data/bad/arguments.toml``, run in a workspace that
  must be left exactly as it was.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from evacsim.cli import main
from tests.support.paths import DATA
from tests.support.tiny_area import tiny_features, tiny_scenario, write_tiny_area

BAD = DATA / "bad"
CASES = sorted(BAD.glob("*.toml"))
SCENARIO_CASES = [c for c in CASES if c.name != "arguments.toml"]
ARGUMENT_CASES: list[dict[str, Any]] = tomllib.loads(
    (BAD / "arguments.toml").read_text(encoding="utf-8")
)["case"]
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
    assert lines[0].startswith("error: "), lines[0]
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def test_corpus_is_large_enough() -> None:
    assert len(SCENARIO_CASES) + len(AREA_CASES) + len(ARGUMENT_CASES) >= 60
    names = [c["name"] for c in ARGUMENT_CASES]
    assert len(set(names)) == len(names)
    commands = {c["argv"][0] for c in ARGUMENT_CASES if c["argv"]}
    assert {"run", "validate", "scenarios", "incident", "compare", "sweep", "export", "hazard",
            "import-osm"} <= commands  # fmt: skip


@pytest.mark.parametrize("case", SCENARIO_CASES, ids=[c.stem for c in SCENARIO_CASES])
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


# --------------------------------------------------------------------------- broken areas

Features = list[dict[str, Any]]


def _set(fid: str, **props: Any) -> Callable[[Features], Features]:
    def change(feats: Features) -> Features:
        for feat in feats:
            if feat["properties"]["id"] == fid:
                feat["properties"].update(props)
        return feats

    return change


def _geometry(fid: str, geometry: Any) -> Callable[[Features], Features]:
    def change(feats: Features) -> Features:
        for feat in feats:
            if feat["properties"]["id"] == fid:
                feat["geometry"] = geometry
        return feats

    return change


def _swap_lon_lat(fid: str) -> Callable[[Features], Features]:
    def change(feats: Features) -> Features:
        for feat in feats:
            if feat["properties"]["id"] == fid:
                lon, lat = feat["geometry"]["coordinates"]
                feat["geometry"]["coordinates"] = [lat, lon]
        return feats

    return change


def _open_ring(fid: str) -> Callable[[Features], Features]:
    def change(feats: Features) -> Features:
        for feat in feats:
            if feat["properties"]["id"] == fid:
                feat["geometry"]["coordinates"][0].pop()
        return feats

    return change


def _duplicate_first(feats: Features) -> Features:
    return [*feats, feats[0]]


def _no_geometry(feats: Features) -> Features:
    feats[1]["geometry"] = None
    return feats


def _copies(fid: str, *new_ids: str) -> Callable[[Features], Features]:
    def change(feats: Features) -> Features:
        base = next(f for f in feats if f["properties"]["id"] == fid)
        return feats + [{**base, "properties": {**base["properties"], "id": i}} for i in new_ids]

    return change


def _declared_crs(layer: str, crs: str) -> dict[str, Any]:
    """A layer whose GeoJSON declares ``crs`` while its coordinates are still degrees."""
    return {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": crs}},
        "features": tiny_features(layer),
    }


NULL_VERTEX = [[106.46, 29.43], [None, 29.43]]

#: name -> (write_tiny_area overrides, layer file named in the error, texts named).
AREA_CASES: dict[str, tuple[dict[str, Any], str, tuple[str, ...]]] = {
    "roads_missing": ({"roads": None}, "roads", ("roads",)),
    "grids_not_json": ({"grids": "{not json"}, "grids", ("grids",)),
    "car_share_1_7": ({"grids": _set("G-002", car_share=1.7)}, "grids", ("car_share",)),
    "assembly_point_unknown": (
        {"grids": _set("G-003", assembly_point="AP-9")},
        "grids",
        ("assembly_point",),
    ),
    "ap_capacity_zero": (
        {"assembly_points": _set("AP-1", capacity_persons=0)},
        "assembly_points",
        ("capacity_persons",),
    ),
    "road_lanes_zero": ({"roads": _set("R-0002", lanes=0)}, "roads", ("lanes",)),
    "grid_id_duplicate": ({"grids": _duplicate_first}, "grids", ("G-001",)),
    "population_text": (
        {"grids": _set("G-001", population_day="many")},
        "grids",
        ("population_day",),
    ),
    "shelter_without_geometry": ({"shelters": _no_geometry}, "shelters", ("S-2",)),
    "grids_empty": ({"grids": []}, "grids", ("layer 'grids' has no features",)),
    "shelters_empty": ({"shelters": []}, "shelters", ("layer 'shelters' has no features",)),
    "population_a_trillion": (
        {"grids": _set("G-001", population_night=10**12)},
        "grids",
        ("G-001", "population_night", "1000000000000 is outside [0, 200 000]"),
    ),
    "roads_crs_utm_but_degrees": (
        {"roads": _declared_crs("roads", "EPSG:32648")},
        "roads",
        ("R-0001", "area of use", "EPSG:32648"),
    ),
    "roads_crs_web_mercator_but_degrees": (
        {"roads": _declared_crs("roads", "EPSG:3857")},
        "roads",
        ("layer 'roads'", "EPSG:3857", "km from the grids"),
    ),
    "shelters_crs_utm_but_degrees": (
        {"shelters": _declared_crs("shelters", "EPSG:32648")},
        "shelters",
        ("S-1", "area of use"),
    ),
    "road_with_one_vertex": (
        {"roads": _geometry("R-0002", {"type": "LineString", "coordinates": [[106.462, 29.43]]})},
        "roads",
        ("R-0002", "'geometry'", "at least 2 points"),
    ),
    "shelter_nan_coordinates": (
        {"shelters": _geometry("S-1", {"type": "Point", "coordinates": [math.nan, math.nan]})},
        "shelters",
        ("S-1", "'geometry'", "not finite"),
    ),
    "road_null_coordinate": (
        {"roads": _geometry("R-0003", {"type": "LineString", "coordinates": NULL_VERTEX})},
        "roads",
        ("R-0003", "not numbers"),
    ),
    "grid_ring_open": ({"grids": _open_ring("G-002")}, "grids", ("G-002", "not closed")),
    "road_is_a_point": (
        {"roads": _geometry("R-0004", {"type": "Point", "coordinates": [106.46, 29.43]})},
        "roads",
        ("R-0004", "expected LineString"),
    ),
    "assembly_point_lon_lat_swapped": (
        {"assembly_points": _swap_lon_lat("AP-2")},
        "assembly_points",
        ("AP-2", "swapped"),
    ),
    "shelter_id_is_an_assembly_point_id": (
        {"shelters": _set("S-1", id="AP-1")},
        "shelters",
        ("'AP-1'", "also an id in assembly_points"),
    ),
    "team_ids_share_a_file_name": (
        {"team_bases": _copies("TM-1", "TM/7", "TM_7")},
        "team_bases",
        ("'TM_7'", "same file name as 'TM/7'"),
    ),
    "needs_assistance_over_population": (
        {"grids": _set("G-004", needs_assistance=70)},
        "grids",
        ("G-004", "needs_assistance", "more than population_day (50)"),
    ),
    "highway_unknown": ({"roads": _set("R-0005", highway="autobahn")}, "roads", ("highway",)),
    "store_without_inventory": (
        {"hazard_sources": _set("CL-1", inventory_kg=None)},
        "hazard_sources",
        ("CL-1", "inventory_kg"),
    ),
    "team_without_members": ({"team_bases": _set("TM-1", members=0)}, "team_bases", ("members",)),
    "supply_stock_negative": (
        {"supply_points": _set("SP-1", stock_water_l=-5)},
        "supply_points",
        ("stock_water_l",),
    ),
}


@pytest.mark.parametrize("case", sorted(AREA_CASES))
def test_broken_area(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    overrides, layer, needles = AREA_CASES[case]
    write_tiny_area(tmp_path / "area", **overrides)
    scenario = tmp_path / "s.toml"
    scenario.write_text(VALID, encoding="utf-8")
    parent = tmp_path / "out"
    parent.mkdir()
    code, err = _run_cli(["run", str(scenario), "--out", str(parent / "run")], capsys)
    assert code == 2, err
    _assert_one_line(err, f"{layer}.geojson", *needles)
    assert list(parent.iterdir()) == []


def test_broken_area_toml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tiny_area(tmp_path / "area", area_toml='name = "unterminated')
    (tmp_path / "s.toml").write_text(VALID, encoding="utf-8")
    code, err = _run_cli(["run", str(tmp_path / "s.toml"), "--out", str(tmp_path / "r")], capsys)
    assert code == 2
    _assert_one_line(err, "area.toml", "not valid TOML")
    assert not (tmp_path / "r").exists()


def test_tiny_features_are_unchanged_by_variants() -> None:
    # The variants above edit copies: the shared fixture stays valid.
    assert tiny_features("grids")[1]["properties"]["car_share"] == 0.5


# --------------------------------------------------------------------------- arguments


def _tree(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root`` (hidden ones too) with its bytes (``None`` for folders)."""
    return {
        p.relative_to(root).as_posix(): (None if p.is_dir() else p.read_bytes())
        for p in sorted(root.rglob("*"))
    }


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("args")
    write_tiny_area(root / "area")
    (root / "s.toml").write_text(tiny_scenario(name="args"), encoding="utf-8")
    stray = root / "stray"
    stray.mkdir()
    (stray / "summary.json").write_text(json.dumps({"ete_s": {}}), encoding="utf-8")
    (stray / "thesis.docx").write_bytes(b"a user's document")
    (root / "notes.txt").write_text("a user's notes\n", encoding="utf-8")
    shutil.copyfile(DATA / "osm" / "tiny.osm", root / "tiny.osm")
    (root / "broken.osm").write_text('<osm version="0.6"><node id="1" lat="29.4"', "utf-8")
    from evacsim import run, save

    save(run(root / "s.toml"), root / "run")
    return root


@pytest.mark.parametrize("case", ARGUMENT_CASES, ids=[c["name"] for c in ARGUMENT_CASES])
def test_bad_arguments(
    case: dict[str, Any],
    workspace: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(workspace)
    before = _tree(workspace)
    code, err = _run_cli(list(case["argv"]), capsys)
    assert code == 2, err
    _assert_one_line(err, *case["expect"])
    assert _tree(workspace) == before  # nothing written, nothing removed, no hidden leftovers


def test_missing_scenario_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run_cli(["run", str(tmp_path / "nope.toml")], capsys)
    assert code == 2
    _assert_one_line(err, "nope.toml", "not found")


def test_bad_input_in_a_real_process(tmp_path: Path) -> None:
    """The installed entry point, with faulthandler: exit code 2 and one line."""
    write_tiny_area(tmp_path / "area")
    case = BAD / "wind_400_degrees.toml"
    shutil.copyfile(case, tmp_path / case.name)
    proc = subprocess.run(
        [sys.executable, "-X", "faulthandler", "-m", "evacsim.cli", "run", case.name,
         "--out", "out/run"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    _assert_one_line(proc.stderr, case.name, "weather.wind_from_deg")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "argv",
    [["run", "s.toml", "--seed", "1.5"], ["frobnicate"], ["export"]],
    ids=["bad value", "unknown command", "missing argument"],
)
def test_usage_errors_in_a_real_process(tmp_path: Path, argv: list[str]) -> None:
    """Click's usage errors, through the real entry point: exit 2, one line, no traceback."""
    proc = subprocess.run(
        [sys.executable, "-X", "faulthandler", "-m", "evacsim.cli", *argv],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    _assert_one_line(proc.stderr, "evacsim")
    assert list(tmp_path.iterdir()) == []
