"""Small offline route maps for printed sheets: one inline SVG per route, north up.

A sketch shows the roads around a route (greys, main roads darker), the evacuation zone's edge,
the route (thick, in the team's colour), where it starts and the targets it serves (labelled),
a scale bar and a north arrow. It is vector art in the page itself: no tiles, no script, no
network; it prints crisp at any size and reads on a phone (the SVG scales to the screen).
Coordinates are the network's projected metric CRS (north up, metres).

The roads are drawn from :class:`RoadPaths`, made once per run: each road's SVG path in whole
metres, placed in a sketch by one transform (so a sheet of many tasks formats each road once).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from evacsim.display.format import esc
from evacsim.maps.styles import ROAD_STYLES, road_class

__all__ = ["RoadPaths", "SketchPoint", "route_sketch"]

_W, _H = 640, 420  # viewBox, px
_MARGIN_M = 150.0  # context around the route


@dataclass(frozen=True)
class SketchPoint:
    """A labelled point: ``kind`` ``start`` (a circle) or ``target`` (a flag)."""

    x_m: float
    y_m: float
    label: str
    kind: str = "target"


def _scale_length(width_m: float) -> float:
    """A round scale-bar length near a fifth of the width (1, 2, 5 × 10^k m)."""
    raw = max(width_m / 5.0, 1.0)
    power = 10 ** math.floor(math.log10(raw))
    return float(next(f * power for f in (5, 2, 1) if f * power <= raw))


class RoadPaths:
    """The network's roads as SVG path data in whole metres (x east, y south of the north-west
    corner), one per road segment (a two-way road's two edges drawn once), by road class."""

    def __init__(self, net: Any) -> None:
        tail, head = np.asarray(net.edge_tail), np.asarray(net.edge_head)
        pairs = np.column_stack([np.minimum(tail, head), np.maximum(tail, head)])
        _, first = np.unique(pairs, axis=0, return_index=True)
        self.edges = np.sort(first)
        geoms = np.asarray(net.edge_geometry)[self.edges]
        self.geoms = geoms
        self.tree = shapely.STRtree(geoms)  # a sketch asks for the roads in its frame
        bounds = shapely.total_bounds(geoms)
        self.x0, self.y1 = float(bounds[0]), float(bounds[3])
        self.classes = np.array([road_class(h) for h in np.asarray(net.edge_highway)[self.edges]])
        coords, index = shapely.get_coordinates(geoms, return_index=True)
        u = np.rint(coords[:, 0] - self.x0).astype(np.int64)
        v = np.rint(self.y1 - coords[:, 1]).astype(np.int64)
        starts = np.r_[0, np.flatnonzero(np.diff(index)) + 1]
        ends = np.r_[starts[1:], len(index)]
        self.d = [
            "M" + "L".join(f"{a},{b}" for a, b in zip(u[s:e], v[s:e], strict=True))
            for s, e in zip(starts, ends, strict=True)
        ]


def route_sketch(
    roads: RoadPaths,
    xy: np.ndarray,
    points: Sequence[SketchPoint],
    *,
    colour: str,
    zone: BaseGeometry | None = None,
    title: str = "",
) -> str:
    """An inline ``<svg>`` of a route (``(n, 2)`` vertices) with its points (labels escaped)."""
    pts = np.asarray(xy, dtype=float).reshape(-1, 2)
    extra = np.array([[p.x_m, p.y_m] for p in points]).reshape(-1, 2)
    allxy = np.vstack([pts, extra]) if len(extra) else pts
    x0, y0 = allxy.min(axis=0) - _MARGIN_M
    x1, y1 = allxy.max(axis=0) + _MARGIN_M
    scale = min(_W / (x1 - x0), _H / (y1 - y0))  # px per m, same on both axes
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    x0, x1 = cx - _W / scale / 2.0, cx + _W / scale / 2.0
    y0, y1 = cy - _H / scale / 2.0, cy + _H / scale / 2.0

    def path_d(coords: np.ndarray) -> str:
        # whole pixels: a sketch is ~640 px wide, finer steps only add bytes
        px = np.rint((coords[:, 0] - x0) * scale).astype(int)
        py = np.rint((y1 - coords[:, 1]) * scale).astype(int)
        keep = np.r_[True, (np.diff(px) != 0) | (np.diff(py) != 0)]
        return "M" + "L".join(
            f"{a},{b}" for a, b in zip(px[keep].tolist(), py[keep].tolist(), strict=True)
        )

    frame = box(x0, y0, x1, y1)
    parts = [
        f'<svg class="evacsim-sketch" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {_W} {_H}" aria-label="{esc(title)}">',
        f'<rect width="{_W}" height="{_H}" fill="#f8f9fa"/>',
    ]
    if zone is not None and not zone.is_empty:
        clipped = zone.intersection(frame)
        for poly in getattr(clipped, "geoms", [clipped]):
            if poly.geom_type == "Polygon" and not poly.is_empty:
                d = path_d(np.asarray(poly.exterior.coords)) + " Z"
                parts.append(
                    f'<path d="{d}" fill="#fd8d3c" fill-opacity="0.12" '
                    f'stroke="#d7191c" stroke-width="1.5" stroke-dasharray="6 4"/>'
                )
    near = np.sort(roads.tree.query(frame, predicate="intersects"))
    near_classes = roads.classes[near]
    # the roads' metre paths placed by one transform; strokes stay in screen pixels
    parts.append(
        f'<g transform="translate({(roads.x0 - x0) * scale:.1f},{(y1 - roads.y1) * scale:.1f}) '
        f'scale({scale:.5f})">'
    )
    for cls in reversed(ROAD_STYLES):  # one path per road class, main roads on top
        mine = [roads.d[k] for k in near[near_classes == cls].tolist()]
        if not mine:
            continue
        colour_, weight, dash = ROAD_STYLES[cls]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<path d="{"".join(mine)}" fill="none" stroke="{colour_}" '
            f'stroke-width="{weight * 0.8:.1f}" vector-effect="non-scaling-stroke"{dash_attr}/>'
        )
    parts.append("</g>")
    if len(pts) >= 2:
        parts.append(
            f'<path class="evacsim-route" d="{path_d(pts)}" fill="none" stroke="#fff" '
            'stroke-width="8" stroke-linejoin="round" stroke-linecap="round"/>'
        )
        parts.append(
            f'<path d="{path_d(pts)}" fill="none" stroke="{esc(colour)}" '
            'stroke-width="5" stroke-linejoin="round" stroke-linecap="round"/>'
        )
    for p in points:
        px, py = (p.x_m - x0) * scale, (y1 - p.y_m) * scale
        if p.kind == "start":
            parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="7" fill="#2b8a3e" '
                         'stroke="#fff" stroke-width="2"/>')  # fmt: skip
        else:
            parts.append(f'<path d="M{px:.1f},{py:.1f} l0,-22 l14,6 l-14,6" fill="#b00020" '
                         'stroke="#fff" stroke-width="1.5"/>')  # fmt: skip
        anchor = "end" if px > _W * 0.7 else "start"
        dx = -10 if anchor == "end" else 10
        parts.append(
            f'<text x="{px + dx:.1f}" y="{py - 6:.1f}" text-anchor="{anchor}" font-size="13" '
            f'font-weight="bold" paint-order="stroke" stroke="#fff" stroke-width="3">'
            f"{esc(p.label)}</text>"
        )
    bar_m = _scale_length(_W / scale)
    bar_px = bar_m * scale
    label = f"{bar_m / 1000:g} km" if bar_m >= 1000 else f"{bar_m:g} m"
    parts += [
        f'<g transform="translate(12,{_H - 14})"><rect x="-4" y="-18" width="{bar_px + 8:.1f}" '
        'height="24" fill="#fff" fill-opacity="0.85"/>',
        f'<path d="M0,0 h{bar_px:.1f}" stroke="#111" stroke-width="3"/>',
        f'<text x="0" y="-5" font-size="11">{label}</text></g>',
        f'<g transform="translate({_W - 22},30)"><path d="M0,-18 l8,20 l-8,-5 l-8,5 z" '
        'fill="#111"/><text x="0" y="16" font-size="12" text-anchor="middle" '
        'font-weight="bold">N</text></g>',
        "</svg>",
    ]
    return "".join(parts)
