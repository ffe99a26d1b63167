"""Headline figures of a run: evacuation time estimates, facilities, exposure.

Evacuation time estimates (ETE) follow NUREG/CR-7002 (2011): the time, since the incident, by
which 50 / 90 / 95 / 100 % of the evacuating persons have reached a stage (an assembly point, a
shelter). Percentiles are of *all* persons to evacuate, so a stage that not everyone reaches has
``null`` for the percentiles it never reaches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from evacsim.results import Results

if TYPE_CHECKING:
    from evacsim.pipeline import Prepared

__all__ = ["PERCENTILES", "ete_s", "facilities_summary", "summarise"]

PERCENTILES = (50, 90, 95, 100)


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


def facilities_summary(results: Results) -> dict[str, dict[str, Any]]:
    """Per assembly point and shelter: name, kind, arrivals, peak occupancy, capacity, refused."""
    out: dict[str, dict[str, Any]] = {}
    for row in results.facilities.itertuples(index=False):
        out[str(row.id)] = {
            "name": str(row.name),
            "kind": str(row.kind),
            "arrivals": int(row.arrivals),
            "peak": int(row.peak),
            "capacity": int(row.capacity_persons),
            "refused": int(row.refused),
            "final": int(row.final),
        }
    return out


def _exposure(results: Results) -> dict[str, Any]:
    g = results.groups
    persons = g["persons"].to_numpy()
    out: dict[str, Any] = {}
    for level in ("red", "orange", "yellow"):
        seconds = g[f"exposure_{level}_s"].to_numpy()
        out[f"person_s_{level}"] = round(float((seconds * persons).sum()), 1)
        out[f"persons_exposed_{level}"] = int(persons[seconds > 0].sum())
    if "dose_ppm_min" in g:
        out["max_dose_ppm_min"] = round(float(g["dose_ppm_min"].max()) if len(g) else 0.0, 3)
        out["persons_fed_over_0_3"] = int(persons[g["fed"].to_numpy() > 0.3].sum())
        out["persons_fed_over_1"] = int(persons[g["fed"].to_numpy() >= 1.0].sum())
    score = g["exposure_red_s"] * 4 + g["exposure_orange_s"] * 2 + g["exposure_yellow_s"]
    per_grid = (score * g["persons"]).groupby(g["grid_id"]).sum() / g.groupby("grid_id")[
        "persons"
    ].sum().clip(lower=1)
    worst = per_grid.sort_values(ascending=False, kind="stable").head(5)
    out["worst_grids"] = [
        {"grid_id": str(k), "weighted_s_per_person": round(float(v), 1)}
        for k, v in worst.items()
        if v > 0
    ]
    return out


def _stranded(results: Results) -> list[dict[str, Any]]:
    g = results.groups[results.groups["state"] == "stranded"]
    if g.empty:
        return []
    table = g.groupby(["stranded_reason", "stranded_node"], sort=True)["persons"].sum()
    return [
        {"reason": str(reason), "node": int(node), "persons": int(n)}
        for (reason, node), n in table.items()
    ]


def summarise(prepared: Prepared, results: Results) -> dict[str, Any]:
    """The ``summary.json`` of a run (every field is documented in the README)."""
    sc = prepared.scenario
    g = results.groups
    total = results.persons_total
    persons = g["persons"].to_numpy()
    shelter_t = np.where(g["persons_sheltered"].to_numpy() > 0, g["t_shelter_s"], np.nan)
    per_grid: pd.DataFrame = results.extra.get("per_grid", pd.DataFrame())
    summary: dict[str, Any] = {
        "scenario": sc.name,
        "scenario_file": str(sc.path) if sc.path else None,
        "seed": sc.seed,
        "area": prepared.area.name,
        "hazard": {
            "model": prepared.zones.model,
            "evacuate": prepared.zones.evacuate,
            "distances_m": {k: round(v, 1) for k, v in prepared.zones.distances_m().items()},
        },
        "period": sc.population.period,
        "assignment": sc.evacuation.assignment,
        "grids_evacuating": int((per_grid.get("persons_evacuating", pd.Series()) > 0).sum()),
        "persons_total": total,
        "persons": results.persons_by_state,
        "groups": int(len(g)),
        "ete_s": {
            "assembly": ete_s(g["t_assembly_s"].to_numpy(float), persons, total),
            "shelter": ete_s(shelter_t.astype(float), persons, total),
        },
        "facilities": facilities_summary(results),
        "stranded": _stranded(results),
        "exposure": _exposure(results),
        "bus_trips": int(len(results.vehicles)),
        "ended_by": results.ended_by,
        "end_s": round(results.end_s, 1),
        "warnings": [*prepared.warnings, *results.extra.get("plan_warnings", [])],
    }
    if total == 0:
        summary["note"] = "nobody is inside the evacuation zone"
    return summary
