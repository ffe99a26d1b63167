"""Hot path of :class:`evacsim.sim.engine.TrafficEngine`: the link "head check" and the cascade.

Two measured costs are taken off every agent-link traversal here (DESIGN.md, "Performance"):

* **attribute look-ups** -- the callback is a closure over the engine's per-link and per-agent
  lists, which the engine only ever mutates in place (never rebinds), so each exit reads local
  (cell) variables instead of ``self._...`` attributes;
* **scheduling calls** -- a check is pushed straight onto SimPy's own event queue as the tuple
  ``Environment.schedule`` itself pushes, ``(time_s, NORMAL, next(env._eid), event)``, with the
  exact event time instead of ``env.schedule(event, NORMAL, time_s - now)``. The event, its time,
  its priority and its event id (hence the tie order) are exactly those of the public call, and
  SimPy's ``Environment.step`` still pops and runs every event: SimPy stays the only clock and
  other processes interleave as before. The exact time also matters for correctness: a delay
  ``d`` with ``now + d == time_s`` does not exist for every pair of floats (see
  :func:`schedule_at`), so departures and timed controls are pushed the same way. This relies
  on SimPy 4's private ``_queue`` and ``_eid`` attributes (``simpy.core.Environment``, SimPy
  4.0-4.1), read when the engine is built (hot path) or at each call (:func:`schedule_at`).

The model and the order of operations are those of the module docstring of
:mod:`evacsim.sim.engine` (spatial queue of MATSim's QSim, Horni, Nagel & Axhausen 2016, ch. 1.2).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from heapq import heappush
from typing import Any, NamedTuple

import simpy
from simpy.events import NORMAL, EventPriority

from evacsim.errors import SimulationError
from evacsim.sim._engine_stats import AgentState

__all__ = [
    "HotPath",
    "LinkQueue",
    "QueueEntry",
    "make_hot_path",
    "schedule_at",
]

#: An agent on a link: ``(ready_s, agent, route-table row or None, size, links entered)``. Kept
#: in the link's queue so the hot path touches no per-agent list (measured: the per-agent lists'
#: cache misses, not the instructions, made much of the gap to a minimal heapq engine).
QueueEntry = tuple[float, int, "list[int] | None", int, int]


class LinkQueue(deque[QueueEntry], simpy.Event):  # type: ignore[misc]
    """One link: its FIFO queue of :data:`QueueEntry`, its state and its "head check" event, in
    one object.

    The state sits in slots of the queue object itself, so a traversal touches one object per
    link instead of a dozen per-link lists (measured: the memory traffic, not the instruction
    count, made most of the gap to a minimal heapq engine). The object is also the link's one
    reusable SimPy event, scheduled for the moment its head may leave (rescheduled after each
    firing; at most one pending): a separate event object per link cost a few cache misses per
    traversal. It is a real ``simpy.Event`` (always ``ok``, value ``None``), so SimPy's own
    ``Environment.step`` runs it too; the engine's run loop
    (:mod:`evacsim.sim._engine_loop`) calls ``check`` directly.

    Attributes
    ----------
    id, head
        The link's number and head node.
    ff, hw
        Free-flow time (s, over the speed factor) and exit headway per unit (s, over the
        capacity factor; 0 for unlimited capacity).
    srv
        The lead link of its capacity group (itself if none): the headway server and storage
        it shares (``srv.nf``, ``srv.occ``, ``srv.sto``, ``srv.w``).
    nf, occ, sto, w
        As a lead link: earliest next exit (s), occupied and total storage (units), and the
        links (``~link``: origin queues) waiting for storage room, in order.
    lr
        Ready time of the last agent that entered (kept only after a speed change).
    vol, wait_on, oq
        Exits so far; -1, the link whose storage its head waits for, or -2 (a new route);
        the origin queue of agents whose first link this is.
    check, env, callbacks, _ok, _value
        As an event: the engine's head-check callback, called with the link when the event
        fires; SimPy's event fields (``callbacks`` is ``[check]``, one list shared by the
        engine's links and never changed: SimPy's ``step`` clears it when it runs the event,
        so the engine sets it back on every push).
    """

    __slots__ = (
        "_ok",
        "_value",
        "callbacks",
        "check",
        "env",
        "ff",
        "head",
        "hw",
        "id",
        "lr",
        "nf",
        "occ",
        "oq",
        "srv",
        "sto",
        "vol",
        "w",
        "wait_on",
    )  # fmt: skip

    check: Callable[[LinkQueue], None]

    def __init__(
        self, env: simpy.Environment, link: int, head: int, ff_s: float, hw_s: float,
        storage: float,
    ) -> None:  # fmt: skip
        deque.__init__(self)
        self.env, self._ok, self._value = env, True, None
        self.callbacks = []  # ``[check]``: both set by the engine's hot path when it is built
        self.id, self.head, self.ff, self.hw, self.sto = link, head, ff_s, hw_s, storage
        self.srv = self
        self.nf = self.lr = -math.inf
        self.occ = self.vol = 0
        self.wait_on = -1
        self.w: deque[int] | None = None
        self.oq: deque[int] | None = None


def schedule_at(
    env: simpy.Environment, ev: simpy.Event, priority: EventPriority, time_s: float
) -> None:
    """Schedule ``ev`` at the absolute time ``time_s`` (s, ``>= env.now``) with ``priority``.

    The queue entry of ``env.schedule(ev, priority, d)`` for the ``d`` with ``env.now + d ==
    time_s``, which does not exist for every pair of floats (e.g. now = 40.34700575180803,
    time_s = 176.8712338038936: ``now + d`` skips ``time_s`` for every ``d``), so the entry is
    pushed directly and the event runs at exactly ``time_s``.
    """
    heappush(env._queue, (time_s, priority, next(env._eid), ev))


class HotPath(NamedTuple):
    """The engine's per-traversal and per-departure functions (see :func:`make_hot_path`)."""

    on_check: Callable[[LinkQueue], None]
    cascade: Callable[[], None]
    moved: Callable[..., float]
    enter: Callable[[int, int, float], None]
    depart: Callable[[int, float], None]


def make_hot_path(eng: Any) -> HotPath:  # eng: the TrafficEngine being built (imports this)
    """Build the head-check callback of ``eng``, its spill-back cascade and its departures.

    The callback is called by SimPy when a link's check event fires, or directly by the engine;
    the cascade (run after a callback that freed storage someone waits for) wakes the waiters;
    ``moved`` notes and tells when an agent last moved (for the gridlock watchdog); ``enter``
    puts an agent on its first link (storage room checked by the caller); ``depart`` puts an
    agent on its way at its departure time: the common case (a route table, an open first
    link with room and nobody ahead in its origin queue) here, every other case by the
    engine's ``_depart``.

    The callback lets the heads of link ``ev.link`` leave while they can (into the next link if it
    has storage room, else onto that link's waiting list), then schedules the link's next check.
    Invariant: a non-empty link has exactly one of a pending check event, an entry in the
    waiting list of the link it wants to enter, or an entry in its table's route-wait list.
    Entering the next link, scheduling its check and the records are inlined: this is the one
    function run per traversal, so it is longer than the house limit on purpose. Queue
    statistics are not kept here: a head that waited is logged (``queue_log``) and the figures
    are computed when asked (:func:`evacsim.sim._engine_stats.queue_stats`); a path record is
    three existing objects on one flat list (:class:`evacsim.sim._engine_paths.PathLog`).
    """
    env = eng.env
    if not isinstance(getattr(env, "_queue", None), list) or not hasattr(env, "_eid"):
        raise SimulationError("TrafficEngine: env must be a SimPy 4 Environment (_queue, _eid)")
    queue = env._queue
    eid = env._eid  # next(eid): a builtin call (a bound __next__ is a slot wrapper, slower)
    links, size, freed, pos = eng._links, eng._size, eng._freed, eng._pos
    rows, origin, state, tab = eng._row, eng._origin, eng._state, eng._tab
    on_link = AgentState.ON_LINK
    check_cbs: list[Callable[[Any], None]] = []  # every link's ``callbacks``: [on_check]
    log_wait = eng._queue_log.append
    path_add = eng._paths.flat.extend
    record = eng.record_paths
    fifo = eng._fifo_clamp
    cascading = False
    last_move_s = env.now  # when an agent last left a link (the gridlock watchdog asks)

    def moved(t_s: float | None = None) -> float:
        """Note a move at ``t_s`` (if given); return the time of the last move."""
        nonlocal last_move_s
        if t_s is not None:
            last_move_s = t_s
        return last_move_s

    def on_check(q: LinkQueue) -> None:
        nonlocal last_move_s
        srv = q.srv
        now = env._now
        node = q.head
        while q:
            r, a, row, sz, k = q[0]
            t = srv.nf
            if r > t:
                t = r
            if t > now:
                q.callbacks = check_cbs
                heappush(queue, (t, NORMAL, next(eid), q))
                break
            nxt = row[node] if row is not None else eng._first_link(a, node)
            if nxt == -2:
                if row is None:
                    eng._strand_head(q, node, now, "closed")
                    continue
                tid = eng._tab[a]
                if tid != eng._final_tid and eng._wait_for_route(q.id, a, tid):
                    break
                eng._strand_head(q, node, now, "no_route")
                continue
            if nxt >= 0:
                qn = links[nxt]
                sn = qn.srv
                o = sn.occ
                if o and o + sz > sn.sto:
                    q.wait_on = nxt
                    w = sn.w
                    if w is None:
                        sn.w = deque((q.id,))
                    else:
                        w.append(q.id)
                    break
                if row is None:
                    pos[a] += 1
            if r < now:  # the head waited: log it for the queue statistics
                log_wait(q.id)
                log_wait(r)
                log_wait(now)
            q.popleft()
            srv.occ -= sz
            srv.nf = now + q.hw if sz == 1 else now + sz * q.hw  # float * int is generic
            q.vol += 1
            last_move_s = now
            if srv.w:
                freed.append(srv)
            if nxt < 0:
                eng._arrive(a, node, now, k)
                continue
            r = now + qn.ff
            if fifo[0]:  # after a speed change nobody may be ready before the agent ahead
                lr = qn.lr
                if lr > r:
                    r = lr
                qn.lr = r
            sn.occ += sz
            if record:
                path_add((a, nxt, now))
            qn.append((r, a, row, sz, k + 1))
            if len(qn) == 1:
                t = sn.nf
                qn.callbacks = check_cbs
                heappush(queue, (r if r > t else t, NORMAL, next(eid), qn))
        if freed and not cascading:
            cascade()

    def cascade() -> None:
        """Wake links (and origin queues) waiting for storage on lead links that freed some."""
        nonlocal cascading
        cascading = True
        try:
            while freed:
                f = freed.pop()
                w = f.w
                while w:
                    x = w[0]
                    if x >= 0:
                        sz = links[x][0][3]
                    else:
                        oq = links[~x].oq
                        assert oq is not None
                        sz = size[oq[0]]
                    o = f.occ
                    if o and o + sz > f.sto:
                        break
                    w.popleft()
                    if x >= 0:
                        lx = links[x]
                        lx.wait_on = -1
                        on_check(lx)
                    else:
                        eng._advance_origin(~x)
        finally:
            cascading = False

    def enter(a: int, e: int, now: float) -> None:
        """Agent ``a`` enters its first link ``e`` at ``now`` (storage room already checked)."""
        q = links[e]
        r = now + q.ff
        if fifo[0]:  # nobody is ready before the agent ahead (after speed changes)
            lr = q.lr
            if lr > r:
                r = lr
            q.lr = r
        state[a] = on_link
        sz = size[a]
        srv = q.srv
        srv.occ += sz
        if tab[a] < 0:
            pos[a] = 0
        if record:
            path_add((a, e, now))
        q.append((r, a, rows[a], sz, 1))
        if len(q) == 1:
            t = srv.nf
            q.callbacks = check_cbs
            heappush(queue, (r if r > t else t, NORMAL, next(eid), q))

    def depart(a: int, now: float) -> None:
        """Agent ``a`` leaves now: the common case (a route table, an open first link with room
        and nobody queued at the origin) enters here; every other one through the engine."""
        row = rows[a]
        if row is not None:
            e = row[origin[a]]
            if e >= 0:
                q = links[e]
                srv = q.srv
                o = srv.occ
                if not q.oq and (not o or o + size[a] <= srv.sto):
                    eng._n_on_net += 1
                    if not eng._watchdog_on:
                        eng._start_watchdog()
                    enter(a, e, now)
                    return
        eng._depart(a, now)

    check_cbs.append(on_check)
    for q in links:  # the engine's links exist (none is added later): make them events
        q.check, q.callbacks = on_check, check_cbs
    return HotPath(on_check, cascade, moved, enter, depart)
