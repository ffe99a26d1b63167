"""Writers: GeoPackage, GeoJSON, CSV tables and GPX routes.

GPX files (:func:`write_gpx`) are made from the GeoPackage's layers, so a saved run converts to
the same GPX (``evacsim export --format gpx``) as the run folder holds: per assembly point its
routes (``<AP id>.gpx``), the bus legs (``buses.gpx``) and per team its routes
(``team_<team id>.gpx``). Points carry the time they were passed in the run (UTC), waypoints the
facility's name or the nearest road, at the same position as in every other file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from evacsim.area.schema import file_name_of
from evacsim.display.clock import Clock
from evacsim.display.i18n import Translator, resolve_lang, translator
from evacsim.display.labels import KIND_LABELS, MODE_LABELS, TASK_LABELS, label
from evacsim.export.gpx import GpxPoints, GpxTrack, GpxWaypoint, gpx_document
from evacsim.export.layers import COORD_DECIMALS, GPKG_LAYERS
from evacsim.results.ete import ete_table, evacuation_curves
from evacsim.results.records import records
from evacsim.results.tables import (
    bottlenecks,
    occupancy_series,
)
from evacsim.results.warning import warning_tables

__all__ = ["write_csv_tables", "write_gpx"]


#: GPX route simplification, degrees (~3 m): handheld units cap the points of a route.
GPX_SIMPLIFY_DEG = 3e-5

# ----------------------------------------------------------------------------- writers


def _write_layer(gdf: pd.DataFrame, path: Path, layer: str, driver: str) -> None:
    kind = GPKG_LAYERS.get(layer)
    if not isinstance(gdf, gpd.GeoDataFrame):  # a plain table (the run's facts)
        if driver == "GPKG":
            pyogrio.write_dataframe(gdf, path, layer=layer, driver=driver)
        return
    opts: dict[str, Any] = {}
    if driver == "GeoJSON":
        opts["layer_options"] = {"COORDINATE_PRECISION": COORD_DECIMALS, "RFC7946": "YES"}
    pyogrio.write_dataframe(
        gdf, path, layer=layer, driver=driver, geometry_type=kind,
        promote_to_multi=bool(kind and kind.startswith("Multi")), **opts,
    )  # fmt: skip


def write_gpkg(layers: Mapping[str, pd.DataFrame], path: Path) -> Path:
    """Write the layers into one GeoPackage (EPSG:4326), replacing ``path``.

    SQLite's per-transaction ``fsync`` is off while it writes (GDAL's ``OGR_SQLITE_SYNCHRONOUS``):
    the file is written into a run's temporary folder, which a crash leaves unreferenced, so
    waiting for the disk after each layer (~0.1 s each, most of the file's writing) buys nothing.
    """
    path.unlink(missing_ok=True)
    with _gdal_config(OGR_SQLITE_SYNCHRONOUS="OFF"):
        for name, gdf in layers.items():
            _write_layer(gdf, path, name, "GPKG")
    return path


@contextmanager
def _gdal_config(**options: str) -> Iterator[None]:
    """GDAL configuration options set while the block runs (the previous values restored)."""
    previous = {key: pyogrio.get_gdal_config_option(key) for key in options}
    pyogrio.set_gdal_config_options(options)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(previous)


def write_geojson(layers: Mapping[str, pd.DataFrame], folder: Path) -> list[Path]:
    """One RFC 7946 GeoJSON file per spatial layer (``<layer>.geojson``, 6 decimals)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, gdf in layers.items():
        if not isinstance(gdf, gpd.GeoDataFrame):
            continue
        path = folder / f"{name}.geojson"
        path.unlink(missing_ok=True)
        _write_layer(gdf, path, name, "GeoJSON")
        out.append(path)
    return out


def _write_csv(df: pd.DataFrame, path: Path) -> Path:
    df.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
    return path


def _wkt_table(gdf: pd.DataFrame) -> pd.DataFrame:
    """The layer's attributes with its geometry as WKT (EPSG:4326, 6 decimals)."""
    if not isinstance(gdf, gpd.GeoDataFrame):
        return gdf
    wkt = shapely.to_wkt(gdf.geometry.values, rounding_precision=COORD_DECIMALS, trim=True)
    return pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).assign(geometry_wkt=wkt)


def write_csv_tables(
    layers: Mapping[str, pd.DataFrame], folder: Path, *, results: Any = None, net: Any = None
) -> list[Path]:
    """CSV files: every layer (geometry as WKT) and, with ``results``, the metric tables.

    The metric tables are ``groups``, ``ete`` (overall and per level, community, assembly point),
    ``curves`` (persons arrived per minute), ``occupancy`` (per facility per minute),
    ``bottlenecks`` (every congested road), ``bus_trips``, ``events`` and ``crews`` (dose of bus
    drivers, team drivers and post staff); in a warning-chain run also ``warning_grids``,
    ``warning_visits``, ``warning_messages`` and ``warning_curves``.
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
        **warning_tables(results),  # the warning chain's tables (chain mode only)
        "crews": results.extra.get("crews", pd.DataFrame()),
    }
    out += [_write_csv(df, folder / f"{name}.csv") for name, df in tables.items()]
    return out


def _gpx_context(layers: Mapping[str, pd.DataFrame]) -> tuple[Translator, Clock]:
    """The language and clock of the run the layers come from (its ``run`` table)."""
    run = layers.get("run")
    start, lang = None, None
    if run is not None and len(run):
        start, lang = run["start"].iloc[0], run["lang"].iloc[0]
    lang = resolve_lang(lang)
    when = (
        datetime.fromisoformat(str(start))
        if start
        else datetime.fromisoformat("1970-01-01T00:00:00+00:00")
    )
    return translator(lang), Clock(when, lang)


def _points(geometry: Any, times_text: object, clock: Clock) -> GpxPoints:
    """The line's vertices with their times (``vertex_times_s``), when they match."""
    coords = shapely.get_coordinates(geometry)
    text = str(times_text or "").strip()
    times = np.array([float(t) for t in text.split(";")]) if text else np.zeros(0)
    stamps = clock.utc_stamps(times) if len(times) == len(coords) else None
    return GpxPoints(coords[:, 0], coords[:, 1], stamps)


def _route_track(row: Mapping[str, Any], geometry: Any, tr: Translator, clock: Clock) -> GpxTrack:
    mode = label(MODE_LABELS, row["mode"], tr)
    if row["stage"] == "assembly":
        name = f"{row['grid_id']} → {row['assembly_point']} ({mode})"
    else:
        name = f"{row['assembly_point']} → {row['shelter']} ({mode})"
    desc = tr("{n} persons, {m} m", n=int(row["persons"]), m=format(float(row["length_m"]), ".0f"))
    return GpxTrack(name, _points(geometry, row.get("vertex_times_s"), clock), desc,
                    kind=str(row["mode"]))  # fmt: skip


def _waypoint(row: Mapping[str, Any], geometry: Any, tr: Translator, clock: Clock) -> GpxWaypoint:
    kind = str(row["kind"])
    if kind in TASK_LABELS:  # a team's post on a road
        name = tr("{task} — {where}", task=label(TASK_LABELS, kind, tr), where=row["name"])
        desc = str(row.get("team", ""))
    else:
        name = f"{row['id']} {row['name']}".strip()
        desc = label(KIND_LABELS, kind, tr) if kind in KIND_LABELS else ""
    return GpxWaypoint(name, float(geometry.x), float(geometry.y), desc, "Flag",
                       clock.utc(row.get("t_s")))  # fmt: skip


def write_gpx(layers: Mapping[str, pd.DataFrame], folder: Path) -> list[Path]:
    """GPX 1.1 files from the run's layers (see the module docstring): per assembly point
    ``<AP id>.gpx`` (its routes in, the legs out to shelters, waypoints for it and those
    shelters), ``buses.gpx`` and ``team_<team id>.gpx``. Coordinates EPSG:4326; evacuee routes
    simplified to ~3 m (handheld GPS units cap the points of a route) unless timed."""
    folder.mkdir(parents=True, exist_ok=True)
    tr, clock = _gpx_context(layers)
    routes, points = layers["routes"], layers["waypoints"]
    wpt = {str(r["id"]): _waypoint(r, g, tr, clock)
           for r, g in zip(records(points), points.geometry, strict=True)}  # fmt: skip
    out = []
    for ap in sorted(set(routes["assembly_point"].astype(str)) - {""}):
        mine = routes[routes["assembly_point"].astype(str) == ap]
        tracks = [_route_track(r, _simplified(g, r), tr, clock)
                  for r, g in zip(records(mine), mine.geometry, strict=True)]  # fmt: skip
        ids = [ap, *sorted(set(mine["shelter"].astype(str)) - {""})]
        doc = gpx_document(tr("evacsim routes to and from {ap}", ap=ap),
                           [wpt[i] for i in ids if i in wpt], tracks)  # fmt: skip
        out.append(_write(folder / f"{file_name_of(ap)}.gpx", doc))
    buses = layers.get("bus_routes")
    if buses is not None and len(buses):
        tracks = [
            GpxTrack(f"{r['assembly_point']} → {r['shelter']} ({label(MODE_LABELS, 'bus', tr)})",
                     _points(g, r["vertex_times_s"], clock),
                     tr("{n} trips, {p} persons", n=int(r["trips"]), p=int(r["persons"])), "bus")
            for r, g in zip(records(buses), buses.geometry, strict=True)
        ]  # fmt: skip
        ids = sorted(set(buses["assembly_point"].astype(str)) | set(buses["shelter"].astype(str)))
        doc = gpx_document(tr.gettext("evacsim bus routes"), [wpt[i] for i in ids if i in wpt],
                           tracks)  # fmt: skip
        out.append(_write(folder / "buses.gpx", doc))
    out += _team_gpx(layers, wpt, folder, tr, clock)
    return out


def _team_gpx(
    layers: Mapping[str, pd.DataFrame], wpt: Mapping[str, GpxWaypoint], folder: Path,
    tr: Translator, clock: Clock,
) -> list[Path]:  # fmt: skip
    teams, points = layers.get("team_routes"), layers["waypoints"]
    if teams is None or not len(teams):
        return []
    out = []
    for team, mine in teams.groupby("team", sort=True):
        tracks = []
        for r, g in zip(records(mine), mine.geometry, strict=True):
            on_road = r["task"] in ("cordon", "traffic_control")  # target: a node, not a name
            target = r["target_name"] if on_road else f"{r['target']} {r['target_name']}".strip()
            name = f"{r['vehicle']} {label(TASK_LABELS, r['task'], tr)} {target}"
            desc = tr("leaves {time}", time=clock.label(r["t_depart_s"]))
            tracks.append(GpxTrack(name, _points(g, r["vertex_times_s"], clock), desc,
                                   str(r["task"])))  # fmt: skip
        posts = points[points["team"].astype(str) == str(team)]["id"].astype(str)
        targets = set(mine.loc[mine["task"] != "door_to_door", "target"].astype(str))
        ids = [str(team), *sorted(targets), *sorted(posts)]
        doc = gpx_document(tr("{team} drill routes", team=team),
                           [wpt[i] for i in dict.fromkeys(ids) if i in wpt], tracks)  # fmt: skip
        out.append(_write(folder / f"team_{file_name_of(str(team))}.gpx", doc))
    return out


def _simplified(geometry: Any, row: Mapping[str, Any]) -> Any:
    """Untimed routes simplified to ~3 m; a timed one keeps every vertex (each has its time)."""
    if str(row.get("vertex_times_s") or ""):
        return geometry
    return geometry.simplify(GPX_SIMPLIFY_DEG, preserve_topology=False)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
