"""Everything a run writes: summary, maps, report, GeoPackage, CSV, GeoJSON, GPX and manifest.

:func:`write_run_folder` fills a (temporary) run folder; :func:`evacsim.save` calls it inside
:func:`evacsim.export.folder.run_folder`, so a failure leaves nothing behind.
:func:`convert_run_folder` turns a saved run's ``results.gpkg`` into another format
(``evacsim export RUN --format gpkg|geojson|csv|gpx``).

Every exported geometry is in EPSG:4326 (lon/lat, the CRS GPS units, phones and GeoJSON expect).
The layers (also :data:`GPKG_LAYERS`):

``threat_zones``
    The largest extent of each threat level (union over the hazard's timeline) with its threshold,
    the time it first appears and every frame time.
``routes``
    Stage 1: per (grid, assembly point, mode) the path most persons took, with ``persons`` (all
    persons of that grid sent there by that mode) and ``persons_on_path``. Stage 2: per (assembly
    point, shelter) the legs driven by cars (their most-used path) and by buses (the route a bus
    drove, else the free-flow fastest drivable path avoiding the evacuation zone).
    ``vertex_times_s``: the time each vertex was passed (``;``-separated, s since the incident)
    by the median group on that path (the first bus trip for a bus leg); ``t_start_s``/``t_end_s``
    its first and last.
``links``
    Every used directed link with its volume, largest queue and congested seconds.
``grids``
    Grid polygons with persons evacuating, threat level, ETE p50/p90 per stage, final states.
``facilities``
    Assembly points and shelters with capacity, arrivals, peak, refused, redirected, final, at
    their one position on the road network (:func:`evacsim.results.places.facility_points`;
    ``snap_m`` is the distance from the mapped location).
``stranded``
    Persons stranded per (reason, network node), at the node, with its grid, community, group and
    nearest named road.
``team_routes``
    Per team task that drove: team, vehicle, task kind, target and its name, times, status,
    distance, and ``vertex_times_s`` along the route driven.
``bus_routes``
    Per (assembly point, shelter) leg a bus drove: trips, persons carried, and the first trip's
    route with ``vertex_times_s``.
``waypoints``
    Every place a route serves: assembly points, shelters, supply points and team bases (at the
    same positions as in ``facilities``) and the teams' road posts (cordon, traffic control),
    named after the facility or the nearest named road.
``run``
    A table (no geometry) of one row: ``scenario``, ``seed``, ``start`` (ISO 8601 with its
    offset: the clock time at t = 0), ``lang``.

Times are seconds since the incident rounded to 0.1 s; each time of day (not a duration) has a
``*_clock`` column beside it: the ISO 8601 local time with its offset.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString

from evacsim.display.clock import Clock, run_clock
from evacsim.display.i18n import run_lang
from evacsim.errors import NoRouteError
from evacsim.results.ete import LEVEL_NAMES
from evacsim.results.places import facility_points, node_places
from evacsim.results.records import records
from evacsim.results.routes import bus_tracks
from evacsim.results.tables import (
    facility_table,
    grid_table,
    stranded_table,
)
from evacsim.results.teams import task_tracks
from evacsim.results.tracks import path_vertices, timed_lines
from evacsim.sim.results import GROUP_STATES

__all__ = ["GPKG_LAYERS", "result_layers"]


#: Layers of ``results.gpkg`` and their geometry types (``None``: a table without geometry).
GPKG_LAYERS: dict[str, str | None] = {
    "threat_zones": "MultiPolygon",
    "routes": "LineString",
    "links": "LineString",
    "grids": "MultiPolygon",
    "facilities": "Point",
    "stranded": "Point",
    "team_routes": "LineString",
    "bus_routes": "LineString",
    "waypoints": "Point",
    "run": None,
}

#: Float columns in seconds that are durations, not times of day (no ``*_clock`` column).
DURATIONS = frozenset({"congested_s", "person_s_red", "person_s_orange", "person_s_yellow"})

WGS84 = "EPSG:4326"

COORD_DECIMALS = 6  # ~0.1 m in lon/lat

# ----------------------------------------------------------------------------- geometry helpers


def _path_line(net: Any, edges: Iterable[int]) -> LineString | None:
    """The edges' geometries joined in travel order (projected CRS); None for an empty path."""
    coords = path_vertices(net, np.fromiter(edges, dtype=np.int64))
    if not len(coords):
        return None
    keep = np.ones(len(coords), dtype=bool)
    keep[1:] = np.any(np.diff(coords, axis=0) != 0, axis=1)
    coords = coords[keep]
    return LineString(coords) if len(coords) >= 2 else None


def _frame(rows: list[dict[str, Any]], columns: list[str], crs: Any) -> gpd.GeoDataFrame:
    """A GeoDataFrame from rows with a ``geometry`` key, reprojected to EPSG:4326."""
    df = pd.DataFrame(rows, columns=[*columns, "geometry"])
    gdf = gpd.GeoDataFrame(df, geometry="geometry", crs=crs)
    gdf = gdf.to_crs(WGS84)
    rounded = shapely.set_precision(gdf.geometry.values, 10.0**-COORD_DECIMALS)
    return gdf.set_geometry(gpd.GeoSeries(rounded, index=gdf.index, crs=WGS84))


# ----------------------------------------------------------------------------- layers


def _zones_layer(run: Any) -> gpd.GeoDataFrame:
    zones = run.prepared.zones
    final = zones.final()
    times = zones.frame_times_s
    rows = []
    for lv in zones.levels:
        geom = final[lv.name]
        if geom.is_empty:
            continue
        present = [t for t, polys in zones.timeline if not polys[lv.name].is_empty]
        rows.append(
            {"level": lv.name, "threshold": float(lv.threshold), "unit": str(lv.unit),
             "label": str(lv.label), "model": zones.model,
             "evacuated": LEVEL_NAMES.index(lv.name) <= LEVEL_NAMES.index(zones.evacuate),
             "first_t_s": float(min(present)) if present else np.nan,
             "frames": len(times), "frame_times_s": ";".join(f"{t:g}" for t in times),
             "geometry": geom}
        )  # fmt: skip
    cols = ["level", "threshold", "unit", "label", "model", "evacuated", "first_t_s", "frames"]
    return _frame(rows, [*cols, "frame_times_s"], zones.crs or run.prepared.area.crs)


def _group_paths(results: Any) -> pd.DataFrame:
    """Per group and leg (``assembly`` / ``shelter``), its edges in travel order (a tuple),
    with the group's columns; in (group, leg) order."""
    paths = results.paths
    g = results.groups.set_index("group_id")
    t_ass = g["t_assembly_s"].reindex(paths["group_id"]).to_numpy(float)
    reached = ~np.isnan(t_ass)  # a group that never reached its assembly point has no route
    after = (paths["t_enter_s"].to_numpy(float) >= t_ass)[reached]
    group_ids = paths["group_id"].to_numpy()[reached]
    codes, _ = pd.factorize(group_ids, sort=True)
    order = np.lexsort((after, codes))  # by group, then leg; the table's order within
    codes, after = codes[order], after[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (codes[1:] != codes[:-1]) | (after[1:] != after[:-1])
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], len(order))[: len(starts)].tolist()
    edges = paths["edge"].to_numpy(np.int64)[reached][order].tolist()
    out = pd.DataFrame(
        {"group_id": group_ids[order][starts],
         "leg": np.where(after[starts], "shelter", "assembly"),
         "edge": [tuple(edges[a:b]) for a, b in zip(starts.tolist(), ends, strict=True)]}
    )  # fmt: skip
    return out.merge(results.groups, on="group_id", how="left")


def _most_used(legs: pd.DataFrame, keys: list[str]) -> list[dict[str, Any]]:
    """Per key, the edge sequence most persons took (ties broken by the edge ids, reproducibly),
    and the group whose arrival is the (lower) median of those on it (ties by group id)."""
    valid = legs[keys].notna().all(axis=1).to_numpy()
    legs = legs[valid]
    key_of = list(zip(*(legs[k].tolist() for k in keys), strict=True))
    path, persons = legs["edge"].tolist(), legs["persons"].tolist()
    t_ass, group_id = legs["t_assembly_s"].tolist(), legs["group_id"].tolist()
    rows_of: dict[tuple[Any, ...], list[int]] = {}
    for i, key in enumerate(key_of):
        rows_of.setdefault(key, []).append(i)
    rows = []
    for key in sorted(rows_of):
        mine = rows_of[key]
        on_path: dict[tuple[int, ...], int] = {}
        for i in mine:
            on_path[path[i]] = on_path.get(path[i], 0) + persons[i]
        best, best_n = max(on_path.items(), key=lambda kv: (kv[1], [-e for e in kv[0]]))
        done = sorted(
            (i for i in mine if path[i] == best), key=lambda i: _arrival(t_ass[i], group_id[i])
        )
        row = dict(zip(keys, key, strict=True))
        row |= {"persons": int(sum(persons[i] for i in mine)), "persons_on_path": int(best_n),
                "groups": len(mine), "edges": best,
                "median_group": str(group_id[done[(len(done) - 1) // 2]])}  # fmt: skip
        rows.append(row)
    return rows


def _arrival(t_s: float, group_id: str) -> tuple[bool, float, str]:
    """Sort key: by arrival time (unknown last), then group id."""
    unknown = math.isnan(t_s)
    return unknown, 0.0 if unknown else t_s, group_id


def _times_text(t_s: np.ndarray) -> str:
    return ";".join(f"{t:.1f}" for t in t_s)


class _GroupPaths:
    """Each group's path rows and assembly time, found by group id without scanning the table
    (a route layer asks for one group per route: a scan each was quadratic in a district)."""

    def __init__(self, results: Any) -> None:
        paths = results.paths
        self.rows = paths.groupby("group_id", sort=False).indices  # positions, in order
        self.edge = paths["edge"].to_numpy(np.int64)
        self.t_enter_s = paths["t_enter_s"].to_numpy(float)
        self.t_exit_s = paths["t_exit_s"].to_numpy(float)
        g = results.groups
        self.t_assembly_s = dict(zip(g["group_id"], g["t_assembly_s"], strict=True))

    def vertex_times(self, net: Any, group_ids: list[str], leg: str) -> list[np.ndarray]:
        """Times each group passed the vertices of one leg of its path (s since the incident)."""
        picked = []
        for gid in group_ids:
            rows = self.rows[gid]
            rows = rows[np.argsort(self.t_enter_s[rows], kind="stable")]
            after = self.t_enter_s[rows] >= self.t_assembly_s[gid]
            picked.append(rows[after] if leg == "shelter" else rows[~after])
        sizes = np.array([len(p) for p in picked], dtype=np.int64)
        if not sizes.sum():
            return [np.zeros(0) for _ in picked]
        rows = np.concatenate(picked)
        starts = (np.cumsum(sizes) - sizes)[sizes > 0]
        _, t_s, bounds = timed_lines(
            net, self.edge[rows], self.t_enter_s[rows], self.t_exit_s[rows], starts
        )
        parts = iter(np.split(t_s, bounds[1:-1]))
        return [next(parts) if n else np.zeros(0) for n in sizes.tolist()]


def _bus_legs(run: Any) -> list[dict[str, Any]]:
    """Assembly point → shelter legs of the bus trips: the route a bus drove (``source``
    "recorded"), else the fastest drivable path avoiding the zone ("fastest path")."""
    from evacsim.network.routing import path_edges, route_tree
    from evacsim.results.routes import recorded_bus_leg

    trips = run.results.vehicles
    if trips.empty:
        return []
    prepared, net = run.prepared, run.prepared.network
    usable = net.drivable & ~np.isin(
        net.edge_road_id, list(prepared.scenario.simulation.closed_roads)
    )
    zone = prepared.zones.evacuation_zone()
    outside = usable & ~shapely.intersects(net.edge_geometry, zone) if not zone.is_empty else usable
    snap = prepared.snapped
    ap_node = dict(zip(snap.assembly_points.ids, snap.assembly_points.car_node, strict=True))
    s_node = dict(zip(snap.shelters.ids, snap.shelters.car_node, strict=True))
    rows = []
    for (ap, shelter), sub in trips.groupby(["from", "to"], sort=True):
        edges: tuple[int, ...] = ()
        recorded = recorded_bus_leg(run.results, str(ap), str(shelter))
        source = "recorded" if recorded is not None else "fastest path"
        if recorded is not None:
            edges = tuple(int(e) for e in recorded)
        for mask in (outside, usable) if recorded is None else ():
            tree = route_tree(
                net, np.array([s_node[shelter]]), weight_s=net.travel_time_s, usable=mask
            )
            try:
                edges = tuple(int(e) for e in path_edges(tree, int(ap_node[ap])))
                break
            except NoRouteError:
                continue
        rows.append(
            {"assembly_point": ap, "shelter": shelter, "mode": "bus",
             "persons": int(sub["persons"].sum()), "persons_on_path": int(sub["persons"].sum()),
             "groups": len(sub), "edges": edges, "source": source}
        )  # fmt: skip
    return rows


def _routes_layer(run: Any) -> gpd.GeoDataFrame:
    net = run.prepared.network
    legs = _group_paths(run.results)
    paths = _GroupPaths(run.results)
    rows = []
    stage1 = _most_used(legs[legs["leg"] == "assembly"], ["grid_id", "assembly_point", "mode"])
    medians = [row.pop("median_group") for row in stage1]
    for row, times in zip(stage1, paths.vertex_times(net, medians, "assembly"), strict=True):
        rows.append(row | {"stage": "assembly", "shelter": "", "source": "recorded", "t": times})
    cars = legs[(legs["leg"] == "shelter") & (legs["shelter"] != "")]
    stage2 = _most_used(cars, ["assembly_point", "shelter", "mode"])
    medians = [row.pop("median_group") for row in stage2]
    for row, times in zip(stage2, paths.vertex_times(net, medians, "shelter"), strict=True):
        rows.append(row | {"stage": "shelter", "grid_id": "", "source": "recorded", "t": times})
    buses = bus_tracks(run.results, net).set_index(["assembly_point", "shelter"])
    for row in _bus_legs(run):
        key = (row["assembly_point"], row["shelter"])
        recorded = row["source"] == "recorded" and key in buses.index
        times = buses.loc[key, "t_s"] if recorded else np.zeros(0)
        rows.append(row | {"stage": "shelter", "grid_id": "", "t": times})
    out = []
    for row in rows:
        edges, t_s = row.pop("edges"), row.pop("t")
        line = _path_line(net, edges)
        if line is None:
            continue
        length_m = float(net.length_m[list(edges)].sum())
        if len(t_s) != len(line.coords):
            t_s = np.zeros(0)  # no recorded passage along exactly this line
        out.append(row | {"length_m": round(length_m, 1), "geometry": line,
                          "t_start_s": t_s[0] if len(t_s) else np.nan,
                          "t_end_s": t_s[-1] if len(t_s) else np.nan,
                          "vertex_times_s": _times_text(t_s)})  # fmt: skip
    cols = ["stage", "grid_id", "assembly_point", "shelter", "mode", "persons"]
    cols += ["persons_on_path", "groups", "length_m", "source", "t_start_s", "t_end_s"]
    return _frame(out, [*cols, "vertex_times_s"], net.crs)


def _links_layer(run: Any) -> gpd.GeoDataFrame:
    net, links = run.prepared.network, run.results.links
    edges = links["edge"].to_numpy(np.int64)
    rows = links.assign(
        highway=net.edge_highway[edges].astype(str),
        length_m=np.round(net.length_m[edges], 1),
        congested_min=(links["congested_s"] / 60.0).round(2),
        geometry=list(net.edge_geometry[edges]),
    )
    cols = ["edge", "mode", "road_id", "name", "highway", "length_m", "volume", "max_queue"]
    return _frame(records(rows), [*cols, "congested_s", "congested_min"], net.crs)


def _grids_layer(run: Any) -> gpd.GeoDataFrame:
    area, results = run.prepared.area, run.results
    grids = area.grids
    per_grid = results.extra.get("per_grid", pd.DataFrame(columns=["grid_id"]))
    table = grid_table(results).drop(columns=["persons", "level"], errors="ignore")
    base = pd.DataFrame(
        {"grid_id": grids["id"].astype(str).to_numpy(),
         "name": grids["name"].fillna("").astype(str).to_numpy() if "name" in grids else "",
         "community": grids["community"].astype(str).to_numpy(),
         "group": grids["group"].astype(str).to_numpy(), "geometry": grids.geometry.to_numpy()}
    )  # fmt: skip
    pg = per_grid.set_index("grid_id") if len(per_grid) else pd.DataFrame()
    base["persons_evacuating"] = (
        pg["persons_evacuating"].reindex(base["grid_id"]).fillna(0).astype(int).to_numpy()
        if "persons_evacuating" in pg
        else 0
    )
    levels = (
        pg["level"].reindex(base["grid_id"]) if "level" in pg else pd.Series(3, index=base.index)
    )
    base["level"] = [LEVEL_NAMES[int(v)] if pd.notna(v) else "outside" for v in levels]
    base = base.merge(table, on="grid_id", how="left")
    counts = [c for c in table.columns if c in GROUP_STATES]
    base[counts] = base[counts].fillna(0).astype(int)
    base["assembly_point"] = base["assembly_point"].fillna("")
    cols = [c for c in base.columns if c != "geometry"]
    return _frame(records(base), cols, area.crs)


def _facilities_layer(run: Any) -> gpd.GeoDataFrame:
    net = run.prepared.network
    points = facility_points(run.prepared)[["id", "x_m", "y_m", "snap_m"]]
    table = facility_table(run.results)
    merged = table.merge(points, on="id", how="left")
    xy = zip(merged["x_m"].to_numpy(float), merged["y_m"].to_numpy(float), strict=True)
    attrs = records(merged.drop(columns=["x_m", "y_m"]))
    rows = [r | {"geometry": shapely.Point(x, y)} for r, (x, y) in zip(attrs, xy, strict=True)]
    cols = [c for c in merged.columns if c not in ("x_m", "y_m")]
    return _frame(rows, cols, net.crs)


def _stranded_layer(run: Any) -> gpd.GeoDataFrame:
    net = run.prepared.network
    table = stranded_table(run.results, net)
    ok = table["x_m"].notna()
    table = table[ok].reset_index(drop=True)
    places = node_places(run.prepared, table["node"].to_numpy(np.int64))
    table = table.assign(
        **{c: places[c].to_numpy() for c in ("grid_id", "community", "group", "road")}
    )
    geoms = np.asarray(shapely.points(table["x_m"].to_numpy(float), table["y_m"].to_numpy(float)))
    rows = table.drop(columns=["x_m", "y_m"]).assign(geometry=geoms)
    cols = ["reason", "node", "persons", "groups", "grids", "grid_id", "community", "group", "road"]
    return _frame(records(rows), cols, net.crs)


def _team_routes_layer(run: Any) -> gpd.GeoDataFrame:
    net = run.prepared.network
    tasks: pd.DataFrame = run.results.extra.get("teams", pd.DataFrame())
    names = facility_points(run.prepared).set_index("id")["name"]
    road_posts = tasks[~tasks["target"].astype(str).isin(names.index)] if len(tasks) else tasks
    places = (
        node_places(run.prepared, road_posts["node"].to_numpy(np.int64)) if len(tasks) else None
    )
    road_at = {} if places is None else dict(zip(road_posts.index, places["road"], strict=True))
    rows = []
    for tr_ in records(task_tracks(run.results, net)):
        task = tasks.loc[tr_["task"]]
        xy, t_s = tr_["xy"], tr_["t_s"]
        if len(xy) < 2:
            continue
        target = str(task["target"])
        # a facility's name, else (a post on a road) the nearest named road, never a node number
        name = names.get(target) if target in names.index else road_at.get(tr_["task"], "")
        rows.append(
            {"team": tr_["team"], "vehicle": tr_["vehicle"], "task_row": int(tr_["task"]),
             "task": str(task["task"]), "target": target,
             "target_name": "" if task["task"] == "door_to_door" else str(name),
             "persons": int(task["persons"]),
             "t_depart_s": float(task["t_depart_s"]), "t_start_s": float(task["t_start_s"]),
             "t_finish_s": float(task["t_finish_s"]), "status": str(task["status"]),
             "distance_m": round(float(task["distance_m"]), 1),
             "roads": " → ".join(s["road"] for s in tr_["steps"]),
             "vertex_times_s": _times_text(t_s), "geometry": LineString(xy)}
        )  # fmt: skip
    cols = ["team", "vehicle", "task_row", "task", "target", "target_name", "persons"]
    cols += ["t_depart_s", "t_start_s", "t_finish_s", "status", "distance_m", "roads"]
    return _frame(rows, [*cols, "vertex_times_s"], net.crs)


def _bus_routes_layer(run: Any) -> gpd.GeoDataFrame:
    net = run.prepared.network
    rows = [
        {"assembly_point": r["assembly_point"], "shelter": r["shelter"], "trips": r["trips"],
         "persons": r["persons"], "t_depart_s": r["t_s"][0], "t_arrive_s": r["t_s"][-1],
         "vertex_times_s": _times_text(r["t_s"]), "geometry": LineString(r["xy"])}
        for r in records(bus_tracks(run.results, net)) if len(r["xy"]) >= 2
    ]  # fmt: skip
    cols = ["assembly_point", "shelter", "trips", "persons", "t_depart_s", "t_arrive_s"]
    return _frame(rows, [*cols, "vertex_times_s"], net.crs)


def _waypoints_layer(run: Any) -> gpd.GeoDataFrame:
    net = run.prepared.network
    points = facility_points(run.prepared)
    rows = [
        {
            "id": r["id"],
            "kind": r["kind"],
            "name": r["name"],
            "team": "",
            "t_s": np.nan,
            "geometry": shapely.Point(r["x_m"], r["y_m"]),
        }
        for r in records(points)
    ]
    tasks: pd.DataFrame = run.results.extra.get("teams", pd.DataFrame())
    posts = tasks[tasks["task"].isin(["cordon", "traffic_control"])] if len(tasks) else tasks
    if len(posts):
        places = node_places(run.prepared, posts["node"].to_numpy(np.int64))
        for task, place in zip(records(posts), records(places), strict=True):
            node = int(task["node"])
            rows.append(
                {"id": f"{task['task']}-{node}", "kind": str(task["task"]),
                 "name": place["road"] or place["grid_id"], "team": str(task["team"]),
                 "t_s": float(task["t_start_s"]),
                 "geometry": shapely.Point(net.node_x_m[node], net.node_y_m[node])}
            )  # fmt: skip
    return _frame(rows, ["id", "kind", "name", "team", "t_s"], net.crs)


def _run_table(run: Any) -> pd.DataFrame:
    sc = run.prepared.scenario
    return pd.DataFrame(
        {"scenario": [sc.name], "seed": [sc.seed], "start": [sc.start_time().isoformat()],
         "lang": [run_lang(run)]}
    )  # fmt: skip


def _round_times(gdf: pd.DataFrame, clock: Clock) -> pd.DataFrame:
    """Seconds to 0.1 s; a ``*_clock`` column (ISO 8601 local time) beside each time of day."""
    out = gdf.copy()
    for col in list(gdf.columns):
        if not col.endswith("_s") or not pd.api.types.is_float_dtype(gdf[col]):
            continue
        out[col] = gdf[col].round(1)
        if col not in DURATIONS:
            clock_col = col.removesuffix("_s") + "_clock"
            where = int(list(out.columns).index(col)) + 1
            out.insert(where, clock_col, [clock.iso(t) for t in gdf[col]])
    return out


def result_layers(run: Any) -> dict[str, pd.DataFrame]:
    """Every layer of ``results.gpkg`` (module docstring), in EPSG:4326, by name (``run`` is a
    plain table)."""
    builders: dict[str, Callable[[Any], pd.DataFrame]] = {
        "threat_zones": _zones_layer,
        "routes": _routes_layer,
        "links": _links_layer,
        "grids": _grids_layer,
        "facilities": _facilities_layer,
        "stranded": _stranded_layer,
        "team_routes": _team_routes_layer,
        "bus_routes": _bus_routes_layer,
        "waypoints": _waypoints_layer,
        "run": _run_table,
    }
    clock = run_clock(run)
    return {name: _round_times(build(run), clock) for name, build in builders.items()}
