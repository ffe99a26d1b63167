"""A prepared scenario as the optimizer sees it: each mode's links with their capacities, the
roads' threat levels at the start and over time, the usable assembly points and shelters.

The rules are the simulation's hazard rule (:mod:`evacsim.plan.reach`), relaxed to a group's
level: levels safer than the hazard's ``closure_level`` count as outside, a group may use a road
while the road's level is no worse than the group's own (the simulation's per-node rule only ever
allows less, so bounds stay valid), closed roads are closed to all, and facilities inside the
evacuation zone are not used (:func:`evacsim.plan.make.outside_zone`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from evacsim.plan.make import outside_zone
from evacsim.plan.reach import LEVEL_OUTSIDE, hazard_rule
from evacsim.sim.router import LinkSets, build_link_sets

if TYPE_CHECKING:
    from evacsim.scenario.prepare import Prepared

__all__ = ["LEVEL_OUTSIDE", "Networks"]


class Networks:
    """What the bound and the planner need of a prepared scenario: each mode's links, threat
    levels of the roads (at the start and over time), usable assembly points and shelters."""

    def __init__(self, prepared: Prepared) -> None:
        sc, net = prepared.scenario, prepared.network
        self.prepared, self.net = prepared, net
        self.links: LinkSets = build_link_sets(net, sc.evacuation)
        closed = np.isin(net.edge_road_id, list(sc.simulation.closed_roads))
        self.open = ~closed
        rule = hazard_rule(prepared.zones, net)
        self.level_times_s = rule.edge_times_s
        self.edge_level = rule.edge_levels_at(0.0).astype(np.int64)
        self.closure_index = rule.closure_index
        ap_ok, _ = outside_zone(prepared, "assembly_points")
        self.ap_usable = np.asarray(ap_ok, dtype=bool)
        s_ok, _ = outside_zone(prepared, "shelters")
        snap = prepared.snapped
        self.ap_nodes = {
            "car": np.unique(snap.assembly_points.car_node[ap_ok]),
            "walk": np.unique(snap.assembly_points.walk_node[ap_ok]),
        }
        self.ap_nodes["assisted"] = self.ap_nodes["walk"]
        self.shelter_nodes = snap.shelters.car_node[s_ok].astype(np.int64)
        self.shelter_cap = prepared.area.shelters["capacity_persons"].to_numpy(np.int64)[s_ok]
        control = any(t.task == "traffic_control" for t in sc.teams.tasks)
        self.car_factor = float(sc.teams.capacity_factor) if control else 1.0

    def capacity_per_s(self, mode: str) -> np.ndarray:
        """Per edge, the mode's flow capacity (units/s), NaN where the mode cannot go."""
        out = np.full(self.net.n_edges, np.nan)
        link = self.links.edge_link[mode]
        has = link >= 0
        out[has] = self.links.spec.capacity_per_s[link[has]]
        return out * (self.car_factor if mode == "car" else 1.0)

    def usable(self, mode: str, level: int) -> np.ndarray:
        """Roads a mode may use at the start for groups of routing level ``level``."""
        return self.links.usable[mode] & self.open & (self.edge_level >= level)

    def effective_levels(self, levels: np.ndarray) -> np.ndarray:
        """Routing level of groups: levels safer than the closure level count as outside."""
        levels = np.asarray(levels, dtype=np.int64)
        return np.where(levels > self.closure_index, LEVEL_OUTSIDE, levels)

    def closing_times_s(self) -> list[np.ndarray]:
        """Per routing level L (0..3), when each road becomes worse than L (inf: never)."""
        out = []
        for lv in range(LEVEL_OUTSIDE + 1):
            worse = self.level_times_s[: min(lv, self.closure_index + 1)]
            out.append(worse.min(axis=0) if len(worse) else np.full(self.net.n_edges, np.inf))
        return out
