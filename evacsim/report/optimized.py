"""The comparison page of ``evacsim optimize``: the scenario's plan, the optimized plan and the
bound side by side, and a map of what changed.

The page (``optimize.html``, self-contained) holds: the evacuation time estimates (p50 / p90 /
p95 / p100 to an assembly point and to a shelter) of both plans with the lower bound beside them
and the gap to it; persons harmed in each plan (over FED 0.3 and 1, incapacitated; exposure in
the red zone); the loads of assembly points and shelters against their capacities; the grids
that move, their delays and preferred routes; every candidate the optimizer simulated; the
optimizer's notes (why a plan is not better); and the bound's parts. The map
(``changes_map.html``, offline, embedded in the page) draws the grids that move and their old
and new routes on the area map (:mod:`evacsim.maps.base`).
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import folium
import geopandas as gpd
import pandas as pd

from evacsim.display.format import esc
from evacsim.maps.base import base_map, finish_map, legend_item
from evacsim.maps.layers import feature_collection, popup_html, to_wgs84
from evacsim.results.routes import grid_routes

if TYPE_CHECKING:
    from evacsim.optimize.search import Candidate, Optimized

__all__ = ["changes_map", "moved_grids", "optimized_html"]

_STAGES = ("assembly", "shelter")
_HARM_LABELS = {
    "persons_fed_over_0_3": "persons over FED 0.3",
    "persons_fed_over_1": "persons over FED 1",
    "incapacitated": "persons incapacitated",
}
_PCTS = (50, 90, 95, 100)
_OLD, _NEW, _MOVED = "#6c757d", "#1f77b4", "#ff7f0e"


def _min(value: float | None) -> str:
    if value is None or not math.isfinite(float(value)):
        return "—"
    return f"{float(value) / 60:.1f}"


def moved_grids(opt: Optimized) -> pd.DataFrame:
    """Grids whose assembly point or departure changed: ``grid_id``, ``persons``, ``official``,
    ``optimized`` (``;``-joined points), ``delay_s``."""

    def points(c: Candidate) -> dict[str, str]:
        return {g: ";".join(a for a, _ in pairs) for g, pairs in c.plan.assignment.by_grid.items()}

    old, new = points(opt.official), points(opt.best)
    delay = opt.best.plan_file.delay_s()
    per_grid = opt.official.plan.demand.per_grid.set_index("grid_id")["persons_evacuating"]
    rows = [
        {
            "grid_id": g,
            "persons": int(per_grid.get(g, 0)),
            "official": old.get(g, ""),
            "optimized": new.get(g, ""),
            "delay_s": float(delay.get(g, 0.0)),
        }
        for g in sorted(set(old) | set(new))
        if (old.get(g, "") != new.get(g, "") or delay.get(g, 0.0) > 0) and per_grid.get(g, 0) > 0
    ]
    return pd.DataFrame(rows, columns=["grid_id", "persons", "official", "optimized", "delay_s"])


def _loads(c: Candidate) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in c.summary.get("facilities", {}).items()}


def _route_frame(c: Candidate, opt: Optimized) -> gpd.GeoDataFrame:
    run = SimpleNamespace(prepared=opt.prepared, results=c.results)
    routes = grid_routes(run, bus_routes={})
    return routes[routes["leg"] == "assembly"]


def changes_map(opt: Optimized) -> folium.Map:
    """The area map with the grids that move and their routes in both plans."""
    prep = opt.prepared
    moved = moved_grids(opt)
    evac = set(opt.official.plan.demand.per_grid.query("persons_evacuating > 0")["grid_id"])
    parts = base_map(prep.area, zones=prep.zones, evacuating_grid_ids=evac)
    grids = prep.area.grids[prep.area.grids["id"].astype(str).isin(set(moved["grid_id"]))]
    if len(grids):
        wgs = to_wgs84(grids, prep.area.crs, "grids")
        info = moved.set_index("grid_id")
        props = []
        for gid in wgs["id"].astype(str):
            row = info.loc[gid]
            rows = [
                ("From", row["official"]),
                ("To", row["optimized"]),
                ("Persons", int(row["persons"])),
                ("Delay (min)", f"{row['delay_s'] / 60:g}"),
            ]
            props.append(
                {
                    "popup_html": popup_html(f"Grid {gid} moves", rows),
                    "tooltip_html": esc(f"{gid}: {row['official']} → {row['optimized']}"),
                }
            )
        folium.GeoJson(
            feature_collection(wgs.geometry, props),
            name="Grids that move",
            style_function=lambda _f: {"color": _MOVED, "weight": 4, "fillOpacity": 0.25},
        ).add_to(parts.map)
    for c, color, dash, label in (
        (opt.official, _OLD, "6 5", "Routes in the scenario's plan"),
        (opt.best, _NEW, None, "Routes in the optimized plan"),
    ):
        routes = _route_frame(c, opt)
        routes = routes[routes["grid_id"].isin(set(moved["grid_id"]))]
        if not len(routes):
            continue
        wgs = to_wgs84(routes, routes.crs, "routes")
        props = [
            {
                "popup_html": popup_html(
                    f"Grid {r.grid_id} to {r.assembly_point}",
                    [("Persons", r.persons), ("Modes", r.modes)],
                )
            }
            for r in wgs.itertuples(index=False)
        ]
        folium.GeoJson(
            feature_collection(wgs.geometry, props),
            name=label,
            style_function=lambda _f, color=color, dash=dash: {
                "color": color,
                "weight": 4,
                "opacity": 0.85,
                "dashArray": dash,
            },
        ).add_to(parts.map)
    legend = (
        '<div style="font-weight:bold;margin-top:6px">What changed</div>'
        + legend_item(_MOVED, "grid that moves or leaves later")
        + legend_item(_OLD, "its route in the scenario's plan", "dash")
        + legend_item(_NEW, "its route in the optimized plan", "line")
    )
    return finish_map(
        parts, title=f"{prep.scenario.name}: optimized plan", extra_legend_html=legend
    )


_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>evacsim — optimized plan</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;max-width:75em}
table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #bbb;padding:.25em .6em;text-align:right}
td:first-child,th:first-child{text-align:left}
.worse{color:#b00020}.better{color:#00703c}
iframe{width:100%;height:600px;border:1px solid #bbb}
</style></head><body>
<h1>Optimized plan — {{ name }}</h1>
<p>Seed {{ seed }} (the departure times are the same in every plan). Times in minutes since the
alert. The <b>bound</b> is the earliest time any plan could bring everyone to an assembly point
(and every car that drives on to a shelter) on these roads with these departures; a plan at
1.00× the bound cannot be beaten.</p>
{% if notes %}<h2>What the optimizer found</h2><ul>{% for n in notes %}<li>{{ n }}</li>{% endfor %}
</ul>{% endif %}
<h2>Evacuation time estimates</h2>
<table><tr><th>stage</th><th>percentile</th><th>scenario plan</th><th>optimized</th>
<th>Δ</th><th>bound</th><th>optimized ÷ bound</th></tr>
{% for r in ete %}<tr><td>{{ r.stage }}</td><td>{{ r.p }}</td><td>{{ r.old }}</td>
<td>{{ r.new }}</td><td class="{{ r.cls }}">{{ r.delta }}</td><td>{{ r.bound }}</td>
<td>{{ r.gap }}</td></tr>{% endfor %}</table>
<h2>Persons harmed</h2>
<p>The optimizer never accepts a plan with more persons over FED 0.3 or 1, or incapacitated,
than the scenario's plan (zero where the hazard gives no toxic dose).</p>
<table><tr><th>measure</th><th>scenario plan</th><th>optimized</th></tr>
{% for r in harm %}<tr><td>{{ r[0] }}</td><td>{{ r[1] }}</td><td>{{ r[2] }}</td></tr>{% endfor %}
</table>
<h2>Assembly point and shelter loads</h2>
<table><tr><th>facility</th><th>kind</th><th>capacity</th><th>scenario plan</th>
<th>optimized</th></tr>
{% for r in loads %}<tr><td>{{ r.id }}</td><td>{{ r.kind }}</td><td>{{ r.capacity }}</td>
<td class="{{ r.cls_old }}">{{ r.old }}</td><td class="{{ r.cls_new }}">{{ r.new }}</td>
</tr>{% endfor %}</table>
<h2>What changed</h2>
{% if moved %}<table><tr><th>grid</th><th>persons</th><th>scenario plan</th><th>optimized</th>
<th>leaves later by (min)</th></tr>
{% for r in moved %}<tr><td>{{ r.grid_id }}</td><td>{{ r.persons }}</td><td>{{ r.official }}</td>
<td>{{ r.optimized }}</td><td>{{ r.delay }}</td></tr>{% endfor %}</table>
{% else %}<p>No grid changes its assembly point or departure.</p>{% endif %}
<p>Preferred routes in the plan file: {{ n_routes }}.</p>
{% if map_file %}<iframe title="map of what changed" src="{{ map_file }}"></iframe>
<p><a href="{{ map_file }}">Open the map</a></p>{% endif %}
<h2>Plans simulated</h2>
<table><tr><th>plan</th><th>assembly p100</th><th>p90</th><th>p50</th><th>accepted?</th></tr>
{% for r in tried %}<tr><td>{{ r.name }}</td><td>{{ r.p100 }}</td><td>{{ r.p90 }}</td>
<td>{{ r.p50 }}</td><td>{{ r.why }}</td></tr>{% endfor %}</table>
<h2>The bound</h2>
<p>Quickest transshipment on a time-expanded network, per travel mode (step Δ per mode:
{{ steps }}). Relaxed: queue storage, rounding (times down, capacities up), assembly point
capacities, the hazard's growth after the start; computed in {{ bound_runtime }} s.</p>
<table><tr><th>stage</th><th>mode</th><th>groups of</th><th>persons</th><th>bound</th>
<th>Δ (s)</th></tr>{% for c in components %}<tr><td>{{ c.stage }}</td><td>{{ c.mode }}</td>
<td>{{ c.levels }}</td><td>{{ c.persons }}</td><td>{{ c.bound }}</td><td>{{ c.step }}</td></tr>
{% endfor %}</table>
</body></html>
"""


def _ete_rows(opt: Optimized) -> list[dict[str, str]]:
    rows = []
    bound = {"assembly": opt.bound.assembly_s, "shelter": opt.bound.shelter_by_car_s}
    for stage in _STAGES:
        for p in _PCTS:
            old = opt.official.summary["ete_s"][stage][f"p{p}"]
            new = opt.best.summary["ete_s"][stage][f"p{p}"]
            delta, cls = "—", ""
            if old is not None and new is not None:
                delta = f"{(new - old) / 60:+.1f}"
                cls = "worse" if new > old + 1e-6 else "better" if new < old - 1e-6 else ""
            b = bound[stage] if p == 100 else None
            gap = f"{new / b:.3f}" if b and new is not None and stage == "assembly" else ""
            label = stage if stage == "assembly" else "shelter (bound: cars)"
            rows.append(
                {
                    "stage": label,
                    "p": f"p{p}",
                    "old": _min(old),
                    "new": _min(new),
                    "delta": delta,
                    "cls": cls,
                    "bound": _min(b),
                    "gap": gap,
                }
            )
    return rows


def _load_rows(opt: Optimized) -> list[dict[str, Any]]:
    old, new = _loads(opt.official), _loads(opt.best)
    rows = []
    for fid in sorted(set(old) | set(new)):
        o, n = old.get(fid, {}), new.get(fid, {})
        cap = o.get("capacity", n.get("capacity"))
        rows.append(
            {
                "id": fid,
                "kind": o.get("kind", n.get("kind", "")),
                "capacity": cap,
                "old": o.get("arrivals", 0),
                "new": n.get("arrivals", 0),
                "cls_old": "worse" if cap is not None and o.get("arrivals", 0) > cap else "",
                "cls_new": "worse" if cap is not None and n.get("arrivals", 0) > cap else "",
            }
        )
    return rows


def optimized_html(opt: Optimized, *, map_file: str | None = "changes_map.html") -> str:
    """The comparison page (see the module docstring); every text from the data is escaped."""
    from jinja2 import Environment

    exposure = (opt.official.summary["exposure"], opt.best.summary["exposure"])
    harm: list[tuple[str, object, object]] = [
        (_HARM_LABELS.get(k, k), opt.official.harm[k], opt.best.harm[k]) for k in opt.best.harm
    ]
    harm.append(
        (
            "red-zone exposure (person·min)",
            f"{exposure[0].get('person_s_red', 0) / 60:.0f}",
            f"{exposure[1].get('person_s_red', 0) / 60:.0f}",
        )
    )
    tried = []
    for c in opt.tried:
        ok = not c.overloaded and all(c.harm[k] <= v for k, v in opt.official.harm.items())
        why = (
            "kept"
            if c is opt.best
            else (
                "" if ok else "no: " + ("over capacity" if c.overloaded else "more persons harmed")
            )
        )
        tried.append(
            {
                "name": c.name,
                "p100": _min(c.objective[0]),
                "p90": _min(c.objective[1]),
                "p50": _min(c.objective[2]),
                "why": why,
            }
        )
    moved = [{**r, "delay": f"{r['delay_s'] / 60:g}"} for r in moved_grids(opt).to_dict("records")]
    components = [
        {**c, "bound": _min(c["bound_s"]), "step": f"{c['step_s']:g}"} for c in opt.bound.components
    ]
    env = Environment(autoescape=True)
    return env.from_string(_TEMPLATE).render(
        name=opt.prepared.scenario.name,
        seed=opt.seed,
        notes=opt.notes,
        ete=_ete_rows(opt),
        harm=harm,
        loads=_load_rows(opt),
        moved=moved,
        n_routes=len(opt.best.plan_file.routes),
        map_file=map_file,
        tried=tried,
        components=components,
        steps=", ".join(f"{m} {s:g} s" for m, s in opt.bound.step_s.items()),
        bound_runtime=f"{opt.bound.runtime_s:.1f}",
    )
