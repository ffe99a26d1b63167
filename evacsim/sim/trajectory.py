"""Where a person is over time, in pieces, cut into short constant-condition intervals.

A person (an evacuee group, a bus driver, a team crew) is at every instant either at a network
node — a *point piece* (home, an assembly point, waiting in a vehicle at the head of a queue,
stranded) — or on a road — a *link piece*: an edge and the fractions of its length at the
piece's start and end, moving uniformly in between. A vehicle's record from the traffic engine
(``(link, t_enter_s, t_exit_s)`` per link) becomes one link piece per link: the person is taken
along the link's length for the whole time spent on it, queueing included (a vehicle queued on a
link creeps forward through it: its average position moves from tail to head). On a link the
vehicle has not left yet, the position is estimated as free-flow progress, then a wait at the
head.

:func:`subdivide` cuts the pieces into intervals no longer than ``step_m`` metres and
``step_s`` seconds and at the given break times, each evaluated at its midpoint; point pieces
are cut at the point's own break times (when the hazard there switches on or off), between which
conditions are constant, so they are exact (or, without those, every ``step_s`` too).
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely

from evacsim.network.graph import RoadNetwork

__all__ = ["Intervals", "Pieces", "add_leg", "columns", "edge_points", "subdivide"]

#: Longest interval of the midpoint rule along roads, metres and seconds (DESIGN: exposure is
#: integrated over each link; the error is at most half an interval per boundary crossed).
STEP_M = 5.0
STEP_S = 5.0


@dataclass
class Pieces:
    """Pieces of many people's trajectories (``owner`` tells whose), in columns."""

    owner: list[int] = field(default_factory=list)
    t0: list[float] = field(default_factory=list)
    t1: list[float] = field(default_factory=list)
    edge: list[int] = field(default_factory=list)  # -1: a point piece at ``node``
    f0: list[float] = field(default_factory=list)
    f1: list[float] = field(default_factory=list)
    node: list[int] = field(default_factory=list)
    indoor: list[bool] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.owner)

    def point(self, owner: int, node: int, t0: float, t1: float, *, indoor: bool = False) -> None:
        """``owner`` stands at ``node`` from ``t0`` to ``t1`` (nothing if ``t1 <= t0``)."""
        if t1 > t0:
            self._add(owner, t0, t1, -1, 0.0, 0.0, node, indoor)

    def link(self, owner: int, edge: int, f0: float, f1: float, t0: float, t1: float) -> None:
        """``owner`` moves along ``edge`` from fraction ``f0`` to ``f1`` between ``t0`` and
        ``t1`` (nothing if ``t1 <= t0``)."""
        if t1 > t0:
            self._add(owner, t0, t1, edge, f0, f1, -1, False)

    def _add(
        self, owner: int, t0: float, t1: float, edge: int, f0: float, f1: float, node: int,
        indoor: bool,
    ) -> None:  # fmt: skip
        self.owner.append(owner)
        self.t0.append(t0)
        self.t1.append(t1)
        self.edge.append(edge)
        self.f0.append(f0)
        self.f1.append(f1)
        self.node.append(node)
        self.indoor.append(indoor)


def add_leg(
    pieces: Pieces,
    owner: int,
    records: Sequence[tuple[int, float, float]],
    *,
    link_edge: np.ndarray,
    link_freeflow_s: np.ndarray,
    net: RoadNetwork,
    origin: int,
    t_start: float,
    end: tuple[float, int] | None,
    ta: float,
    tb: float,
    wanted: Sequence[bool] | None = None,
) -> None:
    """The pieces of one vehicle leg between ``ta`` and ``tb``.

    Parameters
    ----------
    records
        The engine's ``(link, t_enter_s, t_exit_s)`` of the leg (``t_exit_s`` NaN while on it).
    link_edge, link_freeflow_s
        Edge and free-flow time of every engine link.
    origin, t_start
        Where and when the leg began (before its first link it waits at ``origin``).
    end
        ``(t_s, node)`` where the leg ended (arrived or stranded), ``None`` while it runs;
        the pieces stop there (where the person goes next is not the leg's business).
    ta, tb
        The part of the leg wanted.
    wanted
        Per engine link, whether its pieces are wanted at all (the others are left out: a
        caller that counts only where a hazard reaches saves building them).
    """
    t_end = end[0] if end is not None else math.inf
    stop = min(tb, t_end)
    first_in = records[0][1] if records else t_end
    pieces.point(owner, origin, max(ta, t_start), min(stop, first_in))
    for link, tin, tout in records:
        if tin >= stop:
            break
        if not math.isnan(tout):
            if tout > ta and (wanted is None or wanted[link]):
                _clipped(pieces, owner, int(link_edge[link]), tin, tout, 0.0, 1.0, ta, stop)
            continue
        edge = int(link_edge[link])
        # still on the link: free-flow progress, then a wait at its head
        arrive = tin + float(link_freeflow_s[link])
        _clipped(pieces, owner, edge, tin, arrive, 0.0, 1.0, ta, stop)
        pieces.point(owner, int(net.edge_head[edge]), max(ta, arrive), stop)
        return


def _clipped(
    pieces: Pieces, owner: int, edge: int, t0: float, t1: float, f0: float, f1: float,
    ta: float, tb: float,
) -> None:  # fmt: skip
    """Add the part of a uniform move within [ta, tb]."""
    lo, hi = max(t0, ta), min(t1, tb)
    if hi <= lo:
        return
    span = t1 - t0
    fa = f0 + (f1 - f0) * (lo - t0) / span if span > 0 else f1
    fb = f0 + (f1 - f0) * (hi - t0) / span if span > 0 else f1
    pieces.link(owner, edge, fa, fb, lo, hi)


@dataclass(frozen=True, eq=False)
class Intervals:
    """Short intervals, each evaluated at its midpoint ``(x_m, y_m, t_s)`` and lasting ``dt_s``.

    ``ta``/``tb`` bound each interval, ``fa``/``fb`` its fractions along ``edge`` (-1 at a
    point: ``node``); intervals of one piece are consecutive and in time order.
    """

    owner: np.ndarray
    ta: np.ndarray
    tb: np.ndarray
    x_m: np.ndarray
    y_m: np.ndarray
    edge: np.ndarray
    fa: np.ndarray
    fb: np.ndarray
    node: np.ndarray
    indoor: np.ndarray

    @property
    def t_s(self) -> np.ndarray:
        """Midpoint times."""
        return 0.5 * (self.ta + self.tb)

    @property
    def dt_s(self) -> np.ndarray:
        """Durations."""
        return self.tb - self.ta

    def __len__(self) -> int:
        return int(self.owner.shape[0])


def _split_at(cols: dict[str, np.ndarray], t: float) -> dict[str, np.ndarray]:
    """Cut every piece that straddles time ``t`` in two (fractions interpolated)."""
    cut = np.flatnonzero((cols["t0"] < t) & (cols["t1"] > t))
    if cut.size == 0:
        return cols
    t0, t1 = cols["t0"][cut], cols["t1"][cut]
    f0, f1 = cols["f0"][cut], cols["f1"][cut]
    fm = f0 + (f1 - f0) * (t - t0) / (t1 - t0)
    tail = {k: v[cut].copy() for k, v in cols.items()}
    tail["t0"][:] = t
    tail["f0"] = fm
    cols = {k: v.copy() for k, v in cols.items()}
    cols["t1"][cut] = t
    cols["f1"][cut] = fm
    return {k: np.concatenate([cols[k], tail[k]]) for k in cols}


def columns(
    pieces: Pieces, *, breaks_s: Sequence[float] | np.ndarray = (), keep: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """The pieces as arrays (only those ``keep`` selects), cut at every time of ``breaks_s``."""
    cols = {
        "owner": np.asarray(pieces.owner, dtype=np.int64),
        "t0": np.asarray(pieces.t0, dtype=float),
        "t1": np.asarray(pieces.t1, dtype=float),
        "edge": np.asarray(pieces.edge, dtype=np.int64),
        "f0": np.asarray(pieces.f0, dtype=float),
        "f1": np.asarray(pieces.f1, dtype=float),
        "node": np.asarray(pieces.node, dtype=np.int64),
        "indoor": np.asarray(pieces.indoor, dtype=bool),
    }
    if keep is not None:
        cols = {k: v[keep] for k, v in cols.items()}
    for t in np.unique(np.asarray(breaks_s, dtype=float)):
        cols = _split_at(cols, float(t))
    return cols


def subdivide(
    pieces: Pieces | dict[str, np.ndarray],
    net: RoadNetwork,
    *,
    breaks_s: Sequence[float] | np.ndarray = (),
    point_breaks: Callable[[float, float], np.ndarray] | None = None,
    step_m: float = STEP_M,
    step_s: float = STEP_S,
) -> Intervals:
    """Cut pieces (or their :func:`columns`) into intervals (module docstring), sorted by owner
    then time.

    ``breaks_s`` are times at which conditions change everywhere (zone frames, fires igniting);
    ``point_breaks(x_m, y_m)`` gives those of one point (a plume passing it): point pieces are
    then cut there only, else like links, every ``step_s``.
    """
    cols = columns(pieces, breaks_s=breaks_s) if isinstance(pieces, Pieces) else pieces
    on_link = cols["edge"] >= 0
    if point_breaks is not None:
        cols = _split_points(cols, net, point_breaks)
        on_link = cols["edge"] >= 0
    # n equal parts, none longer than step_m or step_s; point pieces cut at their own break
    # times stay whole (conditions are constant there)
    edge = np.maximum(cols["edge"], 0)
    length = np.where(on_link, net.length_m[edge] * np.abs(cols["f1"] - cols["f0"]), 0.0)
    dur = cols["t1"] - cols["t0"]
    n = np.maximum(1, np.ceil(np.maximum(length / step_m, dur / step_s)))
    if point_breaks is not None:
        n = np.where(on_link, n, 1)
    n = n.astype(np.int64)
    rep = np.repeat(np.arange(n.size), n)
    j = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    lo, hi = j / n[rep], (j + 1) / n[rep]
    out = {k: v[rep] for k, v in cols.items()}
    ta = out["t0"] + (out["t1"] - out["t0"]) * lo
    tb = out["t0"] + (out["t1"] - out["t0"]) * hi
    fa = out["f0"] + (out["f1"] - out["f0"]) * lo
    fb = out["f0"] + (out["f1"] - out["f0"]) * hi
    x = net.node_x_m[np.maximum(out["node"], 0)].astype(float)
    y = net.node_y_m[np.maximum(out["node"], 0)].astype(float)
    moving = np.flatnonzero(out["edge"] >= 0)
    if moving.size:
        x[moving], y[moving] = edge_points(net, out["edge"][moving], 0.5 * (fa + fb)[moving])
    order = np.lexsort((ta, out["owner"]))
    return Intervals(
        owner=out["owner"][order], ta=ta[order], tb=tb[order], x_m=x[order], y_m=y[order],
        edge=out["edge"][order], fa=fa[order], fb=fb[order], node=out["node"][order],
        indoor=out["indoor"][order],
    )  # fmt: skip


class _EdgeVertices:
    """Every edge's vertices in one array, keyed ``edge + share of its length`` (sorted)."""

    def __init__(self, net: RoadNetwork) -> None:
        coords, index = shapely.get_coordinates(net.edge_geometry, return_index=True)
        seg = np.hypot(*np.diff(coords, axis=0).T)
        seg[index[1:] != index[:-1]] = 0.0  # no segment between two edges
        cum = np.concatenate([[0.0], np.cumsum(seg)])
        start = np.searchsorted(index, np.arange(net.n_edges))
        last = np.searchsorted(index, np.arange(net.n_edges), side="right") - 1
        length = cum[last] - cum[start]
        share = (cum - cum[start][index]) / np.maximum(length[index], 1e-12)
        self.key = index + share * _KEY_SPAN
        self.x, self.y = coords[:, 0], coords[:, 1]
        self.start, self.last = start, last


_KEY_SPAN = 1.0 - 1e-9  # an edge's keys stay below the next edge's first key
_VERTICES: weakref.WeakKeyDictionary[RoadNetwork, _EdgeVertices] = weakref.WeakKeyDictionary()


def edge_points(net: RoadNetwork, edge: np.ndarray, f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Map points (m) at fractions ``f`` of the lengths of ``edge`` along their geometries.

    Same as ``shapely.line_interpolate_point(..., normalized=True)``, in numpy (~50× faster on
    the many short intervals of a run).
    """
    v = _VERTICES.get(net)
    if v is None:
        v = _VERTICES[net] = _EdgeVertices(net)
    key = edge + np.clip(f, 0.0, 1.0) * _KEY_SPAN
    i = np.clip(np.searchsorted(v.key, key, side="right") - 1, v.start[edge], v.last[edge] - 1)
    span = v.key[i + 1] - v.key[i]
    w = np.where(span > 0, (key - v.key[i]) / np.where(span > 0, span, 1.0), 0.0)
    return v.x[i] + w * (v.x[i + 1] - v.x[i]), v.y[i] + w * (v.y[i + 1] - v.y[i])


def _split_points(
    cols: dict[str, np.ndarray],
    net: RoadNetwork,
    point_breaks: Callable[[float, float], np.ndarray],
) -> dict[str, np.ndarray]:
    """Cut point pieces at their node's own break times."""
    at_point = np.flatnonzero(cols["edge"] < 0)
    if at_point.size == 0:
        return cols
    rows: list[int] = []
    t0s: list[float] = []
    t1s: list[float] = []
    cache: dict[int, np.ndarray] = {}
    for i in at_point.tolist():
        node = int(cols["node"][i])
        b = cache.get(node)
        if b is None:
            b = cache[node] = point_breaks(float(net.node_x_m[node]), float(net.node_y_m[node]))
        a, z = float(cols["t0"][i]), float(cols["t1"][i])
        edges = [a, *b[(b > a) & (b < z)].tolist(), z]
        rows += [i] * (len(edges) - 1)
        t0s += edges[:-1]
        t1s += edges[1:]
    keep = np.flatnonzero(cols["edge"] >= 0)
    idx = np.asarray(rows, dtype=np.int64)
    out = {k: np.concatenate([v[keep], v[idx]]) for k, v in cols.items()}
    out["t0"][keep.size :] = t0s
    out["t1"][keep.size :] = t1s
    return out
