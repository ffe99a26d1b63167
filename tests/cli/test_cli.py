"""The command line and the library entry points; every bundled scenario runs."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

import evacsim
from evacsim import save
from evacsim.cli import SCENARIOS_DIR, main
from evacsim.pipeline import Run, run
from evacsim.sim.results import GROUP_STATES
from tests.support.tiny_area import tiny_scenario, write_tiny_area

TINY = tiny_scenario(name="tiny cli", buses=None)
BUNDLED = sorted(SCENARIOS_DIR.glob("*.toml"))


@pytest.fixture
def tiny_scenario(tmp_path: Path) -> Path:
    write_tiny_area(tmp_path / "area")
    path = tmp_path / "tiny.toml"
    path.write_text(TINY, encoding="utf-8")
    return path


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


# --------------------------------------------------------------------------- commands


def test_run_json_is_the_summary(tiny_scenario: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tiny_scenario.parent / "run"
    code, out, err = _cli(["run", str(tiny_scenario), "--out", str(folder), "--json"], capsys)
    assert code == 0, err
    summary = json.loads(out)
    assert summary["seed"] == 5
    assert sum(summary["persons"].values()) == summary["persons_total"] > 0
    saved = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert saved["ete_s"] == summary["ete_s"]


def test_run_seed_and_quiet(tiny_scenario: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tiny_scenario.parent / "q"
    code, out, err = _cli(["run", str(tiny_scenario), "--out", str(folder), "--seed", "9", "-q"],
                          capsys)  # fmt: skip
    assert (code, out, err) == (0, "", "")
    assert json.loads((folder / "summary.json").read_text(encoding="utf-8"))["seed"] == 9


def test_validate_checks_every_file(
    tiny_scenario: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tiny_scenario.parent / "bad.toml"
    bad.write_text(TINY.replace('"T-01"', '"T-77"'), encoding="utf-8")
    code, out, err = _cli(["validate", str(tiny_scenario), str(bad)], capsys)
    assert code == 2
    assert f"{tiny_scenario}: ok" in out
    assert err.count("\n") == 1 and "bad.toml" in err and "T-77" in err
    assert not (tiny_scenario.parent / "runs").exists()


def test_validate_prints_every_problem_of_an_area(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def bad_capacity(features: list[dict]) -> list[dict]:
        for f in features:
            f["properties"]["capacity_persons"] = -1
        return features

    write_tiny_area(tmp_path / "area", assembly_points=bad_capacity, shelters=bad_capacity)
    path = tmp_path / "tiny.toml"
    path.write_text(TINY, encoding="utf-8")
    code, out, err = _cli(["validate", str(path)], capsys)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    # one line per feature, each naming its layer and feature, none summarised as "N more"
    layers = [line.split("layer '")[1].split("'")[0] for line in lines]
    assert all(f"{layer}.geojson" in line for layer, line in zip(layers, lines, strict=True))
    assert set(layers) == {"assembly_points", "shelters"} and len(lines) >= 4
    assert all("'capacity_persons': -1" in line for line in lines), lines
    assert not any("more problem" in line for line in lines)


def test_scenarios_lists_every_bundled_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(["scenarios"], capsys)
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == len(BUNDLED) >= 7
    for path, line in zip(BUNDLED, lines, strict=True):
        name = tomllib.loads(path.read_text(encoding="utf-8"))["name"]
        assert line == f"scenarios/{path.name}: {name}"


def test_sweep_command(tiny_scenario: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tiny_scenario.parent / "sweep"
    argv = ["sweep", str(tiny_scenario), "-n", "2", "--set", "evacuation.assignment=plan,nearest",
            "--workers", "1", "--out", str(out_dir), "--json"]  # fmt: skip
    code, out, err = _cli(argv, capsys)
    assert code == 0, err
    data = json.loads(out)
    assert [r["evacuation.assignment"] for r in data["runs"]] == ["plan"] * 2 + ["nearest"] * 2
    assert data["failures"] == []
    assert (out_dir / "runs.csv").is_file() and (out_dir / "table.csv").is_file()


def test_sweep_bad_key_is_one_line(tiny_scenario: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["sweep", str(tiny_scenario), "-n", "2", "--set", "weather.wind_fro=0,90"]
    code, _, err = _cli(argv, capsys)
    assert code == 2
    assert err.strip() == "error: " + f"{tiny_scenario}: unknown key 'weather.wind_fro'"


def test_export_command(tiny_scenario: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("evacsim.export")
    folder = tiny_scenario.parent / "run"
    assert _cli(["run", str(tiny_scenario), "--out", str(folder), "-q"], capsys)[0] == 0
    dest = tiny_scenario.parent / "exported"
    code, _, err = _cli(["export", str(folder), "--format", "csv", "--out", str(dest)], capsys)
    assert code == 0, err
    assert any(dest.glob("*.csv"))
    code, _, err = _cli(["export", str(folder), "--format", "shp", "--out", str(dest)], capsys)
    assert code == 2 and "--format" in err
    code, _, err = _cli(["export", str(tiny_scenario.parent), "--format", "csv"], capsys)
    assert code == 2 and "not a run folder" in err


# --------------------------------------------------------------------------- library


def test_library_entry_points(tiny_scenario: Path) -> None:
    assert callable(evacsim.sweep) and evacsim.sweep.__module__ == "evacsim.sweep"
    scenario = evacsim.load_scenario(tiny_scenario)
    result = evacsim.run(scenario, seed=1)
    assert isinstance(result, evacsim.Run)
    folder = save(result, tiny_scenario.parent / "lib")
    assert (folder / "summary.json").is_file()
    area = evacsim.load_area(tiny_scenario.parent / "area")
    assert list(area.grids["id"]) == ["G-001", "G-002", "G-003", "G-004"]


def test_staged_departures_follow_the_level_delays(tmp_path: Path) -> None:
    """With fixed zero warning and preparation, departure = the level's stage delay exactly."""
    write_tiny_area(tmp_path / "area")
    staged = (
        TINY
        + """
[departure]
warning = { dist = "fixed", value_s = 0 }
preparation = { dist = "fixed", value_s = 0 }
stage_delay_s = { red = 0, orange = 600, yellow = 1500 }
"""
    )
    path = tmp_path / "staged.toml"
    path.write_text(staged, encoding="utf-8")
    groups = run(path).results.groups
    expected = np.array([0.0, 600.0, 1500.0, 1500.0])[groups["level"].to_numpy()]
    np.testing.assert_array_equal(groups["departure_s"].to_numpy(), expected)
    assert len(set(groups["level"])) >= 2  # grids of several levels: the delays differ


# --------------------------------------------------------------------------- bundled scenarios


@pytest.fixture(scope="module", params=BUNDLED, ids=[p.stem for p in BUNDLED])
def bundled_run(request: pytest.FixtureRequest) -> Run:
    return run(request.param)


def test_bundled_scenario_runs_and_accounts(bundled_run: Run) -> None:
    summary = bundled_run.summary
    assert summary["persons_total"] > 0
    assert set(summary["persons"]) == set(GROUP_STATES)
    assert sum(summary["persons"].values()) == summary["persons_total"]
    bundled_run.results.check_accounting()
    for key in ("scenario", "seed", "area", "hazard", "period", "assignment", "ete_s",
                "facilities", "exposure", "ended_by", "end_s"):  # fmt: skip
        assert key in summary, key
    assert set(summary["ete_s"]) == {"assembly", "shelter"}
    assert summary["ended_by"] in ("done", "horizon", "gridlock")
    # the median exists exactly when half the persons reached an assembly point
    g = bundled_run.results.groups
    arrived = int(g.loc[g["t_assembly_s"].notna(), "persons"].sum())
    half_arrived = 2 * arrived >= summary["persons_total"]
    assert (summary["ete_s"]["assembly"]["p50"] is not None) == half_arrived
    # FED >= 1 is incapacitation: no one over it is anywhere else
    if "persons_fed_over_1" in summary["exposure"]:
        assert summary["exposure"]["persons_fed_over_1"] == summary["persons"]["incapacitated"]


def test_bundled_scenario_speaks_every_language(bundled_run: Run) -> None:
    """Each warning of a bundled scenario is one the pages know (a new sentence of the core
    must be added to evacsim/display/warnings.py); each reason has a label."""
    from evacsim.display.i18n import translator
    from evacsim.display.labels import REASON_LABELS
    from evacsim.display.warnings import known_warning

    zh = translator("zh")
    unknown = [w for w in bundled_run.summary["warnings"] if known_warning(w, zh) is None]
    assert not unknown, unknown
    reasons = {r for ending in bundled_run.summary["endings"].values() for r in ending}
    codes = {code for r in reasons for code in r.split()}
    assert codes <= set(REASON_LABELS), codes - set(REASON_LABELS)


def test_bundled_scenarios_cover_the_issue() -> None:
    """The seven situations of issue 6, by what their files say."""
    docs = {p.stem: tomllib.loads(p.read_text(encoding="utf-8")) for p in BUNDLED}
    models = {d["hazard"]["model"] for d in docs.values()}
    assert {"radius", "bleve", "vce", "toxic_plume"} <= models
    assert docs["funiuxi_tank_fire"]["population"]["period"] == "day"
    assert docs["funiuxi_tank_fire_night"]["population"]["period"] == "night"
    assert docs["funiuxi_chlorine"]["hazard"]["source"] == "CL-1"
    assert docs["funiuxi_drill_crossing_closed"]["simulation"]["closed_roads"]
    assert "stage_delay_s" in docs["funiuxi_staged"]["departure"]
    readme = (SCENARIOS_DIR / "README.md").read_text(encoding="utf-8")
    for path in BUNDLED:
        assert f"`{path.name}`" in readme, path.name


# --------------------------------------------------------------------------- quiet, nobody


def test_a_hazard_that_reaches_nobody_runs_with_its_note_and_quiet_is_quiet(
    tmp_path: Path,
) -> None:
    """The issue's crash (a pandas merge in the run map) and --quiet printing library warnings;
    the core's warning lines are printed only with --verbose (the headline counts them)."""
    write_tiny_area(tmp_path / "area")
    far = TINY.replace('source = "T-01"', "at = [106.50, 29.40]")  # ~4 km from every grid
    (tmp_path / "far.toml").write_text(far, encoding="utf-8")

    def cli(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-X", "faulthandler", "-m", "evacsim.cli", "run", "far.toml", *argv],
            cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip

    loud = cli("--out", "loud", "--verbose")
    assert loud.returncode == 0, loud.stderr
    assert "entirely outside the area" in loud.stderr  # the library's warning, shown
    plain = cli("--out", "plain")
    assert plain.returncode == 0 and "WARNING" not in plain.stderr, plain.stderr
    assert "1 warning from the inputs, the plan and the run" in plain.stdout
    quiet = cli("--out", "quiet", "-q")
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    summary = json.loads((tmp_path / "quiet" / "summary.json").read_text(encoding="utf-8"))
    assert (
        summary["persons_total"] == 0 and summary["note"] == "nobody is inside the evacuation zone"
    )
    assert (tmp_path / "quiet" / "map.html").is_file()


def test_hazard_command_unites_the_worst_case(capsys: pytest.CaptureFixture[str]) -> None:
    # CCPS's propane BLEVE (fireball 132.6 m) with the VCE of its vapour: the table names both
    # models' thresholds and distances; the yellow level is the fireball's r * sqrt(175)
    spec = ["--set", "at=[106.46, 29.43]", "--set", "substance=propane",
            "--set", "capacity_m3=22.7", "--set", 'worst_case=["vce"]']  # fmt: skip
    code, out, _ = _cli(["hazard", "--model", "bleve", *spec, "--json"], capsys)
    assert code == 0
    yellow = json.loads(out)["levels"]["yellow"]
    assert yellow["distance_m"] == pytest.approx(132.6 / 2 * 175**0.5, rel=0.01)
    assert yellow["by_model"]["vce"]["unit"] == "psi"
    assert yellow["by_model"]["vce"]["distance_m"] < yellow["distance_m"]
    code, out, _ = _cli(["hazard", "--model", "bleve", *spec], capsys)
    assert code == 0
    assert "(bleve)" in out and "(vce)" in out and "bleve+vce" in out
