"""``report.html``: one self-contained, printable page per run.

Sections: the scenario in words, the headline figures, evacuation time estimates (NUREG/CR-7002
style: overall, per threat level, community and assembly point), evacuation curves and facility
occupancy (matplotlib charts embedded as base64 PNG), the worst bottlenecks, assembly points and
shelters, the grids, exposure, stranded people, the warnings raised while loading the inputs, and
relative links to the run's maps. The page loads nothing from anywhere: no script, no font, no
stylesheet outside itself. Every string that comes from the map data or the scenario is escaped
by Jinja2's autoescaping; print CSS lays it out on A4.
"""

from __future__ import annotations

import base64
import io
import logging
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evacsim.results.ete import BY, LEVEL_NAMES, ete_table, evacuation_curves
from evacsim.results.tables import facility_table, grid_table, occupancy_series, stranded_table

__all__ = ["describe_scenario", "render_report", "write_report"]

log = logging.getLogger(__name__)

_BY_TITLES = {"all": "All evacuees", "level": "Per threat level", "community": "Per community",
              "assembly_point": "Per assembly point"}  # fmt: skip
_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
            "#7f7f7f", "#bcbd22", "#17becf")  # fmt: skip


def _min(value: Any) -> str:
    """Seconds as minutes with one decimal; an em dash when missing."""
    if value is None or (isinstance(value, float | np.floating) and np.isnan(value)):
        return "—"
    return f"{float(value) / 60.0:.1f}"


def _num(value: Any) -> str:
    if value is None or (isinstance(value, float | np.floating) and np.isnan(value)):
        return "—"
    if isinstance(value, float | np.floating):
        return f"{float(value):,.1f}" if not float(value).is_integer() else f"{int(value):,}"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    return str(value)


# ----------------------------------------------------------------------------- words


def describe_scenario(run: Any) -> list[str]:
    """The scenario in a few plain sentences (what, where, who, how), for the report."""
    sc, zones = run.prepared.scenario, run.prepared.zones
    hz = sc.hazard
    where = (
        "source " + ", ".join(hz.source_ids)
        if hz.source_ids
        else f"lon {hz.at[0]:.5f}, lat {hz.at[1]:.5f}"
        if hz.at
        else "an unspecified point"
    )
    dist = zones.distances_m()
    levels = "; ".join(
        f"{lv.name} {lv.threshold:g} {lv.unit} ({lv.label}), reaching {dist.get(lv.name, 0):.0f} m"
        for lv in zones.levels
    )
    tr = sc.transport
    out = [
        f"Hazard: {zones.model.replace('_', ' ')} at {where} in area “{run.prepared.area.name}”.",
        f"Threat levels: {levels}.",
        f"Everyone inside the {zones.evacuate} zone evacuates; roads close where the "
        f"{zones.closure_level} zone reaches them.",
        f"Population: {sc.population.period}time; assembly points by the "
        f"“{sc.evacuation.assignment}” policy; "
        f"cars {'used' if sc.evacuation.use_cars else 'not used'}.",
        f"Transport to shelters: {tr.buses} buses of {tr.bus_capacity_persons} places; "
        f"cars {'drive on' if tr.cars_continue else 'stay'} at the assembly point.",
        f"Weather: wind from {sc.weather.wind_from_deg:g}° at {sc.weather.wind_speed_m_s:g} m/s, "
        f"stability {sc.weather.stability}. Seed {sc.seed}.",
    ]
    return out


# ----------------------------------------------------------------------------- charts


def _png(fig: Any) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)  # Agg set on this figure only: no global backend switch
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _label(text: object) -> str:
    return str(text).replace("$", r"\$")  # no mathtext from map data


def _curves_png(curves: pd.DataFrame, total: int) -> str:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8.0, 3.4))
    ax = fig.add_subplot()
    t_min = curves["t_s"].to_numpy(float) / 60.0
    for stage, colour in (("assembly", _COLOURS[0]), ("shelter", _COLOURS[2])):
        ax.step(t_min, curves[stage], where="post", color=colour, label=f"at {stage}")
    ax.axhline(total, color="#555", linestyle=":", linewidth=1, label="persons to evacuate")
    ax.set_xlabel("minutes since the incident")
    ax.set_ylabel("persons arrived")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return _png(fig)


def _occupancy_png(series: pd.DataFrame, facilities: pd.DataFrame) -> str:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8.0, 5.2))
    t_min = series["t_s"].to_numpy(float) / 60.0
    for k, (kind, title) in enumerate((("assembly", "Assembly points"), ("shelter", "Shelters"))):
        ax = fig.add_subplot(2, 1, k + 1)
        rows = facilities[(facilities["kind"] == kind) & (facilities["peak"] > 0)]
        for i, row in enumerate(rows.itertuples(index=False)):
            colour = _COLOURS[i % len(_COLOURS)]
            fid, capacity = str(row.id), float(row.capacity_persons)  # type: ignore[arg-type]
            ax.step(t_min, series[fid], where="post", color=colour, label=_label(fid))
            if kind == "shelter":
                ax.axhline(capacity, color=colour, linestyle="--", linewidth=0.8)
        ax.set_title(title + (" (dashed: capacity)" if kind == "shelter" else ""), fontsize=9)
        ax.set_ylabel("persons")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        if len(rows):
            ax.legend(loc="upper left", fontsize=7, ncol=4)
    fig.axes[-1].set_xlabel("minutes since the incident")
    fig.tight_layout()
    return _png(fig)


def _charts(run: Any) -> dict[str, str]:
    results = run.results
    with warnings.catch_warnings():
        # a facility id in a script the fonts lack draws as boxes; that is no error
        warnings.filterwarnings("ignore", message="Glyph .* missing", category=UserWarning)
        return {
            "curves": _curves_png(evacuation_curves(results), results.persons_total),
            "occupancy": _occupancy_png(occupancy_series(results), results.facilities),
        }


# ----------------------------------------------------------------------------- tables


def _ete_rows(results: Any) -> list[dict[str, Any]]:
    rows = []
    for by in (None, *BY):
        try:
            table = ete_table(results, by=by)  # type: ignore[arg-type]
        except ValueError:
            continue  # no community mapping
        for row in table.to_dict(orient="records"):
            rows.append(
                {"by": _BY_TITLES[str(row["by"])], "key": row["key"], "stage": row["stage"],
                 "persons": _num(row["persons"]), "arrived": _num(row["arrived"]),
                 **{f"p{p}": _min(row[f"p{p}_s"]) for p in (50, 90, 95, 100)}}
            )  # fmt: skip
    return rows


def _facility_rows(results: Any) -> list[dict[str, Any]]:
    rows = []
    for row in facility_table(results).to_dict(orient="records"):
        rows.append(
            {"id": row["id"], "name": row["name"], "kind": row["kind"],
             "capacity": _num(row["capacity_persons"]), "arrivals": _num(row["arrivals"]),
             "peak": _num(row["peak"]), "peak_pct": f"{100 * float(row['peak_share']):.0f} %",
             "t_peak": _min(row["t_peak_s"]), "refused": _num(row["refused"]),
             "redirected": _num(row["redirected"]), "final": _num(row["final"]),
             "full": int(row["peak"]) >= int(row["capacity_persons"])}
        )  # fmt: skip
    return rows


def _grid_rows(run: Any) -> list[dict[str, Any]]:
    grids = run.prepared.area.grids
    names = dict(zip(grids["id"].astype(str), grids.get("name", grids["id"]), strict=True))
    community = dict(zip(grids["id"].astype(str), grids["community"].astype(str), strict=True))
    rows = []
    for row in grid_table(run.results).to_dict(orient="records"):
        gid = str(row["grid_id"])
        name = names.get(gid)
        rows.append(
            {"id": gid, "name": "" if name is None or pd.isna(name) else str(name),
             "community": community.get(gid, ""), "level": row["level"],
             "persons": _num(row["persons"]), "ap": row["assembly_point"],
             "a50": _min(row["ete_assembly_p50_s"]), "a90": _min(row["ete_assembly_p90_s"]),
             "s50": _min(row["ete_shelter_p50_s"]), "s90": _min(row["ete_shelter_p90_s"]),
             "stranded": _num(row["stranded"])}
        )  # fmt: skip
    return rows


def _exposure_rows(summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    exp = summary.get("exposure", {})
    rows = []
    for level in LEVEL_NAMES[:3]:
        if f"persons_exposed_{level}" in exp:
            rows.append((f"persons who passed through the {level} zone",
                         _num(exp[f"persons_exposed_{level}"])))  # fmt: skip
            rows.append((f"person-minutes in the {level} zone",
                         _num(round(exp[f"person_s_{level}"] / 60.0, 1))))  # fmt: skip
    for key, text in (("max_dose_ppm_min", "largest toxic dose, ppm·min"),
                      ("max_thermal_dose_tdu", "largest thermal dose, (kW/m²)^4/3·s"),
                      ("max_overpressure_psi", "largest peak overpressure, psi"),
                      ("persons_fed_over_0_3", "persons with FED > 0.3"),
                      ("persons_fed_over_1", "persons with FED ≥ 1 (incapacitated)")):  # fmt: skip
        if key in exp:
            rows.append((text, _num(exp[key])))
    return rows


def _map_links(maps: Mapping[str, Path | str] | None) -> list[dict[str, str]]:
    links = []
    for key, path in sorted((maps or {}).items(), key=lambda kv: (kv[0] != "map", kv[0])):
        href = Path(path).as_posix()
        if Path(path).is_absolute():
            href = Path(path).name  # the maps sit beside the report
        title = "Run map" if key == "map" else f"Assembly point {key.removeprefix('ap:')}"
        links.append({"href": href, "title": title})
    return links


def _context(run: Any, maps: Mapping[str, Path | str] | None) -> dict[str, Any]:
    summary, results = run.summary, run.results
    sc = run.prepared.scenario
    stranded = stranded_table(results).to_dict(orient="records")
    return {
        "title": sc.name,
        "description": sc.description.strip(),
        "sentences": describe_scenario(run),
        "summary": summary,
        "persons": [(k.replace("_", " "), _num(v)) for k, v in summary["persons"].items()],
        "ete_overall": {
            stage: {k: _min(v) for k, v in summary["ete_s"][stage].items()}
            for stage in ("assembly", "shelter")
        },
        "ete_rows": _ete_rows(results),
        "charts": _charts(run),
        "bottlenecks": summary.get("bottlenecks", []),
        "facilities": _facility_rows(results),
        "grids": _grid_rows(run),
        "exposure": _exposure_rows(summary),
        "worst_grids": summary.get("exposure", {}).get("worst_grids", []),
        "stranded": [{**r, "persons": _num(r["persons"])} for r in stranded],
        "warnings": summary.get("warnings", []),
        "maps": _map_links(maps),
        "ended": f"{summary['ended_by']} at {_min(summary['end_s'])} min",
        "fmt": _num,
    }


def render_report(run: Any, *, maps: Mapping[str, Path | str] | None = None) -> str:
    """The report of a finished run as one HTML string.

    Parameters
    ----------
    run
        A :class:`evacsim.pipeline.Run` (``prepared``, ``results``, ``summary``).
    maps
        The run's map pages by key (``"map"``, ``"ap:AP-1"``...), paths relative to the report.
    """
    import jinja2

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(TEMPLATE).render(**_context(run, maps))


def write_report(run: Any, path: Path, *, maps: Mapping[str, Path | str] | None = None) -> Path:
    """Write :func:`render_report` to ``path`` (UTF-8) and return it."""
    path = Path(path)
    path.write_text(render_report(run, maps=maps), encoding="utf-8")
    log.info("report written to %s", path)
    return path


TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} — evacsim report</title>
<style>
body { font-family: "Noto Sans", "Noto Sans CJK SC", "Microsoft YaHei", Arial, sans-serif;
  font-size: 14px; line-height: 1.4; color: #222; max-width: 1000px; margin: 1.5em auto;
  padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.2em; border-bottom: 2px solid
  #b22; padding-bottom: 2px; margin-top: 1.6em; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.full td { background: #fde8e8; }
img { max-width: 100%; height: auto; } td:first-child { white-space: nowrap; }
nav a { margin-right: 0.8em; } .muted { color: #666; } ul.warn li { color: #8a4b00; }
.kpi { display: inline-block; margin: 0 1.5em 0.5em 0; } .kpi b { font-size: 1.3em; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { font-size: 10pt; max-width: none; margin: 0; padding: 0; }
  nav { display: none; }
  h2 { break-after: avoid; } table, figure, img { break-inside: avoid; }
  thead { display: table-header-group; }
  a { color: inherit; text-decoration: none; }
}
</style></head>
<body>
<h1>{{ title }}</h1>
<p class="muted">evacsim run report — seed {{ summary.seed }}, area {{ summary.area }}</p>
<nav>{% for m in maps %}<a href="{{ m.href }}">{{ m.title }}</a>{% endfor %}</nav>

<h2 id="scenario">Scenario</h2>
{% if description %}<p>{{ description }}</p>{% endif %}
<ul>{% for s in sentences %}<li>{{ s }}</li>{% endfor %}</ul>

<h2 id="headline">Headline</h2>
<div class="kpi">persons to evacuate<br><b>{{ fmt(summary.persons_total) }}</b></div>
{% for stage, v in ete_overall.items() %}<div class="kpi">90 % at {{ stage }}<br>
<b>{{ v.p90 }} min</b></div>{% endfor %}
<div class="kpi">run ended<br><b>{{ ended }}</b></div>
<table><tr>{% for k, v in persons %}<th>{{ k }}</th>{% endfor %}</tr>
<tr>{% for k, v in persons %}<td class="n">{{ v }}</td>{% endfor %}</tr></table>
{% if summary.note is defined %}<p>{{ summary.note }}</p>{% endif %}

<h2 id="ete">Evacuation time estimates</h2>
<p class="muted">Minutes since the incident by which 50 / 90 / 95 / 100 % of the persons of each
row have arrived (NUREG/CR-7002 style); — where that share never arrived.</p>
<table id="ete-table"><thead><tr><th>grouping</th><th>key</th><th>stage</th>
<th class="n">persons</th><th class="n">arrived</th><th class="n">50 %</th><th class="n">90 %</th>
<th class="n">95 %</th><th class="n">100 %</th></tr></thead><tbody>
{% for r in ete_rows %}<tr><td>{{ r.by }}</td><td>{{ r.key }}</td><td>{{ r.stage }}</td>
<td class="n">{{ r.persons }}</td><td class="n">{{ r.arrived }}</td><td class="n">{{ r.p50 }}</td>
<td class="n">{{ r.p90 }}</td><td class="n">{{ r.p95 }}</td><td class="n">{{ r.p100 }}</td></tr>
{% endfor %}</tbody></table>

<h2 id="curves">Evacuation curves</h2>
<figure><img alt="persons arrived at assembly points and shelters against time"
 src="data:image/png;base64,{{ charts.curves }}"></figure>

<h2 id="occupancy">Occupancy of assembly points and shelters</h2>
<figure><img alt="occupancy of assembly points and shelters against time"
 src="data:image/png;base64,{{ charts.occupancy }}"></figure>
<table id="facility-table"><thead><tr><th>id</th><th>name</th><th>kind</th>
<th class="n">capacity</th><th class="n">arrivals</th><th class="n">peak</th>
<th class="n">peak/cap.</th><th class="n">peak at, min</th><th class="n">refused</th>
<th class="n">redirected</th><th class="n">at the end</th></tr></thead><tbody>
{% for f in facilities %}<tr{% if f.full %} class="full"{% endif %}><td>{{ f.id }}</td>
<td>{{ f.name }}</td><td>{{ f.kind }}</td><td class="n">{{ f.capacity }}</td>
<td class="n">{{ f.arrivals }}</td><td class="n">{{ f.peak }}</td>
<td class="n">{{ f.peak_pct }}</td>
<td class="n">{{ f.t_peak }}</td><td class="n">{{ f.refused }}</td>
<td class="n">{{ f.redirected }}</td><td class="n">{{ f.final }}</td></tr>{% endfor %}
</tbody></table>

<h2 id="bottlenecks">Worst bottlenecks</h2>
{% if bottlenecks %}<table id="bottleneck-table"><thead><tr><th class="n">#</th><th>road</th>
<th>id</th><th>mode</th><th class="n">largest queue</th><th class="n">congested, min</th>
<th class="n">volume</th></tr></thead><tbody>
{% for b in bottlenecks %}<tr><td class="n">{{ loop.index }}</td><td>{{ b.name }}</td>
<td>{{ b.road_id }}</td><td>{{ b.mode }}</td><td class="n">{{ fmt(b.max_queue) }}</td>
<td class="n">{{ b.congested_min }}</td><td class="n">{{ fmt(b.volume) }}</td></tr>{% endfor %}
</tbody></table>
<p class="muted">Queues in vehicles (cars) or persons (on foot); a road's two directions merged.</p>
{% else %}<p>No road had a queue.</p>{% endif %}

<h2 id="grids">Grids</h2>
<table id="grid-table"><thead><tr><th>grid</th><th>name</th><th>community</th><th>level</th>
<th class="n">persons</th><th>assembly point</th><th class="n">50 % at AP</th>
<th class="n">90 % at AP</th><th class="n">50 % sheltered</th><th class="n">90 % sheltered</th>
<th class="n">stranded</th></tr></thead><tbody>
{% for g in grids %}<tr><td>{{ g.id }}</td><td>{{ g.name }}</td><td>{{ g.community }}</td>
<td>{{ g.level }}</td><td class="n">{{ g.persons }}</td><td>{{ g.ap }}</td>
<td class="n">{{ g.a50 }}</td><td class="n">{{ g.a90 }}</td><td class="n">{{ g.s50 }}</td>
<td class="n">{{ g.s90 }}</td><td class="n">{{ g.stranded }}</td></tr>{% endfor %}
</tbody></table>

<h2 id="exposure">Exposure</h2>
{% if exposure %}<table>{% for k, v in exposure %}<tr><th>{{ k }}</th><td class="n">{{ v }}</td>
</tr>{% endfor %}</table>{% endif %}
{% if worst_grids %}<p>Most exposed grids (time weighted red ×4, orange ×2, yellow ×1, seconds
per person): {% for w in worst_grids %}{{ w.grid_id }} ({{ w.weighted_s_per_person }}){% if not
loop.last %}, {% endif %}{% endfor %}.</p>{% else %}<p>Nobody passed through a threat zone.</p>
{% endif %}

<h2 id="stranded">Stranded</h2>
{% if stranded %}<table id="stranded-table"><thead><tr><th>reason</th><th class="n">node</th>
<th class="n">persons</th><th>grids</th></tr></thead><tbody>
{% for s in stranded %}<tr><td>{{ s.reason }}</td><td class="n">{{ s.node }}</td>
<td class="n">{{ s.persons }}</td><td>{{ s.grids }}</td></tr>{% endfor %}</tbody></table>
{% else %}<p>Nobody is stranded.</p>{% endif %}

<h2 id="warnings">Warnings from the inputs and the plan</h2>
{% if warnings %}<ul class="warn">{% for w in warnings %}<li>{{ w }}</li>{% endfor %}</ul>
{% else %}<p>None.</p>{% endif %}

<h2 id="maps">Maps</h2>
{% if maps %}<ul>{% for m in maps %}<li><a href="{{ m.href }}">{{ m.title }}</a>
({{ m.href }})</li>{% endfor %}</ul>{% else %}<p>No maps were written.</p>{% endif %}
</body></html>
"""
