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

__all__ = ["PathLog"]


class PathLog:
    """Every agent's ``(link, t_enter_s, t_exit_s)`` records (see the module docstring).

    The engine's hot path appends to :attr:`flat` and updates :attr:`last` itself (inlined);
    :meth:`enter` is the same step for the engine's colder paths.
    """

    def __init__(self) -> None:
        self.flat: list[float] = []  # link, t_enter_s, previous record's index, per record
        self.last: list[int] = []  # per agent: index in ``flat`` of its last record, -1 none
        self.exit_s: dict[int, float] = {}  # agents stranded at a link's head: that time

    def add_agents(self, n: int) -> None:
        """Make room for ``n`` new agents (no records yet)."""
        self.last.extend([-1] * n)

    def enter(self, agent: int, link: int, t_s: float) -> None:
        """``agent`` enters ``link`` at ``t_s``."""
        i = len(self.flat)
        self.flat.extend((link, t_s, self.last[agent]))
        self.last[agent] = i

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
