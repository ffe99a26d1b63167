"""Snapping an area's points and grids to the road network (shapely STRtree), with every problem
collected before raising.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from evacsim.area.layers import Area, summarize_problems
from evacsim.errors import NetworkError
from evacsim.network.graph import RoadNetwork

__all__ = [
    "SnapError",
    "SnappedArea",
    "SnappedLayer",
    "node_components",
    "snap_area",
    "snap_points",
]

logger = logging.getLogger(__name__)


class SnapError(NetworkError):
    """A :class:`~evacsim.errors.NetworkError` carrying every snapping problem in ``.problems``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__(summarize_problems(self.problems))


# --- snapping ------------------------------------------------------------------------------------


def _node_points(net: RoadNetwork, nodes: np.ndarray) -> np.ndarray:
    return np.asarray(shapely.points(net.node_x_m[nodes], net.node_y_m[nodes]))


def snap_points(
    net: RoadNetwork, points: gpd.GeoSeries, *, mode: str = "walk"
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest network node of each point, among nodes usable in ``mode``.

    Parameters
    ----------
    net
        The network.
    points
        Point geometries (other geometries use their representative point); reprojected to
        ``net.crs`` if they carry another CRS.
    mode
        ``"walk"``, ``"car"`` or ``"any"``: only nodes touched by a walkable / drivable / any edge.

    Returns
    -------
    node_idx, dist_m
        ``int32`` node numbers (-1 if the mode has no node) and straight-line distances in metres
        (inf if none). Ties go to the lowest node number.
    """
    if points.crs is not None and not points.crs.equals(net.crs):
        points = points.to_crs(net.crs)
    geoms = np.asarray(points.values)
    geoms = np.where(shapely.get_type_id(geoms) == 0, geoms, shapely.point_on_surface(geoms))
    candidates = np.flatnonzero(net.usable_nodes(mode))
    node_idx = np.full(len(geoms), -1, dtype=np.int32)
    dist = np.full(len(geoms), np.inf)
    if candidates.size == 0 or len(geoms) == 0:
        return node_idx, dist
    tree = shapely.STRtree(_node_points(net, candidates))
    (inp, hit), d = tree.query_nearest(geoms, return_distance=True, all_matches=True)
    order = np.lexsort((candidates[hit], inp))  # per input, the lowest node number first
    inp, hit, d = inp[order], hit[order], d[order]
    first = np.ones(inp.size, dtype=bool)
    first[1:] = inp[1:] != inp[:-1]
    node_idx[inp[first]] = candidates[hit[first]]
    dist[inp[first]] = d[first]
    return node_idx, dist


@dataclass(frozen=True, eq=False)
class SnappedLayer:
    """Nearest nodes of a layer's features, in the layer's row order (sorted by id)."""

    ids: np.ndarray
    walk_node: np.ndarray
    walk_dist_m: np.ndarray
    car_node: np.ndarray
    car_dist_m: np.ndarray
    any_node: np.ndarray
    any_dist_m: np.ndarray


@dataclass(frozen=True, eq=False)
class SnappedArea:
    """Where each grid and facility of an area joins the road network.

    Grids join at the node nearest their representative point (a point inside the polygon).
    ``node_component`` numbers the weakly connected components of the walk+drive graph, 0 being
    the largest.
    """

    grids: SnappedLayer
    assembly_points: SnappedLayer
    shelters: SnappedLayer
    supply_points: SnappedLayer
    team_bases: SnappedLayer
    hazard_sources: SnappedLayer
    node_component: np.ndarray
    warnings: tuple[str, ...]


def node_components(net: RoadNetwork) -> np.ndarray:
    """Weakly connected component of each node (walk + drive edges), 0 = largest, then by size."""
    n = net.n_nodes
    matrix = coo_array((np.ones(net.n_edges), (net.edge_tail, net.edge_head)), shape=(n, n)).tocsr()
    _, labels = connected_components(matrix, directed=True, connection="weak")
    sizes = np.bincount(labels)
    rank = np.empty_like(sizes)
    rank[np.lexsort((np.arange(sizes.size), -sizes))] = np.arange(sizes.size)
    return rank[labels].astype(np.int32)


def _snap_layer(net: RoadNetwork, gdf: gpd.GeoDataFrame) -> SnappedLayer:
    geoms = gdf.geometry
    walk = snap_points(net, geoms, mode="walk")
    car = snap_points(net, geoms, mode="car")
    anyn = snap_points(net, geoms, mode="any")
    return SnappedLayer(gdf["id"].to_numpy(dtype=object), *walk, *car, *anyn)


_FACILITY_LAYERS = ("assembly_points", "shelters", "supply_points", "team_bases")


def snap_area(area: Area, net: RoadNetwork, *, max_snap_m: float = 300.0) -> SnappedArea:
    """Snap every grid and facility of ``area`` to ``net`` and check they can be reached.

    Parameters
    ----------
    area
        A loaded area (same CRS as ``net``).
    net
        Its road network.
    max_snap_m
        A facility farther than this from every node, or a populated grid whose polygon is farther
        than this from every node, is an error.

    Returns
    -------
    SnappedArea
        Node numbers and distances per layer, and warnings (facilities farther than
        ``max_snap_m`` from the nodes of one mode; road pieces apart from the main one are
        reported by :func:`evacsim.network.pieces.road_pieces`).

    Raises
    ------
    SnapError
        (a :class:`~evacsim.errors.NetworkError`) naming layer and feature id for each unreachable
        facility or grid; ``.problems`` has them all.
    """
    layers = {
        n: _snap_layer(net, area.layer(n)) for n in (*_FACILITY_LAYERS, "grids", "hazard_sources")
    }
    comp = node_components(net)
    problems: list[str] = []
    warnings: list[str] = []
    for name in _FACILITY_LAYERS:
        _check_facilities(name, layers[name], comp, max_snap_m, problems, warnings)
    _check_grids(
        area, net, layers["grids"], layers["assembly_points"], comp, max_snap_m, problems, warnings
    )
    if problems:
        raise SnapError(problems)
    for text in warnings:
        logger.warning("%s", text)
    return SnappedArea(node_component=comp, warnings=tuple(warnings), **layers)


def _check_facilities(
    name: str,
    snapped: SnappedLayer,
    comp: np.ndarray,
    max_snap_m: float,
    problems: list[str],
    warnings: list[str],
) -> None:
    for k, fid in enumerate(snapped.ids):
        where = f"layer '{name}', feature '{fid}'"
        dist = snapped.any_dist_m[k]
        if dist > max_snap_m:
            problems.append(
                f"{where}: is {dist:.0f} m from the nearest road (limit {max_snap_m:.0f} m)"
            )
            continue
        for mode, d in (("walking", snapped.walk_dist_m[k]), ("driving", snapped.car_dist_m[k])):
            if d > max_snap_m:
                warnings.append(f"{where}: is {d:.0f} m from the nearest {mode} road")


def _check_grids(
    area: Area,
    net: RoadNetwork,
    grids: SnappedLayer,
    aps: SnappedLayer,
    comp: np.ndarray,
    max_snap_m: float,
    problems: list[str],
    warnings: list[str],
) -> None:
    if len(grids.ids) == 0:
        return
    usable = np.flatnonzero(net.usable_nodes("any"))
    tree = shapely.STRtree(_node_points(net, usable))
    polys = np.asarray(area.grids.geometry.values)
    (inp, _), dist = tree.query_nearest(polys, return_distance=True, all_matches=False)
    poly_dist = np.full(len(polys), np.inf)
    poly_dist[inp] = dist
    people = (area.grids["population_day"] + area.grids["population_night"]).to_numpy()
    ap_comps = {int(comp[n]) for n in aps.any_node if n >= 0}
    for k, gid in enumerate(grids.ids):
        where = f"layer 'grids', feature '{gid}'"
        if people[k] == 0:
            continue
        if poly_dist[k] > max_snap_m:
            problems.append(
                f"{where}: is {poly_dist[k]:.0f} m from the nearest road (limit {max_snap_m:.0f} m)"
            )
            continue
        if int(comp[grids.any_node[k]]) not in ap_comps:
            problems.append(f"{where}: no assembly point is reachable from its roads")
