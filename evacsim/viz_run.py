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

Everything that comes from map data is escaped with :func:`evacsim.viz._esc`. Geometries are in
the network's projected metric CRS and converted to EPSG:4326 for the page.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType, SimpleNamespace
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import box

from evacsim import viz_anim
from evacsim.errors import NoRouteError
from evacsim.routing import path_edges, route_tree
from evacsim.transport import recorded_bus_leg
from evacsim.viz import (
    _BIND_DETAILS,
    _collection,
    _esc,
    _legend_item,
    _minutes,
    _popup_html,
    _to_wgs84,
    base_map,
    finish_map,
    save_map,
)
from evacsim.viz_anim import (
    KINDS,
    MAX_AGENTS,
    MAX_FRAMES,
    RUN_CSS,
    EvacueeAnimation,
    TimeSliderLayer,
)
from evacsim.viz_teams import add_team_layers

__all__ = [
    "MAX_AGENTS",
    "MAX_FRAMES",
    "EvacueeAnimation",
    "arrivals_svg",
    "assembly_point_map",
    "bus_route_edges",
    "congestion_color",
    "evacuee_animation",
    "grid_routes",
    "run_map",
    "write_run_maps",
]

logger = logging.getLogger(__name__)

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


# ----------------------------------------------------------------------------------- routes
def bus_route_edges(run: Any, assembly_point: str, shelter: str) -> np.ndarray:
    """Edges of the bus leg from an assembly point to a shelter: the route a bus actually drove
    (:func:`evacsim.transport.recorded_bus_leg`), else the fastest free-flow driving route
    (roads closed by the scenario avoided). Returns an empty array when there is no route.
    """
    recorded = recorded_bus_leg(run.results, assembly_point, shelter)
    if recorded is not None:
        return recorded
    prep = run.prepared
    net, snapped = prep.network, prep.snapped
    ap_ids = [str(i) for i in snapped.assembly_points.ids]
    s_ids = [str(i) for i in snapped.shelters.ids]
    if assembly_point not in ap_ids or shelter not in s_ids:
        return np.zeros(0, dtype=np.int32)
    origin = int(snapped.assembly_points.car_node[ap_ids.index(assembly_point)])
    dest = int(snapped.shelters.car_node[s_ids.index(shelter)])
    closed = np.isin(net.edge_road_id, list(prep.scenario.simulation.closed_roads))
    tree = route_tree(net, [dest], weight_s=net.travel_time_s, usable=net.drivable & ~closed)
    try:
        return path_edges(tree, origin)
    except NoRouteError:
        logger.warning("no driving route from %s to %s for the map", assembly_point, shelter)
        return np.zeros(0, dtype=np.int32)


def _bus_routes(run: Any) -> dict[tuple[str, str], np.ndarray]:
    """Bus route edges of every (assembly point, shelter) pair of the bus trips and riders."""
    res = run.results
    pairs = set(zip(res.vehicles["from"].astype(str), res.vehicles["to"].astype(str), strict=True))
    g = res.groups
    bus = g[(g["mode"] != "car") & (g["shelter"].astype(str) != "")]
    pairs |= set(zip(bus["assembly_point"].astype(str), bus["shelter"].astype(str), strict=True))
    return {pair: bus_route_edges(run, *pair) for pair in sorted(pairs)}


def _legs(results: Any) -> pd.DataFrame:
    """Paths joined with their groups, each row tagged with its leg (assembly / shelter)."""
    cols = ["group_id", "grid_id", "assembly_point", "t_assembly_s"]
    df = results.paths.merge(results.groups[cols], on="group_id", how="inner")
    after = df["t_assembly_s"].notna() & (df["t_exit_s"] > df["t_assembly_s"] + 1e-6)
    return df.assign(leg=np.where(after, "shelter", "assembly"))


def grid_routes(
    run: Any, *, bus_routes: Mapping[tuple[str, str], np.ndarray] | None = None
) -> gpd.GeoDataFrame:
    """Each grid's route to its assembly point (leg ``assembly``) and on to its shelter(s).

    The ``shelter`` leg joins the car paths driven on from the assembly point and the bus routes
    (see :func:`bus_route_edges`) of the grid's groups that went by bus.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``grid_id``, ``leg``, ``assembly_point``, ``shelters`` (``;``-joined), ``persons``,
        ``groups``, ``modes`` (``mode: persons``), ``t_first_s``, ``t_last_s`` (arrival at the
        leg's end), geometry a (Multi)LineString of the edges used, in the network's CRS.
    """
    res, net = run.results, run.prepared.network
    bus_routes = _bus_routes(run) if bus_routes is None else bus_routes
    legs = _legs(res)
    edges: dict[tuple[str, str], set[int]] = {}
    for (grid, leg), df in legs.groupby(["grid_id", "leg"], sort=True):
        edges[(str(grid), str(leg))] = set(df["edge"].astype(int))
    g = res.groups
    by_bus = g[(g["mode"] != "car") & (g["shelter"].astype(str) != "")]
    for row in by_bus.itertuples(index=False):
        route = bus_routes.get((str(row.assembly_point), str(row.shelter)), ())
        edges.setdefault((str(row.grid_id), "shelter"), set()).update(int(e) for e in route)
    rows = []
    for (grid, leg), used in sorted(edges.items()):
        if not used:
            continue
        mine = g[g["grid_id"] == grid]
        if leg == "shelter":
            mine = mine[mine["shelter"].astype(str) != ""]
        times = mine["t_assembly_s" if leg == "assembly" else "t_shelter_s"].to_numpy(float)
        modes = mine.groupby("mode", sort=True)["persons"].sum()
        geoms = list(net.edge_geometry[sorted(used)])
        rows.append(
            {
                "grid_id": grid,
                "leg": leg,
                "assembly_point": ";".join(sorted(set(mine["assembly_point"].astype(str)))),
                "shelters": ";".join(sorted(set(mine["shelter"].astype(str)) - {""})),
                "persons": int(mine["persons"].sum()),
                "groups": len(mine),
                "modes": ", ".join(f"{m}: {int(p)}" for m, p in modes.items()),
                "t_first_s": float(np.nanmin(times)) if np.isfinite(times).any() else np.nan,
                "t_last_s": float(np.nanmax(times)) if np.isfinite(times).any() else np.nan,
                "geometry": shapely.line_merge(shapely.multilinestrings(geoms)),
            }
        )
    columns = ["grid_id", "leg", "assembly_point", "shelters", "persons", "groups", "modes"]
    columns += ["t_first_s", "t_last_s", "geometry"]
    return gpd.GeoDataFrame(rows, columns=columns, geometry="geometry", crs=net.crs)


def _ap_colors(run: Any) -> dict[str, str]:
    """A colour per assembly point id, in the layer's order."""
    ids = run.prepared.area.assembly_points["id"].astype(str)
    return {ap: _AP_COLORS[k % len(_AP_COLORS)] for k, ap in enumerate(ids)}


def _add_routes(
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
    wgs = _to_wgs84(routes, routes.crs, "routes")
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
                ("First arrival (h:mm)", _minutes(row.t_first_s)),
                ("Last arrival (h:mm)", _minutes(row.t_last_s)),
            ]
            title = f"Grid {row.grid_id}: " + ("to " + ap if leg == "assembly" else "to shelter")
            props.append(
                {
                    "color": colors.get(ap, "#495057"),
                    "popup_html": _popup_html(title, rows),
                    "tooltip_html": _esc(title),
                }
            )
        dash = _LEGS[leg]
        folium.GeoJson(
            _collection(part.geometry, props),
            name=label,
            style_function=lambda f, dash=dash: {
                "color": f["properties"]["color"],
                "weight": weight,
                "opacity": opacity,
                "dashArray": dash,
            },
            on_each_feature=_BIND_DETAILS,
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
    wgs = _to_wgs84(frame, frame.crs, "links")
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
                "popup_html": _popup_html(name, rows),
                "tooltip_html": _esc(name),
            }
        )
    folium.GeoJson(
        _collection(wgs.geometry, props),
        name="Congestion",
        style_function=lambda f: {
            "color": f["properties"]["color"],
            "weight": f["properties"]["weight"],
            "opacity": 0.9,
        },
        on_each_feature=_BIND_DETAILS,
    ).add_to(m)


def evacuee_animation(
    run: Any, *, max_agents: int = MAX_AGENTS, max_frames: int = MAX_FRAMES
) -> EvacueeAnimation:
    """The run's moving evacuees and buses (see :func:`evacsim.viz_anim.evacuee_animation`)."""
    return viz_anim.evacuee_animation(
        run, bus_routes=_bus_routes(run), max_agents=max_agents, max_frames=max_frames
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
            ("Peak at (h:mm)", _minutes(t_peak) or None),
            ("Refused", row.refused),
            ("Redirected", row.redirected),
            ("At the end", row.final),
        ]
    return out


def _evacuating(run: Any) -> frozenset[str]:
    per_grid = run.results.extra.get("per_grid")
    if per_grid is None or not len(per_grid):
        return frozenset(run.results.groups["grid_id"].astype(str))
    return frozenset(per_grid.loc[per_grid["persons_evacuating"] > 0, "grid_id"].astype(str))


def _names_of(gdf: gpd.GeoDataFrame) -> dict[str, str]:
    names = gdf["name"] if "name" in gdf.columns else gdf["id"]
    return {str(i): str(n) for i, n in zip(gdf["id"], names, strict=True)}


@dataclass(frozen=True, eq=False)
class _RunLayers:
    """What the run map and the assembly point maps share (computed once per run)."""

    routes: gpd.GeoDataFrame
    congestion: gpd.GeoDataFrame
    facility_rows: dict[str, list[tuple[str, object]]]
    colors: dict[str, str]
    ap_names: dict[str, str]


def _run_layers(run: Any) -> _RunLayers:
    area = run.prepared.area
    return _RunLayers(
        routes=grid_routes(run, bus_routes=_bus_routes(run)),
        congestion=_congestion_frame(run),
        facility_rows=_facility_rows(run.results),
        colors=_ap_colors(run),
        ap_names=_names_of(area.assembly_points),
    )


def _routes_legend(layers: _RunLayers, ap_ids: Sequence[str]) -> str:
    """Legend rows of the routes: one colour per assembly point, dashed beyond it."""
    item = _legend_item
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
    _layers: _RunLayers | None = None,
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
        Save it with :func:`evacsim.viz.save_map`.
    """
    prep, res = run.prepared, run.results
    layers = _run_layers(run) if _layers is None else _layers
    parts = base_map(
        prep.area,
        zones=prep.zones,
        evacuating_grid_ids=_evacuating(run),
        tiles=tiles,
        facility_rows=layers.facility_rows,
    )
    routes = _add_routes(parts.map, layers.routes, layers.colors, layers.ap_names, band=True)
    _add_congestion(parts.map, layers.congestion)
    anim = evacuee_animation(run, max_agents=max_agents, max_frames=max_frames)
    TimeSliderLayer(anim.to_json(), name="Evacuees (time slider)").add_to(parts.map)
    add_team_layers(parts.map, run)
    used = sorted(set(res.groups["assembly_point"].astype(str)) & set(layers.colors))
    legend = _congestion_legend() + _routes_legend(layers, used) + _evacuee_legend(anim)
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
    rows = [_legend_item(color, label, "line") for _, color, label in _CONGESTION]
    return '<div style="font-weight:bold;margin-top:6px">Congestion</div>' + "".join(rows)


def _evacuee_legend(anim: EvacueeAnimation) -> str:
    parts = ['<div style="font-weight:bold;margin-top:6px">Evacuees (time slider)</div>']
    parts += [_legend_item(color, name, "dot") for name, color, _ in KINDS]
    per = "1 dot = 1 household"
    if anim.groups_drawn < anim.groups_total:
        per = (
            f"1 dot ≈ {anim.persons_per_dot:.1f} persons ({anim.groups_drawn} of "
            f"{anim.groups_total} households)"
        )
    parts.append(f"<div>{_esc(per)}; every {anim.step_s / 60:g} min</div>")
    return "".join(parts)


# ------------------------------------------------------------------- assembly point maps
def _resample(t: np.ndarray, y: np.ndarray, t_max: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """A step series (values ``y`` from times ``t``, sorted) cut to ``n`` bins of [0, t_max].

    Each bin keeps the highest value in force during it, so a short peak is not lost.
    """
    if t.size <= n:
        return t, y
    ends = np.linspace(0.0, t_max, n + 1)[1:]
    pos = np.searchsorted(t, ends, side="right")  # changes up to each bin's end
    start = np.r_[0, pos[:-1]]
    before = np.where(start > 0, y[np.maximum(start - 1, 0)], 0.0)  # in force at the bin start
    peak = before.copy()
    has = pos > start
    peak[has] = np.maximum(before[has], np.maximum.reduceat(y, start[has]))
    return ends, peak


def arrivals_svg(
    t_s: Sequence[float] | np.ndarray,
    persons: Sequence[int] | np.ndarray,
    *,
    occupancy: pd.DataFrame | None = None,
    width_px: int = 320,
    height_px: int = 150,
) -> str:
    """An inline SVG step chart of cumulative arrivals (and occupancy) over time.

    Parameters
    ----------
    t_s, persons
        Arrival times (s since the incident) and persons arriving then.
    occupancy
        ``t_s``, ``persons`` rows (occupancy after each change), drawn in grey.

    Returns
    -------
    str
        ``<svg class="evacsim-chart">`` with numbers only (no user text).
    """
    t = np.asarray(t_s, dtype=float)
    p = np.asarray(persons, dtype=float)
    ok = np.isfinite(t)
    order = np.argsort(t[ok], kind="stable")
    t, cum = t[ok][order], np.cumsum(p[ok][order])
    occ_t = np.zeros(0) if occupancy is None else occupancy["t_s"].to_numpy(float)
    occ_p = np.zeros(0) if occupancy is None else occupancy["persons"].to_numpy(float)
    t_max = max(float(np.max(t, initial=0.0)), float(np.max(occ_t, initial=0.0)), 60.0)
    y_max = max(float(cum[-1]) if cum.size else 0.0, float(np.max(occ_p, initial=0.0)), 1.0)
    total = int(cum[-1]) if cum.size else 0
    t, cum = _resample(t, cum, t_max, width_px)
    occ_t, occ_p = _resample(occ_t, occ_p, t_max, width_px)
    left, bottom, right, top = 40, height_px - 22, width_px - 8, 16

    def pts(x: np.ndarray, y: np.ndarray) -> str:
        # a step function: (0, 0), (x0, 0), (x0, y0), (x1, y0), (x1, y1), ..., (t_max, y_last)
        xs = left + (right - left) * np.r_[0.0, np.repeat(x, 2), t_max] / t_max
        ys = bottom - (bottom - top) * np.r_[0.0, 0.0, np.repeat(y, 2)] / y_max
        if not y.size:
            xs, ys = xs[[0, -1]], np.array([bottom, bottom], dtype=float)
        return " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(xs, ys, strict=True))

    lines = [
        f'<svg class="evacsim-chart" xmlns="http://www.w3.org/2000/svg" width="{width_px}" '
        f'height="{height_px}" viewBox="0 0 {width_px} {height_px}" font-size="10">',
        f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#333"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="#333"/>',
        f'<text x="{left}" y="{height_px - 6}">0</text>',
        f'<text x="{right}" y="{height_px - 6}" text-anchor="end">{_minutes(t_max)} h:mm</text>',
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end">{round(y_max)}</text>',
        f'<text x="{left + 6}" y="{top - 4}">arrived: {total} persons (grey: present)</text>',
    ]
    if occ_t.size:
        lines.append(f'<polyline fill="none" stroke="#999" points="{pts(occ_t, occ_p)}"/>')
    lines.append(
        f'<polyline class="evacsim-arrivals" fill="none" stroke="#1c7ed6" stroke-width="2" '
        f'points="{pts(t, cum)}"/>'
    )
    return "".join(lines) + "</svg>"


def _ap_grid_ids(run: Any, ap: str) -> list[str]:
    """Grids whose groups went to ``ap``; else the grids assigned to it in the plan."""
    g = run.results.groups
    ids = set(g.loc[g["assembly_point"].astype(str) == ap, "grid_id"].astype(str))
    if not ids:
        grids = run.prepared.area.grids
        ids = set(grids.loc[grids["assembly_point"].astype(str) == ap, "id"].astype(str))
    return sorted(ids)


def _ap_panel(run: Any, ap: str, name: str, chart: str) -> str:
    """The assembly point's panel: title, arrivals chart and a table of its grids."""
    g = run.results.groups
    mine = g[g["assembly_point"].astype(str) == ap]
    rows = []
    for grid, df in mine.groupby("grid_id", sort=True):
        t = df["t_assembly_s"].to_numpy(float)
        first = _minutes(float(np.nanmin(t))) if np.isfinite(t).any() else "–"
        last = _minutes(float(np.nanmax(t))) if np.isfinite(t).any() else "–"
        rows.append(
            f"<tr><th>{_esc(grid)}</th><td>{int(df['persons'].sum())}</td>"
            f"<td>{_esc(first)}</td><td>{_esc(last)}</td></tr>"
        )
    table = (
        "<table><tr><th>grid</th><th>persons</th><th>first</th><th>last</th></tr>"
        + "".join(rows)
        + "</table>"
    )
    return (
        f'<div class="evacsim-panel"><b>{_esc(ap)} {_esc(name)}: arrivals</b><br>{chart}'
        f"{table}</div>"
    )


def assembly_point_map(
    run: Any, assembly_point: str, *, _layers: _RunLayers | None = None
) -> folium.Map:
    """A map for one assembly point's drill coordinator, laid out to print on A4 landscape.

    Shows the grids it receives, their routes to it and on to the shelters, the shelters its
    people went to, the threat zones, the roads around, and the timeline of its arrivals (an SVG
    chart in the point's popup and in a panel, with a table of its grids).

    Raises
    ------
    KeyError
        When ``assembly_point`` is not an id in the area's assembly points.
    """
    prep, res = run.prepared, run.results
    area = prep.area
    if assembly_point not in set(area.assembly_points["id"].astype(str)):
        raise KeyError(f"assembly point {assembly_point!r} is not in the area")
    layers = _run_layers(run) if _layers is None else _layers
    g = res.groups[res.groups["assembly_point"].astype(str) == assembly_point]
    grid_ids = _ap_grid_ids(run, assembly_point)
    shelters = set(g["shelter"].astype(str)) - {""}
    routes = layers.routes[layers.routes["grid_id"].isin(grid_ids)]
    mine = [assembly_point in str(a).split(";") for a in routes["assembly_point"]]
    routes = routes[np.asarray(mine, dtype=bool)]
    occ = res.occupancy[res.occupancy["facility_id"].astype(str) == assembly_point]
    chart = arrivals_svg(g["t_assembly_s"], g["persons"], occupancy=occ)
    sub = _ap_area(area, assembly_point, grid_ids, shelters, routes)
    parts = base_map(
        sub,
        zones=prep.zones,
        evacuating_grid_ids=_evacuating(run) & set(grid_ids),
        facility_rows=layers.facility_rows,
        facility_html={assembly_point: chart},
    )
    wgs_routes = _add_routes(parts.map, routes, layers.colors, layers.ap_names)
    name = layers.ap_names.get(assembly_point, "")
    figure = parts.map.get_root()
    assert isinstance(figure, folium.Figure)
    figure.header.add_child(folium.Element(RUN_CSS), name="evacsim_run_css")
    focus = [
        _to_wgs84(f, area.crs, "focus") for f in (sub.assembly_points, sub.grids, sub.shelters)
    ]
    focus.append(wgs_routes)
    return finish_map(
        parts,
        title=f"{prep.scenario.name} · {assembly_point} {name}",
        extra_legend_html=_routes_legend(layers, [assembly_point]),
        fit_frames=focus,
        extra_html=_ap_panel(run, assembly_point, name, chart),
    )


def _ap_area(
    area: Any, ap: str, grid_ids: Sequence[str], shelters: set[str], routes: gpd.GeoDataFrame
) -> SimpleNamespace:
    """The area cut down to one assembly point: its grids and shelters, roads nearby."""
    aps = area.assembly_points[area.assembly_points["id"].astype(str) == ap]
    grids = area.grids[area.grids["id"].astype(str).isin(grid_ids)]
    shel = area.shelters[area.shelters["id"].astype(str).isin(shelters)]
    geoms = [*aps.geometry, *grids.geometry, *shel.geometry, *routes.geometry]
    near = {k: getattr(area, k) for k in ("roads", "hazard_sources", "supply_points", "team_bases")}
    if geoms:
        bounds = shapely.bounds(shapely.GeometryCollection(geoms))
        frame = box(*bounds).buffer(300.0)  # 300 m of context around what the map is about
        near = {k: v[v.intersects(frame)] for k, v in near.items()}
    return SimpleNamespace(
        name=getattr(area, "name", "evacsim"), crs=area.crs, grids=grids,
        assembly_points=aps, shelters=shel, **near,
    )  # fmt: skip


def _file_id(feature_id: str) -> str:
    """A file-name-safe form of a feature id (other characters become ``_``)."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", feature_id)


def write_run_maps(run: Any, folder: Path) -> dict[str, Path]:
    """Write the run map and one map per assembly point into ``folder``.

    Returns
    -------
    dict
        ``{"map": folder/map.html, "ap:<id>": folder/ap_<id>.html, ...}``, one ``ap:`` entry per
        assembly point of the area (ids made file-name safe in the file name only).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    layers = _run_layers(run)
    out = {"map": save_map(run_map(run, _layers=layers), folder / "map.html")}
    for ap in run.prepared.area.assembly_points["id"].astype(str):
        path = folder / f"ap_{_file_id(ap)}.html"
        out[f"ap:{ap}"] = save_map(assembly_point_map(run, ap, _layers=layers), path)
    return out
