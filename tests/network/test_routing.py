"""Routing trees and travel-time matrices against networkx on random graphs, and the tiny area."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from evacsim.errors import NoRouteError
from evacsim.network.graph import RoadNetwork
from evacsim.network.routing import (
    car_weights,
    path_edges,
    route_tree,
    travel_time_matrix,
    walk_weights,
)


def bare_network(n_nodes: int, tail: np.ndarray, head: np.ndarray) -> RoadNetwork:
    """A RoadNetwork with only topology filled in (routing reads nothing else)."""
    m = tail.size
    zeros = np.zeros(m)
    return RoadNetwork(
        crs=None,  # type: ignore[arg-type]
        node_x_m=np.zeros(n_nodes),
        node_y_m=np.zeros(n_nodes),
        edge_tail=tail.astype(np.int32),
        edge_head=head.astype(np.int32),
        length_m=np.ones(m),
        speed_kph=np.full(m, 36.0),
        lanes=np.ones(m),
        capacity_vph=zeros,
        storage_veh=zeros,
        travel_time_s=np.full(m, 0.1),
        drivable=np.ones(m, dtype=bool),
        walkable=np.ones(m, dtype=bool),
        walk_capacity_pps=zeros,
        walk_time_s=np.ones(m) / 1.2,
        walk_storage_persons=zeros,
        edge_road_id=np.array([f"R-{k}" for k in range(m)], dtype=object),
        edge_name=np.full(m, None, dtype=object),
        edge_highway=np.full(m, "residential", dtype=object),
        edge_geometry=np.full(m, None, dtype=object),
    )


def random_case(seed: int) -> tuple[RoadNetwork, np.ndarray, np.ndarray]:
    """A random multigraph with parallel edges, self-loops, zero-weight and unusable edges."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 60))
    m = int(rng.integers(n, 4 * n))
    tail = rng.integers(0, n, m)
    head = rng.integers(0, n, m)
    dup = rng.integers(0, m, m // 5)  # parallel copies with other weights
    tail, head = np.concatenate([tail, tail[dup]]), np.concatenate([head, head[dup]])
    weight = rng.uniform(0.0, 100.0, tail.size).round(1)
    weight[rng.random(tail.size) < 0.05] = 0.0
    usable = rng.random(tail.size) > 0.2
    return bare_network(n, tail, head), weight, usable


def nx_graph(net: RoadNetwork, weight: np.ndarray, usable: np.ndarray) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(range(net.n_nodes))
    for e in np.flatnonzero(usable):
        u, v, w = int(net.edge_tail[e]), int(net.edge_head[e]), float(weight[e])
        if not g.has_edge(u, v) or g[u][v]["w"] > w:
            g.add_edge(u, v, w=w)
    return g


@pytest.mark.parametrize("seed", range(25))
def test_route_tree_matches_networkx(seed: int) -> None:
    net, weight, usable = random_case(seed)
    rng = np.random.default_rng(1000 + seed)
    dests = rng.choice(net.n_nodes, size=int(rng.integers(1, 4)), replace=False)
    tree = route_tree(net, dests, weight_s=weight, usable=usable)
    expected = nx.multi_source_dijkstra_path_length(
        nx_graph(net, weight, usable).reverse(), set(dests.tolist()), weight="w"
    )
    for node in range(net.n_nodes):
        if node not in expected:
            assert tree.time_s[node] == np.inf and tree.dest_of[node] == -1
            with pytest.raises(NoRouteError):
                path_edges(tree, node)
            continue
        assert tree.time_s[node] == pytest.approx(expected[node], abs=1e-6)
        path = path_edges(tree, node)
        assert usable[path].all()
        assert weight[path].sum() == pytest.approx(expected[node], abs=1e-6)
        end = node if path.size == 0 else int(net.edge_head[path[-1]])
        assert end == tree.dest_of[node] and end in dests
        if path.size:
            assert net.edge_tail[path[0]] == node
            assert (net.edge_tail[path[1:]] == net.edge_head[path[:-1]]).all()


@pytest.mark.parametrize("seed", range(10))
def test_travel_time_matrix_matches_networkx(seed: int) -> None:
    net, weight, usable = random_case(seed)
    g = nx_graph(net, weight, usable)
    rng = np.random.default_rng(seed)
    for n_orig, n_dest in ((2, 5), (6, 2)):  # both branches: forward and reversed Dijkstra
        origins = rng.integers(0, net.n_nodes, n_orig)
        dests = rng.integers(0, net.n_nodes, n_dest)
        got = travel_time_matrix(net, origins, dests, weight_s=weight, usable=usable)
        assert got.shape == (n_orig, n_dest)
        for i, o in enumerate(origins):
            lengths = nx.single_source_dijkstra_path_length(g, int(o), weight="w")
            want = [lengths.get(int(d), np.inf) for d in dests]
            assert got[i] == pytest.approx(want, abs=1e-6)


def test_cheapest_usable_parallel_edge_is_taken() -> None:
    # 0 -> 1 three times: weights 5 (usable), 1 (closed), 3 (usable); the tree takes edge 2.
    net = bare_network(2, np.array([0, 0, 0]), np.array([1, 1, 1]))
    tree = route_tree(
        net, [1], weight_s=np.array([5.0, 1.0, 3.0]), usable=np.array([True, False, True])
    )
    assert tree.time_s.tolist() == [3.0, 0.0]
    assert tree.next_edge.tolist() == [2, -1]
    assert path_edges(tree, 0).tolist() == [2]


def test_nearest_destination_wins_and_empty_destinations() -> None:
    # path 0 - 1 - 2 - 3 both ways, unit weights; destinations 0 and 3
    tail = np.array([0, 1, 1, 2, 2, 3])
    head = np.array([1, 0, 2, 1, 3, 2])
    net = bare_network(4, tail, head)
    w, ok = np.ones(6), np.ones(6, dtype=bool)
    tree = route_tree(net, [3, 0, 3], weight_s=w, usable=ok)
    assert tree.dest_nodes.tolist() == [0, 3]
    assert tree.time_s.tolist() == [0.0, 1.0, 1.0, 0.0]
    assert tree.dest_of.tolist() == [0, 0, 3, 3]
    empty = route_tree(net, [], weight_s=w, usable=ok)
    assert np.isinf(empty.time_s).all() and (empty.next_edge == -1).all()
    with pytest.raises(ValueError, match="node numbers"):
        route_tree(net, [7], weight_s=w, usable=ok)
    with pytest.raises(ValueError, match="one value per edge"):
        route_tree(net, [0], weight_s=w[:3], usable=ok)


def test_weights_helpers(tiny_network: RoadNetwork) -> None:
    w, ok = car_weights(tiny_network)
    assert w is tiny_network.travel_time_s and ok is tiny_network.drivable
    w, ok = walk_weights(tiny_network, speed_mps=0.6)
    assert w == pytest.approx(tiny_network.walk_time_s * 2.0)
    assert ok is tiny_network.walkable


def test_tiny_area_car_route_uses_the_bridge(tiny_network: RoadNetwork) -> None:
    net = tiny_network
    bridge = np.flatnonzero(net.edge_road_id == "R-0014")
    start = int(net.edge_tail[bridge[0]])
    end = int(net.edge_head[bridge[0]])
    weight, usable = car_weights(net)
    tree = route_tree(net, [end], weight_s=weight, usable=usable)
    assert path_edges(tree, start).tolist() == [int(bridge[0])]
    # on foot the bridge is also the shortest way (436 m against 194 + 194 + 200 m)
    walk = route_tree(net, [end], weight_s=net.walk_time_s, usable=net.walkable)
    assert walk.time_s[start] == pytest.approx(net.length_m[bridge[0]] / 1.2)
