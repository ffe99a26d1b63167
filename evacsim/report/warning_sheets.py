"""The warning chain on paper: a report section and a drill sheet per grid worker.

Only for runs in ``[warning] mode = "chain"`` (:mod:`evacsim.results.warning`); for other runs
both functions do nothing, so those outputs stay as they were.

* :func:`warning_context` — what the report's "Warning chain" section shows
  (``templates/_warning.html``): the grid warned last and why, households warned over time per
  community (inline SVG), and the per-grid table (households, grid workers, when the order came,
  first and last warned, 90 % at an assembly point and sheltered).
* :func:`write_warning_sheets` — ``drill/warning/<grid id>.html``
  (``templates/warning_sheet.html``): one printed page per grid worker with the households in
  the order the model has them warned, how, where they live (nearest named road, lat/lon) and
  the times expected; and ``drill/warning/index.html``.

Pages are in the run's language (:mod:`evacsim.display.i18n`), times are clock times with
``T+h:mm`` beside them (:class:`evacsim.display.clock.Clock`), and the pages share the report's
head (font stack, phone viewport, print CSS: ``templates/_page.html``).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from evacsim.display.arrivals import arrivals_svg
from evacsim.display.chain import channel_label, channels_text, why_text
from evacsim.display.clock import Clock, run_clock
from evacsim.display.format import number
from evacsim.display.i18n import Translator, run_lang, translator
from evacsim.display.labels import WARN_METHOD_LABELS, label
from evacsim.report._jinja import environment
from evacsim.results.places import node_places
from evacsim.results.records import records
from evacsim.results.warning import has_warning, last_warned_grid, warning_grid_table

if TYPE_CHECKING:
    from evacsim.pipeline import Run

__all__ = ["warning_context", "write_warning_sheets"]

log = logging.getLogger(__name__)

#: Where the sheets go in a run folder (the report links to the index there).
SHEETS_DIR = "drill/warning"


def warning_context(run: Run, tr: Translator, clock: Clock) -> dict[str, Any] | None:
    """What the report's warning-chain section shows (``None`` without the chain)."""
    results = run.results
    if not has_warning(results):
        return None
    g = results.groups
    grids = results.extra["warning_grids"].set_index("grid_id")["community"]
    community = g["grid_id"].astype(str).map(grids)
    t = g["t_warned_s"].to_numpy(float)
    ones = np.ones(len(g))
    caption = tr.gettext("{total} households warned")

    def svg(mine: np.ndarray) -> str:
        return arrivals_svg(t[mine], ones[mine], caption=caption, clock=clock, tr=tr)

    curves = [(tr.gettext("all households"), svg(np.ones(len(g), dtype=bool)))]
    curves += [(str(name), svg((community == name).to_numpy()))
               for name in sorted(set(community.dropna()))]  # fmt: skip
    last = last_warned_grid(results)
    return {
        "intro": tr("Command centre → town → village (community) → group → grid, then the grid "
                    "workers household by household. {channels}",
                    channels=channels_text(run.prepared.scenario.warning.channels, tr, clock)),
        "last": None if last is None else {
            "title": tr("Warned last: {grid} ({community}), its last household at {time}",
                        grid=last["grid_id"], community=last["community"],
                        time=clock.label(last["t_last_warned_s"])),
            "why": tr("Why: {why}.", why=why_text(last, tr, clock)),
        },
        "curves": curves,
        "grids": [
            {"grid_id": r["grid_id"], "community": r["community"], "group": r["group"],
             "households": number(r["households"]), "workers": number(r["workers"]),
             "per_worker": format(float(r["households_per_worker"]), ".0f"),
             "times": [clock.cell(r[k]) for k in ("t_order_s", "t_first_warned_s",
                       "t_last_warned_s", "ete_assembly_p90_s", "ete_shelter_p90_s")]}
            for r in records(warning_grid_table(results))
        ],
        "index": f"{SHEETS_DIR}/index.html",
    }  # fmt: skip


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "grid"


def _visits(run: Run, tr: Translator, clock: Clock) -> pd.DataFrame:
    """Every household a grid worker warns, with what its sheet row shows."""
    groups = run.results.groups.set_index("group_id")
    visits = run.results.extra["warning_visits"].copy()
    gid = visits["group_id"].astype(str)
    visits["persons"] = groups["persons"].reindex(gid).to_numpy()
    visits["assisted"] = (groups["mode"].reindex(gid) == "assisted").to_numpy()
    places = node_places(run.prepared, np.unique(visits["node"].to_numpy(np.int64)))
    places = places.set_index("node")
    at = places.reindex(visits["node"].to_numpy(np.int64))
    visits["road"] = at["road"].fillna("").to_numpy()
    visits["position"] = [f"{lat:.5f}, {lon:.5f}" if np.isfinite(lat) else ""
                          for lat, lon in zip(at["lat"], at["lon"], strict=True)]  # fmt: skip
    visits["how"] = [label(WARN_METHOD_LABELS, m, tr) for m in visits["method"]]
    visits["start"] = [clock.label(t) for t in visits["t_start_s"]]
    visits["warned"] = [clock.label(t) for t in visits["t_visit_s"]]
    visits["first"] = [
        "" if by == "chain" else f"{channel_label(by, tr)} {clock.label(t)}"
        for by, t in zip(visits["warned_by"], visits["t_warned_s"], strict=True)
    ]
    return visits


def write_warning_sheets(run: Run, folder: str | Path, *, lang: str | None = None) -> list[Path]:
    """Write ``drill/warning/<grid id>.html`` per grid and ``drill/warning/index.html``.

    Parameters
    ----------
    run
        A finished run; nothing is written unless it used the warning chain.
    folder
        The run folder.
    lang
        ``"zh"`` or ``"en"``; by default the run's (:func:`evacsim.display.i18n.run_lang`).

    Returns
    -------
    list of Path
        The pages written (the index last).
    """
    results = run.results
    if not has_warning(results):
        return []
    lang = run_lang(run, lang)
    tr, clock = translator(lang), run_clock(run, lang)
    sc = run.prepared.scenario
    area_grids = run.prepared.area.grids.set_index(run.prepared.area.grids["id"].astype(str))
    names = area_grids["name"] if "name" in area_grids else pd.Series(dtype=object)
    visits = _visits(run, tr, clock)
    out = Path(folder) / SHEETS_DIR
    out.mkdir(parents=True, exist_ok=True)
    env = environment(tr)
    sheet = env.get_template("warning_sheet.html")
    common = {"scenario": sc.name, "start": clock.start_text(),
              "method": tr("households {how}, people who need help at the door",
                           how=label(WARN_METHOD_LABELS, sc.warning.method, tr))}  # fmt: skip
    by_grid = dict(iter(visits.groupby("grid_id", sort=False)))
    index_rows, written = [], []
    for grid in records(warning_grid_table(results)):
        name = names.get(grid["grid_id"])
        grid = {**grid, "name": "" if name is None or pd.isna(name) else str(name)}
        workers = [
            {"title": tr("grid worker {k} of {n}", k=w, n=grid["workers"]),
             "households": tr.ngettext("{n} household", "{n} households", len(part)).format(
                 n=len(part)),
             "rows": records(part)}
            for w, part in by_grid[grid["grid_id"]].groupby("worker", sort=True)
        ]  # fmt: skip
        path = out / f"{_safe(grid['grid_id'])}.html"
        html = sheet.render(grid=grid, workers=workers, order=clock.label(grid["t_order_s"]),
                            **common)  # fmt: skip
        path.write_text(html, encoding="utf-8")
        written.append(path)
        index_rows.append({**grid, "href": path.name, "order": clock.label(grid["t_order_s"]),
                           "last": clock.label(grid["t_last_warned_s"])})  # fmt: skip
    index = out / "index.html"
    index.write_text(env.get_template("warning_index.html").render(grids=index_rows, **common),
                     encoding="utf-8")  # fmt: skip
    written.append(index)
    log.info("warning sheets: %d pages in %s", len(written), out)
    return written
