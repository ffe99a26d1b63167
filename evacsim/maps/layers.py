"""Map layers drawn on every page: roads, context, grids, threat zones, facility points, labels.

Everything that comes from map data is escaped with :func:`evacsim.display.format.esc`; every
text evacsim writes is translated (:mod:`evacsim.display.i18n`).

Roads are drawn in greys, darker and wider for main roads: the map's colours are kept for what
changes with the incident (threat zones red/orange/yellow, congestion blue to red, routes per
assembly point), and a grey cannot be mistaken for any of them, with normal or colour-deficient
vision (``tests/maps/test_palette.py`` checks the colour differences under simulated
protanopia, deuteranopia and tritanopia).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
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

from evacsim.display.format import cell_text, esc
from evacsim.display.i18n import N_, Translator
from evacsim.display.labels import LEVEL_LABELS, ROAD_LABELS, label, level_text
from evacsim.errors import AreaError, HazardError
from evacsim.maps.styles import ROAD_STYLES, road_class

__all__ = ["LEVELS", "ZoneShape", "facility_labels", "road_labels", "zone_shapes"]


#: Threat levels, innermost first (see evacsim.hazard).
LEVELS: tuple[str, ...] = ("red", "orange", "yellow")

ZONE_COLORS = MappingProxyType({"red": "#d7191c", "orange": "#fd8d3c", "yellow": "#fed330"})

#: Road classes whose names are labelled on the map (from zoom 15).
MAIN_ROADS = frozenset({"motorway", "trunk", "primary", "secondary", "tertiary"})

#: Names of the layers in the layer control (translated where shown).
LAYER_NAMES = MappingProxyType(
    {
        "context": N_("Context (rivers, railways)"),
        "roads": N_("Roads"),
        "grids": N_("Grids"),
        "zones": N_("Threat zones"),
        "labels": N_("Labels"),
    }
)

GRID_COLORS = MappingProxyType({True: "#1c7ed6", False: "#adb5bd"})

# context kind -> (stroke colour, weight in px, dash pattern, fill colour or None)
CONTEXT_STYLES = MappingProxyType(
    {
        "water": ("#74c0fc", 1.0, None, "#a5d8ff"),
        "railway": ("#343a40", 3.0, "8 5", None),
        "boundary": ("#7048e8", 1.5, "2 4", None),
        "other": ("#868e96", 1.5, None, None),
    }
)

# layer -> (label, colour, radius in px)
POINT_LAYERS = MappingProxyType(
    {
        "hazard_sources": (N_("Hazard sources"), "#343a40", 4),
        "assembly_points": (N_("Assembly points"), "#2b8a3e", 8),
        "shelters": (N_("Shelters"), "#1864ab", 8),
        "supply_points": (N_("Supply points"), "#862e9c", 7),
        "team_bases": (N_("Team bases"), "#e67700", 7),
    }
)

_SIMPLIFY_M = 1.0

_DECIMALS = 6

# Popups and tooltips come pre-escaped in each feature's properties; bind them as HTML.
BIND_DETAILS = JsCode(
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


def popup_html(title: object, rows: Iterable[tuple[str, object]]) -> str:
    """A small escaped HTML table: a bold title, then one row per (label, value)."""
    cells = "".join(
        f"<tr><th>{esc(label)}</th><td>{esc(text)}</td></tr>"
        for label, value in rows
        if (text := cell_text(value)) is not None
    )
    return f'<div class="evacsim-popup"><b>{esc(title)}</b><table>{cells}</table></div>'


def require_columns(gdf: gpd.GeoDataFrame, layer: str, columns: Sequence[str]) -> None:
    """Raise AreaError naming the layer and the first missing column."""
    for col in columns:
        if col not in gdf.columns:
            raise AreaError(f"layer '{layer}': field '{col}' is missing (needed to draw the map)")


def to_wgs84(gdf: gpd.GeoDataFrame, crs: Any, layer: str) -> gpd.GeoDataFrame:
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


def feature_collection(
    geoms: Iterable[BaseGeometry], props: Iterable[dict[str, Any]]
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection from geometries and their (already safe) properties.

    Features get short ids ("0", "1", ...): folium keys its per-feature styles on a unique
    identifier and would otherwise pick the first unique property (a whole popup).
    """
    geoms, props = list(geoms), list(props)
    if len(geoms) != len(props):
        raise ValueError("feature_collection: as many properties as geometries are needed")
    features = [
        {"type": "Feature", "id": str(k), "geometry": g, "properties": p}
        for k, (g, p) in enumerate(zip(_geojson_geometries(geoms), props, strict=True))
    ]
    return {"type": "FeatureCollection", "features": features}


_LINE_TYPES = {"LineString": 1, "MultiLineString": 5}


def _geojson_geometries(geoms: list[BaseGeometry]) -> list[dict[str, Any]]:
    """``shapely.geometry.mapping`` of each geometry, lines all at once: the same coordinates
    (as lists), without a Python loop over every vertex (a district's routes have hundreds of
    thousands)."""
    arr = np.asarray(geoms, dtype=object)
    types = shapely.get_type_id(arr) if len(arr) else np.zeros(0, int)
    lines = np.isin(types, list(_LINE_TYPES.values())) & ~shapely.is_empty(arr)
    lines &= ~shapely.has_z(arr)
    out: list[dict[str, Any]] = [
        {} if ok else mapping(g) for g, ok in zip(geoms, lines.tolist(), strict=True)
    ]
    if not lines.any():
        return out
    which = np.flatnonzero(lines)
    parts, owner = shapely.get_parts(arr[which], return_index=True)
    coords, part_of = shapely.get_coordinates(parts, return_index=True)
    cut = np.flatnonzero(np.diff(part_of)) + 1
    part_coords = [c.tolist() for c in np.split(coords, cut)] if len(coords) else []
    if len(part_coords) != len(parts):  # an empty part: each the slow way
        return [mapping(g) for g in geoms]
    of_geom: list[list[Any]] = [[] for _ in which]
    for k, c in zip(owner.tolist(), part_coords, strict=True):
        of_geom[k].append(c)
    for k, i in enumerate(which.tolist()):
        if types[i] == _LINE_TYPES["LineString"]:
            out[i] = {"type": "LineString", "coordinates": of_geom[k][0]}
        else:
            out[i] = {"type": "MultiLineString", "coordinates": of_geom[k]}
    return out


def _road_style(feature: dict[str, Any]) -> dict[str, Any]:
    """Leaflet path style of a road feature, by class."""
    color, weight, dash = ROAD_STYLES[feature["properties"]["road_class"]]
    return {"color": color, "weight": weight, "opacity": 0.9, "dashArray": dash}


def roads_layer(roads: gpd.GeoDataFrame, tr: Translator) -> tuple[dict[str, Any], list[str]]:
    """The roads' GeoJSON (EPSG:4326 frame; popups and tooltips in ``tr``'s language) and the
    classes drawn, in legend order: what :func:`add_roads` draws (every page of a run draws the
    same, so :mod:`evacsim.maps.base` makes it once per area and language)."""
    props = []
    for row in roads.itertuples(index=False):
        cls = road_class(getattr(row, "highway", "other"))
        rows = [
            (tr.gettext("Id"), row.id),
            (tr.gettext("Class"), label(ROAD_LABELS, cls, tr)),
            (tr.gettext("Lanes"), getattr(row, "lanes", None)),
            (tr.gettext("Speed (km/h)"), getattr(row, "speed_kph", None)),
            (tr.gettext("One way"), _yes_no(getattr(row, "oneway", None), tr)),
        ]
        name = getattr(row, "name", None)
        title = name if isinstance(name, str) and name else tr("Road {id}", id=row.id)
        props.append(
            {"road_class": cls, "popup_html": popup_html(title, rows), "tooltip_html": esc(title)}
        )
    classes = sorted({p["road_class"] for p in props}, key=list(ROAD_STYLES).index)
    return feature_collection(roads.geometry, props), classes


def add_roads(
    m: folium.Map,
    roads: gpd.GeoDataFrame,
    tr: Translator,
    *,
    layer: tuple[dict[str, Any], list[str]] | None = None,
) -> list[str]:
    """Draw the roads as one GeoJson layer styled by class; return the classes drawn.

    ``layer``: :func:`roads_layer` of these roads in this language, when already made (folium
    only reads it).
    """
    data, classes = roads_layer(roads, tr) if layer is None else layer
    folium.GeoJson(
        data,
        name=tr.gettext(LAYER_NAMES["roads"]),
        style_function=_road_style,
        on_each_feature=BIND_DETAILS,
    ).add_to(m)
    return list(classes)


def _context_style(feature: dict[str, Any]) -> dict[str, Any]:
    """Leaflet path style of a context feature, by kind (only water is filled)."""
    color, weight, dash, fill = CONTEXT_STYLES[feature["properties"]["kind"]]
    style = {"color": color, "weight": weight, "opacity": 0.9, "dashArray": dash}
    return style | {"fill": fill is not None, "fillColor": fill, "fillOpacity": 0.6}


# Context is scenery: a tooltip, no popup, and back to the bottom whenever it is shown again.
_BIND_CONTEXT = JsCode(
    """function (feature, layer) {
        layer.bindTooltip(feature.properties.tooltip_html, {sticky: true});
        layer.on('add', function () { layer.bringToBack(); });
    }"""
)


def add_context(m: folium.Map, context: gpd.GeoDataFrame, tr: Translator) -> list[str]:
    """Draw the context layer (rivers, railways, ...) under the rest; return the kinds drawn."""
    props = []
    for row in context.itertuples(index=False):
        kind = str(row.kind) if str(row.kind) in CONTEXT_STYLES else "other"
        name = getattr(row, "name", None)
        title = name if isinstance(name, str) and name else f"{kind} {row.id}"
        props.append({"kind": kind, "tooltip_html": esc(title)})
    folium.GeoJson(
        feature_collection(context.geometry, props),
        name=tr.gettext(LAYER_NAMES["context"]),
        style_function=_context_style,
        on_each_feature=_BIND_CONTEXT,
    ).add_to(m)
    return sorted({p["kind"] for p in props}, key=list(CONTEXT_STYLES).index)


def _grid_style(feature: dict[str, Any]) -> dict[str, Any]:
    """Leaflet path style of a grid, by whether it evacuates."""
    color = GRID_COLORS[bool(feature["properties"]["evacuating"])]
    return {"color": color, "weight": 1.5, "fillColor": color, "fillOpacity": 0.25}


#: Above this many grids the maps draw them merged per community (their popups add them up):
#: one polygon and popup per grid would make every page grow with the number of grids (20,000
#: small grids made a 39 MB run map), and nobody reads thousands of grid outlines on one screen.
MAX_MAP_GRIDS = 1000


def add_grids(
    m: folium.Map,
    grids: gpd.GeoDataFrame,
    evacuating: Collection[str],
    ap_names: Mapping[str, str],
    tr: Translator,
    *,
    show: bool = True,
) -> None:
    """Draw the grids coloured by whether they evacuate, with their details in a popup (merged
    per community above :data:`MAX_MAP_GRIDS` grids)."""
    if len(grids) > MAX_MAP_GRIDS:
        geoms, props = _community_features(grids, evacuating, tr)
    else:
        geoms, props = grids.geometry, _grid_props(grids, evacuating, ap_names, tr)
    folium.GeoJson(
        feature_collection(geoms, props),
        name=tr.gettext(LAYER_NAMES["grids"]),
        style_function=_grid_style,
        on_each_feature=BIND_DETAILS,
        show=show,
    ).add_to(m)


def _grid_props(
    grids: gpd.GeoDataFrame, evacuating: Collection[str], ap_names: Mapping[str, str],
    tr: Translator,
) -> list[dict[str, Any]]:  # fmt: skip
    props = []
    for row in grids.itertuples(index=False):
        gid = str(row.id)
        ap = str(row.assembly_point)
        ap_text = f"{ap} ({ap_names[ap]})" if ap in ap_names else ap
        rows = [
            (tr.gettext("Id"), gid),
            (tr.gettext("Town"), getattr(row, "town", None)),
            (tr.gettext("Community"), row.community),
            (tr.gettext("Group"), row.group),
            (tr.gettext("Population (day)"), row.population_day),
            (tr.gettext("Population (night)"), row.population_night),
            (tr.gettext("Needs assistance"), row.needs_assistance),
            (tr.gettext("Assembly point"), ap_text),
            (tr.gettext("Evacuating"), _yes_no(gid in evacuating, tr)),
        ]
        name = getattr(row, "name", None)
        title = tr("Grid {id}", id=gid) + (f" {name}" if isinstance(name, str) and name else "")
        props.append(
            {
                "evacuating": gid in evacuating,
                "popup_html": popup_html(title, rows),
                "tooltip_html": esc(title),
            }
        )
    return props


def _community_features(
    grids: gpd.GeoDataFrame, evacuating: Collection[str], tr: Translator
) -> tuple[list[BaseGeometry], list[dict[str, Any]]]:
    """One outline per community (its grids' union) with their totals; evacuating when any of
    its grids is (the popup says how many)."""
    leaving = grids["id"].astype(str).isin(set(evacuating))
    frame = pd.DataFrame(
        {
            "community": grids["community"].astype(str),
            "town": grids.get("town", ""),
            "day": grids["population_day"],
            "night": grids["population_night"],
            "help": grids["needs_assistance"],
            "leaving": leaving.astype(int),
        }
    ).reset_index(drop=True)  # positions, as in the geometry array below
    geoms, props = [], []
    for community, part in frame.groupby("community", sort=True):
        geoms.append(shapely.union_all(grids.geometry.values[part.index.to_numpy()]))
        rows = [
            (tr.gettext("Town"), part["town"].iloc[0] or None),
            (tr.gettext("Grids"), len(part)),
            (tr.gettext("Population (day)"), int(part["day"].sum())),
            (tr.gettext("Population (night)"), int(part["night"].sum())),
            (tr.gettext("Needs assistance"), int(part["help"].sum())),
            (tr.gettext("Evacuating"), f"{int(part['leaving'].sum())} / {len(part)}"),
        ]
        props.append({
            "evacuating": bool(part["leaving"].any()),
            "popup_html": popup_html(community, rows),
            "tooltip_html": esc(str(community)),
        })  # fmt: skip
    return geoms, props


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
    color = ZONE_COLORS[feature["properties"]["level"]]
    return {"color": color, "weight": 2, "fillColor": color, "fillOpacity": 0.2}


def add_zones(m: folium.Map, shapes: Sequence[ZoneShape], crs: Any, tr: Translator) -> None:
    """Draw the threat zones, yellow under orange under red, threshold in the popup."""
    gdf = gpd.GeoDataFrame(
        {"level": [s.level for s in shapes]}, geometry=[s.geometry for s in shapes], crs=crs
    )
    gdf = to_wgs84(gdf, crs, "threat zones")
    props = []
    for shape in shapes:
        title = tr("{level} zone", level=label(LEVEL_LABELS, shape.level, tr))
        rows = [(tr.gettext("Threshold"), level_text(shape.label, tr) if shape.label else None)]
        props.append(
            {"level": shape.level, "popup_html": popup_html(title, rows), "tooltip_html": title}
        )
    folium.GeoJson(
        feature_collection(gdf.geometry, props),
        name=tr.gettext(LAYER_NAMES["zones"]),
        style_function=_zone_style,
        on_each_feature=BIND_DETAILS,
    ).add_to(m)


def _point_rows(layer: str, row: Any, tr: Translator) -> list[tuple[str, object]]:
    """Popup rows of one facility, by layer."""
    _ = tr.gettext
    rows: list[tuple[str, object]] = [(_("Id"), row.id)]
    if layer in ("assembly_points", "shelters"):
        rows.append((_("Capacity (persons)"), getattr(row, "capacity_persons", None)))
        rows.append((_("Facilities"), getattr(row, "facilities", None)))
    elif layer == "supply_points":
        for col, text in (
            ("stock_water_l", _("Water (l)")),
            ("stock_food_rations", _("Food rations")),
            ("stock_blankets", _("Blankets")),
            ("stock_medical_kits", _("Medical kits")),
        ):
            rows.append((text, getattr(row, col, None)))
    elif layer == "team_bases":
        rows += [
            (_("Members"), getattr(row, "members", None)),
            (_("Vehicles"), getattr(row, "vehicles", None)),
            (_("Specialty"), getattr(row, "specialty", None)),
        ]
    else:
        rows += [
            (_("Category"), getattr(row, "category", None)),
            (_("Substance"), getattr(row, "substance", None)),
            (_("Capacity (m³)"), getattr(row, "capacity_m3", None)),
        ]
    return rows


def add_points(
    m: folium.Map,
    gdf: gpd.GeoDataFrame,
    layer: str,
    tr: Translator,
    *,
    extra_rows: Mapping[str, Sequence[tuple[str, object]]] | None = None,
    extra_html: Mapping[str, str] | None = None,
    show: bool = True,
) -> None:
    """Draw one point layer as CircleMarkers with an escaped popup and tooltip.

    ``extra_rows`` adds popup rows per feature id (escaped); ``extra_html`` appends trusted HTML
    (built by evacsim from numbers and escaped text, no backtick, ``$`` or backslash).
    """
    layer_name, color, radius = POINT_LAYERS[layer]
    group = folium.FeatureGroup(name=tr.gettext(layer_name), show=show)
    for row in gdf.itertuples(index=False):
        point = row.geometry.representative_point()
        name = getattr(row, "name", None)
        title = name if isinstance(name, str) and name else str(row.id)
        rows = _point_rows(layer, row, tr) + list((extra_rows or {}).get(str(row.id), ()))
        popup = popup_html(title, rows) + (extra_html or {}).get(str(row.id), "")
        folium.CircleMarker(
            location=(point.y, point.x),
            radius=radius,
            color="#ffffff",
            weight=1.5,
            fill_color=color,
            fill_opacity=0.95,
            class_name=f"evacsim-{layer.replace('_', '-')}",
            popup=folium.Popup(popup, max_width=360),
            tooltip=folium.Tooltip(esc(title)),
        ).add_to(group)
    group.add_to(m)


GRID_COLUMNS: tuple[str, ...] = (
    "id",
    "community",
    "group",
    "population_day",
    "population_night",
    "needs_assistance",
    "assembly_point",
)


def _yes_no(value: object, tr: Translator) -> str | None:
    if value is None:
        return None
    return tr.gettext("yes") if bool(value) else tr.gettext("no")


def facility_labels(points: gpd.GeoDataFrame, kind: str = "facility") -> list[dict[str, Any]]:
    """Labels ``<id> <name>`` at facility points (EPSG:4326), for :class:`LabelLayer`."""
    out = []
    for row in points.itertuples(index=False):
        point = row.geometry.representative_point()
        name = getattr(row, "name", None)
        text = f"{row.id} {name}" if isinstance(name, str) and name else str(row.id)
        out.append({"lat": round(point.y, 6), "lon": round(point.x, 6), "text": text, "kind": kind})
    return out


#: A road's name is placed once on each merged stretch at least this long (m).
_LABEL_MIN_LENGTH_M = 250.0


def road_labels(roads: gpd.GeoDataFrame, crs: Any) -> list[dict[str, Any]]:
    """Labels of the main roads' names: one at the middle of each long stretch of a name.

    ``roads`` in the area's projected CRS ``crs`` (lengths in metres); positions in EPSG:4326.
    """
    if "name" not in roads.columns or "highway" not in roads.columns or not len(roads):
        return []
    main = roads[[road_class(h) in MAIN_ROADS for h in roads["highway"]]]
    main = main[main["name"].fillna("").astype(str).str.strip() != ""]
    if not len(main):
        return []
    main = main.set_crs(crs, allow_override=True) if main.crs is None else main
    rows = []
    for name, part in main.groupby(main["name"].astype(str).str.strip(), sort=True):
        merged = shapely.line_merge(shapely.union_all(part.geometry.to_numpy()))
        for line in getattr(merged, "geoms", [merged]):
            if line.length >= _LABEL_MIN_LENGTH_M:
                rows.append({"text": str(name), "geometry": line.interpolate(0.5, normalized=True)})
    if not rows:
        return []
    pts = gpd.GeoDataFrame(rows, geometry="geometry", crs=main.crs).to_crs(4326)
    return [
        {"lat": round(g.y, 6), "lon": round(g.x, 6), "text": t, "kind": "road"}
        for t, g in zip(pts["text"], pts.geometry, strict=True)
    ]
