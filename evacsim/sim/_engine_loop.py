"""The run loop of :class:`evacsim.sim.engine.TrafficEngine`: SimPy's ``Environment.run`` with
its per-event ``step`` inlined in one loop.

SimPy's ``Environment.run(until)`` calls ``self.step()`` once per event; at one event per
agent-link traversal that call (a method call, a ``try``, the callbacks swap and loop) was
~15-20 % of the engine's time (DESIGN.md, "Performance"). :func:`run_env` installs, for the
duration of one ``env.run(until)``, a ``step`` that processes events in a loop until SimPy's own
ending conditions (``EmptySchedule``, ``StopSimulation``) end it, so ``env.run`` keeps its own
``until`` semantics (a time: stop before any regular event at that time; an event: stop when it
is processed, returning its value) and exceptions.

Every event is still popped from SimPy's own queue (``env._queue``), in SimPy's order (time,
priority, event id), and processed as ``Environment.step`` does (SimPy 4.1: set ``env._now``,
clear ``callbacks``, call them, reschedule the rest on ``StopSimulation``, crash on a failed
event nobody defused): SimPy stays the only clock and other processes interleave exactly as
under ``env.run``. The one shortcut: a link's check event (the link itself, a
:class:`~evacsim.sim._engine_hot.LinkQueue`) runs its one callback directly, leaving its
``callbacks`` list in place (the engine sets that list on every push anyway).
"""

from __future__ import annotations

from heapq import heappop
from typing import Any

import simpy
from simpy.core import EmptySchedule, StopSimulation
from simpy.events import EventPriority

from evacsim.sim._engine_hot import LinkQueue

__all__ = ["run_env"]

_RESUME = EventPriority(-1)  # SimPy's priority for an event cut short by StopSimulation


def _make_step(env: simpy.Environment) -> Any:
    """A ``step`` for ``env`` that processes events until SimPy's ending conditions raise."""
    queue = env._queue

    def step_all() -> None:
        pop = heappop
        while True:
            try:
                env._now, _, _, ev = pop(queue)
            except IndexError:
                raise EmptySchedule from None
            if ev.__class__ is LinkQueue:
                check = ev.check  # a slot read, not a method look-up on every event
                check(ev)
                continue
            callbacks, ev.callbacks = ev.callbacks, None  # type: ignore[assignment]
            try:
                for callback in callbacks:
                    callback(ev)
            except StopSimulation:
                ev.callbacks = callbacks[callbacks.index(callback) + 1 :]
                env.schedule(ev, _RESUME)
                raise
            if not ev._ok and not hasattr(ev, "_defused"):
                exc = type(ev._value)(*ev._value.args)
                exc.__cause__ = ev._value
                raise exc

    return step_all


def run_env(env: simpy.Environment, until: float | simpy.Event | None = None) -> Any:
    """``env.run(until)`` with the event loop inlined (see the module docstring); returns what
    ``env.run`` returns."""
    env.step = _make_step(env)  # type: ignore[method-assign]
    try:
        return env.run(until)
    finally:
        del env.step
