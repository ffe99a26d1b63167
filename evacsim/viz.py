"""Offline Folium maps of an area: context, roads, grids, threat zones and facilities.

The map draws the road network itself as its base layer (no web tiles unless asked for), so a saved
page works with no network once :func:`save_map` has inlined Leaflet and its plugins (see
:mod:`evacsim._offline`). Every string that comes from map data (names, ids, labels) is HTML-escaped
before it enters the page; backticks, ``$`` and backslashes are escaped too, because folium puts
popup and tooltip HTML inside JavaScript template literals.

Input layers are in the area's projected metric CRS (``area.crs``); geometries are simplified to
about 1 m there, then converted to EPSG:4326 and rounded to 6 decimals (~0.1 m) for the page.
"""

from __future__ import annotations

import html
import logging
import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple, Protocol

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium.utilities import JsCode
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from evacsim._offline import save_offline
from evacsim.errors import AreaError, HazardError

__all__ = [
    "LEVELS",
    "MapParts",
    "ZoneShape",
    "area_map",
    "base_map",
    "finish_map",
    "run_map",
    "save_map",
    "zone_shapes",
]

logger = logging.getLogger(__name__)

#: Threat levels, innermost first (see evacsim.hazard).
LEVELS: tuple[str, ...] = ("red", "orange", "yellow")
_ZONE_COLORS = MappingProxyType({"red": "#d7191c", "orange": "#fd8d3c", "yellow": "#fed330"})
# highway class -> (colour, weight in px, dash pattern)
_ROAD_STYLES = MappingProxyType(
    {
        "motorway": ("#b5179e", 5.0, None),
        "trunk": ("#d9480f", 4.5, None),
        "primary": ("#e8590c", 4.0, None),
        "secondary": ("#f08c00", 3.5, None),
        "tertiary": ("#5c5f66", 3.0, None),
        "residential": ("#868e96", 2.5, None),
        "service": ("#adb5bd", 2.0, None),
        "footway": ("#8d6e63", 1.5, "4 3"),
        "other": ("#868e96", 2.0, None),
    }
)
_GRID_COLORS = MappingProxyType({True: "#1c7ed6", False: "#adb5bd"})
# context kind -> (stroke colour, weight in px, dash pattern, fill colour or None)
_CONTEXT_STYLES = MappingProxyType(
    {
        "water": ("#74c0fc", 1.0, None, "#a5d8ff"),
        "railway": ("#343a40", 3.0, "8 5", None),
        "boundary": ("#7048e8", 1.5, "2 4", None),
        "other": ("#868e96", 1.5, None, None),
    }
)
# layer -> (label, colour, radius in px)
_POINT_LAYERS = MappingProxyType(
    {
        "hazard_sources": ("Hazard sources", "#343a40", 4),
        "assembly_points": ("Assembly points", "#2b8a3e", 8),
        "shelters": ("Shelters", "#1864ab", 8),
        "supply_points": ("Supply points", "#862e9c", 7),
        "team_bases": ("Team bases", "#e67700", 7),
    }
)
_SIMPLIFY_M = 1.0
_DECIMALS = 6
# Popups and tooltips come pre-escaped in each feature's properties; bind them as HTML.
_BIND_DETAILS = JsCode(
    """function (feature, layer) {
        layer.bindPopup(feature.properties.popup_html, {maxWidth: 320});
        layer.bindTooltip(feature.properties.tooltip_html, {sticky: true});
    }"""
)


class ZoneShape(NamedTuple):
    """One threat level's polygon and the threshold it stands for (``label``)."""

    level: str
    geometry: BaseGeometry
    label: str


class ThreatZonesLike(Protocol):
    """What :func:`zone_shapes` needs from an ``evacsim.hazard`` ThreatZones object."""

    def final(self) -> Mapping[str, BaseGeometry]:
        """Polygons per level at the end of the hazard's timeline."""
        ...


def _esc(value: object) -> str:
    """Escape a value for HTML inside a JS template literal (also `, $ and \\)."""
    text = html.escape(str(value), quote=True)
    return text.replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")


def _fmt(value: object) -> str | None:
    """Format a table cell; ``None`` for a missing value."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _popup_html(title: object, rows: Iterable[tuple[str, object]]) -> str:
    """A small escaped HTML table: a bold title, then one row per (label, value)."""
    cells = "".join(
        f"<tr><th>{_esc(label)}</th><td>{_esc(text)}</td></tr>"
        for label, value in rows
        if (text := _fmt(value)) is not None
    )
    return f'<div class="evacsim-popup"><b>{_esc(title)}</b><table>{cells}</table></div>'


def _require(gdf: gpd.GeoDataFrame, layer: str, columns: Sequence[str]) -> None:
    """Raise AreaError naming the layer and the first missing column."""
    for col in columns:
        if col not in gdf.columns:
            raise AreaError(f"layer '{layer}': field '{col}' is missing (needed to draw the map)")


def _to_wgs84(gdf: gpd.GeoDataFrame, crs: Any, layer: str) -> gpd.GeoDataFrame:
    """Simplify to ~1 m in the projected CRS, convert to EPSG:4326, round to 6 decimals."""
    src_crs = gdf.crs if gdf.crs is not None else crs
    if src_crs is None:
        raise AreaError(f"layer '{layer}': no CRS (expected the area's projected metric CRS)")
    out = gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)].copy()
    out = out.set_crs(src_crs, allow_override=True)
    if out.crs is not None and out.crs.is_projected:
        out = out.set_geometry(out.geometry.simplify(_SIMPLIFY_M, preserve_topology=True))
    out = out.to_crs(4326)
    rounded = shapely.transform(out.geometry.values, lambda xy: np.round(xy, _DECIMALS))
    return out.set_geometry(gpd.GeoSeries(rounded, index=out.index, crs=4326))


def _collection(geoms: Iterable[BaseGeometry], props: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection from geometries and their (already safe) properties.

    Features get short ids ("0", "1", ...): folium keys its per-feature styles on a unique
    identifier and would otherwise pick the first unique property (a whole popup).
    """
    features = [
        {"type": "Feature", "id": str(k), "geometry": mapping(g), "properties": p}
        for k, (g, p) in enumerate(zip(geoms, props, strict=True))
    ]
    return {"type": "FeatureCollection", "features": features}


def _road_class(highway: object) -> str:
    """Map an OSM/area highway value to one of the styled classes."""
    text = str(highway).removesuffix("_link")
    if text in _ROAD_STYLES:
        return text
    return {"unclassified": "residential", "living_street": "residential"}.get(
        text, "footway" if text in {"pedestrian", "path", "steps", "cycleway", "track"} else "other"
    )


def _road_style(feature: dict[str, Any]) -> dict[str, Any]:
    """Leaflet path style of a road feature, by class."""
    color, weight, dash = _ROAD_STYLES[feature["properties"]["road_class"]]
    return {"color": color, "weight": weight, "opacity": 0.9, "dashArray": dash}


def _add_roads(m: folium.Map, roads: gpd.GeoDataFrame) -> list[str]:
    """Draw the roads as one GeoJson layer styled by class; return the classes drawn."""
    props = []
    for row in roads.itertuples(index=False):
        cls = _road_class(getattr(row, "highway", "other"))
        rows = [
            ("Id", row.id),
            ("Class", getattr(row, "highway", None)),
            ("Lanes", getattr(row, "lanes", None)),
            ("Speed (km/h)", getattr(row, "speed_kph", None)),
            ("One way", getattr(row, "oneway", None)),
        ]
        name = getattr(row, "name", None)
        title = name if isinstance(name, str) and name else f"Road {row.id}"
        props.append(
            {"road_class": cls, "popup_html": _popup_html(title, rows), "tooltip_html": _esc(title)}
        )
    layer = folium.GeoJson(
        _collection(roads.geometry, props),
        name="Roads",
        style_function=_road_style,
        on_each_feature=_BIND_DETAILS,
    )
    layer.add_to(m)
    return sorted({p["road_class"] for p in props}, key=list(_ROAD_STYLES).index)


def _context_style(feature: dict[str, Any]) -> dict[str, Any]:
    """Leaflet path style of a context feature, by kind (only water is filled)."""
    color, weight, dash, fill = _CONTEXT_STYLES[feature["properties"]["kind"]]
    style = {"color": color, "weight": weight, "opacity": 0.9, "dashArray": dash}
    return style | {"fill": fill is not None, "fillColor": fill, "fillOpacity": 0.6}


# Context is scenery: a tooltip, no popup, and back to the bottom whenever it is shown again.
_BIND_CONTEXT = JsCode(
    """function (feature, layer) {
        layer.bindTooltip(feature.properties.tooltip_html, {sticky: true});
        layer.on('add', function () { layer.bringToBack(); });
    }"""
)


def _add_context(m: folium.Map, context: gpd.GeoDataFrame) -> list[str]:
    """Draw the context layer (rivers, railways, ...) under the rest; return the kinds drawn."""
    props = []
    for row in context.itertuples(index=False):
        kind = str(row.kind) if str(row.kind) in _CONTEXT_STYLES else "other"
        name = getattr(row, "name", None)
        title = name if isinstance(name, str) and name else f"{kind} {row.id}"
        props.append({"kind": kind, "tooltip_html": _esc(title)})
    folium.GeoJson(
        _collection(context.geometry, props),
        name="Context",
        style_function=_context_style,
        on_each_feature=_BIND_CONTEXT,
    ).add_to(m)
    return sorted({p["kind"] for p in props}, key=list(_CONTEXT_STYLES).index)


def _grid_style(feature: dict[str, Any]) -> dict[str, Any]:
    """Leaflet path style of a grid, by whether it evacuates."""
    color = _GRID_COLORS[bool(feature["properties"]["evacuating"])]
    return {"color": color, "weight": 1.5, "fillColor": color, "fillOpacity": 0.25}


def _add_grids(
    m: folium.Map,
    grids: gpd.GeoDataFrame,
    evacuating: Collection[str],
    ap_names: Mapping[str, str],
) -> None:
    """Draw the grids coloured by whether they evacuate, with their details in a popup."""
    props = []
    for row in grids.itertuples(index=False):
        gid = str(row.id)
        ap = str(row.assembly_point)
        ap_text = f"{ap} ({ap_names[ap]})" if ap in ap_names else ap
        rows = [
            ("Id", gid),
            ("Town", getattr(row, "town", None)),
            ("Community", row.community),
            ("Group", row.group),
            ("Population (day)", row.population_day),
            ("Population (night)", row.population_night),
            ("Needs assistance", row.needs_assistance),
            ("Assembly point", ap_text),
            ("Evacuating", gid in evacuating),
        ]
        name = getattr(row, "name", None)
        title = f"Grid {gid}" + (f" {name}" if isinstance(name, str) and name else "")
        props.append(
            {
                "evacuating": gid in evacuating,
                "popup_html": _popup_html(title, rows),
                "tooltip_html": _esc(title),
            }
        )
    folium.GeoJson(
        _collection(grids.geometry, props),
        name="Grids",
        style_function=_grid_style,
        on_each_feature=_BIND_DETAILS,
    ).add_to(m)


def _labels_of(zones: object) -> dict[str, str]:
    """Threshold labels a ThreatZones-like object exposes (several spellings accepted)."""
    for attr in ("threshold_labels", "labels", "thresholds", "levels"):
        value = getattr(zones, attr, None)
        if callable(value):
            value = value()
        if isinstance(value, Mapping):
            return {str(k): str(v) for k, v in value.items()}
        if isinstance(value, Sequence) and not isinstance(value, str):
            out = {}
            for item in value:
                level = getattr(item, "level", None) or getattr(item, "name", None)
                if level is not None:
                    out[str(level)] = _level_label(item)
            if out:
                return out
    return {}


def _level_label(item: object) -> str:
    """'10 kW/m² (pain within 60 s)' from a ThreatLevel-like (threshold, unit, label) object."""
    threshold, unit = getattr(item, "threshold", None), getattr(item, "unit", "")
    label = str(getattr(item, "label", "") or "")
    if not isinstance(threshold, int | float):
        return label
    value = f"{threshold:g} {unit}".strip()
    if not label or value in label:
        return label or value
    return f"{value} ({label})"


def zone_shapes(
    zones: ThreatZonesLike | Mapping[str, BaseGeometry] | None,
    labels: Mapping[str, str] | None = None,
) -> list[ZoneShape]:
    """Adapt threat zones to a list of shapes to draw, outermost (yellow) first.

    Parameters
    ----------
    zones
        Either an object with ``final() -> {level: polygon}`` (``evacsim.hazard`` ThreatZones;
        labels are read from its ``threshold_labels``, ``labels``, ``thresholds`` mapping or its
        ``levels`` sequence of ``ThreatLevel(name, threshold, unit, label)``) or a plain
        ``{level: polygon}`` dict. Levels are ``"red"``, ``"orange"``, ``"yellow"``.
    labels
        ``{level: threshold label}`` (e.g. ``{"red": "37.5 kW/m²"}``); overrides the object's.

    Returns
    -------
    list of ZoneShape
        One per non-empty level, ordered yellow, orange, red (drawing order).

    Raises
    ------
    HazardError
        When a level is not one of red, orange, yellow.
    """
    if zones is None:
        return []
    if isinstance(zones, Mapping):
        polygons, found = zones, {}
    elif callable(getattr(zones, "final", None)):
        polygons, found = zones.final(), _labels_of(zones)
    else:
        raise TypeError(f"zones must be a ThreatZones-like object or a dict, not {type(zones)}")
    found.update(labels or {})
    for level in polygons:
        if level not in LEVELS:
            raise HazardError(f"threat zones: level '{level}' is not one of {', '.join(LEVELS)}")
    return [
        ZoneShape(level, polygons[level], found.get(level, ""))
        for level in reversed(LEVELS)
        if level in polygons and polygons[level] is not None and not polygons[level].is_empty
    ]


def _zone_style(feature: dict[str, Any]) -> dict[str, Any]:
    """Leaflet path style of a threat zone, by level."""
    color = _ZONE_COLORS[feature["properties"]["level"]]
    return {"color": color, "weight": 2, "fillColor": color, "fillOpacity": 0.2}


def _add_zones(m: folium.Map, shapes: Sequence[ZoneShape], crs: Any) -> None:
    """Draw the threat zones, yellow under orange under red, threshold in the popup."""
    gdf = gpd.GeoDataFrame(
        {"level": [s.level for s in shapes]}, geometry=[s.geometry for s in shapes], crs=crs
    )
    gdf = _to_wgs84(gdf, crs, "threat zones")
    props = []
    for shape in shapes:
        title = f"{shape.level.capitalize()} zone"
        rows = [("Threshold", shape.label or None)]
        props.append(
            {"level": shape.level, "popup_html": _popup_html(title, rows), "tooltip_html": title}
        )
    folium.GeoJson(
        _collection(gdf.geometry, props),
        name="Threat zones",
        style_function=_zone_style,
        on_each_feature=_BIND_DETAILS,
    ).add_to(m)


def _point_rows(layer: str, row: Any) -> list[tuple[str, object]]:
    """Popup rows of one facility, by layer."""
    rows: list[tuple[str, object]] = [("Id", row.id)]
    if layer in ("assembly_points", "shelters"):
        rows.append(("Capacity (persons)", getattr(row, "capacity_persons", None)))
        rows.append(("Facilities", getattr(row, "facilities", None)))
    elif layer == "supply_points":
        for col, label in (
            ("stock_water_l", "Water (l)"),
            ("stock_food_rations", "Food rations"),
            ("stock_blankets", "Blankets"),
            ("stock_medical_kits", "Medical kits"),
        ):
            rows.append((label, getattr(row, col, None)))
    elif layer == "team_bases":
        rows += [
            ("Members", getattr(row, "members", None)),
            ("Vehicles", getattr(row, "vehicles", None)),
            ("Specialty", getattr(row, "specialty", None)),
        ]
    else:
        rows += [
            ("Category", getattr(row, "category", None)),
            ("Substance", getattr(row, "substance", None)),
            ("Capacity (m³)", getattr(row, "capacity_m3", None)),
        ]
    return rows


def _add_points(
    m: folium.Map,
    gdf: gpd.GeoDataFrame,
    layer: str,
    *,
    extra_rows: Mapping[str, Sequence[tuple[str, object]]] | None = None,
    extra_html: Mapping[str, str] | None = None,
) -> None:
    """Draw one point layer as CircleMarkers with an escaped popup and tooltip.

    ``extra_rows`` adds popup rows per feature id (escaped); ``extra_html`` appends trusted HTML
    (built by evacsim from numbers and escaped text, no backtick, ``$`` or backslash).
    """
    label, color, radius = _POINT_LAYERS[layer]
    group = folium.FeatureGroup(name=label)
    for row in gdf.itertuples(index=False):
        point = row.geometry.representative_point()
        name = getattr(row, "name", None)
        title = name if isinstance(name, str) and name else str(row.id)
        rows = _point_rows(layer, row) + list((extra_rows or {}).get(str(row.id), ()))
        popup = _popup_html(title, rows) + (extra_html or {}).get(str(row.id), "")
        folium.CircleMarker(
            location=(point.y, point.x),
            radius=radius,
            color="#ffffff",
            weight=1.5,
            fill_color=color,
            fill_opacity=0.95,
            class_name=f"evacsim-{layer.replace('_', '-')}",
            popup=folium.Popup(popup, max_width=360),
            tooltip=folium.Tooltip(_esc(title)),
        ).add_to(group)
    group.add_to(m)


def _legend_item(color: str, text: str, shape: str = "box") -> str:
    """One legend row: a swatch (``box``, ``dot``, ``line`` or ``dash``) and escaped text."""
    radius = "50%" if shape == "dot" else "2px"
    height = "4px" if shape in ("line", "dash") else "12px"
    background = (
        f"repeating-linear-gradient(90deg,{color} 0 4px,transparent 4px 7px)"
        if shape == "dash"
        else color
    )
    swatch = (
        f'<span style="display:inline-block;width:14px;height:{height};'
        f"background:{background};border-radius:{radius};margin-right:6px;"
        f'vertical-align:middle"></span>'
    )
    return f"<div>{swatch}{_esc(text)}</div>"


def _legend_html(
    title: str,
    roads: Sequence[str],
    zones: Sequence[ZoneShape],
    extra_html: str = "",
    *,
    context: Sequence[str] = (),
) -> str:
    """The legend: a fixed box below the zoom buttons (all text escaped; ``extra_html`` trusted)."""
    item = _legend_item
    parts = [f'<div style="font-weight:bold;margin-bottom:4px">{_esc(title)}</div>']
    for shape in reversed(zones):
        text = f"{shape.level} zone" + (f" ({shape.label})" if shape.label else "")
        parts.append(item(_ZONE_COLORS[shape.level], text))
    parts.append(item(_GRID_COLORS[True], "grid: evacuating"))
    parts.append(item(_GRID_COLORS[False], "grid: not evacuating"))
    parts += [item(color, text, "dot") for text, color, _ in _POINT_LAYERS.values()]
    parts += [item(_ROAD_STYLES[cls][0], f"road: {cls}", "line") for cls in roads]
    for kind in context:
        color, _, dash, fill = _CONTEXT_STYLES[kind]
        swatch = "box" if fill else ("dash" if dash else "line")
        parts.append(item(fill or color, f"context: {kind}", swatch))
    return '<div class="evacsim-legend">' + "".join(parts) + extra_html + "</div>"


# Page CSS: the legend below the zoom buttons (the scale bar is bottom left), compact popups; in
# print, an A4 landscape page with the controls hidden (legend and panels stay).
_CSS = """<style>
.evacsim-legend {position: fixed; top: 84px; left: 10px; z-index: 1000; max-height: 70%;
  overflow: auto; background: rgba(255,255,255,0.92); padding: 8px 10px; border-radius: 4px;
  font: 12px/1.4 sans-serif; box-shadow: 0 1px 4px rgba(0,0,0,0.3)}
.evacsim-popup table {border-collapse: collapse; margin-top: 4px; font-size: 12px}
.evacsim-popup th {text-align: left; font-weight: normal; color: #555; padding: 1px 10px 1px 0}
.evacsim-popup td {padding: 1px 0}
@page {size: A4 landscape; margin: 8mm}
@media print {
  html, body {width: 281mm; height: 194mm; margin: 0; overflow: hidden}
  .folium-map {position: absolute !important; inset: 0; width: 281mm !important;
    height: 194mm !important}
  .leaflet-control-zoom, .leaflet-control-layers, .evacsim-no-print {display: none !important}
  .evacsim-legend {top: 4mm; left: 4mm; max-height: none; box-shadow: none;
    border: 1px solid #999; font-size: 9px; line-height: 1.25; column-count: 2; column-gap: 12px;
    max-width: 48%}
}
</style>"""


def _fit(m: folium.Map, frames: Iterable[gpd.GeoDataFrame]) -> None:
    """Fit the map view to the union of the layers' bounds (EPSG:4326)."""
    bounds = [f.total_bounds for f in frames if len(f)]
    if bounds:
        arr = np.asarray(bounds)
        south_west = [arr[:, 1].min(), arr[:, 0].min()]
        north_east = [arr[:, 3].max(), arr[:, 2].max()]
        m.fit_bounds([south_west, north_east], padding=(20, 20))  # px, keeps edge features clear


class MapParts(NamedTuple):
    """A map under construction: what :func:`finish_map` needs to add its legend and controls.

    ``frames`` are the layers drawn, in EPSG:4326 (for fitting the view; context is not among
    them); ``context_kinds`` the kinds of context feature drawn.
    """

    map: folium.Map
    road_classes: list[str]
    zones: list[ZoneShape]
    frames: list[gpd.GeoDataFrame]
    name: str
    context_kinds: tuple[str, ...] = ()


def base_map(
    area: Any,
    *,
    zones: ThreatZonesLike | Mapping[str, BaseGeometry] | None = None,
    zone_labels: Mapping[str, str] | None = None,
    evacuating_grid_ids: Collection[str] = frozenset(),
    tiles: bool = False,
    facility_rows: Mapping[str, Sequence[tuple[str, object]]] | None = None,
    facility_html: Mapping[str, str] | None = None,
) -> MapParts:
    """Draw an area's layers on a new map, without the layer control and legend.

    Add more layers to ``parts.map``, then call :func:`finish_map`. Parameters as in
    :func:`area_map`; ``facility_rows`` adds popup rows per facility id (escaped) and
    ``facility_html`` appends trusted HTML (charts built by evacsim) to those popups.

    Raises
    ------
    AreaError
        When a layer lacks a column the map needs or has no CRS.
    """
    crs = getattr(area, "crs", None)
    _require(area.roads, "roads", ["id"])
    _require(area.grids, "grids", _GRID_COLUMNS)
    m = folium.Map(location=None, tiles=None, control_scale=True)
    if tiles:
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap (online)").add_to(m)
    roads = _to_wgs84(area.roads, crs, "roads")
    grids = _to_wgs84(area.grids, crs, "grids")
    frames = [roads, grids]
    context = getattr(area, "context", None)  # duck-typed areas may lack it
    kinds: list[str] = []
    if context is not None and len(context):
        _require(context, "context", ["id", "kind"])
        kinds = _add_context(m, _to_wgs84(context, crs, "context"))  # first: under the rest
    unknown = set(evacuating_grid_ids) - set(grids["id"].astype(str))
    if unknown:
        logger.warning("evacuating grid ids not in the area: %s", ", ".join(sorted(unknown)))
    ap_names = {
        str(i): str(n) for i, n in zip(area.assembly_points["id"], _names(area), strict=True)
    }
    _add_grids(m, grids, frozenset(evacuating_grid_ids), ap_names)
    shapes = zone_shapes(zones, zone_labels)
    if shapes:
        _add_zones(m, shapes, getattr(zones, "crs", None) or crs)
    road_classes = _add_roads(m, roads) if len(roads) else []
    for layer in _POINT_LAYERS:
        gdf = getattr(area, layer, None)
        if gdf is not None and len(gdf):
            _require(gdf, layer, ["id"])
            points = _to_wgs84(gdf, crs, layer)
            _add_points(m, points, layer, extra_rows=facility_rows, extra_html=facility_html)
            frames.append(points)
    name = getattr(area, "name", None) or "evacsim"
    return MapParts(m, road_classes, shapes, frames, str(name), tuple(kinds))


def finish_map(
    parts: MapParts,
    *,
    title: str | None = None,
    extra_legend_html: str = "",
    fit_frames: Sequence[gpd.GeoDataFrame] | None = None,
    extra_html: str = "",
) -> folium.Map:
    """Add the layer control (last, so it sees every layer), the CSS, the legend, and fit the view.

    Parameters
    ----------
    parts
        From :func:`base_map`, with any layers added since.
    title
        Legend title; by default the area's name.
    extra_legend_html, extra_html
        Trusted HTML (built by evacsim, user text escaped with ``_esc``) appended to the legend
        and to the page body.
    fit_frames
        Layers (EPSG:4326) to fit the view to; by default every layer :func:`base_map` drew.
    """
    m = parts.map
    folium.LayerControl(collapsed=False).add_to(m)
    figure = m.get_root()
    assert isinstance(figure, folium.Figure)  # folium.Map always sits in a Figure
    figure.header.add_child(folium.Element(_CSS), name="evacsim_css")
    legend = _legend_html(
        parts.name if title is None else title,
        parts.road_classes,
        parts.zones,
        extra_legend_html,
        context=parts.context_kinds,
    )
    figure.html.add_child(folium.Element(legend))
    if extra_html:
        figure.html.add_child(folium.Element(extra_html))
    _fit(m, parts.frames if fit_frames is None else fit_frames)
    return m


def area_map(
    area: Any,
    *,
    zones: ThreatZonesLike | Mapping[str, BaseGeometry] | None = None,
    zone_labels: Mapping[str, str] | None = None,
    evacuating_grid_ids: Collection[str] = frozenset(),
    title: str | None = None,
    tiles: bool = False,
) -> folium.Map:
    """Build a Folium map of an area: roads, grids, threat zones and facilities.

    Parameters
    ----------
    area
        An ``evacsim.area.Area`` (or any object with the same GeoDataFrame attributes ``roads``,
        ``grids``, ``assembly_points``, ``shelters``, ``hazard_sources``, ``supply_points``,
        ``team_bases`` and ``crs``; ``context`` if present), layers in a projected metric CRS.
        Context features (rivers, railways) are drawn under everything else, named in a tooltip.
    zones
        Threat zones to draw (see :func:`zone_shapes`): an ``evacsim.hazard.ThreatZones`` (its
        ``final()`` frame, in its ``crs``) or ``{level: polygon}`` in ``area.crs``.
    zone_labels
        ``{level: threshold label}`` shown in the zone popups and the legend.
    evacuating_grid_ids
        Ids of the grids that evacuate (drawn blue; the others grey).
    title
        Legend title; by default ``area.name`` or ``"evacsim"``.
    tiles
        Add the OpenStreetMap tile layer (needs the network when viewed). Off by default: the
        roads are the base layer.

    Returns
    -------
    folium.Map
        Write it with :func:`save_map` to get a page that needs no network.

    Raises
    ------
    AreaError
        When a layer lacks a column the map needs or has no CRS.
    """
    parts = base_map(
        area,
        zones=zones,
        zone_labels=zone_labels,
        evacuating_grid_ids=evacuating_grid_ids,
        tiles=tiles,
    )
    return finish_map(parts, title=title)


_GRID_COLUMNS: tuple[str, ...] = (
    "id",
    "community",
    "group",
    "population_day",
    "population_night",
    "needs_assistance",
    "assembly_point",
)


def _names(area: Any) -> list[object]:
    """Assembly point names (ids when the layer has no name column)."""
    aps = area.assembly_points
    return list(aps["name"]) if "name" in aps.columns else list(aps["id"])


def save_map(m: folium.Map, path: str | os.PathLike[str]) -> Path:
    """Save a map as one self-contained HTML page (assets inlined, written atomically).

    Raises
    ------
    evacsim._offline.OfflineAssetError
        When folium asks for a JavaScript/CSS asset that evacsim has not vendored (a bug).
    """
    return save_offline(m, path)


def _minutes(t_s: float) -> str:
    """'h:mm' of a time in seconds since the incident ('' when missing)."""
    if not np.isfinite(t_s):
        return ""
    total = round(t_s / 60.0)
    return f"{total // 60}:{total % 60:02d}"


def run_map(run: Any, *, tiles: bool = False) -> folium.Map:
    """The map of a finished run; see :func:`evacsim.viz_run.run_map`."""
    from evacsim.viz_run import run_map as _run_map

    return _run_map(run, tiles=tiles)
