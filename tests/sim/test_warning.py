"""The warning chain (evacsim.sim.warning): times derived by hand from the chain's rules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evacsim.plan.make import make_plan
from evacsim.scenario.prepare import prepare
from evacsim.scenario.warning import WarningSpec
from evacsim.sim.warning import ChainInput, apply_warning, run_chain
from tests.support.tiny_area import tiny_scenario, write_tiny_area

# decision 300 s, then one message per level: town 120, community 120, group 60, grid 60.
DEFAULT_CHAIN_S = 300 + 120 + 120 + 60 + 60


def _input(
    households: list[int],
    *,
    paths: list[tuple[str, str, str]] | None = None,
    workers: list[int] | None = None,
    holds: list[float] | None = None,
    assisted: list[bool] | None = None,
) -> ChainInput:
    """``households[k]`` households in grid k; grid k at distance k*100 m from the hazard and
    its households at grid distance + their index (so "nearest first" is the listed order)."""
    n_grids = len(households)
    paths = paths or [("T", "C", f"g{k}") for k in range(n_grids)]
    grid = np.repeat(np.arange(n_grids), households)
    index = np.concatenate([np.arange(n) for n in households]) if households else np.zeros(0)
    return ChainInput(
        group_ids=np.array([f"G{g}/{i:04d}" for g, i in zip(grid, index, strict=True)]),
        group_grid=grid.astype(np.int64),
        group_assisted=np.array(assisted or [False] * len(grid)),
        group_distance_m=grid * 100.0 + index,
        grid_ids=np.array([f"G{k}" for k in range(n_grids)]),
        grid_town=np.array([p[0] for p in paths]),
        grid_community=np.array([p[1] for p in paths]),
        grid_group=np.array([p[2] for p in paths]),
        grid_workers=np.array(workers or [1] * n_grids, dtype=np.int64),
        grid_hold_s=np.array(holds or [0.0] * n_grids),
        grid_distance_m=np.arange(n_grids) * 100.0,
    )


@pytest.mark.parametrize(("n", "h"), [(1, 60.0), (7, 45.0), (40, 90.0)])
def test_one_worker_warns_n_households_in_chain_delay_plus_n_h(n: int, h: float) -> None:
    spec = WarningSpec(mode="chain", household_s={"phone": h, "door": 999.0})
    out = run_chain(_input([n]), spec)
    assert out.t_warned_s.max() == DEFAULT_CHAIN_S + n * h
    # one after another: the k-th household at chain delay + k·h
    expected = DEFAULT_CHAIN_S + h * np.arange(1, n + 1)
    np.testing.assert_array_equal(np.sort(out.t_warned_s), expected)
    assert list(out.grids["t_order_s"]) == [DEFAULT_CHAIN_S]


def test_workers_share_the_list_and_assisted_are_visited_at_the_door() -> None:
    # 5 households, 2 workers, phone 60 s; household 0 needs help (door 200 s).
    spec = WarningSpec(mode="chain", household_s={"phone": 60.0, "door": 200.0})
    out = run_chain(_input([5], workers=[2], assisted=[True, False, False, False, False]), spec)
    t0 = DEFAULT_CHAIN_S
    # worker 1: household 0 (door) until t0+200; worker 2: 1, 2, 3 at +60, +120, +180, then
    # worker 2 is free first again and takes 4 at +240.
    np.testing.assert_array_equal(out.t_warned_s, t0 + np.array([200, 60, 120, 180, 240.0]))
    assert list(out.visits.sort_values("t_visit_s")["method"])[-1] == "phone"
    assert out.visits.loc[out.visits["group_id"] == "G0/0000", "method"].item() == "door"


def test_a_sender_notifies_one_after_another_unless_it_broadcasts() -> None:
    # one community with five groups of one grid each, one household per grid, no worker time
    paths = [("T", "C", f"g{k}") for k in range(5)]
    spec = WarningSpec(mode="chain", household_s={"phone": 0.0, "door": 0.0})
    out = run_chain(_input([1] * 5, paths=paths), spec)
    k = np.arange(1, 6)
    np.testing.assert_array_equal(out.grids["t_order_s"], 300 + 120 + 120 + 60 * k + 60)
    broadcast = spec.model_copy(update={"broadcast": ("group",)})
    out = run_chain(_input([1] * 5, paths=paths), broadcast)
    np.testing.assert_array_equal(out.grids["t_order_s"], np.full(5, DEFAULT_CHAIN_S))
    levels = out.messages["level"].tolist()
    assert levels.count("group") == 5 and levels.count("town") == 1


def test_a_held_grid_waits_and_the_senders_are_shared() -> None:
    # two towns; the second grid is held back 100 s, less than the command centre's first call
    paths = [("T1", "C", "g"), ("T2", "C", "g")]
    spec = WarningSpec(mode="chain", household_s={"phone": 0.0, "door": 0.0})
    out = run_chain(_input([1, 1], paths=paths, holds=[0.0, 100.0]), spec)
    # wave 1 holds the command centre from 300 to 420; wave 2 (due at 400) waits, then 420 → 540.
    np.testing.assert_array_equal(out.grids["t_order_s"], [DEFAULT_CHAIN_S, DEFAULT_CHAIN_S + 120])
    out = run_chain(_input([1, 1], paths=paths, holds=[0.0, 1000.0]), spec)
    np.testing.assert_array_equal(out.grids["t_order_s"], [DEFAULT_CHAIN_S, DEFAULT_CHAIN_S + 1000])


@pytest.mark.parametrize(
    ("n", "share", "floor_sn"), [(37, 0.3, 11), (100, 0.29, 29), (10, 1.0, 10), (9, 0.05, 0)]
)
def test_a_mass_alert_reaches_floor_share_times_households_at_its_time(
    n: int, share: float, floor_sn: int
) -> None:
    spec = WarningSpec(
        mode="chain",
        household_s={"phone": 600.0, "door": 600.0},  # the chain comes after the alert
        channels=[{"name": "cell broadcast", "share": share, "at_s": 240.0}],
    )
    out = run_chain(_input([n]), spec, rng=np.random.default_rng(1))
    reached = out.warned_by == "cell broadcast"
    assert reached.sum() == floor_sn
    assert np.all(out.t_warned_s[reached] == 240.0)
    assert np.all(out.t_warned_s[~reached] > 240.0)


def test_the_night_factor_stretches_the_household_times_only() -> None:
    spec = WarningSpec(mode="chain", household_s={"phone": 60.0, "door": 60.0})
    out = run_chain(_input([4]), spec, household_factor=1.5)
    assert out.t_warned_s.max() == DEFAULT_CHAIN_S + 4 * 90.0


def test_workers_default_per_households_and_scale() -> None:
    spec = WarningSpec(households_per_worker=300, workers_factor=1.5)
    assert spec.workers(None, 800.0) == 5  # ceil(800/300) = 3, x 1.5 = 4.5 -> 5 (half up)
    assert spec.workers(2, 800.0) == 3
    assert spec.workers(None, 0.0) == 2  # at least one, then scaled
    assert WarningSpec().workers(None, 301.0) == 2


def _prepared(tmp_path: Path, extra: str) -> object:
    write_tiny_area(tmp_path / "area")
    path = tmp_path / "s.toml"
    path.write_text(tiny_scenario(extra=extra), encoding="utf-8")
    return prepare(path)


_FIXED0 = '[departure]\nwarning = { dist = "fixed", value_s = 0 }\n'
_INSTANT = (
    '[warning]\nmode = "chain"\ndecision_s = 0\n'
    "delay_s = { town = 0, community = 0, group = 0, grid = 0 }\n"
    'broadcast = ["town", "community", "group", "grid"]\n'
    "household_s = { phone = 0, door = 0 }\n"
)


def test_an_instant_chain_leaves_departures_equal_to_the_preparation_times(
    tmp_path: Path,
) -> None:
    """Zero delays, zero per-household time, everyone at once: departure = preparation, and the
    same as the distribution mode with a fixed zero warning (same draws)."""
    chain = _prepared(tmp_path / "a", _FIXED0 + _INSTANT)
    plan = make_plan(chain, np.random.default_rng(7))  # type: ignore[arg-type]
    outcome = apply_warning(chain, plan, np.random.default_rng(8))  # type: ignore[arg-type]
    assert outcome is not None and np.all(outcome.t_warned_s == 0.0)
    departures = plan.demand.groups["departure_s"].to_numpy()
    np.testing.assert_array_equal(departures, plan.demand.preparation_s)
    plain = _prepared(tmp_path / "b", _FIXED0)
    plain_plan = make_plan(plain, np.random.default_rng(7))  # type: ignore[arg-type]
    assert apply_warning(plain, plain_plan, np.random.default_rng(8)) is None  # type: ignore[arg-type]
    np.testing.assert_array_equal(departures, plain_plan.demand.groups["departure_s"].to_numpy())
    assert departures.min() > 0  # the preparation draws are not all zero: the test can fail


def test_a_stage_delay_holds_the_grid_back(tmp_path: Path) -> None:
    stages = "[departure]\nstage_delay_s = { red = 0, orange = 600, yellow = 900 }\n"
    staged = _prepared(tmp_path, _INSTANT + stages)
    plan = make_plan(staged, np.random.default_rng(7))  # type: ignore[arg-type]
    outcome = apply_warning(staged, plan, np.random.default_rng(8))  # type: ignore[arg-type]
    assert outcome is not None
    levels = plan.demand.groups["level"].to_numpy()
    np.testing.assert_array_equal(outcome.t_warned_s, np.array([0, 600, 900, 900.0])[levels])
    assert len(set(levels)) >= 2
    extra = {"G-001": 50.0}
    outcome = apply_warning(staged, plan, np.random.default_rng(8), grid_delay_s=extra)  # type: ignore[arg-type]
    assert outcome is not None
    g1 = (plan.demand.groups["grid_id"] == "G-001").to_numpy()
    np.testing.assert_array_equal(
        outcome.t_warned_s[g1], np.array([0, 600, 900, 900.0])[levels[g1]] + 50.0
    )
