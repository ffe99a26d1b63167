"""Load an area's layers, check them against the schema (:mod:`evacsim.area.schema`), project them.

An area is a folder of ``<layer>.geojson`` (or ``<layer>.gpkg``) files, or one GeoPackage holding
layers with these names, plus an optional ``area.toml`` (``name``, ``attribution``, ``notes``).
:func:`load_area` reads every layer, collects every problem it finds (missing layers and columns,
wrong types, values out of bounds, bad geometries, duplicate ids, unusable CRSs, broken references)
and raises one :class:`AreaValidationError` naming the first problem and counting the rest. A valid
area comes back projected to the local UTM zone of its roads (``estimate_utm_crs()``; EPSG:32648 for
Chongqing), each layer sorted by id.
"""

from __future__ import annotations

import functools
import logging
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from evacsim.area._checks import (
    check_crs_fit,
    check_facility_ids,
    check_grids,
    check_layer_positions,
    check_references,
)
from evacsim.area._read import (
    Source,
    find_sources,
    geometry_problems,
    one_line,
    read_layer,
    read_meta,
)
from evacsim.area.schema import LAYER_SCHEMAS, Column, LayerSchema
from evacsim.errors import AreaError

__all__ = [
    "Area",
    "AreaValidationError",
    "area_files",
    "coerce_value",
    "empty_layer",
    "load_area",
    "summarize_problems",
]

logger = logging.getLogger(__name__)

_TRUE = {"true", "yes", "y", "t", "1"}
_FALSE = {"false", "no", "n", "f", "0"}
_PANDAS_DTYPE: dict[str, Any] = {"str": object, "int": "int64", "float": "float64", "bool": bool}
_KIND_TEXT = {
    "str": "a string",
    "int": "an integer",
    "float": "a number",
    "bool": "a boolean (true/false, yes/no, 1/0)",
}
_OPTIONAL_DTYPE: dict[str, Any] = {
    "str": object,
    "int": "Int64",
    "float": "float64",
    "bool": "boolean",
}


def summarize_problems(problems: Sequence[str]) -> str:
    """Return the first problem, plus ``(and N more problems)`` when there are more."""
    if len(problems) <= 1:
        return problems[0] if problems else "no problems"
    extra = len(problems) - 1
    return f"{problems[0]} (and {extra} more problem{'s' if extra > 1 else ''})"


class AreaValidationError(AreaError):
    """An :class:`~evacsim.errors.AreaError` carrying every problem found, in ``.problems``."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__(summarize_problems(self.problems))


@dataclass(frozen=True, eq=False)
class Area:
    """A validated area, every layer in one projected metric CRS.

    Attributes
    ----------
    name
        From ``area.toml`` or the folder / file name.
    source
        The folder or GeoPackage it was read from.
    crs
        Projected metric CRS of every layer (UTM zone of the roads).
    roads, grids, assembly_points, shelters, hazard_sources, supply_points, team_bases, context
        Layers with the columns of :data:`~evacsim.area.schema.LAYER_SCHEMAS`, sorted by ``id``;
        optional
        layers that are absent are empty with the schema's columns. ``context`` (rivers,
        railways, boundaries) is drawn on maps only, never routed.
    meta
        Contents of ``area.toml`` (empty if absent).
    warnings
        Things worth telling the user that do not stop a run.
    """

    name: str
    source: Path
    crs: pyproj.CRS
    roads: gpd.GeoDataFrame
    grids: gpd.GeoDataFrame
    assembly_points: gpd.GeoDataFrame
    shelters: gpd.GeoDataFrame
    hazard_sources: gpd.GeoDataFrame
    supply_points: gpd.GeoDataFrame
    team_bases: gpd.GeoDataFrame
    context: gpd.GeoDataFrame
    meta: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def layer(self, name: str) -> gpd.GeoDataFrame:
        """Return a layer by its schema name (``"roads"``, ``"grids"``, ...)."""
        if name not in LAYER_SCHEMAS:
            raise KeyError(f"unknown layer {name!r}")
        result: gpd.GeoDataFrame = getattr(self, name)
        return result


def load_area(path: str | Path) -> Area:
    """Load, check and project an area.

    Parameters
    ----------
    path
        A folder of ``<layer>.geojson`` / ``<layer>.gpkg`` files (EPSG:4326 GeoJSON by default, per
        RFC 7946), or one GeoPackage with layers named as in the schema.

    Returns
    -------
    Area
        Every layer projected to the roads' ``estimate_utm_crs()`` and sorted by id.

    Raises
    ------
    AreaValidationError
        (an :class:`~evacsim.errors.AreaError`) naming the first problem, file, layer, feature id
        and field; ``.problems`` lists them all.
    """
    root = Path(path)
    problems: list[str] = []
    notes: list[str] = []
    sources = find_sources(root, problems, notes)
    if problems and not sources:  # no area there at all: its missing layers would only be noise
        raise AreaValidationError(problems)
    meta = read_meta(root, problems)
    layers: dict[str, gpd.GeoDataFrame] = {}
    labels: dict[str, str] = {}
    for name, schema in LAYER_SCHEMAS.items():
        src = sources.get(name)
        if src is None:
            if schema.required:
                problems.append(
                    f"{root}: required layer '{name}' is missing (expected {name}.geojson)"
                )
            continue
        labels[name] = f"{src.path}: layer '{name}'"
        gdf = read_layer(src, labels[name], problems)
        if gdf is not None:
            layers[name] = _check_layer(gdf, schema, labels[name], problems, src)
    crs = _project_layers(layers, labels, problems)
    check_references(layers, labels, problems, notes)
    check_facility_ids(layers, labels, problems)
    if "grids" in layers:
        check_grids(layers["grids"], labels["grids"], problems)
    if problems:
        raise AreaValidationError(problems)
    assert crs is not None  # no problems means the roads were projected
    done = {
        name: layers[name] if name in layers else empty_layer(schema, crs)
        for name, schema in LAYER_SCHEMAS.items()
    }
    area_name = str(meta.get("name") or (root.stem if root.is_file() else root.name))
    for text in notes:
        logger.warning("%s", text)
    return Area(name=area_name, source=root, crs=crs, meta=meta, warnings=tuple(notes), **done)


def area_files(source: str | Path) -> list[Path]:
    """The files an area is read from: its layer files (or its GeoPackage) and ``area.toml``
    (what the manifest lists as a run's inputs and what the network cache hashes)."""
    source = Path(source)
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


def empty_layer(schema: LayerSchema, crs: pyproj.CRS | str | None) -> gpd.GeoDataFrame:
    """An empty GeoDataFrame with the schema's columns and dtypes."""
    data = {c.name: pd.Series([], dtype=_PANDAS_DTYPE[c.kind]) for c in schema.columns}
    data |= {c.name: pd.Series([], dtype=_OPTIONAL_DTYPE[c.kind]) for c in schema.optional_columns}
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([], crs=crs), crs=crs)


# --- one layer -----------------------------------------------------------------------------------


def _feature_names(gdf: gpd.GeoDataFrame) -> list[str]:
    if "id" not in gdf.columns:
        return [f"#{i}" for i in range(len(gdf))]
    names = []
    for i, value in enumerate(gdf["id"].tolist()):
        ok, text = coerce_value(value, "str")
        names.append(f"'{text}'" if ok and text is not None else f"#{i}")
    return names


def _check_layer(
    gdf: gpd.GeoDataFrame, schema: LayerSchema, label: str, problems: list[str], src: Source
) -> gpd.GeoDataFrame:
    if len(gdf) == 0:
        # An empty GeoJSON has no columns: its missing columns are not the problem.
        if schema.required:
            problems.append(f"{label} has no features (an area needs {schema.name})")
        return empty_layer(schema, gdf.crs)
    names = _feature_names(gdf)
    out = gpd.GeoDataFrame(geometry=gdf.geometry.values, crs=gdf.crs)
    for col in schema.all_columns:
        optional = col in schema.optional_columns
        if col.name not in gdf.columns:
            if not optional:
                problems.append(f"{label}: required column '{col.name}' is missing")
            out[col.name] = pd.Series([None] * len(gdf), dtype=_OPTIONAL_DTYPE[col.kind])
            continue
        out[col.name] = _coerce_column(gdf[col.name], col, optional, names, label, problems)
    for extra in gdf.columns:
        if extra not in out.columns and extra != gdf.geometry.name:
            out[extra] = gdf[extra].values
    out = out[[c.name for c in schema.all_columns] + [*_extras(out, schema), "geometry"]]
    _check_geometry(out, schema, names, label, problems, src)
    _check_ids(out, label, problems)
    if "id" in gdf.columns:
        out = out.sort_values("id", kind="stable", key=lambda s: s.astype(str)).reset_index(
            drop=True
        )
    return out


def _extras(gdf: gpd.GeoDataFrame, schema: LayerSchema) -> list[str]:
    known = {c.name for c in schema.all_columns} | {"geometry"}
    return [c for c in gdf.columns if c not in known]


def coerce_value(value: Any, kind: str) -> tuple[bool, Any]:
    """Convert one attribute value to a schema kind.

    Parameters
    ----------
    value
        As read from the file (may be a string, number, bool or missing).
    kind
        ``"str"``, ``"int"``, ``"float"`` or ``"bool"``. Booleans also accept 0/1 and
        ``yes``/``no``/``true``/``false``; integers accept integral floats and numeric strings.

    Returns
    -------
    tuple
        ``(ok, converted)``; a missing value gives ``(True, None)``.
    """
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return True, None
    if isinstance(value, str) and kind != "str":
        value = value.strip()
        if value == "":
            return True, None
    if isinstance(value, np.generic):
        value = value.item()
    if kind == "str":
        if isinstance(value, str):
            return (True, value) if value.strip() else (True, None)
        return (
            (True, str(value))
            if isinstance(value, int) and not isinstance(value, bool)
            else (False, value)
        )
    if kind == "bool":
        return _to_bool(value)
    if isinstance(value, bool):
        return False, value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False, value
    if kind == "int":
        return (True, int(number)) if number.is_integer() else (False, value)
    return (True, number) if math.isfinite(number) else (False, value)


def _to_bool(value: Any) -> tuple[bool, Any]:
    if isinstance(value, bool):
        return True, value
    if isinstance(value, int | float) and value in (0, 1):
        return True, bool(value)
    if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
        return True, value.lower() in _TRUE
    return False, value


def _coerce_column(
    series: pd.Series,
    col: Column,
    optional: bool,
    names: list[str],
    label: str,
    problems: list[str],
) -> pd.Series:
    values: list[Any] = []
    for name, raw in zip(names, series.tolist(), strict=True):
        where = f"{label}, feature {name}, field '{col.name}'"
        ok, value = coerce_value(raw, col.kind)
        if not ok:
            problems.append(f"{where}: {raw!r} is not {_KIND_TEXT[col.kind]}")
            value = None
        elif value is None and not (optional or col.nullable):
            problems.append(f"{where}: is empty")
        elif value is not None and col.bound is not None and not col.bound.contains(float(value)):
            problems.append(f"{where}: {value!r} is outside {col.bound.text}")
        elif value is not None and col.choices and value not in col.choices:
            problems.append(f"{where}: {value!r} is not one of {', '.join(col.choices)}")
        values.append(value)
    has_missing = any(v is None for v in values)
    dtype = _OPTIONAL_DTYPE[col.kind] if (optional or has_missing) else _PANDAS_DTYPE[col.kind]
    if dtype == "float64":
        values = [np.nan if v is None else v for v in values]
    return pd.Series(values, dtype=dtype)


def _check_geometry(
    gdf: gpd.GeoDataFrame,
    schema: LayerSchema,
    names: list[str],
    label: str,
    problems: list[str],
    src: Source,
) -> None:
    geoms = gdf.geometry.values
    types = gdf.geometry.geom_type.tolist()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GEOS on NaN coordinates: the loop says which feature
        valid = shapely.is_valid(np.asarray(geoms))
    why: dict[int, tuple[str, str]] | None = None
    for i, geom in enumerate(geoms):
        where = f"{label}, feature {names[i]}, field 'geometry'"
        if geom is None or geom.is_empty:
            # GDAL reads a geometry it cannot parse as none: the raw JSON says why.
            if why is None:
                why = geometry_problems(src.path) if src.is_geojson else {}
            problems.append(f"{where}: {why[i][1] if i in why else 'is missing or empty'}")
        elif types[i] not in schema.geometry_types:
            expected = " or ".join(schema.geometry_types)
            problems.append(f"{where}: is a {types[i]}, expected {expected}")
        elif not valid[i]:
            problems.append(f"{where}: is invalid ({shapely.is_valid_reason(geom)})")


def _check_ids(gdf: gpd.GeoDataFrame, label: str, problems: list[str]) -> None:
    ids = gdf["id"].dropna()
    counts = ids.value_counts(sort=False)
    for dup in sorted(str(v) for v in counts[counts > 1].index):
        problems.append(f"{label}, feature '{dup}', field 'id': used by {counts[dup]} features")


# --- across layers -------------------------------------------------------------------------------


def _utm_crs(roads: gpd.GeoDataFrame) -> pyproj.CRS:
    """``roads.estimate_utm_crs()``: geopandas uses only the centre of the lon/lat extent."""
    west, south, east, north = roads.to_crs(4326).total_bounds
    return _utm_crs_at(float((west + east) / 2), float((south + north) / 2))


@functools.lru_cache(maxsize=64)
def _utm_crs_at(lon: float, lat: float) -> pyproj.CRS:
    # Cached: the query of pyproj's database takes ~0.2 s, most of a small area's load.
    return gpd.GeoSeries([shapely.Point(lon, lat)], crs="EPSG:4326").estimate_utm_crs()


def _project_layers(
    layers: dict[str, gpd.GeoDataFrame], labels: dict[str, str], problems: list[str]
) -> pyproj.CRS | None:
    """Project every layer in place to the roads' UTM zone; return that CRS (None if impossible).

    Each layer's coordinates are first checked against its own CRS, then layers against each
    other, so that a wrong CRS is blamed on the layer that has it.
    """
    for name, gdf in layers.items():
        check_crs_fit(gdf, labels[name], problems)
    roads = layers.get("roads")
    if problems or roads is None or len(roads) == 0:
        return None
    check_layer_positions(layers, labels, problems)
    if problems:
        return None
    try:
        target = _utm_crs(roads)
    except (RuntimeError, ValueError, pyproj.exceptions.CRSError) as exc:
        problems.append(f"{labels['roads']}: no UTM zone fits its extent ({one_line(exc)})")
        return None
    for name, gdf in list(layers.items()):
        try:
            projected = gdf.to_crs(target)
        except (pyproj.exceptions.ProjError, pyproj.exceptions.CRSError, ValueError) as exc:
            problems.append(f"{labels[name]}: cannot be projected to {target} ({one_line(exc)})")
            continue
        if len(projected) and not np.isfinite(projected.total_bounds).all():
            problems.append(
                f"{labels[name]}: cannot be projected to {target.name} (non-finite result)"
            )
            continue
        layers[name] = projected
    return target
