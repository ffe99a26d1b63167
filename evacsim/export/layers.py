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
    point, shelter) the legs driven by cars (their most-used path) and by buses (the free-flow
    fastest drivable path avoiding the evacuation zone: bus paths are not recorded by the engine).
``links``
    Every used directed link with its volume, largest queue and congested seconds.
``grids``
    Grid polygons with persons evacuating, threat level, ETE p50/p90 per stage, final states.
``facilities``
    Assembly points and shelters with capacity, arrivals, peak, refused, redirected, final.
``stranded``
    Persons stranded per (reason, network node), at the node.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString

from evacsim.errors import NoRouteError
from evacsim.results.ete import LEVEL_NAMES
from evacsim.results.records import records
from evacsim.results.tables import (
    facility_table,
    grid_table,
    stranded_table,
)
from evacsim.sim.results import GROUP_STATES

__all__ = ["GPKG_LAYERS", "result_layers"]


#: Layers of ``results.gpkg`` and their geometry types.
GPKG_LAYERS: dict[str, str] = {
    "threat_zones": "MultiPolygon",
    "routes": "LineString",
    "links": "LineString",
    "grids": "MultiPolygon",
    "facilities": "Point",
    "stranded": "Point",
}

WGS84 = "EPSG:4326"

COORD_DECIMALS = 6  # ~0.1 m in lon/lat

# ----------------------------------------------------------------------------- geometry helpers


def _path_line(net: Any, edges: Iterable[int]) -> LineString | None:
    """The edges' geometries joined in travel order (projected CRS); None for an empty path."""
    parts = [shapely.get_coordinates(net.edge_geometry[int(e)]) for e in edges]
    if not parts:
        return None
    coords = np.concatenate(parts)
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
    """Per group and leg (``assembly`` / ``shelter``), its edges in travel order."""
    paths = results.paths
    g = results.groups.set_index("group_id")
    t_ass = g["t_assembly_s"].reindex(paths["group_id"]).to_numpy(float)
    after = ~np.isnan(t_ass) & (paths["t_enter_s"].to_numpy(float) >= t_ass)
    legs = paths.assign(leg=np.where(after, "shelter", "assembly"))
    # a group that never reached its assembly point has no complete route
    legs = legs[~np.isnan(t_ass)]
    out = legs.groupby(["group_id", "leg"], sort=True)["edge"].agg(tuple).reset_index()
    return out.merge(results.groups, on="group_id", how="left")


def _most_used(legs: pd.DataFrame, keys: list[str]) -> list[dict[str, Any]]:
    """Per key, the edge sequence most persons took (ties broken by the edge ids, reproducibly)."""
    rows = []
    for key, sub in legs.groupby(keys, sort=True):
        by_path = sub.groupby("edge", sort=True)["persons"].sum()
        candidates: list[tuple[tuple[int, ...], int]] = [
            (tuple(path), int(n))  # type: ignore[arg-type]
            for path, n in by_path.items()
        ]
        best = max(candidates, key=lambda kv: (kv[1], [-e for e in kv[0]]))
        row = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
        row |= {"persons": int(sub["persons"].sum()), "persons_on_path": int(best[1])}
        row |= {"groups": len(sub), "edges": best[0]}
        rows.append(row)
    return rows


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
    rows = []
    stage1 = legs[legs["leg"] == "assembly"]
    for row in _most_used(stage1, ["grid_id", "assembly_point", "mode"]):
        rows.append(row | {"stage": "assembly", "shelter": "", "source": "recorded"})
    cars = legs[(legs["leg"] == "shelter") & (legs["shelter"] != "")]
    for row in _most_used(cars, ["assembly_point", "shelter", "mode"]):
        rows.append(row | {"stage": "shelter", "grid_id": "", "source": "recorded"})
    for row in _bus_legs(run):
        rows.append(row | {"stage": "shelter", "grid_id": ""})
    out = []
    for row in rows:
        edges = row.pop("edges")
        line = _path_line(net, edges)
        if line is None:
            continue
        length_m = float(net.length_m[list(edges)].sum())
        out.append(row | {"length_m": round(length_m, 1), "geometry": line})
    cols = ["stage", "grid_id", "assembly_point", "shelter", "mode", "persons"]
    cols += ["persons_on_path", "groups", "length_m", "source"]
    return _frame(out, cols, net.crs)


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
    area = run.prepared.area
    points = pd.concat(
        [area.assembly_points[["id", "geometry"]], area.shelters[["id", "geometry"]]],
        ignore_index=True,
    )
    table = facility_table(run.results)
    merged = table.merge(points.assign(id=points["id"].astype(str)), on="id", how="left")
    cols = [c for c in merged.columns if c != "geometry"]
    return _frame(records(merged), cols, area.crs)


def _stranded_layer(run: Any) -> gpd.GeoDataFrame:
    net = run.prepared.network
    table = stranded_table(run.results, net)
    ok = table["x_m"].notna()
    table = table[ok]
    geoms = np.asarray(shapely.points(table["x_m"].to_numpy(float), table["y_m"].to_numpy(float)))
    rows = table.drop(columns=["x_m", "y_m"]).assign(geometry=geoms)
    cols = ["reason", "node", "persons", "groups", "grids"]
    return _frame(records(rows), cols, net.crs)


def result_layers(run: Any) -> dict[str, gpd.GeoDataFrame]:
    """Every layer of ``results.gpkg`` (module docstring), in EPSG:4326, by name."""
    builders: dict[str, Callable[[Any], gpd.GeoDataFrame]] = {
        "threat_zones": _zones_layer,
        "routes": _routes_layer,
        "links": _links_layer,
        "grids": _grids_layer,
        "facilities": _facilities_layer,
        "stranded": _stranded_layer,
    }
    return {name: build(run) for name, build in builders.items()}
