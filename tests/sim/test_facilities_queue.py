"""Queues at assembly points: what idle buses and boarding read, against a brute-force count."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from evacsim.plan.make import make_plan
from evacsim.scenario.load import load_scenario
from evacsim.scenario.prepare import prepare
from evacsim.sim.simulation import Simulation
from tests.support.tiny_area import tiny_scenario


def _simulation(tiny_area_dir: Path) -> Simulation:
    path = tiny_area_dir.parent / "q.toml"
    text = tiny_scenario(
        seed=5, area=tiny_area_dir.name, evacuate="yellow", period="day", buses=1,
        bus_capacity=7, extra="",
    )  # fmt: skip
    path.write_text(text, encoding="utf-8")
    prepared = prepare(load_scenario(path))
    return Simulation(prepared, make_plan(prepared, np.random.default_rng(5)))


def test_queue_counts_and_boarding_match_the_queue_itself(tiny_area_dir: Path) -> None:
    sim = _simulation(tiny_area_dir)
    fac = sim.facilities
    fac.ap_cap = np.full(
        len(fac.ap_ids), 10**6
    )  # nobody is sent on: every household queues where it arrives
    ap = 0
    node = int(fac.ap_car[ap])
    walkers = [g for g in range(len(sim.g_persons)) if fac.waits(g)]
    assert len({int(sim.g_persons[g]) for g in walkers}) > 1  # several household sizes

    def check() -> None:
        queue = list(fac.waiting[ap])
        persons = [int(sim.g_persons[g]) for g in queue]
        assert fac.waiting_persons[ap] == sum(persons)
        assert fac.smallest(ap) == (min(persons) if persons else 1)

    check()
    for g in walkers:
        fac.reach_assembly(g, ap, node)
        check()
    fac.leave_assembly(walkers[1], ap)  # one leaves from the middle of the queue
    check()
    for room, rounds in ((None, 2), (1, 100)):  # room everywhere, then one place per shelter
        if room is not None:
            for s in range(len(fac.s_ids)):
                fac.booked[s] += fac.free(s) - room
        for _ in range(rounds):
            before = list(fac.waiting[ap])
            legs = fac.board(ap, 7, node)
            taken = [g for _, groups in legs for g in groups]
            if not taken:
                break
            # first in, first out: the boarded are the earliest that get a place (with one
            # place left, only single persons: the others are passed over and keep their order)
            fits = [g for g in before if room is None or int(sim.g_persons[g]) <= room]
            assert taken == fits[: len(taken)]
            assert list(fac.waiting[ap]) == [g for g in before if g not in set(taken)]
            assert all(sim.state[g] == "en_route" for g in taken)
            check()
    assert any(int(sim.g_persons[g]) > 1 for g in fac.waiting[ap])  # some were passed over
