"""Exposure after the run: seconds in each threat level for every group, and the harm of crews.

Each group's whole trajectory — home, its legs (walking, driving, in a team vehicle or a bus),
the assembly point, wherever it stranded — is cut into pieces (:mod:`evacsim.sim.trajectory`)
up to its admission at a shelter, its incapacitation or the end of the run. Zones drawn as
frames (fixed radii, fires, fireballs, explosions) are counted exactly: the pieces are cut at
frame times, and along a road the share of a piece inside a level is the overlap of its stretch
with the road's intersection with that level's polygon. A plume's levels follow its
concentration, read at the middle of intervals no longer than 5 m or 5 s along roads, and
exactly at fixed points (the level there changes only when the cloud arrives and leaves). Only
pieces that touch the largest yellow zone are evaluated: elsewhere there is nothing to count.

Crews are reported, not stopped (responders carry protective gear; losing them is not modelled):
bus drivers (each bus from its depot to the end of the run), team vehicle drivers (from their
base; at the depot or base they are indoors until their first leg), and the staff of each post
(their ride there, then the post until the end of the run).
Their FED and dose come from the same pieces; for a blast, from where they were at its instant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from evacsim.hazard.spec import LEVELS
from evacsim.network.graph import RoadNetwork
from evacsim.sim.state import BUS, TEAM
from evacsim.sim.trajectory import Intervals, Pieces, add_leg, columns, edge_points, subdivide

if TYPE_CHECKING:
    from evacsim.sim.harm import Harm
    from evacsim.sim.state import SimState

__all__ = ["crews_table", "group_exposure", "truncate_paths"]


def _timeline(
    pieces: Pieces,
    owner: int,
    sim: SimState,
    harm: Harm,
    agents: list[int],
    *,
    node: int,
    t_begin: float,
    stop: float,
    home: bool = False,
    wanted: list[bool] | None = None,
) -> None:
    """Pieces of someone who starts at ``node`` at ``t_begin``, rides ``agents`` in turn and
    waits where each one ended, until ``stop`` (on links ``wanted``: all if ``None``)."""
    t, indoor = t_begin, home
    for agent in agents:
        t0 = harm.agent_t0_s[agent]
        pieces.point(owner, node, t, min(t0, stop), indoor=indoor)
        if t0 >= stop:
            return
        end = harm.agent_end[agent]
        add_leg(
            pieces, owner, sim.agent_path(agent), link_edge=sim.links.link_edge,
            link_freeflow_s=sim.links.spec.freeflow_s, net=sim.prepared.network,
            origin=harm.agent_origin[agent], t_start=t0, end=end, ta=t0, tb=stop, wanted=wanted,
        )  # fmt: skip
        if end is None or end[0] >= stop:
            return
        t, node, indoor = end[0], end[1], False
    pieces.point(owner, node, t, stop, indoor=indoor)


def _wanted_links(sim: SimState, harm: Harm) -> list[bool]:
    """Per engine link: may anything be counted on it (in the largest yellow zone, or where the
    harm field reaches)?"""
    net, zones = sim.prepared.network, sim.prepared.zones
    support = zones.final()["yellow"]
    shapely.prepare(support)
    edge = shapely.intersects(net.edge_geometry, support)
    if harm.dosing:
        edge |= np.isfinite(harm.edge_off)
    return edge[sim.links.link_edge].tolist()


def _keep_windows(harm: Harm, pieces: Pieces) -> np.ndarray:
    """Which pieces are where and when the harm field can be above zero (:meth:`HarmField.
    windows_s`; for a plume, its yellow footprint while the cloud covers it)."""
    edge = np.asarray(pieces.edge, dtype=np.int64)
    node = np.asarray(pieces.node, dtype=np.int64)
    on = np.where(edge >= 0, harm.edge_on[np.maximum(edge, 0)], harm.node_on[np.maximum(node, 0)])
    off = np.where(edge >= 0, harm.edge_off[np.maximum(edge, 0)], harm.node_off[node])
    return (np.asarray(pieces.t0) < off) & (np.asarray(pieces.t1) > on)


def _keep(sim: SimState, pieces: Pieces, support: BaseGeometry) -> np.ndarray:
    """Which pieces touch ``support`` (the others have nothing to count)."""
    net = sim.prepared.network
    shapely.prepare(support)
    edge = np.asarray(pieces.edge, dtype=np.int64)
    node = np.asarray(pieces.node, dtype=np.int64)
    hot_edge = shapely.intersects(net.edge_geometry, support)
    hot_node = shapely.intersects_xy(support, net.node_x_m, net.node_y_m)
    return np.where(edge >= 0, hot_edge[np.maximum(edge, 0)], hot_node[np.maximum(node, 0)])


def _breaks(sim: SimState) -> np.ndarray:
    zones = sim.prepared.zones
    field = zones.harm
    extra = field.breaks_s if field is not None else np.zeros(0)
    return np.concatenate([zones.frame_times_s, extra])


def _intervals(sim: SimState, pieces: Pieces, keep: np.ndarray | None) -> Intervals:
    """The pieces ``keep`` selects as short intervals (cut at frames and the field's breaks)."""
    field = sim.prepared.zones.harm
    cols = columns(pieces, breaks_s=_breaks(sim), keep=keep)
    point_breaks = field.point_breaks_s if field is not None and field.plumes else None
    return subdivide(cols, sim.prepared.network, point_breaks=point_breaks)


def _levels(sim: SimState, harm: Harm, pieces: Pieces, n: int) -> dict[str, np.ndarray]:
    """Seconds in each (exclusive) level per owner."""
    zones = sim.prepared.zones
    if zones.plumes:  # the levels follow the concentration (yellow: the field's support)
        iv = _intervals(sim, pieces, _keep_windows(harm, pieces))
        level = zones.levels_at(iv.x_m, iv.y_m, iv.t_s) if len(iv) else np.zeros(0, np.int8)
        inside = np.stack([iv.dt_s * (level <= i) for i in range(3)])
        owner = iv.owner
    else:
        keep = _keep(sim, pieces, zones.final()["yellow"])
        cols = columns(pieces, breaks_s=zones.frame_times_s, keep=keep)
        inside, owner = _inside_frames(sim, cols), cols["owner"]
    exclusive = np.diff(np.vstack([np.zeros(len(owner)), inside]), axis=0)
    return {
        f"exposure_{name}_s": np.bincount(owner, weights=exclusive[i], minlength=n)
        for i, name in enumerate(LEVELS)
    }


def _inside_frames(sim: SimState, cols: dict[str, np.ndarray]) -> np.ndarray:
    """Seconds of each piece inside the red, orange and yellow polygons of frame-based zones
    (rows; each level's polygon holds the worse ones), exactly: the pieces are cut at frame
    times, so each lies in one frame, and a link piece's share inside a polygon is the overlap of
    its fractions with those of the edge's intersection with the polygon."""
    zones, net = sim.prepared.zones, sim.prepared.network
    dt = cols["t1"] - cols["t0"]
    frame = np.searchsorted(zones.frame_times_s, cols["t0"], side="right") - 1
    inside = np.zeros((3, dt.size))
    at_point = np.flatnonzero((cols["edge"] < 0) & (frame >= 0))
    if at_point.size:
        node = cols["node"][at_point]
        mid = 0.5 * (cols["t0"] + cols["t1"])[at_point]
        level = zones.levels_at(net.node_x_m[node], net.node_y_m[node], mid)
        for i in range(3):
            inside[i, at_point] = dt[at_point] * (level <= i)
    for k in np.unique(frame[(cols["edge"] >= 0) & (frame >= 0)]).tolist():
        sel = np.flatnonzero((cols["edge"] >= 0) & (frame == k))
        lo = np.minimum(cols["f0"][sel], cols["f1"][sel])
        hi = np.maximum(cols["f0"][sel], cols["f1"][sel])
        for i, name in enumerate(LEVELS):
            share = _share_inside(net, zones.timeline[k][1][name], cols["edge"][sel], lo, hi)
            inside[i, sel] = dt[sel] * share
    return inside


def _share_inside(
    net: RoadNetwork, poly: BaseGeometry, edge: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    """Share of each stretch ``[lo, hi]`` (fractions of ``edge``'s length) inside ``poly``."""
    out = np.zeros(edge.size)
    uniq = np.unique(edge)
    geoms = net.edge_geometry[uniq]
    hit = shapely.intersects(geoms, poly) if not poly.is_empty else np.zeros(uniq.size, bool)
    if not hit.any():
        return out
    parts, which = shapely.get_parts(shapely.intersection(geoms[hit], poly), return_index=True)
    lines = np.isin(shapely.get_type_id(parts), (1, 2))  # LineString, LinearRing: not points
    parts, which = parts[lines], which[lines]
    base = geoms[hit][which]
    a = shapely.line_locate_point(base, shapely.get_point(parts, 0), normalized=True)
    b = shapely.line_locate_point(base, shapely.get_point(parts, -1), normalized=True)
    owner_edge = uniq[hit][which]
    order = np.argsort(owner_edge, kind="stable")
    owner_edge, a, b = owner_edge[order], np.minimum(a, b)[order], np.maximum(a, b)[order]
    first = np.searchsorted(owner_edge, edge, side="left")
    count = np.searchsorted(owner_edge, edge, side="right") - first
    piece = np.repeat(np.arange(edge.size), count)
    j = first[piece] + np.arange(piece.size) - np.repeat(np.cumsum(count) - count, count)
    overlap = np.clip(np.minimum(b[j], hi[piece]) - np.maximum(a[j], lo[piece]), 0.0, None)
    length = hi - lo
    np.divide(np.bincount(piece, weights=overlap, minlength=edge.size), length, out=out,
              where=length > 0)  # fmt: skip
    return out


def group_exposure(sim: SimState, harm: Harm) -> pd.DataFrame:
    """Per group (demand order): seconds in each level; with a harm field ``fed``, the dose
    (``dose_ppm_min``, ``thermal_dose_tdu`` or ``peak_overpressure_psi``) as integrated during
    the run; and ``t_incapacitated_s``."""
    n = len(sim.g_persons)
    end = float(sim.env.now)
    pieces = Pieces()
    wanted = _wanted_links(sim, harm)
    for g in range(n):
        stop = end
        if not np.isnan(harm.t_incapacitated_s[g]):
            stop = float(harm.t_incapacitated_s[g])
        elif sim.state[g] == "sheltered":
            stop = float(sim.t_shelter[g])
        _timeline(
            pieces, g, sim, harm, harm.rides[g], node=int(sim.g_origin[g]), t_begin=0.0,
            stop=stop, home=True, wanted=wanted,
        )  # fmt: skip
    out: dict[str, Any] = _levels(sim, harm, pieces, n)
    field = sim.prepared.zones.harm
    if field is not None:
        out["fed"] = harm.fed.copy()
        out[field.dose_column] = harm.dose.copy()
    out["t_incapacitated_s"] = harm.t_incapacitated_s.copy()
    return pd.DataFrame(out)


def crews_table(
    sim: SimState, harm: Harm, *, team_ids: list[str], team_of_vehicle: np.ndarray,
    vehicle_label: Any, legs: list[tuple[int, int, int]], tasks: list[dict[str, Any]],
) -> pd.DataFrame:  # fmt: skip
    """One row per crew: ``crew``, ``team`` ('' for buses), ``kind`` (``bus_driver``,
    ``team_driver``, ``post``), ``persons``, seconds per level and, with a harm field, ``fed``
    and the dose."""
    end = float(sim.env.now)
    by_vehicle: dict[tuple[int, int], list[int]] = {}
    for agent, (kind, ref) in enumerate(zip(sim.agent_kind, sim.agent_ref, strict=True)):
        if kind in (BUS, TEAM):
            by_vehicle.setdefault((kind, ref), []).append(agent)
    rows: list[tuple[str, str, str, int]] = []
    pieces = Pieces()
    field = sim.prepared.zones.harm
    # a blast needs everyone's position at its instant; otherwise only where counts happen
    wanted = None if field is not None and field.kind == "blast" else _wanted_links(sim, harm)
    for (kind, ref), agents in sorted(by_vehicle.items()):
        owner = len(rows)
        if kind == BUS:
            rows.append((f"bus-{ref}", "", "bus_driver", 1))
        else:
            rows.append((str(vehicle_label(ref)), team_ids[int(team_of_vehicle[ref])],
                         "team_driver", 1))  # fmt: skip
        first = harm.agent_origin[agents[0]]  # the depot or base: indoors until the first leg
        _timeline(
            pieces, owner, sim, harm, agents, node=first, t_begin=0.0, stop=end, home=True,
            wanted=wanted,
        )  # fmt: skip
    ride = {row: agent for _v, row, agent in legs}
    for row, task in enumerate(tasks):
        if task["task"] == "door_to_door" or task["status"] != "staffed":
            continue
        owner = len(rows)
        rows.append((f"{task['team']} {task['task']} {task['target']}", task["team"], "post",
                     int(task["persons"])))  # fmt: skip
        agents = [ride[row]] if row in ride else []
        t_begin = harm.agent_t0_s[agents[0]] if agents else float(task["t_start_s"])
        _timeline(pieces, owner, sim, harm, agents, node=int(task["node"]), t_begin=t_begin,
                  stop=end, wanted=wanted)  # fmt: skip
    table = pd.DataFrame(rows, columns=["crew", "team", "kind", "persons"])
    for name, values in _levels(sim, harm, pieces, len(rows)).items():
        table[name] = values
    if field is None:
        return table
    if field.kind == "blast":
        table["fed"], table[field.dose_column] = _crew_blast(sim, pieces, len(rows))
        return table
    iv = _intervals(sim, pieces, _keep_windows(harm, pieces))
    fed_rate, dose_rate = field.rates(iv.x_m, iv.y_m, iv.t_s, iv.indoor)
    table["fed"] = np.bincount(iv.owner, weights=fed_rate * iv.dt_s, minlength=len(rows))
    table[field.dose_column] = np.bincount(
        iv.owner, weights=dose_rate * iv.dt_s, minlength=len(rows)
    )
    return table


def _crew_blast(sim: SimState, pieces: Pieces, n: int) -> tuple[np.ndarray, np.ndarray]:
    """FED and peak overpressure (psi) of each crew from where it was at each blast."""
    field, net = sim.prepared.zones.harm, sim.prepared.network
    assert field is not None
    cols = columns(pieces)
    psi = np.zeros(n)
    for blast in field.blasts:
        at = np.flatnonzero((cols["t0"] <= blast.t_s) & (cols["t1"] > blast.t_s))
        node = np.maximum(cols["node"][at], 0)
        x, y = net.node_x_m[node].astype(float), net.node_y_m[node].astype(float)
        moving = np.flatnonzero(cols["edge"][at] >= 0)
        if moving.size:
            i = at[moving]
            share = (blast.t_s - cols["t0"][i]) / (cols["t1"][i] - cols["t0"][i])
            f = cols["f0"][i] + share * (cols["f1"][i] - cols["f0"][i])
            x[moving], y[moving] = edge_points(net, cols["edge"][i], f)
        np.maximum.at(psi, cols["owner"][at], blast.overpressure_psi(x, y))
    return psi / field.casualty_psi, psi


def truncate_paths(paths: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """Drop the links a group entered after it was incapacitated; on the link it stopped on,
    its record ends at that instant (``t_exit_s``: the incapacitation time)."""
    t_stop = groups.set_index("group_id")["t_incapacitated_s"]
    stop = t_stop.reindex(paths["group_id"]).to_numpy(float)
    hit = ~np.isnan(stop)
    if not hit.any():
        return paths
    keep = ~(hit & (paths["t_enter_s"].to_numpy(float) >= stop))
    out = paths[keep].reset_index(drop=True)
    stop = stop[keep]
    exit_s = out["t_exit_s"].to_numpy(float)
    out["t_exit_s"] = np.where(~np.isnan(stop) & ~(exit_s <= stop), stop, exit_s)
    return out
