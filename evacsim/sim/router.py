"""Mode link sets and hazard-aware route tables for one simulation.

The traffic engine moves agents on *links*; the road network has *edges*. Each travel mode gets
its own copy of the edges it may use, with its own queues:

* ``car`` — drivable edges: free-flow ``travel_time_s``, capacity ``capacity_vph``, storage
  ``storage_veh`` (cars are 1 unit, buses 2);
* ``walk`` — walkable edges at the scenario's walking speed, pedestrian capacity
  ``walk_capacity_pps`` and storage ``walk_storage_persons`` (a walking household is as many units
  as it has persons);
* ``assisted`` — the same walkable edges at the slower speed of people who need help, on their own
  queues (they move in a separate, slower stream; teams come with issue 7).

Hazard rule (DESIGN.md): nobody is routed into a higher threat level than the one they are in.
Each agent carries a *level* (0 red … 3 outside: the worst level of its start). Levels beyond the
scenario's ``evacuate`` level (e.g. yellow when only orange evacuates) count as outside: a zone not
worth evacuating is not worth closing either. Its route table
uses only edges whose threat level at the current time is the same or safer; the tables are
rebuilt whenever the hazard reaches new edges, and agents heading for an edge that became
forbidden take the new next hop at their next node. Roads the scenario closes are closed to all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from evacsim.hazard.spec import LEVELS
from evacsim.hazard.zones import ThreatZones
from evacsim.network.graph import RoadNetwork
from evacsim.network.routing import route_tree
from evacsim.scenario.sections import EvacuationSpec
from evacsim.sim._engine_stats import LinkSpec

__all__ = ["MODES", "LinkSets", "Router", "build_link_sets", "edge_level_times"]

MODES = ("car", "walk", "assisted")
LEVEL_OUTSIDE = len(LEVELS)


@dataclass(frozen=True, eq=False)
class LinkSets:
    """All modes' links in one :class:`LinkSpec`, with the edge ↔ link maps."""

    spec: LinkSpec
    link_edge: np.ndarray  # edge of each link
    link_mode: np.ndarray  # index into MODES of each link
    edge_link: dict[str, np.ndarray]  # per mode: link of each edge, -1 if the mode cannot use it
    weight_s: dict[str, np.ndarray]  # per mode: free-flow time of each edge (routing weight)
    usable: dict[str, np.ndarray]  # per mode: which edges the mode may use


def build_link_sets(net: RoadNetwork, evacuation: EvacuationSpec) -> LinkSets:
    """Copy the network's edges into per-mode links (see the module docstring)."""
    walk_cap = np.maximum(net.walk_capacity_pps, 1e-6)
    walk_storage = np.maximum(net.walk_storage_persons, 1.0)
    per_mode = {
        "car": (net.drivable, net.travel_time_s, net.capacity_vph / 3600.0, net.storage_veh),
        "walk": (
            net.walkable,
            net.length_m / evacuation.walk_speed_m_s,
            walk_cap,
            walk_storage,
        ),
        "assisted": (
            net.walkable,
            net.length_m / evacuation.assisted_speed_m_s,
            walk_cap,
            walk_storage,
        ),
    }
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("edge", "mode", "ff", "cap", "sto")}
    edge_link: dict[str, np.ndarray] = {}
    weight_s: dict[str, np.ndarray] = {}
    usable: dict[str, np.ndarray] = {}
    offset = 0
    for m, (mask, ff, cap, sto) in enumerate(per_mode.values()):
        mode = MODES[m]
        edges = np.flatnonzero(mask)
        lut = np.full(net.n_edges, -1, dtype=np.int64)
        lut[edges] = np.arange(offset, offset + edges.size)
        edge_link[mode], weight_s[mode], usable[mode] = lut, np.asarray(ff, float), mask.copy()
        for key, values in zip(
            ("edge", "mode", "ff", "cap", "sto"),
            (edges, np.full(edges.size, m), ff[edges], cap[edges], sto[edges]),
            strict=True,
        ):
            parts[key].append(np.asarray(values))
        offset += edges.size
    spec = LinkSpec(
        tail_node=net.edge_tail[np.concatenate(parts["edge"])],
        head_node=net.edge_head[np.concatenate(parts["edge"])],
        freeflow_s=np.concatenate(parts["ff"]),
        capacity_per_s=np.concatenate(parts["cap"]),
        storage_units=np.concatenate(parts["sto"]),
        n_nodes=net.n_nodes,
    )
    return LinkSets(
        spec=spec,
        link_edge=np.concatenate(parts["edge"]).astype(np.int64),
        link_mode=np.concatenate(parts["mode"]).astype(np.int8),
        edge_link=edge_link,
        weight_s=weight_s,
        usable=usable,
    )


def edge_level_times(zones: ThreatZones, net: RoadNetwork) -> np.ndarray:
    """``(3, n_edges)``: the first time each level touches each edge (inf: never), seconds."""
    return np.vstack([zones.arrival_time_s(net.edge_geometry, level) for level in LEVELS])


def edge_levels_at(level_times_s: np.ndarray, t_s: float) -> np.ndarray:
    """Threat level index of every edge at time ``t_s`` (0 red … 3 outside)."""
    reached = level_times_s <= t_s
    level = np.full(level_times_s.shape[1], LEVEL_OUTSIDE, dtype=np.int8)
    for i in range(len(LEVELS) - 1, -1, -1):
        level[reached[i]] = i
    return level


Key = tuple[str, int, tuple[int, ...], tuple[int, ...]]  # (mode, level, dests, preferred edges)

#: Preferred edges (an optimized plan's route) cost this share of their free-flow time when
#: routing, so a tree follows the route wherever it is open and joins it from nearby homes.
PREFER_FACTOR = 0.2


class Router:
    """Builds route tables on demand and rebuilds them when the hazard or closures change.

    Parameters
    ----------
    net, links
        The network and its per-mode links.
    level_times_s
        From :func:`edge_level_times`.
    closed_edges
        Edges closed to everyone (the scenario's closed roads).
    evacuate_index
        Index in ``LEVELS`` of the outermost evacuated level.
    register, replace
        The engine's ``add_route_table(next_link, dests) -> id`` and
        ``set_route_table(id, next_link)``.
    """

    def __init__(
        self,
        net: RoadNetwork,
        links: LinkSets,
        level_times_s: np.ndarray,
        closed_edges: np.ndarray,
        *,
        register: Callable[[np.ndarray, np.ndarray], int],
        replace: Callable[[int, np.ndarray], None],
        evacuate_index: int = len(LEVELS) - 1,
    ) -> None:
        self.net = net
        self.links = links
        self.level_times_s = level_times_s
        self.closed_edges = closed_edges
        self._register = register
        self._replace = replace
        self._tables: dict[Key, int] = {}
        self._times: dict[Key, np.ndarray] = {}
        self.evacuate_index = int(evacuate_index)
        self._levels = self._effective(edge_levels_at(level_times_s, 0.0))

    def _effective(self, levels: np.ndarray) -> np.ndarray:
        return np.where(levels > self.evacuate_index, LEVEL_OUTSIDE, levels).astype(np.int8)

    def effective_level(self, level: int) -> int:
        """An agent's routing level: levels beyond the evacuated one count as outside."""
        return int(level) if level <= self.evacuate_index else LEVEL_OUTSIDE

    def _usable(self, mode: str, level: int) -> np.ndarray:
        return self.links.usable[mode] & ~self.closed_edges & (self._levels >= level)

    def _build(self, key: Key) -> np.ndarray:
        """Next link of every node for ``key``; remembers the tree's times for :meth:`time_s`."""
        mode, level, dests, prefer = key
        weight = self.links.weight_s[mode]
        if prefer:
            weight = weight.copy()
            weight[list(prefer)] *= PREFER_FACTOR
        tree = route_tree(
            self.net, np.asarray(dests), weight_s=weight, usable=self._usable(mode, level)
        )
        self._times[key] = tree.time_s
        nxt = np.full(self.net.n_nodes, -1, dtype=np.int64)
        has = tree.next_edge >= 0
        nxt[has] = self.links.edge_link[mode][tree.next_edge[has]]
        return nxt

    def _key(
        self, mode: str, level: int, dests: tuple[int, ...], prefer: tuple[int, ...] = ()
    ) -> Key:
        dest_key = tuple(sorted(int(d) for d in dests))
        return (mode, self.effective_level(level), dest_key, tuple(prefer))

    def table(
        self, mode: str, level: int, dests: tuple[int, ...], prefer: tuple[int, ...] = ()
    ) -> int:
        """The engine table id for (mode, level, destination nodes), built on first use;
        ``prefer``: edges of a preferred route (:data:`PREFER_FACTOR`)."""
        key = self._key(mode, level, dests, prefer)
        tid = self._tables.get(key)
        if tid is None:
            tid = self._register(self._build(key), np.asarray(key[2]))
            self._tables[key] = tid
        return tid

    def time_s(self, mode: str, level: int, dests: tuple[int, ...]) -> np.ndarray:
        """Free-flow time (s) from every node to the nearest of ``dests`` under the current
        rules (inf: no open route); builds the table on first use."""
        self.table(mode, level, dests)
        return self._times[self._key(mode, level, dests)]

    def reachable(self, mode: str, level: int, dest: int, origin: int) -> bool:
        """Whether ``origin`` has an open route to ``dest`` now."""
        return bool(np.isfinite(self.time_s(mode, level, (dest,))[origin]))

    def _rebuild(self) -> None:
        for key, tid in sorted(self._tables.items(), key=lambda kv: kv[1]):
            self._replace(tid, self._build(key))

    def update(self, t_s: float) -> bool:
        """Apply the hazard's state at ``t_s``; rebuild tables if any edge changed level."""
        levels = self._effective(edge_levels_at(self.level_times_s, t_s))
        if np.array_equal(levels, self._levels):
            return False
        self._levels = levels
        self._rebuild()
        return True

    def close_edges(self, edges: np.ndarray) -> None:
        """Close more edges to everyone routed here (e.g. toward the hazard at a staffed
        traffic-control junction) and rebuild the tables now."""
        mask = self.closed_edges.copy()
        mask[np.asarray(edges, dtype=np.int64)] = True
        self.closed_edges = mask
        self._rebuild()

    def change_times_s(self) -> np.ndarray:
        """Times after 0 at which some edge changes level (when :meth:`update` matters)."""
        t = self.level_times_s[np.isfinite(self.level_times_s)]
        return np.unique(t[t > 0])
