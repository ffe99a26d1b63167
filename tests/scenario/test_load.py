"""Scenario files: validation, one-line errors naming the file and field, overrides."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from evacsim.errors import ScenarioError
from evacsim.scenario.distributions import Fixed, LogNormal, Normal, Rayleigh, Uniform, Weibull
from evacsim.scenario.load import load_scenario, parse_overrides
from tests.support.paths import REPO

MINIMAL = """
name = "t"
area = "area"
[hazard]
model = "radius"
at = [106.46, 29.43]
radii_m = { red = 100, orange = 200, yellow = 300 }
"""


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "area").mkdir(exist_ok=True)
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_scenario_gets_documented_defaults(tmp_path: Path) -> None:
    sc = load_scenario(_write(tmp_path, MINIMAL))
    assert sc.area_path == (tmp_path / "area").resolve()
    assert sc.population.period == "day"
    assert sc.evacuation.assignment == "plan"
    assert sc.departure.night_factor == 1.5
    assert len(sc.sha256) == 64


def test_default_scenario_loads() -> None:
    sc = load_scenario(REPO / "scenarios" / "funiuxi_tank_fire.toml")
    assert sc.hazard.source == "T-07"
    assert sc.area_path == (REPO / "maps" / "funiuxi").resolve()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bogus = 1\n" + MINIMAL, "unknown key 'bogus'"),
        (MINIMAL + "bogus = 1\n", "unknown key 'hazard.bogus'"),
        (MINIMAL + "[population]\nperiod = 'dusk'\n", "field 'population.period'"),
        (MINIMAL + "[population]\nshadow_share = 1.5\n", "field 'population.shadow_share'"),
        (MINIMAL + "[transport]\nbus_capacity_persons = 0\n", "transport.bus_capacity_persons"),
        (
            MINIMAL + "[departure]\nwarning = { dist = 'lognormal', median_s = 600, sigma = -1 }\n",
            "field 'departure.warning.sigma'",
        ),
        (
            MINIMAL + "[departure]\nwarning = { dist = 'uniform', low_s = 60, high_s = 10 }\n",
            "departure.warning",
        ),
        (MINIMAL + "[evacuation]\nassignment = 'random'\n", "field 'evacuation.assignment'"),
        (
            MINIMAL + "[evacuation]\nwalk_speed_m_s = 1.0\nassisted_speed_m_s = 1.5\n",
            "field 'evacuation': assisted_speed_m_s (1.5) must not exceed walk_speed_m_s (1.0)",
        ),
        (MINIMAL.replace('name = "t"\n', ""), "field 'name' is required"),
        ("name = 't'\narea = [\n", "not a valid TOML file"),
    ],
)
def test_bad_scenarios_name_file_and_field(tmp_path: Path, text: str, expected: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    message = str(err.value)
    assert str(path) in message
    assert expected in message
    assert "\n" not in message


def test_missing_file_and_missing_area(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="scenario file not found"):
        load_scenario(tmp_path / "nope.toml")
    path = tmp_path / "s.toml"
    path.write_text(MINIMAL.replace('"area"', '"no-such-area"'), encoding="utf-8")
    with pytest.raises(ScenarioError, match="field 'area'"):
        load_scenario(path)


def test_parse_overrides_reads_toml_values() -> None:
    assert parse_overrides(["a.b=1", "c=x", "d=[1, 2]", "e=true"]) == {
        "a": {"b": 1},
        "c": "x",
        "d": [1, 2],
        "e": True,
    }
    with pytest.raises(ScenarioError, match="expected key=value"):
        parse_overrides(["nokey"])


@pytest.mark.parametrize(
    "dist",
    [
        Uniform(low_s=60, high_s=600),
        Normal(mean_s=900, sd_s=120),
        LogNormal(median_s=600, sigma=0.6),
        Weibull(scale_s=900, shape=1.5),
        Rayleigh(scale_s=700),
    ],
)
def test_delay_distributions_fit_their_cdf(dist: object) -> None:
    """RN-8: sampled delays follow the prescribed distribution (KS test, p > 0.05)."""
    rng = np.random.default_rng(7)
    sample = dist.sample_s(rng, 4000)  # type: ignore[attr-defined]
    result = stats.kstest(sample, dist.cdf)  # type: ignore[attr-defined]
    assert result.pvalue > 0.05


def test_fixed_distribution_is_exact_and_scaled() -> None:
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(Fixed(value_s=30).sample_s(rng, 3, scale=1.5), [45, 45, 45])


def test_lognormal_median_matches_parameter() -> None:
    sample = LogNormal(median_s=600, sigma=0.6).sample_s(np.random.default_rng(1), 20000)
    assert abs(np.median(sample) - 600) / 600 < 0.03
