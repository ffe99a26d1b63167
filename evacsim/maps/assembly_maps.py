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
import shapely
from shapely.geometry import box

from evacsim.area.schema import file_name_of
from evacsim.display.arrivals import arrivals_svg
from evacsim.display.format import esc, number
from evacsim.display.i18n import N_
from evacsim.maps.animation import (
    RUN_CSS,
)
from evacsim.maps.base import HIDDEN_BY_DEFAULT, base_map, finish_map
from evacsim.maps.layers import to_wgs84
from evacsim.maps.run_map import RunLayers, add_routes, evacuating_grids, routes_legend, run_layers

__all__ = ["assembly_point_map"]


# ------------------------------------------------------------------- assembly point maps
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
