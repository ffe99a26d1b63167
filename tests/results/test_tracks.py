"""Timed vertices of many paths at once, against a one-edge-at-a-time reference and by hand."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
import shapely
from shapely.geometry import LineString

from evacsim.network.graph import RoadNetwork
from evacsim.results.tracks import path_vertices, sequential_sums, timed_lines


def reference(
    net: RoadNetwork, edges: np.ndarray, t_in: np.ndarray, t_out: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One path, one edge at a time, straight from the definition: time linear in the distance
    along each edge; a vertex two edges share kept once when passed at one time."""
    xys: list[np.ndarray] = []
    ts: list[np.ndarray] = []
    for e, t0, t1 in zip(edges, t_in, t_out, strict=True):
        xy = shapely.get_coordinates(net.edge_geometry[e])
        along = np.r_[0.0, np.cumsum(np.hypot(*np.diff(xy, axis=0).T))]
        t = t0 + along / max(along[-1], 1e-9) * (t1 - t0)
        if xys and np.array_equal(xys[-1][-1], xy[0]) and ts[-1][-1] == t[0]:
            xy, t = xy[1:], t[1:]
        xys.append(xy)
        ts.append(t)
    return np.vstack(xys), np.concatenate(ts)


def test_one_path_by_hand() -> None:
    # two edges: a 3-4-5 bend (5 m then 5 m more) and a straight 10 m on, driven 0-10 s, 10-30 s
    geoms = np.array([LineString([(0, 0), (3, 4), (6, 8)]), LineString([(6, 8), (16, 8)])])
    net = SimpleNamespace(edge_geometry=geoms)
    xy, t_s, bounds = timed_lines(
        net, np.array([0, 1]), np.array([0.0, 10.0]), np.array([10.0, 30.0])
    )
    assert xy.tolist() == [[0, 0], [3, 4], [6, 8], [16, 8]]
    assert t_s.tolist() == [0.0, 5.0, 10.0, 30.0]
    assert bounds.tolist() == [0, 4]
    # a wait at the joint (entered the second edge at 12 s): the joint twice, once per time
    xy, t_s, _ = timed_lines(net, np.array([0, 1]), np.array([0.0, 12.0]), np.array([10.0, 32.0]))
    assert xy.tolist() == [[0, 0], [3, 4], [6, 8], [6, 8], [16, 8]]
    assert t_s.tolist() == [0.0, 5.0, 10.0, 12.0, 32.0]


def test_many_paths_match_the_reference(tiny_network: RoadNetwork) -> None:
    rng = np.random.default_rng(7)
    net = tiny_network
    paths = []
    for _ in range(40):
        walk = [int(rng.integers(net.n_edges))]
        for _ in range(int(rng.integers(1, 12))):
            nxt = np.flatnonzero(net.edge_tail == net.edge_head[walk[-1]])
            if not len(nxt):
                break
            walk.append(int(rng.choice(nxt)))
        stay = rng.uniform(1.0, 60.0, len(walk))
        wait = np.where(rng.random(len(walk)) < 0.3, rng.uniform(0.0, 30.0, len(walk)), 0.0)
        t_in = 100.0 + np.cumsum(np.r_[0.0, (stay + wait)[:-1]]) + wait
        paths.append((np.array(walk), t_in, t_in + stay))
    edges, t_in, t_out = (np.concatenate([p[k] for p in paths]) for k in range(3))
    starts = np.cumsum([0] + [len(p[0]) for p in paths[:-1]])
    xy, t_s, bounds = timed_lines(net, edges, t_in, t_out, starts)
    assert len(bounds) == len(paths) + 1
    for k, (e, a, b) in enumerate(paths):
        want_xy, want_t = reference(net, e, a, b)
        np.testing.assert_array_equal(xy[bounds[k] : bounds[k + 1]], want_xy)
        np.testing.assert_allclose(t_s[bounds[k] : bounds[k + 1]], want_t, rtol=1e-12)
        np.testing.assert_array_equal(path_vertices(net, e)[[0, -1]], want_xy[[0, -1]])


def test_no_edges() -> None:
    net = SimpleNamespace(edge_geometry=np.array([LineString([(0, 0), (1, 0)])]))
    xy, t_s, bounds = timed_lines(net, np.zeros(0, int), np.zeros(0), np.zeros(0))
    assert xy.shape == (0, 2) and t_s.shape == (0,) and bounds.tolist() == [0]


@pytest.mark.parametrize("seed", range(5))
def test_sequential_sums_add_left_to_right(seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.0, 1000.0, 300) * 10.0 ** rng.integers(-8, 8, 300)
    starts = np.flatnonzero(np.r_[True, rng.random(299) < 0.1])
    ends = np.append(starts[1:], len(values))
    want = []
    for a, b in zip(starts, ends, strict=True):
        total = 0.0
        for v in values[a:b].tolist():
            total += v
        want.append(total)
    assert sequential_sums(values, starts).tolist() == want
    assert math.isclose(sum(want), float(values.sum()), rel_tol=1e-9)
