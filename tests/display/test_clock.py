"""Clock times: the scenario's start plus the simulated seconds, dates when a day is crossed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest

from evacsim.display.clock import Clock
from evacsim.scenario.load import scenario_from_dict

CST = timezone(timedelta(hours=8))
START = datetime(2026, 6, 1, 15, 0, tzinfo=CST)


def test_clock_time_with_t_plus_beside_it() -> None:
    clock = Clock(START)
    assert clock.label(32 * 60) == "15:32 (T+0:32)"
    assert clock.label(32 * 60 + 29) == "15:32 (T+0:32)"  # both to the nearest minute
    assert clock.label(32 * 60 + 31) == "15:33 (T+0:33)"
    assert clock.label(float("nan")) == "—" and clock.label(None) == "—"


def test_a_run_crossing_midnight_shows_the_date() -> None:
    late = Clock(datetime(2026, 6, 1, 23, 30, tzinfo=CST), "en")
    assert late.hm(20 * 60) == "23:50"
    assert late.hm(45 * 60) == "Jun 2 00:15"
    assert Clock(late.start, "zh").hm(45 * 60) == "6月2日 00:15"


def test_gpx_gets_utc_and_gpkg_iso_with_the_offset() -> None:
    clock = Clock(START)
    assert clock.utc(90.4) == datetime(2026, 6, 1, 7, 1, 30, 400000, tzinfo=UTC)
    assert clock.iso(90.6) == "2026-06-01T15:01:31+08:00"
    assert clock.start_text() == "2026-06-01 15:00 UTC+08:00"
    with pytest.raises(ValueError, match="offset"):
        Clock(datetime(2026, 6, 1, 15, 0))


def test_gpx_stamps_of_many_times_are_the_utc_times_written_out() -> None:
    clock = Clock(START)
    assert clock.utc_stamps(np.array([0.0, 90.4, float("nan"), 86400.5])) == [
        "2026-06-01T07:00:00Z", "2026-06-01T07:01:30.400000Z", None, "2026-06-02T07:00:00.500000Z"
    ]  # fmt: skip
    rng = np.random.default_rng(3)
    seconds, decimals = rng.uniform(0, 2e5, 500), rng.integers(0, 7, 500)
    times = [round(t, int(d)) for t, d in zip(seconds, decimals, strict=True)]
    want = [clock.utc(t).isoformat().replace("+00:00", "Z") for t in times]  # type: ignore[union-attr]
    assert clock.utc_stamps(np.array(times)) == want


def _scenario(**extra: object) -> dict[str, object]:
    hazard = {"model": "radius", "source": "T-07", "radii_m": {"red": 1, "orange": 2, "yellow": 3}}
    return {"name": "x", "area": ".", "hazard": hazard, **extra}


def test_scenario_start_defaults_per_period_and_needs_an_offset() -> None:
    # the documented defaults (scenarios/README.md): a weekday 15:00, and 02:00 that night
    assert scenario_from_dict(_scenario()).start_time().isoformat() == "2026-06-01T15:00:00+08:00"
    night = scenario_from_dict(_scenario(population={"period": "night"}))
    assert night.start_time().isoformat() == "2026-06-02T02:00:00+08:00"
    given = scenario_from_dict(_scenario(start="2026-11-27T09:30:00+01:00"))
    assert given.start_time() == datetime(2026, 11, 27, 8, 30, tzinfo=UTC)
    with pytest.raises(Exception, match=r"field 'start'.*timezone"):
        scenario_from_dict(_scenario(start="2026-11-27T09:30:00"))
    with pytest.raises(Exception, match=r"output\.lang"):
        scenario_from_dict(_scenario(output={"lang": "fr"}))
