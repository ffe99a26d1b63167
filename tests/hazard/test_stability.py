"""Pasquill–Turner stability (evacsim.hazard.stability) against the addendum's tables and worked
examples (shared/reference/hazard_and_planning_addendum.md §1b)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from evacsim.hazard.stability import (
    insolation_class,
    is_night,
    net_radiation_index,
    pasquill_turner,
    solar_altitude_deg,
    turner_class,
)

CST = timezone(timedelta(hours=8))
LAT, LON = 29.5, 106.5  # Chongqing, as in the worked example
# Solar noon at 106.5 E is 12:00 - 106.5/15 h UTC = 04:54 UTC = 12:54 CST.
NOON_21_JUNE = datetime(2026, 6, 21, 12, 54, tzinfo=CST)


def test_solar_altitude_at_chongqing_noon_on_21_june() -> None:
    # worked example: alpha ≈ 90 - 29.5 + 23.4 = 83.9 degrees -> insolation class 4
    assert solar_altitude_deg(LAT, LON, NOON_21_JUNE) == pytest.approx(83.9, abs=0.1)
    assert insolation_class(83.9) == 4


def test_worked_examples() -> None:
    # clear midsummer noon, u10 = 3.0 m/s -> B
    assert pasquill_turner(wind_speed_m_s=3.0, cloud_tenths=0, lat_deg=LAT, lon_deg=LON,
                           when=NOON_21_JUNE) == "B"  # fmt: skip
    # clear night, u10 = 2.0 m/s (3.9 kt, row 4-5), NRI -2 -> F
    night = datetime(2026, 6, 21, 2, 0, tzinfo=CST)
    assert pasquill_turner(wind_speed_m_s=2.0, cloud_tenths=0, lat_deg=LAT, lon_deg=LON,
                           when=night) == "F"  # fmt: skip
    # 10/10 cloud below 7000 ft -> D, day or night
    for when in (night, NOON_21_JUNE):
        assert pasquill_turner(wind_speed_m_s=2.0, cloud_tenths=10, ceiling_m=1000, lat_deg=LAT,
                               lon_deg=LON, when=when) == "D"  # fmt: skip


# The key's wind rows in m/s as the addendum prints them: (lowest, highest) of each row and the
# class in the NRI 4 and NRI -2 columns.
ROWS = [
    ((0.0, 0.7), "A", "F"),
    ((0.8, 1.8), "A", "F"),
    ((1.9, 2.8), "A", "F"),
    ((2.9, 3.3), "B", "F"),
    ((3.4, 3.8), "B", "E"),
    ((3.9, 4.8), "B", "E"),
    ((4.9, 5.4), "C", "E"),
    ((5.5, 5.9), "C", "D"),
    ((6.0, 12.0), "C", "D"),
]


@pytest.mark.parametrize(("speeds", "strong", "clear_night"), ROWS)
def test_wind_rows_follow_the_printed_m_s_ranges(
    speeds: tuple[float, float], strong: str, clear_night: str
) -> None:
    for u in speeds:
        assert turner_class(u, 4) == strong, u
        assert turner_class(u, -2) == clear_night, u


def test_the_key_in_the_middle() -> None:
    assert turner_class(3.6, 2) == "C"  # 7 kt, NRI 2 -> 3
    assert turner_class(1.0, -1) == "F"  # 2 kt, NRI -1 -> 6 (F)
    assert turner_class(4.0, 0) == "D"  # NRI 0 is D at any wind


def test_net_radiation_index_rules() -> None:
    day = {"altitude_deg": 50.0, "night": False}
    assert net_radiation_index(**day, cloud_tenths=5, ceiling_m=500) == 3  # <= 5/10: the class
    assert net_radiation_index(**day, cloud_tenths=8, ceiling_m=1500) == 1  # < 7000 ft: 3 - 2
    assert net_radiation_index(**day, cloud_tenths=8, ceiling_m=3000) == 2  # 7000-16000 ft: - 1
    assert net_radiation_index(**day, cloud_tenths=8, ceiling_m=6000) == 3  # above 16000 ft
    assert net_radiation_index(**day, cloud_tenths=10, ceiling_m=3000) == 1  # - 1 - 1
    low = {"altitude_deg": 10.0, "night": False}
    assert net_radiation_index(**low, cloud_tenths=8, ceiling_m=1000) == 1  # floored at 1
    night = {"altitude_deg": -30.0, "night": True}
    assert net_radiation_index(**night, cloud_tenths=4, ceiling_m=None) == -2
    assert net_radiation_index(**night, cloud_tenths=5, ceiling_m=None) == -1
    # a missing ceiling: low by day, high by night (the cautious side)
    assert net_radiation_index(**day, cloud_tenths=8, ceiling_m=None) == 1
    assert net_radiation_index(**night, cloud_tenths=10, ceiling_m=None) == -1


def test_night_starts_an_hour_before_sunset() -> None:
    # 21 June at 29.5 N: day length 13.9 h, so sunset is ~6.95 h after solar noon (12:54 CST)
    assert not is_night(LAT, LON, NOON_21_JUNE + timedelta(hours=5.8))
    assert is_night(LAT, LON, NOON_21_JUNE + timedelta(hours=6.1))
    assert is_night(LAT, LON, NOON_21_JUNE - timedelta(hours=6.1))
    assert not is_night(LAT, LON, NOON_21_JUNE - timedelta(hours=5.8))
