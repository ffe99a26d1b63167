"""Stage 2 by bus: SimPy processes shuttling people from assembly points to shelters.

A bus goes to the staffed assembly point with the most people waiting or still expected that it
can reach and that has an open road to a shelter with room, waits for a full load or
``load_timeout_s``, takes whole households first-in first-out, drives to the nearest shelter with
room, unloads and goes back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from evacsim.scenario.sections import TransportSpec
from evacsim.sim.state import BUS, SimState

if TYPE_CHECKING:
    from evacsim.sim.facilities import Facilities

__all__ = ["bus_process", "pick_depots"]


def pick_depots(sim: SimState, fac: Facilities, spec: TransportSpec) -> list[int]:
    """Start node of each bus: the named depot, else the shelters in turn."""
    if spec.buses == 0 or not fac.s_ids:
        return []
    area, snap = sim.prepared.area, sim.prepared.snapped
    if spec.bus_depot is not None:
        for layer, snapped in (
            (area.assembly_points, snap.assembly_points),
            (area.team_bases, snap.team_bases),
        ):
            ids = layer["id"].astype(str).tolist()
            if spec.bus_depot in ids:
                return [int(snapped.car_node[ids.index(spec.bus_depot)])] * spec.buses
    nodes = fac.s_car
    return [int(nodes[k % len(nodes)]) for k in range(spec.buses)]


def _drive(
    sim: SimState, bus: int, origin: int, dest: int, level: int, passengers: Sequence[int] = ()
) -> Any:
    """Drive a bus from ``origin`` to ``dest``; yields the engine's outcome (or None if there)."""
    if origin == dest:
        return None
    table = sim.router.table("car", level, (dest,))
    agent = sim.add_agent(BUS, bus, origin, table, size=2, carrying=passengers)
    outcome = yield sim.engine.arrival_event(agent)
    return outcome


def bus_process(sim: SimState, fac: Facilities, bus: int, start: int) -> Any:
    """One bus shuttling between assembly points and shelters until nobody needs it."""
    env, cap = sim.env, sim.prepared.scenario.transport.bus_capacity_persons
    fac.buses_running += 1
    node = start
    try:
        while True:
            ap = fac.pick_ap(cap, node)
            if ap < 0:
                if (fac.expected.sum() <= 0 and fac.awaiting_staff() == 0) or (
                    sim.active == 0 and fac.waiting_persons.sum() == 0
                ):
                    return
                yield fac.signal | env.timeout(300.0)
                continue
            node = yield from _serve(sim, fac, bus, node, ap, cap)
            if node < 0:
                return
    finally:
        fac.buses_running -= 1
        sim.settle_check()


def _serve(sim: SimState, fac: Facilities, bus: int, node: int, ap: int, cap: int) -> Any:
    """One round: to ``ap``, load, to a shelter, unload. Returns the bus's node (-1: stop)."""
    env = sim.env
    level = int(sim.plan.ap_levels[ap])
    fac.claimed[ap] += cap
    try:
        outcome = yield from _drive(sim, bus, node, int(fac.ap_car[ap]), level)
    finally:
        fac.claimed[ap] -= cap
    if outcome is not None and not outcome.arrived:
        sim.log_event("bus_stranded", f"bus-{bus}", str(outcome.node), outcome.reason)
        return -1
    node = int(fac.ap_car[ap])
    deadline = env.now + sim.prepared.scenario.transport.load_timeout_s
    while fac.waiting_persons[ap] < cap and fac.expected[ap] > 0 and env.now < deadline:
        yield fac.signal | env.timeout(deadline - env.now)
    passengers = fac.board(ap, cap)
    if not passengers:
        return node
    return (yield from _unload(sim, fac, bus, node, ap, passengers))


def _unload(
    sim: SimState, fac: Facilities, bus: int, node: int, ap: int, passengers: list[int]
) -> Any:
    env = sim.env
    load = int(sim.g_persons[passengers].sum())
    level = int(sim.plan.ap_levels[ap])
    tried: set[int] = set()
    while passengers:
        need = int(sim.g_persons[passengers].min())
        s = fac.next_shelter(ap, need=need, exclude=frozenset(tried), from_node=node)
        if s < 0:
            for g in passengers:
                sim.strand(g, node, "no shelter with room", moving=False)
            return -1
        t0, from_ap = env.now, node == int(fac.ap_car[ap])
        outcome = yield from _drive(sim, bus, node, int(fac.s_car[s]), level, passengers)
        if outcome is not None and not outcome.arrived:
            for g in passengers:
                sim.strand(g, outcome.node, f"bus {outcome.reason}", moving=False)
            return -1
        node = int(fac.s_car[s])
        fac.trips.append((bus, fac.ap_ids[ap], fac.s_ids[s], load, t0, env.now))
        fac.trip_agents.append(outcome.agent if outcome is not None and from_ap else -1)
        passengers = [g for g in passengers if not fac.admit(g, s)]
        tried.add(s)
    return node
