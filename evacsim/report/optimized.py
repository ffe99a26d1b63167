"""The comparison page of ``evacsim optimize``: the scenario's plan, the optimized plan and the
bound side by side, and a map of what changed.

The page (``optimize.html``, self-contained, ``templates/optimized.html``) holds: the evacuation
time estimates (p50 / p90 / p95 / p100 to an assembly point and to a shelter, clock times with
T+ beside them) of both plans with the lower bound beside them and the gap to it; persons harmed
in each plan (over FED 0.3 and 1, incapacitated; exposure in the red zone); the loads of
assembly points and shelters against their capacities; the grids that move, their delays and
preferred routes; every candidate the optimizer simulated; the optimizer's notes (why a plan is
not better); and the bound's parts. The map
(``changes_map.html``, offline, embedded in the page) draws the grids that move and their old
and new routes on the area map (:mod:`evacsim.maps.base`). Both are in the scenario's language
(:func:`evacsim.display.i18n.run_lang`: ``[output] lang``, else the area's); the optimizer's own
words (notes, plan names, the bound's parts) through :mod:`evacsim.display.optimizer`.
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import folium
import geopandas as gpd
import pandas as pd

from evacsim.display.clock import Clock, run_clock
from evacsim.display.format import esc, number
from evacsim.display.i18n import N_, Translator, run_lang, translator
from evacsim.display.labels import KIND_LABELS, MODE_LABELS, label, modes_text
from evacsim.display.optimizer import component_words, note_text, plan_text
from evacsim.maps.base import base_map, finish_map, legend_heading, legend_item
from evacsim.maps.layers import feature_collection, popup_html, to_wgs84
from evacsim.report._jinja import environment
from evacsim.results.routes import grid_routes

if TYPE_CHECKING:
    from evacsim.optimize.search import Candidate, Optimized

__all__ = ["changes_map", "moved_grids", "optimized_html"]

_STAGES = {"assembly": N_("to an assembly point"), "shelter": N_("to a shelter (bound: cars)")}
_HARM_LABELS = {
    "persons_fed_over_0_3": N_("persons over FED 0.3"),
    "persons_fed_over_1": N_("persons over FED 1"),
    "incapacitated": N_("persons incapacitated"),
}
_PCTS = (50, 90, 95, 100)
_OLD, _NEW, _MOVED = "#6c757d", "#1f77b4", "#ff7f0e"


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


def _minutes(t_s: float) -> str:
    return format(t_s / 60.0, "g")


def changes_map(opt: Optimized, *, lang: str | None = None) -> folium.Map:
    """The area map with the grids that move and their routes in both plans.

    ``lang``: ``"zh"`` or ``"en"``; by default the scenario's (:func:`run_lang`).
    """
    lang = run_lang(opt, lang)
    tr = translator(lang)
    prep = opt.prepared
    moved = moved_grids(opt)
    evac = set(opt.official.plan.demand.per_grid.query("persons_evacuating > 0")["grid_id"])
    parts = base_map(prep.area, zones=prep.zones, evacuating_grid_ids=evac, lang=lang)
    grids = prep.area.grids[prep.area.grids["id"].astype(str).isin(set(moved["grid_id"]))]
    if len(grids):
        wgs = to_wgs84(grids, prep.area.crs, "grids")
        info = moved.set_index("grid_id")
        props = []
        for gid in wgs["id"].astype(str):
            row = info.loc[gid]
            title = tr("Grid {grid}: {old} → {new}", grid=gid, old=row["official"],
                       new=row["optimized"])  # fmt: skip
            rows = [
                (tr.gettext("Assembly point in the scenario's plan"), row["official"]),
                (tr.gettext("Assembly point in the optimized plan"), row["optimized"]),
                (tr.gettext("Persons"), int(row["persons"])),
                (tr.gettext("Leaves later by (min)"), _minutes(row["delay_s"])),
            ]
            props.append({"popup_html": popup_html(title, rows), "tooltip_html": esc(title)})
        folium.GeoJson(
            feature_collection(wgs.geometry, props),
            name=tr.gettext("Grids that move"),
            style_function=lambda _f: {"color": _MOVED, "weight": 4, "fillOpacity": 0.25},
        ).add_to(parts.map)
    for c, color, dash, layer in (
        (opt.official, _OLD, "6 5", N_("Routes in the scenario's plan")),
        (opt.best, _NEW, None, N_("Routes in the optimized plan")),
    ):
        routes = _route_frame(c, opt)
        routes = routes[routes["grid_id"].isin(set(moved["grid_id"]))]
        if not len(routes):
            continue
        wgs = to_wgs84(routes, routes.crs, "routes")
        props = [
            {"popup_html": popup_html(
                tr("Grid {grid} to {ap}", grid=r.grid_id, ap=r.assembly_point),
                [(tr.gettext("Persons"), r.persons),
                 (tr.gettext("By mode"), modes_text(r.modes, tr))],
            )}
            for r in wgs.itertuples(index=False)
        ]  # fmt: skip
        folium.GeoJson(
            feature_collection(wgs.geometry, props),
            name=tr.gettext(layer),
            style_function=lambda _f, color=color, dash=dash: {
                "color": color,
                "weight": 4,
                "opacity": 0.85,
                "dashArray": dash,
            },
        ).add_to(parts.map)
    legend = (
        legend_heading(tr.gettext("What changed"))
        + legend_item(_MOVED, tr.gettext("grid that moves or leaves later"))
        + legend_item(_OLD, tr.gettext("its route in the scenario's plan"), "dash")
        + legend_item(_NEW, tr.gettext("its route in the optimized plan"), "line")
    )
    title = tr("{scenario}: what the optimized plan changes", scenario=prep.scenario.name)
    return finish_map(parts, title=title, extra_legend_html=legend)


def _ete_rows(opt: Optimized, tr: Translator, clock: Clock) -> list[dict[str, Any]]:
    rows = []
    bound = {"assembly": opt.bound.assembly_s, "shelter": opt.bound.shelter_by_car_s}
    last = {
        "assembly": (opt.official.objective.last_s, opt.best.objective.last_s),
        "shelter": (opt.official.objective.shelter_last_s, opt.best.objective.shelter_last_s),
    }
    for stage, stage_text in _STAGES.items():
        ete = (opt.official.summary["ete_s"][stage], opt.best.summary["ete_s"][stage])
        cells: list[tuple[str, float | None, float | None, float | None]] = [
            (f"p{p}", ete[0][f"p{p}"], ete[1][f"p{p}"], bound[stage] if p == 100 else None)
            for p in _PCTS
        ]
        if ete[0]["p100"] is None or ete[1]["p100"] is None:  # someone never arrives
            cells.append((tr.gettext("last of those who arrive"), *_finite(last[stage]), None))
        for p_text, old, new, b in cells:
            row = _ete_row(tr.gettext(stage_text), p_text, old, new, b, clock)
            rows.append(row | {"gap": row["gap"] if stage == "assembly" else ""})
    return rows


def _finite(times_s: tuple[float, float]) -> tuple[float | None, float | None]:
    old, new = (t if math.isfinite(t) else None for t in times_s)
    return old, new


def _ete_row(
    stage: str, p_text: str, old: float | None, new: float | None, b: float | None, clock: Clock
) -> dict[str, Any]:
    delta, cls = "—", ""
    if old is not None and new is not None:
        delta = f"{(new - old) / 60:+.1f}"
        cls = "worse" if new > old + 1e-6 else "better" if new < old - 1e-6 else ""
    gap = f"{new / b:.3f}" if b and new is not None else ""  # optimized ÷ bound
    return {
        "stage": stage,
        "p": p_text,
        "old": clock.cell(old),
        "new": clock.cell(new),
        "delta": delta,
        "cls": cls,
        "bound": clock.cell(b),
        "gap": gap,
    }


def _load_rows(opt: Optimized, tr: Translator) -> list[dict[str, Any]]:
    old, new = _loads(opt.official), _loads(opt.best)
    rows = []
    for fid in sorted(set(old) | set(new)):
        o, n = old.get(fid, {}), new.get(fid, {})
        cap = o.get("capacity", n.get("capacity"))
        rows.append(
            {
                "id": fid,
                "name": o.get("name", n.get("name", "")),
                "kind": label(KIND_LABELS, o.get("kind", n.get("kind", "")), tr),
                "capacity": number(cap),
                "old": number(o.get("arrivals", 0)),
                "new": number(n.get("arrivals", 0)),
                "cls_old": "worse" if cap is not None and o.get("arrivals", 0) > cap else "",
                "cls_new": "worse" if cap is not None and n.get("arrivals", 0) > cap else "",
            }
        )
    return rows


def _tried_rows(opt: Optimized, tr: Translator, clock: Clock) -> list[dict[str, Any]]:
    rows = []
    for c in opt.tried:
        ok = not c.overloaded and all(c.harm[k] <= v for k, v in opt.official.harm.items())
        if c is opt.best:
            why = tr.gettext("kept")
        elif ok:
            why = ""
        elif c.overloaded:
            why = tr.gettext("no: over capacity")
        else:
            why = tr.gettext("no: more persons harmed")
        times = [clock.cell(t) for t in (c.objective.last_s, c.objective.p90_s, c.objective.p50_s)]
        rows.append({"name": plan_text(c.name, tr), "times": times, "why": why})
    return rows


def _harm_rows(opt: Optimized, tr: Translator) -> list[tuple[str, str, str]]:
    rows = [
        (label(_HARM_LABELS, k, tr), number(opt.official.harm[k]), number(opt.best.harm[k]))
        for k in opt.best.harm
    ]
    old, new = (c.summary["exposure"].get("person_s_red", 0) / 60 for c in (opt.official, opt.best))
    rows.append((tr.gettext("red-zone exposure (person·min)"), f"{old:.0f}", f"{new:.0f}"))
    return rows


def _bound_text(opt: Optimized, tr: Translator) -> str:
    steps = tr.gettext(", ").join(
        f"{label(MODE_LABELS, m, tr)} {s:g} s" for m, s in opt.bound.step_s.items()
    )
    return tr(
        "Quickest transshipment on a time-expanded network, per travel mode (time step Δ per "
        "mode: {steps}). Relaxed: queue storage, rounding (times down, capacities up), assembly "
        "point capacities, the hazard's growth after the start; computed in {runtime} s.",
        steps=steps, runtime=format(opt.bound.runtime_s, ".1f"),
    )  # fmt: skip


def optimized_html(
    opt: Optimized, *, map_file: str | None = "changes_map.html", lang: str | None = None
) -> str:
    """The comparison page (see the module docstring); every text from the data is escaped.

    ``lang``: ``"zh"`` or ``"en"``; by default the scenario's (:func:`run_lang`).
    """
    lang = run_lang(opt, lang)
    tr, clock = translator(lang), run_clock(opt, lang)
    moved = [{**r, "persons": number(r["persons"]), "delay": _minutes(r["delay_s"])}
             for r in moved_grids(opt).to_dict("records")]  # fmt: skip
    components = [
        {**component_words(c, tr), "persons": number(c["persons"]),
         "bound": clock.cell(c["bound_s"]), "step": f"{c['step_s']:g}"}
        for c in opt.bound.components
    ]  # fmt: skip
    n_routes = len(opt.best.plan_file.routes)
    return environment(tr).get_template("optimized.html").render(
        name=opt.prepared.scenario.name,
        seed=tr("seed {seed}", seed=opt.seed),
        start=clock.start_text(),
        notes=[note_text(n, tr) for n in opt.notes],
        ete=_ete_rows(opt, tr, clock),
        harm=_harm_rows(opt, tr),
        loads=_load_rows(opt, tr),
        moved=moved,
        routes=tr.ngettext("The plan file holds {n} preferred route.",
                           "The plan file holds {n} preferred routes.",
                           n_routes).format(n=n_routes),
        map_file=map_file,
        tried=_tried_rows(opt, tr, clock),
        components=components,
        bound_text=_bound_text(opt, tr),
    )  # fmt: skip
