"""The warning chain on paper: a report section and a drill sheet per grid worker.

Only for runs in ``[warning] mode = "chain"`` (:mod:`evacsim.results.warning`); for other runs
both functions do nothing, so those outputs stay as they were.

* :func:`warning_section` — the report's "Warning chain" section: the grid warned last and why,
  households warned over time per community (inline SVG), and the per-grid table (households,
  workers, when the order came, first and last warned, ETE).
* :func:`write_warning_sheets` — ``drill/warning/<grid id>.html``: one printed page per grid
  worker with the households in the order the model has them warned, the method, where they
  live (nearest road, lon/lat) and the times expected; and ``drill/warning/index.html``.

Times are ``T+h:mm`` since the alarm, with the clock time when the scenario has a
``start_time``. Pages are self-contained (jinja2, autoescaped, print CSS).
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pyproj import Transformer

from evacsim.display.format import t_plus
from evacsim.results.records import records
from evacsim.results.warning import has_warning, last_warned_grid, warning_grid_table

if TYPE_CHECKING:
    from evacsim.pipeline import Run

__all__ = ["warning_section", "write_warning_sheets"]

log = logging.getLogger(__name__)


def _when(t_s: Any, start: datetime | None) -> str:
    """``T+h:mm`` and, with a start time, the clock time: ``T+0:42 (15:44)``."""
    text = t_plus(t_s)
    if start is None or t_s is None or not np.isfinite(t_s):
        return text
    return f"{text} ({(start + timedelta(seconds=float(t_s))).strftime('%H:%M')})"


_SECTION = """<h2 id="warning">Warning chain</h2>
<p class="muted">Town → community → group → grid, then grid workers household by household
(times since the alarm). {{ channels }}</p>
{% if last %}<p id="warning-last"><b>Warned last: {{ last.grid_id }}</b> ({{ last.community }}),
its last household at {{ when(last.t_last_warned_s) }} — {{ last.why }}.</p>{% endif %}
<div>{% for name, svg in curves %}<figure style="display:inline-block;margin:0 1em 0 0">
<figcaption>{{ name }}</figcaption>{{ svg }}</figure>{% endfor %}</div>
<table id="warning-table"><thead><tr><th>grid</th><th>community</th><th>group</th>
<th class="n">households</th><th class="n">workers</th><th class="n">per worker</th>
<th class="n">order at</th><th class="n">first warned</th><th class="n">last warned</th>
<th class="n">90 % at AP</th><th class="n">90 % sheltered</th></tr></thead><tbody>
{% for g in grids %}<tr><td>{{ g.grid_id }}</td><td>{{ g.community }}</td><td>{{ g.group }}</td>
<td class="n">{{ g.households }}</td><td class="n">{{ g.workers }}</td>
<td class="n">{{ "%.0f"|format(g.households_per_worker) }}</td>
<td class="n">{{ t(g.t_order_s) }}</td>
<td class="n">{{ t(g.t_first_warned_s) }}</td><td class="n">{{ t(g.t_last_warned_s) }}</td>
<td class="n">{{ t(g.ete_assembly_p90_s) }}</td><td class="n">{{ t(g.ete_shelter_p90_s) }}</td>
</tr>{% endfor %}</tbody></table>
<p class="muted">Worker sheets: drill/warning/index.html.</p>
"""


def _env() -> Any:
    import jinja2

    return jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)


def warning_section(run: Run) -> str:
    """The report's warning-chain section as HTML (``""`` without the chain)."""
    from markupsafe import Markup

    from evacsim.maps.assembly_maps import arrivals_svg

    results = run.results
    if not has_warning(results):
        return ""
    sc = run.prepared.scenario
    g = results.groups
    grids = results.extra["warning_grids"].set_index("grid_id")["community"]
    community = g["grid_id"].astype(str).map(grids)
    t = g["t_warned_s"].to_numpy(float)
    ones = np.ones(len(g))
    caption = "{total} households warned"
    curves = [("all", Markup(arrivals_svg(t, ones, caption=caption)))]
    for name in sorted(set(community.dropna())):
        mine = (community == name).to_numpy()
        curves.append((str(name), Markup(arrivals_svg(t[mine], ones[mine], caption=caption))))
    channels = "; ".join(f"{c.name}: {c.share:.0%} of households at T+{c.at_s / 60:.0f} min"
                         for c in sc.warning.channels)  # fmt: skip
    html = _env().from_string(_SECTION).render(
        last=last_warned_grid(results), curves=curves, grids=records(warning_grid_table(results)),
        channels=f"Channels beside the chain: {channels}." if channels else "No mass alert.",
        when=lambda s: _when(s, sc.start_time()), t=t_plus,
    )  # fmt: skip
    return Markup(html)


_SHEET = """<!doctype html>
<html lang="zh"><head><meta charset="utf-8">
<title>Warning sheet {{ grid.grid_id }}</title>
<style>
body { font: 11pt/1.4 "Noto Sans CJK SC", "Microsoft YaHei", system-ui, sans-serif; margin: 1.5cm;
  color: #111; }
h1 { font-size: 16pt; margin: 0 0 .2em; } .meta { color: #444; }
table { border-collapse: collapse; width: 100%; margin: .5em 0; }
th, td { border: 1px solid #888; padding: 2px 6px; text-align: left; vertical-align: top; }
th { background: #eee; } td.n { text-align: right; } td.tick { width: 2.5em; }
td.id { white-space: nowrap; }
.worker { page-break-after: always; } .worker:last-child { page-break-after: auto; }
@media print { body { margin: 1cm; } }
</style></head><body>
{% for w in workers %}<section class="worker">
<h1>{{ grid.grid_id }} {{ name }} — grid worker {{ w.worker }} of {{ grid.workers }}</h1>
<p class="meta">{{ grid.town }} / {{ grid.community }} / {{ grid.group }} · scenario: {{ scenario }}
· the order is expected at {{ when(grid.t_order_s) }} · {{ w.rows|length }} households ·
{{ method }} · people who need assistance: in person, then report them to the door-to-door
team.</p>
<table><thead><tr><th>#</th><th>household</th><th class="n">persons</th><th>help</th>
<th>how</th><th>where</th><th>start</th><th>warned (expected)</th><th>reached earlier by</th>
<th>done ✓</th></tr></thead><tbody>
{% for r in w.rows %}<tr><td class="n">{{ r.seq }}</td><td class="id">{{ r.group_id }}</td>
<td class="n">{{ r.persons }}</td><td>{{ "needs help" if r.assisted else "" }}</td>
<td>{{ r.method }}</td><td>{{ r.where }}</td><td>{{ when(r.t_start_s) }}</td>
<td>{{ when(r.t_visit_s) }}</td><td>{{ r.first }}</td><td class="tick"></td></tr>
{% endfor %}</tbody></table></section>
{% endfor %}</body></html>
"""

_INDEX = """<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><title>Warning sheets</title>
<style>body { font: 11pt/1.4 system-ui, sans-serif; margin: 1.5cm; }
table { border-collapse: collapse; } th, td { border: 1px solid #888; padding: 2px 6px; }</style>
</head><body><h1>Warning sheets — {{ scenario }}</h1>
<table><thead><tr><th>grid</th><th>community</th><th>households</th><th>workers</th>
<th>order at</th><th>last warned</th></tr></thead><tbody>
{% for g in grids %}<tr><td><a href="{{ g.href }}">{{ g.grid_id }}</a></td>
<td>{{ g.community }}</td>
<td>{{ g.households }}</td><td>{{ g.workers }}</td><td>{{ when(g.t_order_s) }}</td>
<td>{{ when(g.t_last_warned_s) }}</td></tr>{% endfor %}</tbody></table></body></html>
"""


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "grid"


def _where(run: Run, nodes: np.ndarray) -> list[str]:
    """For each origin node: the name of a road at it and its lon/lat (6 decimals)."""
    net = run.prepared.network
    to_wgs = Transformer.from_crs(net.crs, "EPSG:4326", always_xy=True)
    lon, lat = to_wgs.transform(net.node_x_m[nodes], net.node_y_m[nodes])
    names: dict[int, str] = {}
    for edge in np.flatnonzero(np.isin(net.edge_tail, nodes)):
        name = str(net.edge_name[edge] or "").strip()
        if name and name != "None":
            names.setdefault(int(net.edge_tail[edge]), name)
    return [
        f"{names.get(int(n), 'near node ' + str(int(n)))}, {y:.6f} N {x:.6f} E"
        for n, x, y in zip(nodes, np.atleast_1d(lon), np.atleast_1d(lat), strict=True)
    ]


def write_warning_sheets(run: Run, folder: str | Path) -> list[Path]:
    """Write ``drill/warning/<grid id>.html`` per grid and ``drill/warning/index.html``.

    Parameters
    ----------
    run
        A finished run; nothing is written unless it used the warning chain.
    folder
        The run folder.

    Returns
    -------
    list of Path
        The pages written (the index last).
    """
    results = run.results
    if not has_warning(results):
        return []
    sc = run.prepared.scenario
    area_grids = run.prepared.area.grids.set_index(run.prepared.area.grids["id"].astype(str))
    groups = results.groups.set_index("group_id")
    visits = results.extra["warning_visits"].copy()
    gid = visits["group_id"].astype(str)
    visits["persons"] = groups["persons"].reindex(gid).to_numpy()
    visits["assisted"] = (groups["mode"].reindex(gid) == "assisted").to_numpy()
    visits["where"] = _where(run, visits["node"].to_numpy(np.int64)) if len(visits) else []
    visits["first"] = [
        "" if by == "chain" else f"{by} {t_plus(t)}"
        for by, t in zip(visits["warned_by"], visits["t_warned_s"], strict=True)
    ]
    out = Path(folder) / "drill" / "warning"
    out.mkdir(parents=True, exist_ok=True)
    env = _env()

    def when(t: Any) -> str:
        return _when(t, sc.start_time())

    sheet, index_rows, written = env.from_string(_SHEET), [], []
    method = f"households by {sc.warning.method}"
    by_grid = dict(iter(visits.groupby("grid_id", sort=False)))
    for grid in records(results.extra["warning_grids"]):
        mine = by_grid[grid["grid_id"]]
        workers = [{"worker": int(w), "rows": records(part)}
                   for w, part in mine.groupby("worker", sort=True)]  # fmt: skip
        name = area_grids["name"].get(grid["grid_id"]) if "name" in area_grids else None
        path = out / f"{_safe(grid['grid_id'])}.html"
        html = sheet.render(
            grid=grid, workers=workers, name=name or "", when=when, scenario=sc.name, method=method
        )
        path.write_text(html, encoding="utf-8")
        written.append(path)
        index_rows.append({**grid, "href": path.name})
    index = out / "index.html"
    index.write_text(env.from_string(_INDEX).render(grids=index_rows, when=when, scenario=sc.name),
                     encoding="utf-8")  # fmt: skip
    written.append(index)
    log.info("warning sheets: %d pages in %s", len(written), out)
    return written
