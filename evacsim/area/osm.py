"""Import roads from an OpenStreetMap extract (``.osm`` / ``.osm.bz2`` XML) or an OSMnx GraphML.

Only ways tagged ``highway`` with a class evacsim knows
(:data:`evacsim.area.road_classes.ROAD_CLASSES` and
:data:`evacsim.area.road_classes.HIGHWAY_ALIASES`) become roads: ``osmnx.graph_from_xml`` turns
every way of a file into edges (buildings and land use too), so they are dropped *before* the
topology is simplified; otherwise osmnx could merge a street with a building outline that continues
it.

The result follows the ``roads`` schema, projected to the UTM zone of the extract: one feature per
two-way road (both directions exist in the OSM graph) or per one-way direction, so that
:func:`evacsim.network.build_network` rebuilds the same connectivity. OSM ``lanes`` counts both
directions; a two-way road gets ``ceil(lanes / 2)`` lanes per direction.

A road longer than :data:`MAX_SEGMENT_M` is cut into equal pieces no longer than that: places are
joined to the road network at its junctions and road ends (:mod:`evacsim.network.snap`), and OSM
simplification leaves a kilometre of street without a junction wherever nothing branches off, so a
shelter beside its middle would otherwise be hundreds of metres from the network (and a hazard zone
would close the whole kilometre where it touches one end).
"""

from __future__ import annotations

import logging
import math
import re
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import shapely
import shapely.ops

from evacsim.area.road_classes import ROAD_CLASS_DEFAULTS, ROAD_CLASSES, canonical_highway
from evacsim.atomic import atomic_path
from evacsim.errors import NetworkError

__all__ = [
    "graph_from_osm",
    "parse_lanes",
    "parse_speed_kph",
    "roads_from_osm",
    "write_roads_geojson",
]

logger = logging.getLogger(__name__)

_WAY_TAGS = [
    "highway",
    "name",
    "lanes",
    "maxspeed",
    "oneway",
    "junction",
    "bridge",
    "width",
    "area",
]
_MPH_TO_KPH = 1.609344
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$", re.IGNORECASE)


@contextmanager
def _osm_way_tags() -> Iterator[None]:
    """Set osmnx's way tags for one import and restore the user's settings afterwards."""
    saved = ox.settings.useful_tags_way
    ox.settings.useful_tags_way = list(_WAY_TAGS)
    try:
        yield
    finally:
        ox.settings.useful_tags_way = saved


def graph_from_osm(path: str | Path) -> gpd.GeoDataFrame:
    """Read the roads of an OSM XML extract or an OSMnx GraphML file.

    Parameters
    ----------
    path
        ``.osm``, ``.osm.bz2``, ``.xml`` (OSM XML) or ``.graphml`` (saved by OSMnx).

    Returns
    -------
    geopandas.GeoDataFrame
        Roads per the schema (``id``, ``name``, ``highway``, ``lanes``, ``speed_kph``, ``oneway``,
        ``bridge``, ``width_m``) plus ``osm_ids``; projected with ``estimate_utm_crs()``.

    Raises
    ------
    NetworkError
        If the file cannot be read or holds no usable highway.
    """
    src = Path(path)
    name = src.name.lower()
    try:
        if name.endswith(".graphml"):
            graph = ox.load_graphml(src)
            graph = _keep_highways(graph)
            if not graph.graph.get("simplified"):
                graph = ox.simplify_graph(graph, edge_attrs_differ=["highway"], remove_rings=False)
        elif name.endswith((".osm", ".osm.bz2", ".xml", ".osm.gz")):
            with _osm_way_tags():
                raw = ox.graph_from_xml(src, bidirectional=False, simplify=False, retain_all=True)
            graph = _keep_highways(raw)
            graph = ox.simplify_graph(graph, edge_attrs_differ=["highway"], remove_rings=False)
        else:
            raise NetworkError(f"{src}: not an OSM extract (.osm, .osm.bz2) or OSMnx .graphml")
    except (OSError, ValueError, KeyError, ParseError, ox._errors.InsufficientResponseError) as exc:
        if isinstance(exc, NetworkError):
            raise
        what = "not well-formed XML" if isinstance(exc, ParseError) else "cannot be read"
        raise NetworkError(f"{src}: {what} ({' '.join(str(exc).split())})") from exc
    if graph.number_of_edges() == 0:
        raise NetworkError(f"{src}: holds no highway ways evacsim can use")
    roads = _roads_from_graph(graph)
    logger.info("%s: %d road features from %d OSM edges", src, len(roads), graph.number_of_edges())
    return roads


#: Longest road piece an import writes, m (about two minutes' walk; within the 300 m a place may
#: lie from the network, see :func:`evacsim.network.snap.snap_area`).
MAX_SEGMENT_M = 200.0


def split_long_roads(roads: gpd.GeoDataFrame, max_m: float = MAX_SEGMENT_M) -> gpd.GeoDataFrame:
    """Cut every road longer than ``max_m`` (in a metric CRS) into ``ceil(length / max_m)`` equal
    pieces, each with the road's attributes, in order along the road."""
    lengths = roads.geometry.length.to_numpy()
    pieces = np.maximum(1, np.ceil(lengths / max_m - 1e-9)).astype(int)
    if (pieces == 1).all():
        return roads
    rows = np.repeat(np.arange(len(roads)), pieces)
    geoms = []
    for geom, length, n in zip(roads.geometry, lengths, pieces, strict=True):
        cuts = np.linspace(0.0, length, n + 1)
        geoms += [shapely.ops.substring(geom, a, b) for a, b in pairwise(cuts)]
    out = roads.iloc[rows].reset_index(drop=True)
    return out.set_geometry(gpd.GeoSeries(geoms, crs=roads.crs))


#: The same function under the name the command line uses.
roads_from_osm = graph_from_osm


def _keep_highways(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy without edges that are not known highways (or are areas), and without lone nodes."""
    graph = graph.copy()
    drop = [
        (u, v, k)
        for u, v, k, data in graph.edges(keys=True, data=True)
        if _road_class(data.get("highway")) is None or str(data.get("area", "no")) == "yes"
    ]
    graph.remove_edges_from(drop)
    graph.remove_nodes_from([n for n in list(graph.nodes) if graph.degree(n) == 0])
    if drop:
        logger.info("dropped %d OSM edges that are not roads", len(drop))
    return graph


def _values(value: Any) -> list[Any]:
    if isinstance(value, list | tuple | set):
        return [v for v in value if not _is_missing(v)]
    return [] if _is_missing(value) else [value]


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _road_class(value: Any) -> str | None:
    """The highest-ranked canonical class among an edge's ``highway`` values."""
    classes = {canonical_highway(str(v)) for v in _values(value)} - {None}
    ranked = [c for c in ROAD_CLASSES if c in classes]
    return ranked[0] if ranked else None


def _highway_value(value: Any) -> str:
    """The OSM ``highway`` value of the highest-ranked class (deterministic for merged edges)."""
    cls = _road_class(value)
    candidates = sorted(str(v) for v in _values(value) if canonical_highway(str(v)) == cls)
    return candidates[0]


def parse_lanes(value: Any) -> int | None:
    """Smallest lane count among OSM ``lanes`` values (``"2"``, ``"2;3"``, lists); None if none."""
    found = []
    for item in _values(value):
        for part in str(item).split(";"):
            match = _NUMBER.match(part)
            if match and match.group(2) is None and float(match.group(1)) >= 1:
                found.append(int(float(match.group(1))))
    return min(found) if found else None


def parse_speed_kph(value: Any) -> float | None:
    """Lowest speed among OSM ``maxspeed`` values, km/h (``"50"``, ``"30 mph"``); None if none.

    Values such as ``"none"``, ``"walk"`` or ``"RU:urban"`` are not numbers and are skipped.
    """
    found = []
    for item in _values(value):
        for part in str(item).split(";"):
            match = _NUMBER.match(part)
            if match:
                speed = float(match.group(1))
                unit = (match.group(2) or "").lower()
                found.append(speed * _MPH_TO_KPH if unit == "mph" else speed)
    found = [s for s in found if s > 0]
    return min(found) if found else None


def _parse_width_m(value: Any) -> float | None:
    for item in _values(value):
        match = _NUMBER.match(str(item).removesuffix("m").strip())
        if match and match.group(2) is None and float(match.group(1)) > 0:
            return float(match.group(1))
    return None


def _direction_pairs(edges: gpd.GeoDataFrame) -> tuple[list[int], list[bool]]:
    """Rows to keep and whether each is one-way: opposite edges with one geometry form a pair."""
    geoms = np.asarray(edges.geometry.values)
    keys = shapely.to_wkb(shapely.normalize(geoms))
    u = edges["u"].to_numpy()
    v = edges["v"].to_numpy()
    groups: dict[tuple[Any, Any, bytes], tuple[list[int], list[int]]] = defaultdict(
        lambda: ([], [])
    )
    for i in range(len(edges)):
        a, b = (u[i], v[i]) if u[i] <= v[i] else (v[i], u[i])
        fwd, back = groups[(a, b, keys[i])]
        if u[i] != v[i]:
            (fwd if u[i] == a else back).append(i)
        else:  # a loop: its two directions have the same ends, alternate them
            (fwd if len(fwd) <= len(back) else back).append(i)
    rows: list[int] = []
    oneway: list[bool] = []
    for fwd, back in groups.values():
        pairs = min(len(fwd), len(back))
        rows += fwd[:pairs]
        oneway += [False] * pairs
        rows += fwd[pairs:] + back[pairs:]
        oneway += [True] * (len(fwd) - pairs + len(back) - pairs)
    return rows, oneway


def _roads_from_graph(graph: nx.MultiDiGraph) -> gpd.GeoDataFrame:
    edges = ox.graph_to_gdfs(graph, nodes=False, fill_edge_geometry=True).reset_index()
    edges = edges.sort_values(["u", "v", "key"], kind="stable").reset_index(drop=True)
    rows, oneway = _direction_pairs(edges)
    order = np.argsort(rows, kind="stable")
    picked = edges.iloc[np.asarray(rows)[order]].reset_index(drop=True)
    oneway_arr = np.asarray(oneway)[order]
    records = [
        _road_record(rec, bool(one))
        for rec, one in zip(picked.to_dict("records"), oneway_arr, strict=True)
    ]
    roads = gpd.GeoDataFrame(pd.DataFrame(records), geometry=list(picked.geometry), crs=edges.crs)
    roads["id"] = ""  # set once the long roads are cut (below, in metres)
    roads = roads[
        [
            "id",
            "name",
            "highway",
            "lanes",
            "speed_kph",
            "oneway",
            "bridge",
            "width_m",
            "osm_ids",
            "geometry",
        ]
    ]
    if roads.crs is not None and roads.crs.is_geographic:
        roads = roads.to_crs(roads.estimate_utm_crs())
    roads = split_long_roads(roads)
    roads["id"] = _unique_ids(roads["osm_ids"].tolist())
    return roads.sort_values("id", kind="stable").reset_index(drop=True)


def _road_record(rec: dict[str, Any], oneway: bool) -> dict[str, Any]:
    highway = _highway_value(rec.get("highway"))
    spec = ROAD_CLASS_DEFAULTS[_road_class(highway) or "residential"]
    total = parse_lanes(rec.get("lanes"))
    if total is None:
        lanes = spec.default_lanes
    else:
        lanes = total if oneway else max(1, math.ceil(total / 2))
    names = sorted({str(n) for n in _values(rec.get("name"))})
    bridge = any(str(b).lower() not in ("no", "false", "0") for b in _values(rec.get("bridge")))
    width = _parse_width_m(rec.get("width")) if not spec.drivable else None
    return {
        "name": "; ".join(names) if names else None,
        "highway": highway,
        "lanes": int(lanes),
        "speed_kph": parse_speed_kph(rec.get("maxspeed")) or spec.default_speed_kph,
        "oneway": oneway,
        "bridge": bridge,
        "width_m": np.nan if width is None else width,
        "osm_ids": ";".join(str(i) for i in sorted({int(x) for x in _values(rec.get("osmid"))})),
    }


def _unique_ids(osm_ids: list[str]) -> list[str]:
    """``W<first way id>-<n>``: n counts the features of the same first way, in graph order."""
    seen: dict[str, int] = defaultdict(int)
    out = []
    for ids in osm_ids:
        base = ids.split(";")[0] or "0"
        seen[base] += 1
        out.append(f"W{base}-{seen[base]}")
    return out


def write_roads_geojson(roads: gpd.GeoDataFrame, out_dir: str | Path) -> Path:
    """Write ``roads.geojson`` (EPSG:4326) into ``out_dir`` (created if needed); return its path.

    The file is written beside its place and renamed in when complete.

    Raises
    ------
    NetworkError
        ``out_dir`` is an existing file.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise NetworkError(f"{out}: --out is an existing file; import-osm writes into a folder")
    target = out / "roads.geojson"
    with atomic_path(target) as tmp:
        roads.to_crs("EPSG:4326").to_file(tmp, driver="GeoJSON", engine="pyogrio")
    return target
