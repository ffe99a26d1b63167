"""A lower bound on the clearance time of a scenario: no plan can clear it sooner.

:func:`clearance_bound` answers "how far is our plan from the best possible?": the earliest time
by which every evacuee could reach an assembly point (stage 1) — and every car that drives on, a
shelter — given the departure times the scenario's seed draws (as release times), the roads'
flow capacities and free-flow times. It is the quickest transshipment on a time-expanded
network (:mod:`evacsim.optimize.ten`), computed per travel mode because the engine gives each
mode its own link queues (:mod:`evacsim.sim.router`): the bound is the latest of the modes.

Relaxations (each can only make the bound earlier, so it stays a bound on every plan the
engine can run; ``README.md`` explains them to users):

* **storage**: queues never spill back; nobody waits for room on the next road;
* **rounding**: times round down and per-step capacities round up (:mod:`evacsim.optimize.ten`);
* **assembly points** take anyone (the engine does not turn people away either); any usable
  point counts, whatever the plan says;
* **the hazard**: a group may use any road that is no worse than its own threat level when the
  run starts (the rule tightens as zones grow, never loosens); groups of each level are also
  bounded on their own, on the roads open to them, and the latest of these counts;
* **door-to-door help**: a person fetched by a team arrives no sooner than the later of their
  own departure and the nearest team's drive to them, plus the drive to the nearest point;
  queues, the number of team vehicles and their other trips are ignored;
* **traffic control** raises capacity by ``teams.capacity_factor`` wherever it might apply;
* **stage 2**: cars drive on from any usable point, with the whole road capacity to
  themselves (no buses, no stage-1 traffic), to any usable shelter with room for them.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from evacsim.optimize.networks import LEVEL_OUTSIDE, Networks
from evacsim.optimize.ten import StaticNetwork, per_step_capacity, quickest_transshipment
from evacsim.plan.make import make_plan

if TYPE_CHECKING:
    import pandas as pd

    from evacsim.demand.groups import Demand
    from evacsim.scenario.prepare import Prepared

__all__ = ["STEP_CANDIDATES_S", "Bound", "choose_step_s", "clearance_bound", "official_demand"]

log = logging.getLogger(__name__)

#: Step lengths (s) the automatic choice considers: divisors of 3600 up to one minute, so that
#: common capacities (veh/h) make whole numbers per step.
STEP_CANDIDATES_S: tuple[float, ...] = (
    1,
    2,
    3,
    4,
    5,
    6,
    8,
    9,
    10,
    12,
    15,
    18,
    20,
    24,
    30,
    36,
    40,
    45,
    60,
)

#: Most time-expanded nodes a bound may build (memory and time stay well under a minute).
MAX_TEN_NODES = 4_000_000

_LEVEL_NAMES = ("red", "orange", "yellow", "outside")


def choose_step_s(
    capacity_per_s: np.ndarray, *, max_unit: int, horizon_s: float, n_nodes: int
) -> float:
    """The step Δ (s) that keeps the rounding loss of the bound smallest.

    The estimated relative loss of a step is ``3Δ / horizon`` (releases, horizon and a detour
    each round down by less than Δ) plus the worst relative rounding-up of a link's per-step
    capacity (``(ceil(c·Δ) − 1 + max_unit − c·Δ) / (c·Δ)``); steps that would build more than
    :data:`MAX_TEN_NODES` nodes are skipped. Ties: the shorter step.
    """
    cap = np.unique(np.asarray(capacity_per_s, dtype=float))
    cap = cap[np.isfinite(cap) & (cap > 0)]
    horizon = max(float(horizon_s), 1.0)
    best, best_loss = STEP_CANDIDATES_S[-1], math.inf
    for step in STEP_CANDIDATES_S:
        if n_nodes * (horizon * 1.5 / step + 1) > MAX_TEN_NODES:
            continue
        per = per_step_capacity(cap, step, max_unit).astype(float)
        cap_loss = float(np.max((per - cap * step) / (cap * step))) if cap.size else 0.0
        loss = 3.0 * step / horizon + cap_loss
        if loss < best_loss - 1e-12:
            best, best_loss = float(step), loss
    return best


@dataclass(frozen=True)
class Bound:
    """The lower bound of one scenario and seed.

    Attributes
    ----------
    assembly_s
        Stage 1: no plan brings everyone who can reach an assembly point there sooner
        (seconds since the alert; ``None`` when nobody evacuates).
    shelter_by_car_s
        Cars that drive on: none reaches a shelter sooner (``None``: cars do not drive on, or
        there are none).
    step_s
        Δ per mode (the bound is a whole number of steps).
    unreachable_persons
        Persons who can reach no usable assembly point at all (left out of ``assembly_s``).
    components
        One record per part computed: ``stage``, ``mode``, ``levels``, ``units``, ``persons``,
        ``bound_s``, ``step_s``, ``arcs`` (of the time-expanded network), ``trials``.
    runtime_s
        Wall time, seconds.
    """

    assembly_s: float | None
    shelter_by_car_s: float | None
    step_s: dict[str, float]
    unreachable_persons: int
    components: list[dict[str, Any]] = field(default_factory=list)
    runtime_s: float = 0.0

    def to_summary(self) -> dict[str, Any]:
        """The ``bound_s`` entry of ``summary.json`` (documented in the README)."""
        return {
            "assembly": _round(self.assembly_s),
            "shelter_by_car": _round(self.shelter_by_car_s),
            "step_s": dict(self.step_s),
            "unreachable_persons": self.unreachable_persons,
        }


def _round(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), 1)


def official_demand(prepared: Prepared, seed: int) -> Demand:
    """The demand (groups and departure times) the scenario's seed draws, before any delay an
    optimized plan adds: the release times of the bound."""
    sc = prepared.scenario
    evac = sc.evacuation.model_copy(update={"assignment": "plan", "plan_file": None})
    official = replace(prepared, scenario=sc.model_copy(update={"evacuation": evac}))
    return make_plan(official, np.random.default_rng(seed)).demand


def _static(
    ctx: Networks, mode: str, level: int, sinks: np.ndarray, cap_per_step: np.ndarray
) -> StaticNetwork:
    edges = np.flatnonzero(ctx.usable(mode, level))
    net = ctx.net
    return StaticNetwork(
        n_nodes=net.n_nodes,
        tail=net.edge_tail[edges].astype(np.int64),
        head=net.edge_head[edges].astype(np.int64),
        freeflow_s=ctx.links.weight_s[mode][edges],
        cap_per_step=cap_per_step[edges],
        sinks=np.asarray(sinks, dtype=np.int64),
        sink_capacity=np.full(len(sinks), -1, dtype=np.int64),
    )


def _horizon_s(net: StaticNetwork, origins: np.ndarray, release_s: np.ndarray) -> float:
    pot = net.time_to_sink_s()[origins]
    ok = np.isfinite(pot)
    return float((release_s[ok] + pot[ok]).max()) if ok.any() else 1.0


def _stage1_mode(
    ctx: Networks, groups: pd.DataFrame, mode: str, step_s: float | None
) -> tuple[list[dict[str, Any]], float]:
    """Stage-1 bound of one mode: all its groups (level-0 roads), then each level on its own."""
    g = groups[groups["mode"] == mode]
    sized = mode != "car"  # walkers queue as persons; cars are one unit each
    persons = g["persons"].to_numpy(np.int64)
    units = persons if sized else np.ones(len(g), dtype=np.int64)
    max_unit = int(units.max()) if sized else 1
    level = ctx.effective_levels(g["level"].to_numpy(np.int64))
    origins = g["origin_node"].to_numpy(np.int64)
    release = g["departure_s"].to_numpy(float)
    cap = ctx.capacity_per_s(mode)
    if step_s is None:
        probe = _static(ctx, mode, 0, ctx.ap_nodes[mode], np.full(ctx.net.n_edges, -1))
        step_s = choose_step_s(
            cap[ctx.usable(mode, 0)],
            max_unit=max_unit,
            horizon_s=_horizon_s(probe, origins, release),
            n_nodes=ctx.net.n_nodes,
        )
    per_step = per_step_capacity(np.nan_to_num(cap, nan=np.inf), step_s, max_unit)
    out = []
    for lv in sorted(set(level.tolist())):
        pick = level >= lv  # the first (lowest) level present: every group
        net = _static(ctx, mode, lv, ctx.ap_nodes[mode], per_step)
        res = quickest_transshipment(
            net,
            origins=origins[pick],
            release_s=release[pick],
            units=units[pick],
            step_s=step_s,
        )
        lost = ~np.isfinite(net.time_to_sink_s()[origins[pick]])
        out.append(
            {
                "stage": "assembly",
                "mode": mode,
                "levels": _LEVEL_NAMES[lv] + ("" if lv == LEVEL_OUTSIDE else " and safer"),
                "units": res.units,
                "persons": int(persons[pick].sum()),
                "unreachable_units": res.unreachable_units,
                "unreachable_persons": int(persons[pick][lost].sum()),
                "bound_s": float(res.clearance_s),
                "step_s": step_s,
                "arcs": res.arcs,
                "trials": res.trials,
            }
        )
    return out, step_s


def _door_to_door(ctx: Networks, groups: pd.DataFrame) -> dict[str, Any] | None:
    """Assisted persons fetched by teams: release (or the nearest team's arrival), then the
    fastest drive to a usable point, each on its own (no queues)."""
    sc = ctx.prepared.scenario
    bases = ctx.prepared.area.team_bases
    g = groups[groups["mode"] == "assisted"]
    has_teams = len(bases) > 0 and int(bases["vehicles"].sum()) > 0
    if not (sc.teams.door_to_door and has_teams) or g.empty:
        return None
    import geopandas as gpd
    import shapely
    from scipy.sparse.csgraph import dijkstra

    from evacsim.network.snap import snap_points
    from evacsim.optimize.ten import min_csr

    net = ctx.net
    origin = g["origin_node"].to_numpy(np.int64)
    pts = gpd.GeoSeries(shapely.points(net.node_x_m[origin], net.node_y_m[origin]), crs=net.crs)
    pickup, _ = snap_points(net, pts, mode="car")
    drive = ctx.links.usable["car"] & ctx.open
    e = np.flatnonzero(drive)
    w = np.maximum(ctx.links.weight_s["car"][e], 1e-12)
    fwd = min_csr(
        net.edge_tail[e].astype(np.int64), net.edge_head[e].astype(np.int64), w, net.n_nodes
    )
    base_nodes = ctx.prepared.snapped.team_bases.car_node[bases["vehicles"].to_numpy() > 0]
    from_base = dijkstra(fwd, indices=np.unique(base_nodes), min_only=True)
    to_ap = dijkstra(fwd.T.tocsr(), indices=ctx.ap_nodes["car"], min_only=True)
    fetched = np.maximum(
        g["departure_s"].to_numpy(float), sc.teams.mobilisation_s + from_base[pickup]
    )
    arrive = fetched + to_ap[pickup]
    ok = np.isfinite(arrive)
    return {
        "stage": "assembly",
        "mode": "assisted",
        "levels": "door to door (no queues)",
        "units": int(ok.sum()),
        "persons": int(g["persons"].sum()),
        "unreachable_units": int((~ok).sum()),
        "unreachable_persons": int(g["persons"].to_numpy()[~ok].sum()),
        "bound_s": float(arrive[ok].max()) if ok.any() else math.nan,
        "step_s": 0.0,
        "arcs": 0,
        "trials": 0,
    }


def _shelter_by_car(ctx: Networks, groups: pd.DataFrame, step_s: float) -> dict[str, Any] | None:
    """Cars: to any usable point, then on to any usable shelter with room (two layers)."""
    sc = ctx.prepared.scenario
    g = groups[groups["mode"] == "car"]
    if not sc.transport.cars_continue or g.empty or not len(ctx.shelter_nodes):
        return None
    net, n = ctx.net, ctx.net.n_nodes
    per_step = per_step_capacity(np.nan_to_num(ctx.capacity_per_s("car"), nan=np.inf), step_s)
    e = np.flatnonzero(ctx.usable("car", 0))
    tail, head = net.edge_tail[e].astype(np.int64), net.edge_head[e].astype(np.int64)
    ap = ctx.ap_nodes["car"]
    min_car = max(int(g["persons"].min()), 1)
    static = StaticNetwork(
        n_nodes=2 * n,
        tail=np.r_[tail, tail + n, ap],
        head=np.r_[head, head + n, ap + n],
        freeflow_s=np.r_[
            ctx.links.weight_s["car"][e], ctx.links.weight_s["car"][e], np.zeros(ap.size)
        ],
        cap_per_step=np.r_[per_step[e], per_step[e], np.full(ap.size, -1)],
        sinks=ctx.shelter_nodes + n,
        sink_capacity=ctx.shelter_cap // min_car,  # each car brings at least min_car persons
    )
    res = quickest_transshipment(
        static,
        origins=g["origin_node"].to_numpy(np.int64),
        release_s=g["departure_s"].to_numpy(float),
        units=np.ones(len(g), dtype=np.int64),
        step_s=step_s,
    )
    return {
        "stage": "shelter_by_car",
        "mode": "car",
        "levels": "all (red roads open)",
        "units": res.units,
        "persons": int(g["persons"].sum()),
        "unreachable_units": res.unreachable_units,
        "unreachable_persons": 0,
        "bound_s": float(res.clearance_s),
        "step_s": step_s,
        "arcs": res.arcs,
        "trials": res.trials,
    }


def clearance_bound(
    prepared: Prepared,
    *,
    seed: int | None = None,
    demand: Demand | None = None,
    step_s: float | None = None,
) -> Bound:
    """The lower bound on clearance time of a prepared scenario (see the module docstring).

    Parameters
    ----------
    prepared
        From :func:`evacsim.scenario.prepare.prepare`.
    seed
        Draws the departure times (default: the scenario's seed), as for a run.
    demand
        Use these groups and departure times instead of drawing them.
    step_s
        Force the step Δ (s) for every mode; default: chosen per mode (:func:`choose_step_s`).

    Returns
    -------
    Bound
    """
    t0 = time.perf_counter()
    sc = prepared.scenario
    if demand is None:
        demand = official_demand(prepared, sc.seed if seed is None else int(seed))
    groups = demand.groups
    ctx = Networks(prepared)
    comps: list[dict[str, Any]] = []
    steps: dict[str, float] = {}
    door = _door_to_door(ctx, groups)
    for mode in ("car", "walk", "assisted"):
        if (groups["mode"] == mode).any() and not (mode == "assisted" and door is not None):
            part, steps[mode] = _stage1_mode(ctx, groups, mode, step_s)
            comps += part
    if door is not None:
        comps.append(door)
    stage1 = [c for c in comps if c["stage"] == "assembly" and math.isfinite(c["bound_s"])]
    car = _shelter_by_car(ctx, groups, steps.get("car", step_s or 10.0))
    if car is not None:
        comps.append(car)
    unreachable = _unreachable_persons(comps)
    bound = Bound(
        assembly_s=max((c["bound_s"] for c in stage1), default=None),
        shelter_by_car_s=car["bound_s"] if car is not None else None,
        step_s=steps,
        unreachable_persons=unreachable,
        components=comps,
        runtime_s=time.perf_counter() - t0,
    )
    log.info(
        "bound: assembly %s s, by car to shelter %s s (%.1f s)",
        bound.assembly_s,
        bound.shelter_by_car_s,
        bound.runtime_s,
    )
    return bound


def _unreachable_persons(comps: list[dict[str, Any]]) -> int:
    """Persons no usable point can be reached from (the all-groups part of each mode)."""
    seen: set[str] = set()
    total = 0
    for c in comps:
        if c["stage"] != "assembly" or c["mode"] in seen:
            continue
        seen.add(c["mode"])
        total += c["unreachable_persons"]
    return total
