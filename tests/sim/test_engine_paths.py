"""Path records of the traffic engine (:mod:`evacsim.sim._engine_paths`).

Records are one flat list of ``(agent, link, t_enter_s)`` found per agent through an index built
when first asked for: a short tail of new records is indexed in Python, a long one with numpy.
Both must give each agent its own records in time order, whatever the interleaving, and the
engine's answers mid-run must be the prefix of its answers at the end.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import simpy

from evacsim.sim import _engine_paths
from evacsim.sim._engine_paths import PathLog
from evacsim.sim._engine_stats import AgentState, LinkSpec
from evacsim.sim.engine import TrafficEngine
from tests.support.grid_engine import run_engine


def _interleaved(n_agents: int, n_records: int, seed: int) -> tuple[PathLog, dict[int, list]]:
    """A log of records of agents taking turns at random, and each agent's own sequence."""
    rng = np.random.default_rng(seed)
    log, own = PathLog(), {}
    for k, a in enumerate(rng.integers(0, n_agents, size=n_records).tolist()):
        link, t_s = int(rng.integers(0, 500)), 10.0 * k
        log.flat.extend((a, link, t_s))
        own.setdefault(a, []).append((link, t_s))
    return log, own


def _expected(seq: list[tuple[int, float]], end_s: float) -> list[tuple[int, float, float]]:
    """Records ``(link, t_in, t_out)``: each exit is the next entry, the last the end time."""
    outs = [t for _, t in seq[1:]] + [end_s]
    return [(link, t_in, t_out) for (link, t_in), t_out in zip(seq, outs, strict=True)]


@pytest.mark.parametrize("n_records", [50, 3 * _engine_paths._BULK_RECORDS])
def test_records_per_agent_in_time_order(n_records: int) -> None:
    """Python (short tail) and numpy (long tail) indexing both give each agent its own records;
    arrived agents end at their arrival, stranded ones at their stranding, others NaN."""
    log, own = _interleaved(40, n_records, seed=n_records)
    log.exit_s[3] = 1e9
    for a, seq in own.items():
        arrival = 5e8 if a % 2 else math.nan
        end = arrival if a % 2 else log.exit_s.get(a, math.nan)
        got = log.records(a, arrival)
        want = _expected(seq, end)
        assert [r[:2] for r in got] == [r[:2] for r in want]
        assert [r[2] for r in got[:-1]] == [r[2] for r in want[:-1]]
        assert got[-1][2] == end or (math.isnan(end) and math.isnan(got[-1][2]))
    assert log.records(10_000, math.nan) == []


def test_index_grows_with_new_records() -> None:
    """Records added after a question are found by the next one (the index catches up)."""
    log, own = _interleaved(5, 30, seed=1)
    first = {a: log.records(a, math.nan) for a in own}
    log.flat.extend((0, 77, 1e6))
    got = log.records(0, 2e6)
    assert got[-1] == (77, 1e6, 2e6)
    assert got[-2][2] == 1e6  # the previous last record now ends where the new one begins
    assert [r[0] for r in got[:-1]] == [r[0] for r in first[0]]


def test_paths_mid_run_are_prefixes_of_final(
    congested_grid: tuple[Any, np.ndarray, np.ndarray],
) -> None:
    """Asked for every 100 s while the engine runs, each agent's path is the part of its final
    path entered by then, the link it is on (exit NaN) last."""
    city, origins, deps = congested_grid
    final = run_engine(city, origins, deps, record_paths=True)
    env = simpy.Environment()
    links = LinkSpec(city.tail, city.head, city.freeflow_s, city.capacity_per_s,
                     city.storage_units)  # fmt: skip
    eng = TrafficEngine(env, links, record_paths=True)
    tid = eng.add_route_table(city.next_link, city.dest_nodes)
    eng.add_agents(origins, deps, table_id=tid)
    asked_on_link = 0
    for t_s in range(100, 2000, 100):
        eng.run(until=float(t_s))
        state = eng.results().state
        for a in range(0, len(origins), 13):
            got, whole = eng.path(a), final.path(a)
            entered = [r for r in whole if r[1] <= t_s]
            assert [r[:2] for r in got] == [r[:2] for r in entered]
            if state[a] == AgentState.ON_LINK:
                asked_on_link += 1
                assert math.isnan(got[-1][2])
                assert [r[2] for r in got[:-1]] == [r[2] for r in entered[:-1]]
            else:
                assert got == entered
    assert asked_on_link > 100  # the case asked about agents on the roads, not only finished
