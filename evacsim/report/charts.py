"""The report's charts as inline SVG (text kept as text): evacuation curves and occupancy.

The time axis is the clock (``15:30``), the scenario's start at 0; labels are translated.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evacsim.display.clock import Clock
from evacsim.display.i18n import N_, Translator
from evacsim.display.svg import Line, Panel, Series, chart_svg

__all__ = ["clock_ticks", "curves_svg", "occupancy_svg", "shares_svg"]

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")  # fmt: skip
_TICK_STEPS_MIN = (5, 10, 15, 30, 60, 120, 180, 240, 360)


def clock_ticks(clock: Clock, t_max_min: float) -> list[tuple[float, str]]:
    """Ticks on round clock times: ``(minutes since the start, "HH:MM")``, at most ~8."""
    step = next((s for s in _TICK_STEPS_MIN if t_max_min / s <= 8), _TICK_STEPS_MIN[-1])
    start = clock.start
    offset_min = start.minute % step + start.second / 60.0  # first round time after the start
    first = (step - offset_min) % step
    ticks = np.arange(first, max(t_max_min, 1.0) + 1e-9, step)
    return [(float(x), clock.hm(float(x) * 60.0)) for x in ticks]


def _clock_label(clock: Clock, tr: Translator) -> str:
    return tr("clock time (alert at {start})", start=clock.start_text())


def curves_svg(curves: pd.DataFrame, total: int, tr: Translator, clock: Clock) -> str:
    """Persons arrived at assembly points and shelters against clock time."""
    t_min = curves["t_s"].to_numpy(float) / 60.0
    series = [
        Series(t_min, curves[stage].to_numpy(float), colour, tr.gettext(text))
        for stage, colour, text in (("assembly", COLOURS[0], N_("at an assembly point")),
                                    ("shelter", COLOURS[2], N_("at a shelter")))
    ]  # fmt: skip
    panel = Panel(
        series, lines=[Line(float(total), "#555", label=tr.gettext("persons to evacuate"))],
        x_label=_clock_label(clock, tr), y_label=tr.gettext("persons arrived"),
        x_ticks=clock_ticks(clock, float(t_min.max(initial=1.0))), legend_font_px=9.5,
    )  # fmt: skip
    return chart_svg([panel], width_in=8.0, height_in=3.4)


def occupancy_svg(
    series: pd.DataFrame, facilities: pd.DataFrame, tr: Translator, clock: Clock
) -> str:
    """Persons present at each used assembly point and shelter against clock time."""
    t_min = series["t_s"].to_numpy(float) / 60.0
    ticks = clock_ticks(clock, float(t_min.max(initial=1.0)))
    kinds = (("assembly", tr.gettext("Assembly points")),
             ("shelter", tr.gettext("Shelters (dashed: capacity)")))  # fmt: skip
    panels = []
    for kind, title in kinds:
        rows = facilities[(facilities["kind"] == kind) & (facilities["peak"] > 0)]
        lines, drawn = [], []
        for i, row in enumerate(rows.itertuples(index=False)):
            colour = COLOURS[i % len(COLOURS)]
            fid = str(row.id)
            drawn.append(Series(t_min, series[fid].to_numpy(float), colour, fid))
            if kind == "shelter":
                lines.append(Line(float(row.capacity_persons), colour, dash="4,2", width=0.8))  # type: ignore[arg-type]
        panels.append(Panel(drawn, lines=lines, title=title, y_label=tr.gettext("persons"),
                            x_label=_clock_label(clock, tr), x_ticks=ticks, legend="upper left",
                            legend_columns=4, legend_font_px=8.0))  # fmt: skip
    return chart_svg(panels, width_in=8.0, height_in=5.2)


def shares_svg(
    curves: Sequence[tuple[str, dict[str, tuple[np.ndarray, np.ndarray]], bool]],
    tr: Translator,
) -> str:
    """Evacuation curves of several runs overlaid, one panel per stage (the comparison page).

    ``curves``: per run, its label, ``{stage: (t_s, share)}`` and whether the curve is exact
    (else the ETE points joined by dashed lines). Runs may start at different clock times, so
    the axis is minutes since each run's alert.
    """
    titles = {"assembly": tr.gettext("reached an assembly point"),
              "shelter": tr.gettext("reached a shelter")}  # fmt: skip
    panels = []
    for stage in ("assembly", "shelter"):
        drawn = []
        for k, (name, data, exact) in enumerate(curves):
            t, share = data[stage]
            label = name if exact else tr("{name} (ETE points)", name=name)
            drawn.append(Series(np.asarray(t, float) / 60.0, np.asarray(share, float) * 100,
                                COLOURS[k % len(COLOURS)], label, step=exact,
                                dashed=not exact))  # fmt: skip
        panels.append(Panel(drawn, title=titles[stage], y_max=101.0,
                            x_label=tr.gettext("minutes since the alert"),
                            y_label=tr.gettext("% of persons to evacuate"),
                            legend="lower right" if stage == "shelter" else "none"))  # fmt: skip
    return chart_svg(panels, width_in=10.0, height_in=4.0, columns=2)
