"""Headline figures of a run: evacuation time estimates, curves, bottlenecks, facilities, exposure.

Evacuation time estimates (ETE) follow NUREG/CR-7002 (2011): the time, since the incident, by
which 50 / 90 / 95 / 100 % of the evacuating persons have reached a stage (an assembly point, a
shelter). Percentiles are of *all* persons to evacuate, so a stage that not everyone reaches has
``null`` for the percentiles it never reaches.

Every function here is pure: it reads a :class:`~evacsim.sim.results.Results` (and, where it names
roads or nodes, the :class:`~evacsim.network.RoadNetwork`) and returns plain DataFrames or dicts.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

from evacsim.results.records import records
from evacsim.sim.results import Results

__all__ = ["BY", "LEVEL_NAMES", "PERCENTILES", "STAGES", "ete_s", "ete_table", "evacuation_curves"]


PERCENTILES = (50, 90, 95, 100)

#: The two stages of an evacuation, in order.
STAGES = ("assembly", "shelter")

#: Names of ``Results.groups["level"]`` values 0..3.
LEVEL_NAMES = ("red", "orange", "yellow", "outside")

#: The groupings :func:`ete_table` knows.
BY = ("level", "community", "assembly_point")

By = Literal["level", "community", "assembly_point"]


def ete_s(times_s: np.ndarray, persons: np.ndarray, total: int) -> dict[str, float | None]:
    """Time by which p % of ``total`` persons arrived (``times_s`` NaN: never), seconds.

    Parameters
    ----------
    times_s
        Arrival time of each group (NaN if it did not arrive).
    persons
        Persons in each group.
    total
        Persons the percentages refer to.
    """
    out: dict[str, float | None] = {f"p{p}": None for p in PERCENTILES}
    ok = ~np.isnan(times_s)
    if total <= 0 or not ok.any():
        return out
    order = np.argsort(times_s[ok], kind="stable")
    t = times_s[ok][order]
    cum = np.cumsum(persons[ok][order])
    for p in PERCENTILES:
        need = int(np.ceil(total * p / 100.0))
        k = int(np.searchsorted(cum, need, side="left"))
        out[f"p{p}"] = round(float(t[k]), 1) if k < len(t) else None
    return out


def stage_arrivals(groups: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per stage: (arrival time of each group, NaN if never; persons who arrived)."""
    sheltered = groups["persons_sheltered"].to_numpy(np.int64)
    t_shelter = np.where(sheltered > 0, groups["t_shelter_s"].to_numpy(float), np.nan)
    t_assembly = groups["t_assembly_s"].to_numpy(float)
    persons = groups["persons"].to_numpy(np.int64)
    return {
        "assembly": (t_assembly, np.where(np.isnan(t_assembly), 0, persons)),
        "shelter": (t_shelter, sheltered),
    }


def _group_keys(
    results: Results, by: str | None, grid_community: Mapping[str, str] | None
) -> pd.Series:
    g = results.groups
    if by is None:
        return pd.Series("all", index=g.index)
    if by == "level":
        names = np.asarray(LEVEL_NAMES, dtype=object)
        return pd.Series(names[g["level"].to_numpy(np.int64).clip(0, 3)], index=g.index)
    if by == "assembly_point":
        return g["assembly_point"].astype(str).replace("", "(none)")
    if by == "community":
        if grid_community is None:
            per_grid = results.extra.get("per_grid")
            if per_grid is None or "community" not in per_grid:
                raise ValueError("ete_table(by='community'): no grid_community mapping given")
            grid_community = dict(
                zip(per_grid["grid_id"].astype(str), per_grid["community"].astype(str), strict=True)
            )
        return g["grid_id"].astype(str).map(grid_community).fillna("(unknown)")
    raise ValueError(f"ete_table: by={by!r} is not None or one of {', '.join(BY)}")


def _key_order(by: str | None, present: Collection[str]) -> list[str]:
    if by == "level":
        return [name for name in LEVEL_NAMES if name in present]
    return sorted(present)


def ete_table(
    results: Results,
    *,
    by: By | None = None,
    grid_community: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """ETE per stage, overall or per threat level, community or assembly point (NUREG/CR-7002).

    Parameters
    ----------
    results
        A run's results.
    by
        ``None`` (one row per stage, key ``"all"``), ``"level"`` (the grid's threat level:
        red/orange/yellow/outside), ``"community"`` or ``"assembly_point"`` (the one each group was
        sent to; ``"(none)"`` when none was reachable).
    grid_community
        grid id → community; by default from ``results.extra["per_grid"]``.

    Returns
    -------
    pandas.DataFrame
        ``by``, ``key``, ``stage``, ``persons`` (of the key, the percentages' base), ``arrived``
        (persons who reached the stage), ``p50_s``, ``p90_s``, ``p95_s``, ``p100_s`` (seconds since
        the incident, NaN where that share never arrived).
    """
    keys = _group_keys(results, by, grid_community)
    persons = results.groups["persons"].to_numpy(np.int64)
    arrivals = stage_arrivals(results.groups)
    rows: list[dict[str, Any]] = []
    codes, uniques = pd.factorize(keys)  # one pass over the groups, not one per key
    code_of = {str(u): i for i, u in enumerate(uniques)}
    for key in _key_order(by, code_of.keys()):
        sel = codes == code_of[key]
        total = int(persons[sel].sum())
        for stage in STAGES:
            times, arrived = arrivals[stage]
            ete = ete_s(times[sel], arrived[sel], total)
            rows.append(
                {"by": by or "all", "key": key, "stage": stage, "persons": total,
                 "arrived": int(arrived[sel].sum()),
                 **{f"{k}_s": np.nan if v is None else v for k, v in ete.items()}}
            )  # fmt: skip
    columns = ["by", "key", "stage", "persons", "arrived", *(f"p{p}_s" for p in PERCENTILES)]
    return pd.DataFrame(rows, columns=columns)


def evacuation_curves(results: Results, *, step_s: float = 60.0) -> pd.DataFrame:
    """Persons arrived at each stage against time (cumulative, on a regular time grid).

    Parameters
    ----------
    results
        A run's results.
    step_s
        Time step of the grid (s); it runs from 0 to the first step at or after the last
        arrival, so the last row holds every arrival.

    Returns
    -------
    pandas.DataFrame
        ``t_s``, then per stage (``assembly``, ``shelter``) the persons arrived by ``t_s``.
    """
    if step_s <= 0:
        raise ValueError(f"evacuation_curves: step_s must be > 0 (got {step_s})")
    arrivals = stage_arrivals(results.groups)
    last = max(
        (float(np.nanmax(t)) for t, _ in arrivals.values() if np.isfinite(t).any()), default=0.0
    )
    t_grid = np.arange(int(np.ceil(last / step_s)) + 1, dtype=float) * step_s
    out = {"t_s": t_grid}
    for stage in STAGES:
        times, persons = arrivals[stage]
        ok = ~np.isnan(times)
        order = np.argsort(times[ok], kind="stable")
        cum = np.concatenate([[0], np.cumsum(persons[ok][order])])
        out[stage] = cum[np.searchsorted(times[ok][order], t_grid, side="right")]
    return pd.DataFrame(out)


def _none_if_nan(value: float) -> float | None:
    return None if value is None or np.isnan(value) else round(float(value), 1)


def ete_by(results: Results) -> dict[str, dict[str, dict[str, Any]]]:
    """``summary.json``'s ``ete_by``: per grouping (level, community, assembly point) and key,
    ``persons`` and per stage ``p50``..``p100`` (seconds, ``None`` where never reached)."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for by in BY:
        try:
            table = ete_table(results, by=by)  # type: ignore[arg-type]
        except ValueError:
            continue  # no community mapping (hand-made results)
        section: dict[str, dict[str, Any]] = {}
        for row in records(table):
            entry = section.setdefault(str(row["key"]), {"persons": int(row["persons"])})
            entry[str(row["stage"])] = {
                f"p{p}": _none_if_nan(float(row[f"p{p}_s"])) for p in PERCENTILES
            }
        out[by] = section
    return out
