"""Departures of the traffic engine: agents leave their origins at their times, one SimPy event
per departure instant (urgent priority), no event or heap entry per agent.

Each :meth:`Departures.add` call is one batch, sorted by departure time once (numpy); a small heap
holds each batch's next agent as ``(time_s, agent, batch)``, so agents leave in ``(time, agent
number)`` order, as one heap of all agents would give, at the cost of a heap as deep as the
number of batches. The event that fires at an instant is reused for a later one.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

import numpy as np
import simpy
from simpy.events import URGENT

from evacsim.sim._engine_hot import schedule_at

__all__ = ["Departures"]


class Departures:
    """Calls ``depart(agent, now)`` for each agent at its departure time, then ``after()``.

    Parameters
    ----------
    env
        The SimPy environment.
    depart
        Puts one agent on its way (the engine's part).
    after
        Run once per departure instant, after its agents (the engine's spill-back cascade).
    """

    def __init__(
        self,
        env: simpy.Environment,
        depart: Callable[[int, float], None],
        after: Callable[[], None],
    ) -> None:
        self.env = env
        self._depart = depart
        self._after = after
        self._heap: list[tuple[float, int, int]] = []  # each batch's next (time_s, agent, batch)
        self._batches: list[tuple[list[float], list[int], list[int]] | None] = []
        self._pending: list[float] = []  # instants with an event on the queue
        self._spare: list[simpy.Event] = []

    def add(self, first_agent: int, departure_s: np.ndarray) -> None:
        """Agents ``first_agent, first_agent + 1, ...`` leave at ``departure_s`` (>= now)."""
        if not len(departure_s):
            return
        order = np.argsort(departure_s, kind="stable")
        times = departure_s[order].tolist()
        agents = (order + first_agent).tolist()
        b = len(self._batches)
        self._batches.append((times, agents, [0]))
        heapq.heappush(self._heap, (times[0], agents[0], b))
        self._schedule(times[0])

    def _schedule(self, t: float) -> None:
        pend = self._pending
        if pend and pend[0] <= t:
            return
        heapq.heappush(pend, t)
        if self._spare:
            ev = self._spare.pop()
        else:
            ev = simpy.Event(self.env)
            ev._ok, ev._value = True, None
        ev.callbacks = [self._on_instant]
        schedule_at(self.env, ev, URGENT, t)

    def _on_instant(self, ev: simpy.Event) -> None:
        now = self.env.now
        heapq.heappop(self._pending)
        heap, batches, depart = self._heap, self._batches, self._depart
        while heap and heap[0][0] <= now:
            # the top batch's agents leaving now all come before any other batch's: a batch's
            # agents are numbered in one run, and later batches (even added meanwhile) higher
            b = heap[0][2]
            batch = batches[b]
            assert batch is not None
            times, agents, at = batch
            k, n = at[0], len(agents)
            while True:
                depart(agents[k], now)
                k += 1
                if k == n or times[k] > now:
                    break
            at[0] = k
            if k < n:
                heapq.heapreplace(heap, (times[k], agents[k], b))
            else:
                heapq.heappop(heap)
                batches[b] = None
        self._after()
        self._spare.append(ev)
        if heap:
            self._schedule(heap[0][0])
