"""Exposure after the run: seconds in each threat level for every group, and the harm of crews.

Each group's whole trajectory — home, its legs (walking, driving, in a team vehicle or a bus),
the assembly point, wherever it stranded — is cut into pieces (:mod:`evacsim.sim.trajectory`)
up to its admission at a shelter, its incapacitation or the end of the run, and the zones' level
is read at the middle of intervals no longer than 5 m or 5 s along roads, and exactly at fixed
points (levels there change only at frame times, or when a plume's cloud arrives and leaves).
Only pieces on roads or nodes that touch the largest yellow zone or the harm field are
evaluated: elsewhere there is nothing to count.

Crews are reported, not stopped (responders carry protective gear; losing them is not modelled):
bus drivers (each bus from its depot to the end of the run), team vehicle drivers (from their
base), and the staff of each post (their ride there, then the post until the end of the run).
Their FED and dose come from the same pieces; for a blast, from where they were at its instant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from evacsim.hazard.spec import LEVELS
from evacsim.sim.state import BUS, TEAM
from evacsim.sim.trajectory import Intervals, Pieces, add_leg, subdivide

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
) -> None:
    """Pieces of someone who starts at ``node`` at ``t_begin``, rides ``agents`` in turn and
    waits where each one ended, until ``stop``."""
    t, indoor = t_begin, home
    for agent in agents:
        t0 = harm.agent_t0_s[agent]
        pieces.point(owner, node, t, min(t0, stop), indoor=indoor)
        if t0 >= stop:
            return
        end = harm.agent_end[agent]
        add_leg(
            pieces, owner, sim.engine.path(agent), link_edge=sim.links.link_edge,
            link_freeflow_s=sim.links.spec.freeflow_s, net=sim.prepared.network,
            origin=harm.agent_origin[agent], t_start=t0, end=end, ta=t0, tb=stop,
        )  # fmt: skip
        if end is None or end[0] >= stop:
            return
        t, node, indoor = end[0], end[1], False
    pieces.point(owner, node, t, stop, indoor=indoor)


def _intervals(sim: SimState, harm: Harm, pieces: Pieces, *, hot_only: bool = True) -> Intervals:
    """Cut pieces into intervals; with ``hot_only``, only those that may be in a zone or the
    harm field."""
    zones, net = sim.prepared.zones, sim.prepared.network
    field = zones.harm
    if hot_only:
        support = zones.final()["yellow"]
        if field is not None and field.kind != "blast":
            support = shapely.union(support, field.support)
        shapely.prepare(support)
        edge = np.asarray(pieces.edge, dtype=np.int64)
        node = np.asarray(pieces.node, dtype=np.int64)
        hot_edge = shapely.intersects(net.edge_geometry, support)
        hot_node = shapely.intersects_xy(support, net.node_x_m, net.node_y_m)
        keep = np.where(edge >= 0, hot_edge[np.maximum(edge, 0)], hot_node[np.maximum(node, 0)])
        pieces = _select(pieces, keep)
    breaks = zones.frame_times_s
    if field is not None:
        breaks = np.concatenate([breaks, field.breaks_s])
    point_breaks = field.point_breaks_s if field is not None and field.plumes else None
    return subdivide(pieces, net, breaks_s=breaks, point_breaks=point_breaks)


def _select(pieces: Pieces, keep: np.ndarray) -> Pieces:
    out = Pieces()
    for name in ("owner", "t0", "t1", "edge", "f0", "f1", "node", "indoor"):
        values = getattr(pieces, name)
        setattr(out, name, [v for v, k in zip(values, keep.tolist(), strict=True) if k])
    return out


def _levels(sim: SimState, iv: Intervals, n: int) -> dict[str, np.ndarray]:
    level = (
        sim.prepared.zones.levels_at(iv.x_m, iv.y_m, iv.t_s) if len(iv) else np.zeros(0, np.int8)
    )
    return {
        f"exposure_{name}_s": np.bincount(iv.owner, weights=iv.dt_s * (level == i), minlength=n)
        for i, name in enumerate(LEVELS)
    }


def group_exposure(sim: SimState, harm: Harm) -> pd.DataFrame:
    """Per group (demand order): seconds in each level; with a harm field ``fed``, the dose
    (``dose_ppm_min``, ``thermal_dose_tdu`` or ``peak_overpressure_psi``) as integrated during
    the run; and ``t_incapacitated_s``."""
    n = len(sim.g_persons)
    end = float(sim.env.now)
    pieces = Pieces()
    for g in range(n):
        stop = end
        if not np.isnan(harm.t_incapacitated_s[g]):
            stop = float(harm.t_incapacitated_s[g])
        elif sim.state[g] == "sheltered":
            stop = float(sim.t_shelter[g])
        _timeline(
            pieces, g, sim, harm, harm.rides[g], node=int(sim.g_origin[g]), t_begin=0.0,
            stop=stop, home=True,
        )  # fmt: skip
    out: dict[str, Any] = _levels(sim, _intervals(sim, harm, pieces), n)
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
    for (kind, ref), agents in sorted(by_vehicle.items()):
        owner = len(rows)
        if kind == BUS:
            rows.append((f"bus-{ref}", "", "bus_driver", 1))
        else:
            rows.append((str(vehicle_label(ref)), team_ids[int(team_of_vehicle[ref])],
                         "team_driver", 1))  # fmt: skip
        first = harm.agent_origin[agents[0]]
        _timeline(pieces, owner, sim, harm, agents, node=first, t_begin=0.0, stop=end)
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
                  stop=end)  # fmt: skip
    table = pd.DataFrame(rows, columns=["crew", "team", "kind", "persons"])
    iv = _intervals(sim, harm, pieces)
    for name, values in _levels(sim, iv, len(rows)).items():
        table[name] = values
    field = sim.prepared.zones.harm
    if field is None:
        return table
    if field.kind == "blast":
        table["fed"], table[field.dose_column] = _crew_blast(sim, harm, pieces, len(rows))
        return table
    fed_rate, dose_rate = field.rates(iv.x_m, iv.y_m, iv.t_s, iv.indoor)
    table["fed"] = np.bincount(iv.owner, weights=fed_rate * iv.dt_s, minlength=len(rows))
    table[field.dose_column] = np.bincount(
        iv.owner, weights=dose_rate * iv.dt_s, minlength=len(rows)
    )
    return table


def _crew_blast(sim: SimState, harm: Harm, pieces: Pieces, n: int) -> tuple[np.ndarray, np.ndarray]:
    """FED and peak overpressure (psi) of each crew from where it was at each blast."""
    field = sim.prepared.zones.harm
    assert field is not None
    psi = np.zeros(n)
    iv = _intervals(sim, harm, pieces, hot_only=False)
    for blast in field.blasts:
        at = (iv.ta <= blast.t_s) & (iv.tb > blast.t_s)
        p = blast.overpressure_psi(iv.x_m[at], iv.y_m[at])
        np.maximum.at(psi, iv.owner[at], p)
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
