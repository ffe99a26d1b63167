"""Sweeps: seeds, grids, overrides, confidence intervals, failures, and identical results on a
process pool and on a Dask LocalCluster."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from evacsim.errors import ScenarioError
from evacsim.scenario.load import Scenario, load_scenario
from evacsim.sweep import (
    aggregate,
    apply_overrides,
    expand_grid,
    make_executor,
    parse_grid,
    replication_seeds,
    run_summary,
    sweep,
)
from tests.support.tiny_area import tiny_scenario as tiny_scenario_toml
from tests.support.tiny_area import write_tiny_area


@pytest.fixture(scope="module")
def tiny_scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sweep")
    write_tiny_area(folder / "area")
    path = folder / "s.toml"
    path.write_text(tiny_scenario_toml(name="tiny sweep", seed=42), encoding="utf-8")
    return path


def test_seeds_are_spawned_from_the_scenario_seed() -> None:
    children = np.random.SeedSequence(42).spawn(3)
    expected = [int(c.generate_state(1)[0]) for c in children]
    assert replication_seeds(42, 3) == expected
    assert len(set(replication_seeds(42, 50))) == 50
    # Spawning is prefix-stable: more replications keep the first ones.
    assert replication_seeds(42, 5)[:3] == expected


def test_parse_and_expand_grid() -> None:
    grid = parse_grid(["weather.wind_from_deg=0,90,180", "population.period=day,night"])
    assert grid == {"weather.wind_from_deg": [0, 90, 180], "population.period": ["day", "night"]}
    points = expand_grid(grid)
    assert len(points) == 6
    assert points[0] == {"weather.wind_from_deg": 0, "population.period": "day"}
    assert points[1] == {"weather.wind_from_deg": 0, "population.period": "night"}
    assert parse_grid(['simulation.closed_roads=["R-0001", "R-0002"],[]']) == {
        "simulation.closed_roads": [["R-0001", "R-0002"], []]
    }
    with pytest.raises(ScenarioError, match="key=value"):
        parse_grid(["weather.wind_from_deg"])


def test_overrides_are_validated_and_name_file_and_key(tiny_scenario: Path) -> None:
    sc = load_scenario(tiny_scenario)
    new = apply_overrides(sc, {"weather.wind_from_deg": 90, "evacuation.assignment": "nearest"})
    assert new.weather.wind_from_deg == 90
    assert new.evacuation.assignment == "nearest"
    assert new.area_path == sc.area_path and new.path == sc.path
    assert new.hazard == sc.hazard
    with pytest.raises(ScenarioError, match=r"s\.toml: unknown key 'weather\.wind'"):
        apply_overrides(sc, {"weather.wind": 1})
    with pytest.raises(ScenarioError, match=r"s\.toml: field 'weather\.wind_from_deg'"):
        apply_overrides(sc, {"weather.wind_from_deg": 400})
    with pytest.raises(ScenarioError, match="seed"):
        apply_overrides(sc, {"seed": 3})


def test_t_interval_against_the_textbook_value() -> None:
    # x = 1, 2, 3, 4: mean 2.5, s = sqrt(5/3) = 1.2910; t(0.975, 3) = 3.182 (Student-t tables).
    runs = pd.DataFrame({"ete_assembly_p50_s": [1.0, 2.0, 3.0, 4.0]})
    runs["ete_assembly_p90_s"] = [np.nan, 5.0, np.nan, np.nan]
    runs["end_s"] = np.nan
    table = aggregate(runs, []).set_index("metric")
    row = table.loc["ete_assembly_p50_s"]
    assert row["n"] == 4 and row["mean"] == pytest.approx(2.5)
    assert row["sd"] == pytest.approx(math.sqrt(5 / 3))
    half = 3.182446 * math.sqrt(5 / 3) / 2
    assert row["ci95_low"] == pytest.approx(2.5 - half, abs=1e-5)
    assert row["ci95_high"] == pytest.approx(2.5 + half, abs=1e-5)
    one = table.loc["ete_assembly_p90_s"]  # missing values are left out, one left: no interval
    assert one["n"] == 1 and one["mean"] == 5.0 and math.isnan(one["ci95_low"])
    assert table.loc["end_s"]["n"] == 0


def _failing_runner(scenario: Scenario, seed: int) -> dict[str, Any]:
    if seed == replication_seeds(42, 3)[1]:
        raise RuntimeError("worker lost\nits way")
    return run_summary(scenario, seed)


def test_a_failing_replication_is_reported_and_the_rest_kept(tiny_scenario: Path) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        result = sweep(tiny_scenario, replications=3, executor=pool, runner=_failing_runner)
    assert not result.ok
    (failure,) = result.failures
    assert failure.replication == 1 and failure.seed == replication_seeds(42, 3)[1]
    assert failure.error == "RuntimeError: worker lost its way"
    assert not failure.input_error
    assert "replication 1 (seed" in failure.line()
    assert list(result.runs["replication"]) == [0, 2]
    assert result.table.set_index("metric").loc["persons_total", "n"] == 2


def test_bad_grid_fails_before_any_run(tiny_scenario: Path) -> None:
    calls: list[int] = []

    def runner(scenario: Scenario, seed: int) -> dict[str, Any]:
        calls.append(seed)
        return {}

    with ThreadPoolExecutor(1) as pool, pytest.raises(ScenarioError, match="wind_from_deg"):
        sweep(tiny_scenario, replications=2, grid={"weather.wind_from_deg": [0, 400]},
              executor=pool, runner=runner)  # fmt: skip
    assert calls == []
    with pytest.raises(ScenarioError, match="--replications"):
        sweep(tiny_scenario, replications=0, executor=ThreadPoolExecutor(1))


def test_runs_follow_the_grid_and_seeds(tiny_scenario: Path) -> None:
    grid = {"population.period": ["day", "night"]}
    with ThreadPoolExecutor(max_workers=2) as pool:
        result = sweep(tiny_scenario, replications=2, grid=grid, executor=pool)
    runs = result.runs
    assert list(runs["population.period"]) == ["day", "day", "night", "night"]
    assert list(runs["seed"]) == replication_seeds(42, 2) * 2
    # Night populations of the tiny area are larger than day ones in the zone's grids.
    day = runs[runs["population.period"] == "day"]["persons_total"]
    night = runs[runs["population.period"] == "night"]["persons_total"]
    assert night.min() > day.max()
    # Each run equals a direct run with the same seed.
    day_sc = apply_overrides(load_scenario(tiny_scenario), {"population.period": "day"})
    direct = run_summary(day_sc, replication_seeds(42, 2)[1])
    assert result.summaries[1]["ete_s"] == direct["ete_s"]


@pytest.mark.slow
def test_process_pool_and_dask_give_identical_results(tiny_scenario: Path) -> None:
    """The test behind "identical whatever the executor": 4 replications, 2 workers each."""
    grid = {"weather.wind_from_deg": [45, 200]}
    with make_executor(workers=2) as pool:
        local = sweep(tiny_scenario, replications=4, grid=grid, executor=pool)
    with make_executor(workers=2, dask="local") as client:
        dask = sweep(tiny_scenario, replications=4, grid=grid, executor=client)
    assert local.ok and dask.ok
    assert len(local.runs) == 8
    pd.testing.assert_frame_equal(local.runs, dask.runs)
    pd.testing.assert_frame_equal(local.table, dask.table)
    for index, summary in local.summaries.items():
        other = {k: v for k, v in dask.summaries[index].items() if k != "runtime_s"}
        assert {k: v for k, v in summary.items() if k != "runtime_s"} == other
    # Different seeds do give different runs (the equality above is not vacuous).
    assert local.runs["ete_assembly_p100_s"].nunique() > 1
