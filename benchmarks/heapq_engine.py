"""Plain-heapq reference engine: the same link-queue model as ``evacsim.sim.engine``, no SimPy.

Route-table agents of size 1 only, no closures or speed factors: enough for the benchmark, which
asserts identical arrival times with :class:`evacsim.sim.engine.TrafficEngine` and reports the
speed ratio. Events are ``(time_s, priority, seq, kind, arg)`` tuples in one heap: the same
ordering rule SimPy uses (time, priority, event id), so ties resolve identically.
"""

from __future__ import annotations

import heapq
import math
from collections import deque

import numpy as np

__all__ = ["HeapqEngine"]

_URGENT, _NORMAL = 0, 1
_DEPART, _CHECK = 0, 1


class HeapqEngine:
    """Reference engine (see module docstring); arrays as in ``evacsim.sim.engine.LinkSpec``."""

    def __init__(
        self,
        tail: np.ndarray,
        head: np.ndarray,
        freeflow_s: np.ndarray,
        capacity_per_s: np.ndarray,
        storage_units: np.ndarray,
        next_link: np.ndarray,
        dest_nodes: np.ndarray,
        n_nodes: int,
    ) -> None:
        n = len(tail)
        self.head: list[int] = np.asarray(head).tolist()
        self.ff: list[float] = np.asarray(freeflow_s, dtype=float).tolist()
        cap = np.asarray(capacity_per_s, dtype=float)
        self.hw: list[float] = np.where(np.isinf(cap), 0.0, 1.0 / cap).tolist()
        self.storage: list[float] = np.asarray(storage_units, dtype=float).tolist()
        self.next_link: list[int] = np.asarray(next_link).tolist()
        dest = np.zeros(n_nodes, dtype=bool)
        dest[np.asarray(dest_nodes)] = True
        self.is_dest: list[bool] = dest.tolist()
        self.q: list[deque[int]] = [deque() for _ in range(n)]
        self.occ = [0] * n
        self.next_free = [-math.inf] * n
        self.last_ready = [-math.inf] * n
        self.waiters: list[deque[int]] = [deque() for _ in range(n)]
        self.oq: list[deque[int]] = [deque() for _ in range(n)]
        self.volume = [0] * n
        self.kq = [0] * n
        self.max_queue = [0] * n
        self.congested_s = [0.0] * n
        self.cong_until = [-math.inf] * n
        self.origin: list[int] = []
        self.ready: list[float] = []
        self.arrival_s: list[float] = []
        self.dep_heap: list[tuple[float, int]] = []
        self.dep_pending: list[float] = []
        self.events: list[tuple[float, int, int, int, int]] = []
        self.seq = 0
        self.now = 0.0
        self.freed: list[int] = []

    def _push(self, t: float, prio: int, kind: int, arg: int) -> None:
        heapq.heappush(self.events, (t, prio, self.seq, kind, arg))
        self.seq += 1

    def add_agents(self, origins: np.ndarray, departures: np.ndarray) -> None:
        """Add agents (origin node, departure time s) following the table."""
        first = len(self.origin)
        self.origin.extend(np.asarray(origins).tolist())
        deps = np.asarray(departures, dtype=float).tolist()
        self.ready.extend([0.0] * len(deps))
        self.arrival_s.extend([math.nan] * len(deps))
        for i, t in enumerate(deps, start=first):
            heapq.heappush(self.dep_heap, (t, i))
        if deps:
            self._schedule_departures(min(deps))

    def _schedule_departures(self, t: float) -> None:
        if self.dep_pending and self.dep_pending[0] <= t:
            return
        heapq.heappush(self.dep_pending, t)
        self._push(t, _URGENT, _DEPART, -1)

    def run(self) -> None:
        """Process events until none is left."""
        events = self.events
        pop = heapq.heappop
        while events:
            t, _p, _s, kind, arg = pop(events)
            self.now = t
            if kind == _CHECK:
                self._advance(arg)
                if self.freed:
                    self._cascade()
            else:
                self._departures()

    def _departures(self) -> None:
        now = self.now
        heapq.heappop(self.dep_pending)
        heap = self.dep_heap
        while heap and heap[0][0] <= now:
            a = heapq.heappop(heap)[1]
            node = self.origin[a]
            if self.is_dest[node]:
                self.arrival_s[a] = now
                continue
            e = self.next_link[node]
            oq = self.oq[e]
            o = self.occ[e]
            if not oq and (not o or o + 1 <= self.storage[e]):
                self._enter(a, e)
            else:
                if not oq:
                    self.waiters[e].append(~e)
                oq.append(a)
        self._cascade()
        if heap:
            self._schedule_departures(heap[0][0])

    def _enter(self, a: int, e: int) -> None:
        now = self.now
        r = now + self.ff[e]
        if self.last_ready[e] > r:
            r = self.last_ready[e]
        self.last_ready[e] = r
        self.ready[a] = r
        self.occ[e] += 1
        q = self.q[e]
        q.append(a)
        if len(q) == 1:
            self._push(max(r, self.next_free[e]), _NORMAL, _CHECK, e)

    def _advance(self, e: int) -> None:
        q, now = self.q[e], self.now
        while q:
            a = q[0]
            t = max(self.ready[a], self.next_free[e])
            if t > now:
                self._push(t, _NORMAL, _CHECK, e)
                return
            node = self.head[e]
            nxt = -1 if self.is_dest[node] else self.next_link[node]
            if nxt >= 0:
                o = self.occ[nxt]
                if o and o + 1 > self.storage[nxt]:
                    self.waiters[nxt].append(e)
                    return
            if self.ready[a] < now:
                self._queue_stats(e, self.ready[a])
            q.popleft()
            self.occ[e] -= 1
            self.next_free[e] = now + self.hw[e]
            self.volume[e] += 1
            if self.waiters[e]:
                self.freed.append(e)
            if nxt < 0:
                self.arrival_s[a] = now
            else:
                self._enter(a, nxt)

    def _queue_stats(self, e: int, r: float) -> None:
        """Queue just before ``now``: agents on ``e`` ready before ``now`` (FIFO-ordered)."""
        now, q, ready, v = self.now, self.q[e], self.ready, self.volume[e]
        k = max(self.kq[e], v)
        while k - v < len(q) and ready[q[k - v]] < now:
            k += 1
        self.kq[e] = k
        self.max_queue[e] = max(self.max_queue[e], k - v)
        self.congested_s[e] += now - max(r, self.cong_until[e])
        self.cong_until[e] = now

    def _cascade(self) -> None:
        freed = self.freed
        while freed:
            f = freed.pop()
            w = self.waiters[f]
            while w:
                o = self.occ[f]
                if o and o + 1 > self.storage[f]:
                    break
                x = w.popleft()
                if x >= 0:
                    self._advance(x)
                else:
                    self._advance_origin(~x)

    def _advance_origin(self, e: int) -> None:
        oq = self.oq[e]
        while oq:
            o = self.occ[e]
            if o and o + 1 > self.storage[e]:
                self.waiters[e].append(~e)
                return
            self._enter(oq.popleft(), e)
