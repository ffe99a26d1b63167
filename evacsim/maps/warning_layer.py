"""The run map's warning layer: grids coloured by when their last household was warned.

Only for runs in ``[warning] mode = "chain"``; :func:`add_warning_layer` adds nothing to other
runs' maps. Colours are bands of the last warning (minutes since the alarm), light to dark, so the
grid warned last stands out; each grid's popup gives households, grid workers, households per
worker, when the order reached it and its first and last household warned (clock times with
T+ beside them), in the map's language.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import folium

from evacsim.display.clock import Clock
from evacsim.display.format import esc
from evacsim.display.i18n import N_, Translator
from evacsim.maps.base import legend_heading, legend_item
from evacsim.maps.layers import BIND_DETAILS, feature_collection, popup_html, to_wgs84
from evacsim.results.records import records
from evacsim.results.warning import has_warning, warning_grid_table

if TYPE_CHECKING:
    from evacsim.pipeline import Run

__all__ = ["WARNING_BANDS", "add_warning_layer", "warning_band"]

#: (upper bound of the last warning in minutes, colour, legend text), light to dark.
WARNING_BANDS: tuple[tuple[float, str, str], ...] = (
    (15.0, "#fff3bf", N_("up to 15 min after the alarm")),
    (30.0, "#ffd43b", N_("15–30 min")),
    (60.0, "#f59f00", N_("30–60 min")),
    (120.0, "#e8590c", N_("1–2 h")),
    (float("inf"), "#862e9c", N_("over 2 h")),
)


def warning_band(t_last_s: float) -> int:
    """Index in :data:`WARNING_BANDS` of a last-warned time (s)."""
    minutes = t_last_s / 60.0
    return next(i for i, (upper, _, _) in enumerate(WARNING_BANDS) if minutes <= upper)


def _style(feature: dict[str, Any]) -> dict[str, Any]:
    color = WARNING_BANDS[int(feature["properties"]["band"])][1]
    return {"color": "#495057", "weight": 1, "fillColor": color, "fillOpacity": 0.6}


def add_warning_layer(m: folium.Map, run: Run, tr: Translator, clock: Clock) -> str:
    """Add the "Warning: last household warned" layer; return its legend HTML (``""`` and no
    layer without the chain)."""
    if not has_warning(run.results):
        return ""
    table = warning_grid_table(run.results).set_index("grid_id")
    area = run.prepared.area
    grids = area.grids[area.grids["id"].astype(str).isin(table.index)]
    grids = to_wgs84(grids, area.crs, "grids")
    props = []
    for gid in grids["id"].astype(str):
        row = records(table.loc[[gid]].reset_index())[0]
        title = tr("Grid {grid}: last household warned {time}", grid=gid,
                   time=clock.label(row["t_last_warned_s"]))  # fmt: skip
        rows = [
            (tr.gettext("Village (community)"), row["community"]),
            (tr.gettext("Group"), row["group"]),
            (tr.gettext("Households"), row["households"]),
            (tr.gettext("Grid workers"), row["workers"]),
            (tr.gettext("Households per grid worker"), round(row["households_per_worker"], 1)),
            (tr.gettext("Order reaches the grid"), clock.label(row["t_order_s"])),
            (tr.gettext("First household warned"), clock.label(row["t_first_warned_s"])),
            (tr.gettext("Last household warned"), clock.label(row["t_last_warned_s"])),
        ]
        band = warning_band(float(row["t_last_warned_s"]))
        props.append(
            {"band": band, "popup_html": popup_html(title, rows), "tooltip_html": esc(title)}
        )
    folium.GeoJson(
        feature_collection(grids.geometry, props),
        name=tr.gettext("Warning: last household warned"),
        style_function=_style,
        on_each_feature=BIND_DETAILS,
    ).add_to(m)
    legend = "".join(legend_item(color, tr.gettext(text)) for _, color, text in WARNING_BANDS)
    return legend_heading(tr.gettext("Last household warned")) + legend
