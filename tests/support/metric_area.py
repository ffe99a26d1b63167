"""Small areas drawn in metres (EPSG:32648 around a local origin) and written as GeoJSON.

Tests that need exact distances — a road crossing a ring at a known chord, a home at a known
distance from a source — draw the layers in metres relative to ``(X0, Y0)``; the files are
written in lon/lat like any area, and evacsim projects them back to EPSG:32648.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyproj

__all__ = ["X0", "Y0", "lonlat", "write_metric_area"]

X0, Y0 = 650_000.0, 3_257_000.0
_TO_LONLAT = pyproj.Transformer.from_crs("EPSG:32648", "EPSG:4326", always_xy=True)


def lonlat(x: float, y: float) -> tuple[float, float]:
    """Lon/lat of the local point ``(x, y)`` metres from ``(X0, Y0)``."""
    lon, lat = _TO_LONLAT.transform(X0 + x, Y0 + y)
    return float(lon), float(lat)


def _feature(props: dict[str, Any], geom_type: str, coords: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": props,
            "geometry": {"type": geom_type, "coordinates": coords}}  # fmt: skip


def write_metric_area(
    directory: Path,
    *,
    roads: list[tuple[list[tuple[float, float]], dict[str, Any]]],
    grids: list[tuple[list[tuple[float, float]], dict[str, Any]]],
    assembly_points: list[tuple[tuple[float, float], dict[str, Any]]],
    shelters: list[tuple[tuple[float, float], dict[str, Any]]],
    team_bases: list[tuple[tuple[float, float], dict[str, Any]]] | None = None,
) -> Path:
    """Write the layers: each feature is (local coordinates in m, properties); roads get
    defaults for the required columns (``residential``, 1 lane, 36 km/h = 10 m/s, two-way),
    grids for theirs (one community, no one needing help, nobody by car, plan AP ``AP-1``)."""
    directory.mkdir(parents=True, exist_ok=True)
    road_defaults = {"name": "", "highway": "residential", "lanes": 1, "speed_kph": 36.0,
                     "oneway": False}  # fmt: skip
    grid_defaults = {"town": "T", "community": "C", "group": "1", "population_night": 0,
                     "needs_assistance": 0, "car_share": 0.0, "assembly_point": "AP-1"}  # fmt: skip
    layers: dict[str, list[dict[str, Any]]] = {"roads": [], "grids": []}
    for k, (pts, props) in enumerate(roads, start=1):
        line = [list(lonlat(*p)) for p in pts]
        layers["roads"].append(
            _feature({"id": f"R-{k:04d}", **road_defaults, **props}, "LineString", line)
        )
    for k, (ring, props) in enumerate(grids, start=1):
        poly = [[list(lonlat(*p)) for p in [*ring, ring[0]]]]
        layers["grids"].append(
            _feature({"id": f"G-{k:03d}", **grid_defaults, **props}, "Polygon", poly)
        )
    for name, feats in (("assembly_points", assembly_points), ("shelters", shelters),
                        ("team_bases", team_bases or [])):  # fmt: skip
        layers[name] = [
            _feature({"name": "", **props}, "Point", list(lonlat(*xy))) for xy, props in feats
        ]
    if not team_bases:
        del layers["team_bases"]
    for name, feats in layers.items():
        doc = {"type": "FeatureCollection", "features": feats}
        (directory / f"{name}.geojson").write_text(json.dumps(doc), encoding="utf-8")
    return directory
