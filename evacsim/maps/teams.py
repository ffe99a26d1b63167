"""Map layers of emergency teams and supply runs, for the run map (:mod:`evacsim.maps.run_map`).

``add_team_layers(m, run)`` adds two toggleable layers to a folium map, off at first: **Team
routes** (every team vehicle's route per task, one colour per team, a marker at each post with
its staffing time) and **Supply runs** (every truck run from a supply point to a shelter). Above
:data:`MAX_ROUTE_LINES` routes in a layer (a district's door-to-door rounds), each team's (each
truck's) routes are drawn as one line of the roads it drove, so the page keeps a readable size;
the drill sheets list every task.
Geometries are EPSG:4326; popups are escaped; times are clock times with T+ beside them. Only
core folium classes are used, so the map stays offline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import folium
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from evacsim.display.clock import Clock, run_clock
from evacsim.display.format import esc
from evacsim.display.i18n import Translator, run_lang, translator
from evacsim.display.labels import ITEM_LABELS, TASK_LABELS, label
from evacsim.maps.styles import TEAM_COLOURS
from evacsim.results.records import records
from evacsim.results.teams import task_routes
from evacsim.results.tracks import path_vertices
from evacsim.scenario.supplies import ITEMS

if TYPE_CHECKING:
    from evacsim.network.graph import RoadNetwork
    from evacsim.pipeline import Run

__all__ = ["MAX_ROUTE_LINES", "add_team_layers"]

_SUPPLY_COLOUR = "#7B3294"

#: Most routes a layer draws one by one; above it, one merged line per team (per truck).
MAX_ROUTE_LINES = 300


def _road_lines(net: RoadNetwork, edges: np.ndarray) -> list[list[tuple[float, float]]]:
    """The roads of ``edges``, each once whatever the direction driven, joined where they meet,
    as (lat, lon) parts rounded to 6 decimals (0.1 m)."""
    geoms = shapely.normalize(net.edge_geometry[np.unique(edges)])
    unique = geoms[np.unique(shapely.to_wkb(geoms), return_index=True)[1]]
    merged = shapely.line_merge(shapely.multilinestrings(list(unique)))
    to_wgs = Transformer.from_crs(net.crs, "EPSG:4326", always_xy=True)
    parts = []
    for g in getattr(merged, "geoms", [merged]):
        xy = shapely.get_coordinates(g)
        lon, lat = to_wgs.transform(xy[:, 0], xy[:, 1])
        parts.append(np.column_stack([np.round(lat, 6), np.round(lon, 6)]).tolist())
    return parts


def _polyline(locations: list[Any], **options: Any) -> folium.PolyLine:
    """``folium.PolyLine(locations, **options)`` for locations evacsim computed: ``[lat, lon]``
    lists of finite floats (or parts of them). folium checks and copies every point in Python,
    which was most of the team layers' drawing; here they are checked at once, and the page is
    the same."""
    flat = np.asarray([p for part in locations for p in part] if _parts(locations) else locations)
    if flat.size and not np.isfinite(flat).all():
        raise ValueError("a route has a missing or infinite coordinate")
    line = folium.PolyLine([[0.0, 0.0], [0.0, 0.0]], **options)
    line.locations = locations
    return line


def _parts(locations: list[Any]) -> bool:
    """Whether ``locations`` is a list of lines (not of points)."""
    return bool(locations) and isinstance(locations[0][0], list | tuple)


def _popup(title: str, rows: list[tuple[str, object]]) -> folium.Popup:
    body = "".join(f"<tr><th>{esc(k)}</th><td>{esc(str(v))}</td></tr>" for k, v in rows)
    return folium.Popup(f"<b>{esc(title)}</b><table>{body}</table>", max_width=320)


def _add_team_routes(m: folium.Map, run: Run, tr: Translator, clock: Clock) -> None:
    tasks: pd.DataFrame = run.results.extra.get("teams", pd.DataFrame())
    info: pd.DataFrame = run.results.extra.get("team_info", pd.DataFrame())
    group = folium.FeatureGroup(name=tr.gettext("Team routes"), show=False)
    colour = {t: TEAM_COLOURS[i % len(TEAM_COLOURS)] for i, t in enumerate(info.get("team", []))}
    paths: pd.DataFrame = run.results.extra.get("team_paths", pd.DataFrame())
    if len(paths) and paths.groupby(["vehicle", "task"]).ngroups > MAX_ROUTE_LINES:
        _add_merged_team_routes(group, paths, run.prepared.network, colour, tr)
        routes = pd.DataFrame()
    else:
        routes = task_routes(run.results, run.prepared.network)
    for r in records(routes):
        task = tasks.loc[r["task"]]
        text = f"{r['vehicle']}: {label(TASK_LABELS, task['task'], tr)} {task['target']}"
        _polyline(
            shapely.get_coordinates(r["geometry"])[:, ::-1].tolist(),
            color=colour.get(r["team"], "#333"),
            weight=3, opacity=0.8, tooltip=esc(text),
            popup=_popup(text, [(tr.gettext("leaves"), clock.label(task["t_depart_s"])),
                                (tr.gettext("on site"), clock.label(task["t_start_s"])),
                                (tr.gettext("finished"), clock.label(task["t_finish_s"])),
                                (tr.gettext("roads"), r["roads"])]),
        ).add_to(group)  # fmt: skip
    net = run.prepared.network
    to_wgs = Transformer.from_crs(net.crs, "EPSG:4326", always_xy=True)
    posts = tasks[tasks["task"] != "door_to_door"] if len(tasks) else tasks
    for p in records(posts):
        lon, lat = to_wgs.transform(net.node_x_m[int(p["node"])], net.node_y_m[int(p["node"])])
        text = f"{label(TASK_LABELS, p['task'], tr)} {p['target']} ({p['team']})"
        folium.CircleMarker(
            (lat, lon), radius=6, color=colour.get(p["team"], "#333"), fill=True,
            fill_opacity=0.9, tooltip=esc(text),
            popup=_popup(text, [(tr.gettext("vehicle"), p["vehicle"]),
                                (tr.gettext("staffed"), clock.label(p["t_start_s"])),
                                (tr.gettext("status"), p["status"])]),
        ).add_to(group)  # fmt: skip
    group.add_to(m)


def _add_supply_runs(m: folium.Map, run: Run, tr: Translator, clock: Clock) -> None:
    runs: pd.DataFrame = run.results.extra.get("supplies", pd.DataFrame())
    paths: pd.DataFrame = run.results.extra.get("supply_paths", pd.DataFrame())
    group = folium.FeatureGroup(name=tr.gettext("Supply runs"), show=False)
    net = run.prepared.network
    if len(paths) and paths["run"].nunique() > MAX_ROUTE_LINES:
        _add_merged_supply_runs(group, runs, paths, net, tr)
    else:
        _add_each_supply_run(group, runs, paths, net, tr, clock)
    group.add_to(m)


def _add_each_supply_run(
    group: folium.FeatureGroup, runs: pd.DataFrame, paths: pd.DataFrame, net: RoadNetwork,
    tr: Translator, clock: Clock,
) -> None:  # fmt: skip
    if not len(paths):
        return
    to_wgs = Transformer.from_crs(net.crs, "EPSG:4326", always_xy=True)
    legs = paths.sort_values(["run", "t_enter_s"], kind="stable")  # each run's legs in order
    run_of = legs["run"].to_numpy()
    starts = np.flatnonzero(np.r_[True, run_of[1:] != run_of[:-1]])
    ends = np.append(starts[1:], len(legs)).tolist()
    edges = legs["edge"].to_numpy(np.int64)
    for a, b in zip(starts.tolist(), ends, strict=True):
        r = runs.loc[int(str(run_of[a]))]
        coords = path_vertices(net, edges[a:b])
        lon, lat = to_wgs.transform(coords[:, 0], coords[:, 1])
        text = f"{r['truck']} → {r['shelter']}"
        load: list[tuple[str, object]] = [(label(ITEM_LABELS, i, tr), r[i]) for i in ITEMS]
        _polyline(
            np.column_stack([lat, lon]).tolist(), color=_SUPPLY_COLOUR, weight=2, opacity=0.7,
            dash_array="6 4", tooltip=esc(text),
            popup=_popup(text, [(tr.gettext("leaves"), clock.label(r["t_depart_s"])),
                                (tr.gettext("arrives"), clock.label(r["t_arrive_s"])), *load]),
        ).add_to(group)  # fmt: skip


def _add_merged_team_routes(
    group: folium.FeatureGroup, paths: pd.DataFrame, net: RoadNetwork, colour: dict[str, str],
    tr: Translator,
) -> None:  # fmt: skip
    """One line per team: the roads of all its tasks, each once."""
    for team, legs in paths.groupby("team", sort=True):
        n = legs.groupby(["vehicle", "task"]).ngroups
        text = tr("{team}: {n} tasks (every task on its drill sheet)", team=team, n=n)
        lines = _road_lines(net, legs["edge"].to_numpy(np.int64))
        _polyline(lines, color=colour.get(str(team), "#333"), weight=3, opacity=0.8,
                  tooltip=esc(text)).add_to(group)  # fmt: skip


def _add_merged_supply_runs(
    group: folium.FeatureGroup, runs: pd.DataFrame, paths: pd.DataFrame, net: RoadNetwork,
    tr: Translator,
) -> None:  # fmt: skip
    """One line per truck: the roads of all its runs, each once."""
    truck_of = runs["truck"].astype(str)
    trucks = truck_of.reindex(paths["run"].astype(int).to_numpy()).to_numpy()
    for truck in sorted(set(trucks)):
        lines = _road_lines(net, paths["edge"].to_numpy(np.int64)[trucks == truck])
        text = tr("{truck}: {n} runs", truck=truck, n=int((truck_of == truck).sum()))
        _polyline(lines, color=_SUPPLY_COLOUR, weight=2, opacity=0.7,
                  dash_array="6 4", tooltip=esc(text)).add_to(group)  # fmt: skip


def add_team_layers(
    m: folium.Map, run: Run, *, tr: Translator | None = None, clock: Clock | None = None
) -> None:
    """Add the "Team routes" and "Supply runs" layers of a finished run to ``m``.

    Parameters
    ----------
    m
        A folium map (EPSG:4326 display); a layer control, if any, should be added after.
    run
        A finished :class:`evacsim.pipeline.Run`; a run without teams or supplies adds empty
        layers.
    tr, clock
        The page's language and the run's clock (by default the run's).
    """
    lang = run_lang(run) if tr is None else tr.lang
    tr = tr or translator(lang)
    clock = clock or run_clock(run, lang)
    _add_team_routes(m, run, tr, clock)
    _add_supply_runs(m, run, tr, clock)
