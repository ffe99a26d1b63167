"""Tables of a finished run: bottlenecks, facilities, occupancy, stranded people, grids.

Every function is pure: it reads a :class:`~evacsim.sim.results.Results` (and, where it names
roads or nodes, the :class:`~evacsim.network.graph.RoadNetwork`) and returns DataFrames or dicts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from evacsim.results.ete import LEVEL_NAMES, STAGES, ete_s, stage_arrivals
from evacsim.results.records import records
from evacsim.sim.results import GROUP_STATES, Results

if TYPE_CHECKING:
    from evacsim.network.graph import RoadNetwork

__all__ = [
    "bottlenecks",
    "facilities_summary",
    "facility_table",
    "grid_table",
    "occupancy_series",
    "stranded_table",
]


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
    arrivals = stage_arrivals(g)
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
    columns = ["grid_id", "persons", "level", "assembly_point"]
    columns += [f"ete_{stage}_p{p}_s" for stage in STAGES for p in (50, 90)]
    return pd.DataFrame(rows, columns=[*columns, *GROUP_STATES])  # columns even with no grid


def facilities_summary(results: Results) -> dict[str, dict[str, Any]]:
    """Per assembly point and shelter: name, kind, arrivals, peak occupancy, capacity, refused,
    final occupancy; for assembly points also ``over_capacity`` and ``cut_off_s`` (since when
    it is cut off from every shelter with room, ``None``: never)."""
    out: dict[str, dict[str, Any]] = {}
    for row in records(results.facilities):
        entry: dict[str, Any] = {
            "name": str(row["name"]),
            "kind": str(row["kind"]),
            "arrivals": int(row["arrivals"]),
            "peak": int(row["peak"]),
            "capacity": int(row["capacity_persons"]),
            "refused": int(row["refused"]),
            "final": int(row["final"]),
        }
        if row["kind"] == "assembly":
            cut = float(row.get("cut_off_s", np.nan))
            entry["over_capacity"] = int(row.get("over_capacity", 0))
            entry["cut_off_s"] = None if np.isnan(cut) else round(cut, 1)
        out[str(row["id"])] = entry
    return out
