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
  IMO MSC/Circ.1238 1.33 p/(m s) via NIST TN 1822), given on each walking direction: it is the
  whole footway's, which the simulation shares between both directions and both walking modes
  (:func:`evacsim.sim.router.footway_groups`);
- ``walk_storage_persons = width_m * length_m * 2.0`` (2 persons/m², an assumption: dense but moving
  crowd, Fruin level of service E).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from evacsim.area.road_classes import ROAD_CLASS_DEFAULTS, canonical_highway
from evacsim.errors import NetworkError

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "CAR_LENGTH_M",
    "PERSONS_PER_M2",
    "WALK_FLOW_PPS_PER_M",
    "WALK_SPEED_MPS",
    "RoadNetwork",
    "build_network",
]

logger = logging.getLogger(__name__)


CAR_LENGTH_M = 7.5

WALK_SPEED_MPS = 1.2

WALK_FLOW_PPS_PER_M = 1.3

PERSONS_PER_M2 = 2.0

_NODE_ROUND_DECIMALS = 3  # 1 mm


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """A directed road network as integer-indexed arrays, and the same data as a networkx graph.

    Node ``k`` of the arrays is node ``k`` of :attr:`graph`; edge ``e`` of the arrays is the graph
    edge whose ``edge_index`` attribute is ``e``. Coordinates are metres in ``crs``; times in
    seconds.
    """

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

    @cached_property
    def graph(self) -> nx.MultiDiGraph:
        """The network as a ``networkx.MultiDiGraph`` (``graph["crs"]``, node ``x``/``y``, the
        edge arrays as edge attributes), built on first use: runs route on the arrays, so
        neither networkx nor the graph is needed by them (importing networkx and building the
        graph cost a run a quarter of a second)."""
        xy = np.column_stack([self.node_x_m, self.node_y_m])
        names = ("edge_tail", "edge_head", *_GRAPH_ATTRS.values())
        return _graph(self.crs, xy, {name: getattr(self, name) for name in names})

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
    return RoadNetwork(crs=roads.crs, node_x_m=xy[:, 0].copy(), node_y_m=xy[:, 1].copy(), **arrays)


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
    import networkx as nx

    graph = nx.MultiDiGraph(crs=crs)
    graph.add_nodes_from((k, {"x": float(x), "y": float(y)}) for k, (x, y) in enumerate(xy))
    columns = {attr: arrays[src].tolist() for attr, src in _GRAPH_ATTRS.items()}
    tails, heads = arrays["edge_tail"].tolist(), arrays["edge_head"].tolist()
    for e, (u, v) in enumerate(zip(tails, heads, strict=True)):
        data = {attr: values[e] for attr, values in columns.items()}
        data["edge_index"] = e
        graph.add_edge(u, v, **data)
    return graph
