"""Synthetic grid city for the traffic benchmark (no evacsim.network needed).

A 100 x 100 node grid, 100 m blocks (node ``r * 100 + c``):

* every row is a two-way street: 100 rows x 99 blocks x 2 = 19,800 links; every 10th row
  (``r % 10 == 0``) is a 2-lane arterial at 60 km/h, the others 1 lane at 40 km/h;
* every 10th column (``c % 10 == 0``) is a two-way 2-lane arterial at 60 km/h:
  10 x 99 x 2 = 1,980 links;
* the other 90 columns are one-way 1-lane streets at 40 km/h, alternating north / south:
  90 x 99 = 8,910 links.

Total 30,690 directed links, strongly connected. Capacity 1800 veh/h/lane (0.5 veh/s/lane),
storage lanes x 100 m / 7.5 m per vehicle (DESIGN.md). 13 destinations spread evenly along the
perimeter (the exits of the area). One route table: next hop toward the nearest destination by
free-flow time (one multi-source Dijkstra on the reversed graph, scipy.sparse.csgraph).
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

__all__ = ["GridCity", "grid_city"]

SIDE = 100
BLOCK_M = 100.0
VEH_M = 7.5
LANE_CAP_PER_S = 0.5


class GridCity:
    """Arrays of the grid city: links, destinations and the next-link table."""

    def __init__(
        self,
        tail: np.ndarray,
        head: np.ndarray,
        freeflow_s: np.ndarray,
        capacity_per_s: np.ndarray,
        storage_units: np.ndarray,
        dest_nodes: np.ndarray,
        next_link: np.ndarray,
    ) -> None:
        self.tail, self.head = tail, head
        self.freeflow_s, self.capacity_per_s, self.storage_units = (
            freeflow_s,
            capacity_per_s,
            storage_units,
        )
        self.dest_nodes, self.next_link = dest_nodes, next_link
        self.n_nodes = SIDE * SIDE


def _links() -> tuple[list[int], list[int], list[int], list[float]]:
    tail: list[int] = []
    head: list[int] = []
    lanes: list[int] = []
    speed_kph: list[float] = []

    def add(u: int, v: int, n_lanes: int, kph: float) -> None:
        tail.append(u)
        head.append(v)
        lanes.append(n_lanes)
        speed_kph.append(kph)

    for r in range(SIDE):
        art = r % 10 == 0
        for c in range(SIDE - 1):
            u, v = r * SIDE + c, r * SIDE + c + 1
            add(u, v, 2 if art else 1, 60.0 if art else 40.0)
            add(v, u, 2 if art else 1, 60.0 if art else 40.0)
    for c in range(SIDE):
        for r in range(SIDE - 1):
            u, v = r * SIDE + c, (r + 1) * SIDE + c
            if c % 10 == 0:
                add(u, v, 2, 60.0)
                add(v, u, 2, 60.0)
            elif c % 2 == 0:
                add(u, v, 1, 40.0)
            else:
                add(v, u, 1, 40.0)
    return tail, head, lanes, speed_kph


def _perimeter_nodes(n: int) -> np.ndarray:
    ring = (
        [c for c in range(SIDE)]
        + [r * SIDE + SIDE - 1 for r in range(1, SIDE)]
        + [(SIDE - 1) * SIDE + c for c in range(SIDE - 2, -1, -1)]
        + [r * SIDE for r in range(SIDE - 2, 0, -1)]
    )
    idx = np.round(np.arange(n) * len(ring) / n).astype(int)
    return np.array([ring[i] for i in idx], dtype=np.int64)


def grid_city(n_dest: int = 13) -> GridCity:
    """Build the grid city and its nearest-destination next-link table."""
    tail_l, head_l, lanes_l, kph_l = _links()
    tail, head = np.array(tail_l), np.array(head_l)
    lanes = np.array(lanes_l, dtype=float)
    ff = BLOCK_M / (np.array(kph_l) / 3.6)
    cap = lanes * LANE_CAP_PER_S
    storage = np.floor(lanes * BLOCK_M / VEH_M)
    n = SIDE * SIDE
    dest = _perimeter_nodes(n_dest)
    # reversed graph: distance from every node to its nearest destination
    rev = csr_matrix((ff, (head, tail)), shape=(n, n))
    _dist, pred = dijkstra(rev, indices=dest, min_only=True, return_predecessors=True)[:2]
    link_of = csr_matrix((np.arange(len(tail)) + 1, (tail, head)), shape=(n, n))
    next_link = np.full(n, -1, dtype=np.int64)
    has = pred >= 0
    nodes = np.flatnonzero(has)
    next_link[nodes] = np.asarray(link_of[nodes, pred[nodes]]).ravel() - 1
    return GridCity(tail, head, ff, cap, storage, dest, next_link)
