"""Mode link sets and hazard-aware route tables for one simulation.

The traffic engine moves agents on *links*; the road network has *edges*. Each travel mode gets
its own copy of the edges it may use, with its own queues:

* ``car`` — drivable edges: free-flow ``travel_time_s``, capacity ``capacity_vph``, storage
  ``storage_veh`` (cars are 1 unit, buses 2);
* ``walk`` — walkable edges at the scenario's walking speed, pedestrian capacity
  ``walk_capacity_pps`` and storage ``walk_storage_persons`` (a walking household is as many units
  as it has persons);
* ``assisted`` — the same walkable edges at the slower speed of people who need help, on their own
  queues (each keeps its speed), but not on their own road: the walk and assisted links of one
  physical footway, both directions, form one *capacity group* of the engine
  (:attr:`evacsim.sim.engine.LinkSpec.share_with`): one exit capacity ``walk_capacity_pps`` and
  one storage ``walk_storage_persons`` for everyone on that footway, whichever way they walk
  (verification test RN-14, counter-flow: opposing walkers slow each other down).

Routing follows the hazard rule of :mod:`evacsim.plan.reach`: at every node an edge is open when
the level it has been touched by is no worse than the node's own level at that instant (a person
may leave the zone they are in, never enter a worse one), and only levels at or inside the
hazard's ``closure_level`` count. The rule belongs to the node, not to the traveller, so there is
one route table per (mode, destinations); the tables are rebuilt whenever the rule changes
(:meth:`Router.update`), and agents heading for an edge that closed take the new next hop at their
next node. Roads the scenario closes are closed to all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from evacsim.network.graph import RoadNetwork
from evacsim.network.routing import RouteTree, route_tree
from evacsim.plan.reach import MODES, HazardRule, mode_networks
from evacsim.scenario.sections import EvacuationSpec
from evacsim.sim._engine_stats import LinkSpec

__all__ = ["MODES", "LinkSets", "Router", "build_link_sets", "footway_groups"]


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
    capacity = {"car": net.capacity_vph / 3600.0, "walk": walk_cap, "assisted": walk_cap}
    storage = {"car": net.storage_veh, "walk": walk_storage, "assisted": walk_storage}
    networks = mode_networks(net, evacuation)
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("edge", "mode", "ff", "cap", "sto")}
    edge_link: dict[str, np.ndarray] = {}
    offset = 0
    for m, mode in enumerate(MODES):
        ff, mask = networks[mode]
        edges = np.flatnonzero(mask)
        lut = np.full(net.n_edges, -1, dtype=np.int64)
        lut[edges] = np.arange(offset, offset + edges.size)
        edge_link[mode] = lut
        for key, values in zip(
            ("edge", "mode", "ff", "cap", "sto"),
            (edges, np.full(edges.size, m), ff[edges], capacity[mode][edges], storage[mode][edges]),
            strict=True,
        ):
            parts[key].append(np.asarray(values))
        offset += edges.size
    edge = np.concatenate(parts["edge"])
    link_mode = np.concatenate(parts["mode"]).astype(np.int8)
    spec = LinkSpec(
        tail_node=net.edge_tail[edge],
        head_node=net.edge_head[edge],
        freeflow_s=np.concatenate(parts["ff"]),
        capacity_per_s=np.concatenate(parts["cap"]),
        storage_units=np.concatenate(parts["sto"]),
        n_nodes=net.n_nodes,
        share_with=footway_groups(net, edge, link_mode != MODES.index("car")),
    )
    return LinkSets(
        spec=spec,
        link_edge=edge.astype(np.int64),
        link_mode=link_mode,
        edge_link=edge_link,
        weight_s={mode: w for mode, (w, _) in networks.items()},
        usable={mode: u for mode, (_, u) in networks.items()},
    )


def footway_groups(net: RoadNetwork, link_edge: np.ndarray, on_foot: np.ndarray) -> np.ndarray:
    """Lead link of each link's capacity group: the links ``on_foot`` of one physical footway.

    A footway is one road (``edge_road_id``) between two nodes, whichever way it is walked; its
    links (both directions, walk and assisted) share the capacity and storage of the first of
    them, which the network gives per direction as the footway's full width (both directions
    carry the same values). Other links lead themselves.
    """
    n = len(link_edge)
    lead = np.arange(n, dtype=np.int64)
    foot = np.flatnonzero(on_foot)
    if not foot.size:
        return lead
    e = link_edge[foot]
    a, b = net.edge_tail[e], net.edge_head[e]
    road = np.unique(net.edge_road_id[e].astype(str), return_inverse=True)[1]
    keys = np.stack([road, np.minimum(a, b), np.maximum(a, b)], axis=1)
    _, group = np.unique(keys, axis=0, return_inverse=True)
    group = group.ravel()
    first = np.full(group.max() + 1, n, dtype=np.int64)
    np.minimum.at(first, group, foot)
    lead[foot] = first[group]
    return lead


Key = tuple[str, tuple[int, ...], tuple[int, ...]]  # (mode, destination nodes, preferred edges)

#: Preferred edges (an optimized plan's route) cost this share of their free-flow time when
#: routing, so a tree follows the route wherever it is open and joins it from nearby homes.
PREFER_FACTOR = 0.2


class Router:
    """Builds route tables on demand and rebuilds them when the hazard or closures change.

    Parameters
    ----------
    net, links
        The network and its per-mode links.
    rule
        The run's hazard rule (:func:`evacsim.plan.reach.hazard_rule`).
    closed_edges
        Edges closed to everyone (the scenario's closed roads).
    register, replace
        The engine's ``add_route_table(next_link, dests) -> id`` and
        ``set_route_table(id, next_link)``.
    """

    def __init__(
        self,
        net: RoadNetwork,
        links: LinkSets,
        rule: HazardRule,
        closed_edges: np.ndarray,
        *,
        register: Callable[[np.ndarray, np.ndarray], int],
        replace: Callable[[int, np.ndarray], None],
    ) -> None:
        self.net = net
        self.links = links
        self.rule = rule
        self.closed_edges = np.asarray(closed_edges, dtype=bool)
        self._register = register
        self._replace = replace
        self._tables: dict[Key, int] = {}
        self._table_ids: dict[tuple[str, tuple[int, ...], tuple[int, ...]], int] = {}  # as asked
        self._times: dict[Key, np.ndarray] = {}  # cleared when the rules change
        # time_s answers by the caller's own (mode, dests), without normalising the key: asked
        # for every idle bus and every shelter at every change (a district asks millions)
        self._asked: dict[tuple[str, tuple[int, ...]], np.ndarray] = {}
        self.version = 0  # counts the rebuilds: what was reachable may not be any more
        self.open = rule.open_at(0.0)  # edges the hazard rule leaves open now
        self.t_rule_s = 0.0  # the time of the rule in force

    def usable(self, mode: str) -> np.ndarray:
        """Edges ``mode`` may take now (its roads, not closed, open under the hazard rule)."""
        return self.links.usable[mode] & ~self.closed_edges & self.open

    def _tree(self, key: Key) -> RouteTree:
        mode, dests, prefer = key
        weight = self.links.weight_s[mode]
        if prefer:
            weight = weight.copy()
            weight[list(prefer)] *= PREFER_FACTOR
        tree = route_tree(
            self.net, np.asarray(dests), weight_s=weight, usable=self.usable(mode)
        )  # fmt: skip
        self._times[key] = tree.time_s
        return tree

    def _build(self, key: Key) -> np.ndarray:
        """Next link of every node for ``key``; remembers the tree's times for :meth:`time_s`."""
        mode = key[0]
        tree = self._tree(key)
        nxt = np.full(self.net.n_nodes, -1, dtype=np.int64)
        has = tree.next_edge >= 0
        nxt[has] = self.links.edge_link[mode][tree.next_edge[has]]
        return nxt

    @staticmethod
    def _key(mode: str, dests: tuple[int, ...], prefer: tuple[int, ...] = ()) -> Key:
        return (mode, tuple(sorted({int(d) for d in dests})), tuple(prefer))

    def table(self, mode: str, dests: tuple[int, ...], prefer: tuple[int, ...] = ()) -> int:
        """The engine table id for (mode, destination nodes), built on first use; ``prefer``:
        edges of a preferred route (:data:`PREFER_FACTOR`)."""
        asked = (mode, tuple(dests), tuple(prefer))
        tid = self._table_ids.get(asked)  # a table keeps its id when it is rebuilt
        if tid is None:
            key = self._key(mode, dests, prefer)
            tid = self._tables.get(key)
            if tid is None:
                tid = self._register(self._build(key), np.asarray(key[1]))
                self._tables[key] = tid
            self._table_ids[asked] = tid
        return tid

    def time_s(self, mode: str, dests: tuple[int, ...]) -> np.ndarray:
        """Free-flow time (s) from every node to the nearest of ``dests`` under the current
        rules (inf: no open route). Only asked, not driven: no engine table is made for it."""
        times = self._asked.get((mode, dests))
        if times is None:
            key = self._key(mode, dests)
            times = self._times.get(key)
            if times is None:
                times = self._tree(key).time_s
            self._asked[(mode, dests)] = times
        return times

    def reachable(self, mode: str, dest: int, origin: int) -> bool:
        """Whether ``origin`` has an open route to ``dest`` now."""
        return bool(self.time_s(mode, (dest,))[origin] < np.inf)

    def _rebuild(self) -> None:
        self._times.clear()
        self._asked.clear()
        self.version += 1
        for key, tid in sorted(self._tables.items(), key=lambda kv: kv[1]):
            self._replace(tid, self._build(key))

    def update(self, t_s: float) -> bool:
        """Apply the hazard rule at ``t_s``; rebuild the tables if any edge opened or closed."""
        self.t_rule_s = float(t_s)
        open_now = self.rule.open_at(t_s)
        if np.array_equal(open_now, self.open):
            return False
        self.open = open_now
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
        """Times after 0 at which the hazard rule changes (when :meth:`update` matters)."""
        return self.rule.change_times_s()
