"""Capacity-constrained route planning (CCRP): earliest-arrival routes booked against capacity.

Lu, George & Shekhar (2005), "Capacity constrained routing algorithms for evacuation planning:
a summary of results", SSTD 2005, LNCS 3633: each link keeps its capacity as a time series;
evacuees are routed one after another along the path that reaches a destination earliest given
what earlier evacuees booked, and their passage is booked. It needs no horizon and no LP, and its
plan is feasible, so its clearance is an *upper* bound (the time-expanded max flow of
:mod:`evacsim.optimize.bound` gives the lower one).

Here the evacuees are the groups of the run's demand, taken in the order they leave (their
departure times are the release times), and the capacity series follows the engine's link model
(:mod:`evacsim.sim.engine`): a unit that enters a link at ``t`` can leave at ``t + τ``, and its
exit holds the link for ``size / c`` seconds (the engine's headway), so it leaves at the earliest
time from then on when the exit is free that long (bookings need not come in time order, so
unlike the engine there is no first-in first-out). The hazard rule holds over time: a group may
enter a road only while its threat level there is no worse than the group's own
(``evacsim.sim.router``), so closures as the zones grow are respected. Assembly points take
groups until they are full; when no usable point with room can be reached, the nearest reachable
one takes the group anyway (the engine turns nobody away either). The result is each group's
point, route and estimated arrival.
"""

from __future__ import annotations

import bisect
import heapq
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from evacsim.optimize.networks import Networks

__all__ = ["Booked", "ccrp"]


@dataclass(frozen=True, eq=False)
class Booked:
    """Each group's booking, in the order of the demand's groups.

    Attributes
    ----------
    ap
        Index of the assembly point (in the area's order), -1 if none can be reached.
    arrival_s
        Estimated arrival at it, seconds (NaN if none).
    edges
        The route's edges, in travel order.
    """

    ap: np.ndarray
    arrival_s: np.ndarray
    edges: list[np.ndarray]


class _Timeline:
    """When a link's exit is taken: merged, sorted busy intervals ``[start, end)``.

    A unit of size ``s`` occupies the exit for ``s / c`` seconds (the engine's headway), so a
    booking is the earliest gap of that length at or after the unit's ready time.
    """

    __slots__ = ("ends", "starts")

    def __init__(self) -> None:
        self.starts: list[float] = []
        self.ends: list[float] = []

    def earliest(self, ready: float, busy_s: float) -> float:
        i = bisect.bisect_right(self.ends, ready)
        t = ready
        while i < len(self.starts) and t + busy_s > self.starts[i]:
            t = max(t, self.ends[i])
            i += 1
        return t

    def book(self, t: float, busy_s: float) -> None:
        end = t + busy_s
        i = bisect.bisect_left(self.ends, t)  # first interval that ends at or after t
        j = bisect.bisect_right(self.starts, end)  # intervals i .. j-1 touch [t, end]
        if i < j:
            t, end = min(t, self.starts[i]), max(end, self.ends[j - 1])
        self.starts[i:j] = [t]
        self.ends[i:j] = [end]


class _Mode:
    """One mode's links, their exit timelines and the search over them."""

    def __init__(self, ctx: Networks, mode: str) -> None:
        net = ctx.net
        edges = np.flatnonzero(ctx.links.usable[mode] & ctx.open)
        cap = np.nan_to_num(ctx.capacity_per_s(mode)[edges], nan=np.inf)
        self.headway_s = np.where(np.isfinite(cap), 1.0 / cap, 0.0).tolist()
        self.lines = [_Timeline() for _ in range(edges.size)]
        self.adj: list[list[tuple[int, int, float, int]]] = [[] for _ in range(net.n_nodes)]
        ff = ctx.links.weight_s[mode]
        for j, e in enumerate(edges.tolist()):
            self.adj[int(net.edge_tail[e])].append((e, int(net.edge_head[e]), float(ff[e]), j))

    def route(
        self,
        origin: int,
        release_s: float,
        size: float,
        closes_s: np.ndarray,
        sinks: dict[int, int],
    ) -> tuple[int, float, list[tuple[int, int, float]]] | None:
        """Earliest arrival at any of ``sinks`` (node -> assembly point index): the point, the
        time and the path ``[(edge, link row, exit time), ...]``; None if none is reachable."""
        dist = {origin: release_s}
        pred: dict[int, tuple[int, int, int, float]] = {}
        heap = [(release_s, origin)]
        lines, headway = self.lines, self.headway_s
        while heap:
            t, u = heapq.heappop(heap)
            if t > dist[u]:
                continue
            if u in sinks:
                path = []
                node = u
                while node != origin:
                    prev, e, j, out = pred[node]
                    path.append((e, j, out))
                    node = prev
                return sinks[u], t, path[::-1]
            for e, v, ff, j in self.adj[u]:
                if closes_s[e] <= t:
                    continue  # the hazard has made this road worse than the group's level
                out = lines[j].earliest(t + ff, size * headway[j])
                if out < dist.get(v, math.inf):
                    dist[v] = out
                    pred[v] = (u, e, j, out)
                    heapq.heappush(heap, (out, v))
        return None

    def book(self, path: list[tuple[int, int, float]], size: float) -> None:
        for _e, j, out in path:
            self.lines[j].book(out, size * self.headway_s[j])


def ccrp(
    ctx: Networks,
    groups: pd.DataFrame,
    ap_capacity: np.ndarray,
    *,
    fixed_ap: np.ndarray | None = None,
) -> Booked:
    """Book every group's earliest-arrival route, in departure order (module docstring).

    Parameters
    ----------
    ctx
        The scenario's networks, levels and sinks (:class:`evacsim.optimize.networks.Networks`).
    groups
        The demand's groups (``mode``, ``persons``, ``origin_node``, ``departure_s``, ``level``).
    ap_capacity
        Persons each assembly point (area order) takes; unusable points are never used.
    fixed_ap
        Per group, the assembly point it must go to (-1: free choice); only the route is sought.
    """
    n = len(groups)
    snap = ctx.prepared.snapped.assembly_points
    nodes = {"car": snap.car_node, "walk": snap.walk_node, "assisted": snap.walk_node}
    usable = ctx.ap_usable
    release = groups["departure_s"].to_numpy(float)
    modes = {m: _Mode(ctx, m) for m in sorted(set(groups["mode"].astype(str)))}
    closes = ctx.closing_times_s()
    left = np.asarray(ap_capacity, dtype=float).copy()
    ap = np.full(n, -1, dtype=np.int64)
    arrival = np.full(n, np.nan)
    edges: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * n
    mode_of = groups["mode"].astype(str).to_numpy()
    persons = groups["persons"].to_numpy(np.int64)
    origin = groups["origin_node"].to_numpy(np.int64)
    level = ctx.effective_levels(groups["level"].to_numpy(np.int64))
    for g in np.argsort(release, kind="stable").tolist():
        mode = mode_of[g]
        size = 1.0 if mode == "car" else float(persons[g])
        if fixed_ap is not None and fixed_ap[g] >= 0:
            room = any_ap = {int(nodes[mode][fixed_ap[g]]): int(fixed_ap[g])}
        else:
            fits = np.flatnonzero(usable & (left >= persons[g])).tolist()
            room = {int(nodes[mode][j]): j for j in fits}
            any_ap = {int(nodes[mode][j]): j for j in np.flatnonzero(usable).tolist()}
        found = modes[mode].route(
            int(origin[g]), release[g], size, closes[level[g]], room or any_ap
        )
        if found is None and room:
            found = modes[mode].route(int(origin[g]), release[g], size, closes[level[g]], any_ap)
        if found is None:
            continue
        j, t, path = found
        modes[mode].book(path, size)
        left[j] -= persons[g]
        ap[g], arrival[g] = j, t
        edges[g] = np.array([e for e, _, _ in path], dtype=np.int64)
    return Booked(ap=ap, arrival_s=arrival, edges=edges)
