"""Finding and reading an area's files: layer sources, ``area.toml``, one layer with its CRS.

Problems go to a list (the loader reports them together). When GDAL cannot read a GeoJSON
layer, or reads a feature's geometry as missing, the raw JSON is read again to name the feature
and say what is wrong with its geometry (a one-point line, an open ring, non-numeric
coordinates): GDAL's own message names neither.
"""

from __future__ import annotations

import json
import math
import tomllib
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
import pyproj
import shapely
import shapely.geometry

from evacsim.area.schema import LAYER_SCHEMAS

__all__ = ["Source", "find_sources", "geometry_problems", "one_line", "read_layer", "read_meta"]

_GEOJSON_SUFFIXES = (".geojson", ".json")

#: shapely/GEOS messages about a geometry, as a GIS user would say them.
_GEOMETRY_TEXT = {
    "point array must contain 0 or >1 elements": "a line needs at least 2 points",
    "A linearring requires at least 4 coordinates": "a polygon ring needs at least 4 points",
    "Points of LinearRing do not form a closed linestring": (
        "a polygon ring is not closed (its first and last points differ)"
    ),
}


@dataclass(frozen=True)
class Source:
    """Where one layer lives: a file, and the layer inside it for a multi-layer GeoPackage."""

    path: Path
    layer: str | None = None

    @property
    def is_geojson(self) -> bool:
        return self.path.suffix.lower() in _GEOJSON_SUFFIXES


def find_sources(root: Path, problems: list[str], notes: list[str]) -> dict[str, Source]:
    """Where each layer of an area folder (or GeoPackage) is; unknown files become notes."""
    if root.is_file() and root.suffix.lower() == ".gpkg":
        return _gpkg_sources(root, problems)
    if not root.is_dir():
        problems.append(f"{root}: no such area folder or GeoPackage")
        return {}
    found: dict[str, Source] = {}
    for name in LAYER_SCHEMAS:
        candidates = [root / f"{name}{s}" for s in (*_GEOJSON_SUFFIXES, ".gpkg")]
        present = [p for p in candidates if p.is_file()]
        if len(present) > 1:
            notes.append(
                f"{root}: layer '{name}' found in {len(present)} files; using {present[0].name}"
            )
        if present:
            found[name] = Source(present[0])
    if not found:
        packages = sorted(root.glob("*.gpkg"))
        if len(packages) == 1:
            return _gpkg_sources(packages[0], problems)
    known = {f"{n}{s}" for n in LAYER_SCHEMAS for s in (*_GEOJSON_SUFFIXES, ".gpkg")}
    for extra in sorted(root.glob("*.geojson")):
        if extra.name not in known:
            notes.append(f"{extra}: not a layer of the schema; ignored")
    return found


def _gpkg_sources(path: Path, problems: list[str]) -> dict[str, Source]:
    try:
        names = {str(row[0]) for row in pyogrio.list_layers(path)}
    except Exception as exc:  # pyogrio raises several DataSourceError kinds
        problems.append(f"{path}: cannot be read as a GeoPackage ({one_line(exc)})")
        return {}
    return {n: Source(path, n) for n in LAYER_SCHEMAS if n in names}


def read_meta(root: Path, problems: list[str]) -> dict[str, Any]:
    """The area's ``area.toml`` (empty when absent)."""
    toml_path = (root.parent if root.is_file() else root) / "area.toml"
    if not toml_path.is_file():
        return {}
    try:
        with toml_path.open("rb") as fh:
            return tomllib.load(fh)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        problems.append(f"{toml_path}: not valid TOML ({one_line(exc)})")
        return {}


def one_line(exc: BaseException) -> str:
    """An exception's message on one line."""
    return " ".join(str(exc).split())


def read_layer(src: Source, label: str, problems: list[str]) -> gpd.GeoDataFrame | None:
    """Read one layer with its CRS (GeoJSON: the declared one, else EPSG:4326); None on failure.

    A GeoJSON that GDAL cannot read is parsed again to name its unusable geometries.
    """
    try:
        with warnings.catch_warnings():
            # GDAL's warnings (an unclosed ring, a mixed-type property read as strings) would be
            # printed before the error line; every feature is checked on its own instead.
            warnings.simplefilter("ignore")
            gdf = gpd.read_file(src.path, layer=src.layer, engine="pyogrio")
    except Exception as exc:  # GDAL reports malformed files through several exception types
        found = geometry_problems(src.path) if src.is_geojson else {}
        if found:
            problems.extend(f"{label}, feature {where}, field 'geometry': {why}"
                            for where, why in found.values())  # fmt: skip
        else:
            problems.append(f"{label}: cannot be read ({one_line(exc)})")
        return None
    if src.is_geojson:
        declared = _geojson_declared_crs(src.path, label, problems)
        if declared is False:
            return None
        # RFC 7946: GeoJSON without a "crs" member is WGS 84 longitude/latitude.
        gdf = gdf.set_crs(declared or "EPSG:4326", allow_override=True)
    elif gdf.crs is None:
        problems.append(f"{label}: has no CRS (a GeoPackage layer must declare one)")
        return None
    return gdf


def _geojson_declared_crs(path: Path, label: str, problems: list[str]) -> pyproj.CRS | bool | None:
    """The CRS of an old-style GeoJSON ``crs`` member; None if absent, False if unusable.

    GDAL falls back to EPSG:4326 when it cannot parse the member, which would silently misplace a
    layer; so the member is checked here.
    """
    try:
        with path.open(encoding="utf-8") as fh:
            member = json.load(fh).get("crs")
    except (OSError, ValueError, AttributeError):
        return None  # GDAL read it; a parse difference here is not the user's problem
    if member is None:
        return None
    name = (member.get("properties") or {}).get("name") if isinstance(member, dict) else None
    try:
        return pyproj.CRS.from_user_input(name)
    except (pyproj.exceptions.CRSError, TypeError):
        problems.append(f"{label}: CRS {name!r} is not a known coordinate reference system")
        return False


def geometry_problems(path: Path) -> dict[int, tuple[str, str]]:
    """What is wrong with each unusable geometry of a GeoJSON file, read as raw JSON.

    Returns
    -------
    dict
        Feature index -> (``'<id>'`` or ``#<index>``, the problem); features without a geometry
        are left to the schema check (``is missing``). Empty when the file is not JSON.
    """
    try:
        with path.open(encoding="utf-8") as fh:
            doc = json.load(fh)
    except (OSError, ValueError):
        return {}
    feats = doc.get("features") if isinstance(doc, dict) else None
    out: dict[int, tuple[str, str]] = {}
    for i, feat in enumerate(feats if isinstance(feats, list) else []):
        if not isinstance(feat, dict) or feat.get("geometry") is None:
            continue
        props = feat.get("properties")
        fid = props.get("id") if isinstance(props, dict) else None
        where = f"'{fid}'" if isinstance(fid, str | int) and not isinstance(fid, bool) else f"#{i}"
        why = _geometry_problem(feat["geometry"])
        if why is not None:
            out[i] = (where, why)
    return out


def _rings(geometry: Any) -> list[Any]:
    """The raw rings of a GeoJSON (Multi)Polygon; shapely would close an open one silently."""
    if not isinstance(geometry, dict) or not isinstance(geometry.get("coordinates"), list):
        return []
    coords = geometry["coordinates"]
    if geometry.get("type") == "Polygon":
        return coords
    if geometry.get("type") == "MultiPolygon":
        return [ring for polygon in coords if isinstance(polygon, list) for ring in polygon]
    return []


def _geometry_problem(geometry: Any) -> str | None:
    if any(isinstance(r, list) and len(r) > 1 and r[0] != r[-1] for r in _rings(geometry)):
        return _GEOMETRY_TEXT["Points of LinearRing do not form a closed linestring"]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            geom = shapely.geometry.shape(geometry)
            coords = shapely.get_coordinates(geom)
    except (TypeError, ValueError) as exc:
        if "float" in str(exc):  # a coordinate that is a string, null or a list
            return "has coordinates that are not numbers"
        return f"unusable ({one_line(exc)})"
    except Exception as exc:  # shapely raises GEOSException, KeyError, AttributeError...
        text = one_line(exc)
        return next((v for k, v in _GEOMETRY_TEXT.items() if k in text), f"unusable ({text})")
    if not all(math.isfinite(float(v)) for v in coords.ravel()):
        return "has coordinates that are not finite numbers"
    return None
