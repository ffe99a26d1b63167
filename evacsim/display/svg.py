"""Line charts as inline SVG written directly: text stays text, in the pages' CJK-capable fonts.

The report's charts are a few step lines on a clock axis; drawing them needs no plotting library
(matplotlib's import alone took longer than the rest of the report). :func:`chart_svg` lays out
one or more :class:`Panel` s (stacked or side by side), each with its axes, round ticks, a light
grid, its series (step lines, or lines with points), horizontal reference lines and a legend.
Labels are ``<text>`` elements (escaped), so the reader's browser draws them with the page's
fonts: Chinese names show in any language, and a PDF printed from the page keeps searchable
text. Points closer than a quarter pixel are merged, so a curve of any length costs at most a
few thousand points. The same data always give the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from evacsim.display.format import FONT_STACK, esc

__all__ = ["Line", "Panel", "Series", "chart_svg", "nice_ticks"]

_PX_PER_IN = 72.0  # a chart's size is given in inches (as the report's charts always were)
_FONT_PX = 11.0
_CHAR_EM = 0.6  # average advance of a glyph, in em: enough to place labels, not to typeset
_MARGIN = {"left": 58.0, "right": 14.0, "top": 10.0, "bottom": 40.0, "title": 16.0}


@dataclass(frozen=True)
class Series:
    """One line: ``x``, ``y`` in data units; ``step`` draws it as a post step (``y[i]`` held
    until ``x[i + 1]``), else straight segments with a point at each value (``dashed``)."""

    x: np.ndarray
    y: np.ndarray
    colour: str
    label: str
    step: bool = True
    dashed: bool = False


@dataclass(frozen=True)
class Line:
    """A horizontal reference line at ``y`` (``label`` in the legend when given)."""

    y: float
    colour: str
    dash: str = "2,3"
    width: float = 1.0
    label: str | None = None


@dataclass(frozen=True)
class Panel:
    """One set of axes: series, reference lines, labels, ticks and the legend's corner.

    ``x_ticks`` are ``(value, label)`` pairs (by default round values of the x range);
    ``y_max`` fixes the top of the y axis (by default the data's maximum plus 5 %).
    """

    series: Sequence[Series]
    lines: Sequence[Line] = ()
    title: str = ""
    x_label: str = ""
    y_label: str = ""
    x_ticks: Sequence[tuple[float, str]] | None = None
    y_max: float | None = None
    legend: str = "lower right"  # "upper left", or "none"
    legend_columns: int = 1
    legend_font_px: float = 9.0
    shared_y_label: bool = field(default=True)


def nice_ticks(lo: float, hi: float, *, target: int = 6) -> list[float]:
    """Round tick values (1, 2, 2.5, 5 × 10^k apart) covering ``[lo, hi]`` with about
    ``target`` ticks."""
    if not math.isfinite(lo) or not math.isfinite(hi) or hi <= lo:
        return [lo] if math.isfinite(lo) else [0.0]
    raw = (hi - lo) / max(target - 1, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(f * power for f in (1.0, 2.0, 2.5, 5.0, 10.0) if f * power >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    count = math.floor((hi - first) / step + 1e-9) + 1
    return [round(first + i * step, 10) for i in range(count)]


def _num(value: float) -> str:
    """A coordinate in SVG: two decimals at most, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _text_em(text: str) -> float:
    """Estimated width of ``text`` in em: CJK and other wide glyphs 1 em, the rest 0.6 em."""
    return sum(1.0 if ord(c) >= 0x2E80 else _CHAR_EM for c in text)


def _tick_text(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or value == int(value) else f"{value:g}"


def _text(x: float, y: float, text: str, *, size: float = _FONT_PX, anchor: str = "middle",
          extra: str = "") -> str:  # fmt: skip
    return (f'<text x="{_num(x)}" y="{_num(y)}" font-size="{_num(size)}" '
            f'text-anchor="{anchor}"{extra}>{esc(text)}</text>')  # fmt: skip


class _Axes:
    """Data → pixel transform of one panel's plot area."""

    def __init__(self, box: tuple[float, float, float, float], xr: tuple[float, float],
                 yr: tuple[float, float]) -> None:  # fmt: skip
        self.x0, self.y0, self.w, self.h = box
        self.xr, self.yr = xr, yr

    def px(self, x: np.ndarray) -> np.ndarray:
        return self.x0 + (np.asarray(x, float) - self.xr[0]) / (self.xr[1] - self.xr[0]) * self.w

    def py(self, y: np.ndarray) -> np.ndarray:
        top = self.y0 + self.h
        return top - (np.asarray(y, float) - self.yr[0]) / (self.yr[1] - self.yr[0]) * self.h


def _merge_close(px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop points within a quarter pixel (x) of the next one, keeping the last of each run:
    what a step line or polyline shows does not change."""
    if px.size <= 2:
        return px, py
    column = np.floor(px * 4.0)
    keep = np.r_[column[1:] != column[:-1], True]
    keep[0] = True
    return px[keep], py[keep]


def _path(axes: _Axes, s: Series) -> str:
    ok = np.isfinite(s.x) & np.isfinite(s.y)
    px, py = _merge_close(axes.px(s.x[ok]), axes.py(s.y[ok]))
    if px.size == 0:
        return ""
    if s.step:
        d = [f"M{_num(px[0])},{_num(py[0])}"]
        for i in range(1, px.size):
            d.append(f"H{_num(px[i])}V{_num(py[i])}")
        d.append(f"H{_num(axes.x0 + axes.w)}" if px[-1] < axes.x0 + axes.w else "")
        dash = ' stroke-dasharray="5,3"' if s.dashed else ""
        return (f'<path d="{"".join(d)}" fill="none" stroke="{s.colour}" '
                f'stroke-width="1.5"{dash}/>')  # fmt: skip
    points = " ".join(f"{_num(a)},{_num(b)}" for a, b in zip(px, py, strict=True))
    marks = "".join(
        f'<circle cx="{_num(a)}" cy="{_num(b)}" r="3" fill="{s.colour}"/>'
        for a, b in zip(px, py, strict=True)
    )
    dash = ' stroke-dasharray="5,3"' if s.dashed else ""
    return (f'<polyline points="{points}" fill="none" stroke="{s.colour}" stroke-width="1.5"'
            f"{dash}/>{marks}")  # fmt: skip


def _ranges(panel: Panel) -> tuple[tuple[float, float], tuple[float, float]]:
    xs = [np.asarray(s.x, float) for s in panel.series if len(s.x)]
    ys = [np.asarray(s.y, float) for s in panel.series if len(s.y)]
    x_all = np.concatenate(xs) if xs else np.array([0.0, 1.0])
    x_lo, x_hi = float(np.nanmin(x_all)), float(np.nanmax(x_all))
    if panel.x_ticks:
        x_hi = max(x_hi, max(v for v, _ in panel.x_ticks))
    if x_hi <= x_lo:
        x_hi = x_lo + 1.0
    y_top = max([float(np.nanmax(y)) for y in ys if y.size] + [ln.y for ln in panel.lines] + [1.0])
    y_hi = panel.y_max if panel.y_max is not None else y_top * 1.05
    return (x_lo, x_hi), (0.0, y_hi)


def _legend(axes: _Axes, panel: Panel) -> str:
    if panel.legend == "none":
        return ""
    entries = [(s.colour, s.label, s.dashed) for s in panel.series if s.label]
    entries += [(ln.colour, ln.label, True) for ln in panel.lines if ln.label]
    if not entries:
        return ""
    size, cols = panel.legend_font_px, max(panel.legend_columns, 1)
    row_h = size * 1.5
    widths = [28.0 + _text_em(label) * size for _, label, _ in entries]
    col_w = max(widths)
    rows = math.ceil(len(entries) / cols)
    box_w, box_h = col_w * min(cols, len(entries)) + 8.0, rows * row_h + 6.0
    if panel.legend == "upper left":
        bx, by = axes.x0 + 6.0, axes.y0 + 6.0
    else:
        bx, by = axes.x0 + axes.w - box_w - 6.0, axes.y0 + axes.h - box_h - 6.0
    out = [f'<rect x="{_num(bx)}" y="{_num(by)}" width="{_num(box_w)}" height="{_num(box_h)}" '
           'fill="#fff" fill-opacity="0.85" stroke="#ccc"/>']  # fmt: skip
    for k, (colour, label, dashed) in enumerate(entries):
        cx = bx + 4.0 + (k % cols) * col_w
        cy = by + 3.0 + (k // cols) * row_h + row_h / 2
        dash = ' stroke-dasharray="4,2"' if dashed else ""
        out.append(f'<line x1="{_num(cx)}" y1="{_num(cy)}" x2="{_num(cx + 20)}" y2="{_num(cy)}" '
                   f'stroke="{colour}" stroke-width="1.5"{dash}/>')  # fmt: skip
        out.append(_text(cx + 24, cy + size * 0.35, label, size=size, anchor="start"))
    return "".join(out)


def _panel(box: tuple[float, float, float, float], panel: Panel, *, y_label: bool) -> str:
    xr, yr = _ranges(panel)
    axes = _Axes(box, xr, yr)
    x0, y0, w, h = box
    out: list[str] = []
    x_ticks = panel.x_ticks or [(v, _tick_text(v)) for v in nice_ticks(*xr)]
    for value, label in x_ticks:
        if xr[0] - 1e-9 <= value <= xr[1] + 1e-9:
            x = float(axes.px(np.array([value]))[0])
            out.append(f'<line x1="{_num(x)}" y1="{_num(y0)}" x2="{_num(x)}" y2="{_num(y0 + h)}" '
                       'stroke="#000" stroke-opacity="0.15"/>')  # fmt: skip
            out.append(_text(x, y0 + h + 14, label))
    for value in nice_ticks(*yr):
        y = float(axes.py(np.array([value]))[0])
        out.append(f'<line x1="{_num(x0)}" y1="{_num(y)}" x2="{_num(x0 + w)}" y2="{_num(y)}" '
                   'stroke="#000" stroke-opacity="0.15"/>')  # fmt: skip
        out.append(_text(x0 - 5, y + 4, _tick_text(value), anchor="end"))
    for ln in panel.lines:
        y = float(axes.py(np.array([ln.y]))[0])
        out.append(f'<line x1="{_num(x0)}" y1="{_num(y)}" x2="{_num(x0 + w)}" y2="{_num(y)}" '
                   f'stroke="{ln.colour}" stroke-width="{_num(ln.width)}" '
                   f'stroke-dasharray="{ln.dash}"/>')  # fmt: skip
    out.extend(_path(axes, s) for s in panel.series)
    out.append(f'<rect x="{_num(x0)}" y="{_num(y0)}" width="{_num(w)}" height="{_num(h)}" '
               'fill="none" stroke="#000" stroke-width="0.8"/>')  # fmt: skip
    if panel.title:
        out.append(_text(x0 + w / 2, y0 - 5, panel.title, size=_FONT_PX * 0.85))
    if panel.x_label:
        out.append(_text(x0 + w / 2, y0 + h + 32, panel.x_label))
    if panel.y_label and y_label:
        cx, cy = x0 - 44, y0 + h / 2
        out.append(_text(cx, cy, panel.y_label,
                         extra=f' transform="rotate(-90 {_num(cx)} {_num(cy)})"'))  # fmt: skip
    out.append(_legend(axes, panel))
    return "".join(out)


def chart_svg(panels: Sequence[Panel], *, width_in: float, height_in: float, columns: int = 1,
              css_class: str = "evacsim-chart") -> str:  # fmt: skip
    """The panels as one inline ``<svg>`` element (``columns`` side by side, else stacked);
    its size is ``width_in`` × ``height_in`` inches at 72 px per inch, scaled by the page."""
    width, height = width_in * _PX_PER_IN, height_in * _PX_PER_IN
    rows = math.ceil(len(panels) / columns)
    cell_w, cell_h = width / columns, height / rows
    body = []
    for k, panel in enumerate(panels):
        col, row = k % columns, k // columns
        top = _MARGIN["top"] + (_MARGIN["title"] if panel.title else 0.0)
        box = (col * cell_w + _MARGIN["left"], row * cell_h + top,
               cell_w - _MARGIN["left"] - _MARGIN["right"],
               cell_h - top - _MARGIN["bottom"])  # fmt: skip
        body.append(_panel(box, panel, y_label=col == 0 or not panel.shared_y_label))
    font = FONT_STACK.replace('"', "'")
    return (f'<svg class="{css_class}" role="img" xmlns="http://www.w3.org/2000/svg" '
            f'width="{_num(width)}pt" height="{_num(height)}pt" '
            f'viewBox="0 0 {_num(width)} {_num(height)}" font-family="{font}">'
            f'<rect width="100%" height="100%" fill="#fff"/>{"".join(body)}</svg>')  # fmt: skip
