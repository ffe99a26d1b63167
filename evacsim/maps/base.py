"""Offline Folium maps of an area: context, roads, grids, threat zones and facilities.

The map draws the road network itself as its base layer (no web tiles unless asked for), so a saved
page works with no network once :func:`save_map` has inlined Leaflet and its plugins (see
:mod:`evacsim.maps._offline`). Every string that comes from map data (names, ids, labels) is
HTML-escaped before it enters the page; backticks, ``$`` and backslashes are escaped too, because
folium puts popup and tooltip HTML inside JavaScript template literals.

Input layers are in the area's projected metric CRS (``area.crs``); geometries are simplified to
about 1 m there, then converted to EPSG:4326 and rounded to 6 decimals (~0.1 m) for the page.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import folium
import geopandas as gpd
import numpy as np
from shapely.geometry.base import BaseGeometry

from evacsim.display.format import esc
from evacsim.maps._offline import save_offline
from evacsim.maps.layers import (
    CONTEXT_STYLES,
    GRID_COLORS,
    GRID_COLUMNS,
    POINT_LAYERS,
    ROAD_STYLES,
    ZONE_COLORS,
    ThreatZonesLike,
    ZoneShape,
    add_context,
    add_grids,
    add_points,
    add_roads,
    add_zones,
    require_columns,
    to_wgs84,
    zone_shapes,
)

__all__ = ["MapParts", "area_map", "base_map", "finish_map", "save_map"]

logger = logging.getLogger(__name__)


def legend_item(color: str, text: str, shape: str = "box") -> str:
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
    return f"<div>{swatch}{esc(text)}</div>"


def _legend_html(
    title: str,
    roads: Sequence[str],
    zones: Sequence[ZoneShape],
    extra_html: str = "",
    *,
    context: Sequence[str] = (),
) -> str:
    """The legend: a fixed box below the zoom buttons (all text escaped; ``extra_html`` trusted)."""
    item = legend_item
    parts = [f'<div style="font-weight:bold;margin-bottom:4px">{esc(title)}</div>']
    for shape in reversed(zones):
        text = f"{shape.level} zone" + (f" ({shape.label})" if shape.label else "")
        parts.append(item(ZONE_COLORS[shape.level], text))
    parts.append(item(GRID_COLORS[True], "grid: evacuating"))
    parts.append(item(GRID_COLORS[False], "grid: not evacuating"))
    parts += [item(color, text, "dot") for text, color, _ in POINT_LAYERS.values()]
    parts += [item(ROAD_STYLES[cls][0], f"road: {cls}", "line") for cls in roads]
    for kind in context:
        color, _, dash, fill = CONTEXT_STYLES[kind]
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
    require_columns(area.roads, "roads", ["id"])
    require_columns(area.grids, "grids", GRID_COLUMNS)
    m = folium.Map(location=None, tiles=None, control_scale=True)
    if tiles:
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap (online)").add_to(m)
    roads = to_wgs84(area.roads, crs, "roads")
    grids = to_wgs84(area.grids, crs, "grids")
    frames = [roads, grids]
    context = getattr(area, "context", None)  # duck-typed areas may lack it
    kinds: list[str] = []
    if context is not None and len(context):
        require_columns(context, "context", ["id", "kind"])
        kinds = add_context(m, to_wgs84(context, crs, "context"))  # first: under the rest
    unknown = set(evacuating_grid_ids) - set(grids["id"].astype(str))
    if unknown:
        logger.warning("evacuating grid ids not in the area: %s", ", ".join(sorted(unknown)))
    ap_names = {
        str(i): str(n) for i, n in zip(area.assembly_points["id"], _names(area), strict=True)
    }
    add_grids(m, grids, frozenset(evacuating_grid_ids), ap_names)
    shapes = zone_shapes(zones, zone_labels)
    if shapes:
        add_zones(m, shapes, getattr(zones, "crs", None) or crs)
    road_classes = add_roads(m, roads) if len(roads) else []
    for layer in POINT_LAYERS:
        gdf = getattr(area, layer, None)
        if gdf is not None and len(gdf):
            require_columns(gdf, layer, ["id"])
            points = to_wgs84(gdf, crs, layer)
            add_points(m, points, layer, extra_rows=facility_rows, extra_html=facility_html)
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
        Trusted HTML (built by evacsim, user text escaped with ``esc``) appended to the legend
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


def _names(area: Any) -> list[object]:
    """Assembly point names (ids when the layer has no name column)."""
    aps = area.assembly_points
    return list(aps["name"]) if "name" in aps.columns else list(aps["id"])


def save_map(m: folium.Map, path: str | os.PathLike[str]) -> Path:
    """Save a map as one self-contained HTML page (assets inlined, written atomically).

    Raises
    ------
    evacsim.maps._offline.OfflineAssetError
        When folium asks for a JavaScript/CSS asset that evacsim has not vendored (a bug).
    """
    return save_offline(m, path)
