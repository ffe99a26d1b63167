"""The evacuation simulation: SimPy agents through congested roads, in two stages.

Stage 1: each evacuee group (a car household, a walking household, a person who needs help)
leaves its grid at its departure time and travels through the link-queue traffic engine
(:mod:`evacsim.sim.engine`) to its assembly point. When it leaves it checks that it can still
reach that point by the roads open then (its own mode, the hazard rule of
:mod:`evacsim.plan.reach`); if not, it heads for the nearest point it can reach (warned per grid).
Stage 2: buses shuttle the people waiting at assembly points to shelters and car owners drive on,
each with a shelter place booked at dispatch (:mod:`evacsim.sim.facilities`).

SimPy is the only clock. The behaviour runs as SimPy processes — one per grid (its households
leaving as the warning reaches them), one per bus — and the hazard's timeline as control events
that apply each change of the hazard rule before anything else moves at that instant; the hot
path (vehicles through link queues) is the engine's event callbacks (DESIGN.md, "Performance").

A run ends (:data:`ENDINGS`) when everyone is settled (``done``), at the horizon, or at gridlock.
Every person is accounted for at the end (:meth:`evacsim.sim.results.Results.check_accounting`),
with the reason for their final state (``end_reason``). Dose and FED accumulate as the run goes
(:mod:`evacsim.sim.harm`): a group whose FED reaches 1 is incapacitated where it is and goes no
further.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import chain
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import simpy
from simpy.events import EventPriority

from evacsim.plan.assembly import row_label
from evacsim.plan.make import Plan, make_plan
from evacsim.sim._engine_hot import schedule_at
from evacsim.sim.buses import bus_process, pick_depots
from evacsim.sim.exposure import crews_table, group_exposure, truncate_paths
from evacsim.sim.facilities import Facilities
from evacsim.sim.harm import Harm
from evacsim.sim.results import Results
from evacsim.sim.router import MODES
from evacsim.sim.state import CAR_ON, STAGE1, SimState
from evacsim.sim.supplies import Supplies
from evacsim.sim.teams import Teams
from evacsim.sim.warning import apply_warning, attach_warning

if TYPE_CHECKING:
    from evacsim.scenario.prepare import Prepared

__all__ = ["ENDINGS", "simulate"]

#: How a run ends (``Results.ended_by``).
ENDINGS = {
    "done": "nobody is left moving or waiting for a vehicle that can still come",
    "horizon": "time ran out (simulation.end_s) while someone could still move",
    "gridlock": "people waited on links and nothing moved for simulation.gridlock_timeout_s",
}

# Hazard changes apply before any departure or exit at the same instant (the engine's own timed
# controls use the same priority, ahead of SimPy's URGENT and NORMAL).
_CONTROL = EventPriority(-1)


class Simulation(SimState):
    """One run: the shared state plus facilities, buses, teams and supplies acting on it."""

    def __init__(self, prepared: Prepared, plan: Plan) -> None:
        super().__init__(prepared, plan)
        self.harm = Harm(self)
        self.facilities = Facilities(self, prepared.area, prepared.snapped, plan)
        self.teams = Teams(self, self.facilities)
        self.supplies = Supplies(self, self.facilities)
        self.warnings: list[str] = []
        # (grid, mode, planned point, point taken or -1) -> persons, for one warning each
        self.moved: dict[tuple[str, str, int, int], int] = defaultdict(int)

    def idle(self) -> bool:
        """No bus is still running."""
        return self.facilities.idle()

    def _on_board(self, agent: int, groups: list[int], origin: int) -> None:
        self.harm.board(agent, groups, origin)

    def incapacitate(self, g: int, node: int, t_s: float, *, moving: bool) -> None:
        """Also: nobody expects, waits for or collects the group any more."""
        ap, was = int(self.g_ap[g]), self.state[g]
        self.facilities.expected_gone(g, ap)
        if was == "at_assembly":
            self.facilities.leave_assembly(g, ap)
        self.teams.cancel_call(g)
        super().incapacitate(g, node, t_s, moving=moving)
        self.settle_check()

    def _on_arrival(self, agent: int, node: int, t: float) -> None:
        self.harm.leg_end(agent, node, t)
        kind, g = self.agent_kind[agent], self.agent_ref[agent]
        if kind in (STAGE1, CAR_ON) and self.state[g] == "incapacitated":
            return  # its FED reached 1 on the way: it never got here
        if kind == STAGE1:
            self.facilities.reach_assembly(g, int(self.g_ap[g]), node)
        elif kind == CAR_ON:
            self.facilities.reach_shelter_by_car(g)
        self.settle_check()

    def _on_stranded(self, agent: int, node: int, t: float, reason: str) -> None:
        self.harm.leg_end(agent, node, t)
        if reason == "gridlock" and not self.gridlock.triggered:
            self.gridlock.succeed()
        kind, g = self.agent_kind[agent], self.agent_ref[agent]
        if kind not in (STAGE1, CAR_ON) or self.state[g] == "incapacitated":
            return  # the vehicle's process sees its outcome and strands its passengers
        if kind == CAR_ON:
            self.facilities.car_lost(g)
        self.strand(g, node, reason)
        if kind == STAGE1:
            self.facilities.expected_gone(g, int(self.g_ap[g]))

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
        if self.state[g] == "incapacitated":
            return  # at home, before it could leave
        mode, origin = str(self.g_mode[g]), int(self.g_origin[g])
        if mode == "assisted" and self.teams.door_to_door:
            self.teams.request_pickup(g)  # waits at home for a team vehicle
            return
        ap = self._reachable_ap(g, mode, origin)
        if ap < 0:
            self.strand(g, origin, "no_assembly_point")
            return
        prefer = self._preferred(g, mode, ap) if self.plan.routes else ()
        table = self.router.table(mode, (self.facilities.ap_node(ap, mode),), prefer)
        self.state[g] = "en_route"
        self.add_agent(
            STAGE1, g, origin, table, size=1 if mode == "car" else int(self.g_persons[g])
        )

    def _preferred(self, g: int, mode: str, ap: int) -> tuple[int, ...]:
        """The optimized plan's preferred route for group ``g`` (its grid, mode and point)."""
        return self.plan.routes.get(
            (str(self.g_grid[g]), mode, self.plan.assignment.ap_ids[ap]), ()
        )

    def _reachable_ap(self, g: int, mode: str, origin: int) -> int:
        """The group's point if it can reach it now, else the nearest it can reach (-1: none)."""
        fac, ap = self.facilities, int(self.g_ap[g])
        if self.router.reachable(mode, fac.ap_node(ap, mode), origin):
            return ap
        new = fac.nearest_ap(mode, origin, exclude={ap})
        fac.move_expected(g, ap, new)
        self.moved[(str(self.g_grid[g]), mode, ap, new)] += int(self.g_persons[g])
        return new

    def _hazard_step(self, times: np.ndarray, k: int) -> None:
        """At the k-th change time, before anything else moves: apply the hazard rule."""
        ev = simpy.Event(self.env)
        ev._ok, ev._value = True, None  # a triggered event, put on the queue by schedule_at

        def apply(_ev: simpy.Event) -> None:
            if self.router.update(float(times[k])):
                self.log_event(
                    "hazard", self.prepared.zones.model, "", "zones grew; tables rebuilt"
                )
                self.facilities.check_cut_off()
                self.facilities.notify()
            if k + 1 < len(times):
                self._hazard_step(times, k + 1)

        ev.callbacks.append(apply)
        schedule_at(self.env, ev, _CONTROL, float(times[k]))

    # --------------------------------------------------------------------- run
    def run(self) -> Results:
        """Run until everyone is settled, the horizon or gridlock; return the results."""
        sc = self.prepared.scenario
        groups = self.plan.demand.groups
        self.active = len(groups)
        for g in np.flatnonzero(self.g_ap < 0).tolist():  # nowhere to go from the start
            self.strand(g, int(self.g_origin[g]), "no_assembly_point")
        leaving = np.flatnonzero(self.g_ap >= 0)
        for _grid, rows in sorted(groups.iloc[leaving].groupby("grid_id").indices.items()):
            self.env.process(self.grid_process(leaving[np.asarray(rows)]))
        times = self.router.change_times_s()
        if len(times):
            self._hazard_step(times, 0)
        depots, warnings = pick_depots(self, self.facilities, sc.transport)
        self.warnings += warnings
        for k, node in enumerate(depots):
            self.env.process(bus_process(self, self.facilities, k, node))
        self.teams.start()
        self.supplies.start()
        self.harm.start()
        self.settle_check()
        horizon = self.env.timeout(sc.simulation.end_s)
        self.engine.run(until=simpy.AnyOf(self.env, [self.done, self.gridlock, horizon]))
        if self.gridlock.processed:
            ended_by = "gridlock"
        elif self.done.triggered:
            ended_by = "done"
        else:
            ended_by = "horizon"
        self.harm.finish()
        self.facilities.check_cut_off()
        self.warnings += self._moved_warnings() + self._cut_off_warnings()
        return self._results(ended_by)

    def _moved_warnings(self) -> list[str]:
        ap_ids = self.facilities.ap_ids
        lines = []
        for (grid, mode, old, new), persons in sorted(self.moved.items()):
            to = f"sent to '{ap_ids[new]}'" if new >= 0 else "no other point either: stranded"
            lines.append(
                f"{row_label(grid, mode)}: assembly point '{ap_ids[old]}' could not be reached "
                f"when its households left (no open road then); {persons} persons {to}"
            )
        return lines

    def _cut_off_warnings(self) -> list[str]:
        fac = self.facilities
        lines = []
        for ap in np.flatnonzero(~np.isnan(fac.cut_off_s)).tolist():
            kept = int(self.g_persons[(self.state == "at_assembly") & (self.g_ap == ap)].sum())
            lines.append(
                f"assembly point '{fac.ap_ids[ap]}': cut off from every shelter with room "
                f"since t = {fac.cut_off_s[ap]:.0f} s (no open road); no bus is sent there; "
                f"{kept} persons kept there"
            )
        return lines

    def _end_reasons(self, ended_by: str) -> np.ndarray:
        """Why each group is in its final state (``stranded``: the engine's or our reason)."""
        out = self.reason.copy()
        horizon = ended_by == "horizon"
        fac = self.facilities
        called = self.teams.called
        for g, state in enumerate(self.state):
            if state == "sheltered":
                out[g] = ""
            elif state == "at_assembly":
                out[g] = fac.end_reason(int(self.g_ap[g]), int(self.g_persons[g]), horizon=horizon)
            elif state == "en_route":
                out[g] = "on_the_way"
            elif state == "not_evacuated":
                out[g] = "waiting_for_team" if g in called else "not_departed"
        return out

    def _results(self, ended_by: str) -> Results:
        demand = self.plan.demand.groups
        ap_ids = list(self.plan.assignment.ap_ids)
        # Ids as object arrays even when empty (a hazard that reaches nobody): an empty float
        # column would not join with the other tables' string ids.
        stranded = self.state == "stranded"
        groups = pd.DataFrame(
            {
                "group_id": demand["group_id"].to_numpy(dtype=object),
                "grid_id": demand["grid_id"].to_numpy(dtype=object),
                "mode": self.g_mode,
                "persons": self.g_persons,
                "level": self.g_level,
                "departure_s": demand["departure_s"].to_numpy(float),
                "assembly_point": np.array(
                    [ap_ids[i] if i >= 0 else "" for i in self.g_ap], dtype=object
                ),
                "t_assembly_s": self.t_assembly,
                "shelter": self.g_shelter.astype(str),
                "t_shelter_s": self.t_shelter,
                "persons_sheltered": np.where(self.state == "sheltered", self.g_persons, 0),
                "state": self.state.astype(str),
                "stranded_reason": np.where(stranded, self.reason, "").astype(str),
                "stranded_node": np.where(stranded, self.node, -1),
                "end_reason": self._end_reasons(ended_by).astype(str),
            }
        )
        with self.paths_kept():  # exposure and the paths table read the same records
            groups = pd.concat([groups, group_exposure(self, self.harm)], axis=1)
            paths = truncate_paths(self._paths(demand["group_id"].to_numpy()), groups)
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
        """Every link each group's agents entered, in group, agent and travel order, gathered
        from the engine's records into flat arrays (no row object per traversal)."""
        owner = [g for g, agents in enumerate(self.g_agents) for _ in agents]
        recs = [self.agent_path(agent) for agents in self.g_agents for agent in agents]
        group, link, t_in, t_out = _flat_paths(owner, recs)
        return pd.DataFrame(
            {
                "group_id": np.asarray(group_ids, dtype=object)[group],  # object even if empty
                "edge": self.links.link_edge[link].astype(np.int64),
                "mode": np.asarray(MODES, dtype=object)[self.links.link_mode[link]],
                "t_enter_s": t_in,
                "t_exit_s": t_out,
            }
        )

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


def _flat_paths(
    owner: list[int], recs: list[list[tuple[int, float, float]]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Path records ``(link, t_enter_s, t_exit_s)`` of several agents as four flat arrays:
    the owner of each row (``owner[i]`` for every row of ``recs[i]``), link, entry, exit."""
    lengths = np.fromiter(map(len, recs), dtype=np.int64, count=len(recs))
    total = int(lengths.sum())
    flat = np.fromiter(
        chain.from_iterable(chain.from_iterable(recs)), dtype=float, count=3 * total
    ).reshape(total, 3)
    rows_owner = np.repeat(np.asarray(owner, dtype=np.int64), lengths)
    return rows_owner, flat[:, 0].astype(np.int64), flat[:, 1].copy(), flat[:, 2].copy()


def simulate(prepared: Prepared, *, rng: np.random.Generator, plan: Plan | None = None) -> Results:
    """Simulate a prepared scenario with the run's random generator.

    Parameters
    ----------
    prepared
        From :func:`evacsim.scenario.prepare.prepare`.
    rng
        The run's only random generator (seeded from the scenario).
    plan
        Simulate this plan (e.g. a candidate of :mod:`evacsim.optimize`) instead of making
        one with ``rng``.
    """
    plan = make_plan(prepared, rng) if plan is None else plan
    warning = apply_warning(prepared, plan, rng, grid_delay_s=plan.grid_delay_s or None)
    sim = Simulation(prepared, plan)
    results = sim.run()
    attach_warning(results, warning)
    results.extra["plan_warnings"] = [
        *plan.warnings,
        *sim.warnings,
        *sim.teams.warnings,
        *sim.supplies.warnings,
    ]
    results.extra.update(sim.teams.tables())
    results.extra.update(sim.supplies.tables())
    results.extra["per_grid"] = plan.demand.per_grid
    results.extra["bus_paths"] = sim.bus_paths()
    teams = sim.teams
    results.extra["crews"] = crews_table(
        sim, sim.harm, team_ids=teams.ids, team_of_vehicle=teams.v_team,
        vehicle_label=teams.label, legs=teams.legs, tasks=teams.tasks,
    )  # fmt: skip
    return results
