"""The report's charts as inline SVG (text kept as text): evacuation curves and occupancy.

The time axis is the clock (``15:30``), the scenario's start at 0; labels are translated.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from evacsim.display.clock import Clock
from evacsim.display.i18n import N_, Translator
from evacsim.display.svg import chart_context, svg_text

__all__ = ["clock_axis", "curves_svg", "occupancy_svg", "shares_svg"]

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")  # fmt: skip
_TICK_STEPS_MIN = (5, 10, 15, 30, 60, 120, 180, 240, 360)


def _label(text: object) -> str:
    return str(text).replace("$", r"\$")  # no mathtext from map data


def clock_axis(ax: Any, clock: Clock, t_max_min: float, tr: Translator) -> None:
    """Ticks on round clock times (minutes since the start on the data axis)."""
    from matplotlib.ticker import FixedLocator, FuncFormatter

    step = next((s for s in _TICK_STEPS_MIN if t_max_min / s <= 8), _TICK_STEPS_MIN[-1])
    start = clock.start
    offset_min = start.minute % step + start.second / 60.0  # first round time after the start
    first = (step - offset_min) % step
    ticks = np.arange(first, max(t_max_min, 1.0) + 1e-9, step)
    ax.xaxis.set_major_locator(FixedLocator(ticks.tolist()))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: clock.hm(x * 60.0)))
    ax.set_xlabel(tr("clock time (alert at {start})", start=clock.start_text()))


def curves_svg(curves: pd.DataFrame, total: int, tr: Translator, clock: Clock) -> str:
    """Persons arrived at assembly points and shelters against clock time."""
    from matplotlib.figure import Figure

    with chart_context():
        fig = Figure(figsize=(8.0, 3.4))
        ax = fig.add_subplot()
        t_min = curves["t_s"].to_numpy(float) / 60.0
        for stage, colour, text in (("assembly", COLOURS[0], N_("at an assembly point")),
                                    ("shelter", COLOURS[2], N_("at a shelter"))):  # fmt: skip
            ax.step(t_min, curves[stage], where="post", color=colour, label=tr.gettext(text))
        ax.axhline(total, color="#555", linestyle=":", linewidth=1,
                   label=tr.gettext("persons to evacuate"))  # fmt: skip
        clock_axis(ax, clock, float(t_min.max(initial=1.0)), tr)
        ax.set_ylabel(tr.gettext("persons arrived"))
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right", fontsize=8)
        fig.tight_layout()
        return svg_text(fig)


def occupancy_svg(
    series: pd.DataFrame, facilities: pd.DataFrame, tr: Translator, clock: Clock
) -> str:
    """Persons present at each used assembly point and shelter against clock time."""
    from matplotlib.figure import Figure

    with chart_context():
        fig = Figure(figsize=(8.0, 5.2))
        t_min = series["t_s"].to_numpy(float) / 60.0
        kinds = (("assembly", tr.gettext("Assembly points")),
                 ("shelter", tr.gettext("Shelters (dashed: capacity)")))  # fmt: skip
        for k, (kind, title) in enumerate(kinds):
            ax = fig.add_subplot(2, 1, k + 1)
            rows = facilities[(facilities["kind"] == kind) & (facilities["peak"] > 0)]
            for i, row in enumerate(rows.itertuples(index=False)):
                colour = COLOURS[i % len(COLOURS)]
                fid, capacity = str(row.id), float(row.capacity_persons)  # type: ignore[arg-type]
                ax.step(t_min, series[fid], where="post", color=colour, label=_label(fid))
                if kind == "shelter":
                    ax.axhline(capacity, color=colour, linestyle="--", linewidth=0.8)
            ax.set_title(title, fontsize=9)
            ax.set_ylabel(tr.gettext("persons"))
            ax.set_ylim(bottom=0)
            ax.grid(alpha=0.3)
            clock_axis(ax, clock, float(t_min.max(initial=1.0)), tr)
            if len(rows):
                ax.legend(loc="upper left", fontsize=7, ncol=4)
        fig.tight_layout()
        return svg_text(fig)


def shares_svg(
    curves: Sequence[tuple[str, dict[str, tuple[np.ndarray, np.ndarray]], bool]],
    tr: Translator,
) -> str:
    """Evacuation curves of several runs overlaid, one panel per stage (the comparison page).

    ``curves``: per run, its label, ``{stage: (t_s, share)}`` and whether the curve is exact
    (else the ETE points joined by dashed lines). Runs may start at different clock times, so
    the axis is minutes since each run's alert.
    """
    from matplotlib.figure import Figure

    with chart_context():
        fig = Figure(figsize=(10, 4))
        axes = fig.subplots(1, 2, sharey=True)
        titles = {"assembly": tr.gettext("reached an assembly point"),
                  "shelter": tr.gettext("reached a shelter")}  # fmt: skip
        for ax, stage in zip(axes, ("assembly", "shelter"), strict=True):
            for name, data, exact in curves:
                t, share = data[stage]
                if exact:
                    ax.step(t / 60.0, share * 100, where="post", label=_label(name))
                else:
                    ax.plot(t / 60.0, share * 100, "--o",
                            label=_label(tr("{name} (ETE points)", name=name)))  # fmt: skip
            ax.set_title(titles[stage])
            ax.set_xlabel(tr.gettext("minutes since the alert"))
            ax.grid(alpha=0.3)
        axes[0].set_ylabel(tr.gettext("% of persons to evacuate"))
        axes[0].set_ylim(0, 101)
        axes[1].legend(loc="lower right", fontsize=8)
        fig.tight_layout()
        return svg_text(fig)
