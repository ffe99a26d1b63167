"""The run's headline figures (``summary.json``) from its results."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from evacsim.results.ete import ete_by, ete_s
from evacsim.results.records import records
from evacsim.results.tables import bottlenecks, facilities_summary
from evacsim.sim.results import Results

if TYPE_CHECKING:
    from evacsim.network.graph import RoadNetwork
    from evacsim.scenario.prepare import Prepared

__all__ = ["summarise"]


def _exposure(results: Results) -> dict[str, Any]:
    g = results.groups
    persons = g["persons"].to_numpy()
    out: dict[str, Any] = {}
    for level in ("red", "orange", "yellow"):
        seconds = g[f"exposure_{level}_s"].to_numpy()
        out[f"person_s_{level}"] = round(float((seconds * persons).sum()), 1)
        out[f"persons_exposed_{level}"] = int(persons[seconds > 0].sum())
    if "fed" in g:
        fed = g["fed"].to_numpy(float)
        out["max_fed"] = round(float(fed.max()) if len(g) else 0.0, 3)
        out["persons_fed_over_0_3"] = int(persons[fed > 0.3].sum())
        out["persons_fed_over_1"] = int(persons[fed >= 1.0].sum())
        for column, key in _DOSES:
            if column in g:
                out[key] = round(float(g[column].max()) if len(g) else 0.0, 3)
    crews: pd.DataFrame | None = results.extra.get("crews")
    if crews is not None and "fed" in crews:
        from evacsim.results.teams import crew_harm

        drivers = crews[crews["kind"] == "bus_driver"]
        out["bus_drivers"] = crew_harm(drivers)
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


_DOSES = (("dose_ppm_min", "max_dose_ppm_min"), ("thermal_dose_tdu", "max_thermal_dose_tdu"),
          ("peak_overpressure_psi", "max_overpressure_psi"))  # fmt: skip


def _stranded(results: Results) -> list[dict[str, Any]]:
    g = results.groups[results.groups["state"] == "stranded"]
    if g.empty:
        return []
    table = g.groupby(["stranded_reason", "stranded_node"], sort=True)["persons"].sum()
    return [
        {"reason": str(row["stranded_reason"]), "node": int(row["stranded_node"]),
         "persons": int(row["persons"])}
        for row in records(table.reset_index())
    ]  # fmt: skip


def _endings(results: Results) -> dict[str, dict[str, int]]:
    """Persons per final state other than sheltered, by the reason they ended there."""
    g = results.groups
    rest = g["persons"] - g["persons_sheltered"]
    table = rest[rest > 0].groupby([g["state"], g["end_reason"]], sort=True).sum()
    out: dict[str, dict[str, int]] = {}
    for row in records(table.rename("persons").reset_index()):
        reason = str(row["end_reason"]) or "unknown"
        out.setdefault(str(row["state"]), {})[reason] = int(row["persons"])
    return out


def _bottleneck_records(results: Results, net: RoadNetwork | None) -> list[dict[str, Any]]:
    table = bottlenecks(results, net, n=10)
    keep = ["road_id", "mode", "name", "max_queue", "congested_min", "volume"]
    return [
        {k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
        for row in records(table[keep])
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
        "groups": len(g),
        "ete_s": {
            "assembly": ete_s(g["t_assembly_s"].to_numpy(float), persons, total),
            "shelter": ete_s(shelter_t.astype(float), persons, total),
        },
        "ete_by": ete_by(results),
        "facilities": facilities_summary(results),
        "bottlenecks": _bottleneck_records(results, prepared.network),
        "stranded": _stranded(results),
        "endings": _endings(results),
        "exposure": _exposure(results),
        "bus_trips": len(results.vehicles),
        "ended_by": results.ended_by,
        "end_s": round(results.end_s, 1),
        "warnings": [*prepared.warnings, *results.extra.get("plan_warnings", [])],
    }
    if total == 0:
        summary["note"] = "nobody is inside the evacuation zone"
    summary.update(_teams_and_supplies(results))
    summary.update(_start_and_warning(prepared, results))
    return summary


def _start_and_warning(prepared: Prepared, results: Results) -> dict[str, Any]:
    """``start`` (the clock time of t = 0: the scenario's, else its period's default) and, for
    runs warned through the chain, ``warning`` (:mod:`evacsim.results.warning`)."""
    from evacsim.results.warning import warning_summary

    out: dict[str, Any] = {"start": prepared.scenario.start_time().isoformat()}
    warning = warning_summary(results)
    if warning is not None:
        out["warning"] = warning
    return out


def _teams_and_supplies(results: Results) -> dict[str, Any]:
    """The ``teams`` and ``supplies`` entries (what :mod:`evacsim.sim.teams` and
    :mod:`evacsim.sim.supplies` recorded)."""
    from evacsim.results.supplies import supplies_summary
    from evacsim.results.teams import teams_summary

    return {"teams": teams_summary(results), "supplies": supplies_summary(results)}
