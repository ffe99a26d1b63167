"""An ad-hoc incident: from a source id, a hazard model and the weather to who to warn, where they
go and how long it takes — without writing a scenario file first.

:func:`incident_data` builds the scenario as a plain dict (what a TOML file would hold),
:func:`run_incident` validates and runs it on the area and condenses the run into the tables a
duty officer reads (:class:`IncidentReport`): the threat zones, the grids to warn with their
community, group, population and people needing help, their assembly point and route, and the
ETE. :func:`scenario_toml` writes the dict back as a scenario file (a small TOML writer: the
standard library reads TOML but does not write it).

:func:`alarm_incident_data` makes the incident from a monitoring system's alarm record instead
(:mod:`evacsim.scenario.alarm`); such incidents warn through the responsibility chain, and their
grid table says who warns whom and when. :func:`incident_record` is the report as plain JSON.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from evacsim.atomic import write_text_atomic
from evacsim.display.i18n import resolve_lang, translator
from evacsim.errors import ScenarioError
from evacsim.scenario.write import scenario_toml as write_toml

if TYPE_CHECKING:
    from evacsim.pipeline import Run
    from evacsim.scenario.load import Scenario

__all__ = [
    "DEFAULT_RADII_M",
    "IncidentReport",
    "alarm_incident_data",
    "incident_data",
    "incident_record",
    "incident_report",
    "incident_scenario",
    "run_incident",
    "scenario_toml",
    "write_scenario_toml",
]

log = logging.getLogger(__name__)

#: Radii (m) for ``model = "radius"`` when none are given: the district plan's tank-fire practice.
DEFAULT_RADII_M = {"red": 300.0, "orange": 800.0, "yellow": 1500.0}
_WHERE = "evacsim incident"
_LEVEL_NAMES = ("red", "orange", "yellow", "outside")


def incident_data(
    *,
    source: str,
    model: str,
    area: str | Path,
    wind_from_deg: float | None = None,
    wind_speed_m_s: float | None = None,
    stability: str | None = None,
    night: bool = False,
    evacuate: str = "orange",
    params: Mapping[str, Any] | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """The incident as a scenario dict (``area`` made absolute).

    Parameters
    ----------
    source
        A hazard source id of the area (``"T-07"``, ``"CL-1"``).
    model
        ``radius``, ``pool_fire``, ``bleve``, ``vce`` or ``toxic_plume``.
    area
        The area folder or GeoPackage.
    wind_from_deg, wind_speed_m_s, stability
        The weather (direction the wind blows FROM, degrees clockwise from north; m/s at 10 m;
        Pasquill class); unset values take the scenario defaults.
    night
        Night population and the night factor on departure delays.
    evacuate
        The outermost threat level that evacuates.
    params
        Further ``[hazard]`` keys (``mass_kg``, ``radii_m``...). For ``radius`` without
        ``radii_m``, :data:`DEFAULT_RADII_M`.
    seed
        The run's seed.
    """
    hazard: dict[str, Any] = {"model": model, "source": source, "evacuate": evacuate}
    hazard |= dict(params or {})
    if model == "radius":
        hazard.setdefault("radii_m", dict(DEFAULT_RADII_M))
    weather = {
        k: v
        for k, v in (
            ("wind_from_deg", wind_from_deg),
            ("wind_speed_m_s", wind_speed_m_s),
            ("stability", stability),
        )
        if v is not None
    }
    period = "night" if night else "day"
    return {
        "name": f"Incident — {model} at {source}, {period}",
        "description": "Made by `evacsim incident`.",
        "seed": seed,
        "area": str(Path(area).resolve()),
        "hazard": hazard,
        "weather": weather,
        "population": {"period": period},
    }


def incident_scenario(data: Mapping[str, Any]) -> Scenario:
    """Validate an incident dict and resolve its area (no file behind it).

    Raises
    ------
    ScenarioError
        One line naming ``evacsim incident`` and the field (the option behind it).
    """
    from evacsim.scenario.load import scenario_from_dict

    scenario = scenario_from_dict(dict(data), where=_WHERE)
    area_path = Path(scenario.area)
    if not area_path.exists():
        raise ScenarioError(f"{_WHERE}: --area: {scenario.area!r} does not exist")
    return scenario.model_copy(update={"area_path": area_path})


def _check_source(scenario: Scenario) -> None:
    from evacsim.network.cache import prepared_area

    assert scenario.area_path is not None
    area, _, _ = prepared_area(scenario.area_path)  # the run reads it again, from the cache
    ids = set(area.hazard_sources["id"].astype(str))
    for sid in scenario.hazard.source_ids:
        if sid not in ids:
            raise ScenarioError(
                f"{_WHERE}: --source {sid!r}: not in the hazard_sources layer of "
                f"{scenario.area_path}"
            )


@dataclass(eq=False)
class IncidentReport:
    """The run of an incident, condensed for the people who act on it.

    Attributes
    ----------
    run
        The finished run (``run.save(folder)`` writes its map).
    zones
        Per level: ``level``, ``threshold``, ``unit``, ``distance_m`` (largest reach from the
        source), ``label``.
    grids
        One row per grid touched by a threat level, worst first: ``grid_id``, ``name``,
        ``community``, ``group``, ``level``, ``action`` (``evacuate`` / ``warn``),
        ``population``, ``persons_evacuating``, ``needs_assistance`` (persons of the grid who
        need help, from the grids layer), ``assembly_point``, ``route`` (road names, in order),
        ``route_length_m``, ``travel_time_p50_s`` (median of its groups' departure to arrival);
        with the warning chain also ``town``, ``workers``, ``t_order_s`` and ``t_last_warned_s``.
    assembly_points
        Per assembly point that receives anyone: ``id``, ``name``, ``arrivals``, ``peak``,
        ``capacity``.
    ete_s
        ``{"assembly": {"p50": ...}, "shelter": {...}}`` from the summary (s since the alert).
    """

    run: Run
    zones: pd.DataFrame
    grids: pd.DataFrame
    assembly_points: pd.DataFrame
    ete_s: dict[str, dict[str, float | None]]


def _zones_table(run: Run) -> pd.DataFrame:
    zones = run.prepared.zones
    dist = zones.distances_m()
    rows = [
        {
            "level": lv.name,
            "threshold": lv.threshold,
            "unit": lv.unit,
            "distance_m": round(dist.get(lv.name, 0.0), 1),
            "label": lv.label,
        }
        for lv in zones.levels
    ]
    return pd.DataFrame(rows, columns=["level", "threshold", "unit", "distance_m", "label"])


def _route(run: Run, group_id: str) -> tuple[str, float]:
    """Road names along a group's path (consecutive repeats merged) and its length (m)."""
    paths = run.results.paths
    mine = paths[paths["group_id"] == group_id].sort_values("t_enter_s", kind="stable")
    net = run.prepared.network
    edges = mine["edge"].to_numpy(np.int64)
    names: list[str] = []
    for edge in edges:
        name = str(net.edge_name[edge] or "").strip()
        name = name if name and name != "None" else str(net.edge_road_id[edge])
        if not names or names[-1] != name:
            names.append(name)
    return " → ".join(names), float(net.length_m[edges].sum()) if edges.size else 0.0


def _grid_routes(run: Run, groups: pd.DataFrame) -> dict[str, tuple[str, float]]:
    """Per grid, the route of its first group that left (cars first: they use the roads)."""
    out: dict[str, tuple[str, float]] = {}
    left = groups[groups["departure_s"].notna() & (groups["state"] != "not_evacuated")]
    rank = left["mode"].map({"car": 0, "walk": 1, "assisted": 2}).fillna(3)
    ordered = left.assign(_rank=rank).sort_values(["grid_id", "_rank", "group_id"], kind="stable")
    for grid_id, part in ordered.groupby("grid_id", sort=True):
        out[str(grid_id)] = _route(run, str(part["group_id"].iloc[0]))
    return out


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _grids_table(run: Run) -> pd.DataFrame:
    results = run.results
    per_grid: pd.DataFrame = results.extra["per_grid"].copy()
    grids = run.prepared.area.grids.set_index(run.prepared.area.grids["id"].astype(str))
    per_grid = per_grid[per_grid["level"] < 3]
    groups = results.groups
    ap = groups.groupby("grid_id")["assembly_point"].agg(lambda s: s.mode().iloc[0])
    travel = (groups["t_assembly_s"] - groups["departure_s"]).groupby(groups["grid_id"]).median()
    routes = _grid_routes(run, groups)
    rows = []
    for rec in per_grid.to_dict("records"):
        gid = str(rec["grid_id"])
        route, length_m = routes.get(gid, ("", 0.0))
        t50 = travel.get(gid, math.nan)
        rows.append({
            "grid_id": gid,
            "name": _text(grids.at[gid, "name"]) if "name" in grids else "",
            "community": str(rec["community"]),
            "group": str(rec["group"]),
            "level": _LEVEL_NAMES[int(rec["level"])],
            "action": "evacuate" if rec["persons_evacuating"] > 0 else "warn",
            "population": int(rec["population"]),
            "persons_evacuating": int(rec["persons_evacuating"]),
            "needs_assistance": int(grids.at[gid, "needs_assistance"]),
            "assembly_point": str(ap.get(gid, "")),
            "route": route,
            "route_length_m": round(length_m, 1),
            "travel_time_p50_s": None if pd.isna(t50) else round(float(t50), 1),
        })  # fmt: skip
    table = _with_chain(pd.DataFrame(rows), results)
    if table.empty:
        return table
    order = table["level"].map({n: i for i, n in enumerate(_LEVEL_NAMES)})
    return table.assign(_o=order).sort_values(["_o", "grid_id"], kind="stable").drop(columns="_o")


def _with_chain(table: pd.DataFrame, results: Any) -> pd.DataFrame:
    """In a warning-chain run: each grid's workers, when the order reaches it and when its last
    household is warned (s since the alarm)."""
    chain = results.extra.get("warning_grids")
    if chain is None or table.empty:
        return table
    cols = ["grid_id", "town", "workers", "t_order_s", "t_last_warned_s"]
    out = table.merge(chain[cols], on="grid_id", how="left")
    return out.astype({"workers": "Int64"})  # grids touched by a zone but empty have none


def _ap_table(run: Run) -> pd.DataFrame:
    rows = [
        {"id": fid, "name": f["name"], "arrivals": f["arrivals"], "peak": f["peak"],
         "capacity": f["capacity"]}
        for fid, f in run.summary["facilities"].items()
        if f["kind"] == "assembly" and f["arrivals"] > 0
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["id", "name", "arrivals", "peak", "capacity"])


def incident_report(run: Run) -> IncidentReport:
    """Condense a finished run into an :class:`IncidentReport`."""
    return IncidentReport(
        run=run,
        zones=_zones_table(run),
        grids=_grids_table(run),
        assembly_points=_ap_table(run),
        ete_s=run.summary["ete_s"],
    )


def run_incident(data: Mapping[str, Any]) -> IncidentReport:
    """Validate, run and condense an incident dict (from :func:`incident_data`).

    Raises
    ------
    EvacsimError
        Bad options (one line naming the option), an unknown source id, a broken area.
    """
    from evacsim.pipeline import run

    scenario = incident_scenario(data)
    _check_source(scenario)
    return incident_report(run(scenario))


def alarm_incident_data(
    path: str | Path, *, area: str | Path, seed: int = 0, lang: str | None = None
) -> tuple[dict[str, Any], list[str]]:
    """The incident dict of an alarm file (:func:`evacsim.scenario.alarm.alarm_scenario_data`)
    and notes on how it was made (as the core wrote them; :func:`evacsim.display.warnings.
    warning_text` says them in a language).

    The run's language (``[output] lang``) is ``lang`` (``"zh"`` or ``"en"``), by default the
    area's ``area.toml`` ``lang``; the scenario's name and description, shown on every page of
    the run, are written in it.

    Raises
    ------
    EvacsimError
        A malformed alarm, an unknown source or substance, a broken area: one line.
    """
    from evacsim.network.cache import prepared_area
    from evacsim.scenario.alarm import alarm_scenario_data, read_alarm

    alarm = read_alarm(path)
    loaded, _, _ = prepared_area(area)  # the run reads it again, from the cache
    data, notes = alarm_scenario_data(alarm, area=loaded, where=str(path), seed=seed)
    lang = resolve_lang(lang, loaded.meta.get("lang"))
    data.update(_alarm_words(alarm, data, notes, lang, where=str(path)), output={"lang": lang})
    return data, notes


def _alarm_words(alarm: Any, data: Mapping[str, Any], notes: list[str], lang: str,
                 *, where: str) -> dict[str, str]:  # fmt: skip
    """The ``name`` and ``description`` of an alarm's scenario in ``lang``."""
    from evacsim.display.labels import DETECTION_LABELS, SUBSTANCE_LABELS, label
    from evacsim.display.warnings import warning_text
    from evacsim.hazard.substances import get_substance

    tr = translator(lang)
    ident = alarm.alarm_id or Path(where).stem
    substance = get_substance(str(data["hazard"]["substance"])).name
    name = tr("Alarm {id} — {what} of {substance} at {source}", id=ident,
              what=label(DETECTION_LABELS, alarm.detection.kind, tr),
              substance=label(SUBSTANCE_LABELS, substance, tr), source=alarm.source)  # fmt: skip
    made = tr("Made by evacsim from alarm {id} ({where})", id=ident, where=where)
    description = tr.gettext("; ").join([made, *(warning_text(n, tr) for n in notes)])
    return {"name": name, "description": description}


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    rows = df.astype(object).where(df.notna(), None).to_dict("records")
    return [{str(k): v for k, v in r.items()} for r in rows]


def incident_record(report: IncidentReport) -> dict[str, Any]:
    """The report as plain JSON data: zones, grids (with the chain), assembly points, ETE,
    persons and, with the chain, the ``warning`` summary."""
    summary = report.run.summary
    return {
        "scenario": summary["scenario"],
        "start": summary.get("start"),
        "hazard": summary["hazard"],
        "zones": _records(report.zones),
        "grids": _records(report.grids),
        "assembly_points": _records(report.assembly_points),
        "ete_s": report.ete_s,
        "persons": summary["persons"],
        "warning": summary.get("warning"),
    }


# --------------------------------------------------------------------------- TOML writing


def scenario_toml(data: Mapping[str, Any]) -> str:
    """An incident dict as scenario TOML (:func:`evacsim.scenario.write.scenario_toml`)."""
    return write_toml(
        data, header="Written by `evacsim incident`; edit and run with `evacsim run`.", where=_WHERE
    )


def write_scenario_toml(data: Mapping[str, Any], path: str | Path) -> Path:
    """Write an incident dict as a scenario file, its ``area`` relative to the file's folder."""
    path = Path(path)
    out = dict(data)
    area = Path(str(out["area"])).resolve()
    folder = path.resolve().parent
    out["area"] = Path(os.path.relpath(area, folder)).as_posix()
    return write_text_atomic(path, scenario_toml(out), what="--save-scenario")
