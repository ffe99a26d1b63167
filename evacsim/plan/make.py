"""The plan of a run: demand (who leaves when, from where) and stage-1/stage-2 assignment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from evacsim.demand.groups import Demand, build_demand, grid_threat_levels, origin_candidates
from evacsim.plan.assembly import Assignment, assign_assembly
from evacsim.plan.plan_file import (
    PlanFile,
    assign_optimized,
    plan_file_path,
    read_plan_file,
    road_edges,
)
from evacsim.plan.shelters import shelter_preferences

if TYPE_CHECKING:
    from evacsim.scenario.prepare import Prepared

__all__ = ["Plan", "make_plan", "outside_zone"]


@dataclass(frozen=True, eq=False)
class Plan:
    """Demand and assignment of a run (inputs of the simulation proper)."""

    demand: Demand
    assignment: Assignment
    group_ap: np.ndarray  # assembly point index of each group (-1: none reachable)
    ap_levels: np.ndarray
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


def _groups_to_aps(demand: Demand, assignment: Assignment) -> np.ndarray:
    """Give each group an assembly point, filling each grid's (ap, persons) quotas in order."""
    ap_index = {ap: i for i, ap in enumerate(assignment.ap_ids)}
    out = np.full(len(demand.groups), -1, dtype=np.int64)
    g = demand.groups
    persons = g["persons"].to_numpy(np.int64)
    for grid_id, rows in g.groupby("grid_id", sort=True).indices.items():
        quotas = [(ap_index[ap], n) for ap, n in assignment.by_grid.get(str(grid_id), [])]
        k, used = 0, 0
        for row in rows:
            while k < len(quotas) and used >= quotas[k][1]:
                k, used = k + 1, 0
            if k == len(quotas):
                break
            out[row] = quotas[k][0]
            used += int(persons[row])
    return out


def make_plan(
    prepared: Prepared, rng: np.random.Generator, *, plan_file: PlanFile | None = None
) -> Plan:
    """Demand (who leaves when) and stage-1/stage-2 assignment for a prepared scenario.

    ``plan_file``: follow this optimized plan (as ``assignment = "optimized"`` does with the
    scenario's file), e.g. a candidate of :mod:`evacsim.optimize`.
    """
    sc, area, net, snap = prepared.scenario, prepared.area, prepared.network, prepared.snapped
    zones = prepared.zones
    levels = grid_threat_levels(area.grids, zones.final())
    demand = build_demand(
        area.grids, zones.evacuation_zone(), grid_levels=levels, population=sc.population,
        departure=sc.departure, evacuation=sc.evacuation,
        origin_nodes=origin_candidates(net, area.grids), rng=rng,
    )  # fmt: skip
    demand.groups["departure_s"] += sc.departure.stage_offsets_s(demand.groups["level"].to_numpy())
    if plan_file is None and sc.evacuation.assignment == "optimized":
        plan_file = _plan_file(prepared)
    per_grid = demand.per_grid.set_index("grid_id")
    grid_ids = area.grids["id"].astype(str).to_numpy()
    persons = per_grid.reindex(grid_ids)["persons_evacuating"].fillna(0).to_numpy(np.int64)
    from evacsim.network.routing import travel_time_matrix, walk_weights

    ap_usable, ap_warnings = outside_zone(prepared, "assembly_points")
    shelter_usable, shelter_warnings = outside_zone(prepared, "shelters")
    weight_s, usable = walk_weights(net, speed_mps=sc.evacuation.walk_speed_m_s)
    tt = travel_time_matrix(
        net, snap.grids.walk_node, snap.assembly_points.walk_node, weight_s=weight_s, usable=usable
    )
    assign: Any = (
        partial(assign_assembly, sc.evacuation.assignment)
        if plan_file is None else partial(assign_optimized, plan_file)
    )  # fmt: skip
    assignment = assign(
        grid_ids=list(grid_ids),
        planned_ap=area.grids["assembly_point"].astype(str).tolist(), persons=persons,
        ap_ids=area.assembly_points["id"].astype(str).tolist(),
        ap_capacity_persons=area.assembly_points["capacity_persons"].to_numpy(),
        travel_time_s=tt, ap_usable=ap_usable,
    )  # fmt: skip
    ap_levels = grid_threat_levels(area.assembly_points.buffer(1.0), zones.final())
    from evacsim.network.routing import car_weights

    cw, cu = car_weights(net)
    st = travel_time_matrix(
        net, snap.assembly_points.car_node, snap.shelters.car_node, weight_s=cw, usable=cu
    )
    prefs = shelter_preferences(
        area.assembly_points["id"].astype(str).tolist(), area.shelters["id"].astype(str).tolist(),
        st, shelter_usable,
    )  # fmt: skip
    return Plan(
        demand=demand,
        assignment=assignment,
        group_ap=_groups_to_aps(demand, assignment),
        ap_levels=np.asarray(ap_levels, dtype=np.int64),
        shelter_prefs=prefs,
        warnings=(*ap_warnings, *shelter_warnings, *assignment.warnings),
        routes=road_edges(net, plan_file.preferred_roads()) if plan_file is not None else {},
        grid_delay_s=plan_file.delay_s() if plan_file is not None else {},
    )


def _plan_file(prepared: Prepared) -> PlanFile:
    """The scenario's plan file, read and checked against the area."""
    plan_file = read_plan_file(plan_file_path(prepared.scenario))
    plan_file.check(prepared.area)
    return plan_file
