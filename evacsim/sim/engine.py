"""Mesoscopic link-queue traffic engine, clocked by SimPy, on plain integer-indexed arrays.

The model is the spatial-queue model of MATSim's QSim (Horni, Nagel & Axhausen, *The Multi-Agent
Transport Simulation MATSim*, 2016, ch. 1.2 and 41) in event time:

* an agent entering link ``e`` at time ``t`` cannot leave it before
  ``t + freeflow_s[e] / speed_factor[e]`` (its *ready* time);
* agents leave a link first-in first-out, at no more than its capacity: successive exits are
  at least ``size / capacity_per_s[e]`` seconds apart (the headway is charged at the exit, so
  ``N`` agents released together on a link with free-flow time ``T`` and capacity ``c`` leave at
  ``T, T + 1/c, ..., T + (N - 1)/c``);
* an agent may enter the next link only while that link has storage room
  (``occupied + size <= storage_units``; an empty link always admits one agent, so links shorter
  than a vehicle still pass traffic); otherwise it waits at the head of its link and blocks the
  agents behind it (spill-back);
* an agent starts at its origin node at its departure time and enters its first link from an
  unbounded origin queue (one per link, served when the link has storage room);
* an agent leaves the network when it reaches its destination node (no storage needed).

Routing is not decided here: each agent follows either a *route table* (``next_link[node]``, the
next hop of a routing tree toward a destination set, replaceable at any time) or a fixed path.
The engine has no route choice of its own: whoever builds the tables (``evacsim.network.routing``,
``evacsim.plan``) decides how traffic splits.

Hot path (see DESIGN.md, "Performance"): SimPy's ``Environment`` is the only clock, but no
process or ``simpy.Resource`` runs per link or per agent. Each link owns one reusable SimPy event,
scheduled for the moment its head agent may leave (the later of its ready time and the capacity
headway); the callback lets heads leave while they can and schedules the next check. A link that
frees storage wakes the links waiting for it (the spill-back cascade runs only when someone
waits). Departures are one chained event per departure instant, at urgent priority. Ties are
broken by scheduling order (SimPy's event id), so runs are deterministic. The callback and the
cascade live in :mod:`evacsim.sim._engine_hot`; the engine's events are put on SimPy's queue at
their exact times there (the entry ``env.schedule`` makes; see that module for why).
"""

from __future__ import annotations

import heapq
import logging
import math
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import simpy
from simpy.events import URGENT, EventPriority

from evacsim.errors import SimulationError
from evacsim.sim._engine_hot import (
    LinkCheck,
    QueueEntry,
    make_hot_path,
    push_check,
    schedule_at,
)
from evacsim.sim._engine_paths import PathLog
from evacsim.sim._engine_stats import (
    AgentOutcome,
    AgentState,
    LinkSpec,
    TrafficResults,
    check_agents,
    check_path,
    check_table,
    snapshot,
)

__all__ = [
    "AgentOutcome",
    "AgentState",
    "LinkSpec",
    "TrafficEngine",
    "TrafficResults",
]

logger = logging.getLogger(__name__)

ArrivalCallback = Callable[[int, int, float], None]
StrandedCallback = Callable[[int, int, float, str], None]

_NO_ROUTE = -2  # ``wait_on`` value of a link whose head waits for a new route table
# control actions given ``at_s`` run before any departure or exit at the same instant
_CONTROL = EventPriority(-1)


class TrafficEngine:
    """Moves agents through link queues on a SimPy environment (see the module docstring).

    Parameters
    ----------
    env
        The SimPy environment: the only clock. Other processes may share it.
    links
        The links.
    record_paths
        Keep each agent's ``(link, t_enter_s, t_exit_s)`` list (for exposure and maps).
    gridlock_timeout_s
        If no agent has moved for this long, no link has a head about to leave and agents are
        still on the network, every remaining agent is stranded (reason ``"gridlock"``).
    reroute_wait_s
        How long an agent whose table gives no open next link waits at its node for a new table
        (:meth:`set_route_table`) before it is stranded (reason ``"no_route"``).
    on_arrival, on_stranded
        Called as ``on_arrival(agent, node, t_s)`` and ``on_stranded(agent, node, t_s, reason)``.
    """

    def __init__(
        self,
        env: simpy.Environment,
        links: LinkSpec,
        *,
        record_paths: bool = False,
        gridlock_timeout_s: float = 1800.0,
        reroute_wait_s: float = 60.0,
        on_arrival: ArrivalCallback | None = None,
        on_stranded: StrandedCallback | None = None,
    ) -> None:
        if not gridlock_timeout_s > 0 or not reroute_wait_s >= 0:
            raise SimulationError(
                "TrafficEngine: gridlock_timeout_s must be > 0, reroute_wait_s >= 0"
            )
        self.env = env
        self.links = links
        self.record_paths = record_paths
        self.gridlock_timeout_s = float(gridlock_timeout_s)
        self.reroute_wait_s = float(reroute_wait_s)
        self.on_arrival = on_arrival
        self.on_stranded = on_stranded
        self._init_links(links)
        self._init_agents()
        self._raw_tables: list[np.ndarray] = []
        self._dest_masks: list[np.ndarray] = []
        self._ctab: list[list[int]] = []  # compiled: link, -1 at a destination, -2 no open link
        self._final_tid = -2  # table just replaced: its agents with no route are stranded
        self._route_wait: list[list[int]] = []
        self._dep_heap: list[tuple[float, int]] = []
        self._dep_pending: list[float] = []
        self._arrival_events: dict[int, simpy.Event] = {}
        self._freed: list[int] = []
        self._n_on_net = 0
        # the FIFO clamp of ready times is needed (and kept) only once a speed factor changed
        self._fifo_clamp = [False]
        self._watchdog_on = False
        self._on_check: Callable[[LinkCheck], None]
        self._cascade: Callable[[], None]
        self._moved: Callable[..., float]
        self._on_check, self._cascade, self._moved = make_hot_path(self)

    # ----------------------------------------------------------------- set-up
    def _init_links(self, links: LinkSpec) -> None:
        n = links.n_links
        cap = links.capacity_per_s
        self._tail: list[int] = links.tail_node.tolist()
        self._head: list[int] = links.head_node.tolist()
        self._ff0: list[float] = links.freeflow_s.tolist()
        self._ff: list[float] = list(self._ff0)  # free-flow time over the speed factor
        self._sf: list[float] = [1.0] * n
        self._hw: list[float] = np.where(np.isinf(cap), 0.0, 1.0 / cap).tolist()
        self._hw0: list[float] = list(self._hw)  # headway per unit at factor 1
        self._storage: list[float] = links.storage_units.tolist()
        self._closed: list[bool] = [False] * n
        self._q: list[deque[QueueEntry]] = [deque() for _ in range(n)]
        self._occ: list[int] = [0] * n
        self._next_free: list[float] = [-math.inf] * n
        self._last_ready: list[float] = [-math.inf] * n
        self._wait_on: list[int] = [-1] * n  # -1 free, f >= 0 storage of f, -2 a new route
        self._waiters: list[deque[int] | None] = [None] * n  # link ids, or ~link = origin queue
        self._oq: list[deque[int] | None] = [None] * n
        self._ev: list[LinkCheck | None] = [None] * n
        self._volume: list[int] = [0] * n
        # (link, ready_s, exit_s or NaN) of each head that waited: see _engine_stats.queue_stats
        self._queue_log: list[float] = []

    def _init_agents(self) -> None:
        self._origin: list[int] = []
        self._dep_s: list[float] = []
        self._size: list[int] = []
        self._tab: list[int] = []  # table id, or -1 for a fixed path
        self._row: list[list[int] | None] = []  # its compiled table (updated in place), or None
        self._path: list[list[int] | None] = []
        self._pos: list[int] = []
        self._state: list[int] = []
        self._arr_s: list[float] = []
        self._end_node: list[int] = []
        self._nlinks: list[int] = []
        self._strand_link: list[int] = []
        self._strand_reason: list[str] = []
        self._paths = PathLog()

    # ------------------------------------------------------------ route tables
    def _compile(self, tid: int) -> None:
        nxt = self._raw_tables[tid].copy()
        closed = np.array(self._closed, dtype=bool)
        nxt[(nxt < 0) | closed[np.maximum(nxt, 0)]] = -2
        nxt[self._dest_masks[tid]] = -1
        self._ctab[tid][:] = nxt.tolist()  # in place: agents hold the row (``_row``)

    def add_route_table(self, next_link: Sequence[int] | np.ndarray, dest_nodes: Any) -> int:
        """Register a next-link table and its destination nodes; returns its table id.

        ``next_link[node]`` is the link to take at ``node`` (-1: none); an agent at a node of
        ``dest_nodes`` leaves the network there.
        """
        nxt, dest = check_table(self.links, next_link, dest_nodes)
        self._raw_tables.append(nxt)
        self._dest_masks.append(dest)
        self._ctab.append([])
        self._route_wait.append([])
        tid = len(self._ctab) - 1
        self._compile(tid)
        return tid

    def set_route_table(
        self,
        table_id: int,
        next_link: Sequence[int] | np.ndarray,
        *,
        dest_nodes: Any = None,
        at_s: float | None = None,
    ) -> None:
        """Replace a table now (or at ``at_s``); agents waiting for a route ask it again.

        An agent that still finds no open next link in the new table is stranded (``"no_route"``).
        """
        if not 0 <= table_id < len(self._ctab):
            raise SimulationError(f"set_route_table: unknown table id {table_id}")
        if dest_nodes is None:
            dest_nodes = np.flatnonzero(self._dest_masks[table_id])
        nxt, dest = check_table(self.links, next_link, dest_nodes)
        if at_s is not None and at_s > self.env.now:
            self._at(at_s, lambda: self._apply_table(table_id, nxt, dest))
        else:
            self._apply_table(table_id, nxt, dest)

    def _apply_table(self, tid: int, nxt: np.ndarray, dest: np.ndarray) -> None:
        self._raw_tables[tid] = nxt
        self._dest_masks[tid] = dest
        self._compile(tid)
        waiting, self._route_wait[tid] = self._route_wait[tid], []
        for e in waiting:
            if self._wait_on[e] == _NO_ROUTE:
                self._wait_on[e] = -1
                self._advance(e, tid)
        # heads queued for storage on a link their new table no longer takes decide again
        ctab = self._ctab[tid]
        for e, f in enumerate(self._wait_on):
            if f >= 0 and self._tab[self._q[e][0][1]] == tid and ctab[self._head[e]] != f:
                w = self._waiters[f]
                assert w is not None
                w.remove(e)
                self._wait_on[e] = -1
                self._advance(e)

    # ------------------------------------------------------------ link control
    def _at(self, at_s: float, action: Callable[[], None]) -> None:
        ev = simpy.Event(self.env)
        ev._ok, ev._value = True, None
        ev.callbacks.append(lambda _ev: action())
        schedule_at(self.env, ev, _CONTROL, float(at_s))

    def _link_ids(self, link_ids: Any) -> list[int]:
        ids = np.asarray(link_ids, dtype=np.int64).ravel()
        if ids.size and (ids.min() < 0 or ids.max() >= self.links.n_links):
            raise SimulationError(f"link ids must be in 0..{self.links.n_links - 1}")
        return ids.tolist()

    def close_links(self, link_ids: Any, *, at_s: float | None = None) -> None:
        """Close links now (or at ``at_s``): from then on no agent enters them.

        With ``at_s`` the closure comes before every move at that instant; called from a process
        at time t, moves already processed at t (SimPy's scheduling order) stand.

        Agents already on a closed link finish it. Agents whose next link is closed ask their
        route table again (wait for :meth:`set_route_table`) or, on a fixed path, are stranded.
        """
        ids = self._link_ids(link_ids)

        def apply() -> None:
            for e in ids:
                self._closed[e] = True
            for tid in range(len(self._ctab)):
                self._compile(tid)
            logger.debug("t=%.1f s: closed %d links", self.env.now, len(ids))
            for f in ids:  # whoever waits to enter a closed link decides again now
                w = self._waiters[f]
                waiting = list(w) if w else []
                if w:
                    w.clear()
                for x in waiting:
                    if x >= 0:
                        self._wait_on[x] = -1
                        self._advance(x)
                    else:
                        self._advance_origin(~x)

        if at_s is not None and at_s > self.env.now:
            self._at(at_s, apply)
        else:
            apply()

    def set_speed_factor(self, link_ids: Any, factor: float, *, at_s: float | None = None) -> None:
        """Scale free-flow speed on links by ``factor`` (> 0) for agents entering from then on.

        Traversal time becomes ``freeflow_s / factor`` (RN-11: t = L / (f v)).
        """
        if not factor > 0:
            raise SimulationError(f"set_speed_factor: factor {factor} must be > 0")
        ids = self._link_ids(link_ids)

        def apply() -> None:
            if not self._fifo_clamp[0]:  # from now on keep each link's last ready time
                self._fifo_clamp[0] = True
                self._last_ready[:] = [q[-1][0] if q else -math.inf for q in self._q]
            for e in ids:
                self._sf[e] = float(factor)
                self._ff[e] = self._ff0[e] / float(factor)

        if at_s is not None and at_s > self.env.now:
            self._at(at_s, apply)
        else:
            apply()

    def set_capacity_factor(
        self, link_ids: Any, factor: float, *, at_s: float | None = None
    ) -> None:
        """Scale the flow capacity of links by ``factor`` (> 0) for exits from then on.

        The headway becomes ``size / (capacity_per_s * factor)``; an exit already scheduled
        keeps its time. ``N`` agents released together then leave at
        ``T + k / (c * factor)`` (the headway rule of the module docstring).
        """
        if not factor > 0:
            raise SimulationError(f"set_capacity_factor: factor {factor} must be > 0")
        ids = self._link_ids(link_ids)

        def apply() -> None:
            for e in ids:
                self._hw[e] = self._hw0[e] / float(factor)

        if at_s is not None and at_s > self.env.now:
            self._at(at_s, apply)
        else:
            apply()

    def is_closed(self, link: int) -> bool:
        """Whether a link is closed."""
        return self._closed[link]

    # ------------------------------------------------------------------ agents
    def add_agent(
        self,
        origin_node: int,
        departure_s: float,
        *,
        table_id: int | None = None,
        path: Sequence[int] | None = None,
        size: int = 1,
    ) -> int:
        """Add one agent that follows a route table or a fixed path; returns its agent number.

        May be called before or during the run (also from SimPy processes); a departure time in
        the past means "now". ``size`` is road space and headway in car units (bus: 2).
        """
        ids = self.add_agents(
            [origin_node],
            [departure_s],
            table_id=table_id,
            paths=None if path is None else [path],
            size=size,
        )
        return int(ids[0])

    def add_agents(
        self,
        origin_nodes: Any,
        departure_s: Any,
        *,
        table_id: int | Sequence[int] | np.ndarray | None = None,
        paths: Sequence[Sequence[int]] | None = None,
        size: int | Sequence[int] | np.ndarray = 1,
    ) -> np.ndarray:
        """Add many agents at once (same rules as :meth:`add_agent`); returns their numbers."""
        origins = np.asarray(origin_nodes, dtype=np.int64).ravel()
        n = origins.shape[0]
        deps = np.broadcast_to(np.asarray(departure_s, dtype=np.float64), (n,))
        sizes = np.broadcast_to(np.asarray(size, dtype=np.int64), (n,))
        if (table_id is None) == (paths is None):
            raise SimulationError("add_agent: give exactly one of table_id or path")
        check_agents(self.links, origins, deps, sizes)
        plist: list[list[int] | None]
        if paths is not None:
            tabs = np.full(n, -1, dtype=np.int64)
            plist = [check_path(self.links, int(o), p) for o, p in zip(origins, paths, strict=True)]
        else:
            tabs = np.broadcast_to(np.asarray(table_id, dtype=np.int64), (n,))
            if n and (tabs.min() < 0 or tabs.max() >= len(self._ctab)):
                raise SimulationError("add_agent: unknown route table id")
            plist = [None for _ in range(n)]
        first = len(self._origin)
        now = self.env.now
        deps = np.maximum(deps, now)
        self._origin.extend(origins.tolist())
        self._dep_s.extend(deps.tolist())
        self._size.extend(sizes.tolist())
        self._tab.extend(tabs.tolist())
        ctab = self._ctab
        self._row.extend([ctab[t] if t >= 0 else None for t in tabs.tolist()])
        self._path.extend(plist)
        for lst, val in ((self._pos, -1), (self._state, 0), (self._end_node, -1),
                         (self._nlinks, 0), (self._strand_link, -1)):  # fmt: skip
            lst.extend([val] * n)
        self._arr_s.extend([math.nan] * n)
        self._strand_reason.extend([""] * n)
        if self.record_paths:
            self._paths.add_agents(n)
        heap = self._dep_heap
        for i, t in enumerate(deps.tolist(), start=first):
            heapq.heappush(heap, (t, i))
        if n:
            self._schedule_departures(float(deps.min()))
        return np.arange(first, first + n, dtype=np.int64)

    def arrival_event(self, agent: int) -> simpy.Event:
        """A SimPy event that succeeds with an :class:`AgentOutcome` when the agent leaves the
        network (arrived or stranded). Created on demand; already triggered if it has left."""
        if not 0 <= agent < len(self._origin):
            raise SimulationError(f"arrival_event: unknown agent {agent}")
        ev = self._arrival_events.get(agent)
        if ev is None:
            ev = simpy.Event(self.env)
            state = self._state[agent]
            if state in (AgentState.ARRIVED, AgentState.STRANDED):
                ev.succeed(self._outcome(agent))
            else:
                self._arrival_events[agent] = ev
        return ev

    def _outcome(self, a: int) -> AgentOutcome:
        arrived = self._state[a] == AgentState.ARRIVED
        t = self._arr_s[a] if arrived else self.env.now
        return AgentOutcome(a, arrived, self._end_node[a], t, self._strand_reason[a])

    # --------------------------------------------------------------- departures
    def _schedule_departures(self, t: float) -> None:
        pend = self._dep_pending
        if pend and pend[0] <= t:
            return
        heapq.heappush(pend, t)
        ev = simpy.Event(self.env)
        ev._ok, ev._value = True, None
        ev.callbacks.append(self._on_departures)
        schedule_at(self.env, ev, URGENT, t)

    def _on_departures(self, _ev: simpy.Event) -> None:
        now = self.env.now
        heapq.heappop(self._dep_pending)
        heap = self._dep_heap
        while heap and heap[0][0] <= now:
            self._depart(heapq.heappop(heap)[1], now)
        if self._freed:
            self._cascade()
        if heap:
            self._schedule_departures(heap[0][0])

    def _first_link(self, a: int, node: int) -> int:
        """Next link of agent ``a`` at ``node``: >= 0, -1 at its destination, -2 no open route."""
        tid = self._tab[a]
        if tid >= 0:
            return self._ctab[tid][node]
        p = self._path[a]
        assert p is not None
        k = self._pos[a] + 1
        if k == len(p):
            return -1
        e = p[k]
        return -2 if e < 0 or self._closed[e] else e

    def _depart(self, a: int, now: float) -> None:
        self._state[a] = AgentState.QUEUED
        self._n_on_net += 1
        if not self._watchdog_on:
            self._start_watchdog()
        node = self._origin[a]
        e = self._first_link(a, node)
        if e == -1:
            self._arrive(a, node, now)
        elif e == -2:
            self._strand(a, node, now, "no_route", -1)
        else:
            self._enter_from_origin(a, e, now)

    def _enter_from_origin(self, a: int, e: int, now: float) -> None:
        oq = self._oq[e]
        if not oq:
            o = self._occ[e]
            if not o or o + self._size[a] <= self._storage[e]:
                self._enter(a, e, now)
                return
            if oq is None:
                oq = self._oq[e] = deque()
            self._add_waiter(e, ~e)
        oq.append(a)

    def _add_waiter(self, f: int, who: int) -> None:
        w = self._waiters[f]
        if w is None:
            self._waiters[f] = deque((who,))
        else:
            w.append(who)

    def _advance_origin(self, e: int) -> None:
        """Let agents in the origin queue of link ``e`` enter it while it has room."""
        oq = self._oq[e]
        assert oq is not None
        now = self.env.now
        while oq:
            a = oq[0]
            if self._closed[e]:
                oq.popleft()
                nxt = self._first_link(a, self._origin[a])
                if nxt >= 0 and nxt != e:
                    self._enter_from_origin(a, nxt, now)
                else:
                    self._strand(a, self._origin[a], now, "no_route", -1)
                continue
            o = self._occ[e]
            if o and o + self._size[a] > self._storage[e]:
                self._add_waiter(e, ~e)
                return
            oq.popleft()
            self._enter(a, e, now)

    # ---------------------------------------------------------------- hot path
    def _enter(self, a: int, e: int, now: float) -> None:
        """Agent ``a`` enters its first link ``e`` at ``now`` (storage room already checked)."""
        r = now + self._ff[e]
        if self._fifo_clamp[0]:  # nobody is ready before the agent ahead (after speed changes)
            r = max(r, self._last_ready[e])
            self._last_ready[e] = r
        self._state[a] = AgentState.ON_LINK
        sz = self._size[a]
        self._occ[e] += sz
        if self._tab[a] < 0:
            self._pos[a] = 0
        if self.record_paths:
            self._paths.enter(a, e, now)
        q = self._q[e]
        q.append((r, a, self._row[a], sz, 1))
        if len(q) == 1:
            nf = self._next_free[e]
            push_check(self.env, self._ev[e] or self._event(e), r if r > nf else nf)

    def _event(self, e: int) -> LinkCheck:
        """The check event of link ``e`` (made on first use; at most one pending per link)."""
        ev = self._ev[e]
        if ev is None:
            ev = self._ev[e] = LinkCheck(self.env, e, self._on_check)
        return ev

    def _advance(self, e: int, final_tid: int = -2) -> None:
        """Run link ``e``'s head check now (from outside its own event); see ``make_hot_path``."""
        self._final_tid = final_tid
        try:
            self._on_check(self._event(e))
        finally:
            self._final_tid = -2

    # ------------------------------------------------------------ leaving
    def _arrive(self, a: int, node: int, now: float, n_links: int = 0) -> None:
        self._state[a] = AgentState.ARRIVED
        self._nlinks[a] = n_links
        self._arr_s[a] = now
        self._end_node[a] = node
        self._n_on_net -= 1
        if self.on_arrival is not None:
            self.on_arrival(a, node, now)
        if self._arrival_events:
            ev = self._arrival_events.pop(a, None)
            if ev is not None:
                ev.succeed(self._outcome(a))

    def _strand(self, a: int, node: int, now: float, reason: str, link: int) -> None:
        self._state[a] = AgentState.STRANDED
        self._end_node[a] = node
        self._strand_link[a] = link
        self._strand_reason[a] = reason
        self._n_on_net -= 1
        self._moved(now)
        logger.debug("t=%.1f s: agent %d stranded at node %d (%s)", now, a, node, reason)
        if self.on_stranded is not None:
            self.on_stranded(a, node, now, reason)
        if self._arrival_events:
            ev = self._arrival_events.pop(a, None)
            if ev is not None:
                ev.succeed(self._outcome(a))

    def _strand_head(self, e: int, node: int, now: float, reason: str) -> None:
        r, a, _row, sz, k = self._q[e].popleft()
        self._occ[e] -= sz
        self._nlinks[a] = k
        if r < now:  # it waited in the queue: it counts in the queue statistics until now
            self._queue_log.extend((e, r, math.nan))
        if self._waiters[e]:
            self._freed.append(e)
        if self.record_paths:
            self._paths.exit_s[a] = now
        self._strand(a, node, now, reason, e)

    def _wait_for_route(self, e: int, a: int, tid: int) -> bool:
        """Park link ``e``'s head until its table is replaced; ``False`` if it may not wait."""
        if self.reroute_wait_s <= 0:
            return False
        self._wait_on[e] = _NO_ROUTE
        self._route_wait[tid].append(e)

        def timeout(_ev: simpy.Event) -> None:
            q = self._q[e]
            if self._wait_on[e] == _NO_ROUTE and q and q[0][1] == a:
                self._route_wait[tid].remove(e)
                self._wait_on[e] = -1
                self._advance(e, tid)

        ev = self.env.timeout(self.reroute_wait_s)
        ev.callbacks.append(timeout)
        return True

    # ------------------------------------------------------------ gridlock
    def _start_watchdog(self) -> None:
        self._watchdog_on = True
        ev = self.env.timeout(self.gridlock_timeout_s)
        ev.callbacks.append(self._on_watchdog)

    def _on_watchdog(self, _ev: simpy.Event) -> None:
        self._watchdog_on = False
        if self._n_on_net == 0:
            return
        now = self.env.now
        idle_s = now - self._moved()
        # a head with a pending check (-1) or a reroute timer (-2) will still act
        busy = any(w in (-1, _NO_ROUTE) for q, w in zip(self._q, self._wait_on, strict=True) if q)
        if idle_s < self.gridlock_timeout_s or busy:
            self._watchdog_on = True
            delay = self.gridlock_timeout_s - idle_s if not busy else self.gridlock_timeout_s
            self.env.timeout(max(delay, 1e-9)).callbacks.append(self._on_watchdog)
            return
        self._strand_all(now)

    def _strand_all(self, now: float) -> None:
        n_before = self._n_on_net
        log = self._queue_log
        for e, q in enumerate(self._q):
            log.extend(x for r, *_ in q for x in (e, r, math.nan))
            while q:
                r, a, _row, _sz, k = q.popleft()
                self._nlinks[a] = k
                node = self._head[e] if r <= now else self._tail[e]
                self._strand(a, node, now, "gridlock", e)
            self._occ[e] = 0
            self._wait_on[e] = -1
            w = self._waiters[e]
            if w:
                w.clear()
        for oq in self._oq:
            while oq:
                a = oq.popleft()
                self._strand(a, self._origin[a], now, "gridlock", -1)
        for lst in self._route_wait:
            lst.clear()
        logger.warning("t=%.0f s: gridlock, %d agents stranded", now, n_before)

    # ------------------------------------------------------------ results
    def run(self, until: float | simpy.Event | None = None) -> None:
        """Run the environment (``env.run(until)``)."""
        self.env.run(until)

    @property
    def n_agents(self) -> int:
        """Number of agents added."""
        return len(self._origin)

    def path(self, agent: int) -> list[tuple[int, float, float]]:
        """``(link, t_enter_s, t_exit_s)`` of each link the agent entered (``record_paths``);
        ``t_exit_s`` is NaN while it is still on that link."""
        if not self.record_paths:
            raise SimulationError("path(): the engine was made with record_paths=False")
        return self._paths.records(agent, self._arr_s[agent])

    def results(self) -> TrafficResults:
        """Snapshot of the records at the current time (agents still queued count as waiting)."""
        return snapshot(
            now=self.env.now, queues=self._q, queue_log=self._queue_log,
            departure_s=self._dep_s, arrival_s=self._arr_s, end_node=self._end_node,
            n_links=self._nlinks, state=self._state, stranded_link=self._strand_link,
            stranded_reason=self._strand_reason, volume=self._volume,
        )  # fmt: skip
