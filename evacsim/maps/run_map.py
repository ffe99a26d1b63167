"""Maps of a finished run: the run map, one map per assembly point, and their animation.

The run map (``map.html``) opens on what matters: the threat zones, each grid's route to its
assembly point and on to its shelter, the facilities with capacity and peak occupancy, the
stranded people (a number at each place, with where and why in its popup) and labels; its
title box holds the run's headline, each line linking to the report's section. Grids, roads
coloured by congestion, evacuees moving over time under a time slider, team routes, supply runs,
supply points and team bases are in the layer list, off at first. Each assembly point that
receives people gets its own map (``ap_<id>.html``): the grids it receives, their routes, and
the timeline of its arrivals, laid out to print on A4 or A3 (no PNG is written).

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
import shapely

from evacsim.display.clock import Clock, run_clock
from evacsim.display.format import esc, number
from evacsim.display.headline import headline_items, stranded_groups
from evacsim.display.i18n import N_, Translator, run_lang, translator
from evacsim.display.labels import MODE_LABELS, label, modes_text
from evacsim.maps import animation as viz_anim
from evacsim.maps.animation import (
    KINDS,
    MAX_AGENTS,
    MAX_FRAMES,
    RUN_CSS,
    EvacueeAnimation,
    TimeSliderLayer,
)
from evacsim.maps.base import base_map, finish_map, legend_heading, legend_item
from evacsim.maps.layers import (
    BIND_DETAILS,
    MAX_MAP_GRIDS,
    feature_collection,
    popup_html,
    to_wgs84,
)
from evacsim.maps.teams import add_team_layers
from evacsim.maps.ui import safe_json
from evacsim.maps.warning_layer import add_warning_layer
from evacsim.results.headline import Headline, headline
from evacsim.results.routes import all_bus_routes, grid_routes

__all__ = ["congestion_color", "evacuee_animation", "run_map"]


# Route colours per assembly point: blues, purples, pinks, browns (apart from the congestion scale)
_AP_COLORS: tuple[str, ...] = ("#1f78b4", "#6a3d9a", "#e7298a", "#8c510a", "#01665e", "#c51b7d")

_AP_COLORS += ("#7570b3", "#543005", "#35978f", "#b15928")

#: Congestion classes: (upper bound of seconds with a queue, exclusive; colour; label). Blue to
#: red (ColorBrewer RdYlBu, ordered by lightness: told apart with colour-deficient vision too).
_CONGESTION = (
    (1e-9, "#4575b4", N_("no queue")),
    (60.0, "#91bfdb", N_("queue < 1 min")),
    (300.0, "#fee090", N_("queue 1–5 min")),
    (900.0, "#fc8d59", N_("queue 5–15 min")),
    (math.inf, "#d73027", N_("queue ≥ 15 min")),
)

#: Layers of the run map that are drawn but off when the page opens (besides the base map's
#: hidden ones and the team and supply layers of :mod:`evacsim.maps.teams`).
_OFF = frozenset({"congestion", "evacuees"})

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
    tr: Translator,
    clock: Clock,
    *,
    band: bool = False,
) -> gpd.GeoDataFrame:
    """Draw the routes as two layers (to assembly points; on to shelters); return them in 4326.

    ``band`` draws wide translucent bands, to sit under the congestion lines.
    """
    weight, opacity = (9, 0.4) if band else (4, 0.85)
    many = routes["grid_id"].nunique() > MAX_MAP_GRIDS
    wgs = to_wgs84(_routes_per_assembly_point(routes) if many else routes, routes.crs, "routes")
    for leg, layer_name in (
        ("assembly", tr.gettext("Routes to assembly points")),
        ("shelter", tr.gettext("Routes to shelters")),
    ):
        part = wgs[wgs["leg"] == leg]
        props = []
        for row in part.itertuples(index=False):
            ap = str(row.assembly_point).split(";")[0]
            rows = [
                (tr.gettext("Assembly point"), f"{row.assembly_point} ({names.get(ap, '')})"),
                (tr.gettext("Shelters"), row.shelters or None),
                (tr.gettext("Persons"), row.persons),
                (tr.gettext("Groups"), row.groups),
                (tr.gettext("By mode"), modes_text(row.modes, tr)),
                (tr.gettext("First arrival"), clock.label(row.t_first_s)),
                (tr.gettext("Last arrival"), clock.label(row.t_last_s)),
            ]
            title = (tr("Grid {grid} to {ap}", grid=row.grid_id, ap=ap) if leg == "assembly"
                     else tr("Grid {grid} on to a shelter", grid=row.grid_id))  # fmt: skip
            if many:  # one feature per assembly point: its grids' routes together
                rows.insert(0, (tr.gettext("Grids"), row.grid_id))
                title = f"{ap} ({names.get(ap, '')})"
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
            name=layer_name,
            style_function=lambda f, dash=dash: {
                "color": f["properties"]["color"],
                "weight": weight,
                "opacity": opacity,
                "dashArray": dash,
            },
            on_each_feature=BIND_DETAILS,
        ).add_to(m)
    return wgs


def _routes_per_assembly_point(routes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The grids' routes merged per leg and assembly point (above :data:`MAX_MAP_GRIDS` grids):
    the roads they use together, their persons, groups and modes added up, first and last
    arrivals; ``grid_id`` holds how many grids. Thousands of overlapping routes look like their
    union on a screen, and the page stays the same size whatever the number of grids."""
    rows = []
    for (leg, ap), part in routes.groupby(["leg", "assembly_point"], sort=True):
        modes: dict[str, int] = {}
        for text in part["modes"]:
            for item in str(text or "").split(", "):
                mode, _, n = item.partition(": ")
                if mode:
                    modes[mode] = modes.get(mode, 0) + int(n)
        shelters = sorted({s for text in part["shelters"] for s in str(text).split(";") if s})
        rows.append({
            "grid_id": str(part["grid_id"].nunique()), "leg": leg, "assembly_point": ap,
            "shelters": ";".join(shelters), "persons": int(part["persons"].sum()),
            "groups": int(part["groups"].sum()),
            "modes": ", ".join(f"{m}: {n}" for m, n in sorted(modes.items())),
            "t_first_s": part["t_first_s"].min(), "t_last_s": part["t_last_s"].max(),
            "geometry": shapely.line_merge(shapely.union_all(part.geometry.values)),
        })  # fmt: skip
    return gpd.GeoDataFrame(rows, columns=list(routes.columns), geometry="geometry",
                            crs=routes.crs)  # fmt: skip


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


def _add_congestion(m: folium.Map, frame: gpd.GeoDataFrame, tr: Translator) -> None:
    """Draw the used links coloured by seconds with a queue, weighted by volume."""
    if not len(frame):
        return
    wgs = to_wgs84(frame, frame.crs, "links")
    volume = wgs[[c for c in wgs.columns if c.startswith("volume_")]].sum(axis=1).to_numpy(float)
    weight = 2.0 + 5.0 * np.sqrt(volume / max(volume.max(), 1.0))
    props = []
    for row, w in zip(wgs.itertuples(index=False), weight, strict=True):
        name = (
            row.name if isinstance(row.name, str) and row.name else tr("Road {id}", id=row.road_id)
        )
        rows = [
            (tr.gettext("Road id"), row.road_id),
            (tr.gettext("Cars through"), row.volume_car),
            (tr.gettext("Walkers through"), row.volume_walk + row.volume_assisted),
            (tr.gettext("Max queue (vehicles)"), row.max_queue_car),
            (tr.gettext("Max queue (walkers)"), row.max_queue_walk + row.max_queue_assisted),
            (tr.gettext("Time with a queue (min)"), round(row.congested_s / 60.0, 1)),
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
        name=tr.gettext("Congestion"),
        show="congestion" not in _OFF,
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
def _facility_rows(
    results: Any, tr: Translator, clock: Clock
) -> dict[str, list[tuple[str, object]]]:
    """Popup rows per facility id: arrivals, peak (and when), refused, redirected, at the end."""
    occ = results.occupancy
    out: dict[str, list[tuple[str, object]]] = {}
    for row in results.facilities.itertuples(index=False):
        mine = occ[(occ["facility_id"] == row.id) & (occ["persons"] >= row.peak)]
        t_peak = float(mine["t_s"].min()) if len(mine) and row.peak > 0 else math.nan
        out[str(row.id)] = [
            (tr.gettext("Arrivals (persons)"), row.arrivals),
            (tr.gettext("Peak occupancy (persons)"), row.peak),
            (tr.gettext("Peak at"), clock.label(t_peak) if row.peak > 0 else None),
            (tr.gettext("Refused"), row.refused),
            (tr.gettext("Redirected"), row.redirected),
            (tr.gettext("At the end"), row.final),
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
    lang: str
    tr: Translator
    clock: Clock
    headline: Headline


def run_layers(run: Any, lang: str | None = None) -> RunLayers:
    """Compute what the run's maps share, in ``lang`` (by default the run's language)."""
    area = run.prepared.area
    lang = run_lang(run, lang)
    tr, clock = translator(lang), run_clock(run, lang)
    return RunLayers(
        routes=grid_routes(run, bus_routes=all_bus_routes(run)),
        congestion=_congestion_frame(run),
        facility_rows=_facility_rows(run.results, tr, clock),
        colors=_ap_colors(run),
        ap_names=_names_of(area.assembly_points),
        lang=lang,
        tr=tr,
        clock=clock,
        headline=headline(run),
    )


def routes_legend(layers: RunLayers, ap_ids: Sequence[str]) -> str:
    """Legend rows of the routes: one colour per assembly point, dashed beyond it."""
    item, tr = legend_item, layers.tr
    parts = [legend_heading(tr.gettext("Routes"))]
    for ap in ap_ids:
        text = tr("to {ap} {name}", ap=ap, name=layers.ap_names.get(ap, ""))
        parts.append(item(layers.colors[ap], text, "line"))
    parts.append(item("#495057", tr.gettext("on to a shelter (bus legs as driven)"), "dash"))
    return "".join(parts)


def add_stranded(m: folium.Map, layers: RunLayers) -> None:
    """The stranded people: a number at each place, where and why in its popup (on at first)."""
    tr = layers.tr
    group = folium.FeatureGroup(name=tr.gettext("Stranded people"), show=True)
    for p in stranded_groups(layers.headline, tr):
        rows = [
            (tr.gettext("Persons"), p.persons),
            (tr.gettext("Where"), p.where),
            (tr.gettext("Why"), tr.gettext(", ").join(p.why)),
            (tr.gettext("From grids"), ", ".join(p.from_grids)),
        ]
        title = tr("{n} persons stranded", n=number(p.persons))
        icon = folium.DivIcon(
            html=f'<div class="evacsim-stranded">{esc(number(p.persons))}</div>',
            icon_size=(34, 18), icon_anchor=(17, 9), class_name="evacsim-stranded-icon",
        )  # fmt: skip
        folium.Marker(
            (p.lat, p.lon), icon=icon, tooltip=folium.Tooltip(esc(title)),
            popup=folium.Popup(popup_html(title, rows), max_width=360),
        ).add_to(group)  # fmt: skip
    group.add_to(m)


def headline_html(layers: RunLayers, report_href: str = "report.html") -> str:
    """The run map's title box body: the headline, each line linking to its report section."""
    items = headline_items(layers.headline, layers.tr, layers.clock, max_places=1)
    href = esc(report_href)
    lines = "".join(
        f'<li class="evacsim-{i.level}"><a href="{href}#{i.section}">{esc(i.text)}</a></li>'
        for i in items
    )
    start = layers.tr("alert at {start}", start=layers.clock.start_text())
    return f'<div class="evacsim-start">{esc(start)}</div><ul>{lines}</ul>'


def _slider_texts(anim: EvacueeAnimation, layers: RunLayers) -> str:
    tr, clock = layers.tr, layers.clock
    return safe_json(
        {
            "frames": [clock.label(anim.t0_s + k * anim.step_s) for k in range(anim.n_frames)],
            "moving": tr.gettext("{n} moving"),
            "play": tr.gettext("play"),
            "pause": tr.gettext("pause"),
        }
    )


def run_map(
    run: Any,
    *,
    tiles: bool = False,
    max_agents: int = MAX_AGENTS,
    max_frames: int = MAX_FRAMES,
    lang: str | None = None,
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
    lang
        ``"zh"`` or ``"en"``; by default the run's (:func:`evacsim.display.i18n.run_lang`).

    Returns
    -------
    folium.Map
        Save it with :func:`evacsim.maps.base.save_map`.
    """
    prep, res = run.prepared, run.results
    layers = run_layers(run, lang) if _layers is None else _layers
    tr = layers.tr
    parts = base_map(
        prep.area,
        zones=prep.zones,
        evacuating_grid_ids=evacuating_grids(run),
        tiles=tiles,
        facility_rows=layers.facility_rows,
        lang=layers.lang,
    )
    routes = add_routes(
        parts.map, layers.routes, layers.colors, layers.ap_names, tr, layers.clock, band=True
    )
    _add_congestion(parts.map, layers.congestion, tr)
    add_stranded(parts.map, layers)
    anim = evacuee_animation(run, max_agents=max_agents, max_frames=max_frames)
    TimeSliderLayer(
        anim.to_json(), _slider_texts(anim, layers), name=tr.gettext("Evacuees (time slider)"),
        show="evacuees" not in _OFF,
    ).add_to(parts.map)  # fmt: skip
    add_team_layers(parts.map, run, tr=tr, clock=layers.clock)
    warning_legend = add_warning_layer(parts.map, run, tr, layers.clock)  # chain runs only
    used = sorted(set(res.groups["assembly_point"].astype(str)) & set(layers.colors))
    legend = (
        routes_legend(layers, used) + _stranded_legend(tr) + _congestion_legend(tr)
        + _evacuee_legend(anim, tr) + warning_legend
    )  # fmt: skip
    figure = parts.map.get_root()
    assert isinstance(figure, folium.Figure)
    figure.header.add_child(folium.Element(RUN_CSS), name="evacsim_run_css")
    name = str(prep.scenario.name)
    return finish_map(
        parts,
        title=name,
        extra_legend_html=legend,
        fit_frames=[*parts.frames, routes],
        page_title=tr("{scenario} — run map", scenario=name),
        title_html=headline_html(layers),
    )


def _stranded_legend(tr: Translator) -> str:
    box = '<span class="evacsim-stranded" style="display:inline-block;margin-right:6px">12</span>'
    text = tr.gettext("stranded persons at a place")
    return f"<div>{box}{esc(text)}</div>"


def _congestion_legend(tr: Translator) -> str:
    rows = [legend_item(color, tr.gettext(text), "line") for _, color, text in _CONGESTION]
    return legend_heading(tr.gettext("Congestion")) + "".join(rows)


def _evacuee_legend(anim: EvacueeAnimation, tr: Translator) -> str:
    parts = [legend_heading(tr.gettext("Evacuees (time slider)"))]
    parts += [legend_item(color, label(MODE_LABELS, name, tr), "dot") for name, color, _ in KINDS]
    per = tr.gettext("1 dot = 1 household")
    if anim.groups_drawn < anim.groups_total:
        per = tr("1 dot ≈ {n} persons ({k} of {total} households)",
                 n=format(anim.persons_per_dot, ".1f"), k=anim.groups_drawn,
                 total=anim.groups_total)  # fmt: skip
    every = tr("every {m} min", m=format(anim.step_s / 60, "g"))
    parts.append(f"<div>{esc(per)}; {esc(every)}</div>")
    return "".join(parts)
