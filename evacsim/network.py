"""Build the road network from an area's roads, and snap facilities onto it.

Nodes are the endpoints of road segments only (rounded to 1 mm so that touching ends merge): two
roads that cross without a shared endpoint (a bridge over a street) do not meet. Each two-way road
gives two directed edges, a one-way road one drivable edge (tail -> head) plus, where it is
walkable, a walk-only reverse edge: walkers may walk a one-way street both ways.

Per-class defaults (:data:`ROAD_CLASS_DEFAULTS`)
-------------------------------------------------

=========== =============== ===== ===== ======= ===== ========
class       per-lane veh/h  drive walk  width m lanes km/h
=========== =============== ===== ===== ======= ===== ========
motorway    2000            yes   no    --      3     100
trunk       1900            yes   no    --      2     80
primary     1800            yes   yes   3.0     2     50
secondary   1700            yes   yes   3.0     2     40
tertiary    1500            yes   yes   2.5     1     40
residential 1000            yes   yes   1.5     1     30
service      600            yes   yes   1.5     1     20
footway     --              no    yes   2.0     1     5
=========== =============== ===== ===== ======= ===== ========

Sources: freeway capacity 2000-2200 pc/h/lane and urban arterial saturation flow 1800-1900
veh/h/lane (HCM-style values, ``reference/verification_tests.md``) give motorway 2000, trunk 1900
and primary 1800. Secondary 1700, tertiary 1500, residential 1000 and service 600 veh/h/lane are
ASSUMPTIONS for effective capacity with side friction, parking and frequent junctions. Walkway
widths and the default lanes/speeds (used only by the OSM importer when a tag is missing) are
assumptions too. ``lanes`` counts lanes per direction of travel.

Derived attributes (per directed edge):

- ``capacity_vph = lanes * per_lane_vph`` unless the road gives ``capacity_vph``; 0 if not drivable;
- ``storage_veh = max(1, lanes * length_m / 7.5)`` (7.5 m of road per queued car; 0 if not
  drivable);
- ``travel_time_s = length_m / (speed_kph / 3.6)``;
- ``walk_time_s = length_m / 1.2`` (1.2 m/s walking speed, DESIGN.md);
- ``walk_capacity_pps = width_m * 1.3`` persons/s (~1.3 persons per metre of width per second,
  IMO MSC/Circ.1238 1.33 p/(m s) via NIST TN 1822); each walking direction gets the full width,
  since evacuation flow is essentially one-directional;
- ``walk_storage_persons = width_m * length_m * 2.0`` (2 persons/m², an assumption: dense but moving
  crowd, Fruin level of service E).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from evacsim.area import Area, summarize_problems
from evacsim.errors import NetworkError
from evacsim.schema import canonical_highway

__all__ = [
    "CAR_LENGTH_M",
    "PERSONS_PER_M2",
    "ROAD_CLASS_DEFAULTS",
    "WALK_FLOW_PPS_PER_M",
    "WALK_SPEED_MPS",
    "RoadClass",
    "RoadNetwork",
    "SnapError",
    "SnappedArea",
    "SnappedLayer",
    "build_network",
    "node_components",
    "snap_area",
    "snap_points",
]

logger = logging.getLogger(__name__)

CAR_LENGTH_M = 7.5
WALK_SPEED_MPS = 1.2
WALK_FLOW_PPS_PER_M = 1.3
PERSONS_PER_M2 = 2.0
_NODE_ROUND_DECIMALS = 3  # 1 mm


@dataclass(frozen=True)
class RoadClass:
    """Defaults of one road class (see the module's table for sources)."""

    per_lane_capacity_vph: float
    drivable: bool
    walkable: bool
    walk_width_m: float
    default_lanes: int
    default_speed_kph: float


ROAD_CLASS_DEFAULTS: dict[str, RoadClass] = {
    "motorway": RoadClass(2000.0, True, False, 0.0, 3, 100.0),
    "trunk": RoadClass(1900.0, True, False, 0.0, 2, 80.0),
    "primary": RoadClass(1800.0, True, True, 3.0, 2, 50.0),
    "secondary": RoadClass(1700.0, True, True, 3.0, 2, 40.0),
    "tertiary": RoadClass(1500.0, True, True, 2.5, 1, 40.0),
    "residential": RoadClass(1000.0, True, True, 1.5, 1, 30.0),
    "service": RoadClass(600.0, True, True, 1.5, 1, 20.0),
    "footway": RoadClass(0.0, False, True, 2.0, 1, 5.0),
}


class SnapError(NetworkError):
    """A :class:`~evacsim.errors.NetworkError` carrying every snapping problem in ``.problems``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__(summarize_problems(self.problems))


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """A directed road network: a networkx graph and the same data as integer-indexed arrays.

    Node ``k`` of the arrays is node ``k`` of ``graph``; edge ``e`` of the arrays is the graph edge
    whose ``edge_index`` attribute is ``e``. Coordinates are metres in ``crs``; times in seconds.
    """

    graph: nx.MultiDiGraph
    crs: pyproj.CRS
    node_x_m: np.ndarray
    node_y_m: np.ndarray
    edge_tail: np.ndarray
    edge_head: np.ndarray
    length_m: np.ndarray
    speed_kph: np.ndarray
    lanes: np.ndarray
    capacity_vph: np.ndarray
    storage_veh: np.ndarray
    travel_time_s: np.ndarray
    drivable: np.ndarray
    walkable: np.ndarray
    walk_capacity_pps: np.ndarray
    walk_time_s: np.ndarray
    walk_storage_persons: np.ndarray
    edge_road_id: np.ndarray
    edge_name: np.ndarray
    edge_highway: np.ndarray
    edge_geometry: np.ndarray

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_x_m.size)

    @property
    def n_edges(self) -> int:
        """Number of directed edges."""
        return int(self.edge_tail.size)

    def usable_nodes(self, mode: str) -> np.ndarray:
        """Boolean mask of nodes touched by an edge usable in ``mode`` (walk / car / any)."""
        if mode == "walk":
            usable = self.walkable
        elif mode == "car":
            usable = self.drivable
        elif mode == "any":
            usable = self.walkable | self.drivable
        else:
            raise ValueError(f"mode must be 'walk', 'car' or 'any', not {mode!r}")
        mask = np.zeros(self.n_nodes, dtype=bool)
        mask[self.edge_tail[usable]] = True
        mask[self.edge_head[usable]] = True
        return mask


# --- building ------------------------------------------------------------------------------------


def _flag(value: object, default: bool) -> bool:
    return default if value is None or pd.isna(value) else bool(value)  # type: ignore[call-overload]


def _road_table(roads: gpd.GeoDataFrame) -> pd.DataFrame:
    """Per road feature: class, drive/walk flags, capacities and widths after defaults."""
    rows = []
    for rec in roads.itertuples(index=False):
        cls = canonical_highway(str(rec.highway))
        if cls is None:
            raise NetworkError(
                f"layer 'roads', feature '{rec.id}', field 'highway': "
                f"{rec.highway!r} is not a known road class"
            )
        spec = ROAD_CLASS_DEFAULTS[cls]
        lanes = float(rec.lanes)
        cap: Any = getattr(rec, "capacity_vph", None)
        width: Any = getattr(rec, "width_m", None)
        rows.append(
            {
                "cls": cls,
                "drive": _flag(getattr(rec, "drive", None), spec.drivable),
                "walk": _flag(getattr(rec, "walk", None), spec.walkable),
                "capacity_vph": _float_or(cap, lanes * spec.per_lane_capacity_vph),
                "width_m": _float_or(width, spec.walk_width_m),
            }
        )
    return pd.DataFrame(rows, columns=["cls", "drive", "walk", "capacity_vph", "width_m"])


def _float_or(value: Any, default: float) -> float:
    return default if value is None or pd.isna(value) else float(value)


def _endpoint_nodes(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Node number of each line's first and last vertex, and node coordinates (x, y) in metres."""
    first = shapely.get_point(lines, 0)
    last = shapely.get_point(lines, -1)
    ends = np.concatenate([shapely.get_coordinates(first), shapely.get_coordinates(last)])
    keys = np.round(ends, _NODE_ROUND_DECIMALS)
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    n = len(lines)
    inverse = inverse.reshape(-1)
    return inverse[:n].astype(np.int32), inverse[n:].astype(np.int32), uniq


def build_network(roads: gpd.GeoDataFrame) -> RoadNetwork:
    """Build the directed road network of a projected roads layer.

    Parameters
    ----------
    roads
        The ``roads`` layer of an :class:`~evacsim.area.Area` (projected metric CRS, LineStrings,
        the columns of the schema).

    Returns
    -------
    RoadNetwork
        Nodes numbered by sorted (x, y); edges in road order (forward, then reverse).

    Raises
    ------
    NetworkError
        If the layer is empty, not projected, or has an unknown road class.
    """
    if roads.crs is None or not roads.crs.is_projected:
        raise NetworkError("layer 'roads': must be in a projected metric CRS (use load_area)")
    if len(roads) == 0:
        raise NetworkError("layer 'roads': has no features")
    table = _road_table(roads)
    lines = np.asarray(roads.geometry.values)
    tail, head, xy = _endpoint_nodes(lines)
    fwd = (table["drive"] | table["walk"]).to_numpy()
    rev_drive = (~roads["oneway"].to_numpy(dtype=bool)) & table["drive"].to_numpy()
    rev = rev_drive | table["walk"].to_numpy()
    # edge e -> (road index, reversed?); forward and reverse edges of a road are adjacent.
    road_idx = np.repeat(np.arange(len(roads)), fwd.astype(int) + rev.astype(int))
    is_rev = np.zeros(road_idx.size, dtype=bool)
    is_rev[1:] = road_idx[1:] == road_idx[:-1]
    dropped = int((~fwd).sum())
    if dropped:
        logger.warning("%d road(s) are neither drivable nor walkable and were left out", dropped)
    arrays = _edge_arrays(roads, table, road_idx, is_rev, tail, head, rev_drive, lines)
    graph = _graph(roads.crs, xy, arrays)
    return RoadNetwork(
        graph=graph, crs=roads.crs, node_x_m=xy[:, 0].copy(), node_y_m=xy[:, 1].copy(), **arrays
    )


def _edge_arrays(
    roads: gpd.GeoDataFrame,
    table: pd.DataFrame,
    road_idx: np.ndarray,
    is_rev: np.ndarray,
    tail: np.ndarray,
    head: np.ndarray,
    rev_drive: np.ndarray,
    lines: np.ndarray,
) -> dict[str, np.ndarray]:
    r = road_idx
    length = shapely.length(lines)[r].astype(np.float64)
    speed = roads["speed_kph"].to_numpy(dtype=np.float64)[r]
    lanes = roads["lanes"].to_numpy(dtype=np.float64)[r]
    drivable = np.where(is_rev, rev_drive[r], table["drive"].to_numpy(dtype=bool)[r])
    walkable = table["walk"].to_numpy(dtype=bool)[r]
    width = table["width_m"].to_numpy(dtype=np.float64)[r]
    geoms = lines[r].copy()
    geoms[is_rev] = shapely.reverse(geoms[is_rev])
    return {
        "edge_tail": np.where(is_rev, head[r], tail[r]).astype(np.int32),
        "edge_head": np.where(is_rev, tail[r], head[r]).astype(np.int32),
        "length_m": length,
        "speed_kph": speed,
        "lanes": lanes,
        "capacity_vph": np.where(drivable, table["capacity_vph"].to_numpy(dtype=float)[r], 0.0),
        "storage_veh": np.where(drivable, np.maximum(1.0, lanes * length / CAR_LENGTH_M), 0.0),
        "travel_time_s": length / (speed / 3.6),
        "drivable": drivable,
        "walkable": walkable,
        "walk_capacity_pps": np.where(walkable, width * WALK_FLOW_PPS_PER_M, 0.0),
        "walk_time_s": length / WALK_SPEED_MPS,
        "walk_storage_persons": np.where(walkable, width * length * PERSONS_PER_M2, 0.0),
        "edge_road_id": roads["id"].to_numpy(dtype=object)[r],
        "edge_name": roads["name"].to_numpy(dtype=object)[r],
        "edge_highway": table["cls"].to_numpy(dtype=object)[r],
        "edge_geometry": geoms,
    }


_GRAPH_ATTRS = {
    "length_m": "length_m",
    "speed_kph": "speed_kph",
    "lanes": "lanes",
    "capacity_vph": "capacity_vph",
    "storage_veh": "storage_veh",
    "travel_time_s": "travel_time_s",
    "drivable": "drivable",
    "walkable": "walkable",
    "walk_capacity_pps": "walk_capacity_pps",
    "walk_time_s": "walk_time_s",
    "walk_storage_persons": "walk_storage_persons",
    "road_id": "edge_road_id",
    "name": "edge_name",
    "highway": "edge_highway",
    "geometry": "edge_geometry",
}


def _graph(crs: pyproj.CRS, xy: np.ndarray, arrays: dict[str, np.ndarray]) -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph(crs=crs)
    graph.add_nodes_from((k, {"x": float(x), "y": float(y)}) for k, (x, y) in enumerate(xy))
    columns = {attr: arrays[src].tolist() for attr, src in _GRAPH_ATTRS.items()}
    tails, heads = arrays["edge_tail"].tolist(), arrays["edge_head"].tolist()
    for e, (u, v) in enumerate(zip(tails, heads, strict=True)):
        data = {attr: values[e] for attr, values in columns.items()}
        data["edge_index"] = e
        graph.add_edge(u, v, **data)
    return graph


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
        Node numbers and distances per layer, and warnings (facilities on a component other than the
        largest, or farther than ``max_snap_m`` from the nodes of one mode).

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
        if comp[snapped.any_node[k]] != 0:
            warnings.append(f"{where}: is on a road network component apart from the main one")


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
        c = int(comp[grids.any_node[k]])
        if c not in ap_comps:
            problems.append(f"{where}: no assembly point is reachable from its roads")
        elif c != 0:
            warnings.append(f"{where}: is on a road network component apart from the main one")
