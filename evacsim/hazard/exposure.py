"""Exposure of evacuees: time in each threat level, toxic dose and fractional effective dose.

A trajectory is piecewise linear: positions ``xy_m`` (n, 2) in the zones' projected CRS at times
``t_s`` (n,), non-decreasing, seconds after the incident. It is integrated with the midpoint rule
on sub-intervals no longer than ``step_m`` metres and ``step_s`` seconds, split at every frame
time of the zones' timeline, so each sub-interval sees one frame; the error is at most one
sub-interval per boundary crossing (default 5 m, i.e. ~4 s on foot, < 1 s by car).

Toxic measures (reference ``hazard_reference.md`` §5):

* dose (toxic load) ``∫ C^n dt`` in ppm^n·min along the path, from the plume's concentration;
* toxic FED ``∫ (C / C_ref)^n dt / t_ref`` with ``C_ref`` the AEGL-3 (the red threshold) for
  ``t_ref`` minutes; FED = 1 is the AEGL-3 toxic load. ``n = 2`` for chlorine is derived from the
  AEGL values themselves (10/30/60-min AEGL-3 50/28/20 ppm give n = 1.96 and 2.06; ten Berge's
  ``C^n t = k`` form) — the AEGL numbers are UNVERIFIED (see :mod:`evacsim.hazard.substances`);
* Purser's FED for fire gases (CO, CO₂, O₂) as coded in FDS 6.10.1 and verified by ISO 20414
  Test 19: :func:`fed_rate_per_min`, :func:`purser_fed_time_s`, :func:`incapacitation_time_s`.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
import pandas as pd

from evacsim.errors import HazardError
from evacsim.hazard.spec import LEVELS
from evacsim.hazard.zones import ThreatZones

__all__ = [
    "dose_ppm_min",
    "exposure_along",
    "exposure_summary",
    "fed_rate_per_min",
    "incapacitation_time_s",
    "purser_fed_time_s",
    "sample_trajectory",
    "time_in_levels",
    "toxic_fed",
]

log = logging.getLogger(__name__)


def _checked(xy_m: np.ndarray, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    xy = np.asarray(xy_m, dtype=float).reshape(-1, 2)
    t = np.asarray(t_s, dtype=float).ravel()
    if len(xy) != len(t):
        raise HazardError(f"argument 't_s': {len(t)} times for {len(xy)} positions")
    if np.any(np.diff(t) < 0) or not np.all(np.isfinite(t)):
        raise HazardError("argument 't_s': times must be finite and non-decreasing")
    return xy, t


def sample_trajectory(
    xy_m: np.ndarray,
    t_s: np.ndarray,
    *,
    step_m: float = 5.0,
    step_s: float = 10.0,
    breaks_s: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Midpoints ``(x_m, y_m, t_s)`` and durations ``dt_s`` of a trajectory's sub-intervals.

    Each segment is cut into pieces no longer than ``step_m`` and ``step_s``, and additionally at
    ``breaks_s`` (e.g. frame times) inside the trajectory's time span.
    """
    xy, t = _checked(xy_m, t_s)
    if len(t) < 2 or t[-1] <= t[0]:
        empty = np.zeros(0)
        return empty, empty, empty, empty
    seg_len = np.hypot(np.diff(xy[:, 0]), np.diff(xy[:, 1]))
    seg_dt = np.diff(t)
    k = np.maximum(1, np.ceil(np.maximum(seg_len / step_m, seg_dt / step_s))).astype(np.int64)
    seg = np.repeat(np.arange(len(k)), k)
    j = np.arange(int(k.sum())) - np.repeat(np.cumsum(k) - k, k)
    cuts = t[seg] + seg_dt[seg] * j / k[seg]
    extra = np.asarray(breaks_s if breaks_s is not None else [], dtype=float)
    extra = extra[(extra > t[0]) & (extra < t[-1])]
    edges = np.unique(np.concatenate([cuts, extra, t[-1:]]))
    mid = 0.5 * (edges[:-1] + edges[1:])
    dt = np.diff(edges)
    keep = dt > 0
    mid, dt = mid[keep], dt[keep]
    # position at a time: the last segment that starts at or before it (jumps take the later one)
    x = np.interp(mid, t, xy[:, 0])
    y = np.interp(mid, t, xy[:, 1])
    return x, y, mid, dt


def time_in_levels(
    zones: ThreatZones,
    xy_m: np.ndarray,
    t_s: np.ndarray,
    *,
    step_m: float = 5.0,
    step_s: float = 10.0,
) -> np.ndarray:
    """Seconds spent in red, orange and yellow (exclusive levels) along a trajectory.

    Parameters
    ----------
    zones
        Threat zones in the trajectory's CRS.
    xy_m, t_s
        Positions (n, 2) in metres and times (n,) in seconds after the incident.
    step_m, step_s
        Largest sub-interval of the midpoint rule (module docstring).

    Returns
    -------
    numpy.ndarray
        ``[red_s, orange_s, yellow_s]``.
    """
    x, y, tm, dt = sample_trajectory(
        xy_m, t_s, step_m=step_m, step_s=step_s, breaks_s=zones.frame_times_s
    )
    out = np.zeros(3)
    if dt.size == 0:
        return out
    level = zones.levels_at(x, y, tm)
    for i in range(3):
        out[i] = float(dt[level == i].sum())
    return out


def dose_ppm_min(
    zones: ThreatZones,
    xy_m: np.ndarray,
    t_s: np.ndarray,
    *,
    exponent: float = 1.0,
    step_m: float = 5.0,
    step_s: float = 10.0,
) -> float:
    """Toxic load ``∫ C^n dt`` (ppm^n·min) along a trajectory; ``n = 1`` gives the plain dose."""
    x, y, tm, dt = sample_trajectory(
        xy_m, t_s, step_m=step_m, step_s=step_s, breaks_s=zones.frame_times_s
    )
    if dt.size == 0:
        return 0.0
    c = zones.concentration_ppm(x, y, tm)
    return float(np.sum(c**exponent * dt) / 60.0)


def toxic_fed(
    zones: ThreatZones,
    xy_m: np.ndarray,
    t_s: np.ndarray,
    *,
    exponent: float | None = None,
    reference_min: float | None = None,
    step_m: float = 5.0,
    step_s: float = 10.0,
) -> float:
    """Fractional effective dose of a toxic plume: ``∫ (C/C_ref)^n dt / t_ref``.

    ``C_ref`` is the zones' red threshold (AEGL-3 for ``t_ref`` = ``zones.aegl_duration_min``
    minutes unless ``reference_min`` is given); ``n`` is ``zones.toxic_load_exponent`` unless
    ``exponent`` is given (2 for chlorine; 1 if the substance has none: Haber's rule).
    """
    c_ref = zones.levels[0].threshold
    if exponent is None:
        exponent = zones.toxic_load_exponent or 1.0
    if reference_min is None:
        reference_min = float(zones.aegl_duration_min or 60)
    load = dose_ppm_min(zones, xy_m, t_s, exponent=exponent, step_m=step_m, step_s=step_s)
    return load / (c_ref**exponent * reference_min)


def exposure_along(
    zones: ThreatZones, xy_m: np.ndarray, t_s: np.ndarray, *, step_m: float = 5.0
) -> dict[str, float]:
    """Exposure record of one path: seconds per level and, for a plume, dose and toxic FED.

    Keys: ``time_red_s``, ``time_orange_s``, ``time_yellow_s``, ``dose_ppm_min``, ``fed``
    (the last two 0 for non-toxic hazards).
    """
    seconds = time_in_levels(zones, xy_m, t_s, step_m=step_m)
    record = {f"time_{lv}_s": float(s) for lv, s in zip(LEVELS, seconds, strict=True)}
    record["dose_ppm_min"] = 0.0
    record["fed"] = 0.0
    if zones.plumes:
        record["dose_ppm_min"] = dose_ppm_min(zones, xy_m, t_s, step_m=step_m)
        record["fed"] = toxic_fed(zones, xy_m, t_s, step_m=step_m)
    return record


# --------------------------------------------------------------------------- Purser FED


def fed_rate_per_min(
    co_ppm: np.ndarray | float, co2_pct: np.ndarray | float, o2_pct: np.ndarray | float
) -> np.ndarray:
    """Purser FED rate (1/min) for CO, CO₂ (hyperventilation) and O₂ depletion.

    ``r = r_CO · HV_CO2 + r_O2`` with ``r_CO = 2.764e-5 C_CO^1.036`` (ppm),
    ``HV_CO2 = exp(0.1903 C_CO2 + 2.0004) / 7.1`` if ``C_CO2 > 0`` else 1 (%),
    ``r_O2 = 1 / exp(8.13 − 0.54 (20.9 − C_O2))`` if ``C_O2 < 20 %`` else 0 (%) —
    Purser, as coded in FDS 6.10.1 ``FED`` (pyFDS-Evac ISO 20414 Test 19 verification page).
    """
    co = np.maximum(np.asarray(co_ppm, dtype=float), 0.0)
    co2 = np.asarray(co2_pct, dtype=float)
    o2 = np.asarray(o2_pct, dtype=float)
    r_co = 2.764e-5 * co**1.036
    hv = np.where(co2 > 0.0, np.exp(0.1903 * co2 + 2.0004) / 7.1, 1.0)
    r_o2 = np.where(o2 < 20.0, 1.0 / np.exp(8.13 - 0.54 * (20.9 - o2)), 0.0)
    return r_co * hv + r_o2


def purser_fed_time_s(co_ppm: float, co2_pct: float, o2_pct: float) -> float:
    """Time (s) for the Purser FED to reach 1 in constant conditions: ``60 / rate``."""
    rate = float(fed_rate_per_min(co_ppm, co2_pct, o2_pct))
    return math.inf if rate <= 0.0 else 60.0 / rate


def incapacitation_time_s(
    co_ppm: float,
    co2_pct: float,
    o2_pct: float,
    *,
    dt_s: float | None = None,
    t_max_s: float = 86_400.0,
) -> float:
    """Incapacitation time (s) of a stationary person in constant gas concentrations.

    With ``dt_s`` the FED is accumulated at dose updates every ``dt_s`` seconds (as FDS+Evac
    does) and the first update at which FED >= 1 is returned (``t* <= t < t* + dt_s``); without
    it, the exact ``t*`` (:func:`purser_fed_time_s`). ``inf`` if not reached by ``t_max_s``.
    """
    exact = purser_fed_time_s(co_ppm, co2_pct, o2_pct)
    if dt_s is None:
        return exact if exact <= t_max_s else math.inf
    if dt_s <= 0:
        raise HazardError(f"argument 'dt_s': {dt_s} must be > 0")
    rate_per_s = float(fed_rate_per_min(co_ppm, co2_pct, o2_pct)) / 60.0
    fed, t = 0.0, 0.0
    while t < t_max_s:
        t += dt_s
        fed += rate_per_s * dt_s
        if fed >= 1.0:
            return t
    return math.inf


# --------------------------------------------------------------------------- summaries


def exposure_summary(per_person: pd.DataFrame, *, worst: int = 5) -> dict[str, Any]:
    """Totals and the worst-exposed grids for ``summary.json`` (``exposure``).

    Parameters
    ----------
    per_person
        One row per evacuee group with ``grid_id``, ``persons``, ``time_red_s``,
        ``time_orange_s``, ``time_yellow_s`` and optionally ``fed``.
    worst
        How many grids to list, ranked by person-seconds in red, then orange, then yellow.
    """
    df = per_person
    out: dict[str, Any] = {}
    for lv in LEVELS:
        col = df[f"time_{lv}_s"].to_numpy(float)
        persons = df["persons"].to_numpy(float)
        out[f"persons_in_{lv}"] = int(persons[col > 0].sum())
        out[f"person_s_in_{lv}"] = float((col * persons).sum())
        out[f"max_time_{lv}_s"] = float(col.max()) if len(col) else 0.0
    if "fed" in df:
        out["persons_fed_over_1"] = int(df.loc[df["fed"] >= 1.0, "persons"].sum())
        out["max_fed"] = float(df["fed"].max()) if len(df) else 0.0
    weighted = (
        df.assign(**{f"ps_{lv}": df[f"time_{lv}_s"] * df["persons"] for lv in LEVELS})
        .groupby("grid_id", sort=True)[[f"ps_{lv}" for lv in LEVELS]]
        .sum()
    )
    ranked = weighted.sort_values([f"ps_{lv}" for lv in LEVELS], ascending=False, kind="stable")
    ranked = ranked[(ranked > 0).any(axis=1)].head(worst)
    out["worst_grids"] = [
        {"grid_id": str(gid), **{f"person_s_in_{lv}": float(row[f"ps_{lv}"]) for lv in LEVELS}}
        for gid, row in ranked.iterrows()
    ]
    return out
