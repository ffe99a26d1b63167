"""One printable map per assembly point: the grids it receives, their routes and its arrivals.

Made only for assembly points that receive people (the report names the unused ones); laid out
to print on A4 or A3 (the page's print option), with the scale bar and a north arrow.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import box

from evacsim.area.schema import file_name_of
from evacsim.display.clock import Clock
from evacsim.display.format import esc, hmm, number
from evacsim.display.i18n import N_, Translator, translator
from evacsim.maps.animation import (
    RUN_CSS,
)
from evacsim.maps.base import HIDDEN_BY_DEFAULT, base_map, finish_map
from evacsim.maps.layers import to_wgs84
from evacsim.maps.run_map import RunLayers, add_routes, evacuating_grids, routes_legend, run_layers

__all__ = ["arrivals_svg", "assembly_point_map"]


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
    clock: Clock | None = None,
    tr: Translator | None = None,
    caption: str | None = None,
) -> str:
    """An inline SVG step chart of cumulative arrivals (and occupancy) over time.

    Parameters
    ----------
    t_s, persons
        Arrival times (s since the incident) and persons arriving then.
    occupancy
        ``t_s``, ``persons`` rows (occupancy after each change), drawn in grey.
    clock, tr
        The run's clock (the time axis ends at a clock time; without it, at ``h:mm`` since the
        incident) and the language of the chart's words.
    caption
        Another caption (already in the page's language), where ``{total}`` is the final count;
        by default "arrived: N persons (grey: present)".

    Returns
    -------
    str
        ``<svg class="evacsim-chart">`` with numbers and evacsim's own words only (no user text).
    """
    tr = tr or translator()
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
    start, end = ("0", f"{hmm(t_max)} h:mm") if clock is None else (clock.hm(0), clock.hm(t_max))
    title = (
        tr("arrived: {n} persons (grey: present)", n=number(total))
        if caption is None
        else caption.format(total=number(total))
    )

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
        f'<text x="{left}" y="{height_px - 6}">{esc(start)}</text>',
        f'<text x="{right}" y="{height_px - 6}" text-anchor="end">{esc(end)}</text>',
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end">{round(y_max)}</text>',
        f'<text x="{left + 6}" y="{top - 4}">{esc(title)}</text>',
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


def _ap_panel(run: Any, ap: str, name: str, chart: str, layers: RunLayers) -> str:
    """The assembly point's panel (collapsible): arrivals chart and a table of its grids."""
    tr, clock = layers.tr, layers.clock
    g = run.results.groups
    mine = g[g["assembly_point"].astype(str) == ap]
    rows = []
    for grid, df in mine.groupby("grid_id", sort=True):
        t = df["t_assembly_s"].to_numpy(float)
        first = clock.hm(float(np.nanmin(t))) if np.isfinite(t).any() else "–"
        last = clock.hm(float(np.nanmax(t))) if np.isfinite(t).any() else "–"
        rows.append(
            f"<tr><th>{esc(grid)}</th><td>{number(int(df['persons'].sum()))}</td>"
            f"<td>{esc(first)}</td><td>{esc(last)}</td></tr>"
        )
    heads = [tr.gettext(h) for h in (N_("grid"), N_("persons"), N_("first arrival"),
                                     N_("last arrival"))]  # fmt: skip
    table = (
        "<table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in heads) + "</tr>"
        + "".join(rows) + "</table>"
    )  # fmt: skip
    head = tr("{ap} {name}: arrivals", ap=ap, name=name)
    return (
        '<div id="evacsim-panel" class="evacsim-panel evacsim-box">'
        f'<button type="button" class="evacsim-toggle">{esc(head)}</button>'
        f'<div class="evacsim-body">{chart}{table}</div></div>'
    )


def assembly_point_map(
    run: Any, assembly_point: str, *, lang: str | None = None, _layers: RunLayers | None = None
) -> folium.Map:
    """A map for one assembly point's drill coordinator, laid out to print on A4 or A3.

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
    layers = run_layers(run, lang) if _layers is None else _layers
    tr = layers.tr
    g = res.groups[res.groups["assembly_point"].astype(str) == assembly_point]
    grid_ids = _ap_grid_ids(run, assembly_point)
    shelters = set(g["shelter"].astype(str)) - {""}
    routes = layers.routes[layers.routes["grid_id"].isin(grid_ids)]
    mine = [assembly_point in str(a).split(";") for a in routes["assembly_point"]]
    routes = routes[np.asarray(mine, dtype=bool)]
    occ = res.occupancy[res.occupancy["facility_id"].astype(str) == assembly_point]
    chart = arrivals_svg(g["t_assembly_s"], g["persons"], occupancy=occ, clock=layers.clock, tr=tr)
    sub = _ap_area(area, assembly_point, grid_ids, shelters, routes)
    parts = base_map(
        sub,
        zones=prep.zones,
        evacuating_grid_ids=evacuating_grids(run) & set(grid_ids),
        facility_rows=layers.facility_rows,
        facility_html={assembly_point: chart},
        lang=layers.lang,
        hidden=HIDDEN_BY_DEFAULT - {"grids"},  # its grids are what this map is about
    )
    wgs_routes = add_routes(parts.map, routes, layers.colors, layers.ap_names, tr, layers.clock)
    name = layers.ap_names.get(assembly_point, "")
    figure = parts.map.get_root()
    assert isinstance(figure, folium.Figure)
    figure.header.add_child(folium.Element(RUN_CSS), name="evacsim_run_css")
    focus = [to_wgs84(f, area.crs, "focus") for f in (sub.assembly_points, sub.grids, sub.shelters)]
    focus.append(wgs_routes)
    facility = run.summary.get("facilities", {}).get(assembly_point, {})
    numbers = tr(
        "{arrivals} persons arrived; peak {peak} of {capacity} places",
        arrivals=number(facility.get("arrivals")), peak=number(facility.get("peak")),
        capacity=number(facility.get("capacity")),
    )  # fmt: skip
    title = f"{assembly_point} {name}"
    return finish_map(
        parts,
        title=title,
        extra_legend_html=routes_legend(layers, [assembly_point]),
        fit_frames=focus,
        extra_html=_ap_panel(run, assembly_point, name, chart, layers),
        page_title=tr("{ap} — assembly point map — {scenario}", ap=title,
                      scenario=prep.scenario.name),
        title_html=f"<div>{esc(prep.scenario.name)}</div><div>{esc(numbers)}</div>",
    )  # fmt: skip


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


def file_id(feature_id: str) -> str:
    """A file-name-safe form of a feature id: :func:`evacsim.area.schema.file_name_of`, the one
    rule the area loader checks for collisions."""
    return file_name_of(feature_id)
