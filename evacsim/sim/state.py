"""The shared state of one run: clock, engine, router, every group's record and the event log.

:class:`SimState` is what the behaviour modules (facilities, buses, teams, supplies) act on;
:class:`evacsim.sim.simulation.Simulation` adds them on top and dispatches the engine's arrivals.

**Settled groups and the end of a run.** ``active`` counts the groups that still move or will:
those yet to leave home, on the way, waiting at home for a team vehicle, or in a vehicle. A group
leaves that count when it reaches a state in which it will not move by itself again — sheltered,
stranded, waiting at an assembly point (whether a bus can still come for it is the buses' part:
:meth:`idle`), or any other final state a module adds (:meth:`settle`). The run is *done* when
``active`` is zero and no bus is still running.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import simpy

from evacsim.plan.reach import hazard_rule
from evacsim.sim.engine import TrafficEngine
from evacsim.sim.router import Router, build_link_sets

if TYPE_CHECKING:
    from evacsim.plan.make import Plan
    from evacsim.scenario.prepare import Prepared

__all__ = ["BUS", "CAR_ON", "STAGE1", "SUPPLY", "TEAM", "SimState"]

# Agent kinds in the engine (groups' own agents: STAGE1, CAR_ON; vehicles: the rest).
STAGE1, CAR_ON, BUS, TEAM, SUPPLY = 0, 1, 2, 3, 4


class SimState:
    """One run's state: the clock, the engine, the router and every group's record."""

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
        self.rule = hazard_rule(prepared.zones, net)
        self.router = Router(
            net, self.links, self.rule, closed,
            register=self.engine.add_route_table,
            replace=lambda tid, nxt: self.engine.set_route_table(tid, nxt),
        )  # fmt: skip
        self.events: list[tuple[float, str, str, str, str]] = []
        self._init_groups(plan.demand.groups)
        self.agent_kind: list[int] = []
        self.agent_ref: list[int] = []
        self.active = 0  # groups that still move or will (module docstring)
        self.done = self.env.event()
        self.gridlock = self.env.event()
        self._finished_paths: dict[int, list[tuple[int, float, float]]] | None = None

    def _init_groups(self, groups: pd.DataFrame) -> None:
        n = len(groups)
        self.g_persons = groups["persons"].to_numpy(np.int64)
        # the smallest household (1 if none): below it nothing fits (buses, team vehicles)
        self.least_persons = int(self.g_persons.min()) if n else 1
        self.g_mode = groups["mode"].astype(str).to_numpy()
        self.g_level = groups["level"].to_numpy(np.int64)
        self.g_id = groups["group_id"].astype(str).to_numpy()
        self.g_grid = groups["grid_id"].astype(str).to_numpy()
        self.g_departure_s = groups["departure_s"].to_numpy(float)
        self.g_origin = groups["origin_node"].to_numpy(np.int64)
        self.g_ap = np.asarray(self.plan.group_ap, dtype=np.int64).copy()  # may change en route
        self.t_assembly = np.full(n, np.nan)
        self.t_shelter = np.full(n, np.nan)
        self.g_shelter = np.full(n, "", dtype=object)
        self.state = np.full(n, "not_evacuated", dtype=object)
        self.reason = np.full(n, "", dtype=object)  # why the group is in its state, when known
        self.node = np.full(n, -1, dtype=np.int64)
        self.g_agents: list[list[int]] = [[] for _ in range(n)]

    # ------------------------------------------------------------------ logging
    def log_event(self, kind: str, who: str, where: str, detail: str = "") -> None:
        """Append to the event log at the current time."""
        self.events.append((float(self.env.now), kind, who, where, detail))

    # ------------------------------------------------------------------ agents
    def add_agent(
        self, kind: int, ref: int, origin: int, table: int, *, size: int = 1,
        carrying: Sequence[int] = (),
    ) -> int:  # fmt: skip
        """Put an agent on the network now; remember what it stands for and, for a vehicle, the
        groups it ``carrying`` (a group's own agent carries the group)."""
        agent = self.engine.add_agent(origin, self.env.now, table_id=table, size=size)
        self.agent_kind.append(kind)
        self.agent_ref.append(ref)
        if kind in (STAGE1, CAR_ON):
            self.g_agents[ref].append(agent)
            carrying = (ref,)
        self._on_board(agent, list(carrying), origin)
        return agent

    @contextmanager
    def paths_kept(self) -> Iterator[None]:
        """While the results are gathered after the run, :meth:`agent_path` remembers each
        agent's records: exposure and the paths table both read them."""
        self._finished_paths = {}
        try:
            yield
        finally:
            self._finished_paths = None

    def agent_path(self, agent: int) -> list[tuple[int, float, float]]:
        """The engine's ``(link, t_enter_s, t_exit_s)`` records of ``agent``
        (:meth:`evacsim.sim.engine.TrafficEngine.path`)."""
        kept = self._finished_paths
        if kept is None:
            return self.engine.path(agent)
        records = kept.get(agent)
        if records is None:
            records = kept[agent] = self.engine.path(agent)
        return records

    def _on_board(self, agent: int, groups: list[int], origin: int) -> None:
        """A new agent carries ``groups`` from now (the behaviour on top counts their harm)."""

    def _on_arrival(self, agent: int, node: int, t: float) -> None:
        """An agent reached its destination (the behaviour on top decides what that means)."""

    def _on_stranded(self, agent: int, node: int, t: float, reason: str) -> None:
        """An agent can go no further (the behaviour on top decides what that means)."""

    def settle(
        self, g: int, state: str, node: int, reason: str = "", *, moving: bool = True
    ) -> None:
        """Group ``g`` reaches a final state in which it will not move again (``moving``: it
        was counted in ``active``), at network node ``node``, for ``reason``."""
        self.state[g], self.node[g], self.reason[g] = state, node, reason
        self.active -= int(moving)
        self.log_event(state, self.g_id[g], str(node), reason)
        self.settle_check()

    def strand(self, g: int, node: int, reason: str, *, moving: bool = True) -> None:
        """Mark group ``g`` stranded at ``node`` for ``reason`` (``moving``: it was active);
        an incapacitated group stays so."""
        if self.state[g] == "incapacitated":
            return
        self.settle(g, "stranded", node, reason, moving=moving)

    def incapacitate(self, g: int, node: int, t_s: float, *, moving: bool) -> None:
        """Group ``g``'s FED reached 1 at ``t_s`` near ``node``: it stops there for good
        (``moving``: it was active, walking or driving or yet to leave)."""
        self.settle(g, "incapacitated", node, "fed_1", moving=moving)

    def idle(self) -> bool:
        """No vehicle is still running for anyone (the behaviour on top knows its vehicles)."""
        return True

    def settle_check(self) -> None:
        """Succeed ``done`` once nobody moves or waits for a ride that can still come."""
        if self.active == 0 and self.idle() and not self.done.triggered:
            self.done.succeed()
