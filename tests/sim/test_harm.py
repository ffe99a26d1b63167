"""Harm inside the run (issue 11, point 4): exposure along links, dose and FED wherever people
are, incapacitation at FED 1 (RN-12), blast casualties, crews' dose.

Every case is a small area drawn in metres (``tests/support/metric_area.py``); oracles are
analytic: chord lengths, the Gaussian plume and the NUREG-1805 point source written out by hand
here, SFPE's 70.55 s to incapacitation at 5 kW/m², Kinney–Graham's scaled distances.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import quad
from scipy.optimize import brentq

from evacsim.pipeline import Run, run
from tests.support.metric_area import lonlat, write_metric_area

HOLD = '[departure]\nwarning = { dist = "fixed", value_s = 60 }\n' \
    'preparation = { dist = "fixed", value_s = 0 }\n'  # fmt: skip


def _square(cx: float, cy: float, half: float = 5.0) -> list[tuple[float, float]]:
    return [(cx - half, cy - half), (cx + half, cy - half), (cx + half, cy + half),
            (cx - half, cy + half)]  # fmt: skip


def _scenario(folder: Path, hazard: str, extra: str = "", departure: str = HOLD) -> Path:
    at = lonlat(0.0, 0.0) if "at =" not in hazard else None
    text = f'name = "harm"\nseed = 1\narea = "area"\n[hazard]\n{hazard}\n'
    if at is not None:
        text += f"at = [{at[0]!r}, {at[1]!r}]\n"
    text += departure + '[population]\nperiod = "day"\n' + extra
    path = folder / "s.toml"
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------ time in a level along a link


@pytest.fixture(scope="module")
def crossing_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """A car drives east along y = 0 at 10 m/s; the fire's rings are centred 100 m north of the
    road: red 90 m (never reached), orange 125 m (a 2·√(125² − 100²) = 150 m chord), yellow
    400 m. Its household is in a tiny grid inside the orange ring whose nearest road node is
    the west end (-300, 0), in yellow; it leaves at 60 s."""
    folder = tmp_path_factory.mktemp("crossing")
    write_metric_area(
        folder / "area",
        roads=[([(-300, 0), (300, 0)], {}), ([(300, 0), (700, 0)], {}),
               ([(700, 0), (1100, 0)], {})],
        grids=[(_square(-20, -15), {"population_day": 2, "car_share": 1.0})],
        assembly_points=[((700, 0), {"id": "AP-1", "capacity_persons": 100})],
        shelters=[((1100, 0), {"id": "S-1", "capacity_persons": 100})],
    )  # fmt: skip
    x, y = lonlat(0.0, 100.0)
    hazard = ('model = "radius"\nradii_m = { red = 90, orange = 125, yellow = 400 }\n'
              f"at = [{x!r}, {y!r}]\n")  # fmt: skip
    return run(_scenario(folder, hazard, "[transport]\nbuses = 0\n"))


def test_seconds_in_orange_along_a_link_are_the_chord_time(crossing_run: Run) -> None:
    g = crossing_run.results.groups
    assert list(g["mode"]) == ["car"] and g["state"].iloc[0] == "sheltered"
    # 150 m of orange at 10 m/s; the rings are drawn as 64-gons, whose chord is at most
    # 2·(√(125² − 100²) − √((125 cos(π/64))² − 100²)) = 0.5 m shorter: 0.05 s
    assert g["exposure_orange_s"].iloc[0] == pytest.approx(15.0, abs=0.06)
    assert g["exposure_red_s"].iloc[0] == 0.0
    # yellow: 60 s at home, the other 450 m of the first link, then 300 → √(400² − 100²) m
    yellow = 60.0 + 45.0 + (math.sqrt(400**2 - 100**2) - 300.0) / 10.0
    assert g["exposure_yellow_s"].iloc[0] == pytest.approx(yellow, abs=0.12)


# ------------------------------------------------------- RN-12: a stationary person, a plume


def _briggs_d_ppm(q_kg_s: float, u_m_s: float, x_m: float) -> float:
    """Centreline ground concentration of a ground release, Briggs rural class D, chlorine at
    20 °C, written out by hand (Turner's Workbook; ideal-gas ppm conversion)."""
    sy = 0.08 * x_m / math.sqrt(1 + 0.0001 * x_m)
    sz = 0.06 * x_m / math.sqrt(1 + 0.0015 * x_m)
    mg_m3 = q_kg_s * 1e6 / (math.pi * sy * sz * u_m_s)
    return mg_m3 * 22.414 * (293.15 / 273.15) / 70.90


def test_rn12_stationary_person_in_a_steady_plume(tmp_path: Path) -> None:
    """RN-12 (NIST 2.6, ISO 20414 Test 19): someone who stays at home 1 km downwind of a steady
    chlorine release is incapacitated when ∫(C/C_ref)² dt reaches t_ref, C_ref = AEGL-3 (60 min,
    20 ppm): t* = x/u + 3600 s · (20/C)²."""
    d, u, q = 1000.0, 2.0, 3.2
    write_metric_area(
        tmp_path / "area",
        roads=[([(0, -d), (2000, -d)], {}), ([(2000, -d), (2500, -d)], {})],
        grids=[(_square(0, -d), {"population_day": 3})],
        assembly_points=[((2000, -d), {"id": "AP-1", "capacity_persons": 100})],
        shelters=[((2500, -d), {"id": "S-1", "capacity_persons": 100})],
    )  # fmt: skip
    hazard = ('model = "toxic_plume"\nsubstance = "chlorine"\nevacuate = "red"\n'
              f"release_rate_kg_s = {q}\nrelease_duration_s = 7200\n")  # fmt: skip
    weather = f'[weather]\nwind_from_deg = 0\nwind_speed_m_s = {u}\nstability = "D"\n'
    late = '[departure]\nwarning = { dist = "fixed", value_s = 5000 }\n'
    result = run(_scenario(tmp_path, hazard, weather, departure=late))
    g = result.results.groups
    c = _briggs_d_ppm(q, u, d)
    t_star = d / u + 3600.0 * (20.0 / c) ** 2
    assert set(g["state"]) == {"incapacitated"}
    np.testing.assert_allclose(g["t_incapacitated_s"], t_star, atol=0.01)
    np.testing.assert_allclose(g["fed"], 1.0)
    np.testing.assert_allclose(g["dose_ppm_min"], c * (t_star - d / u) / 60.0, rtol=1e-6)
    assert g["t_assembly_s"].isna().all()  # never left home
    assert result.summary["persons"]["incapacitated"] == 3
    assert result.summary["exposure"]["persons_fed_over_1"] == 3
    assert result.results.check_accounting() is None


def test_waiting_at_home_for_a_team_that_comes_too_late(tmp_path: Path) -> None:
    """People who need help call at 60 s and wait at home; the only team leaves its base after
    3000 s. They are incapacitated at home at the RN-12 instant, and no vehicle comes for them."""
    d, u, q = 1000.0, 2.0, 3.2
    write_metric_area(
        tmp_path / "area",
        roads=[([(0, -d), (2000, -d)], {}), ([(2000, -d), (2500, -d)], {})],
        grids=[
            (_square(0, -d), {"population_day": 2, "population_night": 2, "needs_assistance": 2})
        ],
        assembly_points=[((2000, -d), {"id": "AP-1", "capacity_persons": 100})],
        shelters=[((2500, -d), {"id": "S-1", "capacity_persons": 100})],
        team_bases=[((2500, -d), {"id": "TM-1", "members": 10, "vehicles": 1})],
    )  # fmt: skip
    hazard = ('model = "toxic_plume"\nsubstance = "chlorine"\nevacuate = "red"\n'
              f"release_rate_kg_s = {q}\nrelease_duration_s = 7200\n")  # fmt: skip
    extra = (
        f'[weather]\nwind_from_deg = 0\nwind_speed_m_s = {u}\nstability = "D"\n'
        "[teams]\nmobilisation_s = 3000\nstaff_assembly_points = false\n"
        "staff_shelters = false\ncordon_points = 0\n"
    )
    result = run(_scenario(tmp_path, hazard, extra))
    g = result.results.groups
    assert set(g["mode"]) == {"assisted"}
    t_star = d / u + 3600.0 * (20.0 / _briggs_d_ppm(q, u, d)) ** 2
    assert set(g["state"]) == {"incapacitated"}
    np.testing.assert_allclose(g["t_incapacitated_s"], t_star, atol=0.01)
    events = result.results.events
    assert (events["kind"] == "called_team").sum() == len(g)  # they did call
    assert result.summary["teams"]["door_to_door"]["persons"] == 0  # nobody came for them
    trips = result.results.extra["teams"]
    assert (trips["task"] != "door_to_door").all()


# ------------------------------------------- a fire: waiting outdoors, walking, indoors, crews

# gasoline in the NUREG-1805 spreadsheet's dike (2545 ft²): Q = 568,279 kW (reference §2)
Q_KW = 568_279.0
R5_M = math.sqrt(0.30 * Q_KW / (4 * math.pi * 5.0))  # 52.1 m: 5 kW/m²
FIRE_S = 1000.0
G002_ROAD = [(0.0, 42.0), (40.0, 40.0), (R5_M, 0.0)]
# orange at 6 kW/m² (47.6 m): the assembly point on the 5 kW/m² circle is outside it, usable
THRESHOLDS = "thresholds = { red = 10, orange = 6, yellow = 2 }\n"


def _flux(r_m: float) -> float:
    return 0.30 * Q_KW / (4 * math.pi * r_m**2)


@pytest.fixture(scope="module")
def fire_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """A pool fire at (0, 0) from 1000 s. G-001 (home (0, -40), its grid touching red) walks at
    60 s to AP-1 at (R5, 0), on the 5 kW/m² circle, and waits there (no buses). G-002 (home
    (0, 42), 7.7 kW/m², orange) is warned 1500 s later and walks to AP-1 through the fire, on a
    road bent at (40, 40) that keeps out of red (closed when the fire starts). Team TM-1 holds
    a cordon at (-R5, 0), also at 5 kW/m², long before the fire starts."""
    folder = tmp_path_factory.mktemp("fire")
    write_metric_area(
        folder / "area",
        roads=[([(0, -40), (R5_M, 0)], {}), (G002_ROAD, {}),
               ([(R5_M, 0), (800, 0)], {}), ([(-R5_M, 0), (-600, 0)], {}),
               ([(-600, 0), (-600, -900), (800, -900), (800, 0)], {})],
        grids=[(_square(0, -40), {"population_day": 2}),
               (_square(0, 42, 3.0), {"population_day": 3})],
        assembly_points=[((R5_M, 0), {"id": "AP-1", "capacity_persons": 100})],
        shelters=[((800, 0), {"id": "S-1", "capacity_persons": 100})],
        team_bases=[((-600, 0), {"id": "TM-1", "members": 10, "vehicles": 1})],
    )  # fmt: skip
    hazard = (f'model = "pool_fire"\nsubstance = "gasoline"\ndike_area_m2 = {2545 * 0.09290304}\n'
              f"start_s = {FIRE_S}\n{THRESHOLDS}")  # fmt: skip
    cordon = lonlat(-R5_M, 0.0)
    extra = (
        "[departure.stage_delay_s]\nred = 0\norange = 1500\nyellow = 1500\n"
        "[transport]\nbuses = 0\n"
        "[teams]\nmobilisation_s = 0\nstaff_assembly_points = false\nstaff_shelters = false\n"
        f'cordon_points = 0\ntasks = [{{ team = "TM-1", task = "cordon", '
        f"at = [{cordon[0]!r}, {cordon[1]!r}] }}]\n"
    )
    return run(_scenario(folder, hazard, extra))


def _grid(result: Run, grid: str) -> pd.DataFrame:
    g = result.results.groups
    rows = g[g["grid_id"] == grid]
    assert len(rows) >= 1
    return rows


def test_rn12_waiting_outdoors_at_5_kw_m2(fire_run: Run) -> None:
    """SFPE (Eq. 63.43): incapacitation after r / q^1.33 = 10 / 5^1.33 min = 70.55 s at
    5 kW/m²; the households wait at the assembly point from long before the fire."""
    rows = _grid(fire_run, "G-001")
    assert (rows["t_assembly_s"] < FIRE_S).all()
    assert set(rows["state"]) == {"incapacitated"}
    np.testing.assert_allclose(rows["t_incapacitated_s"], FIRE_S + 70.55, atol=0.05)
    # the thermal dose then is 70.55 s · 5^(4/3) TDU
    np.testing.assert_allclose(rows["thermal_dose_tdu"], 70.55 * 5 ** (4 / 3), rtol=2e-3)
    # it left the assembly point: nobody is waiting there at the end
    fac = fire_run.results.facilities.set_index("id")
    assert fac.loc["AP-1", "final"] == 0


def test_walking_through_the_fire_incapacitates_on_the_way(fire_run: Run) -> None:
    """G-002 walks its bent road from (0, 42) to the assembly point at 1.2 m/s through 7.7 →
    5 kW/m²; its FED ∫ q^1.33 / 600 s dt reaches 1 on the way (computed here with quad)."""
    rows = _grid(fire_run, "G-002")
    row = rows.iloc[0]  # the first household to leave (the others queue behind it)
    t0 = float(row["departure_s"])
    assert t0 == pytest.approx(60.0 + 1500.0)
    pts = np.array(G002_ROAD)
    seg = np.hypot(*np.diff(pts, axis=0).T)
    length = float(seg.sum())

    def where(s_m: float) -> tuple[float, float]:
        x = np.interp(s_m, np.r_[0.0, np.cumsum(seg)], pts[:, 0])
        y = np.interp(s_m, np.r_[0.0, np.cumsum(seg)], pts[:, 1])
        return float(x), float(y)

    def fed(t: float) -> float:
        def rate(s: float) -> float:
            return _flux(math.hypot(*where(1.2 * s))) ** 1.33 / 600.0

        return quad(rate, 0.0, t, limit=200, points=[float(seg[0]) / 1.2])[0]

    t_star = t0 + brentq(lambda t: fed(t) - 1.0, 0.0, length / 1.2)
    assert set(rows["state"]) == {"incapacitated"}
    assert rows["t_assembly_s"].isna().all()  # none got there
    assert row["t_incapacitated_s"] == pytest.approx(t_star, abs=0.1)
    # at home from the fire (1000 s) to departure (1560 s), indoors: no heat
    assert (rows["t_incapacitated_s"] > t0).all()
    # their paths stop where they fell
    paths = fire_run.results.paths.merge(rows[["group_id", "t_incapacitated_s"]])
    assert (paths["t_enter_s"] < paths["t_incapacitated_s"]).all()
    assert (paths["t_exit_s"] <= paths["t_incapacitated_s"] + 1e-9).all()


def test_crews_dose_at_a_cordon(fire_run: Run) -> None:
    """The cordon staff (4) and their driver stand at 5 kW/m² from the fire's start to the end
    of the run: FED = (end − 1000 s) · 5^1.33 / 600 s."""
    crews = fire_run.results.extra["crews"].set_index("kind")
    expected = (fire_run.results.end_s - FIRE_S) * 5**1.33 / 600.0
    post, driver = crews.loc["post"], crews.loc["team_driver"]
    assert post["persons"] == 4 and post["team"] == "TM-1"
    assert post["fed"] == pytest.approx(expected, rel=2e-3)
    assert driver["fed"] == pytest.approx(expected, rel=2e-3)
    team = fire_run.summary["teams"]["by_team"]["TM-1"]
    assert team["max_fed"] == pytest.approx(max(post["fed"], driver["fed"]), abs=1e-3)
    assert expected > 1.0  # the run lasts long enough for the cordon to be lost
    assert team["persons_fed_over_1"] == 5


def test_everyone_accounted_for_with_incapacitated(fire_run: Run) -> None:
    summary = fire_run.summary
    assert sum(summary["persons"].values()) == summary["persons_total"] == 5
    assert summary["persons"]["incapacitated"] == 5
    assert summary["exposure"]["persons_fed_over_1"] == 5


# ------------------------------------------------------------------------------ a blast


def _kinney_graham_psi(z: float) -> float:
    ratio = (
        808
        * (1 + (z / 4.5) ** 2)
        / math.sqrt((1 + (z / 0.048) ** 2) * (1 + (z / 0.32) ** 2) * (1 + (z / 1.35) ** 2))
    )
    return 14.696 * ratio


def test_blast_casualties_inside_the_red_contour(tmp_path: Path) -> None:
    """50 t of propane, 10 % yield, ground burst: W = 49,082 kg TNT; 8 psi at Z = 3.615 (free
    air, reference §4) times (2W)^(1/3) = 166.8 m. The household at 100 m is a casualty at the
    blast (t = 0); the one at 220 m is not (Kinney–Graham gives its overpressure)."""
    write_metric_area(
        tmp_path / "area",
        roads=[([(0, -100), (0, -220)], {}), ([(0, -220), (0, -900)], {}),
               ([(0, -900), (0, -1200)], {})],
        grids=[(_square(0, -100), {"population_day": 4}),
               (_square(0, -220), {"population_day": 6})],
        assembly_points=[((0, -900), {"id": "AP-1", "capacity_persons": 100})],
        shelters=[((0, -1200), {"id": "S-1", "capacity_persons": 100})],
    )  # fmt: skip
    hazard = 'model = "vce"\nsubstance = "propane"\nmass_kg = 50000\n'
    result = run(_scenario(tmp_path, hazard, "[transport]\nbuses = 1\n"))
    w = 0.1 * 50_000 * 46_000 / 4686.0
    charge = (2 * w) ** (1 / 3)
    assert 3.615 * charge == pytest.approx(166.8, abs=0.2)
    near, far = _grid(result, "G-001"), _grid(result, "G-002")
    assert set(near["state"]) == {"incapacitated"} and (near["t_incapacitated_s"] == 0.0).all()
    assert (near["fed"] >= 1.0).all()
    assert set(far["state"]) == {"sheltered"}
    psi = _kinney_graham_psi(220.0 / charge)
    np.testing.assert_allclose(far["peak_overpressure_psi"], psi, rtol=1e-3)
    np.testing.assert_allclose(far["fed"], psi / 8.0, rtol=1e-3)
    assert result.summary["persons"]["incapacitated"] == 4


# ---------------------------------------------------------------------- reproducibility


def test_same_seed_same_harm(tiny_area_dir: Path) -> None:
    text = (
        f'name = "cl"\nseed = 4\narea = "{tiny_area_dir.name}"\n[hazard]\nmodel = "toxic_plume"\n'
        'source = "CL-1"\nevacuate = "red"\n[weather]\nwind_from_deg = 200\nwind_speed_m_s = 1.5\n'
    )
    path = tiny_area_dir.parent / "cl.toml"
    path.write_text(text, encoding="utf-8")
    a, b = run(path).results, run(path).results
    pd.testing.assert_frame_equal(a.groups, b.groups)
    pd.testing.assert_frame_equal(a.extra["crews"], b.extra["crews"])
    assert (a.groups["fed"] > 0).any()
