"""Writers: GeoPackage, GeoJSON, CSV tables and GPX routes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from evacsim.area.schema import file_name_of
from evacsim.export.layers import COORD_DECIMALS, GPKG_LAYERS
from evacsim.results.ete import ete_table, evacuation_curves
from evacsim.results.records import records
from evacsim.results.tables import (
    bottlenecks,
    occupancy_series,
)

__all__ = ["write_csv_tables", "write_gpx"]


#: GPX route simplification, degrees (~3 m): handheld units cap the points of a route.
GPX_SIMPLIFY_DEG = 3e-5

# ----------------------------------------------------------------------------- writers


def _write_layer(gdf: gpd.GeoDataFrame, path: Path, layer: str, driver: str) -> None:
    kind = GPKG_LAYERS.get(layer)
    opts: dict[str, Any] = {}
    if driver == "GeoJSON":
        opts["layer_options"] = {"COORDINATE_PRECISION": COORD_DECIMALS, "RFC7946": "YES"}
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
    wkt = shapely.to_wkt(gdf.geometry.values, rounding_precision=COORD_DECIMALS, trim=True)
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
        str(r["id"]): (r, g) for r, g in zip(records(facilities), facilities.geometry, strict=True)
    }
    out = []
    for ap in sorted(set(routes["assembly_point"].astype(str)) - {""}):
        gpx = gpxpy.gpx.GPX()
        gpx.creator = "evacsim"
        gpx.name = f"evacsim routes to and from {ap}"
        mine = routes[routes["assembly_point"].astype(str) == ap]
        for row, geom in zip(records(mine), mine.geometry, strict=True):
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
        path = folder / f"{file_name_of(ap)}.gpx"
        path.write_text(gpx.to_xml(version="1.1"), encoding="utf-8")
        out.append(path)
    return out
