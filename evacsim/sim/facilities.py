"""Stage 2: assembly points, shelters, buses and cars driving on.

People arriving on foot wait at their assembly point; buses (SimPy processes) go to the point
with the most people waiting or still expected, wait for a full load or ``load_timeout_s``, take
whole households first-in first-out, drive to the nearest shelter with room, unload and go back.
Cars that reach an assembly point are counted there and, when ``cars_continue``, drive on to the
nearest shelter with room. Shelters never take more than ``capacity_persons``: a full shelter
refuses the next arrivals, which are redirected to the next shelter (nearest from their assembly
point first) that has room; when none has room they are stranded at the door. Buses and cars
only head for places they have an open road to under the hazard rules: an assembly point the
hazard cuts off from every shelter with room keeps its people (``at_assembly``, logged as
``cut_off``) and gets no bus until a road opens.
"""

from __future__ import annotations

from collections import deque

import geopandas as gpd
import numpy as np
import pandas as pd

from evacsim.area.layers import Area
from evacsim.network.snap import SnappedArea
from evacsim.sim.state import CAR_ON, SimState

__all__ = ["Facilities"]


class Facilities:
    """Assembly points and shelters of one run: queues, occupancy and counts."""

    def __init__(
        self, sim: SimState, area: Area, snapped: SnappedArea, prefs: dict[str, list[str]]
    ) -> None:
        self.sim = sim
        self.env = sim.env
        self.spec = sim.prepared.scenario.transport
        self.ap_ids = area.assembly_points["id"].astype(str).tolist()
        self.s_ids = area.shelters["id"].astype(str).tolist()
        self.names = _names(area.assembly_points) | _names(area.shelters)
        self.ap_walk = snapped.assembly_points.walk_node.astype(np.int64)
        self.ap_car = snapped.assembly_points.car_node.astype(np.int64)
        self.s_car = snapped.shelters.car_node.astype(np.int64)
        self.capacity = dict(
            zip(
                self.ap_ids + self.s_ids,
                np.concatenate(
                    [
                        area.assembly_points["capacity_persons"].to_numpy(np.int64),
                        area.shelters["capacity_persons"].to_numpy(np.int64),
                    ]
                ).tolist(),
                strict=True,
            )
        )
        self.s_index = {s: i for i, s in enumerate(self.s_ids)}
        self.prefs = {ap: [self.s_index[s] for s in prefs.get(ap, [])] for ap in self.ap_ids}
        keys = self.ap_ids + self.s_ids
        self.occ = dict.fromkeys(keys, 0)
        self.arrivals = dict.fromkeys(keys, 0)
        self.peak = dict.fromkeys(keys, 0)
        self.refused = dict.fromkeys(keys, 0)
        self.redirected = dict.fromkeys(keys, 0)
        self.occupancy_log: list[tuple[str, float, int]] = []
        self.waiting: list[deque[int]] = [deque() for _ in self.ap_ids]
        self.waiting_persons = np.zeros(len(self.ap_ids), dtype=np.int64)
        self.expected = self._expected()
        self.claimed = np.zeros(len(self.ap_ids), dtype=np.int64)
        self.car_target: dict[int, int] = {}
        self.trips: list[tuple[int, str, str, int, float, float]] = []
        self.trip_agents: list[int] = []  # engine agent of each trip that left the assembly point
        self.buses_running = 0
        # when each assembly point got its staff (0: from the start; inf: staff on the way;
        # NaN: never): buses serve only staffed points (evacsim.sim.teams)
        self.staffed_at = np.zeros(len(self.ap_ids))
        self.signal = self.env.event()

    # ---------------------------------------------------------------- helpers
    def _waits(self, g: int) -> bool:
        return self.sim.g_mode[g] != "car" or not self.spec.cars_continue or not self.s_ids

    def _expected(self) -> np.ndarray:
        out = np.zeros(len(self.ap_ids), dtype=np.int64)
        for g, ap in enumerate(self.sim.plan.group_ap):
            if ap >= 0 and self._waits(g):
                out[ap] += self.sim.g_persons[g]
        return out

    def ap_node(self, ap: int, mode: str) -> int:
        """The network node of an assembly point for a travel mode."""
        return int(self.ap_car[ap] if mode == "car" else self.ap_walk[ap])

    def _change(self, fid: str, persons: int) -> None:
        self.occ[fid] += persons
        self.peak[fid] = max(self.peak[fid], self.occ[fid])
        self.occupancy_log.append((fid, float(self.env.now), self.occ[fid]))

    def _notify(self) -> None:
        signal, self.signal = self.signal, self.env.event()
        signal.succeed()

    def room(self, s: int) -> int:
        """Free places in shelter ``s``."""
        sid = self.s_ids[s]
        return self.capacity[sid] - self.occ[sid]

    def next_shelter(
        self,
        ap: int,
        *,
        need: int = 1,
        exclude: frozenset[int] = frozenset(),
        from_node: int | None = None,
    ) -> int:
        """Nearest shelter from the assembly point with room for ``need`` persons and an open
        road from ``from_node`` (default: the assembly point) under the hazard rules (-1: none)."""
        origin = int(self.ap_car[ap]) if from_node is None else int(from_node)
        level = int(self.sim.plan.ap_levels[ap])
        for s in self.prefs[self.ap_ids[ap]]:
            if s in exclude or self.room(s) < need:
                continue
            if self.sim.router.reachable("car", level, int(self.s_car[s]), origin):
                return s
        return -1

    def _any_room(self, ap: int) -> bool:
        return any(self.room(s) > 0 for s in self.prefs[self.ap_ids[ap]])

    def _cut_off(self, ap: int) -> bool:
        """Some shelter has room but none can be reached from the assembly point now."""
        return self.next_shelter(ap) < 0 and self._any_room(ap)

    def set_staffed(self, ap: int, t_s: float) -> None:
        """Assembly point ``ap`` is staffed from ``t_s`` (NaN: it never will be)."""
        self.staffed_at[ap] = t_s
        self._notify()

    def awaiting_staff(self) -> int:
        """Persons waiting at assembly points whose staff is still on the way."""
        return int(self.waiting_persons[np.isinf(self.staffed_at)].sum())

    def idle(self) -> bool:
        """No bus is still running."""
        return self.buses_running == 0

    # ---------------------------------------------------------------- arrivals
    def reach_assembly(self, g: int, ap: int) -> None:
        """Group ``g`` arrives at its assembly point."""
        sim, apid = self.sim, self.ap_ids[ap]
        persons = int(sim.g_persons[g])
        self.arrivals[apid] += persons
        if not self._waits(g):
            s = self.next_shelter(ap)
            if s < 0 and self._any_room(ap):
                self._stay(g, ap)  # the hazard cuts every road on: the car stays put
            else:
                self._drive_on(g, ap, s, self.ap_car[ap])
            return
        self.waiting[ap].append(g)
        self.waiting_persons[ap] += persons
        self.expected[ap] -= persons
        self._change(apid, persons)
        sim.state[g] = "at_assembly"
        sim.active -= 1
        self._notify()

    def _stay(self, g: int, ap: int) -> None:
        sim, apid = self.sim, self.ap_ids[ap]
        self._change(apid, int(sim.g_persons[g]))
        sim.state[g] = "at_assembly"
        sim.active -= 1
        sim.log_event("cut_off", sim.g_id[g], apid, "no open road to a shelter with room")

    def expected_gone(self, g: int, ap: int) -> None:
        """A group expected at ``ap`` will not come (stranded or incapacitated on the way);
        once only: an incapacitated group is already gone."""
        sim = self.sim
        if sim.state[g] == "incapacitated":
            return
        if ap >= 0 and self._waits(g) and np.isnan(sim.t_assembly[g]):
            self.expected[ap] -= int(self.sim.g_persons[g])
            self._notify()

    def leave_assembly(self, g: int, ap: int) -> None:
        """Group ``g``, at assembly point ``ap``, leaves it without a bus (incapacitated)."""
        persons = int(self.sim.g_persons[g])
        if g in self.waiting[ap]:
            self.waiting[ap].remove(g)
            self.waiting_persons[ap] -= persons
        self._change(self.ap_ids[ap], -persons)
        self._notify()

    def _drive_on(self, g: int, ap: int, s: int, from_node: int) -> None:
        sim = self.sim
        if s < 0:
            sim.strand(g, int(from_node), "no shelter with room")
            return
        self.car_target[g] = s
        table = sim.router.table("car", int(sim.plan.ap_levels[ap]), (int(self.s_car[s]),))
        sim.add_agent(CAR_ON, g, int(from_node), table)

    def reach_shelter_by_car(self, g: int, node: int) -> None:
        """A car of group ``g`` reaches the shelter it was driving to."""
        s = self.car_target[g]
        if not self.admit(g, s):
            ap = int(self.sim.plan.group_ap[g])
            need = int(self.sim.g_persons[g])
            self._drive_on(g, ap, self.next_shelter(ap, need=need, from_node=node), node)
            return
        self.sim.active -= 1

    def admit(self, g: int, s: int) -> bool:
        """Shelter ``s`` takes the whole group if it has room; else counts a refusal. A group
        incapacitated on the way is not admitted (``True``: nothing more to do for it)."""
        sim, sid = self.sim, self.s_ids[s]
        if sim.state[g] == "incapacitated":
            return True
        persons = int(sim.g_persons[g])
        self.arrivals[sid] += persons
        if self.room(s) < persons:
            self.refused[sid] += persons
            self.redirected[sid] += persons
            sim.log_event("refused", sim.g_id[g], sid, "full")
            return False
        self._change(sid, persons)
        sim.state[g], sim.t_shelter[g], sim.g_shelter[g] = "sheltered", self.env.now, sid
        return True

    # ------------------------------------------------------------------- buses
    def pick_ap(self, capacity: int, node: int) -> int:
        """The assembly point a free bus at ``node`` should serve (-1: none needs one now).

        Only staffed points with people waiting, that the bus can reach and that have an open
        road to a shelter with room; the one with the most people not yet claimed by a bus.
        """
        free_waiting = np.where(
            self.staffed_at <= self.env.now, self.waiting_persons - self.claimed, 0
        )  # an unstaffed point dispatches no bus
        router, levels = self.sim.router, self.sim.plan.ap_levels
        for ap in np.argsort(-free_waiting, kind="stable"):
            if free_waiting[ap] <= 0:
                break
            to_ap = router.reachable("car", int(levels[ap]), int(self.ap_car[ap]), node)
            if to_ap and not self._cut_off(int(ap)):
                return int(ap)
        return -1

    def board(self, ap: int, capacity: int) -> list[int]:
        """Whole households first-in first-out while they fit (the first one always boards)."""
        queue, load = self.waiting[ap], 0
        taken: list[int] = []
        while queue and (not taken or load + self.sim.g_persons[queue[0]] <= capacity):
            g = queue.popleft()
            load += int(self.sim.g_persons[g])
            taken.append(g)
            self.sim.state[g] = "en_route"
        self.waiting_persons[ap] -= load
        if load:
            self._change(self.ap_ids[ap], -load)
        return taken

    # ------------------------------------------------------------------ tables
    def table(self) -> pd.DataFrame:
        """Per facility: kind, capacity, arrivals, peak, refused, redirected, final occupancy."""
        rows = []
        for kind, ids in (("assembly", self.ap_ids), ("shelter", self.s_ids)):
            for fid in ids:
                rows.append(
                    (fid, kind, self.names.get(fid, fid), self.capacity[fid], self.arrivals[fid],
                     self.peak[fid], self.refused[fid], self.redirected[fid], self.occ[fid])
                )  # fmt: skip
        cols = ["id", "kind", "name", "capacity_persons", "arrivals", "peak", "refused"]
        return pd.DataFrame(rows, columns=[*cols, "redirected", "final"])

    def occupancy_table(self) -> pd.DataFrame:
        """Occupancy after every change: facility_id, t_s, persons."""
        return pd.DataFrame(self.occupancy_log, columns=["facility_id", "t_s", "persons"])

    def trips_table(self) -> pd.DataFrame:
        """One row per bus trip with passengers."""
        cols = ["bus", "from", "to", "persons", "t_depart_s", "t_arrive_s"]
        return pd.DataFrame(self.trips, columns=cols)


def _names(layer: gpd.GeoDataFrame) -> dict[str, str]:
    return dict(zip(layer["id"].astype(str), layer["name"].astype(str), strict=True))
