"""Path records of the traffic engine: one flat list, no object per traversal.

Each link an agent enters adds three numbers to one flat list -- the link, the entry time (s) and
the index of the agent's previous record (-1 for its first) -- and the agent's ``last`` entry
points at it. The exit time of a record is the entry time of the next one (an agent leaves one
link and enters the next at the same instant), or, for its last link, the time it arrived or was
stranded at the link's head (NaN while it is still on it). A list of lists per traversal (the
previous design) cost ~18 % of the engine's time at 100k agents, much of it in the garbage
collector walking millions of small lists; a flat list of existing number objects is not tracked.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

__all__ = ["PathLog"]


class PathLog:
    """Every agent's ``(link, t_enter_s, t_exit_s)`` records (see the module docstring).

    The engine's hot path appends to :attr:`flat` itself (inlined) and keeps an agent's last
    index in its queue entry while it is on a link, writing :attr:`last` when it leaves the
    network; :meth:`sync` brings :attr:`last` up to date for agents still on a link.
    """

    def __init__(self) -> None:
        self.flat: list[float] = []  # link, t_enter_s, previous record's index, per record
        self.last: list[int] = []  # per agent: index in ``flat`` of its last record, -1 none
        self.exit_s: dict[int, float] = {}  # agents stranded at a link's head: that time
        self._synced = -1  # len(flat) at the last sync

    def add_agents(self, n: int) -> None:
        """Make room for ``n`` new agents (no records yet)."""
        self.last.extend([-1] * n)

    def enter(self, agent: int, link: int, t_s: float) -> int:
        """``agent`` enters ``link`` at ``t_s``; returns the record's index."""
        i = len(self.flat)
        self.flat.extend((link, t_s, self.last[agent]))
        self.last[agent] = i
        return i

    def sync(self, queues: Iterable[Iterable[tuple[Any, ...]]]) -> None:
        """Copy the last record index of every agent on a link from its queue entry (only if
        someone entered a link since the previous sync)."""
        if self._synced == len(self.flat):
            return
        last = self.last
        for q in queues:
            for x in q:
                last[x[1]] = x[5]
        self._synced = len(self.flat)

    def records(self, agent: int, arrival_s: float) -> list[tuple[int, float, float]]:
        """The agent's records in order; ``arrival_s`` is its arrival time (NaN if none)."""
        flat = self.flat
        out: list[tuple[int, float, float]] = []
        t_out = arrival_s if not math.isnan(arrival_s) else self.exit_s.get(agent, math.nan)
        i = self.last[agent]
        while i >= 0:
            t_in = flat[i + 1]
            out.append((int(flat[i]), t_in, t_out))
            t_out = t_in
            i = int(flat[i + 2])
        out.reverse()
        return out
