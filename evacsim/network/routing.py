"""Shortest routes on a :class:`~evacsim.network.RoadNetwork` with ``scipy.sparse.csgraph``.

A :class:`RouteTree` answers "from any node, the fastest way to the nearest of these destinations":
one multi-source Dijkstra on the reversed graph (``min_only=True``), whose predecessors are each
node's next hop. Among parallel edges between two nodes the cheapest usable one is taken.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from evacsim.errors import NoRouteError
from evacsim.network.graph import WALK_SPEED_MPS, RoadNetwork

__all__ = [
    "RouteTree",
    "car_weights",
    "path_edges",
    "route_tree",
    "travel_time_matrix",
    "walk_weights",
]

logger = logging.getLogger(__name__)

# csgraph drops explicit zeros in some code paths; a zero-length edge costs this much instead.
_MIN_WEIGHT_S = 1e-9


@dataclass(frozen=True)
class RouteTree:
    """Fastest routes from every node to the nearest of a set of destination nodes.

    Attributes
    ----------
    dest_nodes
        The destinations (unique, sorted).
    time_s
        Per node, the travel time to the nearest destination, s (inf if none is reachable).
    next_edge
        Per node, the first edge of that route (-1 at destinations and unreachable nodes).
    dest_of
        Per node, the destination it reaches (-1 if unreachable).
    next_node
        Per node, the head of ``next_edge`` (-1 where there is none).
    """

    dest_nodes: np.ndarray
    time_s: np.ndarray
    next_edge: np.ndarray
    dest_of: np.ndarray
    next_node: np.ndarray


def car_weights(net: RoadNetwork) -> tuple[np.ndarray, np.ndarray]:
    """Free-flow driving time per edge (s) and the drivable mask."""
    return net.travel_time_s, net.drivable


def walk_weights(
    net: RoadNetwork, *, speed_mps: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Walking time per edge (s) at ``speed_mps`` (default 1.2 m/s) and the walkable mask."""
    if speed_mps is None or speed_mps == WALK_SPEED_MPS:
        return net.walk_time_s, net.walkable
    if speed_mps <= 0:
        raise ValueError(f"speed_mps must be > 0, not {speed_mps}")
    return net.length_m / speed_mps, net.walkable


def _cheapest_edges(
    net: RoadNetwork, weight_s: npt.ArrayLike, usable: npt.ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(tail, head, weight, edge) of the cheapest usable edge per node pair, sorted by pair."""
    weights = np.asarray(weight_s, dtype=np.float64)
    ok = np.asarray(usable, dtype=bool)
    if weights.shape != (net.n_edges,) or ok.shape != (net.n_edges,):
        raise ValueError(f"weight_s and usable must have one value per edge ({net.n_edges})")
    keep = ok & np.isfinite(weights) & (net.edge_tail != net.edge_head)
    if (weights[keep] < 0).any():
        raise ValueError("weight_s must be >= 0 on usable edges")
    edges = np.flatnonzero(keep)
    key = net.edge_tail[edges].astype(np.int64) * net.n_nodes + net.edge_head[edges]
    order = np.argsort(key, kind="stable")  # radix sort; keeps edge order within a pair
    key, edges = key[order], edges[order]
    weight = np.maximum(weights[edges], _MIN_WEIGHT_S)
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    if starts.size < key.size:  # parallel edges: keep the cheapest (lowest edge number on ties)
        group = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, key.size]))
        cheapest = np.flatnonzero(weight == np.minimum.reduceat(weight, starts)[group])
        first = cheapest[np.r_[True, group[cheapest][1:] != group[cheapest][:-1]]]
        edges, weight = edges[first], weight[first]
    return net.edge_tail[edges], net.edge_head[edges], weight, edges


def _matrix(n: int, rows: np.ndarray, cols: np.ndarray, weight: np.ndarray) -> csr_array:
    return csr_array((weight, (rows, cols)), shape=(n, n))


def route_tree(
    net: RoadNetwork, dest_nodes: npt.ArrayLike, *, weight_s: npt.ArrayLike, usable: npt.ArrayLike
) -> RouteTree:
    """Fastest route from every node to its nearest destination.

    Parameters
    ----------
    net
        The network.
    dest_nodes
        Destination node numbers.
    weight_s
        Cost of each edge, s (e.g. from :func:`car_weights` or :func:`walk_weights`).
    usable
        Which edges may be used (closed roads, wrong mode: False).

    Returns
    -------
    RouteTree
        One multi-source Dijkstra (scipy ``min_only=True``) on the reversed graph.
    """
    n = net.n_nodes
    dests = np.unique(np.asarray(dest_nodes, dtype=np.int64))
    if dests.size and (dests[0] < 0 or dests[-1] >= n):
        raise ValueError(f"dest_nodes must be node numbers in [0, {n})")
    tail, head, weight, edges = _cheapest_edges(net, weight_s, usable)
    time_s = np.full(n, np.inf)
    next_node = np.full(n, -1, dtype=np.int32)
    dest_of = np.full(n, -1, dtype=np.int32)
    next_edge = np.full(n, -1, dtype=np.int32)
    if dests.size:
        reverse = _matrix(n, head, tail, weight)
        time_s, pred, src = dijkstra(
            reverse, directed=True, indices=dests, return_predecessors=True, min_only=True
        )
        reached = np.isfinite(time_s)
        dest_of[reached] = src[reached]
        has_next = pred >= 0
        next_node[has_next] = pred[has_next]
        next_edge[has_next] = _edge_between(
            tail, head, edges, np.flatnonzero(has_next), pred[has_next], n
        )
    return RouteTree(dests.astype(np.int32), time_s, next_edge, dest_of, next_node)


def _edge_between(
    tail: np.ndarray, head: np.ndarray, edges: np.ndarray, u: np.ndarray, v: np.ndarray, n: int
) -> np.ndarray:
    """The edge kept for each pair (u -> v); pairs are sorted by (tail, head) already."""
    keys = tail.astype(np.int64) * n + head
    pos = np.searchsorted(keys, u.astype(np.int64) * n + v)
    return edges[pos].astype(np.int32)


def path_edges(tree: RouteTree, origin_node: int) -> np.ndarray:
    """Edges of the fastest route from ``origin_node`` to its destination, in travel order.

    Raises
    ------
    NoRouteError
        If no destination can be reached from ``origin_node``.
    """
    if tree.dest_of[origin_node] < 0:
        raise NoRouteError(f"node {origin_node}: no destination of the route tree is reachable")
    path: list[int] = []
    node = int(origin_node)
    for _ in range(tree.next_node.size):
        if tree.next_edge[node] < 0:
            return np.asarray(path, dtype=np.int32)
        path.append(int(tree.next_edge[node]))
        node = int(tree.next_node[node])
    raise RuntimeError("route tree has a cycle")  # a bug, not bad input


def travel_time_matrix(
    net: RoadNetwork,
    origins: npt.ArrayLike,
    dests: npt.ArrayLike,
    *,
    weight_s: npt.ArrayLike,
    usable: npt.ArrayLike,
) -> np.ndarray:
    """Fastest travel time from each origin to each destination, s (inf if unreachable).

    Runs one Dijkstra per origin on the graph, or one per destination on the reversed graph,
    whichever is fewer.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(origins), len(dests))``.
    """
    orig = np.asarray(origins, dtype=np.int64)
    dest = np.asarray(dests, dtype=np.int64)
    if orig.size == 0 or dest.size == 0:
        return np.full((orig.size, dest.size), np.inf)
    tail, head, weight, _ = _cheapest_edges(net, weight_s, usable)
    n = net.n_nodes
    if orig.size <= dest.size:
        uniq, inv = np.unique(orig, return_inverse=True)
        dist = dijkstra(_matrix(n, tail, head, weight), directed=True, indices=uniq)
        return np.asarray(dist[inv][:, dest], dtype=np.float64)
    uniq, inv = np.unique(dest, return_inverse=True)
    dist = dijkstra(_matrix(n, head, tail, weight), directed=True, indices=uniq)
    return np.asarray(dist[inv][:, orig].T, dtype=np.float64)
