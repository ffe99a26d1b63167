"""Road pieces: the parts of each mode's network that no road joins to each other.

Every real extract has some: a car park whose exit was cut by the extract's edge, a footpath
along a river, a bridge drawn without its ramps. A household or a facility on a piece apart from
the main one can only reach what lies on the same piece, which changes the plan (a bus depot
that reaches no assembly point, an assembly point that reaches no shelter). :func:`road_pieces`
lists, for the driving and the walking network, each piece other than the largest that holds
people or facilities: its size, the facilities on it and the grids whose homes are on it.

A piece is a weakly connected component of the mode's edges (one-way streets do not split it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from evacsim.area.layers import Area
from evacsim.network.graph import RoadNetwork
from evacsim.network.snap import SnappedArea

__all__ = ["PIECE_COLUMNS", "RoadPieces", "road_pieces"]

PIECE_COLUMNS = ("network", "piece", "nodes", "road_m", "facilities", "grids", "persons")
"""Columns of :attr:`RoadPieces.table`."""

_NETWORKS = {"driving": "car", "walking": "walk"}
_FACILITY_LAYERS = ("assembly_points", "shelters", "supply_points", "team_bases")


@dataclass(frozen=True, eq=False)
class RoadPieces:
    """The road pieces of an area that matter.

    Attributes
    ----------
    table
        One row per piece apart from the main one that holds people or facilities:
        ``network`` (``driving``, ``walking``, or ``driving and walking`` when both networks
        have the very same piece), ``piece`` (2 = second largest, ...), ``nodes``,
        ``road_m`` (length of its roads, m), ``facilities`` and ``grids`` (``;``-joined ids),
        ``persons`` (the grids' population of the period, shared by their homes on the piece).
    counts
        Per network, how many pieces it has in all.
    warnings
        One line per row of ``table``.
    """

    table: pd.DataFrame
    counts: dict[str, int]
    warnings: tuple[str, ...]


def _components(net: RoadNetwork, edges: np.ndarray) -> np.ndarray:
    """Piece of each node on the mode's edges (0 = largest, then by size; -1: no such edge)."""
    n = net.n_nodes
    tail, head = net.edge_tail[edges], net.edge_head[edges]
    matrix = coo_array((np.ones(edges.size), (tail, head)), shape=(n, n)).tocsr()
    _, labels = connected_components(matrix, directed=True, connection="weak")
    used = np.zeros(n, dtype=bool)
    used[tail] = used[head] = True
    sizes = np.bincount(labels[used], minlength=labels.max() + 1)
    rank = np.full(sizes.size, -1)
    order = np.lexsort((np.arange(sizes.size), -sizes))
    kept = order[sizes[order] > 0]
    rank[kept] = np.arange(kept.size)
    return np.where(used, rank[labels], -1)


def _grid_shares(net: RoadNetwork, area: Area, nodes: np.ndarray, piece: np.ndarray) -> np.ndarray:
    """Grids × pieces: share of each grid's homes (its nodes of the mode) on each piece."""
    n_pieces = int(piece.max()) + 1 if piece.size else 0
    geoms = np.asarray(area.grids.geometry.values, dtype=object)
    out = np.zeros((len(geoms), max(n_pieces, 1)))
    cand = np.flatnonzero(piece >= 0)
    tree = shapely.STRtree(np.asarray(shapely.points(net.node_x_m[cand], net.node_y_m[cand])))
    grid_idx, hit = tree.query(geoms, predicate="contains")
    np.add.at(out, (grid_idx, piece[cand[hit]]), 1.0)
    empty = out.sum(axis=1) == 0  # no node inside: the grid's nearest node stands for it
    for i in np.flatnonzero(empty & (nodes >= 0)).tolist():
        out[i, piece[nodes[i]]] = 1.0
    return out / np.maximum(out.sum(axis=1, keepdims=True), 1.0)


def road_pieces(area: Area, net: RoadNetwork, snapped: SnappedArea, *, period: str) -> RoadPieces:
    """The pieces of the driving and walking networks apart from the main one that hold people
    (the ``population_<period>`` of grids with homes there) or facilities."""
    rows: list[dict[str, Any]] = []
    node_sets: list[frozenset[int]] = []
    counts: dict[str, int] = {}
    population = area.grids[f"population_{period}"].to_numpy(float)
    grid_ids = area.grids["id"].astype(str).to_numpy()
    for name, mode in _NETWORKS.items():
        edges = np.flatnonzero(net.drivable if mode == "car" else net.walkable)
        piece = _components(net, edges)
        counts[name] = int(piece.max()) + 1 if edges.size else 0
        if counts[name] <= 1:
            continue
        node_of = {"car": "car_node", "walk": "walk_node"}[mode]
        facilities: dict[int, list[str]] = {}
        for layer in _FACILITY_LAYERS:
            sl = getattr(snapped, layer)
            for fid, node in zip(sl.ids, getattr(sl, node_of), strict=True):
                if node >= 0 and piece[node] > 0:
                    facilities.setdefault(int(piece[node]), []).append(str(fid))
        shares = _grid_shares(net, area, getattr(snapped.grids, node_of), piece)
        length = (
            pd.Series(net.length_m[edges])
            .groupby([piece[net.edge_tail[edges]], net.edge_road_id[edges]])
            .first()
        )  # a two-way road counts once
        road_m = length.groupby(level=0).sum()
        for p in range(1, counts[name]):
            held = (shares[:, p] > 0) & (population > 0)
            if not held.any() and p not in facilities:
                continue
            persons = round(float((shares[held, p] * population[held]).sum()))
            row = {
                "network": name, "piece": p + 1, "nodes": int((piece == p).sum()),
                "road_m": round(float(road_m.get(p, 0.0)), 1),
                "facilities": ";".join(facilities.get(p, [])),
                "grids": ";".join(grid_ids[held]), "persons": persons,
            }  # fmt: skip
            nodes = frozenset(np.flatnonzero(piece == p).tolist())
            if nodes in node_sets:  # the walking network has the driving network's piece
                rows[node_sets.index(nodes)]["network"] = "driving and walking"
                continue
            rows.append(row)
            node_sets.append(nodes)
    table = pd.DataFrame(rows, columns=list(PIECE_COLUMNS))
    return RoadPieces(table=table, counts=counts, warnings=tuple(_line(r) for r in rows))


def _line(row: dict[str, Any]) -> str:
    holds = []
    if row["facilities"]:
        holds.append(f"facilities {str(row['facilities']).replace(';', ', ')}")
    if row["grids"]:
        grids = str(row["grids"]).replace(";", ", ")
        holds.append(f"homes of grids {grids} (about {row['persons']} persons)")
    return (
        f"{row['network']} network{'s' if row['network'] == 'driving and walking' else ''}: "
        f"road piece {row['piece']} is apart from the main one "
        f"({row['nodes']} nodes, {float(row['road_m']):,.0f} m of road) and holds "
        f"{'; '.join(holds)}: they can reach only what lies on the same piece"
    )
