"""The plan of a run: demand (who leaves when, from where) and stage-1/stage-2 assignment.

Stage 1 is decided per (grid, travel mode): each mode's travel times to the assembly points are
taken on its own roads with the roads closed when the households leave (the scenario's closed
roads and the hazard rule of :mod:`evacsim.plan.reach` at the median departure time of the
grid's households of that mode), from each household's own origin node. A point counts as
reachable for a (grid, mode) when every household of it can reach the point; the policy then
chooses among those (:func:`evacsim.plan.assembly.assign_assembly`). Households of a (grid,
mode) that no common point serves — homes on road pieces apart from each other — each go to
their own nearest reachable point, with a warning. The simulation checks again when each
household actually leaves (:mod:`evacsim.sim.simulation`).

Stage 2 starts from the capacity-aware shelter plan
(:func:`evacsim.plan.shelters.initial_shelter_plan`, the min-cost transportation LP) on the roads
open once the hazard has reached its full extent;
each assembly point prefers the shelters its plan gives it (nearest first), then the other
reachable ones. Places are booked at dispatch during the run, which corrects the plan as it
unfolds (:mod:`evacsim.sim.facilities`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from evacsim.demand.groups import Demand, build_demand, grid_threat_levels, origin_candidates
from evacsim.network.snap import snap_points
from evacsim.plan.assembly import Assignment, assign_assembly, merge_rows
from evacsim.plan.plan_file import (
    PlanFile,
    assign_optimized,
    plan_file_path,
    read_plan_file,
    road_edges,
)
from evacsim.plan.reach import MODES, Reach, hazard_rule, mode_networks
from evacsim.plan.shelters import initial_shelter_plan

if TYPE_CHECKING:
    from evacsim.scenario.prepare import Prepared

__all__ = ["Plan", "door_to_door", "make_plan", "outside_zone", "reach_of"]


@dataclass(frozen=True, eq=False)
class Plan:
    """Demand and assignment of a run (inputs of the simulation proper).

    Attributes
    ----------
    demand
        The evacuee groups.
    assignment
        Stage 1, rows (grid, mode).
    group_ap
        Assembly point index (column of ``assignment``) of each group; -1: none reachable.
    ap_usable, shelter_usable
        Facilities outside the evacuation zone (the others are never used).
    shelter_plan
        Stage 2's LP: per assembly point, ``(shelter id, persons)``.
    shelter_prefs
        Per assembly point, the usable shelters it can reach once the hazard has spread: those of
        its ``shelter_plan`` first, then the others, each part nearest first.
    warnings
        One line each.
    """

    demand: Demand
    assignment: Assignment
    group_ap: np.ndarray
    ap_usable: np.ndarray
    shelter_usable: np.ndarray
    shelter_plan: dict[str, list[tuple[str, int]]]
    shelter_prefs: dict[str, list[str]]
    warnings: tuple[str, ...]
    # (grid id, mode, assembly point id) -> preferred edges (an optimized plan's routes)
    routes: Mapping[tuple[str, str, str], tuple[int, ...]] = field(default_factory=dict)
    # grid id -> extra hold of its warning, s (an optimized plan's staged departures); applied by
    # the warning stage (evacsim.sim.warning.apply_warning) in either warning mode
    grid_delay_s: Mapping[str, float] = field(default_factory=dict)


def outside_zone(prepared: Prepared, layer: str) -> tuple[np.ndarray, list[str]]:
    """Which facilities of a layer lie outside the evacuation zone, and a warning for each other.

    A facility inside the zone is not used: people are never sent into the area being evacuated.
    """
    zone = prepared.zones.evacuation_zone()
    gdf = getattr(prepared.area, layer)
    if zone is None or zone.is_empty:
        return np.ones(len(gdf), dtype=bool), []
    inside = np.asarray(gdf.geometry.intersects(zone), dtype=bool)
    warnings = [
        f"layer '{layer}', feature '{fid}': inside the evacuation zone, not used"
        for fid in gdf["id"].astype(str).to_numpy()[inside]
    ]
    return ~inside, warnings


def door_to_door(prepared: Prepared) -> bool:
    """Whether team vehicles fetch the persons who need assistance (``teams.door_to_door`` and
    some team has a vehicle): they then reach their assembly point by car from the road node
    nearest their home."""
    bases = prepared.area.team_bases
    has_vehicle = len(bases) > 0 and int(bases["vehicles"].sum()) > 0
    return bool(has_vehicle and prepared.scenario.teams.door_to_door)


def reach_of(prepared: Prepared) -> Reach:
    """The run's :class:`~evacsim.plan.reach.Reach`: modes, closed roads and hazard rule."""
    sc, net = prepared.scenario, prepared.network
    closed = np.isin(net.edge_road_id, list(sc.simulation.closed_roads))
    return Reach(net, mode_networks(net, sc.evacuation), hazard_rule(prepared.zones, net), closed)


@dataclass(frozen=True, eq=False)
class _Rows:
    """Stage-1 rows: one per (grid, mode) with persons, and each group's row."""

    grid: list[str]
    mode: list[str]
    t_s: np.ndarray  # median departure of the row's groups
    persons: np.ndarray
    of_group: np.ndarray


def _rows(groups: pd.DataFrame, grid_order: list[str]) -> _Rows:
    grid_rank = {g: k for k, g in enumerate(grid_order)}
    mode_rank = {m: k for k, m in enumerate(MODES)}
    keys = sorted(
        set(zip(groups["grid_id"].astype(str), groups["mode"].astype(str), strict=True)),
        key=lambda k: (grid_rank.get(k[0], len(grid_rank)), k[0], mode_rank[k[1]]),
    )
    index = {k: i for i, k in enumerate(keys)}
    of_group = np.array(
        [
            index[k]
            for k in zip(groups["grid_id"].astype(str), groups["mode"].astype(str), strict=True)
        ],
        dtype=np.int64,
    )
    persons = np.bincount(of_group, weights=groups["persons"], minlength=len(keys)).astype(np.int64)
    median = groups["departure_s"].groupby(of_group).median()
    t_s = median.reindex(range(len(keys))).to_numpy(float)
    return _Rows([k[0] for k in keys], [k[1] for k in keys], t_s, persons, of_group)


def _travellers(prepared: Prepared, groups: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per group, the mode it travels by and the node it sets off from: its own, except persons
    fetched door to door, who go by car from the drivable node nearest their home."""
    mode = groups["mode"].astype(str).to_numpy(dtype=object).copy()  # never the table's own
    origin = groups["origin_node"].to_numpy(np.int64).copy()
    fetched = np.flatnonzero((mode == "assisted") & door_to_door(prepared))
    if len(fetched):
        net = prepared.network
        homes = gpd.GeoSeries(
            shapely.points(net.node_x_m[origin[fetched]], net.node_y_m[origin[fetched]]),
            crs=net.crs,
        )
        origin[fetched] = snap_points(net, homes, mode="car")[0]
        mode[fetched] = "car"
    return mode, origin


def _group_times(
    prepared: Prepared, reach: Reach, rows: _Rows, mode: np.ndarray, origin: np.ndarray
) -> np.ndarray:
    """Groups × assembly points: free-flow time from each group's origin by its mode
    (:func:`_travellers`), under the roads open at its row's time (inf: unreachable)."""
    snap = prepared.snapped.assembly_points
    out = np.full((len(mode), len(snap.ids)), np.inf)
    row_state = reach.rule.state_index(rows.t_s)
    group_state = row_state[rows.of_group]
    for m in MODES:
        dests = snap.car_node if m == "car" else snap.walk_node
        for state in np.unique(group_state[mode == m]).tolist():
            sel = np.flatnonzero((mode == m) & (group_state == state))
            t = float(rows.t_s[np.flatnonzero(row_state == state)].min())
            uniq, inv = np.unique(origin[sel], return_inverse=True)
            out[sel] = reach.times_s(m, t, uniq, dests)[inv]
    return out


def _row_times(group_tt: np.ndarray, rows: _Rows, persons: np.ndarray) -> np.ndarray:
    """Rows × points: persons-weighted mean time, ``inf`` unless every group can reach it."""
    n = len(rows.grid)
    finite = np.isfinite(group_tt)
    weighted = np.where(finite, group_tt, 0.0) * persons[:, None]
    total = np.zeros((n, group_tt.shape[1]))
    np.add.at(total, rows.of_group, weighted)
    blocked = np.zeros((n, group_tt.shape[1]), dtype=bool)
    np.logical_or.at(blocked, rows.of_group, ~finite)
    return np.where(blocked, np.inf, total / np.maximum(rows.persons, 1)[:, None])


def _groups_to_aps(
    assignment: Assignment,
    rows: _Rows,
    persons: np.ndarray,
    group_tt: np.ndarray,
    ap_usable: np.ndarray,
    planned: np.ndarray,
    notes: list[tuple[int, str]],
) -> np.ndarray:
    """Each group's point: its row's quotas in order; the groups of a row that no point serves
    as a whole each go to their planned point (``planned``, per row; -1: none) if they can
    reach it, else to their own nearest reachable point (noted per row)."""
    out = np.full(len(persons), -1, dtype=np.int64)
    quotas = assignment.by_row()
    for r in range(len(rows.grid)):
        members = np.flatnonzero(rows.of_group == r)
        k, used = 0, 0
        for g in members.tolist():
            while k < len(quotas[r]) and used >= quotas[r][k][1]:
                k, used = k + 1, 0
            if k == len(quotas[r]):
                break
            out[g] = quotas[r][k][0]
            used += int(persons[g])
        alone = members[out[members] < 0]
        if len(alone):
            own = _own_nearest(assignment, alone, persons, group_tt, ap_usable, planned[r], out)
            notes.append((r, own))
    return out


def _own_nearest(
    assignment: Assignment,
    alone: np.ndarray,
    persons: np.ndarray,
    group_tt: np.ndarray,
    ap_usable: np.ndarray,
    planned: int,
    out: np.ndarray,
) -> str:
    """Send each group of ``alone`` to its planned point if it can reach it (``planned`` >= 0),
    else its nearest reachable usable point (in ``out``); the phrase that says where they went."""
    masked = np.where(ap_usable[None, :], group_tt[alone], np.inf)
    best = np.argmin(masked, axis=1)
    if planned >= 0:
        best = np.where(np.isfinite(masked[:, planned]), planned, best)
    ok = np.isfinite(masked[np.arange(len(alone)), best])
    out[alone[ok]] = best[ok]
    sent = np.bincount(best[ok], weights=persons[alone[ok]], minlength=len(assignment.ap_ids))
    parts = [
        f"{int(sent[j])} persons to '{assignment.ap_ids[j]}'" for j in np.flatnonzero(sent).tolist()
    ]
    stuck = int(persons[alone[~ok]].sum())
    if not parts:
        return f"no usable assembly point can be reached; {stuck} persons stranded at home"
    text = (
        "its homes reach no common usable assembly point; each household goes to "
        f"{'its planned one if it can, else ' if planned >= 0 else ''}its own nearest: "
        f"{', '.join(parts)}"
    )
    return text + (f"; {stuck} persons reach none and are stranded at home" if stuck else "")


def _unreached_points(
    reach: Reach, rows: _Rows, travel: tuple[np.ndarray, np.ndarray], group_tt: np.ndarray,
    ap_ids: list[str], ap_usable: np.ndarray, ap_nodes: dict[str, np.ndarray],
) -> list[str]:  # fmt: skip
    """A warning for each usable point that no evacuating household can reach, and why."""
    if len(group_tt) == 0:
        return []
    lines = []
    mode, origin = str(travel[0][0]), int(travel[1][0])  # the first group says why: all are cut off
    t_s = float(rows.t_s[rows.of_group[0]])
    for j in np.flatnonzero(ap_usable & ~np.isfinite(group_tt).any(axis=0)).tolist():
        why = reach.why_not(mode, t_s, origin, int(ap_nodes["car" if mode == "car" else "walk"][j]))
        lines.append(f"assembly point '{ap_ids[j]}': no evacuating household can reach it ({why})")
    return lines


def _stage2(
    prepared: Prepared,
    reach: Reach,
    ap_loads: dict[str, int],
    shelter_usable: np.ndarray,
    warnings: list[str],
) -> tuple[dict[str, list[tuple[str, int]]], dict[str, list[str]]]:
    """The shelter LP and each point's preference order (roads open once the hazard has spread)."""
    area, snap = prepared.area, prepared.snapped
    shelter_ids = area.shelters["id"].astype(str).tolist()
    st = reach.times_s("car", np.inf, snap.assembly_points.car_node, snap.shelters.car_node)
    capacity = dict(zip(shelter_ids, area.shelters["capacity_persons"].astype(int), strict=True))
    plan = initial_shelter_plan(
        ap_loads, capacity, st, shelter_usable=shelter_usable, warnings=warnings
    )
    prefs: dict[str, list[str]] = {}
    for i, ap in enumerate(ap_loads):
        planned = {s for s, _ in plan.get(ap, [])}
        order = np.lexsort((st[i], [shelter_ids[j] not in planned for j in range(len(st[i]))]))
        prefs[ap] = [
            shelter_ids[j] for j in order.tolist() if shelter_usable[j] and np.isfinite(st[i, j])
        ]
    return plan, prefs


def make_plan(
    prepared: Prepared, rng: np.random.Generator, *, plan_file: PlanFile | None = None
) -> Plan:
    """Demand (who leaves when) and stage-1/stage-2 assignment for a prepared scenario.

    ``plan_file``: follow this optimized plan (as ``assignment = "optimized"`` does with the
    scenario's file), e.g. a candidate of :mod:`evacsim.optimize`.
    """
    sc, area, net = prepared.scenario, prepared.area, prepared.network
    zones = prepared.zones
    levels = grid_threat_levels(area.grids, zones.final())
    demand = build_demand(
        area.grids, zones.evacuation_zone(), grid_levels=levels, population=sc.population,
        departure=sc.departure, evacuation=sc.evacuation,
        origin_nodes=origin_candidates(net, area.grids), rng=rng,
    )  # fmt: skip
    groups = demand.groups
    groups["departure_s"] += sc.departure.stage_offsets_s(groups["level"].to_numpy())
    reach = reach_of(prepared)
    if plan_file is None and sc.evacuation.assignment == "optimized":
        plan_file = _plan_file(prepared)
    ap_usable, ap_warnings = outside_zone(prepared, "assembly_points")
    shelter_usable, shelter_warnings = outside_zone(prepared, "shelters")
    rows = _rows(groups, area.grids["id"].astype(str).tolist())
    persons = groups["persons"].to_numpy(np.int64)
    travel = _travellers(prepared, groups)
    group_tt = _group_times(prepared, reach, rows, *travel)
    row_tt = _row_times(group_tt, rows, persons)
    planned = dict(
        zip(area.grids["id"].astype(str), area.grids["assembly_point"].astype(str), strict=True)
    )
    ap_ids = area.assembly_points["id"].astype(str).tolist()
    ap_nodes = {"car": prepared.snapped.assembly_points.car_node,
                "walk": prepared.snapped.assembly_points.walk_node}  # fmt: skip

    def why(r: int, j: int) -> str:
        members = np.flatnonzero(rows.of_group == r)
        cut = members[~np.isfinite(group_tt[members, j])]
        mode, origin = str(travel[0][cut[0]]), int(travel[1][cut[0]])
        node = ap_nodes["car" if mode == "car" else "walk"][j]
        text = reach.why_not(mode, float(rows.t_s[r]), origin, int(node))
        if len(cut) < len(members):
            some = f"{int(persons[cut].sum())} of {int(rows.persons[r])} persons"
            text = f"from the homes of {some}: {text}"
        return text

    if plan_file is not None:  # the optimized plan's point first; its splits applied per row
        shares = plan_file.shares()
        planned.update({g: s[0][0] for g, s in shares.items() if s and g in planned})
    assign: Any = (
        partial(assign_assembly, sc.evacuation.assignment)
        if plan_file is None else partial(assign_optimized, plan_file)
    )  # fmt: skip
    assignment = assign(
        grid_ids=rows.grid,
        planned_ap=[planned[g] for g in rows.grid], persons=rows.persons, ap_ids=ap_ids,
        ap_capacity_persons=area.assembly_points["capacity_persons"].to_numpy(),
        travel_time_s=row_tt, ap_usable=ap_usable, modes=rows.mode, why_unreachable=why,
        report_unassigned=False,
    )  # fmt: skip
    notes: list[tuple[int, str]] = []
    planned_col = np.array(
        [
            ap_ids.index(planned[g])
            if plan_file is not None or sc.evacuation.assignment == "plan"
            else -1
            for g in rows.grid
        ]
    )
    group_ap = _groups_to_aps(assignment, rows, persons, group_tt, ap_usable, planned_col, notes)
    warnings = [*ap_warnings, *shelter_warnings, *assignment.warnings]
    warnings += merge_rows(notes, rows.grid, rows.mode)
    warnings += _unreached_points(reach, rows, travel, group_tt, ap_ids, ap_usable, ap_nodes)
    sent = group_ap >= 0
    loads = np.bincount(group_ap[sent], weights=persons[sent], minlength=len(ap_ids))
    ap_loads = dict(zip(ap_ids, loads.astype(np.int64).tolist(), strict=True))
    shelter_plan, prefs = _stage2(prepared, reach, ap_loads, shelter_usable, warnings)
    return Plan(
        demand=demand,
        assignment=assignment,
        group_ap=group_ap,
        ap_usable=ap_usable,
        shelter_usable=shelter_usable,
        shelter_plan=shelter_plan,
        shelter_prefs=prefs,
        warnings=tuple(warnings),
        routes=road_edges(net, plan_file.preferred_roads()) if plan_file is not None else {},
        grid_delay_s=plan_file.delay_s() if plan_file is not None else {},
    )


def _plan_file(prepared: Prepared) -> PlanFile:
    """The scenario's plan file, read and checked against the area."""
    plan_file = read_plan_file(plan_file_path(prepared.scenario))
    plan_file.check(prepared.area)
    return plan_file
