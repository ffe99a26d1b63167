"""The evacuation simulation: SimPy agents through congested roads, in two stages.

Stage 1: each evacuee group (a car household, a walking household, a person who needs help)
leaves its grid at its departure time and travels through the link-queue traffic engine
(:mod:`evacsim.traffic`) to its assembly point. Stage 2: buses shuttle the people waiting at
assembly points to shelters; car owners drive on to a shelter. Shelters have hard capacities:
when one is full, arrivals are redirected to the next shelter with room.

SimPy is the only clock. The behaviour runs as SimPy processes — one per grid (its households
leaving as the warning reaches them), one per bus, one for the hazard timeline — while the hot
path (vehicles through link queues) is the engine's event callbacks (DESIGN.md, "Performance").
Every person is accounted for at the end (:meth:`evacsim.results.Results.check_accounting`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import simpy

from evacsim.demand import Demand, build_demand, grid_threat_levels, origin_candidates
from evacsim.exposure_paths import path_exposure
from evacsim.hazard import LEVELS
from evacsim.plan import Assignment, assign_assembly, shelter_preferences
from evacsim.results import Results
from evacsim.routing_state import MODES, Router, build_link_sets, edge_level_times
from evacsim.supplies import Supplies
from evacsim.teams import Teams
from evacsim.traffic import TrafficEngine
from evacsim.transport import Facilities, bus_process, pick_depots

if TYPE_CHECKING:
    from evacsim.pipeline import Prepared

__all__ = ["simulate"]

log = logging.getLogger(__name__)

# Agent kinds in the engine (groups' own agents: STAGE1, CAR_ON; vehicles: the rest).
STAGE1, CAR_ON, BUS, TEAM, SUPPLY = 0, 1, 2, 3, 4


@dataclass(frozen=True, eq=False)
class Plan:
    """Demand and assignment of a run (inputs of the simulation proper)."""

    demand: Demand
    assignment: Assignment
    group_ap: np.ndarray  # assembly point index of each group (-1: none reachable)
    ap_levels: np.ndarray
    shelter_prefs: dict[str, list[str]]
    warnings: tuple[str, ...]


def outside_zone(prepared: Prepared, layer: str) -> tuple[np.ndarray, list[str]]:
    """Which facilities of a layer lie outside the evacuation zone, and a warning for each other.

    A facility inside the zone is not used: people are never sent into the area being evacuated.
    """
    zone = prepared.zones.evacuation_zone()
    gdf = getattr(prepared.area, layer)
    if zone is None or zone.is_empty:
        return np.ones(len(gdf), dtype=bool), []
    inside = np.asarray(gdf.geometry.intersects(zone), dtype=bool)
    warnings = [
        f"layer '{layer}', feature '{fid}': inside the evacuation zone, not used"
        for fid in gdf["id"].astype(str).to_numpy()[inside]
    ]
    return ~inside, warnings


def _groups_to_aps(demand: Demand, assignment: Assignment) -> np.ndarray:
    """Give each group an assembly point, filling each grid's (ap, persons) quotas in order."""
    ap_index = {ap: i for i, ap in enumerate(assignment.ap_ids)}
    out = np.full(len(demand.groups), -1, dtype=np.int64)
    g = demand.groups
    persons = g["persons"].to_numpy(np.int64)
    for grid_id, rows in g.groupby("grid_id", sort=True).indices.items():
        quotas = [(ap_index[ap], n) for ap, n in assignment.by_grid.get(str(grid_id), [])]
        k, used = 0, 0
        for row in rows:
            while k < len(quotas) and used >= quotas[k][1]:
                k, used = k + 1, 0
            if k == len(quotas):
                break
            out[row] = quotas[k][0]
            used += int(persons[row])
    return out


def make_plan(prepared: Prepared, rng: np.random.Generator) -> Plan:
    """Demand (who leaves when) and stage-1/stage-2 assignment for a prepared scenario."""
    sc, area, net, snap = prepared.scenario, prepared.area, prepared.network, prepared.snapped
    zones = prepared.zones
    levels = grid_threat_levels(area.grids, zones.final())
    demand = build_demand(
        area.grids, zones.evacuation_zone(), grid_levels=levels, population=sc.population,
        departure=sc.departure, evacuation=sc.evacuation,
        origin_nodes=origin_candidates(net, area.grids), rng=rng,
    )  # fmt: skip
    demand.groups["departure_s"] += sc.departure.stage_offsets_s(demand.groups["level"].to_numpy())
    per_grid = demand.per_grid.set_index("grid_id")
    grid_ids = area.grids["id"].astype(str).to_numpy()
    persons = per_grid.reindex(grid_ids)["persons_evacuating"].fillna(0).to_numpy(np.int64)
    from evacsim.routing import travel_time_matrix, walk_weights

    ap_usable, ap_warnings = outside_zone(prepared, "assembly_points")
    shelter_usable, shelter_warnings = outside_zone(prepared, "shelters")
    weight_s, usable = walk_weights(net, speed_mps=sc.evacuation.walk_speed_m_s)
    tt = travel_time_matrix(
        net, snap.grids.walk_node, snap.assembly_points.walk_node, weight_s=weight_s, usable=usable
    )
    assignment = assign_assembly(
        sc.evacuation.assignment, grid_ids=list(grid_ids),
        planned_ap=area.grids["assembly_point"].astype(str).tolist(), persons=persons,
        ap_ids=area.assembly_points["id"].astype(str).tolist(),
        ap_capacity_persons=area.assembly_points["capacity_persons"].to_numpy(),
        travel_time_s=tt, ap_usable=ap_usable,
    )  # fmt: skip
    ap_levels = grid_threat_levels(area.assembly_points.buffer(1.0), zones.final())
    from evacsim.routing import car_weights

    cw, cu = car_weights(net)
    st = travel_time_matrix(
        net, snap.assembly_points.car_node, snap.shelters.car_node, weight_s=cw, usable=cu
    )
    prefs = shelter_preferences(
        area.assembly_points["id"].astype(str).tolist(), area.shelters["id"].astype(str).tolist(),
        st, shelter_usable,
    )  # fmt: skip
    return Plan(
        demand=demand,
        assignment=assignment,
        group_ap=_groups_to_aps(demand, assignment),
        ap_levels=np.asarray(ap_levels, dtype=np.int64),
        shelter_prefs=prefs,
        warnings=(*ap_warnings, *shelter_warnings, *assignment.warnings),
    )


class Simulation:
    """One run's state: the engine, the router, the facilities and every group's record."""

    def __init__(self, prepared: Prepared, plan: Plan) -> None:
        sc, net = prepared.scenario, prepared.network
        self.prepared, self.plan = prepared, plan
        self.env = simpy.Environment()
        self.links = build_link_sets(net, sc.evacuation)
        self.engine = TrafficEngine(
            self.env, self.links.spec, record_paths=True,
            gridlock_timeout_s=sc.simulation.gridlock_timeout_s,
            on_arrival=self._on_arrival, on_stranded=self._on_stranded,
        )  # fmt: skip
        closed = np.isin(net.edge_road_id, list(sc.simulation.closed_roads))
        self.level_times_s = edge_level_times(prepared.zones, net)
        self.router = Router(
            net, self.links, self.level_times_s, closed,
            register=self.engine.add_route_table,
            replace=lambda tid, nxt: self.engine.set_route_table(tid, nxt),
            evacuate_index=LEVELS.index(prepared.zones.evacuate),
        )  # fmt: skip
        self.events: list[tuple[float, str, str, str, str]] = []
        self._init_groups(plan.demand.groups)
        self.facilities = Facilities(self, prepared.area, prepared.snapped, plan.shelter_prefs)
        self.teams = Teams(self)
        self.supplies = Supplies(self)
        self.agent_kind: list[int] = []
        self.agent_ref: list[int] = []
        self.active = 0  # groups and cars still moving or yet to leave
        self.done = self.env.event()

    def _init_groups(self, groups: pd.DataFrame) -> None:
        n = len(groups)
        self.g_persons = groups["persons"].to_numpy(np.int64)
        self.g_mode = groups["mode"].astype(str).to_numpy()
        self.g_level = groups["level"].to_numpy(np.int64)
        self.g_id = groups["group_id"].astype(str).to_numpy()
        self.g_departure_s = groups["departure_s"].to_numpy(float)
        self.g_origin = groups["origin_node"].to_numpy(np.int64)
        self.t_assembly = np.full(n, np.nan)
        self.t_shelter = np.full(n, np.nan)
        self.g_shelter = np.full(n, "", dtype=object)
        self.state = np.full(n, "not_evacuated", dtype=object)
        self.reason = np.full(n, "", dtype=object)
        self.node = np.full(n, -1, dtype=np.int64)
        self.g_agents: list[list[int]] = [[] for _ in range(n)]

    # ------------------------------------------------------------------ logging
    def log_event(self, kind: str, who: str, where: str, detail: str = "") -> None:
        """Append to the event log at the current time."""
        self.events.append((float(self.env.now), kind, who, where, detail))

    # ------------------------------------------------------------------ agents
    def add_agent(self, kind: int, ref: int, origin: int, table: int, *, size: int = 1) -> int:
        """Put an agent on the network now; remember what it stands for."""
        agent = self.engine.add_agent(origin, self.env.now, table_id=table, size=size)
        self.agent_kind.append(kind)
        self.agent_ref.append(ref)
        if kind in (STAGE1, CAR_ON):
            self.g_agents[ref].append(agent)
        return agent

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

    def strand(self, g: int, node: int, reason: str, *, moving: bool = True) -> None:
        """Mark group ``g`` stranded at ``node`` for ``reason`` (``moving``: it was active)."""
        self.state[g], self.node[g], self.reason[g] = "stranded", node, reason
        self.active -= int(moving)
        self.log_event("stranded", self.g_id[g], str(node), reason)

    def settle_check(self) -> None:
        """Succeed ``done`` once nobody moves or waits for a ride that can still come."""
        if self.active == 0 and self.facilities.idle() and not self.done.triggered:
            self.done.succeed()

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
        depots = pick_depots(self, sc.transport)
        for k, node in enumerate(depots):
            self.env.process(bus_process(self, k, node))
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
        groups = pd.DataFrame(
            {
                "group_id": demand["group_id"].to_numpy(),
                "grid_id": demand["grid_id"].to_numpy(),
                "mode": self.g_mode,
                "persons": self.g_persons,
                "level": self.g_level,
                "departure_s": demand["departure_s"].to_numpy(float),
                "assembly_point": [ap_ids[i] if i >= 0 else "" for i in self.plan.group_ap],
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
        From :func:`evacsim.pipeline.prepare`.
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
