"""Verification suite of the traffic engine (shared/reference/verification_tests.md, section 4).

Every expected value is analytical (computed here from the model's definition), never read from
the engine. Convention (RN-3): the capacity headway is charged at the exit of a link: ``N`` agents
released together on a link with free-flow time ``T`` and capacity ``c`` leave at
``T + k / c`` for ``k = 0 .. N - 1``; the last one at ``T + (N - 1) / c``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Generator, Sequence
from typing import Any

import numpy as np
import pytest
import simpy

from evacsim.errors import NetworkError, SimulationError
from evacsim.sim._engine_stats import AgentOutcome, AgentState, LinkSpec, TrafficResults
from evacsim.sim.engine import TrafficEngine

INF = math.inf
EPS = 1e-9


def kph(v: float) -> float:
    """km/h -> m/s."""
    return v / 3.6


def make(
    links: Sequence[tuple[int, int, float, float, float]], *, n_nodes: int = 0, **kw: Any
) -> tuple[simpy.Environment, TrafficEngine]:
    """Engine on ``(tail, head, freeflow_s, capacity_per_s, storage_units)`` links."""
    t, h, ff, c, s = (np.array(col) for col in zip(*links, strict=True))
    env = simpy.Environment()
    return env, TrafficEngine(env, LinkSpec(t, h, ff, c, s, n_nodes=n_nodes), **kw)


def run(eng: TrafficEngine) -> TrafficResults:
    """Run to the end and return the results."""
    eng.run()
    return eng.results()


def line_table(n_links: int) -> tuple[list[int], list[int]]:
    """Next-link table of the line 0 -> 1 -> ... -> n_links (link i: node i -> i + 1)."""
    return [*range(n_links), -1], [n_links]


# ---------------------------------------------------------------- RN-1, RN-2, RN-11
def test_rn1_free_flow_link() -> None:
    """RN-1: one agent, L = 1000 m at 40 km/h: t = L / v = 90.0 s."""
    _env, eng = make([(0, 1, 1000.0 / kph(40.0), 0.5, INF)])
    eng.add_agent(0, 0.0, path=[0])
    res = run(eng)
    assert res.arrival_s[0] == pytest.approx(90.0, abs=EPS)
    assert res.state[0] == AgentState.ARRIVED and res.end_node[0] == 1


def test_rn2_path_is_sum_of_links() -> None:
    """RN-2: t = sum L_i / v_i over the path, and the path is a valid walk of the graph."""
    lengths_m, speeds_mps = [500.0, 1200.0, 300.0], [kph(36.0), kph(60.0), 1.2]
    links = [
        (i, i + 1, L / v, 1.0, INF)
        for i, (L, v) in enumerate(zip(lengths_m, speeds_mps, strict=True))
    ]
    _env, eng = make(links, record_paths=True)
    nxt, dest = line_table(3)
    eng.add_agent(0, 15.0, table_id=eng.add_route_table(nxt, dest))
    res = run(eng)
    assert res.arrival_s[0] == pytest.approx(15.0 + 50.0 + 72.0 + 250.0, abs=EPS)
    rec = eng.path(0)
    assert [r[0] for r in rec] == [0, 1, 2] and res.n_links[0] == 3
    assert all(
        a[2] == b[1] for a, b in itertools.pairwise(rec)
    )  # leaves one link as it enters the next


def test_rn11_speed_factor() -> None:
    """RN-11: on a link with speed factor f, t = L / (f v); entrants before the change keep v."""
    ff = 1000.0 / kph(40.0)
    _env, eng = make([(0, 1, ff, INF, INF)])
    eng.add_agent(0, 0.0, path=[0])
    eng.add_agent(0, 100.0, path=[0])
    eng.set_speed_factor([0], 0.5, at_s=50.0)
    res = run(eng)
    assert res.arrival_s[0] == pytest.approx(90.0, abs=EPS)
    assert res.arrival_s[1] == pytest.approx(100.0 + 1000.0 / (0.5 * kph(40.0)), abs=EPS)


# ------------------------------------------------------------------------- RN-3
@pytest.mark.parametrize("layout", ["bottleneck_link", "freeflow_then_bottleneck"])
def test_rn3_single_bottleneck(layout: str) -> None:
    """RN-3: N = 600, t_ff = 90 s, c = 0.5/s: first at 90 s, last at t_ff + (N - 1)/c = 1288 s."""
    n, t_ff, c = 600, 90.0, 0.5
    if layout == "bottleneck_link":
        links = [(0, 1, t_ff, c, INF)]
    else:  # a free-flow approach, then a zero-length bottleneck
        links = [(0, 1, t_ff, INF, INF), (1, 2, 0.0, c, INF)]
    _env, eng = make(links)
    nxt, dest = line_table(len(links))
    eng.add_agents(np.zeros(n, dtype=int), 0.0, table_id=eng.add_route_table(nxt, dest))
    res = run(eng)
    arr = np.sort(res.arrival_s)
    assert arr[0] == pytest.approx(t_ff, abs=EPS)
    assert abs(arr[-1] - (t_ff + (n - 1) / c)) <= 1.0 / c  # tolerance of the reference
    assert arr[-1] == pytest.approx(1288.0, abs=EPS)  # this engine's convention, exactly
    np.testing.assert_allclose(np.diff(arr), 1.0 / c, atol=EPS)
    assert res.max_queue[len(links) - 1] == n - 1  # all but the one leaving at 90 s wait


# ------------------------------------------------------------------------- RN-4
def test_rn4_capacity_never_exceeded() -> None:
    """RN-4: on every link, departures in any window dt number at most c * dt + 1.

    A congested merge with spill-back and buses (size 2): two streams onto a bottleneck with
    little storage, whose queue spills back into both approaches.
    """
    links = [
        (0, 2, 20.0, 1.0, INF),  # approach A
        (1, 2, 25.0, 0.8, INF),  # approach B
        (2, 3, 10.0, 0.4, 4.0),  # short bottleneck, storage 4
        (3, 4, 30.0, 0.25, 8.0),  # second bottleneck
    ]
    _env, eng = make(links, record_paths=True)
    tid = eng.add_route_table([0, 1, 2, 3, -1], [4])
    rng = np.random.default_rng(7)
    n = 300
    eng.add_agents(
        rng.integers(0, 2, n), np.sort(rng.uniform(0, 300, n)), table_id=tid,
        size=rng.choice([1, 2], n, p=[0.8, 0.2]),
    )  # fmt: skip
    res = run(eng)
    assert res.counts["arrived"] == n
    caps = [link[3] for link in links]
    for e, c in enumerate(caps):
        exits = np.sort([x[2] for a in range(n) for x in eng.path(a) if x[0] == e])
        assert exits.size == res.volume[e]
        i, j = np.triu_indices(exits.size)
        count = j - i + 1  # departures in the closed window [t_i, t_j]
        assert np.all(count <= c * (exits[j] - exits[i]) + 1 + EPS), f"link {e}"


def test_queue_figures_of_a_snapshot_are_those_of_its_time() -> None:
    """A snapshot taken at 101 s while 100 agents released together queue on one link (free
    flow 30 s, c = 0.5/s: exits at 30 + 2k s) keeps the figures of 101 s even when read after
    the run has gone on: 99 waiting behind the first to leave, a queue since 30 s (71 s); the
    whole run's queue lasts (n - 1) / c = 198 s."""
    n, c = 100, 0.5
    _env, eng = make([(0, 1, 30.0, c, INF)])
    eng.add_agents(np.zeros(n, dtype=int), 0.0, table_id=eng.add_route_table([0, -1], [1]))
    eng.run(101.0)
    at_101 = eng.results()
    end = run(eng)
    assert end.congested_s[0] == pytest.approx((n - 1) / c, abs=EPS)
    assert at_101.max_queue[0] == n - 1
    assert at_101.congested_s[0] == pytest.approx(101.0 - 30.0, abs=EPS)


# ------------------------------------------------------------------------- RN-5
def test_rn5_series_bottlenecks() -> None:
    """RN-5: two equal-capacity links in series: queue only before link 1; outflow of 2 = c."""
    n, c = 100, 0.5
    _env, eng = make([(0, 1, 30.0, c, INF), (1, 2, 30.0, c, INF)])
    nxt, dest = line_table(2)
    eng.add_agents(np.zeros(n, dtype=int), 0.0, table_id=eng.add_route_table(nxt, dest))
    res = run(eng)
    assert res.max_queue[1] == 0 and res.congested_s[1] == 0.0
    assert res.max_queue[0] == n - 1
    assert res.congested_s[0] == pytest.approx(
        (n - 1) / c, abs=EPS
    )  # queue from 30 s to the last exit
    arr = np.sort(res.arrival_s)
    np.testing.assert_allclose(np.diff(arr), 1.0 / c, atol=EPS)
    assert arr[-1] == pytest.approx(60.0 + (n - 1) / c, abs=EPS)


# ------------------------------------------------------------------------- RN-6
def clearance_with_exits(n: int, k: int, t_ff: float, c: float) -> float:
    """Zone (node 0) with ``k`` identical exit links; agents spread evenly over the exits."""
    _env, eng = make([(0, i + 1, t_ff, c, INF) for i in range(k)])
    for a in range(n):
        eng.add_agent(0, 0.0, path=[a % k])
    res = run(eng)
    assert res.counts["arrived"] == n
    return float(res.arrival_s.max())


def test_rn6_closing_half_the_exits_doubles_queue_time() -> None:
    """RN-6 (RiMEA 9): (t2 - t_ff) / (t4 - t_ff) in [1.9, 2.1]; t_k = t_ff + (N/k - 1)/c."""
    n, t_ff, c = 1000, 60.0, 0.5
    t4 = clearance_with_exits(n, 4, t_ff, c)
    t2 = clearance_with_exits(n, 2, t_ff, c)
    assert t4 == pytest.approx(t_ff + (n / 4 - 1) / c, abs=EPS)
    assert t2 == pytest.approx(t_ff + (n / 2 - 1) / c, abs=EPS)
    assert 1.9 <= (t2 - t_ff) / (t4 - t_ff) <= 2.1


# ------------------------------------------------------------------------- RN-7
def test_rn7_assigned_destinations() -> None:
    """RN-7: agents with assigned shelters all arrive there, even when the other is nearer.

    Line 1 - 0 - 2 with shelters at both ends (nodes 1 and 2) and origins in the middle.
    """
    links = [(0, 1, 40.0, 1.0, INF), (0, 2, 90.0, 1.0, INF), (3, 0, 10.0, 1.0, INF)]
    _env, eng = make(links)
    to1 = eng.add_route_table([0, -1, -1, 2], [1])
    to2 = eng.add_route_table([1, -1, -1, 2], [2])
    rng = np.random.default_rng(3)
    assigned = rng.choice([1, 2], 200)
    origins = rng.choice([0, 3], 200)
    for o, s in zip(origins, assigned, strict=True):
        eng.add_agent(int(o), float(rng.uniform(0, 100)), table_id=to1 if s == 1 else to2)
    res = run(eng)
    assert np.array_equal(res.end_node, assigned)  # 100 %


# ------------------------------------------------------------------------- RN-9
def two_routes(n: int, n_on_b: int) -> float:
    """Routes A (t_ff 300 s, c 0.5/s) and B (t_ff 420 s, c 0.5/s); ``n_on_b`` agents use B."""
    _env, eng = make([(0, 1, 300.0, 0.5, INF), (0, 2, 420.0, 0.5, INF)])
    dests = [1, 2]
    # the free-flow router's table: everyone at node 0 takes A (300 s < 420 s)
    table_a = eng.add_route_table([0, -1, -1], dests)
    table_b = eng.add_route_table([1, -1, -1], dests)
    eng.add_agents(np.zeros(n - n_on_b, dtype=int), 0.0, table_id=table_a)
    if n_on_b:
        eng.add_agents(np.zeros(n_on_b, dtype=int), 0.0, table_id=table_b)
    res = run(eng)
    assert res.counts["arrived"] == n
    if n_on_b == 0:
        assert np.all(res.end_node == 1)
    return float(res.arrival_s.max())


def split_clearance(n: int, k: int) -> float:
    """Analytic clearance with ``k`` agents on B: max over the used routes of t_ff + (n_r - 1)/c."""
    t = [300.0 + (n - k - 1) / 0.5 if n - k else 0.0, 420.0 + (k - 1) / 0.5 if k else 0.0]
    return max(t)


def test_rn9_route_choice_small_demand_all_take_a() -> None:
    """RN-9, N/c_A < 120 s: all on A is optimal, and the table router sends all to A."""
    n = 50
    all_a = two_routes(n, 0)
    assert all_a == pytest.approx(300.0 + (n - 1) / 0.5, abs=EPS)
    for k in (1, 10, 25):
        t = two_routes(n, k)
        assert t == pytest.approx(split_clearance(n, k), abs=EPS)
        assert t >= all_a


def test_rn9_route_choice_large_demand_bound() -> None:
    """RN-9, large N: the engine has no route choice of its own (a table gives one next hop per
    node, from free-flow times), so it sends everyone to A. That is the limit of a
    non-equilibrium router; the bound from the reference holds: a table assignment that splits
    (k on B, with A's queue delay ~ 120 s + B's) clears no later than all-on-A."""
    n = 600
    all_a = two_routes(n, 0)
    assert all_a == pytest.approx(300.0 + (n - 1) / 0.5, abs=EPS)
    k = (n - 120 * 0.5) // 2  # 300 + 2 (n - k - 1) = 420 + 2 (k - 1)
    split = two_routes(n, int(k))
    assert split == pytest.approx(split_clearance(n, int(k)), abs=EPS)
    assert split <= all_a


# ------------------------------------------------------------------------ RN-10
def closure_network(**kw: Any) -> tuple[simpy.Environment, TrafficEngine, int]:
    """0 -> 1 (link 0), then exit X (link 1: 1 -> 2, slow, storage 5) or Y (link 2: 1 -> 3)."""
    env, eng = make(
        [(0, 1, 10.0, 1.0, INF), (1, 2, 20.0, 0.2, 5.0), (1, 3, 60.0, 1.0, INF)],
        record_paths=True, **kw,
    )  # fmt: skip
    tid = eng.add_route_table([0, 1, -1, -1], [2, 3])
    return env, eng, tid


def test_rn10_dynamic_closure_reroutes() -> None:
    """RN-10: exit X closes at t_c; nobody enters it after t_c; all reach an open exit."""
    env, eng, tid = closure_network()
    n, t_c = 100, 150.0
    eng.add_agents(np.zeros(n, dtype=int), np.arange(n, dtype=float), table_id=tid)

    def hazard() -> Generator[simpy.Event, Any, None]:
        yield env.timeout(t_c)
        eng.close_links([1])
        eng.set_route_table(tid, [0, 2, -1, -1])

    env.process(hazard())
    res = run(eng)
    assert res.counts["arrived"] == n
    entries_x = [x[1] for a in range(n) for x in eng.path(a) if x[0] == 1]
    assert max(entries_x) < t_c
    at_y = res.end_node == 3
    assert at_y.sum() > 0 and (~at_y).sum() == len(entries_x)
    # agents queued at the head of link 0 for X's storage at t_c rerouted at t_c itself
    exits_0 = np.array([eng.path(a)[0][2] for a in range(n)])
    assert np.any(exits_0 == t_c)


def test_rn10_no_route_after_update_strands() -> None:
    """An agent whose next link closed waits for a new table; if that has no route: stranded."""
    env, eng, tid = closure_network()
    eng.add_agents(np.zeros(3, dtype=int), 0.0, table_id=tid)
    eng.close_links([1, 2], at_s=5.0)

    def update() -> Generator[simpy.Event, Any, None]:
        yield env.timeout(20.0)
        eng.set_route_table(tid, [0, -1, -1, -1])

    env.process(update())
    res = run(eng)
    assert res.counts["stranded"] == 3
    assert set(res.stranded_reason) == {"no_route"}
    assert np.all(res.stranded_link == 0) and np.all(res.end_node == 1)


def test_rn10_reroute_wait_timeout_and_fixed_paths() -> None:
    """Without a new table an agent is stranded after ``reroute_wait_s``; a fixed path at once."""
    _env, eng, tid = closure_network(reroute_wait_s=30.0)
    eng.add_agent(0, 0.0, table_id=tid)
    eng.add_agent(0, 0.0, path=[0, 1])
    eng.close_links([1], at_s=5.0)
    strandings: list[tuple[int, int, float, str]] = []
    eng.on_stranded = lambda a, node, t, why: strandings.append((a, node, t, why))
    run(eng)
    # agent 0 waits at the head of link 0 from 10 s to 40 s; agent 1 (ready at 11 s) is behind
    # it in the FIFO, and is stranded as soon as it reaches the head
    assert sorted(strandings) == [(0, 1, 10.0 + 30.0, "no_route"), (1, 1, 40.0, "closed")]


# ----------------------------------------------------------------------- spill-back
def test_spill_back_limits_upstream_exit_rate() -> None:
    """A short downstream link B (storage 5, c_B = 0.25/s) fills; A's exits slow to c_B.

    A: t_ff 10 s, c_A = 1/s; B: t_ff 20 s. Analytic: the first 5 leave A at 10 + k (B has
    room); the k-th (k >= 5) enters B when B's (k - 5)-th leaves, at 30 + 4 (k - 5) = 10 + 4k,
    so A's exit headway becomes 1/c_B = 4 s; B's k-th exit is at 30 + 4k.
    """
    n = 40
    _env, eng = make([(0, 1, 10.0, 1.0, INF), (1, 2, 20.0, 0.25, 5.0)], record_paths=True)
    nxt, dest = line_table(2)
    eng.add_agents(np.zeros(n, dtype=int), 0.0, table_id=eng.add_route_table(nxt, dest))
    res = run(eng)
    k = np.arange(n)
    exit_a = np.array([eng.path(a)[0][2] for a in range(n)])
    np.testing.assert_allclose(exit_a, np.where(k < 5, 10.0 + k, 10.0 + 4.0 * k), atol=EPS)
    np.testing.assert_allclose(res.arrival_s, 30.0 + 4.0 * k, atol=EPS)
    # B never holds more than its storage
    ins = np.array([eng.path(a)[1][1] for a in range(n)])
    outs = np.array([eng.path(a)[1][2] for a in range(n)])
    for t in ins:
        assert np.sum((ins <= t) & (outs > t)) <= 5
    # without spill-back (infinite storage) A would discharge at c_A: the queue is on A
    assert res.max_queue[0] > 0 and res.congested_s[0] > 0


def test_empty_link_always_admits() -> None:
    """A link shorter than a vehicle (storage < size) still passes traffic, one at a time."""
    _env, eng = make([(0, 1, 5.0, 1.0, INF), (1, 2, 2.0, 1.0, 0.5)])
    nxt, dest = line_table(2)
    eng.add_agents([0, 0, 0], 0.0, table_id=eng.add_route_table(nxt, dest), size=2)
    res = run(eng)
    # link 0 exits at 5, 7, 9 if B were free; B holds one bus at a time for 2 s (exit headway 2)
    np.testing.assert_allclose(res.arrival_s, [7.0, 9.0, 11.0], atol=EPS)


# ------------------------------------------------------------------------ RN-13
def clearance_line(n: int, cap_factor: float = 1.0, speed_factor: float = 1.0) -> float:
    """Line with spill-back: approach, short link (storage 6), final bottleneck (storage 10)."""
    links = [(0, 1, 30.0, 1.0, INF), (1, 2, 20.0, 0.8, 6.0), (2, 3, 40.0, 0.4, 10.0)]
    links = [(t, h, ff, c * cap_factor, s) for t, h, ff, c, s in links]
    _env, eng = make(links)
    eng.set_speed_factor([0, 1, 2], speed_factor)
    nxt, dest = line_table(3)
    tid = eng.add_route_table(nxt, dest)
    eng.add_agents(np.zeros(n, dtype=int), np.linspace(0, 120, n), table_id=tid)
    res = run(eng)
    assert res.counts["arrived"] == n
    return float(res.arrival_s.max())


def test_rn13_monotonicity() -> None:
    """RN-13: clearance non-decreasing in N, non-increasing in capacity and in speed."""
    by_n = [clearance_line(n) for n in (10, 50, 100, 200, 400)]
    assert all(a <= b for a, b in itertools.pairwise(by_n))
    by_c = [clearance_line(200, cap_factor=f) for f in (0.5, 1.0, 2.0, 4.0)]
    assert all(a >= b for a, b in itertools.pairwise(by_c))
    by_v = [clearance_line(200, speed_factor=f) for f in (0.25, 0.5, 1.0, 2.0)]
    assert all(a >= b for a, b in itertools.pairwise(by_v))
    # the final bottleneck (0.4/s) sets the pace at N = 400: 400 agents need >= 399 / 0.4 s
    assert by_n[-1] >= (400 - 1) / 0.4


# ----------------------------------------------------------------- gridlock, API
def test_gridlock_ends_the_run_and_strands_everyone() -> None:
    """Two full one-vehicle links whose heads want each other's link: deadlock, then stranded."""
    links = [
        (0, 1, 10.0, 1.0, 1.0),
        (1, 0, 10.0, 1.0, 1.0),
        (0, 2, 5.0, 1.0, INF),
        (1, 3, 5.0, 1.0, INF),
    ]
    _env, eng = make(links, gridlock_timeout_s=100.0)
    eng.add_agent(0, 0.0, path=[0, 1, 2])
    eng.add_agent(1, 0.0, path=[1, 0, 3])
    eng.add_agent(0, 5.0, path=[2])  # unaffected
    res = run(eng)
    assert res.counts["stranded"] == 2 and res.counts["arrived"] == 1
    assert list(res.stranded_reason[:2]) == ["gridlock", "gridlock"]
    assert list(res.stranded_link[:2]) == [0, 1]
    # heads ready at 10 s, last move at 10 s (agent 2 arrived): declared 100 s after it
    assert 110.0 <= res.time_s <= 10.0 + 2 * 100.0


def test_arrival_event_for_a_bus_process() -> None:
    """A SimPy process adds a trip during the run and waits for its arrival event."""
    env, eng = make([(0, 1, 90.0, 1.0, INF), (1, 0, 90.0, 1.0, INF)])
    log: list[AgentOutcome] = []

    def bus() -> Generator[simpy.Event, Any, None]:
        for leg, origin in enumerate([0, 1, 0]):
            yield env.timeout(10.0)
            a = eng.add_agent(origin, env.now, path=[origin], size=2)
            outcome = yield eng.arrival_event(a)
            log.append(outcome)
            assert outcome.time_s == env.now == pytest.approx(10.0 * (leg + 1) + 90.0 * (leg + 1))

    env.process(bus())
    run(eng)
    assert [o.node for o in log] == [1, 0, 1] and all(o.arrived for o in log)
    done = eng.arrival_event(0)
    assert done.triggered and isinstance(done.value, AgentOutcome) and done.value.arrived


def test_agent_at_destination_and_unreachable_origin() -> None:
    """An agent starting at its destination arrives at once; one with no route is stranded."""
    _env, eng = make([(0, 1, 10.0, 1.0, INF)], n_nodes=3)  # node 2: no links
    tid = eng.add_route_table([0, -1, -1], [1])
    eng.add_agents([1, 2], [5.0, 6.0], table_id=tid)
    res = run(eng)
    assert res.arrival_s[0] == 5.0 and res.n_links[0] == 0
    assert res.state[1] == AgentState.STRANDED and res.stranded_reason[1] == "no_route"


def test_bad_input_raises_one_line_errors() -> None:
    """Bad links and agents raise evacsim errors naming the link / field / node."""
    with pytest.raises(NetworkError, match="link 1, field 'capacity_per_s'"):
        LinkSpec(np.array([0, 1]), np.array([1, 2]), np.array([1.0, 1.0]),
                 np.array([1.0, 0.0]), np.array([1.0, 1.0]))  # fmt: skip
    _env, eng = make([(0, 1, 10.0, 1.0, INF), (1, 2, 10.0, 1.0, INF)])
    with pytest.raises(SimulationError, match="path link 1 does not continue from node 0"):
        eng.add_agent(0, 0.0, path=[1])
    with pytest.raises(SimulationError, match="node 1: next link 0"):
        eng.add_route_table([0, 0, -1], [2])
    with pytest.raises(SimulationError, match="exactly one of"):
        eng.add_agent(0, 0.0)
    for err in (NetworkError, SimulationError):
        assert issubclass(err, ValueError | RuntimeError)
