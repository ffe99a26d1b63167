"""Stage 2 by bus: SimPy processes shuttling people from assembly points to shelters.

A bus goes to the staffed assembly point with the most people waiting that no other bus has
claimed, among those it can reach and that can reach a shelter with free room; waits for a full
load or ``load_timeout_s``; boards whole households first-in first-out, booking a shelter place
for each (:meth:`evacsim.sim.facilities.Facilities.board`); drives to each shelter it booked —
one leg per destination, each recorded with the persons on board — and goes back for more. A
leg whose roads close under it is re-booked from where the bus stopped. A bus stops for good once
no point it can reach may need it again (:meth:`~evacsim.sim.facilities.Facilities.may_need_bus`).

Buses start at the scenario's ``bus_depot``, else at the usable shelters in turn; a depot from
which no assembly point that expects people can be reached starts no bus (with a warning).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from evacsim.scenario.sections import TransportSpec
from evacsim.sim.state import BUS, SimState

if TYPE_CHECKING:
    from evacsim.sim.facilities import Facilities, Leg

__all__ = ["bus_process", "pick_depots"]


def _serves(fac: Facilities, node: int) -> bool:
    """Whether a bus at ``node`` can reach a point expecting people that can reach a shelter."""
    return any(
        np.isfinite(fac.sim.router.time_s("car", (int(fac.ap_car[ap]),))[node])
        and fac.outlook(ap) == "ok"
        for ap in np.flatnonzero(fac.expected > 0).tolist()
    )


def pick_depots(sim: SimState, fac: Facilities, spec: TransportSpec) -> tuple[list[int], list[str]]:
    """Start node of each bus (the named depot, else the usable shelters in turn that can serve
    an assembly point) and warnings for buses that cannot start."""
    if spec.buses == 0 or not fac.s_ids:
        return [], []
    if not (fac.expected > 0).any():
        return [], []  # nobody will wait for a bus
    area, snap = sim.prepared.area, sim.prepared.snapped
    if spec.bus_depot is not None:
        for layer, snapped in (
            (area.assembly_points, snap.assembly_points),
            (area.team_bases, snap.team_bases),
        ):
            ids = layer["id"].astype(str).tolist()
            if spec.bus_depot in ids:
                node = int(snapped.car_node[ids.index(spec.bus_depot)])
                if _serves(fac, node):
                    return [node] * spec.buses, []
                return [], [
                    f"transport.bus_depot '{spec.bus_depot}': no assembly point that expects "
                    f"people can be reached from it by road; its {spec.buses} buses never start"
                ]
    starts = [
        int(fac.s_car[s])
        for s in range(len(fac.s_ids))
        if fac.s_usable[s] and _serves(fac, int(fac.s_car[s]))
    ]
    if not starts:
        return [], [
            f"no usable shelter can reach an assembly point that expects people by road: "
            f"the {spec.buses} buses never start"
        ]
    skipped = [
        fac.s_ids[s]
        for s in range(len(fac.s_ids))
        if fac.s_usable[s] and int(fac.s_car[s]) not in starts
    ]
    warnings = (
        [f"no bus starts at shelter(s) {', '.join(skipped)}: no assembly point that expects "
         "people can be reached from them by road"]
        if skipped
        else []
    )  # fmt: skip
    return [starts[k % len(starts)] for k in range(spec.buses)], warnings


def _drive(sim: SimState, bus: int, origin: int, dest: int, passengers: Sequence[int] = ()) -> Any:
    """Drive a bus from ``origin`` to ``dest`` carrying ``passengers`` (groups); yields the
    engine's outcome (or None if there)."""
    if origin == dest:
        return None
    table = sim.router.table("car", (dest,))
    agent = sim.add_agent(BUS, bus, origin, table, size=2, carrying=passengers)
    outcome = yield sim.engine.arrival_event(agent)
    return outcome


def bus_process(sim: SimState, fac: Facilities, bus: int, start: int) -> Any:
    """One bus shuttling between assembly points and shelters until nobody may need it."""
    env = sim.env
    fac.buses_running += 1
    node = start
    try:
        while node >= 0:
            ap = fac.pick_ap(node)
            if ap < 0:
                if not fac.may_need_bus(node):
                    return
                yield fac.signal | env.timeout(300.0)
                continue
            node = yield from _serve(sim, fac, bus, node, ap)
    finally:
        fac.buses_running -= 1
        sim.settle_check()


def _serve(sim: SimState, fac: Facilities, bus: int, node: int, ap: int) -> Any:
    """One round: to ``ap``, load, to the shelters booked. Returns the bus's node (-1: stop)."""
    env, spec = sim.env, sim.prepared.scenario.transport
    cap = spec.bus_capacity_persons
    fac.claimed[ap] += cap
    try:
        outcome = yield from _drive(sim, bus, node, int(fac.ap_car[ap]))
    finally:
        fac.claimed[ap] -= cap
    if outcome is not None and not outcome.arrived:
        sim.log_event("bus_stranded", f"bus-{bus}", str(outcome.node), outcome.reason)
        return -1
    node = int(fac.ap_car[ap])
    deadline = env.now + spec.load_timeout_s
    while fac.waiting_persons[ap] < cap and fac.expected[ap] > 0 and env.now < deadline:
        yield fac.signal | env.timeout(deadline - env.now)
    legs = fac.board(ap, cap, node)
    if not legs:
        return node
    return (yield from _deliver(sim, fac, bus, node, ap, legs))


def _deliver(sim: SimState, fac: Facilities, bus: int, node: int, ap: int, legs: list[Leg]) -> Any:
    """Drive the booked legs in turn, unloading at each shelter; re-book from where the bus
    stopped when the roads to its next shelter close. Returns the bus's node (-1: stop)."""
    env = sim.env
    where = fac.ap_ids[ap]
    while legs:
        s, groups = legs[0]
        aboard = [g for _, gs in legs for g in gs]
        t0 = env.now
        outcome = yield from _drive(sim, bus, node, int(fac.s_car[s]), aboard)
        if outcome is not None and not outcome.arrived:
            for shelter, gs in legs:
                fac.cancel(shelter, gs)
            legs = _rebook(fac, ap, aboard, outcome)
            if not legs:
                sim.log_event("bus_stranded", f"bus-{bus}", str(outcome.node), outcome.reason)
                for g in aboard:
                    sim.strand(g, int(outcome.node), f"bus {outcome.reason}", moving=False)
                return -1
            sim.log_event("bus_rebooked", f"bus-{bus}", str(outcome.node), "roads closed")
            node = int(outcome.node)
            continue
        persons = int(sim.g_persons[aboard].sum())
        fac.trips.append((bus, where, fac.s_ids[s], persons, t0, env.now))
        fac.trip_agents.append(outcome.agent if outcome is not None else -1)
        for g in groups:
            fac.admit(g, s)
        legs = legs[1:]
        node, where = int(fac.s_car[s]), fac.s_ids[s]
    return node


def _rebook(fac: Facilities, ap: int, aboard: list[int], outcome: Any) -> list[Leg]:
    """New legs for everyone aboard from where the bus stopped (roads closed under it); none
    unless every household gets a place."""
    if outcome.reason != "no_route":
        return []
    legs = fac.book(ap, aboard, int(outcome.node))
    if sum(len(gs) for _, gs in legs) == len(aboard):
        return legs
    for shelter, gs in legs:
        fac.cancel(shelter, gs)
    return []
