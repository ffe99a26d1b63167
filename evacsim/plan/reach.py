"""Who can reach what, and when: each mode's own road network and the hazard rule over time.

**Modes.** ``car`` drives the drivable edges at their free-flow ``travel_time_s``; ``walk`` and
``assisted`` walk the walkable edges at the scenario's ``walk_speed_m_s`` and
``assisted_speed_m_s`` (:func:`mode_networks`). Roads the scenario closes
(``simulation.closed_roads``) are closed to every mode.

**The hazard rule** (DESIGN.md: nobody is routed into a higher threat level than the one they are
in *at that instant*). Levels are indices 0 red, 1 orange, 2 yellow, 3 outside; a smaller index is
worse. At time ``t`` a node's level is the worst level that has reached the node's point, an
edge's level the worst that has touched any part of the edge (first arrival: a level that reached
a road stays there, so roads only ever close). A traveller at node ``n`` may take edge ``e``
leaving ``n`` when

    level_t(e) >= level_t(n),

so a person may leave the zone they are in — every road out of it is at least as bad as the point
where they stand — and never enters a worse one. The rule depends on the node, not on the
traveller, so one route table per destination serves everybody, and the rule follows the zones as
they grow: a household the plume reaches late is treated as outside until it is reached.

Only levels at or inside the hazard's ``closure_level`` close roads (default ``red``): a safer
level counts as outside. With ``closure_level = "orange"``, the orange zone's roads close to
everyone outside it as well; with ``"red"``, orange roads stay open (people are leaving through
them, buses go in to fetch them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely

from evacsim.hazard.spec import LEVELS
from evacsim.network.graph import RoadNetwork
from evacsim.network.routing import travel_time_matrix

if TYPE_CHECKING:
    from evacsim.hazard.zones import ThreatZones
    from evacsim.scenario.sections import EvacuationSpec

__all__ = [
    "LEVEL_OUTSIDE",
    "MODES",
    "HazardRule",
    "Reach",
    "hazard_rule",
    "mode_networks",
]

MODES: tuple[str, ...] = ("car", "walk", "assisted")
"""Travel modes, each on its own copy of the roads it may use."""

LEVEL_OUTSIDE = len(LEVELS)
"""Level index of a place no threat zone reaches (3)."""


def mode_networks(
    net: RoadNetwork, evacuation: EvacuationSpec
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per mode (:data:`MODES`): free-flow time of every edge (s) and which edges it may use."""
    return {
        "car": (np.asarray(net.travel_time_s, float), net.drivable.copy()),
        "walk": (net.length_m / evacuation.walk_speed_m_s, net.walkable.copy()),
        "assisted": (net.length_m / evacuation.assisted_speed_m_s, net.walkable.copy()),
    }


def _levels_at(times_s: np.ndarray, t_s: float, closure_index: int) -> np.ndarray:
    """Effective level per column of ``times_s`` (3 × n first-arrival times) at ``t_s``."""
    level = np.full(times_s.shape[1], LEVEL_OUTSIDE, dtype=np.int8)
    for i in range(closure_index, -1, -1):  # worse levels overwrite safer ones
        level[times_s[i] <= t_s] = i
    return level


@dataclass(frozen=True, eq=False)
class HazardRule:
    """The hazard rule of one run (see the module docstring).

    Attributes
    ----------
    edge_times_s, node_times_s
        ``(3, n_edges)`` and ``(3, n_nodes)``: the first time each level (red, orange, yellow)
        touches each edge / node, seconds after the incident (``inf``: never).
    edge_tail
        Tail node of each edge.
    closure_index
        Index in ``LEVELS`` of the hazard's ``closure_level``; safer levels count as outside.
    """

    edge_times_s: np.ndarray
    node_times_s: np.ndarray
    edge_tail: np.ndarray
    closure_index: int

    def edge_levels_at(self, t_s: float) -> np.ndarray:
        """Effective level of every edge at ``t_s`` (int8, 0 red … 3 outside)."""
        return _levels_at(self.edge_times_s, t_s, self.closure_index)

    def node_levels_at(self, t_s: float) -> np.ndarray:
        """Effective level of every node at ``t_s`` (int8, 0 red … 3 outside)."""
        return _levels_at(self.node_times_s, t_s, self.closure_index)

    def open_at(self, t_s: float) -> np.ndarray:
        """Per edge: whether a traveller at its tail may take it at ``t_s``."""
        return self.edge_levels_at(t_s) >= self.node_levels_at(t_s)[self.edge_tail]

    def change_times_s(self) -> np.ndarray:
        """Times after 0 at which :meth:`open_at` may change (sorted, unique)."""
        k = self.closure_index + 1
        t = np.concatenate([self.edge_times_s[:k].ravel(), self.node_times_s[:k].ravel()])
        t = t[np.isfinite(t) & (t > 0)]
        return np.unique(t)

    def state_index(self, t_s: np.ndarray) -> np.ndarray:
        """Per time, the number of change times at or before it: equal indices, equal rule."""
        return np.searchsorted(self.change_times_s(), np.asarray(t_s, float), side="right")


def hazard_rule(zones: ThreatZones, net: RoadNetwork) -> HazardRule:
    """The hazard rule on a network: first arrival of each level at every edge and node."""
    points = shapely.points(net.node_x_m, net.node_y_m)
    edge_times = np.vstack([zones.arrival_time_s(net.edge_geometry, lv) for lv in LEVELS])
    node_times = np.vstack([zones.arrival_time_s(points, lv) for lv in LEVELS])
    return HazardRule(
        edge_times_s=edge_times,
        node_times_s=node_times,
        edge_tail=np.asarray(net.edge_tail, dtype=np.int64),
        closure_index=LEVELS.index(zones.closure_level),  # type: ignore[arg-type]
    )


class Reach:
    """Travel times per mode under the roads open at a given time (the plan's view).

    Parameters
    ----------
    net
        The road network.
    modes
        :func:`mode_networks`.
    rule
        The run's :class:`HazardRule`.
    closed_edges
        Edges the scenario closes (to every mode, from the start).
    """

    def __init__(
        self,
        net: RoadNetwork,
        modes: dict[str, tuple[np.ndarray, np.ndarray]],
        rule: HazardRule,
        closed_edges: np.ndarray,
    ) -> None:
        self.net, self.modes, self.rule = net, modes, rule
        self.closed_edges = np.asarray(closed_edges, dtype=bool)

    def usable(self, mode: str, t_s: float) -> np.ndarray:
        """Edges ``mode`` may take at ``t_s`` (its own roads, not closed, hazard rule)."""
        return self.modes[mode][1] & ~self.closed_edges & self.rule.open_at(t_s)

    def times_s(
        self, mode: str, t_s: float, origins: Iterable[int], dests: Iterable[int]
    ) -> np.ndarray:
        """Origins × destinations free-flow time (s) at ``t_s``; ``inf`` = no open route."""
        weight = self.modes[mode][0]
        return travel_time_matrix(
            self.net, np.asarray(list(origins), np.int64), np.asarray(list(dests), np.int64),
            weight_s=weight, usable=self.usable(mode, t_s),
        )  # fmt: skip

    def why_not(self, mode: str, t_s: float, origin: int, dest: int) -> str:
        """Why ``dest`` cannot be reached from ``origin`` by ``mode`` at ``t_s`` (one phrase)."""
        weight, own = self.modes[mode]
        o, d = np.array([origin], np.int64), np.array([dest], np.int64)
        by = "by car" if mode == "car" else "on foot"
        steps = (
            (own, f"no road {by} connects them"),
            (own & ~self.closed_edges, "the scenario's closed roads cut it off"),
        )
        for usable, why in steps:
            if not np.isfinite(travel_time_matrix(self.net, o, d, weight_s=weight, usable=usable))[
                0, 0
            ]:
                return why
        when = f" by t = {t_s:.0f} s" if len(self.rule.change_times_s()) else ""
        return f"the hazard's zones close every road to it{when}"
