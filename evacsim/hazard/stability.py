"""Pasquill–Gifford–Turner stability class from a weather reading (Turner's method).

Turner (1964), *J. Appl. Meteorol.* 3:83–91, as written in US EPA *Meteorological Monitoring
Guidance for Regulatory Modeling Applications* (EPA-454/R-99-005, 2000) §6.4.1, Tables 6-4…6-6
(``shared/reference/hazard_and_planning_addendum.md`` §1b):

1. **Insolation class** from the solar altitude α: α > 60° → 4, 35° < α ≤ 60° → 3,
   15° < α ≤ 35° → 2, else 1.
2. **Net radiation index** (cloud cover in tenths, ceiling in ft): 10/10 cloud with the ceiling
   below 7000 ft → 0 (day or night); night: cloud ≤ 4/10 → −2, else −1; day: cloud ≤ 5/10 → the
   insolation class, else the class minus 2 (ceiling < 7000 ft) or minus 1 (7000–16000 ft), minus
   1 more for 10/10 cover, at least 1. (Whether the 10/10 step also applies above 16000 ft is
   UNVERIFIED in the addendum; it is applied here, as the EPA text reads.)
3. **Turner's key**: wind speed (whole knots) × net radiation index → class 1 (A) … 7 (G); EPA
   merges 6 and 7 into F.

Night is from one hour before sunset to one hour after sunrise (the NOAA/Pasquill footnote).
Solar position by the standard astronomy formulas (sin α = sin φ sin δ + cos φ cos δ cos H,
δ ≈ 23.44° · cos(2π(J − 172)/365)), ignoring the equation of time (±16 min).

A reading without the cloud ceiling takes the cautious side: by day the ceiling counts as low
(< 7000 ft: a more neutral class, a longer plume), by night as high (no overcast rule: a more
stable class).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

__all__ = [
    "M_S_PER_KNOT",
    "insolation_class",
    "is_night",
    "net_radiation_index",
    "pasquill_turner",
    "solar_altitude_deg",
    "turner_class",
]

#: One knot in m/s (international nautical mile per hour).
M_S_PER_KNOT = 1852.0 / 3600.0

_FT = 0.3048

# Turner's key (EPA-454/R-99-005 Table 6-6): rows by wind in whole knots (upper bounds of the
# rows 0–1, 2–3, 4–5, 6, 7, 8–9, 10, 11; >= 12 is the last row), columns NRI 4, 3, 2, 1, 0, -1, -2.
_ROW_MAX_KT = (1, 3, 5, 6, 7, 9, 10, 11)
_KEY = (
    (1, 1, 2, 3, 4, 6, 7),
    (1, 2, 2, 3, 4, 6, 7),
    (1, 2, 3, 4, 4, 5, 6),
    (2, 2, 3, 4, 4, 5, 6),
    (2, 2, 3, 4, 4, 4, 5),
    (2, 3, 3, 4, 4, 4, 5),
    (3, 3, 4, 4, 4, 4, 5),
    (3, 3, 4, 4, 4, 4, 4),
    (3, 4, 4, 4, 4, 4, 4),
)
_LETTERS = "ABCDEFF"  # classes 1..7; 7 (G) merged into F


def _declination_and_hour_angle(lon_deg: float, when: datetime) -> tuple[float, float]:
    """Solar declination and hour angle (radians) at ``when`` (aware) and longitude."""
    utc = when.astimezone(UTC)
    day = utc.timetuple().tm_yday
    decl = math.radians(23.44) * math.cos(2.0 * math.pi * (day - 172) / 365.0)
    solar_hours = utc.hour + utc.minute / 60.0 + utc.second / 3600.0 + lon_deg / 15.0
    return decl, math.radians(15.0 * (solar_hours - 12.0))


def solar_altitude_deg(lat_deg: float, lon_deg: float, when: datetime) -> float:
    """Solar altitude (degrees above the horizon) at a place and an aware date-time."""
    decl, hour = _declination_and_hour_angle(lon_deg, when)
    lat = math.radians(lat_deg)
    s = math.sin(lat) * math.sin(decl) + math.cos(lat) * math.cos(decl) * math.cos(hour)
    return math.degrees(math.asin(max(-1.0, min(1.0, s))))


def is_night(lat_deg: float, lon_deg: float, when: datetime) -> bool:
    """True from one hour before sunset to one hour after sunrise."""
    decl, hour = _declination_and_hour_angle(lon_deg, when)
    x = -math.tan(math.radians(lat_deg)) * math.tan(decl)
    if x >= 1.0:
        return True  # polar night
    half_day_h = 12.0 if x <= -1.0 else math.degrees(math.acos(x)) / 15.0
    from_noon_h = abs(math.remainder(math.degrees(hour) / 15.0, 24.0))
    return from_noon_h > half_day_h - 1.0


def insolation_class(altitude_deg: float) -> int:
    """Turner's insolation class (1 weak … 4 strong) from the solar altitude."""
    if altitude_deg > 60.0:
        return 4
    if altitude_deg > 35.0:
        return 3
    if altitude_deg > 15.0:
        return 2
    return 1


def net_radiation_index(
    *, altitude_deg: float, night: bool, cloud_tenths: float, ceiling_m: float | None
) -> int:
    """Turner's net radiation index (−2 … 4); see the module docstring for the rules and for a
    missing ceiling."""
    ceiling_ft = (20_000.0 if night else 0.0) if ceiling_m is None else ceiling_m / _FT
    if cloud_tenths >= 10 and ceiling_ft < 7000:
        return 0
    if night:
        return -2 if cloud_tenths <= 4 else -1
    index = insolation_class(altitude_deg)
    if cloud_tenths <= 5:
        return index
    index -= 2 if ceiling_ft < 7000 else (1 if ceiling_ft < 16000 else 0)
    if cloud_tenths >= 10:
        index -= 1
    return max(index, 1)


def turner_class(wind_speed_m_s: float, nri: int) -> str:
    """Pasquill class letter from the 10 m wind (rounded to whole knots) and the index."""
    knots = math.floor(wind_speed_m_s / M_S_PER_KNOT + 0.5)
    row = next((i for i, top in enumerate(_ROW_MAX_KT) if knots <= top), len(_ROW_MAX_KT))
    return _LETTERS[_KEY[row][4 - nri] - 1]


def pasquill_turner(
    *,
    wind_speed_m_s: float,
    cloud_tenths: float,
    lat_deg: float,
    lon_deg: float,
    when: datetime,
    ceiling_m: float | None = None,
) -> str:
    """The Pasquill–Gifford–Turner class (A–F) of a weather reading at a place and time.

    Parameters
    ----------
    wind_speed_m_s
        Wind at 10 m.
    cloud_tenths
        Total cloud cover, tenths (0–10; China's 总云量 in 成).
    lat_deg, lon_deg
        The place (WGS-84).
    when
        A date-time with its UTC offset.
    ceiling_m
        Cloud base (m), if known.
    """
    altitude = solar_altitude_deg(lat_deg, lon_deg, when)
    night = is_night(lat_deg, lon_deg, when)
    nri = net_radiation_index(
        altitude_deg=altitude, night=night, cloud_tenths=cloud_tenths, ceiling_m=ceiling_m
    )
    return turner_class(wind_speed_m_s, nri)
