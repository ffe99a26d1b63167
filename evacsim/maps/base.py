"""Offline Folium maps of an area: context, roads, grids, threat zones and facilities.

The map draws the road network itself as its base layer (no web tiles unless asked for), so a saved
page works with no network once :func:`save_map` has inlined Leaflet and its plugins (see
:mod:`evacsim.maps._offline`). The page around the map (title box, collapsible legend and layer
list, labels, north arrow, print options) is :mod:`evacsim.maps.ui`. Every string that comes
from map data (names, ids, labels) is HTML-escaped before it enters the page; backticks, ``$``
and backslashes are escaped too, because folium puts popup and tooltip HTML inside JavaScript
template literals.

Input layers are in the area's projected metric CRS (``area.crs``); geometries are simplified to
about 1 m there, then converted to EPSG:4326 and rounded to 6 decimals (~0.1 m) for the page.
"""

from __future__ import annotations

import logging
import os
import weakref
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import folium
import geopandas as gpd
import numpy as np
from shapely.geometry.base import BaseGeometry

from evacsim.display.format import esc
from evacsim.display.i18n import Translator, resolve_lang, translator
from evacsim.display.labels import CONTEXT_LABELS, LEVEL_LABELS, ROAD_LABELS, label, level_text
from evacsim.maps._offline import save_offline
from evacsim.maps.layers import (
    CONTEXT_STYLES,
    GRID_COLORS,
    GRID_COLUMNS,
    LAYER_NAMES,
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
    facility_labels,
    require_columns,
    road_labels,
    roads_layer,
    to_wgs84,
    zone_shapes,
)
from evacsim.maps.ui import LabelLayer, MapUI, page_css, print_html

#: Layers drawn but off when the page opens (the layer list turns them on).
HIDDEN_BY_DEFAULT = frozenset({"grids", "supply_points", "team_bases"})

#: Point layers whose features are labelled with id and name (from zoom 13).
_LABELLED = {"assembly_points": "facility", "shelters": "facility"}

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


def legend_heading(text: str) -> str:
    """A heading inside the legend (escaped text)."""
    return f'<div style="font-weight:bold;margin-top:6px">{esc(text)}</div>'


def _legend_html(
    title: str,
    roads: Sequence[str],
    zones: Sequence[ZoneShape],
    tr: Translator,
    extra_html: str = "",
    *,
    context: Sequence[str] = (),
) -> str:
    """The legend: a collapsible box (all text escaped; ``extra_html`` trusted)."""
    item = legend_item
    parts = []
    for shape in reversed(zones):
        text = tr("{level} zone", level=label(LEVEL_LABELS, shape.level, tr))
        text += f" ({level_text(shape.label, tr)})" if shape.label else ""
        parts.append(item(ZONE_COLORS[shape.level], text))
    parts.append(item(GRID_COLORS[True], tr.gettext("grid: evacuating")))
    parts.append(item(GRID_COLORS[False], tr.gettext("grid: not evacuating")))
    parts += [item(color, tr.gettext(text), "dot") for text, color, _ in POINT_LAYERS.values()]
    parts += [item(ROAD_STYLES[cls][0], label(ROAD_LABELS, cls, tr), "line") for cls in roads]
    for kind in context:
        color, _, dash, fill = CONTEXT_STYLES[kind]
        swatch = "box" if fill else ("dash" if dash else "line")
        parts.append(item(fill or color, label(CONTEXT_LABELS, kind, tr), swatch))
    legend = tr.gettext("Legend")
    return (
        '<div id="evacsim-legend" class="evacsim-legend evacsim-box">'
        f'<button type="button" class="evacsim-toggle">{esc(legend)}</button>'
        f'<div class="evacsim-body"><div class="evacsim-legend-title">{esc(title)}</div>'
        + "".join(parts)
        + extra_html
        + "</div></div>"
    )


def _bounds(frames: Iterable[gpd.GeoDataFrame]) -> list[list[float]]:
    """``[[south, west], [north, east]]`` of the layers (EPSG:4326); the world if none."""
    bounds = [f.total_bounds for f in frames if len(f)]
    if not bounds:
        return [[-60.0, -170.0], [75.0, 170.0]]
    arr = np.asarray(bounds, dtype=float)
    return [[float(arr[:, 1].min()), float(arr[:, 0].min())],
            [float(arr[:, 3].max()), float(arr[:, 2].max())]]  # fmt: skip


class MapParts(NamedTuple):
    """A map under construction: what :func:`finish_map` needs to add its legend and controls.

    ``frames`` are the layers drawn, in EPSG:4326 (for fitting the view; context is not among
    them); ``context_kinds`` the kinds of context feature drawn; ``labels`` the labels to show
    (:class:`evacsim.maps.ui.LabelLayer`); ``tr`` the page's language.
    """

    map: folium.Map
    road_classes: list[str]
    zones: list[ZoneShape]
    frames: list[gpd.GeoDataFrame]
    name: str
    tr: Translator
    context_kinds: tuple[str, ...] = ()
    labels: tuple[dict[str, Any], ...] = ()


# The area's layers in EPSG:4326 and its road labels, per area: every page of a run draws the
# same area, and reprojecting it was a third of each page's building.
_WGS84: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()


def _area_wgs84(area: Any, name: str, gdf: gpd.GeoDataFrame, crs: Any) -> gpd.GeoDataFrame:
    """``to_wgs84`` of one of the area's layers, computed once per area (a copy per call)."""
    try:
        cached = _WGS84.setdefault(area, {})
    except TypeError:  # an area-like object that cannot be weakly referenced
        return to_wgs84(gdf, crs, name)
    if name not in cached:
        cached[name] = to_wgs84(gdf, crs, name)
    out: gpd.GeoDataFrame = cached[name].copy()
    return out


def _area_roads_layer(
    area: Any, roads: gpd.GeoDataFrame, tr: Translator
) -> tuple[dict[str, Any], list[str]] | None:
    """:func:`~evacsim.maps.layers.roads_layer` of the area's roads (``roads``: them in EPSG:4326),
    made once per area and language; ``None`` where the area cannot be weakly referenced."""
    try:
        cached = _WGS84.setdefault(area, {})
    except TypeError:
        return None
    key = f"roads_layer:{tr.lang}"
    if key not in cached:
        cached[key] = roads_layer(roads, tr)
    layer: tuple[dict[str, Any], list[str]] = cached[key]
    return layer


def _area_road_labels(area: Any, crs: Any) -> list[dict[str, Any]]:
    try:
        cached = _WGS84.setdefault(area, {})
    except TypeError:
        return road_labels(area.roads, crs)
    if "road_labels" not in cached:
        cached["road_labels"] = road_labels(area.roads, crs)
    return list(cached["road_labels"])


def base_map(
    area: Any,
    *,
    zones: ThreatZonesLike | Mapping[str, BaseGeometry] | None = None,
    zone_labels: Mapping[str, str] | None = None,
    evacuating_grid_ids: Collection[str] = frozenset(),
    tiles: bool = False,
    facility_rows: Mapping[str, Sequence[tuple[str, object]]] | None = None,
    facility_html: Mapping[str, str] | None = None,
    lang: str | None = None,
    hidden: Collection[str] = HIDDEN_BY_DEFAULT,
) -> MapParts:
    """Draw an area's layers on a new map, without the layer control and legend.

    Add more layers to ``parts.map``, then call :func:`finish_map`. Parameters as in
    :func:`area_map`; ``facility_rows`` adds popup rows per facility id (escaped) and
    ``facility_html`` appends trusted HTML (charts built by evacsim) to those popups;
    ``hidden`` names the layers (``grids``, ``supply_points``...) drawn but off at first.

    Raises
    ------
    AreaError
        When a layer lacks a column the map needs or has no CRS.
    """
    crs = getattr(area, "crs", None)
    tr = translator(resolve_lang(lang, (getattr(area, "meta", None) or {}).get("lang")))
    require_columns(area.roads, "roads", ["id"])
    require_columns(area.grids, "grids", GRID_COLUMNS)
    m = folium.Map(location=None, tiles=None, control_scale=True)
    if tiles:
        folium.TileLayer("OpenStreetMap", name=tr.gettext("OpenStreetMap (online)")).add_to(m)
    roads = _area_wgs84(area, "roads", area.roads, crs)
    grids = _area_wgs84(area, "grids", area.grids, crs)
    frames = [roads, grids]
    context = getattr(area, "context", None)  # duck-typed areas may lack it
    kinds: list[str] = []
    if context is not None and len(context):
        require_columns(context, "context", ["id", "kind"])
        kinds = add_context(m, _area_wgs84(area, "context", context, crs), tr)  # under the rest
    unknown = set(evacuating_grid_ids) - set(grids["id"].astype(str))
    if unknown:
        logger.warning("evacuating grid ids not in the area: %s", ", ".join(sorted(unknown)))
    ap_names = {
        str(i): str(n) for i, n in zip(area.assembly_points["id"], _names(area), strict=True)
    }
    add_grids(m, grids, frozenset(evacuating_grid_ids), ap_names, tr, show="grids" not in hidden)
    shapes = zone_shapes(zones, zone_labels)
    if shapes:
        add_zones(m, shapes, getattr(zones, "crs", None) or crs, tr)
    road_classes = (
        add_roads(m, roads, tr, layer=_area_roads_layer(area, roads, tr)) if len(roads) else []
    )
    labels = _area_road_labels(area, crs) if len(roads) else []
    for layer in POINT_LAYERS:
        gdf = getattr(area, layer, None)
        if gdf is not None and len(gdf):
            require_columns(gdf, layer, ["id"])
            points = _area_wgs84(area, layer, gdf, crs)
            add_points(m, points, layer, tr, extra_rows=facility_rows, extra_html=facility_html,
                       show=layer not in hidden)  # fmt: skip
            frames.append(points)
            if layer in _LABELLED:
                labels += facility_labels(points, _LABELLED[layer])
    name = getattr(area, "name", None) or "evacsim"
    return MapParts(m, road_classes, shapes, frames, str(name), tr, tuple(kinds), tuple(labels))


def title_box(title: str, body_html: str = "") -> str:
    """The title box: the page's title (escaped) and, collapsible, trusted ``body_html``."""
    body = f'<div class="evacsim-body">{body_html}</div>' if body_html else ""
    return (
        '<div id="evacsim-title" class="evacsim-title evacsim-box">'
        f'<button type="button" class="evacsim-toggle">{esc(title)}</button>{body}</div>'
    )


def finish_map(
    parts: MapParts,
    *,
    title: str | None = None,
    extra_legend_html: str = "",
    fit_frames: Sequence[gpd.GeoDataFrame] | None = None,
    extra_html: str = "",
    page_title: str | None = None,
    title_html: str = "",
) -> folium.Map:
    """Add the labels, the layer control (last, so it sees every layer), the page's CSS, title
    box, legend and print options, and the script that fits the view and runs them.

    Parameters
    ----------
    parts
        From :func:`base_map`, with any layers added since.
    title
        The title box's title; by default the area's name.
    extra_legend_html, extra_html, title_html
        Trusted HTML (built by evacsim, user text escaped with ``esc``) appended to the legend,
        to the page body and to the title box (which collapses on small screens).
    fit_frames
        Layers (EPSG:4326) to fit the view to; by default every layer :func:`base_map` drew.
    page_title
        The page's ``<title>``; by default the title.
    """
    m, tr = parts.map, parts.tr
    title = parts.name if title is None else title
    if parts.labels:
        LabelLayer(parts.labels, name=tr.gettext(LAYER_NAMES["labels"])).add_to(m)
    control = folium.LayerControl(collapsed=False)
    control.add_to(m)
    figure = m.get_root()
    assert isinstance(figure, folium.Figure)  # folium.Map always sits in a Figure
    figure.title = esc(page_title or title)
    figure.header.add_child(folium.Element(page_css()), name="evacsim_css")
    figure.html.add_child(folium.Element(title_box(title, title_html)))
    legend = _legend_html(
        parts.name, parts.road_classes, parts.zones, tr, extra_legend_html,
        context=parts.context_kinds,
    )  # fmt: skip
    figure.html.add_child(folium.Element(legend))
    figure.html.add_child(folium.Element(print_html(tr)))
    if extra_html:
        figure.html.add_child(folium.Element(extra_html))
    bounds = _bounds(parts.frames if fit_frames is None else fit_frames)
    MapUI(control, bounds, tr).add_to(m)
    return m


def area_map(
    area: Any,
    *,
    zones: ThreatZonesLike | Mapping[str, BaseGeometry] | None = None,
    zone_labels: Mapping[str, str] | None = None,
    evacuating_grid_ids: Collection[str] = frozenset(),
    title: str | None = None,
    tiles: bool = False,
    lang: str | None = None,
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
        The title; by default ``area.name`` or ``"evacsim"``.
    tiles
        Add the OpenStreetMap tile layer (needs the network when viewed). Off by default: the
        roads are the base layer.
    lang
        ``"zh"`` or ``"en"``; by default the area's ``area.toml`` ``lang``, else English.

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
        lang=lang,
        hidden=frozenset(),
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
