"""The optimizer: candidate plans, each proved by the engine, the best one kept.

:func:`optimize` turns a scenario into a plan people can drill — one assembly point per grid (or
shares of a grid, when ``evacuation.split_grids`` allows), a preferred route per grid and mode,
and a departure delay per grid where one shortens the clearance — and proves it by simulation:

1. **the bound** (:func:`evacsim.optimize.bound.clearance_bound`) for the seed's departures;
2. **a bottleneck assignment**: each grid's free-flow clearance to each usable point (the latest
   of its groups' departure + travel time on the roads open to its level) gives a grids × points
   matrix; the smallest horizon ``T`` for which the grids fit the points' capacities using only
   pairs that clear by ``T`` is found by bisection, each test one small MILP (each grid whole to
   one point, least persons × time; HiGHS through :func:`scipy.optimize.milp`) or, when grids
   may be split, one transportation LP (:func:`evacsim.plan.assembly.transport_lp`);
3. **routes**: CCRP (:mod:`evacsim.optimize.ccrp`) books every group's earliest-arrival route
   to its grid's point against the roads' capacity over time; the most used route of each
   grid and mode becomes its preferred route;
4. **candidates**, each simulated by the engine with the run's own departures: the assignment
   with and without the routes, CCRP's own choice of points, the scenario's plan; then a local
   search moves the grids whose people arrive last to their next-best points, and tries staged
   warnings (the outer levels warned later) — each change kept only if the simulated clearance
   improves;
5. **acceptance**: a candidate is ranked by its :class:`Objective` — persons who reach no
   assembly point, then the simulated stage-1 clearance of those who do (the last arrival, p100
   when nobody is cut off), then p90, then p50, then the last arrival at a shelter (ties keep
   the scenario's plan); it is never accepted
   with more persons over FED 0.3 or 1, or incapacitated, than the scenario's plan (harm is not
   traded for time), nor with a point over its capacity (unless the points cannot hold everyone).
   If no candidate beats the scenario's plan in p90 and p100, the reason is recorded (e.g. the
   district's plan overloads a point the optimizer may not).
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from evacsim.network.routing import travel_time_matrix
from evacsim.optimize.bound import Bound, clearance_bound
from evacsim.optimize.ccrp import Booked, ccrp
from evacsim.optimize.networks import Networks
from evacsim.plan.assembly import transport_lp
from evacsim.plan.make import Plan, make_plan
from evacsim.plan.plan_file import PlanFile
from evacsim.results.ete import stage_arrivals
from evacsim.results.summary import summarise
from evacsim.scenario.prepare import Prepared, prepare
from evacsim.sim.simulation import simulate

if TYPE_CHECKING:
    from evacsim.scenario.load import Scenario
    from evacsim.sim.results import Results

__all__ = ["Candidate", "Objective", "Optimized", "harm", "optimize", "stage1_objective"]

log = logging.getLogger(__name__)

#: Delays (s) tried for the staged warning of the outer levels.
STAGE_DELAYS_S = (300.0, 600.0)


def _ete(summary: dict[str, Any], stage: str, p: int) -> float:
    value = summary.get("ete_s", {}).get(stage, {}).get(f"p{p}")
    return math.inf if value is None else float(value)


class Objective(NamedTuple):
    """What the optimizer minimises, compared in this order, each time to the whole second (a
    tenth of a second is not a better plan).

    ``missing`` persons never reach an assembly point (the hazard cuts them off, or they are
    harmed on the way); the times after it compare the people who do reach one, so a plan is
    still ranked when some people cannot be helped by any plan: ``last_s`` is the last arrival
    at an assembly point (the stage-1 clearance, equal to p100 when nobody is missing),
    then p90 and p50 of all persons to evacuate, then the last arrival at a shelter.
    """

    missing: int
    last_s: float
    p90_s: float
    p50_s: float
    shelter_last_s: float


def _last_arrival_s(times_s: np.ndarray, persons: np.ndarray) -> float:
    reached = persons > 0
    return float(np.round(np.nanmax(times_s[reached]))) if reached.any() else math.inf


def stage1_objective(summary: dict[str, Any], results: Results) -> Objective:
    """The :class:`Objective` of a simulated plan (its summary and its results)."""
    arrivals = stage_arrivals(results.groups)
    return Objective(
        int(summary["persons_total"]) - int(arrivals["assembly"][1].sum()),
        _last_arrival_s(*arrivals["assembly"]),
        float(np.round(_ete(summary, "assembly", 90))),
        float(np.round(_ete(summary, "assembly", 50))),
        _last_arrival_s(*arrivals["shelter"]),
    )


def harm(summary: dict[str, Any]) -> dict[str, int]:
    """Persons harmed, from whatever the summary has: over FED 0.3, over FED 1, incapacitated
    (0 where the scenario computes no dose)."""
    exposure = summary.get("exposure", {})
    persons = summary.get("persons", {})
    return {
        "persons_fed_over_0_3": int(exposure.get("persons_fed_over_0_3", 0) or 0),
        "persons_fed_over_1": int(exposure.get("persons_fed_over_1", 0) or 0),
        "incapacitated": int(persons.get("incapacitated", 0) or 0),
    }


@dataclass(eq=False)
class Candidate:
    """A plan and its proof by simulation."""

    name: str
    plan_file: PlanFile
    plan: Plan
    results: Results
    summary: dict[str, Any]
    overloaded: dict[str, int] = field(default_factory=dict)

    @cached_property
    def objective(self) -> Objective:
        return stage1_objective(self.summary, self.results)

    @property
    def harm(self) -> dict[str, int]:
        return harm(self.summary)


@dataclass(eq=False)
class Optimized:
    """The optimizer's result: the bound, the scenario's plan, the best plan, what was tried.

    ``prepared`` is the scenario as given; ``best.plan_file`` is what ``evacsim optimize``
    writes; ``notes`` say what the optimizer found (why a plan is not better, what was kept).
    """

    prepared: Prepared
    seed: int
    bound: Bound
    official: Candidate
    best: Candidate
    tried: list[Candidate]
    notes: list[str]
    runtime_s: float


class _Search:
    """State of one optimization: the demand, the matrices, the simulations so far."""

    def __init__(self, prepared: Prepared, seed: int) -> None:
        self.prepared, self.seed = prepared, seed
        sc = prepared.scenario
        policy = "plan" if sc.evacuation.assignment == "optimized" else sc.evacuation.assignment
        evac = sc.evacuation.model_copy(update={"assignment": policy, "plan_file": None})
        self.base = replace(prepared, scenario=sc.model_copy(update={"evacuation": evac}))
        self.policy = policy
        self.ctx = Networks(prepared)
        self.area = prepared.area
        self.grid_ids = self.area.grids["id"].astype(str).tolist()
        self.ap_ids = self.area.assembly_points["id"].astype(str).tolist()
        self.capacity = self.area.assembly_points["capacity_persons"].to_numpy(np.int64)
        self.official_ap = self.area.grids["assembly_point"].astype(str).tolist()
        self.simulations = 0
        self.may_overload = False

    # ------------------------------------------------------------------ simulate
    def simulate(self, name: str, plan_file: PlanFile | None) -> Candidate:
        """Simulate a plan (None: the scenario's own) with the run's departures."""
        rng = np.random.default_rng(self.seed)
        if plan_file is None:
            plan = make_plan(self.base, rng)
        else:
            plan = make_plan(self.base, rng, plan_file=plan_file)
        results = simulate(self.base, rng=rng, plan=plan)
        summary = summarise(self.base, results)
        self.simulations += 1
        loads = plan.assignment.persons.sum(axis=0)
        over = {
            a: int(n - c)
            for a, n, c in zip(self.ap_ids, loads, self.capacity, strict=True)
            if n > c
        }
        if plan_file is None:
            flows = plan.assignment.grid_persons(self.grid_ids)
            plan_file = self.plan_file(flows, {}, {}, plan.demand)
        cand = Candidate(name, plan_file, plan, results, summary, over)
        log.info(
            "candidate %s: %d persons cut off, last at an assembly point %.0f s, p90 %.0f s",
            name,
            *cand.objective[:3],
        )
        return cand

    # ---------------------------------------------------------------- plan files
    def plan_file(
        self,
        flows: np.ndarray,
        delays: dict[str, float],
        routes: dict[tuple[str, str, str], np.ndarray],
        demand: Any,
    ) -> PlanFile:
        """A plan file from grids × points persons, delays per grid and routes per grid/mode."""
        rows = []
        for i, grid in enumerate(self.grid_ids):
            for j in np.flatnonzero(flows[i]).tolist():
                rows.append(
                    (
                        grid,
                        self.ap_ids[j],
                        int(flows[i, j]),
                        float(delays.get(grid, 0.0)),
                        self.official_ap[i],
                    )
                )
        grids = pd.DataFrame(
            rows,
            columns=["grid_id", "assembly_point", "persons", "delay_s", "official_assembly_point"],
        )
        net = self.prepared.network
        route_rows = []
        for (grid, mode, ap), edges in sorted(routes.items()):
            roads = [str(r) for r in net.edge_road_id[edges]]
            ordered = [r for k, r in enumerate(roads) if k == 0 or r != roads[k - 1]]
            route_rows.append(
                {
                    "grid_id": grid,
                    "mode": mode,
                    "assembly_point": ap,
                    "road_ids": tuple(ordered),
                    "length_m": round(float(net.length_m[edges].sum()), 1),
                    "time_s": round(float(self.ctx.links.weight_s[mode][edges].sum()), 1),
                    "edges": tuple(int(e) for e in edges),
                }
            )
        columns = ["grid_id", "mode", "assembly_point", "road_ids", "length_m", "time_s", "edges"]
        return PlanFile(
            grids=grids, routes=pd.DataFrame(route_rows, columns=columns), source="<optimized>"
        )

    # ------------------------------------------------------------------ matrices
    def grid_clearance(self, groups: pd.DataFrame) -> np.ndarray:
        """Grids × points: the latest free-flow arrival of the grid's groups (inf: a group
        cannot reach the point; grids without groups: 0)."""
        ctx, snap = self.ctx, self.prepared.snapped.assembly_points
        out = np.zeros((len(self.grid_ids), len(self.ap_ids)))
        row = {g: i for i, g in enumerate(self.grid_ids)}
        levels = ctx.effective_levels(groups["level"].to_numpy(np.int64))
        nodes = {"car": snap.car_node, "walk": snap.walk_node, "assisted": snap.walk_node}
        modes = groups["mode"].astype(str).to_numpy()
        for mode, level in sorted(set(zip(modes.tolist(), levels.tolist(), strict=True))):
            sub = groups[(modes == mode) & (levels == level)]
            tt = travel_time_matrix(
                self.prepared.network,
                sub["origin_node"].to_numpy(np.int64),
                nodes[mode],
                weight_s=ctx.links.weight_s[mode],
                usable=ctx.usable(mode, level),
            )
            t = tt + sub["departure_s"].to_numpy(float)[:, None]
            for grid, rows in sub.groupby("grid_id").indices.items():
                i = row[str(grid)]
                out[i] = np.maximum(out[i], t[rows].max(axis=0))
        out[:, ~ctx.ap_usable] = np.inf
        return out

    def bottleneck(self, clear: np.ndarray, persons: np.ndarray, split: bool) -> np.ndarray:
        """Grids × points persons: the least horizon at which the grids fit the points'
        capacities on pairs that clear by it, then least persons × time (module docstring)."""
        finite = np.isfinite(clear) & (persons[:, None] > 0)
        times = np.unique(clear[finite])
        if not times.size:
            return np.zeros(clear.shape, dtype=np.int64)

        def fits(t: float) -> np.ndarray | None:
            allowed = finite & (clear <= t)
            if split:
                flows, over = transport_lp(persons, self.capacity, clear, allowed)
                return flows if not over.any() else None
            return _whole_grids(persons, self.capacity, clear, allowed)

        lo, hi = 0, times.size - 1
        best = fits(float(times[hi]))
        if best is None:  # the points cannot hold everyone: place what fits, nearest for the rest
            best, over = transport_lp(persons, self.capacity, clear, finite)
            rows = np.flatnonzero(over)
            best[rows, np.argmin(np.where(finite, clear, np.inf)[rows], axis=1)] += over[rows]
            return best if split else _whole(best, persons, clear, self.capacity)
        while lo < hi:
            mid = (lo + hi) // 2
            flows = fits(float(times[mid]))
            if flows is None:
                lo = mid + 1
            else:
                hi, best = mid, flows
        return best

    def routes(
        self, groups: pd.DataFrame, flows: np.ndarray, plan: Plan
    ) -> dict[tuple[str, str, str], np.ndarray]:
        """CCRP routes to each group's point in ``plan``; the most used per (grid, mode, point)."""
        booked = ccrp(self.ctx, groups, self.capacity, fixed_ap=plan.group_ap)
        return _most_used(booked, groups, self.ap_ids)


def _whole_grids(
    persons: np.ndarray, capacity: np.ndarray, cost: np.ndarray, allowed: np.ndarray
) -> np.ndarray | None:
    """Each grid whole to one allowed point within the capacities, least persons × ``cost``
    (a generalized assignment: a small MILP for HiGHS, :func:`scipy.optimize.milp`); None if
    none exists."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import csr_array

    rows, cols = np.nonzero(allowed & (persons[:, None] > 0))
    need = np.flatnonzero(persons > 0)
    if not need.size:
        return np.zeros(allowed.shape, dtype=np.int64)
    if not np.isin(need, rows).all():
        return None
    k = rows.size
    one = csr_array((np.ones(k), (np.searchsorted(need, rows), np.arange(k))), shape=(need.size, k))
    load = csr_array((persons[rows].astype(float), (cols, np.arange(k))),
                     shape=(allowed.shape[1], k))  # fmt: skip
    res = milp(
        c=persons[rows] * np.where(np.isfinite(cost[rows, cols]), cost[rows, cols], 0.0),
        constraints=[LinearConstraint(one, 1, 1), LinearConstraint(load, 0, capacity)],
        integrality=np.ones(k), bounds=Bounds(0, 1),
    )  # fmt: skip
    if res.status != 0 or res.x is None:
        return None
    out = np.zeros(allowed.shape, dtype=np.int64)
    pick = np.rint(res.x).astype(bool)
    out[rows[pick], cols[pick]] = persons[rows[pick]]
    return out


def _whole(
    flows: np.ndarray, persons: np.ndarray, clear: np.ndarray, capacity: np.ndarray
) -> np.ndarray:
    """Each grid whole to the point that takes most of it; then, while a point is over its
    capacity, the grid of it that loses least by moving goes to the next point with room."""
    out = np.zeros_like(flows)
    rows = np.flatnonzero(persons > 0)
    out[rows, np.argmax(flows[rows], axis=1)] = persons[rows]
    for _ in range(len(rows)):
        load = out.sum(axis=0)
        over = np.flatnonzero(load > capacity)
        if not over.size:
            break
        j = int(over[0])
        best: tuple[float, int, int] | None = None
        for i in np.flatnonzero(out[:, j]).tolist():
            fits = np.isfinite(clear[i]) & (load + persons[i] <= capacity)
            fits[j] = False
            if fits.any():
                k = int(np.argmin(np.where(fits, clear[i], np.inf)))
                loss = float(clear[i, k] - clear[i, j])
                if best is None or loss < best[0]:
                    best = (loss, i, k)
        if best is None:
            break  # nothing can move: the points cannot hold everyone
        _, i, k = best
        out[i, j], out[i, k] = 0, persons[i]
    return out


def _most_used(
    booked: Booked, groups: pd.DataFrame, ap_ids: list[str]
) -> dict[tuple[str, str, str], np.ndarray]:
    count: dict[tuple[str, str, str], Counter[tuple[int, ...]]] = {}
    persons = groups["persons"].to_numpy(np.int64)
    for g, (grid, mode) in enumerate(zip(groups["grid_id"], groups["mode"], strict=True)):
        if booked.ap[g] < 0 or not booked.edges[g].size:
            continue
        key = (str(grid), str(mode), ap_ids[int(booked.ap[g])])
        count.setdefault(key, Counter())[tuple(booked.edges[g].tolist())] += int(persons[g])
    return {k: np.array(c.most_common(1)[0][0], dtype=np.int64) for k, c in sorted(count.items())}


def _better(a: Candidate, b: Candidate) -> bool:
    return a.objective < b.objective


def optimize(
    scenario: Scenario | Prepared | str | Path,
    *,
    seed: int | None = None,
    max_simulations: int = 24,
    time_budget_s: float = 75.0,
) -> Optimized:
    """Optimize a scenario's plan and prove it by simulation (see the module docstring).

    Parameters
    ----------
    scenario
        A scenario (file, :class:`~evacsim.scenario.load.Scenario` or prepared).
    seed
        The departures to optimize for (default: the scenario's seed).
    max_simulations, time_budget_s
        Stop the local search after this many simulations or this much wall time.
    """
    t0 = time.perf_counter()
    prepared = scenario if isinstance(scenario, Prepared) else prepare(scenario)
    seed = prepared.scenario.seed if seed is None else int(seed)
    s = _Search(prepared, seed)
    official = s.simulate(f"scenario plan ({s.policy})", None)
    demand = official.plan.demand
    groups = demand.groups
    bound = clearance_bound(prepared, demand=demand)
    split = prepared.scenario.evacuation.split_grids
    persons = (
        demand.per_grid.set_index("grid_id")
        .reindex(s.grid_ids)["persons_evacuating"]
        .fillna(0)
        .to_numpy(np.int64)
    )
    clear = s.grid_clearance(groups)
    flows = s.bottleneck(clear, persons, split)
    tried = [official]
    plain = s.simulate("bottleneck assignment", s.plan_file(flows, {}, {}, demand))
    routes = s.routes(groups, flows, plain.plan)
    tried += [
        plain,
        s.simulate("bottleneck assignment + CCRP routes", s.plan_file(flows, {}, routes, demand)),
    ]
    free = ccrp(s.ctx, groups, s.capacity)
    free_flows = _booked_flows(free, groups, s.grid_ids, len(s.ap_ids))
    free_flows = free_flows if split else _whole(free_flows, persons, clear, s.capacity)
    tried.append(
        s.simulate("CCRP", s.plan_file(free_flows, {}, _most_used(free, groups, s.ap_ids), demand))
    )
    s.may_overload = int(persons.sum()) > int(s.capacity[s.ctx.ap_usable].sum())
    ok = [c for c in tried if _acceptable(c, official, s.may_overload)]  # the scenario's first
    best = min(ok, key=lambda c: c.objective) if ok else official
    best = _local_search(
        s, best, official, clear, persons, demand, tried, t0, max_simulations, time_budget_s
    )
    notes = _notes(best, official, bound)
    return Optimized(prepared, seed, bound, official, best, tried, notes, time.perf_counter() - t0)


def _acceptable(c: Candidate, official: Candidate, may_overload: bool = False) -> bool:
    """No more persons harmed than the scenario's plan, no point over its capacity (unless the
    usable points cannot hold everyone)."""
    worse = any(c.harm[k] > v for k, v in official.harm.items())
    return not worse and (may_overload or not c.overloaded)


def _booked_flows(booked: Booked, groups: pd.DataFrame, grid_ids: list[str], m: int) -> np.ndarray:
    row = {g: i for i, g in enumerate(grid_ids)}
    flows = np.zeros((len(grid_ids), m), dtype=np.int64)
    ok = booked.ap >= 0
    rows = np.array([row[str(g)] for g in groups["grid_id"].to_numpy()[ok]], dtype=np.int64)
    np.add.at(flows, (rows, booked.ap[ok]), groups["persons"].to_numpy(np.int64)[ok])
    return flows


def _local_search(
    s: _Search,
    best: Candidate,
    official: Candidate,
    clear: np.ndarray,
    persons: np.ndarray,
    demand: Any,
    tried: list[Candidate],
    t0: float,
    max_simulations: int,
    budget_s: float,
) -> Candidate:
    """Move the grids whose people arrive last to their next-best points; try staged delays."""

    def room() -> bool:
        return s.simulations < max_simulations and time.perf_counter() - t0 < budget_s

    def flows_of(c: Candidate) -> np.ndarray:
        return c.plan.assignment.grid_persons(s.grid_ids)

    routes = _routes_of(best)
    tabu: set[tuple[str, int]] = set()
    improved = True
    while improved and room():
        improved = False
        g = best.results.groups
        late = g.sort_values("t_assembly_s", ascending=False, kind="stable")
        for grid in list(dict.fromkeys(late["grid_id"].astype(str)))[:3]:
            i = s.grid_ids.index(grid)
            flows = flows_of(best)
            for j in np.argsort(clear[i], kind="stable").tolist():
                if not room() or not np.isfinite(clear[i, j]) or flows[i, j] == persons[i]:
                    continue
                if (grid, j) in tabu:
                    continue
                tabu.add((grid, j))
                new = flows.copy()
                new[i] = 0
                new[i, j] = persons[i]
                if (new.sum(axis=0) > s.capacity).any() and not s.may_overload:
                    continue
                keep = {k: v for k, v in routes.items() if k[0] != grid}
                cand = s.simulate(
                    f"move {grid} to {s.ap_ids[j]}",
                    s.plan_file(new, best.plan_file.delay_s(), keep, demand),
                )
                tried.append(cand)
                if _acceptable(cand, official, s.may_overload) and _better(cand, best):
                    best, routes, improved = cand, keep, True
                    break
            if improved:
                break
    for delay in STAGE_DELAYS_S:  # staged warning: outer levels later
        if not room():
            break
        levels = demand.per_grid.set_index("grid_id")["level"]
        delays = {g: delay for g in s.grid_ids if int(levels.get(g, 3)) >= 1}
        cand = s.simulate(
            f"outer levels warned {delay / 60:g} min later",
            s.plan_file(flows_of(best), delays, routes, demand),
        )
        tried.append(cand)
        if _acceptable(cand, official, s.may_overload) and _better(cand, best):
            best = cand
    return best


def _routes_of(c: Candidate) -> dict[tuple[str, str, str], np.ndarray]:
    r = c.plan_file.routes
    if r.empty or "edges" not in r:
        return {}
    return {
        (str(x.grid_id), str(x.mode), str(x.assembly_point)): np.asarray(x.edges, np.int64)
        for x in r.itertuples(index=False)
    }


def _notes(best: Candidate, official: Candidate, bound: Bound) -> list[str]:
    notes = []
    b_obj, o_obj = best.objective, official.objective
    if best is official:
        notes.append("no candidate plan beat the scenario's plan; the plan file keeps it")
    for name, label in (("last_s", "p100"), ("p90_s", "p90")):
        later = getattr(b_obj, name) - getattr(o_obj, name)
        if later > 1e-6:
            over = ", ".join(f"{a} by {n}" for a, n in official.overloaded.items())
            why = f"; the scenario's plan overloads {over} persons, which the optimizer may not"
            why = why if official.overloaded else ""
            notes.append(
                f"stage-1 clearance {label} is {later:.0f} s later than the scenario's plan{why}"
            )
    if b_obj.missing:
        notes.append(
            f"{b_obj.missing} persons reach no assembly point in any plan tried; "
            "the clearance compared is that of the persons who reach one"
        )
    if bound.assembly_s and math.isfinite(b_obj.last_s):
        notes.append(
            f"simulated stage-1 clearance is {b_obj.last_s / bound.assembly_s:.3f}× the bound"
        )
    return notes
