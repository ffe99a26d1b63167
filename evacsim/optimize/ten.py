"""The quickest-transshipment bound on a time-expanded network (TEN), solved by max flow.

A *static* network (nodes, arcs with a free-flow time and a flow capacity, units released at
origins at given times, sink nodes) is copied once per time step of length ``step_s`` (Δ). The
earliest time ``T`` by which every unit can reach a sink is the smallest horizon whose maximum
flow from the releases to the sinks carries every unit (Ford & Fulkerson 1958, "Constructing
maximal dynamic flows from static flows", *Oper. Res.* 6:419; many sources and sinks: Hoppe &
Tardos 2000, "The quickest transshipment problem", *Math. Oper. Res.* 25:36; the time-expanded
network of Chalmet, Francis & Saunders 1982, *Management Science* 28:86). The horizon is found
by a search over the number of steps (doubling, then bisection); every trial is one max flow.

**Why it is a lower bound** on the traffic engine's clearance (:mod:`evacsim.sim.engine`). Every
trajectory of the engine maps to a flow of this network, so no plan can finish earlier
(``../shared/reference/hazard_and_planning_addendum.md`` §6, "keeping a time-expanded bound
valid"):

* **times round down.** Node ``v`` at real time ``t`` is in step ``floor((t + π(v)) / Δ)``, with
  the potential ``π(v)`` the free-flow time from ``v`` to its nearest sink: a unit's step is the
  earliest arrival it could still make. An arc of free-flow time ``τ`` from ``u`` to ``v`` moves
  ``floor((τ + π(v) − π(u)) / Δ) ≥ 0`` steps (``floor(a + b) ≥ floor(a) + floor(b)``), so steps
  never run ahead of reality, and along the fastest routes (where ``τ + π(v) = π(u)``) rounding
  loses nothing however short the links are; releases round down the same way, and a unit that
  reaches a sink at ``t ≤ T`` is there in step ``≤ floor(T / Δ)``;
* **capacities round up.** The engine lets units leave a link at least ``size / c`` apart, so
  in any window of ``Δ`` seconds at most ``ceil(c·Δ) − 1 + s_max`` capacity units leave it
  (``ceil(c·Δ)`` for units of size 1). The bound books each link's units at the step of
  ``t_exit − τ`` (when they would have entered had they not queued), which are spaced the same;
* **storage is relaxed**: queues hold any number of units (waiting is free at every node), so
  spill-back and gridlock, which only delay, are ignored.

The bound is the number of steps of the shortest feasible horizon times Δ, so it is exact (the
analytic optimum) when ``c·Δ`` and the free-flow times over Δ are integers and the releases fall
on step boundaries; otherwise it is within a few Δ of the optimum of the fluid model.

Solver: OR-Tools' ``SimpleMaxFlow`` (push-relabel, C++), chosen by measurement over
``scipy.sparse.csgraph.maximum_flow``: on the bundled Funiuxi networks (0.25–0.6 million TEN
arcs per trial) it solved each trial in 0.01–0.14 s against 0.11–2.1 s for scipy's Dinic and
1.4–8.4 s for its Edmonds-Karp, 6–30× faster (``benchmarks/bound_solvers.py``; README,
"Performance").
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

__all__ = ["StaticNetwork", "TenResult", "per_step_capacity", "quickest_transshipment"]

log = logging.getLogger(__name__)

_EPS = 1e-9


def per_step_capacity(capacity_per_s: np.ndarray, step_s: float, max_unit: int = 1) -> np.ndarray:
    """Units that may leave a link in one step of ``step_s`` seconds, rounded up (a valid bound).

    ``ceil(c·Δ) − 1 + max_unit``: with exits at least ``size / c`` apart, the units leaving in
    a half-open window of ``Δ`` seconds, all but the last, weigh less than ``c·Δ``. Infinite
    capacities give ``-1`` (no limit).
    """
    cap = np.asarray(capacity_per_s, dtype=float)
    out = np.full(cap.shape, -1, dtype=np.int64)
    finite = np.isfinite(cap)
    out[finite] = np.ceil(cap[finite] * step_s - _EPS).astype(np.int64) - 1 + int(max_unit)
    return np.maximum(out, np.where(finite, 1, -1))


def min_csr(rows: np.ndarray, cols: np.ndarray, weight: np.ndarray, n: int) -> csr_array:
    """An ``n × n`` sparse graph keeping the least weight of parallel arcs (``csr_array`` would
    add them up)."""
    key = rows.astype(np.int64) * n + cols
    order = np.lexsort((weight, key))
    first = order[np.r_[True, key[order][1:] != key[order][:-1]]] if order.size else order
    return csr_array((weight[first], (rows[first], cols[first])), shape=(n, n))


@dataclass(frozen=True, eq=False)
class StaticNetwork:
    """The network that is copied once per step.

    Attributes
    ----------
    n_nodes
        Node count; nodes are ``0 .. n_nodes - 1``.
    tail, head
        Arc end nodes.
    freeflow_s
        Arc free-flow time, seconds (>= 0).
    cap_per_step
        Units that may enter the arc per step (:func:`per_step_capacity`); ``-1``: no limit.
    sinks
        Sink nodes.
    sink_capacity
        Units each sink may take in all (same order as ``sinks``); ``-1``: no limit.
    """

    n_nodes: int
    tail: np.ndarray
    head: np.ndarray
    freeflow_s: np.ndarray
    cap_per_step: np.ndarray
    sinks: np.ndarray
    sink_capacity: np.ndarray

    def time_to_sink_s(self) -> np.ndarray:
        """Free-flow time from every node to its nearest sink (inf: none reachable)."""
        n = self.n_nodes
        if not len(self.sinks):
            return np.full(n, np.inf)
        weight = np.maximum(self.freeflow_s, 1e-12)  # csgraph drops explicit zeros
        reverse = min_csr(self.head, self.tail, weight, n)
        dist = dijkstra(reverse, directed=True, indices=np.unique(self.sinks), min_only=True)
        return np.asarray(dist, dtype=float)


@dataclass(frozen=True)
class TenResult:
    """The quickest transshipment of one static network.

    Attributes
    ----------
    clearance_s
        The bound: steps of the shortest feasible horizon × ``step_s`` (inf: some unit can reach
        no sink; NaN: no units).
    step_s
        Δ, seconds.
    steps
        Steps of the shortest feasible horizon.
    units
        Units shipped.
    unreachable_units
        Units released where no sink can be reached (left out of the bound).
    arcs
        TEN arcs of the last (feasible) trial.
    trials
        Max-flow solves made.
    """

    clearance_s: float
    step_s: float
    steps: int
    units: int
    unreachable_units: int
    arcs: int
    trials: int


class _Expanded:
    """The TEN for one static network and its releases, built for any number of steps."""

    def __init__(
        self,
        net: StaticNetwork,
        origins: np.ndarray,
        release_s: np.ndarray,
        units: np.ndarray,
        step_s: float,
    ) -> None:
        self.net, self.step_s = net, float(step_s)
        pot = net.time_to_sink_s()
        ok = np.isfinite(pot[origins])
        self.unreachable = int(units[~ok].sum())
        origins, release_s, units = origins[ok], release_s[ok], units[ok]
        # release step of each unit: floor((r + π(o)) / Δ), its earliest possible arrival
        rel = np.floor((release_s + pot[origins]) / self.step_s + _EPS).astype(np.int64)
        keep = np.isfinite(pot[net.tail]) & np.isfinite(pot[net.head])
        self.tail, self.head = net.tail[keep], net.head[keep]
        self.cap = net.cap_per_step[keep]
        reduced = net.freeflow_s[keep] + pot[self.head] - pot[self.tail]
        self.shift = np.maximum(np.floor(reduced / self.step_s + _EPS), 0).astype(np.int64)
        self.units_total = int(units.sum())
        # aggregate releases per (node, step)
        key = origins.astype(np.int64) * (int(rel.max(initial=0)) + 1) + rel
        uniq, inv = np.unique(key, return_inverse=True)
        self.src_units = np.bincount(inv, weights=units).astype(np.int64)
        first = np.zeros(uniq.size, dtype=np.int64)
        first[inv] = np.arange(inv.size)
        self.src_node, self.src_step = origins[first], rel[first]
        self.earliest = self._earliest_steps(net.n_nodes)
        self.min_steps = int(rel.max(initial=0))

    def _earliest_steps(self, n: int) -> np.ndarray:
        """Earliest step each node can be reached in: Dijkstra from a super source (node ``n``)
        with an arc of length ``release step`` to every origin and the integer shifts on the
        arcs. Every length gets ``1e-6`` so csgraph keeps zero shifts; with fewer than 5e5 arcs
        on a path the rounded distance is the exact integer one."""
        big = np.iinfo(np.int64).max // 4
        start = np.full(n, big, dtype=np.int64)
        np.minimum.at(start, self.src_node, self.src_step)
        seeds = np.flatnonzero(start < big)
        if not seeds.size:
            return start
        rows = np.r_[self.tail, np.full(seeds.size, n)]
        cols = np.r_[self.head, seeds]
        w = np.r_[self.shift, start[seeds]].astype(float) + 1e-6
        dist = dijkstra(min_csr(rows, cols, w, n + 1), directed=True, indices=n)[:n]
        out = np.full(n, big, dtype=np.int64)
        ok = np.isfinite(dist)
        out[ok] = np.rint(dist[ok]).astype(np.int64)
        return out

    def max_flow(self, steps: int) -> tuple[int, int]:
        """Maximum units that reach a sink within ``steps`` steps, and the TEN's arc count."""
        from ortools.graph.python import max_flow

        t, h, c, source, sink = self.arcs(steps)
        solver = max_flow.SimpleMaxFlow()
        solver.add_arcs_with_capacity(t, h, c)
        status = solver.solve(source, sink)
        if status != solver.OPTIMAL:  # pragma: no cover - integer capacities always solve
            raise RuntimeError(f"max flow failed with status {status}")
        return int(solver.optimal_flow()), int(t.size)

    def arcs(self, steps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
        """The TEN for ``steps`` steps: arc tails, heads, capacities, the source and the sink."""
        k = int(steps)
        lo = np.minimum(self.earliest, k + 1)
        count = np.maximum(k + 1 - lo, 0)  # steps lo..k of each node
        base = np.r_[0, np.cumsum(count)]
        n_ten = int(base[-1])
        source, sink = n_ten, n_ten + 1
        inf = self.units_total + 1
        tails, heads, caps = [], [], []
        # holdover arcs (v, s) -> (v, s + 1)
        hold = np.flatnonzero(count > 1)
        if hold.size:
            per = count[hold] - 1
            v_rep = np.repeat(hold, per)
            offs = np.arange(int(per.sum())) - np.repeat(np.cumsum(per) - per, per)
            idx = base[v_rep] + offs
            tails.append(idx)
            heads.append(idx + 1)
            caps.append(np.full(idx.size, inf, dtype=np.int64))
        # movement arcs (u, s) -> (v, s + shift) for s in [lo_u, k - shift]
        start = lo[self.tail]
        per = np.maximum(k - self.shift - start + 1, 0)
        live = np.flatnonzero(per > 0)
        if live.size:
            p = per[live]
            a_rep = np.repeat(live, p)
            offs = np.arange(int(p.sum())) - np.repeat(np.cumsum(p) - p, p)
            s = start[a_rep] + offs
            u, v = self.tail[a_rep], self.head[a_rep]
            tails.append(base[u] + s - lo[u])
            heads.append(base[v] + s + self.shift[a_rep] - lo[v])
            c = self.cap[a_rep]
            caps.append(np.where(c < 0, inf, c))
        # releases
        ok = self.src_step <= k
        tails.append(np.full(int(ok.sum()), source))
        heads.append(base[self.src_node[ok]] + self.src_step[ok] - lo[self.src_node[ok]])
        caps.append(self.src_units[ok])
        # sinks: from the last step (waiting at a sink is free), through a collector if capped
        sinks, sink_cap = self.net.sinks, self.net.sink_capacity
        live_sink = count[sinks] > 0
        last = base[sinks] + count[sinks] - 1
        capped = live_sink & (sink_cap >= 0)
        free = live_sink & (sink_cap < 0)
        tails.append(last[free])
        heads.append(np.full(int(free.sum()), sink))
        caps.append(np.full(int(free.sum()), inf, dtype=np.int64))
        collectors = sink + 1 + np.arange(int(capped.sum()))
        tails += [last[capped], collectors]
        heads += [collectors, np.full(collectors.size, sink)]
        caps += [np.full(collectors.size, inf, dtype=np.int64), sink_cap[capped]]
        t = np.concatenate(tails).astype(np.int64)
        h = np.concatenate(heads).astype(np.int64)
        c = np.concatenate(caps).astype(np.int64)
        return t, h, c, source, sink


def quickest_transshipment(
    net: StaticNetwork,
    *,
    origins: np.ndarray,
    release_s: np.ndarray,
    units: np.ndarray,
    step_s: float,
    max_steps: int = 200_000,
) -> TenResult:
    """The earliest time every unit can reach a sink (a lower bound; see the module docstring).

    Parameters
    ----------
    net
        The static network.
    origins, release_s, units
        Per release: node, time (s) and number of units.
    step_s
        Δ, seconds (> 0).
    max_steps
        Give up (``clearance_s`` inf) beyond this many steps.
    """
    origins = np.asarray(origins, dtype=np.int64)
    release_s = np.asarray(release_s, dtype=float)
    units = np.asarray(units, dtype=np.int64)
    if step_s <= 0:
        raise ValueError(f"step_s must be > 0, not {step_s}")
    ten = _Expanded(net, origins, release_s, units, step_s)
    if ten.units_total == 0:
        clear = math.inf if ten.unreachable else math.nan
        return TenResult(clear, step_s, 0, 0, ten.unreachable, 0, 0)
    trials = 0
    lo = ten.min_steps  # no unit arrives before its release step
    flow, arcs = ten.max_flow(lo)
    trials += 1
    if flow >= ten.units_total:
        return TenResult(lo * step_s, step_s, lo, ten.units_total, ten.unreachable, arcs, trials)
    hi, width = lo, max(8, lo // 8)
    while True:  # doubling: find a feasible horizon
        lo, hi = hi, hi + width
        if hi > max_steps:
            return TenResult(math.inf, step_s, hi, ten.units_total, ten.unreachable, arcs, trials)
        flow, arcs = ten.max_flow(hi)
        trials += 1
        if flow >= ten.units_total:
            break
        width *= 2
    best_arcs = arcs
    while hi - lo > 1:  # bisection: lo infeasible, hi feasible
        mid = (lo + hi) // 2
        flow, arcs = ten.max_flow(mid)
        trials += 1
        if flow >= ten.units_total:
            hi, best_arcs = mid, arcs
        else:
            lo = mid
    log.debug("TEN: %d steps of %g s, %d arcs, %d trials", hi, step_s, best_arcs, trials)
    return TenResult(hi * step_s, step_s, hi, ten.units_total, ten.unreachable, best_arcs, trials)
