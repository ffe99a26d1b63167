"""``report.html``: one self-contained, printable page per run, in the run's language.

Its first screen answers "what went wrong" (:mod:`evacsim.display.headline`: persons per final
state, harm, stranded people and where, facilities over capacity or refusing while others have
room, the worst bottleneck — each linking to its section). Then: the scenario in words,
evacuation time estimates (NUREG/CR-7002 style, as clock times with T+ beside them), evacuation
curves and facility occupancy (inline SVG charts whose text stays text), assembly points and
shelters (with the unused ones named, persons let in over capacity, since when a point is cut
off from every shelter), bottlenecks, grids, exposure (with the harm of bus drivers and crews),
stranded people with their place, the warnings raised by the inputs, the plan and the run (with
the simulated peak beside a plan's estimate), and links to the run's maps. The first screen
also says why people ended where they are (``summary["endings"]``, reasons in words).

The page loads nothing from anywhere: no script, no font file, no stylesheet outside itself.
Every string from the map data or the scenario is escaped by Jinja2's autoescaping; the
template is ``templates/report.html``; print CSS lays it out on A4.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from evacsim.display.clock import Clock, run_clock
from evacsim.display.format import number
from evacsim.display.headline import headline_items, stranded_where
from evacsim.display.i18n import N_, Translator, run_lang, translator
from evacsim.display.labels import (
    KIND_LABELS,
    LEVEL_LABELS,
    MODE_LABELS,
    STAGE_LABELS,
    STATE_LABELS,
    label,
    level_text,
    reason_label,
)
from evacsim.display.warnings import warning_text
from evacsim.report._jinja import environment
from evacsim.report.charts import curves_svg, occupancy_svg
from evacsim.report.warning_sheets import warning_context
from evacsim.results.ete import BY, LEVEL_NAMES, ete_table, evacuation_curves
from evacsim.results.headline import Headline, headline
from evacsim.results.tables import facility_table, grid_table, occupancy_series

__all__ = ["describe_scenario", "render_report", "write_report"]

log = logging.getLogger(__name__)

_BY_TITLES = {
    "all": N_("All evacuees"),
    "level": N_("Per threat level"),
    "community": N_("Per community"),
    "assembly_point": N_("Per assembly point"),
}


def describe_scenario(run: Any, tr: Translator | None = None) -> list[str]:
    """The scenario in a few plain sentences (what, where, who, how), for the report."""
    tr = tr or translator(run_lang(run))
    sc, zones = run.prepared.scenario, run.prepared.zones
    hz = sc.hazard
    if hz.source_ids:
        where = tr("source {ids}", ids=", ".join(hz.source_ids))
    elif hz.at:
        where = f"lon {hz.at[0]:.5f}, lat {hz.at[1]:.5f}"
    else:
        where = tr.gettext("an unspecified point")
    dist = zones.distances_m()
    levels = tr.gettext("; ").join(
        tr("{level} {threshold} ({meaning}), reaching {m} m",
           level=label(LEVEL_LABELS, lv.name, tr),
           threshold=format(lv.threshold, "g") + " " + str(lv.unit),
           meaning=level_text(lv.label, tr), m=format(dist.get(lv.name, 0), ".0f"))
        for lv in zones.levels
    )  # fmt: skip
    tr_ = sc.transport
    clock = run_clock(run, tr.lang)
    return [
        tr("Hazard: {model} at {where} in area “{area}”.",
           model=zones.model.replace("_", " "), where=where, area=run.prepared.area.name),
        tr("Alert at {start}; times below are clock times, with the time since the alert (T+).",
           start=clock.start_text()),
        tr("Threat levels: {levels}.", levels=levels),
        tr("Everyone inside the {evacuate} zone evacuates; roads close where the {closure} zone "
           "reaches them.", evacuate=label(LEVEL_LABELS, zones.evacuate, tr),
           closure=label(LEVEL_LABELS, zones.closure_level, tr)),
        tr("Population: {period}; assembly points by the “{policy}” policy; cars {cars}.",
           period=tr.gettext("day") if sc.population.period == "day" else tr.gettext("night"),
           policy=sc.evacuation.assignment,
           cars=tr.gettext("used") if sc.evacuation.use_cars else tr.gettext("not used")),
        tr("Transport to shelters: {buses} buses of {seats} places; cars {cars} at the assembly "
           "point.", buses=tr_.buses, seats=tr_.bus_capacity_persons,
           cars=tr.gettext("drive on") if tr_.cars_continue else tr.gettext("stay")),
        tr("Weather: wind from {deg}° at {speed} m/s, stability {stability}. Seed {seed}.",
           deg=format(sc.weather.wind_from_deg, "g"), speed=format(sc.weather.wind_speed_m_s, "g"),
           stability=sc.weather.stability, seed=sc.seed),
    ]  # fmt: skip


# ----------------------------------------------------------------------------- tables


def _ete_rows(results: Any, tr: Translator, clock: Clock) -> list[dict[str, Any]]:
    rows = []
    for by in (None, *BY):
        try:
            table = ete_table(results, by=by)  # type: ignore[arg-type]
        except ValueError:
            continue  # no community mapping
        for row in table.to_dict(orient="records"):
            key = row["key"]
            if row["by"] == "level":
                key = label(LEVEL_LABELS, key, tr)
            rows.append(
                {"by": tr.gettext(_BY_TITLES[str(row["by"])]),
                 "key": "" if row["by"] == "all" else key,
                 "stage": label(STAGE_LABELS, row["stage"], tr),
                 "persons": number(row["persons"]), "arrived": number(row["arrived"]),
                 **{f"p{p}": clock.cell(row[f"p{p}_s"]) for p in (50, 90, 95, 100)}}
            )  # fmt: skip
    return rows


def _facility_rows(results: Any, h: Headline, tr: Translator, clock: Clock) -> list[dict[str, Any]]:
    flagged = {(f.id, f.flag) for f in h.facilities}
    rows = []
    for row in facility_table(results).to_dict(orient="records"):
        fid = str(row["id"])
        rows.append(
            {"id": fid, "name": row["name"], "kind": label(KIND_LABELS, row["kind"], tr),
             "capacity": number(row["capacity_persons"]), "arrivals": number(row["arrivals"]),
             "peak": number(row["peak"]), "peak_pct": f"{100 * float(row['peak_share']):.0f} %",
             "t_peak": clock.cell(row["t_peak_s"]), "refused": number(row["refused"]),
             "redirected": number(row["redirected"]), "final": number(row["final"]),
             "over": number(row.get("over_capacity")) if row["kind"] == "assembly" else "",
             "cut_off": clock.cell(row.get("cut_off_s")),
             "full": int(row["peak"]) >= int(row["capacity_persons"]),
             "flagged": any((fid, k) in flagged for k in ("over_capacity", "refused", "left"))
             or not pd.isna(row.get("cut_off_s")),
             "unused": int(row["arrivals"]) == 0}
        )  # fmt: skip
    return rows


def _grid_rows(run: Any, tr: Translator, clock: Clock) -> list[dict[str, Any]]:
    grids = run.prepared.area.grids
    ids = grids["id"].astype(str)
    names = dict(zip(ids, grids.get("name", grids["id"]), strict=True))
    community = dict(zip(ids, grids["community"].astype(str), strict=True))
    group = dict(zip(ids, grids["group"].astype(str), strict=True))
    rows = []
    for row in grid_table(run.results).to_dict(orient="records"):
        gid = str(row["grid_id"])
        name = names.get(gid)
        rows.append(
            {"id": gid, "name": "" if name is None or pd.isna(name) else str(name),
             "community": community.get(gid, ""), "group": group.get(gid, ""),
             "level": label(LEVEL_LABELS, row["level"], tr),
             "persons": number(row["persons"]), "ap": row["assembly_point"],
             "a90": clock.cell(row["ete_assembly_p90_s"]),
             "s90": clock.cell(row["ete_shelter_p90_s"]),
             "stranded": number(row.get("stranded", 0))}
        )  # fmt: skip
    return rows


def _exposure_rows(summary: Mapping[str, Any], tr: Translator) -> list[tuple[str, str]]:
    exp = summary.get("exposure", {})
    rows = []
    for level in LEVEL_NAMES[:3]:
        if f"persons_exposed_{level}" in exp:
            name = label(LEVEL_LABELS, level, tr)
            rows.append((tr("persons who passed through the {level} zone", level=name),
                         number(exp[f"persons_exposed_{level}"])))  # fmt: skip
            rows.append((tr("person-minutes in the {level} zone", level=name),
                         number(round(exp[f"person_s_{level}"] / 60.0, 1))))  # fmt: skip
    harm = (
        ("max_dose_ppm_min", N_("largest toxic dose, ppm·min")),
        ("max_thermal_dose_tdu", N_("largest thermal dose, (kW/m²)^4/3·s")),
        ("max_overpressure_psi", N_("largest peak overpressure, psi")),
        ("persons_fed_over_0_3", N_("persons with FED > 0.3")),
        ("persons_fed_over_1", N_("persons with FED ≥ 1 (incapacitated)")),
    )
    for key, text in harm:
        if key in exp:
            rows.append((tr.gettext(text), number(exp[key])))
    return rows + _crew_rows(summary, tr)


def _crew_rows(summary: Mapping[str, Any], tr: Translator) -> list[tuple[str, str]]:
    """Harm of the bus drivers and of each team's crews (reported, not stopped)."""
    crews = [(tr.gettext("bus drivers"), summary.get("exposure", {}).get("bus_drivers"))]
    crews += [
        (tr("team {team}", team=team), row)
        for team, row in (summary.get("teams", {}).get("by_team") or {}).items()
    ]
    rows = []
    for who, harm in crews:
        if harm and "max_fed" in harm:
            rows.append((tr("{who}: largest FED", who=who), number(harm["max_fed"])))
            rows.append((tr("{who}: persons with FED ≥ 1", who=who),
                         number(harm["persons_fed_over_1"])))  # fmt: skip
    return rows


def _ending_rows(summary: Mapping[str, Any], tr: Translator) -> list[dict[str, str]]:
    """Persons per final state and reason (``summary["endings"]``), the reasons in words."""
    return [
        {"state": label(STATE_LABELS, state, tr), "why": reason_label(reason, tr),
         "persons": number(n)}
        for state, reasons in summary.get("endings", {}).items()
        for reason, n in reasons.items()
    ]  # fmt: skip


def _stranded_rows(h: Headline, tr: Translator) -> list[dict[str, str]]:
    return [
        {"persons": number(p.persons), "why": reason_label(p.reason, tr),
         "where": stranded_where(p, tr), "grids": ", ".join(p.from_grids),
         "position": f"{p.lat:.5f}, {p.lon:.5f}"}
        for p in h.stranded
    ]  # fmt: skip


def _warning_rows(h: Headline, facilities: Mapping[str, Any], tr: Translator) -> list[dict]:
    rows = []
    for k, text in enumerate(h.warnings):
        notes = [
            tr("{id} in the run: peak {peak} of {cap} places", id=fid,
               peak=number(facilities[fid]["peak"]), cap=number(facilities[fid]["capacity"]))
            for fid in h.warning_facilities.get(k, ())
        ]  # fmt: skip
        rows.append({"text": warning_text(text, tr), "notes": notes})
    return rows


def _map_links(maps: Mapping[str, Path | str] | None, tr: Translator) -> list[dict[str, str]]:
    links = []
    for key, path in sorted((maps or {}).items(), key=lambda kv: (kv[0] != "map", kv[0])):
        href = Path(path).as_posix()
        if Path(path).is_absolute():
            href = Path(path).name  # the maps sit beside the report
        title = (tr.gettext("Run map") if key == "map"
                 else tr("Assembly point {id}", id=key.removeprefix("ap:")))  # fmt: skip
        links.append({"href": href, "title": title})
    return links


def _context(run: Any, maps: Mapping[str, Path | str] | None, lang: str) -> dict[str, Any]:
    summary, results = run.summary, run.results
    tr, clock = translator(lang), run_clock(run, lang)
    sc = run.prepared.scenario
    h = headline(run)
    return {
        "title": sc.name,
        "description": sc.description.strip(),
        "sentences": describe_scenario(run, tr),
        "summary": summary,
        "start": clock.start_text(),
        "persons": [(label(STATE_LABELS, k, tr), number(v)) for k, v in h.persons.items()],
        "endings": _ending_rows(summary, tr),
        "items": headline_items(h, tr, clock),
        "kpis": _kpis(h, tr, clock),
        "ete_rows": _ete_rows(results, tr, clock),
        "charts": {
            "curves": curves_svg(evacuation_curves(results), results.persons_total, tr, clock),
            "occupancy": occupancy_svg(occupancy_series(results), results.facilities, tr, clock),
        },
        "bottlenecks": [
            {**b, "mode": label(MODE_LABELS, b.get("mode"), tr)}
            for b in summary.get("bottlenecks", [])
        ],
        "facilities": _facility_rows(results, h, tr, clock),
        "unused": {label(KIND_LABELS, k, tr): ids for k, ids in h.unused.items() if ids},
        "grids": _grid_rows(run, tr, clock),
        "exposure": _exposure_rows(summary, tr),
        "worst_grids": summary.get("exposure", {}).get("worst_grids", []),
        "stranded": _stranded_rows(h, tr),
        "warnings": _warning_rows(h, summary.get("facilities", {}), tr),
        "maps": _map_links(maps, tr),
        "heads": {
            "a90": tr.gettext("90 % at an assembly point"),
            "s90": tr.gettext("90 % sheltered"),
        },
        "fmt": number,
        "warning": warning_context(run, tr, clock),  # the warning chain (None otherwise)
    }


def _kpis(h: Headline, tr: Translator, clock: Clock) -> list[tuple[str, str, str]]:
    """The big numbers of the first screen: (label, value, level)."""
    kpis = [(tr.gettext("persons to evacuate"), number(h.persons_total), "ok")]
    for stage, text in (("assembly", "90 % at an assembly point"), ("shelter", "90 % sheltered")):
        t90 = (h.ete_s.get(stage) or {}).get("p90")
        kpis.append((tr.gettext(text), clock.label(t90), "ok" if t90 is not None else "warn"))
    kpis.append((tr.gettext("stranded"), number(h.stranded_persons),
                 "alert" if h.stranded_persons else "ok"))  # fmt: skip
    if h.fed_over_1 is not None:
        kpis.append((tr.gettext(_FED_TILE[h.harm_kind or "toxic"]),
                     number(h.fed_over_1),
                     "alert" if h.fed_over_1 else "ok"))  # fmt: skip
    return kpis


#: The headline tile of persons incapacitated by the hazard's dose, per kind of dose.
_FED_TILE = {"toxic": N_("toxic FED ≥ 1"), "thermal": N_("heat FED ≥ 1"),
             "blast": N_("blast casualties")}  # fmt: skip


def render_report(
    run: Any, *, maps: Mapping[str, Path | str] | None = None, lang: str | None = None
) -> str:
    """The report of a finished run as one HTML string.

    Parameters
    ----------
    run
        A :class:`evacsim.pipeline.Run` (``prepared``, ``results``, ``summary``).
    maps
        The run's map pages by key (``"map"``, ``"ap:AP-1"``...), paths relative to the report.
    lang
        ``"zh"`` or ``"en"``; by default the run's (:func:`evacsim.display.i18n.run_lang`).
    """
    lang = run_lang(run, lang)
    env = environment(translator(lang))
    return env.get_template("report.html").render(**_context(run, maps, lang))


def write_report(
    run: Any, path: Path, *, maps: Mapping[str, Path | str] | None = None, lang: str | None = None
) -> Path:
    """Write :func:`render_report` to ``path`` (UTF-8) and return it."""
    path = Path(path)
    path.write_text(render_report(run, maps=maps, lang=lang), encoding="utf-8")
    log.info("report written to %s", path)
    return path
