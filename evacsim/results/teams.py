"""The teams' figures: tasks, door-to-door totals, unstaffed shelter time, routes driven."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import LineString

from evacsim.results.records import records
from evacsim.results.routes import timed_line

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


def task_routes(results: Results, net: RoadNetwork) -> pd.DataFrame:
    """Per team task: its route as one EPSG:4326 LineString and the roads in driving order.

    Columns ``team``, ``vehicle``, ``task`` (row in ``results.extra["teams"]``), ``geometry``
    (None when the task needed no driving), ``roads`` (names joined by " → ").
    """
    paths: pd.DataFrame = results.extra.get("team_paths", pd.DataFrame())
    to_wgs = Transformer.from_crs(net.crs, "EPSG:4326", always_xy=True)
    rows = []
    for key, legs in paths.groupby(["team", "vehicle", "task"], sort=True):
        team, vehicle, task = str(key[0]), str(key[1]), int(str(key[2]))
        edges = legs.sort_values("t_enter_s", kind="stable")["edge"].to_numpy(np.int64)
        coords = np.vstack([shapely.get_coordinates(g) for g in net.edge_geometry[edges]])
        lon, lat = to_wgs.transform(coords[:, 0], coords[:, 1])
        names = [str(n) for n in net.edge_name[edges] if n and str(n) not in ("None", "nan")]
        roads = [n for i, n in enumerate(names) if i == 0 or n != names[i - 1]]
        rows.append((team, vehicle, task, LineString(np.column_stack([lon, lat])),
                     " → ".join(roads)))  # fmt: skip
    return pd.DataFrame(rows, columns=["team", "vehicle", "task", "geometry", "roads"])


def _road_name(net: RoadNetwork, edge: int) -> str:
    name = str(net.edge_name[edge] or "").strip()
    return name if name not in ("", "None", "nan") else str(net.edge_road_id[edge])


def task_tracks(results: Results, net: RoadNetwork) -> pd.DataFrame:
    """Per team task: the route driven, as timed vertices and as steps by road.

    Returns
    -------
    pandas.DataFrame
        One row per (team, vehicle, task) that drove: ``team``, ``vehicle``, ``task`` (row in
        ``results.extra["teams"]``), ``start_node``, ``end_node``, ``xy`` (``(n, 2)`` vertices,
        network CRS, m), ``t_s`` (time each vertex was passed, s since the incident) and
        ``steps`` (dicts ``road``, ``t_s`` (entering it), ``length_m``: consecutive edges of
        one road name merged).
    """
    paths: pd.DataFrame = results.extra.get("team_paths", pd.DataFrame())
    columns = ["team", "vehicle", "task", "start_node", "end_node", "xy", "t_s", "steps"]
    rows = []
    for key, legs in paths.groupby(["team", "vehicle", "task"], sort=True) if len(paths) else []:
        legs = legs.sort_values("t_enter_s", kind="stable")
        edges = legs["edge"].to_numpy(np.int64)
        t_in, t_out = legs["t_enter_s"].to_numpy(float), legs["t_exit_s"].to_numpy(float)
        xy, t_s = timed_line(net, edges, t_in, t_out)
        steps: list[dict[str, Any]] = []
        for e, t0 in zip(edges.tolist(), t_in.tolist(), strict=True):
            road = _road_name(net, e)
            if steps and steps[-1]["road"] == road:
                steps[-1]["length_m"] += float(net.length_m[e])
            else:
                steps.append({"road": road, "t_s": t0, "length_m": float(net.length_m[e])})
        rows.append((str(key[0]), str(key[1]), int(str(key[2])), int(net.edge_tail[edges[0]]),
                     int(net.edge_head[edges[-1]]), xy, t_s, steps))  # fmt: skip
    return pd.DataFrame(rows, columns=columns)
