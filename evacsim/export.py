"""Everything a run writes: summary, maps, report, GeoPackage, CSV, GeoJSON, GPX and manifest.

:func:`write_run_folder` fills a (temporary) run folder; :meth:`evacsim.pipeline.Run.save` calls
it inside :func:`evacsim.output.atomic_run_folder`, so a failure leaves nothing behind.
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

import hashlib
import importlib.metadata
import logging
import platform
import shutil
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.geometry import LineString

from evacsim.errors import EvacsimError, NoRouteError
from evacsim.metrics import (
    LEVEL_NAMES,
    bottlenecks,
    ete_table,
    evacuation_curves,
    facility_table,
    grid_table,
    occupancy_series,
    stranded_table,
)
from evacsim.output import write_json
from evacsim.results import GROUP_STATES
from evacsim.schema import LAYER_SCHEMAS

__all__ = [
    "DEPENDENCIES",
    "FORMATS",
    "GPKG_LAYERS",
    "convert_run_folder",
    "manifest",
    "result_layers",
    "write_csv_tables",
    "write_gpx",
    "write_run_folder",
]

log = logging.getLogger(__name__)

#: Layers of ``results.gpkg`` and their geometry types.
GPKG_LAYERS: dict[str, str] = {
    "threat_zones": "MultiPolygon",
    "routes": "LineString",
    "links": "LineString",
    "grids": "MultiPolygon",
    "facilities": "Point",
    "stranded": "Point",
}
#: Formats :func:`convert_run_folder` writes.
FORMATS = ("gpkg", "geojson", "csv", "gpx")
#: Packages whose versions the manifest records.
DEPENDENCIES = (
    "numpy", "scipy", "pandas", "geopandas", "shapely", "pyproj", "pyogrio", "simpy", "networkx",
    "folium", "osmnx", "matplotlib", "jinja2", "gpxpy", "pydantic",
)  # fmt: skip
WGS84 = "EPSG:4326"
#: GPX route simplification, degrees (~3 m): handheld units cap the points of a route.
GPX_SIMPLIFY_DEG = 3e-5
_DECIMALS = 6  # ~0.1 m in lon/lat


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
    rounded = shapely.set_precision(gdf.geometry.values, 10.0**-_DECIMALS)
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
    from evacsim.routing import path_edges, route_tree
    from evacsim.transport import recorded_bus_leg

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
    return _frame(_records(rows), [*cols, "congested_s", "congested_min"], net.crs)


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
    return _frame(_records(base), cols, area.crs)


def _facilities_layer(run: Any) -> gpd.GeoDataFrame:
    area = run.prepared.area
    points = pd.concat(
        [area.assembly_points[["id", "geometry"]], area.shelters[["id", "geometry"]]],
        ignore_index=True,
    )
    table = facility_table(run.results)
    merged = table.merge(points.assign(id=points["id"].astype(str)), on="id", how="left")
    cols = [c for c in merged.columns if c != "geometry"]
    return _frame(_records(merged), cols, area.crs)


def _stranded_layer(run: Any) -> gpd.GeoDataFrame:
    net = run.prepared.network
    table = stranded_table(run.results, net)
    ok = table["x_m"].notna()
    table = table[ok]
    geoms = np.asarray(shapely.points(table["x_m"].to_numpy(float), table["y_m"].to_numpy(float)))
    rows = table.drop(columns=["x_m", "y_m"]).assign(geometry=geoms)
    cols = ["reason", "node", "persons", "groups", "grids"]
    return _frame(_records(rows), cols, net.crs)


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


# ----------------------------------------------------------------------------- writers


def _write_layer(gdf: gpd.GeoDataFrame, path: Path, layer: str, driver: str) -> None:
    kind = GPKG_LAYERS.get(layer)
    opts: dict[str, Any] = {}
    if driver == "GeoJSON":
        opts["layer_options"] = {"COORDINATE_PRECISION": _DECIMALS, "RFC7946": "YES"}
    pyogrio.write_dataframe(
        gdf, path, layer=layer, driver=driver, geometry_type=kind,
        promote_to_multi=bool(kind and kind.startswith("Multi")), **opts,
    )  # fmt: skip


def write_gpkg(layers: dict[str, gpd.GeoDataFrame], path: Path) -> Path:
    """Write the layers into one GeoPackage (EPSG:4326), replacing ``path``."""
    path.unlink(missing_ok=True)
    for name, gdf in layers.items():
        _write_layer(gdf, path, name, "GPKG")
    return path


def write_geojson(layers: dict[str, gpd.GeoDataFrame], folder: Path) -> list[Path]:
    """One RFC 7946 GeoJSON file per layer (``<layer>.geojson``, 6 decimals)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, gdf in layers.items():
        path = folder / f"{name}.geojson"
        path.unlink(missing_ok=True)
        _write_layer(gdf, path, name, "GeoJSON")
        out.append(path)
    return out


def _write_csv(df: pd.DataFrame, path: Path) -> Path:
    df.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
    return path


def _wkt_table(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    """The layer's attributes with its geometry as WKT (EPSG:4326, 6 decimals)."""
    wkt = shapely.to_wkt(gdf.geometry.values, rounding_precision=_DECIMALS, trim=True)
    return pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).assign(geometry_wkt=wkt)


def write_csv_tables(
    layers: dict[str, gpd.GeoDataFrame], folder: Path, *, results: Any = None, net: Any = None
) -> list[Path]:
    """CSV files: every layer (geometry as WKT) and, with ``results``, the metric tables.

    The metric tables are ``groups``, ``ete`` (overall and per level, community, assembly point),
    ``curves`` (persons arrived per minute), ``occupancy`` (per facility per minute),
    ``bottlenecks`` (every congested road), ``bus_trips`` and ``events``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    out = [_write_csv(_wkt_table(gdf), folder / f"{name}.csv") for name, gdf in layers.items()]
    if results is None:
        return out
    ete = pd.concat(
        [ete_table(results, by=by) for by in (None, "level", "community", "assembly_point")],
        ignore_index=True,
    )
    tables = {
        "groups": results.groups,
        "ete": ete,
        "curves": evacuation_curves(results),
        "occupancy": occupancy_series(results),
        "bottlenecks": bottlenecks(results, net, n=0),
        "bus_trips": results.vehicles,
        "events": results.events,
    }
    out += [_write_csv(df, folder / f"{name}.csv") for name, df in tables.items()]
    return out


def _gpx_route(row: Any, geometry: Any) -> Any:
    import gpxpy.gpx

    if row["stage"] == "assembly":
        name = f"{row['grid_id']} → {row['assembly_point']} ({row['mode']})"
    else:
        name = f"{row['assembly_point']} → {row['shelter']} ({row['mode']})"
    route = gpxpy.gpx.GPXRoute(
        name=name,
        description=f"{int(row['persons'])} persons, {float(row['length_m']):.0f} m",
    )
    line = geometry.simplify(GPX_SIMPLIFY_DEG, preserve_topology=False)
    for lon, lat in shapely.get_coordinates(line):
        route.points.append(
            gpxpy.gpx.GPXRoutePoint(latitude=round(float(lat), 6), longitude=round(float(lon), 6))
        )
    return route


def write_gpx(routes: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, folder: Path) -> list[Path]:
    """One GPX 1.1 file per assembly point: ``gpx/<AP id>.gpx``.

    Each holds a route (``<rte>``) per grid and mode sent to that assembly point (named
    ``G-010 → AP-4 (walk)``), the legs from it to shelters (``AP-4 → S-3 (bus)``), and waypoints
    for the assembly point and those shelters. Coordinates are EPSG:4326, routes simplified to
    ~3 m (handheld GPS units cap the points of a route).
    """
    import gpxpy.gpx

    folder.mkdir(parents=True, exist_ok=True)
    points = {
        str(r["id"]): (r, g) for r, g in zip(_records(facilities), facilities.geometry, strict=True)
    }
    out = []
    for ap in sorted(set(routes["assembly_point"].astype(str)) - {""}):
        gpx = gpxpy.gpx.GPX()
        gpx.creator = "evacsim"
        gpx.name = f"evacsim routes to and from {ap}"
        mine = routes[routes["assembly_point"].astype(str) == ap]
        for row, geom in zip(_records(mine), mine.geometry, strict=True):
            gpx.routes.append(_gpx_route(row, geom))
        for fid in [ap, *sorted(set(mine["shelter"].astype(str)) - {""})]:
            if fid in points:
                rec, geom = points[fid]
                gpx.waypoints.append(
                    gpxpy.gpx.GPXWaypoint(
                        latitude=round(geom.y, 6), longitude=round(geom.x, 6), name=fid,
                        description=str(rec.get("name", "")), symbol="Flag",
                    )
                )  # fmt: skip
        path = folder / f"{_safe_name(ap)}.gpx"
        path.write_text(gpx.to_xml(version="1.1"), encoding="utf-8")
        out.append(path)
    return out


def _safe_name(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text) or "_"


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in table.to_dict(orient="records")]


# ----------------------------------------------------------------------------- manifest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _input_files(area_source: Path) -> list[Path]:
    """The files an area was read from: its layer files (or GeoPackage) and ``area.toml``."""
    source = Path(area_source)
    if source.is_file():
        files = [source, source.parent / "area.toml"]
    else:
        files = [
            source / f"{name}{suffix}"
            for name in LAYER_SCHEMAS
            for suffix in (".geojson", ".json", ".gpkg")
        ]
        files.append(source / "area.toml")
    return [f for f in files if f.is_file()]


def manifest(run: Any, folder: Path) -> dict[str, Any]:
    """What makes this run reproducible: scenario + hash, seed, versions, input and output hashes.

    Outputs are every file already in ``folder`` (call it last).
    """
    sc, area = run.prepared.scenario, run.prepared.area
    outputs = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "manifest.json")
    return {
        "scenario": {"name": sc.name, "file": str(sc.path) if sc.path else None,
                     "sha256": sc.sha256 or None},
        "seed": sc.seed,
        "evacsim": _version("evacsim"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "dependencies": {name: _version(name) for name in DEPENDENCIES},
        "area": {"name": area.name, "source": str(area.source)},
        "inputs": [{"path": str(p), "sha256": _sha256(p), "bytes": p.stat().st_size}
                   for p in _input_files(area.source)],
        "outputs": {p.relative_to(folder).as_posix(): _sha256(p) for p in outputs},
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "runtime_s": run.summary.get("runtime_s"),
        "timings_s": {k: round(float(v), 3) for k, v in sorted(run.timings_s.items())},
        "note": (
            "The same scenario file, seed and versions give the same results: summary.json, "
            "report.html, csv/ and gpx/ are byte-identical between such runs. Only timestamps "
            "and timings differ: created_utc, runtime_s and timings_s here, the GeoPackage's "
            "internal timestamps and the random element ids folium writes into map pages."
        ),
    }  # fmt: skip


# ----------------------------------------------------------------------------- run folders


def write_run_folder(run: Any, folder: Path, *, geojson: bool = False) -> dict[str, Path]:
    """Write everything of a run into ``folder`` (normally the temporary one of a save).

    Writes ``summary.json`` (without ``runtime_s``, which goes to the manifest, so that identical
    runs give identical files), the maps (:func:`evacsim.viz_run.write_run_maps`),
    ``results.gpkg``, ``csv/``, ``gpx/``, ``geojson/`` when asked, the teams' drill sheets
    (``drill/``), ``report.html`` and, last, ``manifest.json``.

    Returns
    -------
    dict
        What was written: ``summary``, ``map`` and ``ap:<id>`` (maps), ``gpkg``, ``csv``,
        ``gpx``, ``geojson``, ``drill`` (folders), ``report``, ``manifest``.
    """
    from evacsim.drill import write_drill_sheets
    from evacsim.report import write_report
    from evacsim.viz_run import write_run_maps

    folder = Path(folder)
    t0 = time.perf_counter()
    written: dict[str, Path] = {"summary": folder / "summary.json"}
    write_json(written["summary"], {k: v for k, v in run.summary.items() if k != "runtime_s"})
    maps = write_run_maps(run, folder)
    written |= maps
    layers = result_layers(run)
    written["gpkg"] = write_gpkg(layers, folder / "results.gpkg")
    net = run.prepared.network
    write_csv_tables(layers, folder / "csv", results=run.results, net=net)
    write_gpx(layers["routes"], layers["facilities"], folder / "gpx")
    written |= {"csv": folder / "csv", "gpx": folder / "gpx"}
    if geojson:
        write_geojson(layers, folder / "geojson")
        written["geojson"] = folder / "geojson"
    if write_drill_sheets(run, folder):
        written["drill"] = folder / "drill"
    links = {key: Path(path).relative_to(folder) for key, path in maps.items()}
    written["report"] = write_report(run, folder / "report.html", maps=links)
    written["manifest"] = folder / "manifest.json"
    write_json(written["manifest"], manifest(run, folder))
    log.info("run folder written in %.2f s", time.perf_counter() - t0)
    return written


def _read_layers(gpkg: Path) -> dict[str, gpd.GeoDataFrame]:
    present = {str(row[0]) for row in pyogrio.list_layers(gpkg)}
    return {
        name: gpd.read_file(gpkg, layer=name, engine="pyogrio")
        for name in GPKG_LAYERS
        if name in present
    }


def convert_run_folder(folder: str | Path, fmt: str, out: str | Path) -> list[Path]:
    """Export a saved run's ``results.gpkg`` as ``gpkg``, ``geojson``, ``csv`` or ``gpx``.

    Parameters
    ----------
    folder
        A run folder written by :meth:`evacsim.pipeline.Run.save`.
    fmt
        One of :data:`FORMATS`.
    out
        For ``gpkg`` a file (or a folder to hold ``results.gpkg``); otherwise a folder, created
        if needed (one file per layer; GPX: one per assembly point).

    Raises
    ------
    EvacsimError
        Unknown format, or ``folder`` holds no ``results.gpkg``.
    """
    folder, out = Path(folder), Path(out)
    if fmt not in FORMATS:
        raise EvacsimError(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
    gpkg = folder / "results.gpkg"
    if not gpkg.is_file():
        raise EvacsimError(f"{folder}: not an evacsim run folder (results.gpkg is missing)")
    if fmt == "gpkg":
        dest = out / "results.gpkg" if out.is_dir() or not out.suffix else out
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(gpkg, dest)
        return [dest]
    layers = _read_layers(gpkg)
    if fmt == "geojson":
        return write_geojson(layers, out)
    if fmt == "csv":
        return write_csv_tables(layers, out)
    missing = [n for n in ("routes", "facilities") if n not in layers]
    if missing:
        raise EvacsimError(f"{gpkg}: layer '{missing[0]}' is missing (needed for GPX)")
    return write_gpx(layers["routes"], layers["facilities"], out)
