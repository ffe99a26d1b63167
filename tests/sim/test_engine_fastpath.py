"""Tests of the traffic engine's hot path (``evacsim.sim._engine_hot``): exact event times, the tie
order shared with other SimPy processes, and identity with the independent plain-heapq reference
engine (``benchmarks/heapq_engine.py``, same model, no SimPy) on a congested grid.

Oracles: event times are the analytical ``departure + free-flow`` sums; tie order is SimPy's
documented rule (same time and priority: scheduling order); the reference engine is a separate
implementation of the model of ``evacsim.sim.engine``.
"""

from __future__ import annotations

import math
import signal
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import numpy as np
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from evacsim.sim._engine_stats import AgentState, LinkSpec, TrafficResults
from evacsim.sim.engine import TrafficEngine
from tests.support.grid_engine import load_benchmark, run_engine

INF = math.inf
# now + d skips T for every float d (the sums of d and its neighbours round past T)
NOW_S, T_S = 40.34700575180803, 176.8712338038936


@contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Fail (instead of hanging) if the block runs longer than ``seconds``."""

    def fail(_sig: int, _frame: FrameType | None) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, fail)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def one_link(ff_s: float, **kw: Any) -> tuple[simpy.Environment, TrafficEngine]:
    """Engine on one link 0 -> 1, free-flow ``ff_s``, unlimited capacity and storage."""
    env = simpy.Environment()
    links = LinkSpec(np.array([0]), np.array([1]), np.array([ff_s]), np.array([INF]),
                     np.array([INF]))  # fmt: skip
    return env, TrafficEngine(env, links, **kw)


def add_later(env: simpy.Environment, at_s: float, action: Any) -> None:
    """Run ``action()`` from a SimPy process at time ``at_s``."""

    def proc() -> Generator[simpy.Event, Any, None]:
        yield env.timeout(at_s)
        action()

    env.process(proc())


def test_unreachable_delay_precondition() -> None:
    """The case below is hard: no float delay d gives NOW_S + d == T_S."""
    d = T_S - NOW_S
    near = [d, math.nextafter(d, INF), math.nextafter(d, -INF)]
    assert all(NOW_S + x != T_S for x in near)
    assert NOW_S + near[1] > T_S > NOW_S + near[2]


def test_departure_at_time_no_delay_reaches() -> None:
    """An agent added at NOW_S departing at T_S leaves the 10 s link at exactly T_S + 10."""
    env, eng = one_link(10.0)
    add_later(env, NOW_S, lambda: eng.add_agent(0, T_S, path=[0]))
    with deadline(10):
        eng.run()
    res = eng.results()
    assert res.departure_s[0] == T_S
    assert res.arrival_s[0] == T_S + 10.0


def test_control_at_time_no_delay_reaches() -> None:
    """A closure given at NOW_S for T_S comes before a departure at T_S: the agent is stranded."""
    stranded: list[float] = []
    env, eng = one_link(10.0, on_stranded=lambda _a, _n, t, _r: stranded.append(t))

    def act() -> None:
        eng.close_links([0], at_s=T_S)
        eng.add_agent(0, T_S, path=[0])

    add_later(env, NOW_S, act)
    with deadline(10):
        eng.run()
    res = eng.results()
    assert res.state[0] == AgentState.STRANDED and res.stranded_reason[0] == "no_route"
    assert stranded == [T_S]


@settings(max_examples=60, deadline=None)
@given(
    now_s=st.floats(0.0, 1e6, allow_nan=False),
    wait_s=st.floats(1e-9, 1e6, allow_nan=False),
    ff_s=st.floats(0.0, 1e4, allow_nan=False),
)
def test_event_times_are_exact(now_s: float, wait_s: float, ff_s: float) -> None:
    """Added at any time for any later departure t: arrival is exactly t + free-flow time."""
    t_s = now_s + wait_s
    env, eng = one_link(ff_s)
    add_later(env, now_s, lambda: eng.add_agent(0, t_s, path=[0]))
    with deadline(10):
        eng.run()
    res = eng.results()
    assert res.arrival_s[0] == t_s + ff_s


def test_ties_with_other_processes_follow_scheduling_order() -> None:
    """At the same time and priority SimPy runs events in scheduling order: a process timeout
    scheduled before the agent's exit sees it on the link, one scheduled after sees it arrived."""
    env, eng = one_link(10.0)
    seen: dict[str, int] = {}

    def early() -> Generator[simpy.Event, Any, None]:
        yield env.timeout(10.0)  # scheduled at t=0, before the agent departs
        seen["early"] = int(eng.results().state[0])

    def late() -> Generator[simpy.Event, Any, None]:
        yield env.timeout(5.0)
        yield env.timeout(5.0)  # scheduled at t=5, after the exit at t=10 was
        seen["late"] = int(eng.results().state[0])

    env.process(early())
    env.process(late())
    eng.add_agent(0, 0.0, path=[0])
    eng.run()
    assert seen == {"early": AgentState.ON_LINK, "late": AgentState.ARRIVED}
    assert eng.results().arrival_s[0] == 10.0


def test_identical_to_heapq_reference(congested_grid: tuple[Any, np.ndarray, np.ndarray]) -> None:
    """Arrival times, link volumes, max queues and congested times equal the reference's."""
    city, origins, deps = congested_grid
    res: TrafficResults = run_engine(city, origins, deps).results()
    ref = load_benchmark("heapq_engine").HeapqEngine(
        city.tail, city.head, city.freeflow_s, city.capacity_per_s, city.storage_units,
        city.next_link, city.dest_nodes, city.n_nodes,
    )  # fmt: skip
    ref.add_agents(origins, deps)
    ref.run()
    assert res.counts["arrived"] == len(origins)
    assert (res.max_queue >= 2).sum() > 50  # full links: spill-back was exercised
    np.testing.assert_array_equal(res.arrival_s, np.array(ref.arrival_s))
    np.testing.assert_array_equal(res.volume, np.array(ref.volume))
    np.testing.assert_array_equal(res.max_queue, np.array(ref.max_queue))
    np.testing.assert_array_equal(res.congested_s, np.array(ref.congested_s))


def test_record_paths_consistent(congested_grid: tuple[Any, np.ndarray, np.ndarray]) -> None:
    """With paths recorded: same results; each exit is the next entry; the last exit is the
    arrival; links follow the route table from the origin."""
    city, origins, deps = congested_grid
    plain = run_engine(city, origins, deps).results()
    eng = run_engine(city, origins, deps, record_paths=True)
    res = eng.results()
    np.testing.assert_array_equal(res.arrival_s, plain.arrival_s)
    np.testing.assert_array_equal(res.congested_s, plain.congested_s)
    for a in range(0, len(origins), 7):
        p = eng.path(a)
        assert len(p) == res.n_links[a]
        node = int(origins[a])
        for k, (link, t_in, t_out) in enumerate(p):
            assert link == city.next_link[node]
            node = int(city.head[link])
            assert t_out >= t_in + city.freeflow_s[link]
            if k + 1 < len(p):
                assert p[k + 1][1] == t_out
        assert p[-1][2] == res.arrival_s[a] if p else res.arrival_s[a] == res.departure_s[a]
