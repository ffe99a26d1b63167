"""Route tables and link control of :class:`evacsim.sim.engine.TrafficEngine` (a mixin).

Replacing a table, closing links and changing speed or capacity factors, now or at a given time
(before any departure or exit at that instant). Kept apart from :mod:`evacsim.sim.engine`, which
holds the agents' movements; the state used here is declared on the class below.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import simpy
from simpy.events import EventPriority

from evacsim.errors import SimulationError
from evacsim.sim._engine_hot import LinkQueue, schedule_at
from evacsim.sim._engine_stats import LinkSpec, check_table

__all__ = ["RoutesAndControl"]

logger = logging.getLogger("evacsim.sim.engine")

_NO_ROUTE = -2  # ``wait_on`` value of a link whose head waits for a new route table
# control actions given ``at_s`` run before any departure or exit at the same instant
_CONTROL = EventPriority(-1)


class RoutesAndControl:
    """Route tables and link control; the engine provides the state and the two moves below."""

    env: simpy.Environment
    links: LinkSpec
    _links: list[LinkQueue]
    _closed: list[bool]
    _ff0: list[float]
    _hw0: list[float]
    _sf: list[float]
    _tab: list[int]
    _fifo_clamp: list[bool]
    _raw_tables: list[np.ndarray]
    _dest_masks: list[np.ndarray]
    _ctab: list[list[int]]
    _route_wait: list[list[int]]

    def _advance(self, e: int, final_tid: int = -2) -> None:
        raise NotImplementedError  # the engine's: run link e's head check now

    def _advance_origin(self, e: int) -> None:
        raise NotImplementedError  # the engine's: let link e's origin queue enter

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
            if self._links[e].wait_on == _NO_ROUTE:
                self._links[e].wait_on = -1
                self._advance(e, tid)
        # heads queued for storage on a link their new table no longer takes decide again
        ctab = self._ctab[tid]
        for lk in self._links:
            f = lk.wait_on
            if f >= 0 and self._tab[lk[0][1]] == tid and ctab[lk.head] != f:
                w = self._links[f].srv.w
                assert w is not None
                w.remove(lk.id)
                lk.wait_on = -1
                self._advance(lk.id)

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
                w = self._links[f].srv.w  # (in a capacity group, only those bound for f)
                waiting = [
                    x for x in w or () if x == ~f or (x >= 0 and self._links[x].wait_on == f)
                ]
                for x in waiting:
                    assert w is not None
                    w.remove(x)
                for x in waiting:
                    if x >= 0:
                        self._links[x].wait_on = -1
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
                for lk in self._links:
                    lk.lr = lk[-1][0] if lk else -math.inf
            for e in ids:
                self._sf[e] = float(factor)
                self._links[e].ff = self._ff0[e] / float(factor)

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
                self._links[e].hw = self._hw0[e] / float(factor)

        if at_s is not None and at_s > self.env.now:
            self._at(at_s, apply)
        else:
            apply()

    def is_closed(self, link: int) -> bool:
        """Whether a link is closed."""
        return self._closed[link]
