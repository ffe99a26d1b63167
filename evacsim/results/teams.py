"""The teams' figures: tasks, door-to-door totals, unstaffed shelter time, routes driven."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pyproj import Transformer
from shapely.geometry import LineString

from evacsim.results.records import records
from evacsim.results.tracks import edge_vertices, path_vertices, sequential_sums, timed_lines

if TYPE_CHECKING:
    from evacsim.network.graph import RoadNetwork
    from evacsim.sim.results import Results

__all__ = ["crew_harm", "task_routes", "task_tracks", "teams_summary"]


# ------------------------------------------------------------------------- summary


def _num(x: Any, nd: int = 1) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), nd)


def _shelters_unstaffed_s(results: Results, tasks: pd.DataFrame) -> dict[str, float]:
    """Per shelter that took people: seconds between its first admission and its staff."""
    occ = results.occupancy
    fac = results.facilities
    staffed = tasks[(tasks["task"] == "staff_shelter") & (tasks["status"] == "staffed")]
    staff_t = staffed.groupby("target")["t_start_s"].min()
    out: dict[str, float] = {}
    for sid in fac.loc[fac["kind"] == "shelter", "id"].astype(str):
        rows = occ[(occ["facility_id"] == sid) & (occ["persons"] > 0)]
        if rows.empty:
            continue
        first = float(rows["t_s"].min())
        until = min(float(staff_t.get(sid, np.inf)), results.end_s)
        out[sid] = round(max(0.0, until - first), 1)
    return out


def crew_harm(crews: pd.DataFrame) -> dict[str, Any]:
    """``max_fed`` and ``persons_fed_over_1`` of some crews (rows of ``extra["crews"]``)."""
    fed = crews["fed"].to_numpy(float)
    return {
        "max_fed": round(float(fed.max()), 3) if len(fed) else 0.0,
        "persons_fed_over_1": int(crews["persons"].to_numpy()[fed >= 1.0].sum()),
    }


def teams_summary(results: Results) -> dict[str, Any]:
    """The ``teams`` entry of ``summary.json``.

    ``by_team``: per team its name, members, vehicles, distance driven (km) and tasks (kind,
    target, vehicle, persons, start and finish times in s, status; a post is "started" when its
    staff arrive and held to the end of the run); ``door_to_door``: persons carried and trips;
    ``shelters_unstaffed_s``: per shelter, time with people but no staff. With a harm field,
    each team also has ``max_fed`` and ``persons_fed_over_1`` over its drivers and post staff
    (``results.extra["crews"]``). Empty without teams.
    """
    tasks: pd.DataFrame | None = results.extra.get("teams")
    info: pd.DataFrame | None = results.extra.get("team_info")
    if tasks is None or info is None or info.empty:
        return {}
    crews: pd.DataFrame = results.extra.get("crews", pd.DataFrame())
    by_team: dict[str, Any] = {}
    for team in records(info):
        mine = tasks[tasks["team"] == team["team"]]
        harm = crew_harm(crews[crews["team"] == team["team"]]) if "fed" in crews else {}
        by_team[str(team["team"])] = {
            **harm,
            "name": str(team["name"]),
            "members": int(team["members"]),
            "vehicles": int(team["vehicles"]),
            "distance_km": round(float(mine["distance_m"].sum()) / 1000.0, 2),
            "tasks": [
                {"task": r["task"], "target": r["target"], "vehicle": r["vehicle"],
                 "persons": int(r["persons"]), "t_start_s": _num(r["t_start_s"]),
                 "t_finish_s": _num(r["t_finish_s"]), "status": r["status"]}
                for r in records(mine)
            ],
        }  # fmt: skip
    trips = tasks[(tasks["task"] == "door_to_door") & (tasks["status"] == "done")]
    return {
        "by_team": by_team,
        "door_to_door": {"trips": len(trips), "persons": int(trips["persons"].sum())},
        "shelters_unstaffed_s": _shelters_unstaffed_s(results, tasks),
    }


def _task_legs(paths: pd.DataFrame) -> tuple[pd.DataFrame, list[np.ndarray], np.ndarray]:
    """The team paths with each task's legs together (tasks in key order) in driving order (ties
    as recorded), their (team, vehicle, task) columns, and where each task begins."""
    legs = paths.sort_values(["team", "vehicle", "task", "t_enter_s"], kind="stable")
    keys = [legs[c].to_numpy() for c in ("team", "vehicle", "task")]
    new_task = np.ones(len(legs), dtype=bool)
    new_task[1:] = np.any([k[1:] != k[:-1] for k in keys], axis=0)
    return legs, keys, new_task


def task_routes(results: Results, net: RoadNetwork) -> pd.DataFrame:
    """Per team task: its route as one EPSG:4326 LineString and the roads in driving order.

    Columns ``team``, ``vehicle``, ``task`` (row in ``results.extra["teams"]``), ``geometry``
    (None when the task needed no driving), ``roads`` (names joined by " → ").
    """
    paths: pd.DataFrame = results.extra.get("team_paths", pd.DataFrame())
    columns = ["team", "vehicle", "task", "geometry", "roads"]
    if not len(paths):
        return pd.DataFrame(columns=columns)
    legs, keys, new_task = _task_legs(paths)
    starts = np.flatnonzero(new_task)
    ends = np.append(starts[1:], len(legs)).tolist()
    edges = legs["edge"].to_numpy(np.int64)
    # every task's vertices at once, one transform (a vertex two edges share kept twice)
    ev = edge_vertices(net)
    counts = ev.first[edges + 1] - ev.first[edges]
    xy = path_vertices(net, edges)
    lon, lat = Transformer.from_crs(net.crs, "EPSG:4326", always_xy=True).transform(
        xy[:, 0], xy[:, 1]
    )
    lonlat = np.column_stack([lon, lat])
    at = np.concatenate([[0], np.cumsum(counts)])[np.append(starts, len(edges))].tolist()
    names = [str(n) for n in net.edge_name[edges].tolist()]
    named = [_is_name(n) for n in names]
    rows = []
    for k, (a, b) in enumerate(zip(starts.tolist(), ends, strict=True)):
        mine = [names[i] for i in range(a, b) if named[i]]
        roads = [n for i, n in enumerate(mine) if i == 0 or n != mine[i - 1]]
        rows.append((str(keys[0][a]), str(keys[1][a]), int(str(keys[2][a])),
                     LineString(lonlat[at[k]:at[k + 1]]), " → ".join(roads)))  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def _road_name(net: RoadNetwork, edge: int) -> str:
    name = str(net.edge_name[edge] or "").strip()
    return name if _is_name(name) else str(net.edge_road_id[edge])


def _is_name(text: str) -> bool:
    """Whether an edge's name (as text) names a road (not empty, None or NaN)."""
    return text not in ("", "None", "nan")


# task_tracks per results, with the network they were drawn on: the team layer, the GPX and the
# drill sheets all read them, and drawing them was a district's costliest output step
_TRACKS: weakref.WeakKeyDictionary[Any, tuple[Any, pd.DataFrame]] = weakref.WeakKeyDictionary()


def task_tracks(results: Results, net: RoadNetwork) -> pd.DataFrame:
    """Per team task: the route driven, as timed vertices and as steps by road.

    Computed once per results and network (every caller gets its own shallow copy).

    Returns
    -------
    pandas.DataFrame
        One row per (team, vehicle, task) that drove: ``team``, ``vehicle``, ``task`` (row in
        ``results.extra["teams"]``), ``start_node``, ``end_node``, ``xy`` (``(n, 2)`` vertices,
        network CRS, m), ``t_s`` (time each vertex was passed, s since the incident) and
        ``steps`` (dicts ``road``, ``t_s`` (entering it), ``length_m``: consecutive edges of
        one road name merged).
    """
    known = _TRACKS.get(results)
    if known is None or known[0] is not net:
        known = (net, _task_tracks(results, net))
        _TRACKS[results] = known
    return known[1].copy(deep=False)


def _task_tracks(results: Results, net: RoadNetwork) -> pd.DataFrame:
    paths: pd.DataFrame = results.extra.get("team_paths", pd.DataFrame())
    columns = ["team", "vehicle", "task", "start_node", "end_node", "xy", "t_s", "steps"]
    if not len(paths):
        return pd.DataFrame(columns=columns)
    legs, keys, new_task = _task_legs(paths)
    starts = np.flatnonzero(new_task)
    edges = legs["edge"].to_numpy(np.int64)
    t_in, t_out = legs["t_enter_s"].to_numpy(float), legs["t_exit_s"].to_numpy(float)
    xy, t_s, bounds = timed_lines(net, edges, t_in, t_out, starts)
    names = _road_names(net)[edges]
    new_step = new_task.copy()
    new_step[1:] |= names[1:] != names[:-1]
    step_at = np.flatnonzero(new_step)
    step_m = sequential_sums(net.length_m[edges], step_at).tolist()
    step_t = t_in[step_at].tolist()
    step_road = names[step_at].tolist()
    step_bounds = np.searchsorted(step_at, np.append(starts, len(edges))).tolist()
    ends = np.append(starts[1:], len(edges)) - 1
    first_node = net.edge_tail[edges[starts]].tolist()
    last_node = net.edge_head[edges[ends]].tolist()
    rows = []
    for k, at in enumerate(starts.tolist()):
        lo, hi = step_bounds[k], step_bounds[k + 1]
        steps = [{"road": road, "t_s": t, "length_m": m} for road, t, m in
                 zip(step_road[lo:hi], step_t[lo:hi], step_m[lo:hi], strict=True)]  # fmt: skip
        rows.append((str(keys[0][at]), str(keys[1][at]), int(str(keys[2][at])), first_node[k],
                     last_node[k], xy[bounds[k]:bounds[k + 1]], t_s[bounds[k]:bounds[k + 1]],
                     steps))  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def _road_names(net: RoadNetwork) -> np.ndarray:
    """Every edge's road name as steps give it (the road id where it has none)."""
    return np.array([_road_name(net, e) for e in range(len(net.edge_name))], dtype=object)
