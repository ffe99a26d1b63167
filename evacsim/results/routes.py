"""Routes of a finished run: each grid's path to its assembly point and on, and the bus legs as
driven.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from evacsim.errors import NoRouteError
from evacsim.network.routing import path_edges, route_tree
from evacsim.results.tracks import timed_lines

__all__ = ["bus_route_edges", "bus_tracks", "grid_routes", "recorded_bus_leg", "timed_line"]

logger = logging.getLogger(__name__)


def recorded_bus_leg(results: Any, assembly_point: str, shelter: str) -> np.ndarray | None:
    """Edges a bus actually drove from an assembly point to a shelter (its first such trip),
    from ``results.extra["bus_paths"]``; ``None`` when no bus drove that leg."""
    paths = results.extra.get("bus_paths")
    if paths is None or paths.empty:
        return None
    sub = paths[(paths["from"] == assembly_point) & (paths["to"] == shelter)]
    if sub.empty:
        return None
    first = sub[sub["trip"] == sub["trip"].min()].sort_values("t_enter_s", kind="stable")
    return first["edge"].to_numpy(np.int64)


# ----------------------------------------------------------------------------------- routes
def bus_route_edges(run: Any, assembly_point: str, shelter: str) -> np.ndarray:
    """Edges of the bus leg from an assembly point to a shelter: the route a bus actually drove
    (:func:`evacsim.sim.facilities.recorded_bus_leg`), else the fastest free-flow driving route
    (roads closed by the scenario avoided). Returns an empty array when there is no route.
    """
    recorded = recorded_bus_leg(run.results, assembly_point, shelter)
    if recorded is not None:
        return recorded
    prep = run.prepared
    net, snapped = prep.network, prep.snapped
    ap_ids = [str(i) for i in snapped.assembly_points.ids]
    s_ids = [str(i) for i in snapped.shelters.ids]
    if assembly_point not in ap_ids or shelter not in s_ids:
        return np.zeros(0, dtype=np.int32)
    origin = int(snapped.assembly_points.car_node[ap_ids.index(assembly_point)])
    dest = int(snapped.shelters.car_node[s_ids.index(shelter)])
    closed = np.isin(net.edge_road_id, list(prep.scenario.simulation.closed_roads))
    tree = route_tree(net, [dest], weight_s=net.travel_time_s, usable=net.drivable & ~closed)
    try:
        return path_edges(tree, origin)
    except NoRouteError:
        logger.warning("no driving route from %s to %s for the map", assembly_point, shelter)
        return np.zeros(0, dtype=np.int32)


def all_bus_routes(run: Any) -> dict[tuple[str, str], np.ndarray]:
    """Bus route edges of every (assembly point, shelter) pair of the bus trips and riders."""
    res = run.results
    pairs = set(zip(res.vehicles["from"].astype(str), res.vehicles["to"].astype(str), strict=True))
    g = res.groups
    bus = g[(g["mode"] != "car") & (g["shelter"].astype(str) != "")]
    pairs |= set(zip(bus["assembly_point"].astype(str), bus["shelter"].astype(str), strict=True))
    return {pair: bus_route_edges(run, *pair) for pair in sorted(pairs)}


def _leg_edges(results: Any) -> dict[tuple[str, str], set[int]]:
    """The edges each grid's groups used per leg (``assembly``: up to their assembly point,
    ``shelter``: on from it), found in one pass over the paths."""
    paths, groups = results.paths, results.groups
    at = pd.Index(groups["group_id"]).get_indexer(paths["group_id"])
    known = at >= 0  # paths of groups the table has (an inner join)
    at = at[known]
    t_ass = groups["t_assembly_s"].to_numpy(float)[at]
    after = ~np.isnan(t_ass) & (paths["t_exit_s"].to_numpy(float)[known] > t_ass + 1e-6)
    grid = groups["grid_id"].to_numpy()[at]
    codes, names = pd.factorize(grid)
    ok = codes >= 0  # no grid: not a grid's route
    edge = paths["edge"].to_numpy(np.int64)[known][ok]
    n = int(edge.max()) + 1 if len(edge) else 1
    used = np.unique((codes[ok].astype(np.int64) * 2 + after[ok]) * n + edge)
    out: dict[tuple[str, str], set[int]] = {}
    pair, edges = used // n, (used % n).tolist()
    cut = np.flatnonzero(np.diff(pair)) + 1
    for part, mine in zip(np.split(pair, cut), np.split(np.arange(len(used)), cut), strict=True):
        if not len(part):
            continue
        key = (str(names[int(part[0]) // 2]), "shelter" if part[0] % 2 else "assembly")
        out[key] = {edges[i] for i in mine.tolist()}
    return out


def grid_routes(
    run: Any, *, bus_routes: Mapping[tuple[str, str], np.ndarray] | None = None
) -> gpd.GeoDataFrame:
    """Each grid's route to its assembly point (leg ``assembly``) and on to its shelter(s).

    The ``shelter`` leg joins the car paths driven on from the assembly point and the bus routes
    (see :func:`bus_route_edges`) of the grid's groups that went by bus.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``grid_id``, ``leg``, ``assembly_point``, ``shelters`` (``;``-joined), ``persons``,
        ``groups``, ``modes`` (``mode: persons``), ``t_first_s``, ``t_last_s`` (arrival at the
        leg's end), geometry a (Multi)LineString of the edges used, in the network's CRS.
    """
    res, net = run.results, run.prepared.network
    bus_routes = all_bus_routes(run) if bus_routes is None else bus_routes
    edges = _leg_edges(res)
    g = res.groups
    by_bus = g[(g["mode"] != "car") & (g["shelter"].astype(str) != "")]
    by_bus = by_bus[["grid_id", "assembly_point", "shelter"]].drop_duplicates()
    for row in by_bus.itertuples(index=False):
        route = bus_routes.get((str(row.assembly_point), str(row.shelter)), ())
        edges.setdefault((str(row.grid_id), "shelter"), set()).update(int(e) for e in route)
    of_grid = {str(k): part for k, part in g.groupby(g["grid_id"].astype(str), sort=False)}
    rows = []
    for (grid, leg), used in sorted(edges.items()):
        if not used:
            continue
        mine = of_grid.get(grid, g.iloc[:0])  # once per grid, not a scan of every group
        if leg == "shelter":
            mine = mine[mine["shelter"].astype(str) != ""]
        times = mine["t_assembly_s" if leg == "assembly" else "t_shelter_s"].to_numpy(float)
        modes = mine.groupby("mode", sort=True)["persons"].sum()
        geoms = list(net.edge_geometry[sorted(used)])
        rows.append(
            {
                "grid_id": grid,
                "leg": leg,
                "assembly_point": ";".join(sorted(set(mine["assembly_point"].astype(str)))),
                "shelters": ";".join(sorted(set(mine["shelter"].astype(str)) - {""})),
                "persons": int(mine["persons"].sum()),
                "groups": len(mine),
                "modes": ", ".join(f"{m}: {int(p)}" for m, p in modes.items()),
                "t_first_s": float(np.nanmin(times)) if np.isfinite(times).any() else np.nan,
                "t_last_s": float(np.nanmax(times)) if np.isfinite(times).any() else np.nan,
                "geometry": shapely.line_merge(shapely.multilinestrings(geoms)),
            }
        )
    columns = ["grid_id", "leg", "assembly_point", "shelters", "persons", "groups", "modes"]
    columns += ["t_first_s", "t_last_s", "geometry"]
    return gpd.GeoDataFrame(rows, columns=columns, geometry="geometry", crs=net.crs)


def timed_line(
    net: Any, edges: np.ndarray, t_enter_s: np.ndarray, t_exit_s: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The path through ``edges`` as vertices (network CRS, m) with the time each was passed.

    Within an edge, the time runs linearly with the distance along its geometry, from
    ``t_enter_s`` to ``t_exit_s`` (s since the incident); a wait between two edges shows as two
    vertices at the same place. Repeated vertices at an edge's join are dropped.

    Returns
    -------
    xy, t_s
        ``(n, 2)`` coordinates and ``(n,)`` times, in travel order (empty for no edges).
    """
    xy, t_s, _ = timed_lines(net, edges, t_enter_s, t_exit_s)
    return xy, t_s


def bus_tracks(results: Any, net: Any) -> pd.DataFrame:
    """Per (assembly point, shelter) leg a bus drove: its first trip, as timed vertices.

    Returns
    -------
    pandas.DataFrame
        ``assembly_point``, ``shelter``, ``trips`` (bus trips on that leg), ``persons`` (carried
        on them), ``xy`` (network CRS, m), ``t_s`` (s since the incident, the first trip's).
    """
    columns = ["assembly_point", "shelter", "trips", "persons", "xy", "t_s"]
    paths = results.extra.get("bus_paths")
    trips = results.vehicles
    if paths is None or paths.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for (ap, shelter), sub in paths.groupby(["from", "to"], sort=True):
        first = sub[sub["trip"] == sub["trip"].min()].sort_values("t_enter_s", kind="stable")
        xy, t_s = timed_line(
            net,
            first["edge"].to_numpy(np.int64),
            first["t_enter_s"].to_numpy(float),
            first["t_exit_s"].to_numpy(float),
        )
        leg = trips[(trips["from"] == ap) & (trips["to"] == shelter)]
        rows.append((str(ap), str(shelter), len(leg), int(leg["persons"].sum()), xy, t_s))
    return pd.DataFrame(rows, columns=columns)
