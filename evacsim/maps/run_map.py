"""Maps of a finished run: the run map, one map per assembly point, and their animation.

The run map (``map.html``) shows the threat zones by level, the roads coloured by congestion, each
grid's route to its assembly point and on to its shelter, the facilities with capacity and peak
occupancy, supply points and team bases, a legend, a layer control, and evacuees moving over
time under a time slider. Each assembly point gets its own map (``ap_<id>.html``): the grids it
receives, their routes, and the timeline of its arrivals, laid out to print on one A4 landscape
page (a ``@media print`` stylesheet; no PNG is written).

Moving evacuees are *sampled*: at most ``max_agents`` groups (systematic sampling weighted by
persons, so each dot stands for about the same number of persons) and ``max_frames`` time steps;
positions are interpolated along each edge's geometry between the group's entry and exit times
(``Results.paths``), held at the end of an edge while the group waits for the next one. They are
encoded as integer steps of 1e-5 degree (about 1 m), delta-coded per agent, and drawn by a small
inline script (a Leaflet control with a range input): no plugin, no network.

Bus legs are drawn along the route a bus actually drove (``Results.extra["bus_paths"]``), or,
for a leg no bus drove from the assembly point itself, along the fastest free-flow driving route
(roads the scenario closes excluded).

Everything that comes from map data is escaped with :func:`evacsim.display.format.esc`.
Geometries are in the network's projected metric CRS and converted to EPSG:4326 for the page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from evacsim.display.format import esc, hmm
from evacsim.maps import animation as viz_anim
from evacsim.maps.animation import (
    KINDS,
    MAX_AGENTS,
    MAX_FRAMES,
    RUN_CSS,
    EvacueeAnimation,
    TimeSliderLayer,
)
from evacsim.maps.base import base_map, finish_map, legend_item
from evacsim.maps.layers import BIND_DETAILS, feature_collection, popup_html, to_wgs84
from evacsim.maps.teams import add_team_layers
from evacsim.maps.warning_layer import add_warning_layer
from evacsim.results.routes import all_bus_routes, grid_routes

__all__ = ["congestion_color", "evacuee_animation", "run_map"]


# Route colours per assembly point: blues, purples, pinks, browns (apart from the congestion scale)
_AP_COLORS: tuple[str, ...] = ("#1f78b4", "#6a3d9a", "#e7298a", "#8c510a", "#01665e", "#c51b7d")

_AP_COLORS += ("#7570b3", "#543005", "#35978f", "#b15928")

#: Congestion classes: (upper bound of seconds with a queue, exclusive; colour; label).
_CONGESTION = (
    (1e-9, "#1a9850", "no queue"),
    (60.0, "#a6d96a", "queue < 1 min"),
    (300.0, "#fee08b", "queue 1–5 min"),
    (900.0, "#fc8d59", "queue 5–15 min"),
    (math.inf, "#d73027", "queue ≥ 15 min"),
)

_LEGS = MappingProxyType({"assembly": None, "shelter": "6 5"})  # dash pattern per leg


def congestion_color(congested_s: float) -> str:
    """Colour of a link by the seconds it had a queue (classes in the run map's legend)."""
    for upper, color, _ in _CONGESTION:
        if congested_s < upper:
            return color
    return _CONGESTION[-1][1]


def _ap_colors(run: Any) -> dict[str, str]:
    """A colour per assembly point id, in the layer's order."""
    ids = run.prepared.area.assembly_points["id"].astype(str)
    return {ap: _AP_COLORS[k % len(_AP_COLORS)] for k, ap in enumerate(ids)}


def add_routes(
    m: folium.Map,
    routes: gpd.GeoDataFrame,
    colors: Mapping[str, str],
    names: Mapping[str, str],
    *,
    band: bool = False,
) -> gpd.GeoDataFrame:
    """Draw the routes as two layers (to assembly points; on to shelters); return them in 4326.

    ``band`` draws wide translucent bands, to sit under the congestion lines.
    """
    weight, opacity = (9, 0.4) if band else (4, 0.85)
    wgs = to_wgs84(routes, routes.crs, "routes")
    for leg, label in (
        ("assembly", "Routes to assembly points"),
        ("shelter", "Routes to shelters"),
    ):
        part = wgs[wgs["leg"] == leg]
        props = []
        for row in part.itertuples(index=False):
            ap = str(row.assembly_point).split(";")[0]
            rows = [
                ("Assembly point", f"{row.assembly_point} ({names.get(ap, '')})"),
                ("Shelters", row.shelters or None),
                ("Persons", row.persons),
                ("Groups", row.groups),
                ("By mode", row.modes),
                ("First arrival (h:mm)", hmm(row.t_first_s)),
                ("Last arrival (h:mm)", hmm(row.t_last_s)),
            ]
            title = f"Grid {row.grid_id}: " + ("to " + ap if leg == "assembly" else "to shelter")
            props.append(
                {
                    "color": colors.get(ap, "#495057"),
                    "popup_html": popup_html(title, rows),
                    "tooltip_html": esc(title),
                }
            )
        dash = _LEGS[leg]
        folium.GeoJson(
            feature_collection(part.geometry, props),
            name=label,
            style_function=lambda f, dash=dash: {
                "color": f["properties"]["color"],
                "weight": weight,
                "opacity": opacity,
                "dashArray": dash,
            },
            on_each_feature=BIND_DETAILS,
        ).add_to(m)
    return wgs


# ------------------------------------------------------------------------------- congestion
def _congestion_frame(run: Any) -> gpd.GeoDataFrame:
    """One row per used edge: volumes per mode, max queue, seconds with a queue; network CRS."""
    links, net = run.results.links, run.prepared.network
    if not len(links):
        return gpd.GeoDataFrame({"edge": []}, geometry=[], crs=net.crs)
    wide = links.pivot_table(
        index="edge", columns="mode", values=["volume", "max_queue"], aggfunc="sum", fill_value=0
    )
    out = pd.DataFrame(index=wide.index)
    for mode in ("car", "walk", "assisted"):
        for col in ("volume", "max_queue"):
            key = (col, mode)
            out[f"{col}_{mode}"] = wide[key].astype(int) if key in wide.columns else 0
    out["congested_s"] = links.groupby("edge")["congested_s"].max()
    out = out.reset_index().sort_values(["congested_s", "edge"], kind="stable")  # worst on top
    edges = out["edge"].to_numpy(int)
    out["road_id"] = net.edge_road_id[edges]
    out["name"] = net.edge_name[edges]
    return gpd.GeoDataFrame(out, geometry=list(net.edge_geometry[edges]), crs=net.crs)


def _add_congestion(m: folium.Map, frame: gpd.GeoDataFrame) -> None:
    """Draw the used links coloured by seconds with a queue, weighted by volume."""
    if not len(frame):
        return
    wgs = to_wgs84(frame, frame.crs, "links")
    volume = wgs[[c for c in wgs.columns if c.startswith("volume_")]].sum(axis=1).to_numpy(float)
    weight = 2.0 + 5.0 * np.sqrt(volume / max(volume.max(), 1.0))
    props = []
    for row, w in zip(wgs.itertuples(index=False), weight, strict=True):
        name = row.name if isinstance(row.name, str) and row.name else f"Road {row.road_id}"
        rows = [
            ("Road id", row.road_id),
            ("Cars through", row.volume_car),
            ("Walkers through", row.volume_walk + row.volume_assisted),
            ("Max queue (vehicles)", row.max_queue_car),
            ("Max queue (walkers)", row.max_queue_walk + row.max_queue_assisted),
            ("Time with a queue (min)", round(row.congested_s / 60.0, 1)),
        ]
        props.append(
            {
                "color": congestion_color(row.congested_s),
                "weight": round(float(w), 1),
                "popup_html": popup_html(name, rows),
                "tooltip_html": esc(name),
            }
        )
    folium.GeoJson(
        feature_collection(wgs.geometry, props),
        name="Congestion",
        style_function=lambda f: {
            "color": f["properties"]["color"],
            "weight": f["properties"]["weight"],
            "opacity": 0.9,
        },
        on_each_feature=BIND_DETAILS,
    ).add_to(m)


def evacuee_animation(
    run: Any, *, max_agents: int = MAX_AGENTS, max_frames: int = MAX_FRAMES
) -> EvacueeAnimation:
    """The run's moving evacuees and buses (:func:`evacsim.maps.animation.evacuee_animation`)."""
    return viz_anim.evacuee_animation(
        run, bus_routes=all_bus_routes(run), max_agents=max_agents, max_frames=max_frames
    )


# ----------------------------------------------------------------------------- facilities
def _facility_rows(results: Any) -> dict[str, list[tuple[str, object]]]:
    """Popup rows per facility id: arrivals, peak (and when), refused, redirected, at the end."""
    occ = results.occupancy
    out: dict[str, list[tuple[str, object]]] = {}
    for row in results.facilities.itertuples(index=False):
        mine = occ[(occ["facility_id"] == row.id) & (occ["persons"] >= row.peak)]
        t_peak = float(mine["t_s"].min()) if len(mine) and row.peak > 0 else math.nan
        out[str(row.id)] = [
            ("Arrivals (persons)", row.arrivals),
            ("Peak occupancy (persons)", row.peak),
            ("Peak at (h:mm)", hmm(t_peak) or None),
            ("Refused", row.refused),
            ("Redirected", row.redirected),
            ("At the end", row.final),
        ]
    return out


def evacuating_grids(run: Any) -> frozenset[str]:
    per_grid = run.results.extra.get("per_grid")
    if per_grid is None or not len(per_grid):
        return frozenset(run.results.groups["grid_id"].astype(str))
    return frozenset(per_grid.loc[per_grid["persons_evacuating"] > 0, "grid_id"].astype(str))


def _names_of(gdf: gpd.GeoDataFrame) -> dict[str, str]:
    names = gdf["name"] if "name" in gdf.columns else gdf["id"]
    return {str(i): str(n) for i, n in zip(gdf["id"], names, strict=True)}


@dataclass(frozen=True, eq=False)
class RunLayers:
    """What the run map and the assembly point maps share (computed once per run)."""

    routes: gpd.GeoDataFrame
    congestion: gpd.GeoDataFrame
    facility_rows: dict[str, list[tuple[str, object]]]
    colors: dict[str, str]
    ap_names: dict[str, str]


def run_layers(run: Any) -> RunLayers:
    area = run.prepared.area
    return RunLayers(
        routes=grid_routes(run, bus_routes=all_bus_routes(run)),
        congestion=_congestion_frame(run),
        facility_rows=_facility_rows(run.results),
        colors=_ap_colors(run),
        ap_names=_names_of(area.assembly_points),
    )


def routes_legend(layers: RunLayers, ap_ids: Sequence[str]) -> str:
    """Legend rows of the routes: one colour per assembly point, dashed beyond it."""
    item = legend_item
    parts = ['<div style="font-weight:bold;margin-top:6px">Routes</div>']
    for ap in ap_ids:
        parts.append(item(layers.colors[ap], f"to {ap} {layers.ap_names.get(ap, '')}", "line"))
    parts.append(item("#495057", "on to a shelter (bus legs as driven)", "dash"))
    return "".join(parts)


def run_map(
    run: Any,
    *,
    tiles: bool = False,
    max_agents: int = MAX_AGENTS,
    max_frames: int = MAX_FRAMES,
    _layers: RunLayers | None = None,
) -> folium.Map:
    """The map of a finished run (see the module docstring for what it shows).

    Parameters
    ----------
    run
        An :class:`evacsim.pipeline.Run` (duck-typed: ``prepared`` and ``results``).
    tiles
        Add the OpenStreetMap tile layer (needs the network); off by default.
    max_agents, max_frames
        Caps of the moving evacuees (see :func:`evacuee_animation`).

    Returns
    -------
    folium.Map
        Save it with :func:`evacsim.maps.base.save_map`.
    """
    prep, res = run.prepared, run.results
    layers = run_layers(run) if _layers is None else _layers
    parts = base_map(
        prep.area,
        zones=prep.zones,
        evacuating_grid_ids=evacuating_grids(run),
        tiles=tiles,
        facility_rows=layers.facility_rows,
    )
    routes = add_routes(parts.map, layers.routes, layers.colors, layers.ap_names, band=True)
    _add_congestion(parts.map, layers.congestion)
    anim = evacuee_animation(run, max_agents=max_agents, max_frames=max_frames)
    TimeSliderLayer(anim.to_json(), name="Evacuees (time slider)").add_to(parts.map)
    add_team_layers(parts.map, run)
    warning_legend = add_warning_layer(parts.map, run)  # warning-chain runs only
    used = sorted(set(res.groups["assembly_point"].astype(str)) & set(layers.colors))
    legend = _congestion_legend() + routes_legend(layers, used) + _evacuee_legend(anim)
    legend += warning_legend
    figure = parts.map.get_root()
    assert isinstance(figure, folium.Figure)
    figure.header.add_child(folium.Element(RUN_CSS), name="evacsim_run_css")
    return finish_map(
        parts,
        title=str(prep.scenario.name),
        extra_legend_html=legend,
        fit_frames=[*parts.frames, routes],
    )


def _congestion_legend() -> str:
    rows = [legend_item(color, label, "line") for _, color, label in _CONGESTION]
    return '<div style="font-weight:bold;margin-top:6px">Congestion</div>' + "".join(rows)


def _evacuee_legend(anim: EvacueeAnimation) -> str:
    parts = ['<div style="font-weight:bold;margin-top:6px">Evacuees (time slider)</div>']
    parts += [legend_item(color, name, "dot") for name, color, _ in KINDS]
    per = "1 dot = 1 household"
    if anim.groups_drawn < anim.groups_total:
        per = (
            f"1 dot ≈ {anim.persons_per_dot:.1f} persons ({anim.groups_drawn} of "
            f"{anim.groups_total} households)"
        )
    parts.append(f"<div>{esc(per)}; every {anim.step_s / 60:g} min</div>")
    return "".join(parts)
