"""Tests of the engine's run loop (``evacsim.sim._engine_loop``): ``TrafficEngine.run`` must behave
exactly as SimPy's own ``Environment.run`` on the same model.

Oracle: SimPy's ``Environment.run`` itself (an independent implementation of the loop), run on a
twin of each model; the traces (time, what happened, in order) and the return values and
exceptions must be the same.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import pytest
import simpy

from evacsim.sim._engine_stats import LinkSpec
from evacsim.sim.engine import TrafficEngine

Trace = list[tuple[float, str]]
Runner = Callable[[simpy.Environment, TrafficEngine, Any], Any]


def simpy_run(env: simpy.Environment, _eng: TrafficEngine, until: Any) -> Any:
    return env.run(until)


def engine_run(_env: simpy.Environment, eng: TrafficEngine, until: Any) -> Any:
    return eng.run(until)


def model() -> tuple[simpy.Environment, TrafficEngine, Trace]:
    """A chain 0 -> 1 -> 2 -> 3 (capacity 1 per 2 s, storage 2) with agents tied in time with
    processes' timeouts, so the trace shows the interleaving."""
    env = simpy.Environment()
    trace: Trace = []
    links = LinkSpec(np.array([0, 1, 2]), np.array([1, 2, 3]), np.array([4.0, 2.0, 3.0]),
                     np.full(3, 0.5), np.full(3, 2.0))  # fmt: skip
    eng = TrafficEngine(env, links, on_arrival=lambda a, _n, t: trace.append((t, f"arrive {a}")))
    tid = eng.add_route_table([0, 1, 2, -1], [3])
    eng.add_agents([0] * 6 + [1] * 3, [0.0, 0, 1, 2, 2, 3, 4, 5, 5], table_id=tid)

    def clock(name: str, step_s: float) -> Generator[simpy.Event, Any, None]:
        while True:
            yield env.timeout(step_s)
            trace.append((env.now, name))

    env.process(clock("tick 1", 1.0))
    env.process(clock("tick 3", 3.0))
    return env, eng, trace


@pytest.mark.parametrize("until", [None, 9.0, 13, "event"])
def test_same_trace_and_value_as_simpy(until: Any) -> None:
    """Same trace, same end time and same return value as ``env.run(until)``; then a resumed run
    to the end matches too."""
    out = []
    for runner in (simpy_run, engine_run):
        env, eng, trace = model()
        stop: Any = until
        if until == "event":
            stop = env.timeout(11.0, value="stop")
        elif until is None:
            stop = env.timeout(40.0, value="end")  # the clocks never run out of events
        value = runner(env, eng, stop)
        first = (list(trace), env.now, value)
        runner(env, eng, 45.0)
        out.append((first, list(trace), env.now, eng.results().arrival_s.tolist()))
    assert out[0] == out[1]
    assert not any(np.isnan(out[1][3]))  # everyone arrived: the model does exercise the engine


def test_empty_schedule_and_until_errors() -> None:
    """Empty queue: returns None; an ``until`` event never triggered, or a time not ahead:
    SimPy's errors."""
    for runner in (simpy_run, engine_run):
        env = simpy.Environment()
        links = LinkSpec(np.array([0]), np.array([1]), np.array([1.0]), np.array([1.0]),
                         np.array([1.0]))  # fmt: skip
        eng = TrafficEngine(env, links)
        eng.add_agent(0, 0.0, path=[0])
        assert runner(env, eng, None) is None
        assert eng.results().arrival_s.tolist() == [1.0]
        with pytest.raises(RuntimeError, match="No scheduled events left"):
            runner(env, eng, simpy.Event(env))
        with pytest.raises(ValueError, match="must be greater"):
            runner(env, eng, 0.5)
        assert "step" not in vars(env)  # SimPy's own step is back


def test_failed_event_crashes_like_simpy() -> None:
    """A failed event nobody defused stops the run with a copy of its exception (cause: the
    original); a defused one does not."""
    for runner in (simpy_run, engine_run):
        env, eng, trace = model()
        bad, ok = simpy.Event(env), simpy.Event(env)
        bad.fail(KeyError("boom"))
        ok.fail(KeyError("quiet"))
        ok.defused = True
        with pytest.raises(KeyError, match="boom") as info:
            runner(env, eng, 20.0)
        assert isinstance(info.value.__cause__, KeyError)
        assert env.now == 0.0 and trace == []
        assert "step" not in vars(env)
        runner(env, eng, 5.0)  # resumes; the defused failure is ignored
        assert env.now == 5.0
