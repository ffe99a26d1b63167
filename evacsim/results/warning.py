"""What the warning chain did: curves, a table per grid, the grid warned last and why.

Only runs in ``[warning] mode = "chain"`` carry the chain's record (``t_warned_s`` and
``warned_by`` in ``Results.groups``; ``warning_visits``, ``warning_messages`` and
``warning_grids`` in ``Results.extra``, :mod:`evacsim.sim.warning`); for other runs
:func:`has_warning` is false, the tables are empty and :func:`warning_summary` is ``None``.
Percentiles of warned persons are those of :func:`evacsim.results.ete.ete_s` (of all persons of
the run), so "90 % warned" reads like "90 % at an assembly point".
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from evacsim.results.ete import ete_s, stage_arrivals
from evacsim.results.records import records
from evacsim.sim.results import Results

__all__ = [
    "GRID_TABLE_COLUMNS",
    "has_warning",
    "last_warned_grid",
    "warning_curves",
    "warning_grid_table",
    "warning_summary",
    "warning_tables",
]

#: Columns of :func:`warning_grid_table`.
GRID_TABLE_COLUMNS = (
    "grid_id", "town", "community", "group", "households", "persons", "workers",
    "households_per_worker", "hold_s", "t_order_s", "t_first_warned_s", "t_last_warned_s",
    "ete_assembly_p90_s", "ete_shelter_p90_s",
)  # fmt: skip


def has_warning(results: Results) -> bool:
    """True when the run used the warning chain."""
    return "warning_grids" in results.extra and "t_warned_s" in results.groups


def warning_curves(
    results: Results, *, by: Literal["grid", "community"] | None = None, step_s: float = 60.0
) -> pd.DataFrame:
    """Households warned by each time, on a regular grid from 0 to the last warning.

    Parameters
    ----------
    results
        A chain run's results.
    by
        ``None`` (one column ``all``), ``"grid"`` or ``"community"`` (one column per key).
    step_s
        The time step (s).

    Returns
    -------
    pandas.DataFrame
        ``t_s``, then the cumulative households warned per key (empty without the chain).
    """
    if step_s <= 0:
        raise ValueError(f"warning_curves: step_s must be > 0 (got {step_s})")
    if not has_warning(results):
        return pd.DataFrame(columns=["t_s"])
    g = results.groups
    t = g["t_warned_s"].to_numpy(float)
    last = float(np.nanmax(t)) if np.isfinite(t).any() else 0.0
    t_grid = np.arange(int(np.ceil(last / step_s)) + 1, dtype=float) * step_s
    if by is None:
        keys = pd.Series("all", index=g.index)
    elif by == "grid":
        keys = g["grid_id"].astype(str)
    elif by == "community":
        grids = results.extra["warning_grids"].set_index("grid_id")["community"]
        keys = g["grid_id"].astype(str).map(grids).fillna("(unknown)")
    else:
        raise ValueError(f"warning_curves: by={by!r} is not None, 'grid' or 'community'")
    out: dict[str, np.ndarray] = {"t_s": t_grid}
    for key in sorted(set(keys)):
        mine = np.sort(t[(keys == key).to_numpy()])
        out[str(key)] = np.searchsorted(mine, t_grid, side="right")
    return pd.DataFrame(out)


def _ete_p90(times: np.ndarray, persons: np.ndarray, total: int) -> float:
    value = ete_s(times, persons, total)["p90"]
    return np.nan if value is None else float(value)


def warning_grid_table(results: Results) -> pd.DataFrame:
    """Per grid with households: its place in the chain, households, persons, grid workers,
    households per worker, the hold, when the order reached it, its first and last household
    warned, and the time by which 90 % of its persons reached an assembly point and a shelter
    (s since the alarm; NaN where never). Latest last warning first. Empty without the chain."""
    if not has_warning(results):
        return pd.DataFrame(columns=list(GRID_TABLE_COLUMNS))
    table = results.extra["warning_grids"].copy()
    g = results.groups
    persons = g["persons"].to_numpy(np.int64)
    arrivals = stage_arrivals(g)
    rows_of = g.groupby(g["grid_id"].astype(str)).indices
    rows = []
    for grid_id in table["grid_id"].astype(str):
        mine = rows_of[grid_id]
        total = int(persons[mine].sum())
        rows.append({
            "grid_id": grid_id, "persons": total,
            **{f"ete_{stage}_p90_s": _ete_p90(t[mine], arrived[mine], total)
               for stage, (t, arrived) in arrivals.items()},
        })  # fmt: skip
    table = table.merge(pd.DataFrame(rows), on="grid_id", how="left")
    table["households_per_worker"] = table["households"] / table["workers"]
    table = table.sort_values(["t_last_warned_s", "grid_id"], ascending=[False, True],
                              kind="stable", ignore_index=True)  # fmt: skip
    return table.loc[:, list(GRID_TABLE_COLUMNS)]


def _minutes(seconds: float) -> str:
    return f"{seconds / 60.0:.0f} min"


def last_warned_grid(results: Results) -> dict[str, Any] | None:
    """The grid whose last household was warned last, and why.

    ``why`` compares the two parts of its last warning: the wait for the order (decision, hold,
    messages down the chain: ``t_order_s``) and the grid workers' round (``worker_time_s``: from
    the order to the last visit). ``cause`` is ``"workers"`` when the round is the longer part
    (too many households per worker), ``"hold"`` when the hold alone is longer, else ``"chain"``.
    """
    table = warning_grid_table(results)
    if table.empty:
        return None
    row = records(table.head(1))[0]
    visits = results.extra["warning_visits"]
    mine = visits[visits["grid_id"].astype(str) == row["grid_id"]]
    worker_time = float(mine["t_visit_s"].max() - row["t_order_s"]) if len(mine) else 0.0
    order, hold = float(row["t_order_s"]), float(row["hold_s"])
    per = float(row["households_per_worker"])
    if worker_time >= order:
        cause = "workers"
        why = (f"{row['households']} households for {row['workers']} grid worker(s) "
               f"({per:.0f} each): their round took {_minutes(worker_time)} after the order "
               f"reached the grid at {_minutes(order)}")  # fmt: skip
    else:
        cause = "hold" if hold >= order - hold else "chain"
        why = (f"the order reached the grid only at {_minutes(order)} "
               f"({'held back ' + _minutes(hold) if cause == 'hold' else 'late in the chain'}); "
               f"its {row['workers']} worker(s) then took {_minutes(worker_time)}")  # fmt: skip
    return {
        "grid_id": row["grid_id"], "community": row["community"],
        "households": int(row["households"]), "workers": int(row["workers"]),
        "households_per_worker": round(per, 1), "hold_s": round(hold, 1),
        "t_order_s": round(order, 1), "worker_time_s": round(worker_time, 1),
        "t_last_warned_s": round(float(row["t_last_warned_s"]), 1), "cause": cause, "why": why,
    }  # fmt: skip


def warning_summary(results: Results) -> dict[str, Any] | None:
    """``summary.json``'s ``warning`` entry (``None`` without the chain): ``households``,
    ``grid_workers`` (total), ``t_warned_s`` (p50…p100 of persons warned), ``warned_by``
    (households per channel) and ``last_grid`` (:func:`last_warned_grid`)."""
    if not has_warning(results):
        return None
    g = results.groups
    persons = g["persons"].to_numpy(np.int64)
    by = g["warned_by"].astype(str).value_counts()
    return {
        "households": len(g),
        "grid_workers": int(results.extra["warning_grids"]["workers"].sum()),
        "t_warned_s": ete_s(g["t_warned_s"].to_numpy(float), persons, int(persons.sum())),
        "warned_by": {str(k): int(by[k]) for k in sorted(by.index)},
        "last_grid": last_warned_grid(results),
    }


def warning_tables(results: Results) -> dict[str, pd.DataFrame]:
    """The chain's tables for ``csv/`` (none without the chain): ``warning_grids`` (the grid
    table), ``warning_visits``, ``warning_messages`` and ``warning_curves`` (per community)."""
    if not has_warning(results):
        return {}
    return {
        "warning_grids": warning_grid_table(results),
        "warning_visits": results.extra["warning_visits"],
        "warning_messages": results.extra["warning_messages"],
        "warning_curves": warning_curves(results, by="community"),
    }
