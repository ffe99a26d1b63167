"""Headline figures of a run: evacuation time estimates, curves, bottlenecks, facilities, exposure.

Evacuation time estimates (ETE) follow NUREG/CR-7002 (2011): the time, since the incident, by
which 50 / 90 / 95 / 100 % of the evacuating persons have reached a stage (an assembly point, a
shelter). Percentiles are of *all* persons to evacuate, so a stage that not everyone reaches has
``null`` for the percentiles it never reaches.

Every function here is pure: it reads a :class:`~evacsim.results.Results` (and, where it names
roads or nodes, the :class:`~evacsim.network.RoadNetwork`) and returns plain DataFrames or dicts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from evacsim.results import GROUP_STATES, Results

if TYPE_CHECKING:
    from evacsim.network import RoadNetwork
    from evacsim.pipeline import Prepared

__all__ = [
    "BY",
    "LEVEL_NAMES",
    "PERCENTILES",
    "STAGES",
    "bottlenecks",
    "ete_s",
    "ete_table",
    "evacuation_curves",
    "facilities_summary",
    "facility_table",
    "grid_table",
    "occupancy_series",
    "stranded_table",
    "summarise",
]

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


def _stage_arrivals(groups: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
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


def _key_order(by: str | None, keys: pd.Series) -> list[str]:
    present = set(keys)
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
    arrivals = _stage_arrivals(results.groups)
    rows: list[dict[str, Any]] = []
    for key in _key_order(by, keys):
        sel = (keys == key).to_numpy()
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
    arrivals = _stage_arrivals(results.groups)
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


def bottlenecks(results: Results, net: RoadNetwork | None = None, *, n: int = 10) -> pd.DataFrame:
    """The worst congested roads: directed links merged by road id and mode, worst first.

    A road counts when one of its links had a queue. Ranking: largest queue, then longest
    congestion, then volume (ties broken by road id and mode, so the order is reproducible).

    Parameters
    ----------
    results
        A run's results (``links`` table).
    net
        The road network; when given, adds ``length_m`` (the road's length, m) and ``highway``.
    n
        Rows to keep (all when ``n <= 0``).

    Returns
    -------
    pandas.DataFrame
        ``rank``, ``road_id``, ``mode`` (car / walk / assisted), ``name``, ``max_queue`` (agents
        waiting at once, the worst direction), ``congested_min`` (minutes with a queue, summed
        over the road's directions), ``volume`` (agents that left its links, both directions),
        ``links``; and ``length_m``, ``highway`` with ``net``.
    """
    links = results.links
    columns = ["rank", "road_id", "mode", "name", "max_queue", "congested_min", "volume", "links"]
    if links.empty:
        return pd.DataFrame(columns=columns)
    grouped = links.groupby(["road_id", "mode"], sort=True).agg(
        name=("name", "first"),
        max_queue=("max_queue", "max"),
        congested_s=("congested_s", "sum"),
        volume=("volume", "sum"),
        links=("edge", "nunique"),
    )
    table = grouped.reset_index()
    table = table[(table["max_queue"] > 0) | (table["congested_s"] > 0)]
    table = table.sort_values(
        ["max_queue", "congested_s", "volume", "road_id", "mode"],
        ascending=[False, False, False, True, True],
        kind="stable",
    )
    if n > 0:
        table = table.head(n)
    table = table.assign(
        rank=np.arange(1, len(table) + 1), congested_min=(table["congested_s"] / 60.0).round(1)
    )[columns].reset_index(drop=True)
    if net is not None and len(table):
        edges = pd.DataFrame(
            {
                "road_id": net.edge_road_id.astype(str),
                "length_m": net.length_m,
                "highway": net.edge_highway.astype(str),
            }
        )
        roads = edges.groupby("road_id").agg(
            length_m=("length_m", "max"), highway=("highway", "first")
        )
        table = table.join(roads, on="road_id")
        table["length_m"] = table["length_m"].round(1)
    return table


def facility_table(results: Results) -> pd.DataFrame:
    """Per assembly point and shelter: the facility record plus peak vs capacity and timing.

    Returns
    -------
    pandas.DataFrame
        ``results.facilities`` columns, plus ``peak_share`` (peak / capacity), ``t_peak_s``
        (first time the peak was reached), ``t_first_s`` and ``t_last_s`` (first and last change
        of occupancy), seconds since the incident (NaN when nobody came).
    """
    fac = results.facilities.copy()
    occ = results.occupancy
    fac["peak_share"] = (fac["peak"] / fac["capacity_persons"].clip(lower=1)).round(3)
    t_peak, t_first, t_last = [], [], []
    for fid, peak in zip(fac["id"].astype(str), fac["peak"].to_numpy(), strict=True):
        series = occ[occ["facility_id"] == fid]
        times = series["t_s"].to_numpy(float)
        at_peak = times[series["persons"].to_numpy() == peak]
        t_peak.append(float(at_peak[0]) if len(at_peak) and peak > 0 else np.nan)
        t_first.append(float(times[0]) if len(times) else np.nan)
        t_last.append(float(times[-1]) if len(times) else np.nan)
    fac["t_peak_s"], fac["t_first_s"], fac["t_last_s"] = t_peak, t_first, t_last
    return fac


def occupancy_series(results: Results, *, step_s: float = 60.0) -> pd.DataFrame:
    """Occupancy of every assembly point and shelter on a regular time grid.

    Parameters
    ----------
    results
        A run's results (``occupancy`` log and ``facilities``).
    step_s
        Time step (s); the grid runs from 0 to the first step at or after the end of the run
        (or the last change, if later).

    Returns
    -------
    pandas.DataFrame
        ``t_s``, then one column per facility id (persons present at ``t_s``, after every change
        at that instant), in the order of ``results.facilities``.
    """
    if step_s <= 0:
        raise ValueError(f"occupancy_series: step_s must be > 0 (got {step_s})")
    occ = results.occupancy
    last = max(float(results.end_s), float(occ["t_s"].max()) if len(occ) else 0.0)
    t_grid = np.arange(int(np.ceil(last / step_s)) + 1, dtype=float) * step_s
    out: dict[str, np.ndarray] = {"t_s": t_grid}
    for fid in results.facilities["id"].astype(str):
        series = occ[occ["facility_id"] == fid]
        times = series["t_s"].to_numpy(float)
        values = np.concatenate([[0], series["persons"].to_numpy(np.int64)])
        out[fid] = values[np.searchsorted(times, t_grid, side="right")]
    return pd.DataFrame(out)


def stranded_table(results: Results, net: RoadNetwork | None = None) -> pd.DataFrame:
    """Where and why people are stranded: persons per (reason, network node).

    Returns
    -------
    pandas.DataFrame
        ``reason``, ``node``, ``persons``, ``groups``, ``grids`` (``;``-separated grid ids), and
        with ``net`` the node's ``x_m``, ``y_m`` (the network's projected CRS, metres).
    """
    g = results.groups
    g = g[g["state"] == "stranded"]
    columns = ["reason", "node", "persons", "groups", "grids"]
    if g.empty:
        table = pd.DataFrame(columns=columns)
    else:
        table = (
            g.groupby(["stranded_reason", "stranded_node"], sort=True)
            .agg(
                persons=("persons", "sum"),
                groups=("group_id", "count"),
                grids=("grid_id", lambda s: ";".join(sorted(set(map(str, s))))),
            )
            .reset_index()
            .rename(columns={"stranded_reason": "reason", "stranded_node": "node"})
        )
    if net is not None:
        nodes = table["node"].to_numpy(np.int64)
        valid = (nodes >= 0) & (nodes < net.n_nodes)
        table["x_m"] = np.where(valid, net.node_x_m[nodes.clip(0, max(net.n_nodes - 1, 0))], np.nan)
        table["y_m"] = np.where(valid, net.node_y_m[nodes.clip(0, max(net.n_nodes - 1, 0))], np.nan)
    return table


def _persons_by_state(groups: pd.DataFrame) -> dict[str, int]:
    """Persons per final state (as :attr:`Results.persons_by_state`, for a subset of groups)."""
    rest = (groups["persons"] - groups["persons_sheltered"]).groupby(groups["state"]).sum()
    counts = {state: int(rest.get(state, 0)) for state in GROUP_STATES}
    counts["sheltered"] += int(groups["persons_sheltered"].sum())
    return counts


def grid_table(results: Results) -> pd.DataFrame:
    """Per grid that evacuates: persons, threat level, and its ETE p50 / p90 per stage.

    Returns
    -------
    pandas.DataFrame
        ``grid_id``, ``persons``, ``level`` (name), ``assembly_point`` (most persons sent there),
        ``ete_<stage>_p50_s``, ``ete_<stage>_p90_s``, and persons per final state
        (``sheltered``, ``stranded``...), sorted by grid id.
    """
    g = results.groups
    arrivals = _stage_arrivals(g)
    rows: list[dict[str, Any]] = []
    for grid_id, idx in sorted(g.groupby("grid_id", sort=True).indices.items()):
        sub = g.iloc[idx]
        total = int(sub["persons"].sum())
        ap = sub.groupby("assembly_point")["persons"].sum().sort_index()
        row: dict[str, Any] = {
            "grid_id": str(grid_id),
            "persons": total,
            "level": LEVEL_NAMES[int(np.clip(sub["level"].min(), 0, 3))],
            "assembly_point": str(ap.idxmax()) if len(ap) else "",
        }
        for stage in STAGES:
            times, arrived = arrivals[stage]
            ete = ete_s(times[idx], arrived[idx], total)
            for p in (50, 90):
                value = ete[f"p{p}"]
                row[f"ete_{stage}_p{p}_s"] = np.nan if value is None else value
        row |= _persons_by_state(sub)
        rows.append(row)
    return pd.DataFrame(rows)


def facilities_summary(results: Results) -> dict[str, dict[str, Any]]:
    """Per assembly point and shelter: name, kind, arrivals, peak occupancy, capacity, refused."""
    out: dict[str, dict[str, Any]] = {}
    for row in _records(results.facilities):
        out[str(row["id"])] = {
            "name": str(row["name"]),
            "kind": str(row["kind"]),
            "arrivals": int(row["arrivals"]),
            "peak": int(row["peak"]),
            "capacity": int(row["capacity_persons"]),
            "refused": int(row["refused"]),
            "final": int(row["final"]),
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
        {"reason": str(row["stranded_reason"]), "node": int(row["stranded_node"]),
         "persons": int(row["persons"])}
        for row in _records(table.reset_index())
    ]  # fmt: skip


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts keyed by column name."""
    return [{str(k): v for k, v in row.items()} for row in table.to_dict(orient="records")]


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
        for row in _records(table):
            entry = section.setdefault(str(row["key"]), {"persons": int(row["persons"])})
            entry[str(row["stage"])] = {
                f"p{p}": _none_if_nan(float(row[f"p{p}_s"])) for p in PERCENTILES
            }
        out[by] = section
    return out


def _bottleneck_records(results: Results, net: RoadNetwork | None) -> list[dict[str, Any]]:
    table = bottlenecks(results, net, n=10)
    keep = ["road_id", "mode", "name", "max_queue", "congested_min", "volume"]
    return [
        {k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
        for row in _records(table[keep])
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
        "exposure": _exposure(results),
        "bus_trips": len(results.vehicles),
        "ended_by": results.ended_by,
        "end_s": round(results.end_s, 1),
        "warnings": [*prepared.warnings, *results.extra.get("plan_warnings", [])],
    }
    if total == 0:
        summary["note"] = "nobody is inside the evacuation zone"
    summary.update(_teams_and_supplies(results))
    return summary


def _teams_and_supplies(results: Results) -> dict[str, Any]:
    """The ``teams`` and ``supplies`` entries (:mod:`evacsim.teams`, :mod:`evacsim.supplies`)."""
    from evacsim.supplies import supplies_summary
    from evacsim.teams import teams_summary

    return {"teams": teams_summary(results), "supplies": supplies_summary(results)}
