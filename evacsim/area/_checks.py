"""Checks across an area's layers, after each layer passed the schema: coordinates against their
CRS, layers against each other, references, ids, and plausible totals.

Each function appends one-line problems (naming file, layer, feature id and field) to a list;
the loader raises them together.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from evacsim.area.schema import CATEGORY_REQUIRED, FACILITY_LAYERS, MAX_AREA_PERSONS, file_name_of

__all__ = [
    "check_categories",
    "check_crs_fit",
    "check_facility_ids",
    "check_grids",
    "check_layer_positions",
    "check_references",
]

#: How far (degrees) a feature may lie outside its CRS's published area of use: zones are
#: routinely used a little past their edges, but a wrong CRS puts features far outside.
AREA_OF_USE_MARGIN_DEG = 1.0

#: Layers whose bounding boxes lie further apart than this (m) cannot be one area.
FAR_APART_M = 50_000.0

_REQUIRED_OTHERS = ("grids", "assembly_points", "shelters")


def _names(gdf: gpd.GeoDataFrame) -> list[str]:
    """``'<id>'`` per feature of a checked layer (``#<row>`` where the id is missing)."""
    return [f"'{v}'" if isinstance(v, str) else f"#{i}" for i, v in enumerate(gdf["id"])]


def _coordinate(value: float) -> str:
    """Metres to the metre, degrees to ~10 m."""
    return f"{value:.0f}" if abs(value) >= 1000 else f"{value:.4f}"


def _centres(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    bounds = shapely.bounds(np.asarray(gdf.geometry.values))  # NaN for missing geometries
    return (bounds[:, 0] + bounds[:, 2]) / 2.0, (bounds[:, 1] + bounds[:, 3]) / 2.0


# --------------------------------------------------------------------------- CRS


def check_crs_fit(gdf: gpd.GeoDataFrame, label: str, problems: list[str]) -> None:
    """Coordinates must lie where the layer's CRS is used (pyproj's area of use).

    A geographic CRS also needs longitudes within ±180 and latitudes within ±90 (projected
    metres in a file without a CRS, or longitude and latitude swapped). For a projected CRS,
    feature centres are turned into longitude/latitude and compared with the CRS's area of use
    (plus :data:`AREA_OF_USE_MARGIN_DEG`): a layer declaring UTM zone 48N whose coordinates are
    degrees lands near the equator, 500 km west of the zone. One problem per layer, naming its
    first misplaced feature and the count.
    """
    if gdf.crs is None or len(gdf) == 0:
        return
    x, y = _centres(gdf)
    with np.errstate(invalid="ignore"):
        if gdf.crs.is_geographic:
            bad = (np.abs(x) > 180) | (np.abs(y) > 90)
        else:
            bad = _outside_area_of_use(gdf.crs, x, y)
    if not bad.any():
        return
    k = int(np.flatnonzero(bad)[0])
    crs = gdf.crs.to_string()
    more = f" (and {int(bad.sum()) - 1} more features)" if bad.sum() > 1 else ""
    where = f"{label}, feature {_names(gdf)[k]}, field 'geometry': coordinates "
    where += f"({_coordinate(x[k])}, {_coordinate(y[k])})"
    if gdf.crs.is_geographic:
        hint = (
            "longitude and latitude swapped?"
            if abs(y[k]) <= 180 and abs(x[k]) <= 90
            else "projected coordinates without a CRS?"
        )
        problems.append(f"{where} are outside the range of {crs}{more} ({hint})")
        return
    aou = gdf.crs.area_of_use
    assert aou is not None  # _outside_area_of_use found none outside otherwise
    problems.append(
        f"{where} lie outside the area of use of its CRS {crs} "
        f"({aou.west:g}..{aou.east:g} E, {aou.south:g}..{aou.north:g} N){more}: "
        "is the layer's CRS right?"
    )


def _outside_area_of_use(crs: pyproj.CRS, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    aou, geodetic = crs.area_of_use, crs.geodetic_crs
    finite = np.isfinite(x) & np.isfinite(y)
    if aou is None or geodetic is None:  # a local engineering CRS: nothing to compare with
        return np.zeros(len(x), dtype=bool)
    to_lonlat = pyproj.Transformer.from_crs(crs, geodetic, always_xy=True)
    lon, lat = to_lonlat.transform(
        np.where(finite, x, 0.0), np.where(finite, y, 0.0), errcheck=False
    )
    m = AREA_OF_USE_MARGIN_DEG
    west, east = aou.west - m, aou.east + m
    if aou.west > aou.east:  # an area of use across the antimeridian
        lon = np.where(lon < 0, lon + 360.0, lon)
        east += 360.0
    inside = (lon >= west) & (lon <= east) & (lat >= aou.south - m) & (lat <= aou.north + m)
    return finite & ~(np.isfinite(lon) & np.isfinite(lat) & inside)


def _lonlat_box(gdf: gpd.GeoDataFrame) -> tuple[float, float, float, float] | None:
    geoms = gdf.geometry[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
    if len(geoms) == 0:
        return None
    try:
        box = gpd.GeoSeries(geoms, crs=gdf.crs).to_crs(4326).total_bounds
    except (pyproj.exceptions.ProjError, pyproj.exceptions.CRSError, ValueError):
        return None  # projecting the layer reports it
    return tuple(float(v) for v in box) if np.isfinite(box).all() else None  # type: ignore[return-value]


def _gap_m(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Roughly the distance (m, WGS 84) between two lon/lat boxes: 0 when they overlap."""
    lon_a = min(max((b[0] + b[2]) / 2, a[0]), a[2])  # the point of a nearest b's centre ...
    lat_a = min(max((b[1] + b[3]) / 2, a[1]), a[3])
    lon_b = min(max(lon_a, b[0]), b[2])  # ... and the point of b nearest that
    lat_b = min(max(lat_a, b[1]), b[3])
    return float(pyproj.Geod(ellps="WGS84").inv(lon_a, lat_a, lon_b, lat_b)[2])


def check_layer_positions(
    layers: dict[str, gpd.GeoDataFrame], labels: dict[str, str], problems: list[str]
) -> None:
    """Every layer must lie near the roads (within :data:`FAR_APART_M`).

    A layer whose CRS is declared wrongly but still inside that CRS's area of use (degrees read
    as Web Mercator metres land near 0° N 0° E) is caught here. Blame goes to the roads when the
    other required layers agree with each other and not with the roads, else to the far layer.
    """
    boxes = {name: _lonlat_box(gdf) for name, gdf in layers.items() if len(gdf)}
    roads = boxes.get("roads")
    if roads is None:
        return
    far = {n: _gap_m(roads, b) for n, b in boxes.items() if b and n != "roads"}
    far = {n: gap for n, gap in far.items() if gap > FAR_APART_M}
    others = [boxes.get(n) for n in _REQUIRED_OTHERS]
    if all(n in far for n in _REQUIRED_OTHERS) and all(
        _gap_m(a, b) <= FAR_APART_M for a in others for b in others if a and b
    ):
        gap = min(far[n] for n in _REQUIRED_OTHERS)
        problems.append(
            f"{labels['roads']}: its features lie {gap / 1000:.0f} km from the grids, assembly "
            f"points and shelters: is the layer's CRS ({layers['roads'].crs.to_string()}) right?"
        )
        return
    for name, gap in sorted(far.items()):
        problems.append(
            f"{labels[name]}: its features lie {gap / 1000:.0f} km from the roads: is the "
            f"layer's CRS ({layers[name].crs.to_string()}) right?"
        )


# --------------------------------------------------------------------------- references, ids


def check_references(
    layers: dict[str, gpd.GeoDataFrame],
    labels: dict[str, str],
    problems: list[str],
    notes: list[str],
) -> None:
    """Grids name existing assembly points; hazard sources carry what their category needs."""
    grids, aps = layers.get("grids"), layers.get("assembly_points")
    if grids is not None and aps is not None:
        ap_ids = set(aps["id"].dropna())
        for gid, ap in zip(grids["id"], grids["assembly_point"], strict=True):
            if ap is not None and ap not in ap_ids:
                problems.append(
                    f"{labels['grids']}, feature '{gid}', field 'assembly_point': "
                    f"{ap!r} is not an id in assembly_points"
                )
    sources = layers.get("hazard_sources")
    if sources is not None:
        check_categories(sources, labels["hazard_sources"], problems, notes)


def check_grids(grids: gpd.GeoDataFrame, label: str, problems: list[str]) -> None:
    """``needs_assistance`` fits in each period's population; the area's total is plausible."""
    need = grids["needs_assistance"].to_numpy(dtype=float, na_value=np.nan)
    for period in ("day", "night"):
        column = f"population_{period}"
        pop = grids[column].to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            over = need > pop  # False wherever either is missing (the schema check said so)
        for k in np.flatnonzero(over):
            problems.append(
                f"{label}, feature '{grids['id'].iloc[k]}', field 'needs_assistance': "
                f"{need[k]:.0f} is more than {column} ({pop[k]:.0f})"
            )
        total = float(np.nansum(pop))
        if total > MAX_AREA_PERSONS:
            problems.append(
                f"{label}: field '{column}' sums to {total:.0f} persons, more than one run holds "
                f"({MAX_AREA_PERSONS}); split the area"
            )


def check_facility_ids(
    layers: dict[str, gpd.GeoDataFrame], labels: dict[str, str], problems: list[str]
) -> None:
    """Facility ids are unique across :data:`FACILITY_LAYERS` and as file names.

    Results, maps and GPX files key facilities by id, and name files after them
    (:func:`evacsim.area.schema.file_name_of`); two facilities sharing an id or a file name would
    silently lose one. Duplicates within one layer are reported by the layer's own check.
    """
    seen: dict[str, tuple[str, str]] = {}
    for layer in FACILITY_LAYERS:
        gdf = layers.get(layer)
        if gdf is None:
            continue
        for fid in dict.fromkeys(v for v in gdf["id"] if isinstance(v, str)):
            key = file_name_of(fid).casefold()
            if key not in seen:
                seen[key] = (layer, fid)
                continue
            other_layer, other = seen[key]
            where = f"{labels[layer]}, feature '{fid}', field 'id'"
            if other == fid:
                problems.append(
                    f"{where}: also an id in {other_layer} (facility ids must be unique across "
                    f"{', '.join(FACILITY_LAYERS)})"
                )
            else:
                problems.append(
                    f"{where}: gives the same file name as '{other}' in {other_layer} "
                    f"({file_name_of(fid)!r}); rename one"
                )


def check_categories(
    sources: gpd.GeoDataFrame, label: str, problems: list[str], notes: list[str]
) -> None:
    """Each hazard source carries the columns its category needs (:data:`CATEGORY_REQUIRED`)."""
    enterprises = set(sources.loc[sources["category"] == "enterprise", "id"])
    for row in sources.itertuples(index=False):
        needed = CATEGORY_REQUIRED.get(str(row.category), ())
        for name in needed:
            if pd.isna(getattr(row, name)):
                problems.append(
                    f"{label}, feature '{row.id}', field '{name}': a {row.category} needs it"
                )
        tank = enterprises and row.category == "tank" and not pd.isna(row.enterprise)
        if tank and row.enterprise not in enterprises:
            notes.append(
                f"{label}, feature '{row.id}', field 'enterprise': "
                f"{row.enterprise!r} is not an enterprise in this layer"
            )
