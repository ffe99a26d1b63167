"""Where things are, in the words people use: grid, community, group and the nearest named road.

Network nodes are numbers only the model knows; a team or a duty officer needs "grid G-023,
丰收坝社区 group 3, by 华福路". :func:`node_places` names nodes that way, and
:func:`facility_points` gives every facility ONE position on the road network (where its routes
end), so that the maps' routes, the GPX waypoints and the GeoPackage agree to the metre.

Everything is in the network's projected metric CRS; positions are also given in EPSG:4326.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

if TYPE_CHECKING:
    from evacsim.network.graph import RoadNetwork

__all__ = ["facility_points", "named_road_near", "node_places", "place_text"]

#: Layers whose features :func:`facility_points` places, with their kind.
FACILITY_LAYERS = {
    "assembly_points": "assembly",
    "shelters": "shelter",
    "supply_points": "supply",
    "team_bases": "team_base",
}


def _named_edges(net: RoadNetwork) -> np.ndarray:
    names = np.asarray([str(n or "").strip() for n in net.edge_name], dtype=object)
    ok = (names != "") & (names != "None") & (names != "nan")
    return np.flatnonzero(ok)


def named_road_near(net: RoadNetwork, x_m: np.ndarray, y_m: np.ndarray) -> list[str]:
    """The name of the nearest road that has one, per point ("" when no road is named).

    Ties go to the lowest edge number (reproducible).
    """
    x_m, y_m = np.atleast_1d(x_m).astype(float), np.atleast_1d(y_m).astype(float)
    edges = _named_edges(net)
    if not len(edges) or not len(x_m):
        return [""] * len(x_m)
    tree = shapely.STRtree(net.edge_geometry[edges])
    (inp, hit), _ = tree.query_nearest(
        shapely.points(x_m, y_m), return_distance=True, all_matches=True
    )
    best: dict[int, int] = {}
    for i, h in zip(inp.tolist(), edges[hit].tolist(), strict=True):
        best[i] = min(best.get(i, h), h)
    return [str(net.edge_name[best[i]]).strip() if i in best else "" for i in range(len(x_m))]


def node_places(prepared: Any, nodes: Any) -> pd.DataFrame:
    """Name network nodes: the grid they lie in (else the nearest), its community and group, the
    nearest named road, and the position.

    Parameters
    ----------
    prepared
        :class:`evacsim.scenario.prepare.Prepared` (``network``, ``area.grids``).
    nodes
        Node numbers (``-1`` or out of range: an empty row).

    Returns
    -------
    pandas.DataFrame
        One row per node, in order: ``node``, ``grid_id``, ``community``, ``group``, ``road``,
        ``x_m``, ``y_m`` (network CRS), ``lon``, ``lat`` (EPSG:4326, 6 decimals).
    """
    net, grids = prepared.network, prepared.area.grids
    nodes = np.atleast_1d(np.asarray(nodes, dtype=np.int64))
    ok = (nodes >= 0) & (nodes < net.n_nodes)
    safe = np.where(ok, nodes, 0)
    x, y = net.node_x_m[safe], net.node_y_m[safe]
    out = pd.DataFrame({"node": nodes, "grid_id": "", "community": "", "group": "", "road": ""})
    out["x_m"], out["y_m"] = np.where(ok, x, np.nan), np.where(ok, y, np.nan)
    lon, lat = Transformer.from_crs(net.crs, 4326, always_xy=True).transform(x, y)
    out["lon"] = np.where(ok, np.round(lon, 6), np.nan)
    out["lat"] = np.where(ok, np.round(lat, 6), np.nan)
    if not ok.any():
        return out
    idx = np.flatnonzero(ok)
    pts = shapely.points(x[idx], y[idx])
    if len(grids):
        tree = shapely.STRtree(grids.geometry.to_numpy())
        (inp, hit), _ = tree.query_nearest(pts, return_distance=True, all_matches=True)
        first: dict[int, int] = {}
        for i, h in zip(inp.tolist(), hit.tolist(), strict=True):
            first[i] = min(first.get(i, h), h)
        rows = np.array([first[i] for i in range(len(idx))])
        for col, src in (("grid_id", "id"), ("community", "community"), ("group", "group")):
            out.loc[idx, col] = grids[src].astype(str).to_numpy()[rows]
    out.loc[idx, "road"] = named_road_near(net, x[idx], y[idx])
    return out


def place_text(row: Any) -> str:
    """``G-023 · 丰收坝社区 · 第3组 · 华福路`` from a :func:`node_places` row (parts present)."""
    parts = [row["grid_id"], row["community"], row["group"], row["road"]]
    return " · ".join(str(p) for p in parts if isinstance(p, str) and p)


def facility_points(prepared: Any) -> pd.DataFrame:
    """One position per facility: the road-network node its vehicles stop at.

    The node is the facility's nearest drivable node (where buses and team vehicles arrive),
    else its nearest walkable node. Every exported file (GPX, GeoPackage, drill sheets) uses this
    point, so one facility never has two positions.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``kind`` (assembly / shelter / supply / team_base), ``name``, ``node``, ``x_m``,
        ``y_m`` (network CRS), ``lon``, ``lat`` (EPSG:4326, 6 decimals), ``snap_m`` (distance
        from the mapped location, m).
    """
    area, snapped, net = prepared.area, prepared.snapped, prepared.network
    frames = []
    for layer, kind in FACILITY_LAYERS.items():
        gdf, snap = getattr(area, layer), getattr(snapped, layer, None)
        if snap is None or not len(snap.ids):
            continue
        node = np.where(snap.car_node >= 0, snap.car_node, snap.walk_node).astype(np.int64)
        dist = np.where(snap.car_node >= 0, snap.car_dist_m, snap.walk_dist_m)
        names = dict(zip(gdf["id"].astype(str), gdf.get("name", gdf["id"]), strict=True))
        ids = [str(i) for i in snap.ids]
        frames.append(
            pd.DataFrame(
                {"id": ids, "kind": kind, "name": [_text(names.get(i)) for i in ids],
                 "node": node, "snap_m": np.round(dist.astype(float), 1)}
            )
        )  # fmt: skip
    columns = ["id", "kind", "name", "node", "x_m", "y_m", "lon", "lat", "snap_m"]
    if not frames:
        return pd.DataFrame(columns=columns)
    out = pd.concat(frames, ignore_index=True)
    nodes = out["node"].to_numpy(np.int64)
    out["x_m"], out["y_m"] = net.node_x_m[nodes], net.node_y_m[nodes]
    lon, lat = Transformer.from_crs(net.crs, 4326, always_xy=True).transform(out["x_m"], out["y_m"])
    out["lon"], out["lat"] = np.round(lon, 6), np.round(lat, 6)
    return out[columns]


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
