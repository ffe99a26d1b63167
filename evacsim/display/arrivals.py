"""The cumulative-arrivals chart of an assembly point's map and of the warning chain's report
section: an inline SVG step chart, no plotting library (it is drawn on pages with and without a
map, so it lives apart from folium)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evacsim.display.clock import Clock
from evacsim.display.format import esc, hmm, number
from evacsim.display.i18n import Translator, translator

__all__ = ["arrivals_svg"]


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
