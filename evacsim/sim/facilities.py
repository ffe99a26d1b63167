"""Stage 2: assembly points and shelters, their capacities and the places vehicles book.

**Assembly points** hold at most ``capacity_persons`` people waiting. A household that reaches a
full point goes on to the nearest other point it can reach (by its own mode, under the hazard
rule) that has room, and the full point counts it as refused and redirected; when no reachable
point has room it waits at the one it reached, over capacity (counted in ``over_capacity`` and
warned about). Cars that drive on are counted at their point but do not wait there.

**Shelters** never take more than ``capacity_persons``. Places are booked when a vehicle is
dispatched: a bus books a place for each household it boards, a car household books its own
place when it drives on from its assembly point; free room is capacity − present − booked, so
nobody drives to a full shelter while another can be reached. A bus whose load does not fit in
one shelter is sent on to the next: one leg per destination, each with the persons on board.
Each point prefers the shelters of the capacity-aware initial plan (:mod:`evacsim.plan.make`,
while its quota there lasts), then the others, each nearest first by the open roads *now*.

**Cut off.** An assembly point from which no shelter with free room can be reached by road (while
some shelter still has room) is *cut off*: no bus is sent there, its people are kept
``at_assembly`` and it is reported (``cut_off_s``: since when). Roads only ever close (the hazard
rule of :mod:`evacsim.plan.reach` and closures by the teams), so a point cut off stays so.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd

from evacsim.area.layers import Area
from evacsim.network.snap import SnappedArea
from evacsim.plan.make import Plan
from evacsim.sim.state import CAR_ON, STAGE1, SimState

__all__ = ["AP_END_REASONS", "Facilities"]

#: Why people are still at an assembly point when the run ends.
AP_END_REASONS = {
    "waiting_for_bus": "a bus could still come when time ran out",
    "cut_off": "no road open from the point to a shelter with room",
    "shelters_full": "no usable shelter has room left",
    "unstaffed": "the point was never staffed, so no bus was dispatched there",
    "no_bus": "no bus can come (none in the scenario, or none can reach the point)",
}

Leg = tuple[int, list[int]]  # (shelter, households booked there)


class Facilities:
    """Assembly points and shelters of one run: queues, occupancy, bookings and counts."""

    def __init__(self, sim: SimState, area: Area, snapped: SnappedArea, plan: Plan) -> None:
        self.sim = sim
        self.env = sim.env
        self.spec = sim.prepared.scenario.transport
        self.ap_ids = area.assembly_points["id"].astype(str).tolist()
        self.s_ids = area.shelters["id"].astype(str).tolist()
        self.names = _names(area.assembly_points) | _names(area.shelters)
        self.ap_walk = snapped.assembly_points.walk_node.astype(np.int64)
        self.ap_car = snapped.assembly_points.car_node.astype(np.int64)
        self.s_car = snapped.shelters.car_node.astype(np.int64)
        self.ap_usable = np.asarray(plan.ap_usable, dtype=bool)
        self.s_usable = np.asarray(plan.shelter_usable, dtype=bool)
        self.ap_cap = area.assembly_points["capacity_persons"].to_numpy(np.int64)
        self.s_cap = area.shelters["capacity_persons"].to_numpy(np.int64)
        self.s_index = {s: i for i, s in enumerate(self.s_ids)}
        self.prefs = {
            ap: [self.s_index[s] for s in plan.shelter_prefs.get(ap, [])] for ap in self.ap_ids
        }
        self.quota = np.zeros((len(self.ap_ids), len(self.s_ids)), dtype=np.int64)
        for i, ap in enumerate(self.ap_ids):
            for s, persons in plan.shelter_plan.get(ap, []):
                self.quota[i, self.s_index[s]] = persons
        keys = self.ap_ids + self.s_ids
        self.occ = dict.fromkeys(keys, 0)
        self.arrivals = dict.fromkeys(keys, 0)
        self.peak = dict.fromkeys(keys, 0)
        self.refused = dict.fromkeys(keys, 0)
        self.redirected = dict.fromkeys(keys, 0)
        self.over_capacity = dict.fromkeys(keys, 0)
        self.booked = [0] * len(self.s_ids)  # persons, per shelter (plain ints: asked often)
        self._s_cap = self.s_cap.tolist()
        self._s_usable = np.flatnonzero(self.s_usable).tolist()
        self._reach: dict[tuple[int, int], bool] = {}  # (point, shelter) by the roads open now
        self._reach_version = -1  # the router's version _reach holds
        self._most: dict[bool, float] = {}  # _most_room while no shelter changes
        self.occupancy_log: list[tuple[str, float, int]] = []
        self.waiting: list[deque[int]] = [deque() for _ in self.ap_ids]
        # per point: how many households of each size wait (for the smallest, asked by every
        # idle bus at every change; thousands may wait in a district)
        self._sizes: list[dict[int, int]] = [{} for _ in self.ap_ids]
        # per point, plain lists: read by every idle bus at every change
        self.waiting_persons = [0] * len(self.ap_ids)
        self.expected = self._expected()
        self.claimed = [0] * len(self.ap_ids)  # seats of the buses on their way there
        self.car_booking: dict[int, int] = {}
        self.tried: dict[int, set[int]] = {}  # points a household found full
        self.cut_off_s = np.full(len(self.ap_ids), np.nan)
        self.trips: list[tuple[int, str, str, int, float, float]] = []
        self.trip_agents: list[int] = []  # engine agent of each trip (-1: none driven)
        self.buses_running = 0
        # when each assembly point got its staff (0: from the start; inf: staff on the way;
        # NaN: never): buses serve only staffed points (evacsim.sim.teams)
        self.staffed_at = [0.0] * len(self.ap_ids)
        self.signal = self.env.event()

    # ---------------------------------------------------------------- helpers
    def waits(self, g: int) -> bool:
        """Whether group ``g`` waits at its assembly point (walkers, assisted, cars that stay)."""
        return self.sim.g_mode[g] != "car" or not self.spec.cars_continue or not self.s_ids

    def _expected(self) -> np.ndarray:
        out = np.zeros(len(self.ap_ids), dtype=np.int64)
        for g, ap in enumerate(self.sim.g_ap):
            if ap >= 0 and self.waits(g):
                out[ap] += self.sim.g_persons[g]
        return out

    def ap_node(self, ap: int, mode: str) -> int:
        """The network node of an assembly point for a travel mode."""
        return int(self.ap_car[ap] if mode == "car" else self.ap_walk[ap])

    def _change(self, fid: str, persons: int) -> None:
        self.occ[fid] += persons
        if fid in self.s_index:
            self._most.clear()  # a shelter's room
        self.peak[fid] = max(self.peak[fid], self.occ[fid])
        self.occupancy_log.append((fid, float(self.env.now), self.occ[fid]))

    def notify(self) -> None:
        """Wake every process waiting on the facilities' signal (buses)."""
        signal, self.signal = self.signal, self.env.event()
        signal.succeed()

    def free(self, s: int) -> int:
        """Free places in shelter ``s``: capacity − present − booked."""
        return self._s_cap[s] - self.occ[self.s_ids[s]] - self.booked[s]

    def _car_time_s(self, from_node: int, dest: int) -> float:
        return float(self.sim.router.time_s("car", (int(dest),))[from_node])

    def _reaches(self, ap: int, s: int) -> bool:
        """Whether shelter ``s`` can be reached by car from point ``ap`` by the roads open now
        (remembered until the router's tables are rebuilt: roads only close)."""
        router = self.sim.router
        if self._reach_version != router.version:
            self._reach.clear()
            self._reach_version = router.version
        ok = self._reach.get((ap, s))
        if ok is None:
            ok = self._reach[ap, s] = bool(
                np.isfinite(self._car_time_s(int(self.ap_car[ap]), int(self.s_car[s])))
            )
        return ok

    def shelter_order(self, ap: int, from_node: int) -> list[int]:
        """Usable shelters with free room that a vehicle at ``from_node`` can reach now: those
        the plan gives ``ap`` (while its quota lasts) first, then the others, nearest first."""
        found = []
        for s in range(len(self.s_ids)):
            if not self.s_usable[s] or self.free(s) <= 0:
                continue
            t = self._car_time_s(from_node, int(self.s_car[s]))
            if np.isfinite(t):
                found.append((self.quota[ap, s] <= 0, t, s))
        return [s for _, _, s in sorted(found)]

    def book(
        self, ap: int, households: Iterable[int], from_node: int, *, seats: int | None = None
    ) -> list[Leg]:
        """Book places for ``households`` (in order) from ``from_node``. Without ``seats`` it
        stops at the first household that fits nowhere; with ``seats`` (a bus) it skips such a
        household and stops when the next one would exceed the seats (the first always boards).
        Returns the legs, one per shelter, in the order they were first booked."""
        order = self.shelter_order(ap, from_node)
        legs: dict[int, list[int]] = {}
        load = 0
        for g in households:
            persons = int(self.sim.g_persons[g])
            if seats is not None and legs and load + persons > seats:
                break
            s = next((s for s in order if self.free(s) >= persons), -1)
            if s < 0 and seats is None:
                break
            if s >= 0:
                self._book_one(ap, s, g)
                legs.setdefault(s, []).append(g)
                load += persons
        return list(legs.items())

    def _book_one(self, ap: int, s: int, g: int) -> None:
        persons = int(self.sim.g_persons[g])
        self.booked[s] += persons
        self._most.clear()
        self.quota[ap, s] = max(0, int(self.quota[ap, s]) - persons)

    def cancel(self, s: int, groups: list[int]) -> None:
        """Release the places booked at shelter ``s`` for ``groups``."""
        self.booked[s] -= int(self.sim.g_persons[groups].sum())
        self._most.clear()
        self.notify()

    def smallest(self, ap: int) -> int:
        """The smallest household waiting at ``ap`` (1 when none waits: one may still come)."""
        sizes = self._sizes[ap]
        return min(sizes) if sizes else 1

    def _wait(self, ap: int, g: int) -> None:
        """Group ``g`` joins the end of the queue at ``ap``."""
        persons = int(self.sim.g_persons[g])
        self.waiting[ap].append(g)
        sizes = self._sizes[ap]
        sizes[persons] = sizes.get(persons, 0) + 1
        self.waiting_persons[ap] += persons

    def _unwait(self, ap: int, groups: Iterable[int]) -> None:
        """Count ``groups`` (already taken out of the queue at ``ap``) as no longer waiting."""
        sizes = self._sizes[ap]
        for g in groups:
            persons = int(self.sim.g_persons[g])
            sizes[persons] -= 1
            if not sizes[persons]:
                del sizes[persons]
            self.waiting_persons[ap] -= persons

    def outlook(self, ap: int, *, need: int = 1, potential: bool = False) -> str:
        """``"ok"``: a shelter with room for ``need`` persons can be reached from ``ap`` now;
        ``"cut_off"``: some usable shelter has such room but none can be reached;
        ``"shelters_full"``: none has. ``potential`` counts booked places as room (bookings
        may still be cancelled)."""
        occ, ids, cap, booked = self.occ, self.s_ids, self._s_cap, self.booked
        room = False
        for s in self._s_usable:
            if cap[s] - occ[ids[s]] - (0 if potential else booked[s]) >= need:
                if self._reaches(ap, s):
                    return "ok"
                room = True
        return "cut_off" if room else "shelters_full"

    def _most_room(self, *, potential: bool) -> float:
        """The most room in a usable shelter (as :meth:`outlook` counts it; -inf: none),
        remembered until a booking or an admission changes it."""
        most = self._most.get(potential)
        if most is None:
            occ, ids, cap, booked = self.occ, self.s_ids, self._s_cap, self.booked
            most = self._most[potential] = max(
                (cap[s] - occ[ids[s]] - (0 if potential else booked[s]) for s in self._s_usable),
                default=-math.inf,
            )
        return most

    def check_cut_off(self) -> None:
        """Record and log the points with people waiting or expected that are now cut off."""
        for ap in np.flatnonzero(np.isnan(self.cut_off_s)).tolist():
            busy = self.waiting_persons[ap] > 0 or self.expected[ap] > 0
            if busy and self.outlook(ap, need=self.smallest(ap), potential=True) == "cut_off":
                self.cut_off_s[ap] = float(self.env.now)
                self.sim.log_event(
                    "cut_off", self.ap_ids[ap], self.ap_ids[ap],
                    "no open road to a shelter with room",
                )  # fmt: skip

    def set_staffed(self, ap: int, t_s: float) -> None:
        """Assembly point ``ap`` is staffed from ``t_s`` (NaN: it never will be)."""
        self.staffed_at[ap] = t_s
        self.notify()

    def awaiting_staff(self) -> int:
        """Persons waiting at assembly points whose staff is still on the way."""
        pairs = zip(self.waiting_persons, self.staffed_at, strict=True)
        return sum(w for w, t in pairs if t == math.inf)

    def idle(self) -> bool:
        """No bus is still running."""
        return self.buses_running == 0

    # -------------------------------------------------------- stage 1 arrivals
    def nearest_ap(self, mode: str, node: int, *, persons: int = 0, exclude: set[int]) -> int:
        """The usable assembly point nearest ``node`` by ``mode`` now (not in ``exclude``) with
        room for ``persons`` waiting (0: any); -1 if none can be reached."""
        best, best_t = -1, np.inf
        for ap in range(len(self.ap_ids)):
            if ap in exclude or not self.ap_usable[ap]:
                continue
            if persons and self.occ[self.ap_ids[ap]] + persons > self.ap_cap[ap]:
                continue
            t = float(self.sim.router.time_s(mode, (self.ap_node(ap, mode),))[node])
            if t < best_t:
                best, best_t = ap, t
        return best

    def move_expected(self, g: int, old: int, new: int) -> None:
        """Group ``g`` now heads for ``new`` instead of ``old`` (either may be -1)."""
        self.sim.g_ap[g] = new
        if self.waits(g):
            persons = int(self.sim.g_persons[g])
            if old >= 0:
                self.expected[old] -= persons
            if new >= 0:
                self.expected[new] += persons
        self.notify()

    def reach_assembly(self, g: int, ap: int, node: int) -> None:
        """Group ``g`` arrives at assembly point ``ap`` (its network node ``node``)."""
        sim, apid = self.sim, self.ap_ids[ap]
        persons = int(sim.g_persons[g])
        self.arrivals[apid] += persons
        if not self.waits(g):
            sim.t_assembly[g] = self.env.now
            self._drive_on(g, ap)
            return
        if self.occ[apid] + persons > self.ap_cap[ap] and self._overflow(g, ap, node):
            return
        sim.t_assembly[g] = self.env.now
        self._wait(ap, g)
        self.expected[ap] -= persons
        self._change(apid, persons)
        sim.settle(g, "at_assembly", node)
        self.notify()

    def _overflow(self, g: int, ap: int, node: int) -> bool:
        """A full point sends ``g`` on to the nearest reachable point with room; ``False`` when
        there is none (it then waits here, over capacity)."""
        sim, apid = self.sim, self.ap_ids[ap]
        persons, mode = int(sim.g_persons[g]), str(sim.g_mode[g])
        tried = self.tried.setdefault(g, set())
        tried.add(ap)
        new = self.nearest_ap(mode, node, persons=persons, exclude=tried)
        if new < 0:
            self.over_capacity[apid] += persons
            sim.log_event("over_capacity", sim.g_id[g], apid, "no reachable point has room")
            return False
        self.refused[apid] += persons
        self.redirected[apid] += persons
        sim.log_event("overflow", sim.g_id[g], apid, f"full; sent on to {self.ap_ids[new]}")
        self.move_expected(g, ap, new)
        dest = self.ap_node(new, mode)
        table = sim.router.table(mode, (dest,))
        sim.add_agent(STAGE1, g, node, table, size=1 if mode == "car" else persons)
        return True

    def leave_assembly(self, g: int, ap: int) -> None:
        """Group ``g``, at assembly point ``ap``, leaves it without a bus (incapacitated)."""
        persons = int(self.sim.g_persons[g])
        if g in self.waiting[ap]:
            self.waiting[ap].remove(g)
            self._unwait(ap, (g,))
        self._change(self.ap_ids[ap], -persons)
        self.notify()

    # ------------------------------------------------------------------- cars
    def _drive_on(self, g: int, ap: int) -> None:
        """A car household books a shelter place and drives on; it stays at the point when no
        shelter with room can be reached (cut off, or every shelter full)."""
        sim = self.sim
        node = int(self.ap_car[ap])
        legs = self.book(ap, [g], node)
        if not legs:
            self._wait(ap, g)
            self._change(self.ap_ids[ap], int(sim.g_persons[g]))
            sim.settle(g, "at_assembly", node, self.outlook(ap))
            self.check_cut_off()
            return
        s = legs[0][0]
        self.car_booking[g] = s
        sim.add_agent(CAR_ON, g, node, sim.router.table("car", (int(self.s_car[s]),)))

    def reach_shelter_by_car(self, g: int) -> None:
        """A car of group ``g`` reaches the shelter it booked."""
        s = self.car_booking.pop(g)
        self.admit(g, s)
        self.sim.active -= 1

    def car_lost(self, g: int) -> None:
        """A car of group ``g`` was stranded on the way: its booking is released."""
        s = self.car_booking.pop(g, -1)
        if s >= 0:
            self.cancel(s, [g])

    def admit(self, g: int, s: int) -> None:
        """Shelter ``s`` takes group ``g``, which booked its place (a group incapacitated on
        the way is not admitted; its place is given back)."""
        sim, sid = self.sim, self.s_ids[s]
        if sim.state[g] == "incapacitated":
            self.cancel(s, [g])
            return
        persons = int(sim.g_persons[g])
        self.arrivals[sid] += persons
        self.booked[s] -= persons
        self._change(sid, persons)
        sim.state[g], sim.t_shelter[g], sim.g_shelter[g] = "sheltered", self.env.now, sid
        self.notify()  # an idle bus may learn that nothing is left for it

    def expected_gone(self, g: int, ap: int) -> None:
        """A group expected at ``ap`` will not come (stranded or incapacitated on the way);
        once only: an incapacitated group is already gone."""
        if self.sim.state[g] == "incapacitated":
            return
        if ap >= 0 and self.waits(g) and np.isnan(self.sim.t_assembly[g]):
            self.expected[ap] -= int(self.sim.g_persons[g])
            self.notify()

    # ------------------------------------------------------------------- buses
    def pick_ap(self, node: int) -> int:
        """The assembly point a free bus at ``node`` should serve (-1: none needs one now).

        Only staffed points with people waiting that no bus has claimed yet, that the bus can
        reach and from which a shelter with free room can be reached; the one with the most such
        people first.
        """
        most = self._most_room(potential=False)  # mostly none: every place booked
        if most < self.sim.least_persons:
            return -1  # no shelter has room for anyone (outlook: full)
        now = self.env.now
        free_waiting = [
            w - c if t <= now else 0  # an unstaffed point (NaN, inf: not yet) dispatches no bus
            for w, c, t in zip(self.waiting_persons, self.claimed, self.staffed_at, strict=True)
        ]
        for ap in sorted(range(len(free_waiting)), key=lambda k: -free_waiting[k]):  # stable
            if free_waiting[ap] <= 0:
                break
            if self.smallest(ap) > most:
                continue  # no shelter has room for anyone waiting there (outlook: full)
            to_ap = self._car_time_s(node, int(self.ap_car[ap]))
            if to_ap < np.inf and self.outlook(ap, need=self.smallest(ap)) == "ok":
                return ap
        return -1

    def may_need_bus(self, node: int) -> bool:
        """Whether a bus at ``node`` may still be needed: a point it can reach has people
        waiting or expected, will be staffed, and is not cut off from shelters with room.
        Roads only close and shelters only fill, so ``False`` stays ``False``."""
        most = self._most_room(potential=True)
        for ap in range(len(self.ap_ids)):
            if self.waiting_persons[ap] <= 0 and self.expected[ap] <= 0:
                continue
            if math.isnan(self.staffed_at[ap]):
                continue
            if not self._car_time_s(node, int(self.ap_car[ap])) < np.inf:
                continue
            need = 1 if self.expected[ap] > 0 else self.smallest(ap)  # anyone may still come
            if need <= most and self.outlook(ap, need=need, potential=True) == "ok":
                return True
        return False

    def board(self, ap: int, capacity: int, node: int) -> list[Leg]:
        """Board whole households first-in first-out while they fit in the bus (the first one
        always boards) and get a shelter place (one that fits nowhere keeps waiting); returns
        the legs to drive."""
        waiting = self.waiting[ap]
        legs = self.book(ap, waiting, node, seats=capacity)  # reads the queue's head only
        taken = {g for _, groups in legs for g in groups}
        skipped, left = [], len(taken)
        while left:  # take them out of the head of the queue; the skipped stay in order
            g = waiting.popleft()
            if g in taken:
                left -= 1
            else:
                skipped.append(g)
        waiting.extendleft(reversed(skipped))
        self._unwait(ap, taken)
        for g in taken:
            self.sim.state[g] = "en_route"
        load = int(self.sim.g_persons[list(taken)].sum()) if taken else 0
        if load:
            self._change(self.ap_ids[ap], -load)
        return legs

    # ------------------------------------------------------------------ tables
    def end_reason(self, ap: int, persons: int, *, horizon: bool) -> str:
        """Why a household of ``persons`` is still at ``ap`` at the end (a key of
        :data:`AP_END_REASONS`)."""
        outlook = self.outlook(ap, need=persons, potential=True)
        if outlook != "ok":
            return outlook
        if np.isnan(self.staffed_at[ap]):
            return "unstaffed"
        return "waiting_for_bus" if horizon and self.buses_running else "no_bus"

    def table(self) -> pd.DataFrame:
        """Per facility: kind, capacity, arrivals, peak, refused, redirected, final occupancy,
        persons admitted over capacity, and since when an assembly point is cut off."""
        rows = []
        for kind, ids in (("assembly", self.ap_ids), ("shelter", self.s_ids)):
            for k, fid in enumerate(ids):
                cut = float(self.cut_off_s[k]) if kind == "assembly" else np.nan
                rows.append(
                    (fid, kind, self.names.get(fid, fid), self.capacity(kind, k),
                     self.arrivals[fid], self.peak[fid], self.refused[fid], self.redirected[fid],
                     self.occ[fid], self.over_capacity[fid], cut)
                )  # fmt: skip
        cols = ["id", "kind", "name", "capacity_persons", "arrivals", "peak", "refused"]
        return pd.DataFrame(
            rows, columns=[*cols, "redirected", "final", "over_capacity", "cut_off_s"]
        )

    def capacity(self, kind: str, k: int) -> int:
        """Capacity of the ``k``-th assembly point or shelter, persons."""
        return int(self.ap_cap[k] if kind == "assembly" else self.s_cap[k])

    def occupancy_table(self) -> pd.DataFrame:
        """Occupancy after every change: facility_id, t_s, persons."""
        return pd.DataFrame(self.occupancy_log, columns=["facility_id", "t_s", "persons"])

    def trips_table(self) -> pd.DataFrame:
        """One row per bus leg with passengers: ``from`` (assembly point, or the shelter of
        the previous leg), ``to``, ``persons`` on board, times."""
        cols = ["bus", "from", "to", "persons", "t_depart_s", "t_arrive_s"]
        return pd.DataFrame(self.trips, columns=cols)


def _names(layer: gpd.GeoDataFrame) -> dict[str, str]:
    return dict(zip(layer["id"].astype(str), layer["name"].astype(str), strict=True))
