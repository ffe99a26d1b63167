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

import logging
import math
from array import array
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import simpy

from evacsim.errors import SimulationError
from evacsim.sim._engine_control import _NO_ROUTE, RoutesAndControl
from evacsim.sim._engine_departures import Departures
from evacsim.sim._engine_hot import (
    LinkQueue,
    make_hot_path,
)
from evacsim.sim._engine_loop import run_env
from evacsim.sim._engine_paths import PathLog
from evacsim.sim._engine_stats import (
    AgentOutcome,
    AgentState,
    LinkSpec,
    TrafficResults,
    check_agents,
    check_path,
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


class TrafficEngine(RoutesAndControl):
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
        self._arrival_events: dict[int, simpy.Event] = {}
        self._freed: list[LinkQueue] = []  # lead links that freed storage someone waits for
        self._n_on_net = 0
        # the FIFO clamp of ready times is needed (and kept) only once a speed factor changed
        self._fifo_clamp = [False]
        self._watchdog_on = False
        hot = make_hot_path(self)
        self._on_check, self._cascade, self._moved = hot.on_check, hot.cascade, hot.moved
        self._enter = hot.enter  # agent a enters its first link e at now (room checked)
        self._departures = Departures(env, hot.depart, self._after_departures)

    # ----------------------------------------------------------------- set-up
    def _init_links(self, links: LinkSpec) -> None:
        n = links.n_links
        cap = links.capacity_per_s
        self._tail: list[int] = links.tail_node.tolist()
        self._ff0: list[float] = links.freeflow_s.tolist()
        self._sf: list[float] = [1.0] * n
        self._hw0: list[float] = np.where(np.isinf(cap), 0.0, 1.0 / cap).tolist()  # factor 1
        self._closed: list[bool] = [False] * n
        heads, stos = links.head_node.tolist(), links.storage_units.tolist()
        self._links: list[LinkQueue] = [
            LinkQueue(self.env, e, *spec)
            for e, spec in enumerate(zip(heads, self._ff0, self._hw0, stos, strict=True))
        ]
        assert links.share_with is not None
        for e, lead in enumerate(links.share_with.tolist()):
            self._links[e].srv = self._links[lead]
        # (link, ready_s, exit_s or NaN) of each head that waited: see _engine_stats.queue_stats;
        # a typed array, not a list: a list kept two float objects alive per entry (memory
        # traffic on the hot path and ~0.3 s of conversion per million entries when asked)
        self._queue_log = array("d")

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
        if path is None and table_id is not None:
            return self._add_one(int(origin_node), float(departure_s), int(table_id), int(size))
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
        deps = np.maximum(deps, self.env.now)
        first = self._append_agents(
            origins.tolist(), deps.tolist(), sizes.tolist(), tabs.tolist(), plist
        )
        self._departures.add(first, deps)
        return np.arange(first, first + n, dtype=np.int64)

    def _add_one(self, origin: int, departure_s: float, table_id: int, size: int) -> int:
        """:meth:`add_agents` for one agent on a route table, without its per-call numpy work
        (the behaviour adds agents one by one, ~100k in a district)."""
        if not 0 <= origin < self.links.n_nodes or not math.isfinite(departure_s) or size < 1:
            check_agents(self.links, np.array([origin]), np.array([departure_s]), np.array([size]))
        if not 0 <= table_id < len(self._ctab):
            raise SimulationError("add_agent: unknown route table id")
        dep = max(departure_s, float(self.env.now))
        a = self._append_agents([origin], [dep], [size], [table_id], [None])
        self._departures.add(a, np.array([dep]))
        return a

    def _append_agents(
        self,
        origins: list[int],
        deps_s: list[float],
        sizes: list[int],
        tabs: list[int],
        paths: list[list[int] | None],
    ) -> int:
        """Append checked agents' records (departures not before now, ``tabs`` -1 where a
        ``paths`` entry is given); return the first one's number."""
        first, n = len(self._origin), len(origins)
        self._origin.extend(origins)
        self._dep_s.extend(deps_s)
        self._size.extend(sizes)
        self._tab.extend(tabs)
        ctab = self._ctab
        self._row.extend([ctab[t] if t >= 0 else None for t in tabs])
        self._path.extend(paths)
        for lst, val in ((self._pos, -1), (self._state, 0), (self._end_node, -1),
                         (self._nlinks, 0), (self._strand_link, -1)):  # fmt: skip
            lst.extend([val] * n)
        self._arr_s.extend([math.nan] * n)
        self._strand_reason.extend([""] * n)
        return first

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
    def _after_departures(self) -> None:
        if self._freed:
            self._cascade()

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
        lk = self._links[e]
        oq = lk.oq
        if not oq:
            o = lk.srv.occ
            if not o or o + self._size[a] <= lk.srv.sto:
                self._enter(a, e, now)
                return
            if oq is None:
                oq = lk.oq = deque()
            self._add_waiter(lk.srv, ~e)
        oq.append(a)

    def _add_waiter(self, srv: LinkQueue, who: int) -> None:
        if srv.w is None:
            srv.w = deque((who,))
        else:
            srv.w.append(who)

    def _advance_origin(self, e: int) -> None:
        """Let agents in the origin queue of link ``e`` enter it while it has room."""
        lk = self._links[e]
        srv, oq = lk.srv, lk.oq
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
            o = srv.occ
            if o and o + self._size[a] > srv.sto:
                self._add_waiter(srv, ~e)
                return
            oq.popleft()
            self._enter(a, e, now)

    # ---------------------------------------------------------------- hot path
    def _advance(self, e: int, final_tid: int = -2) -> None:
        """Run link ``e``'s head check now (from outside its own event); see ``make_hot_path``."""
        self._final_tid = final_tid
        try:
            self._on_check(self._links[e])
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

    def _strand_head(self, q: LinkQueue, node: int, now: float, reason: str) -> None:
        e = q.id
        r, a, _row, sz, k = q.popleft()
        q.srv.occ -= sz
        self._nlinks[a] = k
        if r < now:  # it waited in the queue: it counts in the queue statistics until now
            self._queue_log.extend((e, r, math.nan))
        if q.srv.w:
            self._freed.append(q.srv)
        if self.record_paths:
            self._paths.exit_s[a] = now
        self._strand(a, node, now, reason, e)

    def _wait_for_route(self, e: int, a: int, tid: int) -> bool:
        """Park link ``e``'s head until its table is replaced; ``False`` if it may not wait."""
        if self.reroute_wait_s <= 0:
            return False
        q = self._links[e]
        q.wait_on = _NO_ROUTE
        self._route_wait[tid].append(e)

        def timeout(_ev: simpy.Event) -> None:
            if q.wait_on == _NO_ROUTE and q and q[0][1] == a:
                self._route_wait[tid].remove(e)
                q.wait_on = -1
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
        busy = any(q.wait_on in (-1, _NO_ROUTE) for q in self._links if q)
        if idle_s < self.gridlock_timeout_s or busy:
            self._watchdog_on = True
            delay = self.gridlock_timeout_s - idle_s if not busy else self.gridlock_timeout_s
            self.env.timeout(max(delay, 1e-9)).callbacks.append(self._on_watchdog)
            return
        self._strand_all(now)

    def _strand_all(self, now: float) -> None:
        n_before = self._n_on_net
        log = self._queue_log
        for e, q in enumerate(self._links):
            log.extend(x for r, *_ in q for x in (e, r, math.nan))
            while q:
                r, a, _row, _sz, k = q.popleft()
                self._nlinks[a] = k
                node = q.head if r <= now else self._tail[e]
                self._strand(a, node, now, "gridlock", e)
            q.occ = 0
            q.wait_on = -1
            if q.w:
                q.w.clear()
        for oq in (q.oq for q in self._links):
            while oq:
                a = oq.popleft()
                self._strand(a, self._origin[a], now, "gridlock", -1)
        for lst in self._route_wait:
            lst.clear()
        logger.warning("t=%.0f s: gridlock, %d agents stranded", now, n_before)

    # ------------------------------------------------------------ results
    def run(self, until: float | simpy.Event | None = None) -> Any:
        """Run the environment as ``env.run(until)`` does, with SimPy's per-event step inlined
        (:func:`evacsim.sim._engine_loop.run_env`); returns what ``env.run`` returns."""
        return run_env(self.env, until)

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
            now=self.env.now, queues=self._links, queue_log=self._queue_log,
            departure_s=self._dep_s, arrival_s=self._arr_s, end_node=self._end_node,
            n_links=self._nlinks, state=self._state, stranded_link=self._strand_link,
            stranded_reason=self._strand_reason, volume=[q.vol for q in self._links],
        )  # fmt: skip
