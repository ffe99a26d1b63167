"""Timed vertices of many paths at once: where a vehicle or group was, and when, along its edges.

A run's outputs draw thousands of paths (each group's route, each bus leg, each team task) as
vertices with the time each was passed. Walking them one edge at a time in Python was most of the
outputs' time in a district, so :func:`timed_lines` does every path in a handful of array
operations over the network's vertices (:func:`edge_vertices`, computed once per network).

Within an edge the time runs linearly with the distance along its geometry, from the time the
path entered it to the time it left; a vertex shared by two consecutive edges is kept once when
it was passed at one time (a wait there shows as two vertices at the same place).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

__all__ = ["EdgeVertices", "edge_vertices", "path_vertices", "sequential_sums", "timed_lines"]


@dataclass(frozen=True)
class EdgeVertices:
    """Every edge's vertices, concatenated in edge order.

    ``xy[first[e]:first[e + 1]]`` are edge ``e``'s vertices (network CRS, m) and ``share`` the
    fraction of the edge's length at each (0 at its start, 1 at its end).
    """

    xy: np.ndarray
    first: np.ndarray
    share: np.ndarray


_BY_NETWORK: weakref.WeakKeyDictionary[Any, EdgeVertices] = weakref.WeakKeyDictionary()


def edge_vertices(net: Any) -> EdgeVertices:
    """The network's :class:`EdgeVertices` (computed on first use, then kept with the network)."""
    try:
        return _BY_NETWORK[net]
    except KeyError:
        pass
    except TypeError:  # a network-like object that cannot be weakly referenced
        return _edge_vertices(net)
    _BY_NETWORK[net] = found = _edge_vertices(net)
    return found


def _edge_vertices(net: Any) -> EdgeVertices:
    xy, owner = shapely.get_coordinates(net.edge_geometry, return_index=True)
    counts = np.bincount(owner, minlength=len(net.edge_geometry))
    first = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    share = np.zeros(len(xy))
    for lo, hi in zip(first[:-1].tolist(), first[1:].tolist(), strict=True):
        if hi - lo < 2:
            continue
        seg = np.hypot(*np.diff(xy[lo:hi], axis=0).T)
        # exactly the arithmetic of one edge at a time: the times are written out to the
        # last digit, and a run's files do not change with how they are computed
        share[lo:hi] = np.r_[0.0, np.cumsum(seg)] / max(float(seg.sum()), 1e-9)
    return EdgeVertices(xy=xy, first=first, share=share)


def _vertex_rows(ev: EdgeVertices, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For edges in a row: each of their vertices (index into ``ev``), the row it belongs to,
    and each row's first position among them."""
    lo = ev.first[edges]
    counts = ev.first[edges + 1] - lo
    row = np.repeat(np.arange(edges.size), counts)
    at = np.cumsum(counts) - counts
    return lo[row] + np.arange(row.size) - at[row], row, at


def path_vertices(net: Any, edges: np.ndarray) -> np.ndarray:
    """The vertices of ``edges`` one after the other, ``(n, 2)`` (network CRS, m; a vertex two
    edges share appears twice)."""
    ev = edge_vertices(net)
    vertex, _, _ = _vertex_rows(ev, np.asarray(edges, dtype=np.int64))
    return ev.xy[vertex]


def timed_lines(
    net: Any,
    edges: np.ndarray,
    t_enter_s: np.ndarray,
    t_exit_s: np.ndarray,
    starts: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Paths through the network as vertices with the time each was passed.

    Parameters
    ----------
    net
        The :class:`~evacsim.network.graph.RoadNetwork`.
    edges, t_enter_s, t_exit_s
        One row per edge driven or walked, each path's rows consecutive and in travel order,
        with the times (s since the incident) the edge was entered and left.
    starts
        The row where each path begins (increasing, the first 0); by default one path.

    Returns
    -------
    xy, t_s, bounds
        ``(n, 2)`` vertices (network CRS, m) and ``(n,)`` times of every path one after the
        other; path ``k``'s are ``xy[bounds[k]:bounds[k + 1]]``.
    """
    ev = edge_vertices(net)
    edges = np.asarray(edges, dtype=np.int64)
    t_in, t_out = np.asarray(t_enter_s, dtype=float), np.asarray(t_exit_s, dtype=float)
    starts = np.zeros(min(1, edges.size), np.int64) if starts is None else np.asarray(starts)
    vertex, row, at = _vertex_rows(ev, edges)
    counts = np.diff(np.append(at, row.size))
    xy = ev.xy[vertex]
    t_s = t_in[row] + ev.share[vertex] * (t_out - t_in)[row]
    keep = np.ones(row.size, dtype=bool)
    joins = np.ones(edges.size, dtype=bool)
    joins[starts] = False
    joins &= (counts > 0) & (np.concatenate([[0], counts[:-1]]) > 0)
    head = at[joins]  # a row's first vertex, dropped when it repeats the row before's last
    keep[head] = ~(np.all(xy[head] == xy[head - 1], axis=1) & (t_s[head] == t_s[head - 1]))
    path = np.zeros(edges.size, dtype=np.int64)
    if edges.size:
        path[starts[1:]] = 1
        path = np.cumsum(path)
    kept_per_path = np.bincount(path[row[keep]], minlength=len(starts))
    bounds = np.concatenate([[0], np.cumsum(kept_per_path)]).astype(np.int64)
    return xy[keep], t_s[keep], bounds


def sequential_sums(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Sums of the runs of ``values`` beginning at ``starts`` (increasing, the first 0), each
    added left to right as a loop would (numpy's own sums pair terms, which can differ in the
    last digit)."""
    values = np.asarray(values, dtype=float)
    if not len(starts):
        return np.zeros(0)
    ends = np.append(np.asarray(starts[1:], dtype=np.int64), values.size)
    sums = values[starts].copy()
    for k in range(1, int((ends - starts).max())):
        more = ends - starts > k
        sums[more] += values[starts[more] + k]
    return sums
