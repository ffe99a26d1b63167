"""Generate the bundled, ILLUSTRATIVE Funiuxi (伏牛溪) area layers (Dadukou, Chongqing).

Nothing here was surveyed: the layout follows the names and rough positions in
``shared/reference/funiuxi_area_facts.md`` (see ``SOURCE.md`` beside this file). The generator is
deterministic (one ``numpy.random.default_rng(SEED)``), needs no network, and writes eight
EPSG:4326 GeoJSON layers whose columns follow ``docs/contracts.md`` (the eighth, ``context``, holds
the river and the railway, drawn on maps only)::

    python maps/funiuxi/make_layers.py [--out DIR]

Design frame. The layout is drawn in a frame of metres ``(u, v)``: ``u`` runs along the Yangtze
(south-west → north-east, bearing ~50°), ``v`` runs inland (north-west) from the river bank
(``v = 0``). A smooth, invertible bend (a few tens of metres) turns the straight design lines into
gently curved streets, then the frame is rotated into EPSG:32648 (UTM 48N) so that the depot's
working estimate (106.46 E, 29.43 N) is the depot centre. Roads are built as a node/edge graph, so
every junction is an endpoint of every segment meeting there; only bridges cross other roads.

Bands inland from the bank (``v``, m): river (-800..0), riverside (depot, water plant, Diaoyuzui
Park, promenade), Binjiang Road (420), the Chengdu–Chongqing railway (490, a barrier), the
industrial strip (560..900, Jianqiao Avenue at 780), residential slope (900..1740), Zhongba Road
(1800, two-way trunk, 4 lanes each way) between frontage roads (1740, 1860), Tiaodeng town and
Chenjiage community beyond, and Huafu Road climbing to the Dadukou Forest Park.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from funiuxi_sites import facility_features, grid_features, hazard_features
from pyproj import Transformer
from shapely import STRtree
from shapely.geometry import LineString, Point, Polygon, box
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

__all__ = [
    "FRAME_HALF_M",
    "LAYERS",
    "METRIC_CRS",
    "SEED",
    "Frame",
    "context_features",
    "frame_polygon_m",
    "generate",
    "main",
    "railway_line_m",
    "river_polygon_m",
    "write_layers",
]

logger = logging.getLogger(__name__)

METRIC_CRS = "EPSG:32648"
SEED = 1965  # the depot's year of construction; any fixed value would do
LAYERS = (
    "roads",
    "hazard_sources",
    "grids",
    "assembly_points",
    "shelters",
    "supply_points",
    "team_bases",
    "context",
)
DEPOT_LONLAT = (106.46, 29.43)  # working estimate, UNVERIFIED (facts §1)
DEPOT_UV = (0.0, 215.0)  # depot centre in the design frame, m
FRAME_CENTRE_UV = (0.0, 815.0)  # the 4 km square is centred 600 m inland of the depot
FRAME_HALF_M = 2000.0
RIVER_BEARING_DEG = 40.0  # angle of +u from east, counter-clockwise
RIVER_WIDTH_M = 800.0
RAIL_V_M = 490.0
SLOPE_V_M = 900.0  # Slope Road: industrial strip below, residential slope above
U_EXTENT_M = 3600.0  # design lines run over |u| <= this; the frame clips them
U_HUAFU = -1000.0  # Huafu Road; the Tiaodeng interchange is where it meets Zhongba Road
U_CHENJIAGE = 1400.0  # Chenjiage Road; the Chenjiage interchange
ZHONGBA_V_M = 1800.0
VIADUCT_U = (-150.0, 510.0)  # 660 m of viaduct (facts §3)
RAMP_OFFSET_M = 180.0
LATTICE_M = 40.0  # brick-grid columns sit on multiples of this, so junctions stay >= 40 m apart

Coord = tuple[float, float]
Feature = dict[str, Any]


# --- the design frame --------------------------------------------------------------------------


def _bend_v(u: np.ndarray) -> np.ndarray:
    """Meander of the bank and of every line parallel to it, m (smooth, |slope| < 0.45)."""
    return 70.0 * np.sin(2 * np.pi * u / 3400.0) + 30.0 * np.sin(2 * np.pi * u / 1300.0 + 0.7)


def _bend_u(v: np.ndarray) -> np.ndarray:
    """Lean of the cross streets as they climb the slope, m (|slope| < 0.13)."""
    return 50.0 * np.sin(2 * np.pi * v / 2600.0)


@dataclass(frozen=True)
class Frame:
    """Maps design coordinates ``(u, v)`` (m) to EPSG:32648 ``(x, y)`` (m) and to lon/lat.

    ``(u, v) -> (u + b_u(v), v + b_v(u))`` is a shear pair with ``|b_u'| |b_v'| < 0.06``, hence
    one-to-one: lines that do not cross in the design frame do not cross on the map.
    """

    x0_m: float
    y0_m: float

    @classmethod
    def create(cls) -> Frame:
        """The frame anchored on the depot's working estimate (106.46 E, 29.43 N)."""
        fwd = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
        x, y = fwd.transform(*DEPOT_LONLAT)
        return cls(float(x), float(y))

    def xy(self, u: Sequence[float], v: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
        """EPSG:32648 metres of design points."""
        ua, va = np.asarray(u, dtype=float), np.asarray(v, dtype=float)
        du0, dv0 = _bend_u(np.array(DEPOT_UV[1])), _bend_v(np.array(DEPOT_UV[0]))
        uu = ua + _bend_u(va) - du0 - DEPOT_UV[0]
        vv = va + _bend_v(ua) - dv0 - DEPOT_UV[1]
        c, s = math.cos(math.radians(RIVER_BEARING_DEG)), math.sin(math.radians(RIVER_BEARING_DEG))
        return self.x0_m + uu * c - vv * s, self.y0_m + uu * s + vv * c

    def point_m(self, u: float, v: float) -> Coord:
        """One design point in EPSG:32648 metres."""
        x, y = self.xy([u], [v])
        return float(x[0]), float(y[0])

    def line_m(self, pts_uv: Sequence[Coord], *, step_m: float = 25.0) -> list[Coord]:
        """A design polyline, densified every ``step_m`` so its bend follows the frame."""
        us: list[float] = []
        vs: list[float] = []
        for (ua, va), (ub, vb) in itertools.pairwise(pts_uv):
            n = max(1, math.ceil(math.hypot(ub - ua, vb - va) / step_m))
            us += [ua + (ub - ua) * k / n for k in range(n)]
            vs += [va + (vb - va) * k / n for k in range(n)]
        us.append(pts_uv[-1][0])
        vs.append(pts_uv[-1][1])
        x, y = self.xy(us, vs)
        return list(zip(x.tolist(), y.tolist(), strict=True))


def river_polygon_m() -> Polygon:
    """The Yangtze (water only) beside the area, EPSG:32648 metres; no road may touch it."""
    frame = Frame.create()
    bank = frame.line_m([(-U_EXTENT_M - 800, 0.0), (U_EXTENT_M + 800, 0.0)])
    far = frame.line_m([(U_EXTENT_M + 800, -RIVER_WIDTH_M), (-U_EXTENT_M - 800, -RIVER_WIDTH_M)])
    return Polygon(bank + far)


def railway_line_m() -> LineString:
    """The Chengdu–Chongqing railway (main line) through the area, EPSG:32648 metres."""
    frame = Frame.create()
    return LineString(frame.line_m([(-U_EXTENT_M - 800, RAIL_V_M), (U_EXTENT_M + 800, RAIL_V_M)]))


def frame_polygon_m() -> Polygon:
    """The 4 km x 4 km square the area covers, EPSG:32648 metres."""
    cx, cy = Frame.create().point_m(*FRAME_CENTRE_UV)
    h = FRAME_HALF_M
    return box(cx - h, cy - h, cx + h, cy + h)


# --- road classes and the line-based road builder ----------------------------------------------


@dataclass(frozen=True)
class RoadClass:
    """The attributes a road segment carries (``lanes`` per direction, ``width_m`` for walkways)."""

    name: str | None
    highway: str
    lanes: int
    speed_kph: float
    width_m: float | None = None
    bridge: bool = False
    level_crossing: bool = False


BINJIANG = RoadClass("滨江路 Binjiang Road (Phase III)", "primary", 2, 50.0)
ZHONGBA = RoadClass("中坝路 Zhongba Road", "trunk", 4, 60.0)
CHENTUO = RoadClass("陈庹路 Chentuo Road (to Yudong Yangtze Bridge)", "trunk", 3, 60.0)
HUAFU = RoadClass("华福路 Huafu Road", "primary", 2, 40.0)
HUAFU_UP = RoadClass("华福路 Huafu Road (to Dadukou Forest Park)", "secondary", 1, 40.0)
JIANQIAO = RoadClass("建桥大道 Jianqiao Avenue", "primary", 2, 50.0)
CHENJIAGE = RoadClass("陈家隔路 Chenjiage Road", "secondary", 2, 40.0)
SERVICE = RoadClass(None, "service", 1, 20.0)
PROMENADE = RoadClass("滨江步道 Riverside promenade", "footway", 1, 5.0, width_m=6.0)
PARK_PATH = RoadClass("钓鱼嘴公园步道 Diaoyuzui Park path", "footway", 1, 5.0, width_m=4.0)
STAIRS = RoadClass("梯道 Stairs", "footway", 1, 3.0, width_m=2.5)


def _street(name: str, highway: str = "residential") -> RoadClass:
    lanes, speed = {"secondary": (2, 40.0), "tertiary": (1, 40.0)}.get(highway, (1, 30.0))
    return RoadClass(name, highway, lanes, speed)


@dataclass(frozen=True)
class Line:
    """A straight design road: a row (``fixed`` = v) or a column (``fixed`` = u) from lo to hi."""

    fixed: float
    lo: float
    hi: float
    cls: RoadClass


@dataclass
class _Roads:
    """A node/edge road graph in the design frame; node keys are centimetre-rounded (u, v)."""

    uv: list[Coord]
    index: dict[tuple[int, int], int]
    edges: list[tuple[int, int, RoadClass]]

    def node(self, u: float, v: float) -> int:
        key = (round(u * 100), round(v * 100))
        if key not in self.index:
            self.index[key] = len(self.uv)
            self.uv.append((u, v))
        return self.index[key]

    def add(self, a: Coord, b: Coord, cls: RoadClass) -> None:
        ia, ib = self.node(*a), self.node(*b)
        if ia != ib:
            self.edges.append((ia, ib, cls))


def _add_lines(roads: _Roads, rows: list[Line], cols: list[Line]) -> None:
    """Split rows and columns at every crossing so each junction is a shared endpoint."""
    for c in cols:
        cuts = {c.lo, c.hi} | {r.fixed for r in rows if r.lo <= c.fixed <= r.hi}
        vs = sorted(v for v in cuts if c.lo <= v <= c.hi)
        for va, vb in itertools.pairwise(vs):
            roads.add((c.fixed, va), (c.fixed, vb), c.cls)
    for r in rows:
        cuts = {r.lo, r.hi} | {c.fixed for c in cols if c.lo <= r.fixed <= c.hi}
        us = sorted(u for u in cuts if r.lo <= u <= r.hi)
        for ua, ub in itertools.pairwise(us):
            roads.add((ua, r.fixed), (ub, r.fixed), r.cls)


def _brick_columns(
    rng: np.random.Generator,
    rows_v: Sequence[float],
    u_range: Coord,
    *,
    label: str,
    keep_out: Sequence[Coord] = (),
) -> list[Line]:
    """Staggered cross streets between consecutive rows: an irregular grid with T-junctions."""
    cols: list[Line] = []
    for k, (va, vb) in enumerate(itertools.pairwise(rows_v)):
        us = [u_range[0], u_range[1]]
        u = u_range[0] + LATTICE_M * int(rng.integers(3, 5))
        while u < u_range[1] - 2 * LATTICE_M:
            us.append(u)
            u += LATTICE_M * int(rng.integers(3, 6))
        for j, u in enumerate(sorted(us)):
            if not any(a <= u <= b for a, b in keep_out):
                cols.append(Line(u, va, vb, _street(f"{label} Lane {k + 1}-{j + 1}")))
    return cols


def _rows(vs: Sequence[float], u_range: Coord, label: str) -> list[Line]:
    return [Line(v, *u_range, _street(f"{label} Street {k + 1}")) for k, v in enumerate(vs)]


def _layout_lines(rng: np.random.Generator) -> tuple[list[Line], list[Line]]:
    """Every straight road of the design, as rows (along the river) and columns (up the slope)."""
    e = U_EXTENT_M
    rows = [
        Line(420.0, -e, e, BINJIANG),
        Line(25.0, -e, -1100.0, PROMENADE),
        Line(250.0, -e, -1100.0, _street("丰收坝 Fengshouba Riverside Street")),
        Line(25.0, 800.0, e, PROMENADE),
        Line(220.0, 800.0, e, PARK_PATH),
        Line(60.0, -310.0, 310.0, SERVICE),  # depot ring road, inside the fence
        Line(380.0, -310.0, 310.0, SERVICE),
        Line(160.0, -1000.0, -700.0, SERVICE),  # Fengshouba water plant
        Line(560.0, -e, e, _street("伏牛溪路 Funiuxi Road", "tertiary")),
        Line(780.0, -e, -250.0, _street("丰收坝路 Fengshouba Road", "tertiary")),
        Line(780.0, -250.0, e, JIANQIAO),
        Line(SLOPE_V_M, -e, e, _street("坡脚路 Slope Road", "secondary")),
        Line(1740.0, -e, e, _street("中坝路南辅道 Zhongba Road south frontage", "tertiary")),
        Line(1860.0, -e, e, _street("中坝路北辅道 Zhongba Road north frontage", "tertiary")),
    ]
    res_v = [SLOPE_V_M, 1030.0, 1160.0, 1290.0, 1410.0, 1520.0, 1630.0, 1740.0]
    rows += _rows(res_v[1:-1], (-e, e), "Zhoujiaping")
    tiao_v = [1860.0, 1990.0, 2120.0, 2250.0, 2380.0, 2500.0]
    rows += _rows(tiao_v[1:], (-2400.0, -280.0), "Tiaodeng")
    chen_v = [1860.0, 1990.0, 2120.0, 2250.0, 2360.0]
    rows += _rows(chen_v[1:], (280.0, 2600.0), "Chenjiage")
    rows.append(Line(2700.0, U_HUAFU - 300.0, U_HUAFU + 300.0, PARK_PATH))

    cols = [
        Line(U_HUAFU, 420.0, 1860.0, HUAFU),
        Line(U_HUAFU, 1860.0, 2700.0, HUAFU_UP),
        Line(U_CHENJIAGE, 780.0, 2360.0, CHENJIAGE),
        Line(0.0, 60.0, 420.0, replace(SERVICE, name="伏牛溪油库 Funiuxi depot gate road")),
        Line(-310.0, 60.0, 380.0, SERVICE),
        Line(310.0, 60.0, 380.0, SERVICE),
        Line(560.0, 120.0, 420.0, SERVICE),  # fuel terminal
        Line(-850.0, 160.0, 420.0, replace(SERVICE, name="丰收坝水厂 Fengshouba water plant")),
        Line(1250.0, 220.0, 420.0, replace(SERVICE, name="钓鱼嘴公园 Diaoyuzui Park access")),
        Line(-600.0, 420.0, 560.0, _crossing("伏牛溪站道口 Funiuxi station level crossing")),
        Line(1000.0, 420.0, 560.0, replace(PARK_PATH, name="人行天桥 Footbridge over railway")),
    ]
    for u in (-2100.0, 0.0, 700.0, 1500.0):
        cols.append(Line(u, 420.0, 560.0, _street("铁路下穿道 Rail underpass", "tertiary")))
    for u in (-1100.0, -1250.0, -1600.0, -1950.0, -2300.0, -2650.0, -3000.0, -3350.0):
        cols.append(Line(u, 25.0, 250.0 if u < -1100.0 else 420.0, STAIRS))
    for u in (-1400.0, -1750.0, -2100.0, -2450.0, -2800.0, -3150.0):
        cols.append(Line(u, 250.0, 420.0, _street("丰收坝 Fengshouba Lane")))
    for u in (800.0, 1100.0, 1700.0, 2000.0, 2300.0, 2600.0, 2900.0, 3200.0):
        cols.append(Line(u, 25.0, 420.0, PARK_PATH))
    cols += _industrial_columns()
    keep_out = [(U_HUAFU - 70.0, U_HUAFU + 70.0), (U_CHENJIAGE - 70.0, U_CHENJIAGE + 70.0)]
    cols += _brick_columns(rng, res_v, (-e, e), label="Zhoujiaping", keep_out=keep_out)
    cols += _brick_columns(rng, tiao_v, (-2400.0, -280.0), label="Tiaodeng", keep_out=keep_out)
    cols += _brick_columns(rng, chen_v, (280.0, 2600.0), label="Chenjiage", keep_out=keep_out)
    under = _street("中坝路下穿 Zhongba Road underpass", "tertiary")
    cols += [Line(u, 1740.0, 1860.0, under) for u in (-120.0, 80.0, 280.0, 480.0)]
    cols += [Line(U_HUAFU + du, 2700.0, 3000.0, PARK_PATH) for du in (-300.0, 300.0)]
    return rows, cols


def _crossing(name: str) -> RoadClass:
    return RoadClass(name, "tertiary", 1, 20.0, level_crossing=True)


def _industrial_columns() -> list[Line]:
    """Cross roads of the industrial strip, placed to miss the enterprise sites; site spurs."""
    road = _street("工业支路 Industrial Road", "tertiary")
    low = (-3300, -2700, -2300, -1900, -1600, -700, -150, 150, 400, 700, 1000, 1250, 1750, 2050)
    high = (-3300, -2600, -2200, -1800, -1350, -600, -250, 100, 400, 1000, 1300, 1650, 2000)
    cols = [Line(float(u), 560.0, 780.0, road) for u in (*low, 2400, 2800, 3200)]
    cols += [Line(float(u), 780.0, SLOPE_V_M, road) for u in (*high, 2350, 2750, 3150)]
    spurs = ((-1280.0, 560.0, 680.0), (-420.0, 560.0, 650.0), (780.0, 780.0, 850.0))
    cols += [Line(u, lo, hi, SERVICE) for u, lo, hi in (*spurs, (1480.0, 560.0, 680.0))]
    return cols


def _add_zhongba(roads: _Roads, cols: list[Line]) -> None:
    """Zhongba Road (two-way, 4 lanes each way) with its two interchanges and its viaduct."""
    crossing_u = sorted(c.fixed for c in cols if c.lo < ZHONGBA_V_M < c.hi)
    ramps = [U_HUAFU - RAMP_OFFSET_M, U_HUAFU + RAMP_OFFSET_M]
    ramps += [U_CHENJIAGE - RAMP_OFFSET_M, U_CHENJIAGE + RAMP_OFFSET_M]
    base = [-U_EXTENT_M + 20.0 + 160.0 * k for k in range(int(2 * U_EXTENT_M / 160.0))]
    far = [u for u in base if min(abs(u - c) for c in crossing_u) > 30.0]
    us = sorted([u for u in far if min(abs(u - r) for r in ramps) > 60.0] + ramps)
    for ua, ub in itertools.pairwise(us):
        over = any(ua <= c <= ub for c in crossing_u) or (ua < VIADUCT_U[1] and ub > VIADUCT_U[0])
        cls = CHENTUO if ua >= U_CHENJIAGE + RAMP_OFFSET_M else ZHONGBA
        roads.add((ua, ZHONGBA_V_M), (ub, ZHONGBA_V_M), replace(cls, bridge=over))
    for u_x, name in ((U_HUAFU, "跳磴立交 Tiaodeng"), (U_CHENJIAGE, "陈家隔立交 Chenjiage")):
        ramp = RoadClass(f"{name} interchange ramp", "trunk", 1, 40.0)
        roads.add((u_x - RAMP_OFFSET_M, ZHONGBA_V_M), (u_x, 1740.0), ramp)
        roads.add((u_x + RAMP_OFFSET_M, ZHONGBA_V_M), (u_x, 1860.0), ramp)


def _flag_rail_crossings(roads: _Roads) -> None:
    """Mark every segment that crosses the railway a bridge, unless it is the level crossing."""
    for k, (a, b, cls) in enumerate(roads.edges):
        va, vb = roads.uv[a][1], roads.uv[b][1]
        if min(va, vb) < RAIL_V_M < max(va, vb) and not cls.level_crossing:
            roads.edges[k] = (a, b, replace(cls, bridge=True))


def _jitter(roads: _Roads, rng: np.random.Generator) -> None:
    """Nudge junctions that only residential streets and footways meet (irregular blocks)."""
    local = {"residential", "footway"}
    degree: dict[int, set[str]] = {}
    for a, b, cls in roads.edges:
        for n in (a, b):
            degree.setdefault(n, set()).add(cls.highway)
    shifts = rng.uniform(-1.0, 1.0, size=(len(roads.uv), 2))
    for n, classes in sorted(degree.items()):
        u, v = roads.uv[n]
        if classes <= local and v > SLOPE_V_M:
            roads.uv[n] = (u + 8.0 * shifts[n, 0], v + 10.0 * shifts[n, 1])


# --- from design lines to the final road graph -------------------------------------------------


@dataclass(frozen=True)
class RoadGraph:
    """The finished road graph: node positions (design frame and EPSG:32648) and segments."""

    uv: list[Coord]
    xy_m: dict[int, Coord]
    edges: list[tuple[int, int, RoadClass]]


def _is_drivable(cls: RoadClass) -> bool:
    return cls.highway != "footway"


def _clip_to_frame(roads: _Roads, frame: Frame) -> RoadGraph:
    """Cut roads at the 4 km square (they end on its edge), then keep the largest piece."""
    cx, cy = frame.point_m(*FRAME_CENTRE_UV)
    lim = FRAME_HALF_M - 1.0

    def inside(u: float, v: float) -> bool:
        x, y = frame.point_m(u, v)
        return abs(x - cx) <= lim and abs(y - cy) <= lim

    flags = [inside(u, v) for u, v in roads.uv]
    edges = []
    for a, b, cls in roads.edges:
        if flags[a] and flags[b]:
            edges.append((a, b, cls))
        elif flags[a] or flags[b]:
            (ui, vi), (uo, vo) = (
                (roads.uv[a], roads.uv[b]) if flags[a] else (roads.uv[b], roads.uv[a])
            )
            lo, hi = 0.0, 1.0
            for _ in range(40):  # bisection for where the segment leaves the square
                mid = (lo + hi) / 2
                lo, hi = (
                    (mid, hi) if inside(ui + (uo - ui) * mid, vi + (vo - vi) * mid) else (lo, mid)
                )
            if lo * math.hypot(uo - ui, vo - vi) >= 15.0:
                end = roads.node(ui + (uo - ui) * lo, vi + (vo - vi) * lo)
                edges.append((a, end, cls) if flags[a] else (end, b, cls))
    graph = nx.Graph()
    graph.add_edges_from((a, b) for a, b, _ in edges)
    keep = max(nx.connected_components(graph), key=lambda comp: (len(comp), min(comp)))
    edges = [(a, b, c) for a, b, c in edges if a in keep]
    nodes = sorted(keep)
    x, y = frame.xy([roads.uv[n][0] for n in nodes], [roads.uv[n][1] for n in nodes])
    xy_m = {n: (float(px), float(py)) for n, px, py in zip(nodes, x, y, strict=True)}
    return RoadGraph(list(roads.uv), xy_m, edges)


def _thin_and_stair(graph: RoadGraph, rng: np.random.Generator) -> RoadGraph:
    """Drop some residential segments and turn some slope segments into stairs.

    A change is kept only if both the whole graph and its drivable part stay connected.
    """
    full, drive = nx.Graph(), nx.Graph()
    for a, b, cls in graph.edges:
        full.add_edge(a, b)
        if _is_drivable(cls):
            drive.add_edge(a, b)
    edges: list[tuple[int, int, RoadClass] | None] = list(graph.edges)
    local = [k for k, (_, _, c) in enumerate(graph.edges) if c.highway == "residential"]
    order = [local[int(i)] for i in rng.permutation(len(local))]
    n_drop, n_stair = len(local) // 10, len(local) // 8
    for k in order:
        a, b, cls = graph.edges[k]
        (ua, va), (ub, vb) = graph.uv[a], graph.uv[b]
        steep = abs(vb - va) > abs(ub - ua) and min(va, vb) >= SLOPE_V_M
        if n_drop > 0 or (n_stair > 0 and steep):
            drive.remove_edge(a, b)
            if not nx.has_path(drive, a, b):
                drive.add_edge(a, b)
                continue
            if n_drop > 0:
                full.remove_edge(a, b)
                if not nx.has_path(full, a, b):
                    full.add_edge(a, b)
                    drive.add_edge(a, b)
                    continue
                edges[k], n_drop = None, n_drop - 1
            else:
                edges[k], n_stair = (a, b, STAIRS), n_stair - 1
    return replace(graph, edges=[e for e in edges if e is not None])


def build_road_graph(frame: Frame, rng: np.random.Generator) -> RoadGraph:
    """The whole road network of the area, inside the frame, one connected piece."""
    rows, cols = _layout_lines(rng)
    roads = _Roads([], {}, [])
    _add_lines(roads, rows, cols)
    _add_zhongba(roads, cols)
    _flag_rail_crossings(roads)
    _jitter(roads, rng)
    return _thin_and_stair(_clip_to_frame(roads, frame), rng)


# --- features ----------------------------------------------------------------------------------


class _LonLat:
    """EPSG:32648 -> rounded EPSG:4326 (7 decimals, ~1 cm)."""

    def __init__(self) -> None:
        self._tr = Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)

    def __call__(self, pts: Sequence[Coord]) -> list[list[float]]:
        lon, lat = self._tr.transform([p[0] for p in pts], [p[1] for p in pts])
        return [[round(float(a), 7), round(float(b), 7)] for a, b in zip(lon, lat, strict=True)]


def _feature(props: dict[str, Any], geometry: dict[str, Any]) -> Feature:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def _point(lonlat: _LonLat, xy: Coord) -> dict[str, Any]:
    return {"type": "Point", "coordinates": lonlat([xy])[0]}


def road_features(graph: RoadGraph, frame: Frame, lonlat: _LonLat) -> list[Feature]:
    """One LineString per segment; endpoints are the shared junction coordinates."""
    nodes = sorted(graph.xy_m)
    node_ll = dict(zip(nodes, lonlat([graph.xy_m[n] for n in nodes]), strict=True))
    feats = []
    for k, (a, b, cls) in enumerate(graph.edges):
        inner = frame.line_m([graph.uv[a], graph.uv[b]], step_m=60.0)[1:-1]
        coords = [node_ll[a], *lonlat(inner), node_ll[b]] if inner else [node_ll[a], node_ll[b]]
        props = {
            "id": f"R-{k + 1:04d}",
            "name": cls.name,
            "highway": cls.highway,
            "lanes": cls.lanes,
            "speed_kph": cls.speed_kph,
            "oneway": False,
            "walk": cls.highway != "trunk",
            "drive": _is_drivable(cls),
            "width_m": cls.width_m,
            "bridge": cls.bridge,
            "level_crossing": cls.level_crossing,
        }
        feats.append(_feature(props, {"type": "LineString", "coordinates": coords}))
    return feats


def _lonlat_geometry(geom: BaseGeometry, lonlat: _LonLat) -> dict[str, Any]:
    """A (Multi)LineString or (Multi)Polygon as GeoJSON in EPSG:4326 (RFC 7946 ring order)."""

    def xy(ring: Any) -> list[Coord]:
        return [(float(c[0]), float(c[1])) for c in ring.coords]

    if isinstance(geom, LineString):
        return {"type": "LineString", "coordinates": lonlat(xy(geom))}
    if isinstance(geom, Polygon):
        ccw = orient(geom, 1.0)
        rings = [ccw.exterior, *ccw.interiors]
        return {"type": "Polygon", "coordinates": [lonlat(xy(r)) for r in rings]}
    parts = [_lonlat_geometry(g, lonlat)["coordinates"] for g in getattr(geom, "geoms", ())]
    if not parts:
        raise ValueError(f"cannot write a {geom.geom_type} as a context feature")
    return {"type": geom.geom_type, "coordinates": parts}


def context_features(lonlat: _LonLat) -> list[Feature]:
    """The Yangtze and the Chengdu–Chongqing railway, clipped to the 4 km frame (drawn only)."""
    frame = frame_polygon_m()
    rows = (
        ("CX-1", "长江 Yangtze River", "water", river_polygon_m()),
        ("CX-2", "成渝铁路 Chengdu–Chongqing railway", "railway", railway_line_m()),
    )
    return [
        _feature({"id": fid, "name": name, "kind": kind}, _lonlat_geometry(g & frame, lonlat))
        for fid, name, kind, g in rows
    ]


# --- the whole area ----------------------------------------------------------------------------


def _check_facilities(layers: dict[str, list[Feature]], graph: RoadGraph) -> None:
    """Fail loudly if a facility is more than 150 m from a road junction (a generator bug)."""
    tree = STRtree([Point(p) for p in graph.xy_m.values()])
    fwd = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
    for layer in ("assembly_points", "shelters", "supply_points", "team_bases"):
        for f in layers[layer]:
            here = Point(fwd.transform(*f["geometry"]["coordinates"]))
            near = tree.geometries[tree.nearest(here)]
            if here.distance(near) > 150.0:
                fid = f["properties"]["id"]
                raise RuntimeError(f"layer '{layer}', feature '{fid}': {here.distance(near):.0f} m")


def generate() -> dict[str, list[Feature]]:
    """Build every layer of the Funiuxi area.

    Returns
    -------
    dict
        Layer name -> GeoJSON features (EPSG:4326, coordinates rounded to 7 decimals).
    """
    rng = np.random.default_rng(SEED)
    frame, lonlat = Frame.create(), _LonLat()
    graph = build_road_graph(frame, rng)
    layers = {"roads": road_features(graph, frame, lonlat)}
    layers["hazard_sources"] = hazard_features(frame.point_m, lonlat)
    ring = frame.line_m
    layers["grids"] = grid_features(ring, frame.point_m, frame_polygon_m(), lonlat, rng)
    layers |= facility_features(frame.point_m, lonlat)
    layers["context"] = context_features(lonlat)
    _check_facilities(layers, graph)
    return {name: layers[name] for name in LAYERS}


def layer_text(name: str, features: Sequence[Feature]) -> str:
    """A layer as byte-stable GeoJSON text: fixed key order, one feature per line."""
    head = json.dumps({"type": "FeatureCollection", "name": name}, ensure_ascii=False)
    body = ",\n".join(json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features)
    return f'{head[:-1]}, "features": [\n{body}\n]}}\n'


def write_layers(out_dir: Path) -> list[Path]:
    """Generate the layers and write ``<layer>.geojson`` files into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, feats in generate().items():
        path = out_dir / f"{name}.geojson"
        path.write_text(layer_text(name, feats), encoding="utf-8", newline="\n")
        logger.info("%s: %d features", path, len(feats))
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python make_layers.py [--out DIR]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    here = Path(__file__).resolve().parent
    parser.add_argument("--out", type=Path, default=here, help="output folder (default: here)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for path in write_layers(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
