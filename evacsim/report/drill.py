"""Drill sheets a team can carry: one page per task, with a small map, clock times and places.

``write_drill_sheets(run, folder)`` writes, per emergency team, ``drill/<team id>.html``
(self-contained; ``templates/drill.html``). It opens with the team's tasks in one table, then
gives each task its own printed page: a small offline map of the route
(:func:`evacsim.report.sketch.route_sketch`), the clock time of each step (the time the vehicle
enters each road), and the targets with their grid, community, group and nearest named road. It
reads on a phone (one column, the map scales to the screen). The sheet links to the team's GPX,
``gpx/team_<team id>.gpx`` (written with the run's other GPX files by
:func:`evacsim.export.files.write_gpx`: a timed track per task, waypoints at the base and posts).

Times are clock times (the scenario's ``start``) with ``T+h:mm`` beside them.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from evacsim.area.schema import file_name_of
from evacsim.display.clock import Clock, run_clock
from evacsim.display.format import number
from evacsim.display.i18n import Translator, run_lang, translator
from evacsim.display.labels import STATUS_LABELS, TASK_LABELS, label
from evacsim.maps.styles import TEAM_COLOURS
from evacsim.report._jinja import environment
from evacsim.report.sketch import RoadPaths, SketchPoint, route_sketch
from evacsim.results.places import facility_points, named_road_near, node_places, place_text
from evacsim.results.records import records
from evacsim.results.teams import task_tracks

if TYPE_CHECKING:
    from evacsim.pipeline import Run

__all__ = ["write_drill_sheets"]

log = logging.getLogger(__name__)


class _Context:
    """What every sheet of a run shares: places, positions, zone, clock and language."""

    def __init__(self, run: Run, lang: str) -> None:
        prep = run.prepared
        self.run, self.net = run, prep.network
        self.tr: Translator = translator(lang)
        self.clock: Clock = run_clock(run, lang)
        self.tasks: pd.DataFrame = run.results.extra.get("teams", pd.DataFrame())
        # looked up once per task: plain dicts (a pandas lookup each was most of a district's
        # sheets)
        self.tracks = {
            (r["vehicle"], r["task"]): r for r in records(task_tracks(run.results, self.net))
        }
        facilities = records(facility_points(prep))
        self.facilities = {str(f["id"]): f for f in facilities}
        self.facility_at: dict[int, str] = {}
        for f in facilities:
            self.facility_at.setdefault(int(f["node"]), str(f["id"]))
        self.zone = prep.zones.evacuation_zone()
        grids = prep.area.grids
        rep = grids.geometry.representative_point()
        roads = named_road_near(self.net, rep.x.to_numpy(), rep.y.to_numpy())
        self.grids = {
            str(gid): {"community": str(c), "group": str(g), "road": road}
            for gid, c, g, road in zip(grids["id"], grids["community"], grids["group"], roads,
                                       strict=True)
        }  # fmt: skip
        nodes = self.tasks["node"].to_numpy(np.int64) if len(self.tasks) else np.zeros(0, int)
        self.node_place: dict[int, dict[str, Any]] = {
            int(r["node"]): r for r in records(node_places(prep, np.unique(nodes)))
        }
        self.roads = RoadPaths(self.net)

    def facility(self, fid: str) -> dict[str, Any] | None:
        return self.facilities.get(fid)

    def target_text(self, task: dict[str, Any]) -> str:
        """The task's target in words: a facility's name, or the place of a road post."""
        tr, target = self.tr, str(task["target"])
        fac = self.facility(target)
        if fac is not None:
            return f"{target} {fac['name']}".strip()
        if task["task"] == "door_to_door":
            groups = target.split(";")
            grids = ", ".join(sorted({g.split("/")[0] for g in groups}))
            text = tr.ngettext("{n} household in {grids}", "{n} households in {grids}",
                               len(groups))  # fmt: skip
            return text.format(n=len(groups), grids=grids)
        place = self.node_place.get(int(task["node"]))
        return place_text(place) if place is not None else target

    def targets(self, task: dict[str, Any]) -> list[dict[str, Any]]:
        """Rows of the targets table: what, grid, community, group, nearest road."""
        if task["task"] == "door_to_door":
            rows = []
            for gid in str(task["target"]).split(";"):
                grid = gid.split("/")[0]
                info = self.grids.get(grid)
                rows.append({"what": gid, "grid": grid,
                             "community": "" if info is None else info["community"],
                             "group": "" if info is None else info["group"],
                             "road": "" if info is None else info["road"]})  # fmt: skip
            return rows
        place = self.node_place.get(int(task["node"]), {})
        return [{"what": self.target_text(task), "grid": place.get("grid_id", ""),
                 "community": place.get("community", ""), "group": place.get("group", ""),
                 "road": place.get("road", "")}]  # fmt: skip

    def short_name(self, node: int) -> str:
        """A node in one or two words: the facility there, else the nearest named road."""
        if node in self.facility_at:
            return self.facility_at[node]
        if node not in self.node_place:
            self.node_place[node] = records(node_places(self.run.prepared, [node]))[0]
        place = self.node_place[node]
        return str(place.get("road") or place.get("grid_id") or "")

    def point_of(self, task: dict[str, Any]) -> tuple[float, float, str]:
        """Projected x, y and the waypoint name of a post."""
        fac = self.facility(str(task["target"]))
        if fac is not None:
            return float(fac["x_m"]), float(fac["y_m"]), f"{task['target']} {fac['name']}".strip()
        node = int(task["node"])
        place = self.node_place.get(node, {})
        where = place.get("road") or place.get("grid_id") or str(task["target"])
        name = self.tr("{task} — {where}", task=label(TASK_LABELS, task["task"], self.tr),
                       where=where)  # fmt: skip
        return float(self.net.node_x_m[node]), float(self.net.node_y_m[node]), name


def _task_page(ctx: _Context, k: int, row: int, task: dict[str, Any], colour: str) -> dict:
    tr, clock = ctx.tr, ctx.clock
    key = (task["vehicle"], row)
    track = ctx.tracks.get(key)
    steps, sketch = [], ""
    target_text = ctx.target_text(task)
    if track is not None:
        steps = [{"time": clock.label(s["t_s"]), "road": s["road"],
                  "km": f"{s['length_m'] / 1000:.1f}"} for s in track["steps"]]  # fmt: skip
        start = int(track["start_node"])
        points = [SketchPoint(float(ctx.net.node_x_m[start]), float(ctx.net.node_y_m[start]),
                              tr.gettext("start"), "start")]  # fmt: skip
        x, y, _name = ctx.point_of(task)
        end = int(track["end_node"]) if task["task"] == "door_to_door" else int(task["node"])
        if task["task"] == "door_to_door":  # households picked up, brought to their point
            x, y = float(ctx.net.node_x_m[end]), float(ctx.net.node_y_m[end])
        points.append(SketchPoint(x, y, ctx.short_name(end)))
        sketch = route_sketch(ctx.roads, track["xy"], points, colour=colour, zone=ctx.zone,
                              title=target_text)  # fmt: skip
    return {
        "n": k, "vehicle": task["vehicle"], "kind": label(TASK_LABELS, task["task"], tr),
        "target": target_text, "persons": number(task["persons"]),
        "depart": clock.label(task["t_depart_s"]), "start": clock.label(task["t_start_s"]),
        "finish": clock.label(task["t_finish_s"]),
        "km": f"{float(task['distance_m']) / 1000:.1f}",
        "status": label(STATUS_LABELS, task["status"], tr),
        "steps": steps, "sketch": sketch, "targets": ctx.targets(task),
    }  # fmt: skip


def write_drill_sheets(run: Run, folder: str | Path, *, lang: str | None = None) -> list[Path]:
    """Write ``drill/<team>.html`` for every team into ``folder``.

    Parameters
    ----------
    run
        A finished run (its ``results.extra`` holds ``teams``, ``team_paths``, ``team_info``).
    folder
        The run folder; ``drill/`` is created in it. Nothing is written without teams.
    lang
        ``"zh"`` or ``"en"``; by default the run's (:func:`evacsim.display.i18n.run_lang`).

    Returns
    -------
    list of Path
        The sheets written, in team order.
    """
    info: pd.DataFrame = run.results.extra.get("team_info", pd.DataFrame())
    if info.empty:
        return []
    ctx = _Context(run, run_lang(run, lang))
    out = Path(folder) / "drill"
    out.mkdir(parents=True, exist_ok=True)
    template = environment(ctx.tr).get_template("drill.html")
    written: list[Path] = []
    for k, team in enumerate(info.itertuples(index=False)):
        mine = ctx.tasks[ctx.tasks["team"] == team.team]
        colour = TEAM_COLOURS[k % len(TEAM_COLOURS)]
        pages = [
            _task_page(ctx, n + 1, row, task, colour)
            for n, (row, task) in enumerate(zip(mine.index, records(mine), strict=True))
        ]
        html = template.render(
            team=team, tasks=pages, scenario=run.prepared.scenario.name,
            start=ctx.clock.start_text(), gpx=f"../gpx/team_{file_name_of(str(team.team))}.gpx",
            distance_km=f"{float(mine['distance_m'].sum()) / 1000.0:.1f}",
        )  # fmt: skip
        path = out / f"{file_name_of(str(team.team))}.html"
        path.write_text(html, encoding="utf-8")
        written.append(path)
    log.info("drill sheets: %d files in %s", len(written), out)
    return written
