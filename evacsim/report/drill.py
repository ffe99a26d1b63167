"""Drill sheets: one printable HTML page and one GPX file per emergency team.

``write_drill_sheets(run, folder)`` writes ``<folder>/drill/<team id>.html`` (self-contained,
jinja2 with autoescape, print CSS: the team's posts and trips, each with its times and the roads
it drives) and ``<folder>/drill/<team id>.gpx`` (GPX 1.1: one track per task, a waypoint at the
base and at every post; coordinates EPSG:4326, 6 decimals). Times are seconds since the incident,
shown as ``T+h:mm``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from pyproj import Transformer

from evacsim.area.schema import file_name_of
from evacsim.display.format import t_plus
from evacsim.display.labels import TASK_LABELS
from evacsim.results.records import records
from evacsim.results.teams import task_routes

if TYPE_CHECKING:
    from evacsim.pipeline import Run

__all__ = ["write_drill_sheets"]

log = logging.getLogger(__name__)


_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Drill sheet {{ team.team }}</title>
<style>
body { font: 11pt/1.4 system-ui, sans-serif; margin: 1.5cm; color: #111; }
h1 { font-size: 16pt; margin: 0 0 .2em; } h2 { font-size: 12pt; margin: 1.2em 0 .3em; }
table { border-collapse: collapse; width: 100%; margin: .3em 0; }
th, td { border: 1px solid #888; padding: 2px 6px; text-align: left; vertical-align: top; }
th { background: #eee; } .route { font-size: 9pt; color: #333; }
.meta { color: #444; } .task { page-break-inside: avoid; }
@media print { body { margin: 1cm; } a { color: inherit; text-decoration: none; } }
</style></head><body>
<h1>{{ team.team }} — {{ team.name }}</h1>
<p class="meta">Scenario: {{ scenario }} · {{ team.members }} members · {{ team.vehicles }}
vehicles · distance driven {{ "%.1f"|format(distance_km) }} km · times since the alarm</p>
<h2>Tasks</h2>
<table><thead><tr><th>#</th><th>vehicle</th><th>task</th><th>target</th><th>persons</th>
<th>leaves</th><th>on site / first pick-up</th><th>finished</th><th>km</th><th>status</th>
</tr></thead><tbody>
{% for t in tasks %}<tr><td>{{ loop.index }}</td><td>{{ t.vehicle }}</td><td>{{ t.label }}</td>
<td>{{ t.target }}</td><td>{{ t.persons }}</td><td>{{ t.depart }}</td><td>{{ t.start }}</td>
<td>{{ t.finish }}</td><td>{{ "%.1f"|format(t.km) }}</td><td>{{ t.status }}</td></tr>
{% endfor %}</tbody></table>
<h2>Routes</h2>
{% for t in tasks %}<div class="task"><b>{{ loop.index }}. {{ t.vehicle }} — {{ t.label }}
{{ t.target }}</b><div class="route">{{ t.roads or "no driving (already there)" }}</div></div>
{% endfor %}
{% if not tasks %}<p>No task in this run.</p>{% endif %}
</body></html>
"""


def _sheet_rows(tasks: pd.DataFrame, routes: pd.DataFrame) -> list[dict[str, Any]]:
    roads = routes.set_index("task")["roads"] if len(routes) else pd.Series(dtype=object)
    return [
        {"vehicle": r["vehicle"], "label": TASK_LABELS.get(r["task"], r["task"]),
         "target": r["target"], "persons": int(r["persons"]), "depart": t_plus(r["t_depart_s"]),
         "start": t_plus(r["t_start_s"]), "finish": t_plus(r["t_finish_s"]),
         "km": float(r["distance_m"]) / 1000.0, "status": r["status"], "roads": roads.get(i, "")}
        for i, r in zip(tasks.index, records(tasks), strict=True)
    ]  # fmt: skip


def _gpx(team: Any, tasks: pd.DataFrame, routes: pd.DataFrame, run: Run) -> str:
    import gpxpy.gpx

    net = run.prepared.network
    to_wgs = Transformer.from_crs(net.crs, "EPSG:4326", always_xy=True)
    gpx = gpxpy.gpx.GPX()
    gpx.creator = "evacsim"
    gpx.name = f"{team.team} drill routes"
    base = run.prepared.area.team_bases.set_index("id").geometry.get(team.team)
    points = [(f"{team.team} base", base.x, base.y)] if base is not None else []
    for r in records(tasks[tasks["task"] != "door_to_door"]):
        node = int(r["node"])
        points.append((f"{r['task']} {r['target']}", net.node_x_m[node], net.node_y_m[node]))
    for name, x, y in points:
        lon, lat = to_wgs.transform(x, y)
        gpx.waypoints.append(
            gpxpy.gpx.GPXWaypoint(latitude=round(lat, 6), longitude=round(lon, 6), name=name)
        )
    for r in records(routes):
        task = tasks.loc[r["task"]]
        track = gpxpy.gpx.GPXTrack(name=f"{r['vehicle']} {task['task']} {task['target']}")
        track.description = f"leaves {t_plus(task['t_depart_s'])}; {r['roads']}"
        seg = gpxpy.gpx.GPXTrackSegment()
        for lon, lat in r["geometry"].coords:
            seg.points.append(
                gpxpy.gpx.GPXTrackPoint(latitude=round(lat, 6), longitude=round(lon, 6))
            )
        track.segments.append(seg)
        gpx.tracks.append(track)
    return str(gpx.to_xml(version="1.1"))


def write_drill_sheets(run: Run, folder: str | Path) -> list[Path]:
    """Write ``drill/<team>.html`` and ``drill/<team>.gpx`` for every team into ``folder``.

    Parameters
    ----------
    run
        A finished run (its ``results.extra`` holds ``teams``, ``team_paths``, ``team_info``).
    folder
        The run folder; ``drill/`` is created in it. Nothing is written without teams.

    Returns
    -------
    list of Path
        The files written, HTML and GPX per team in team order.
    """
    import jinja2

    info: pd.DataFrame = run.results.extra.get("team_info", pd.DataFrame())
    if info.empty:
        return []
    tasks: pd.DataFrame = run.results.extra["teams"]
    routes = task_routes(run.results, run.prepared.network)
    out = Path(folder) / "drill"
    out.mkdir(parents=True, exist_ok=True)
    template = jinja2.Environment(autoescape=True).from_string(_TEMPLATE)
    written: list[Path] = []
    for team in info.itertuples(index=False):
        mine = tasks[tasks["team"] == team.team]
        my_routes = routes[routes["team"] == team.team]
        html = template.render(
            team=team, tasks=_sheet_rows(mine, my_routes), scenario=run.prepared.scenario.name,
            distance_km=float(mine["distance_m"].sum()) / 1000.0,
        )  # fmt: skip
        for suffix, text in ((".html", html), (".gpx", _gpx(team, mine, my_routes, run))):
            path = out / f"{file_name_of(str(team.team))}{suffix}"
            path.write_text(text, encoding="utf-8")
            written.append(path)
    log.info("drill sheets: %d files in %s", len(written), out)
    return written
