"""The evacuation simulation: SimPy agents through congested roads, in two stages.

Stage 1: each evacuee group (a car household, a walking household, a person who needs help)
leaves its grid at its departure time and travels through the link-queue traffic engine
(:mod:`evacsim.sim.engine`) to its assembly point. Stage 2: buses shuttle the people waiting at
assembly points to shelters; car owners drive on to a shelter. Shelters have hard capacities:
when one is full, arrivals are redirected to the next shelter with room.

SimPy is the only clock. The behaviour runs as SimPy processes — one per grid (its households
leaving as the warning reaches them), one per bus, one for the hazard timeline — while the hot
path (vehicles through link queues) is the engine's event callbacks (DESIGN.md, "Performance").
Every person is accounted for at the end (:meth:`evacsim.sim.results.Results.check_accounting`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import simpy

from evacsim.plan.make import Plan, make_plan
from evacsim.sim.buses import bus_process, pick_depots
from evacsim.sim.exposure import path_exposure
from evacsim.sim.facilities import Facilities
from evacsim.sim.results import Results
from evacsim.sim.router import MODES
from evacsim.sim.state import CAR_ON, STAGE1, SimState
from evacsim.sim.supplies import Supplies
from evacsim.sim.teams import Teams

if TYPE_CHECKING:
    from evacsim.scenario.prepare import Prepared

__all__ = ["simulate"]


class Simulation(SimState):
    """One run: the shared state plus facilities, buses, teams and supplies acting on it."""

    def __init__(self, prepared: Prepared, plan: Plan) -> None:
        super().__init__(prepared, plan)
        self.facilities = Facilities(self, prepared.area, prepared.snapped, plan.shelter_prefs)
        self.teams = Teams(self, self.facilities)
        self.supplies = Supplies(self, self.facilities)

    def idle(self) -> bool:
        """No bus is still running."""
        return self.facilities.idle()

    def _on_arrival(self, agent: int, node: int, t: float) -> None:
        kind, g = self.agent_kind[agent], self.agent_ref[agent]
        if kind == STAGE1:
            self.t_assembly[g] = t
            self.facilities.reach_assembly(g, int(self.plan.group_ap[g]))
        elif kind == CAR_ON:
            self.facilities.reach_shelter_by_car(g, node)
        self.settle_check()

    def _on_stranded(self, agent: int, node: int, t: float, reason: str) -> None:
        kind, g = self.agent_kind[agent], self.agent_ref[agent]
        if kind not in (STAGE1, CAR_ON):
            return  # the vehicle's process sees its outcome and strands its passengers
        self.strand(g, node, reason)
        if kind == STAGE1:
            self.facilities.expected_gone(g, int(self.plan.group_ap[g]))
        self.settle_check()

    # --------------------------------------------------------------- processes
    def grid_process(self, rows: np.ndarray) -> simpy.events.ProcessGenerator:
        """A grid's households leave in departure order as the warning reaches them."""
        order = rows[np.argsort(self.g_departure_s[rows], kind="stable")]
        for g in order:
            t = float(self.g_departure_s[g])
            if t > self.env.now:
                yield self.env.timeout(t - self.env.now)
            self._depart(int(g))

    def _depart(self, g: int) -> None:
        ap = int(self.plan.group_ap[g])
        origin = int(self.g_origin[g])
        if ap < 0:
            self.strand(g, origin, "no assembly point reachable")
            return
        mode = self.g_mode[g]
        if mode == "assisted" and self.teams.door_to_door:
            self.teams.request_pickup(g)  # waits at home for a team vehicle
            return
        dest = self.facilities.ap_node(ap, mode)
        table = self.router.table(mode, int(self.g_level[g]), (dest,))
        size = 1 if mode == "car" else int(self.g_persons[g])
        self.state[g] = "en_route"
        self.add_agent(STAGE1, g, origin, table, size=size)

    def hazard_process(self) -> simpy.events.ProcessGenerator:
        """Apply the hazard's timeline: rebuild route tables as it reaches new roads."""
        for t in self.router.change_times_s():
            yield self.env.timeout(float(t) - self.env.now)
            if self.router.update(float(t)):
                self.log_event(
                    "hazard", self.prepared.zones.model, "", "zones grew; tables rebuilt"
                )

    # --------------------------------------------------------------------- run
    def run(self) -> Results:
        """Run to completion, the horizon or gridlock; return the results."""
        sc = self.prepared.scenario
        groups = self.plan.demand.groups
        self.active = len(groups)
        for _grid, rows in sorted(groups.groupby("grid_id").indices.items()):
            self.env.process(self.grid_process(np.asarray(rows)))
        self.env.process(self.hazard_process())
        depots = pick_depots(self, self.facilities, sc.transport)
        for k, node in enumerate(depots):
            self.env.process(bus_process(self, self.facilities, k, node))
        self.teams.start()
        self.supplies.start()
        self.settle_check()
        horizon = self.env.timeout(sc.simulation.end_s)
        self.env.run(until=simpy.AnyOf(self.env, [self.done, horizon]))
        ended_by = "done" if self.done.triggered else "horizon"
        if (self.reason == "gridlock").any():
            ended_by = "gridlock"
        return self._results(ended_by)

    def _results(self, ended_by: str) -> Results:
        demand = self.plan.demand.groups
        ap_ids = list(self.plan.assignment.ap_ids)
        # Ids as object arrays even when empty (a hazard that reaches nobody): an empty float
        # column would not join with the other tables' string ids.
        groups = pd.DataFrame(
            {
                "group_id": demand["group_id"].to_numpy(dtype=object),
                "grid_id": demand["grid_id"].to_numpy(dtype=object),
                "mode": self.g_mode,
                "persons": self.g_persons,
                "level": self.g_level,
                "departure_s": demand["departure_s"].to_numpy(float),
                "assembly_point": np.array(
                    [ap_ids[i] if i >= 0 else "" for i in self.plan.group_ap], dtype=object
                ),
                "t_assembly_s": self.t_assembly,
                "shelter": self.g_shelter.astype(str),
                "t_shelter_s": self.t_shelter,
                "persons_sheltered": np.where(self.state == "sheltered", self.g_persons, 0),
                "state": self.state.astype(str),
                "stranded_reason": self.reason.astype(str),
                "stranded_node": self.node,
            }
        )
        paths = self._paths(demand["group_id"].to_numpy())
        exposure = path_exposure(self, groups, paths)
        groups = pd.concat([groups, exposure], axis=1)
        results = Results(
            groups=groups,
            links=self._link_table(),
            facilities=self.facilities.table(),
            occupancy=self.facilities.occupancy_table(),
            events=pd.DataFrame(self.events, columns=["t_s", "kind", "who", "where", "detail"]),
            vehicles=self.facilities.trips_table(),
            paths=paths,
            end_s=float(self.env.now),
            ended_by=ended_by,
        )
        results.check_accounting()
        return results

    def _paths(self, group_ids: np.ndarray) -> pd.DataFrame:
        rows: list[tuple[str, int, int, float, float]] = []
        le, lm = self.links.link_edge, self.links.link_mode
        for g, agents in enumerate(self.g_agents):
            for agent in agents:
                for link, t_in, t_out in self.engine.path(agent):
                    rows.append((group_ids[g], int(le[link]), int(lm[link]), t_in, t_out))
        df = pd.DataFrame(rows, columns=["group_id", "edge", "mode", "t_enter_s", "t_exit_s"])
        df["mode"] = np.asarray(MODES, dtype=object)[df["mode"].to_numpy(int)]
        return df

    def bus_paths(self) -> pd.DataFrame:
        """Edges of every bus trip that left an assembly point for a shelter, as driven:
        ``trip`` (row of ``Results.vehicles``), ``from``, ``to``, ``edge``, ``t_enter_s``,
        ``t_exit_s``."""
        fac, le = self.facilities, self.links.link_edge
        rows = [
            (i, fac.trips[i][1], fac.trips[i][2], int(le[link]), t_in, t_out)
            for i, agent in enumerate(fac.trip_agents)
            if agent >= 0
            for link, t_in, t_out in self.engine.path(agent)
        ]
        return pd.DataFrame(rows, columns=["trip", "from", "to", "edge", "t_enter_s", "t_exit_s"])

    def _link_table(self) -> pd.DataFrame:
        res = self.engine.results()
        used = np.flatnonzero(res.volume > 0)
        net = self.prepared.network
        edges = self.links.link_edge[used]
        return pd.DataFrame(
            {
                "edge": edges,
                "mode": np.asarray(MODES, dtype=object)[self.links.link_mode[used]],
                "road_id": net.edge_road_id[edges].astype(str),
                "name": net.edge_name[edges].astype(str),
                "volume": res.volume[used],
                "max_queue": res.max_queue[used],
                "congested_s": res.congested_s[used],
            }
        )


def simulate(prepared: Prepared, *, rng: np.random.Generator) -> Results:
    """Simulate a prepared scenario with the run's random generator.

    Parameters
    ----------
    prepared
        From :func:`evacsim.scenario.prepare.prepare`.
    rng
        The run's only random generator (seeded from the scenario).
    """
    plan = make_plan(prepared, rng)
    sim = Simulation(prepared, plan)
    results = sim.run()
    results.extra["plan_warnings"] = [*plan.warnings, *sim.teams.warnings, *sim.supplies.warnings]
    results.extra.update(sim.teams.tables())
    results.extra.update(sim.supplies.tables())
    results.extra["per_grid"] = plan.demand.per_grid
    results.extra["bus_paths"] = sim.bus_paths()
    return results
