"""The assignment plan: grids → assembly points (stage 1), assembly points → shelters (stage 2).

Stage 1 is a policy, interchangeable behind :func:`assign_assembly`:

``plan``
    The official plan: each grid goes to the assembly point named in the map (the grids layer's
    ``assembly_point``). If that point is unusable (e.g. inside the evacuated zone) or unreachable,
    the grid falls back to its nearest usable point and a warning names the grid, the point and
    the reason.
``nearest``
    Each grid goes to the usable, reachable assembly point with the least travel time (ties: the
    first in ``ap_ids`` order).
``capacity``
    A min-cost transportation problem: minimise the sum of persons × travel time subject to the
    points' capacities (Hitchcock 1941; solved as a linear programme with HiGHS through
    :func:`scipy.optimize.linprog`). Its constraint matrix is totally unimodular, so the simplex
    vertex HiGHS returns is integral: persons are never split into fractions. A grid may be split
    over several points. When the demand exceeds what the usable points can take, the LP first
    places as many persons as capacity allows (max flow), then minimises cost among those
    placements; the overflow of each grid goes to its nearest usable point (over capacity: people
    will not be turned away at an assembly point), and a warning says by how much.

Stage 2 (:func:`shelter_preferences`, :func:`initial_shelter_plan`) orders shelters per assembly
point and makes a capacity-aware initial plan with the same LP; redirecting arrivals when a shelter
fills is the simulation's job (it takes the next shelter in the preference list with room).

Rows are grids, or (grid, travel mode) pairs when ``modes`` is given: each mode then has its own
travel times on its own roads (:mod:`evacsim.plan.reach`), so a grid's car households may go to
another point than its walkers when the planned one cannot be driven to.

Travel times are seconds; ``inf`` marks an unreachable pair. :func:`travel_time_matrix_s` builds
such a matrix on a road network with :func:`evacsim.network.routing.route_tree`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from scipy import sparse

from evacsim.errors import AreaError, ScenarioError, SimulationError

if TYPE_CHECKING:
    from evacsim.network.graph import RoadNetwork

__all__ = [
    "POLICIES",
    "Assignment",
    "Policy",
    "assign_assembly",
    "transport_lp",
    "travel_time_matrix_s",
]

log = logging.getLogger(__name__)


Policy = Literal["plan", "nearest", "capacity"]

POLICIES: tuple[str, ...] = ("plan", "nearest", "capacity")


@dataclass(frozen=True, eq=False)
class Assignment:
    """Stage 1 result: how many persons of each grid go to which assembly point.

    Attributes
    ----------
    policy
        ``plan``, ``nearest`` or ``capacity``.
    grid_ids, ap_ids
        The grid of each row, and the column labels of ``persons``.
    persons
        int64 matrix rows × assembly points, persons sent.
    by_grid
        Per grid, the list of ``(ap_id, persons)`` with persons > 0 (summed over the grid's rows),
        in ``ap_ids`` order; a grid with nobody to send (or no reachable point) has an empty list.
    unassigned
        Persons per grid that no usable point can be reached from (only grids with some).
    travel_time_s
        The grids × points travel-time matrix used, seconds.
    warnings
        One line each: fallbacks, overflows, overloaded points, unreachable grids.
    modes
        The travel mode of each row (``""`` when rows are whole grids).
    """

    policy: str
    grid_ids: tuple[str, ...]
    ap_ids: tuple[str, ...]
    persons: np.ndarray
    by_grid: dict[str, list[tuple[str, int]]]
    unassigned: dict[str, int]
    travel_time_s: np.ndarray
    warnings: tuple[str, ...]
    modes: tuple[str, ...] = ()

    def by_row(self) -> list[list[tuple[int, int]]]:
        """Per row, ``(ap column, persons)`` with persons > 0, in column order."""
        return [
            [(int(j), int(self.persons[i, j])) for j in np.flatnonzero(self.persons[i])]
            for i in range(len(self.grid_ids))
        ]

    def grid_persons(self, grid_ids: Sequence[str]) -> np.ndarray:
        """Grids × points persons (a grid's rows summed), rows in ``grid_ids`` order."""
        index = {g: i for i, g in enumerate(grid_ids)}
        out = np.zeros((len(grid_ids), len(self.ap_ids)), dtype=np.int64)
        np.add.at(out, np.array([index[g] for g in self.grid_ids], dtype=np.int64), self.persons)
        return out

    def ap_loads(self) -> dict[str, int]:
        """Persons sent to each assembly point, in ``ap_ids`` order."""
        return {ap: int(n) for ap, n in zip(self.ap_ids, self.persons.sum(axis=0), strict=True)}

    def cost_person_s(self) -> float:
        """Sum over assigned persons of their travel time, person-seconds."""
        mask = self.persons > 0
        return float((self.persons[mask] * self.travel_time_s[mask]).sum())

    def to_frame(self) -> pd.DataFrame:
        """One row per (row, point) with persons > 0: grid_id, mode, ap_id, persons,
        travel_time_s."""
        rows, cols = np.nonzero(self.persons)
        modes = self.modes or ("",) * len(self.grid_ids)
        return pd.DataFrame(
            {
                "grid_id": [self.grid_ids[i] for i in rows],
                "mode": [modes[i] for i in rows],
                "ap_id": [self.ap_ids[j] for j in cols],
                "persons": self.persons[rows, cols].astype(np.int64),
                "travel_time_s": self.travel_time_s[rows, cols].astype(float),
            }
        )


def _solve(cost: np.ndarray, a_ub: sparse.csr_array, b_ub: np.ndarray, **eq: object) -> np.ndarray:
    """One HiGHS LP over the allowed pairs; integral by total unimodularity (checked)."""
    from scipy.optimize import linprog  # here: importing scipy.optimize costs ~0.2 s

    for method in ("highs", "highs-ds"):
        res = linprog(cost, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method=method, **eq)  # type: ignore[call-overload]
        if res.status != 0:
            raise SimulationError(f"transportation LP failed: {res.message}")
        x = np.asarray(res.x, dtype=float)
        if np.allclose(x, np.rint(x), atol=1e-6):
            return np.rint(x).astype(np.int64)
    raise SimulationError("transportation LP returned a fractional solution")  # pragma: no cover


def transport_lp(
    supply: np.ndarray, capacity: np.ndarray, cost_s: np.ndarray, allowed: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Min-cost transportation with capacities; maximum placement first.

    Parameters
    ----------
    supply
        Integer persons per source (rows), >= 0.
    capacity
        Integer capacity per sink (columns), >= 0.
    cost_s
        Travel time per pair, seconds (rows × columns); only ``allowed`` entries are read.
    allowed
        Boolean rows × columns: the pairs that may carry persons.

    Returns
    -------
    flows, overflow
        int64 rows × columns persons placed within capacity (minimum total persons × seconds
        among the placements of the maximum number of persons), and int64 per row, persons that
        did not fit.
    """
    supply = np.asarray(supply, dtype=np.int64)
    capacity = np.asarray(capacity, dtype=np.int64)
    n, m = allowed.shape
    flows = np.zeros((n, m), dtype=np.int64)
    rows, cols = np.nonzero(allowed & (supply[:, None] > 0) & (capacity[None, :] > 0))
    if rows.size == 0:
        return flows, supply.copy()
    k = rows.size
    a_ub = sparse.vstack(
        [
            sparse.csr_array((np.ones(k), (rows, np.arange(k))), shape=(n, k)),
            sparse.csr_array((np.ones(k), (cols, np.arange(k))), shape=(m, k)),
        ],
        format="csr",
    )
    b_ub = np.concatenate([supply, capacity]).astype(float)
    placed = int(_solve(-np.ones(k), a_ub, b_ub).sum())
    x = _solve(
        np.asarray(cost_s, dtype=float)[rows, cols],
        a_ub,
        b_ub,
        A_eq=np.ones((1, k)),
        b_eq=np.array([float(placed)]),
    )
    flows[rows, cols] = x
    return flows, supply - flows.sum(axis=1)


def _nearest(tt_s: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Per row, the column of least time among allowed ones (-1 if none); ties: first column."""
    masked = np.where(allowed, tt_s, np.inf)
    best = np.argmin(masked, axis=1)
    return np.where(np.isfinite(masked[np.arange(len(best)), best]), best, -1)


def _as_array(
    values: Mapping[str, int] | Sequence[int] | np.ndarray, ids: Sequence[str]
) -> np.ndarray:
    if isinstance(values, Mapping):
        return np.array([int(values.get(i, 0)) for i in ids], dtype=np.int64)
    out = np.asarray(values, dtype=np.int64).reshape(-1)
    if out.size != len(ids):
        raise ValueError(f"{out.size} values for {len(ids)} ids")
    return out


def check_matrix(tt_s: np.ndarray, n: int, m: int, what: str) -> np.ndarray:
    tt = np.asarray(tt_s, dtype=float)
    if tt.shape != (n, m):
        raise ValueError(f"{what} travel_time_s has shape {tt.shape}, expected {(n, m)}")
    if np.isnan(tt).any() or (tt < 0).any():
        raise ValueError(f"{what} travel_time_s has negative or NaN entries")
    return tt


def _planned_columns(
    grid_ids: Sequence[str], planned_ap: Mapping[str, str] | Sequence[str], ap_ids: Sequence[str]
) -> np.ndarray:
    names = (
        [planned_ap[g] for g in grid_ids] if isinstance(planned_ap, Mapping) else list(planned_ap)
    )
    if len(names) != len(grid_ids):
        raise ValueError(f"{len(names)} planned assembly points for {len(grid_ids)} grids")
    index = {ap: j for j, ap in enumerate(ap_ids)}
    for grid, name in zip(grid_ids, names, strict=True):
        if str(name) not in index:
            raise AreaError(
                f"layer 'grids', feature '{grid}', field 'assembly_point': {name!r} is not an "
                "assembly point"
            )
    return np.array([index[str(name)] for name in names], dtype=np.int64)


def row_label(grid_id: str, mode: str = "") -> str:
    """How a row is named in warnings: ``grid 'G-003'`` or ``grid 'G-003' (car)``."""
    return f"grid '{grid_id}'" + (f" ({mode})" if mode else "")


WhyUnreachable = Callable[[int, int], str]
"""``why(row, column)``: why a point cannot be reached from a row (a phrase for warnings)."""


def merge_rows(
    notes: list[tuple[int, str]], grids: Sequence[str], modes: Sequence[str]
) -> list[str]:
    """Warning lines from ``(row, text)`` notes: rows of one grid with the same text are named
    once, as the grid when they are all its rows, else with their modes."""
    by_text: dict[tuple[str, str], list[int]] = {}
    for row, text in notes:
        by_text.setdefault((grids[row], text), []).append(row)
    rows_of: dict[str, int] = {}
    for grid in grids:
        rows_of[grid] = rows_of.get(grid, 0) + 1
    lines = []
    for (grid, text), rows in by_text.items():
        named = [modes[r] for r in rows if modes[r]]
        whole = len(rows) == rows_of[grid] or not named
        lines.append(f"{row_label(grid, '' if whole else ', '.join(named))}: {text}")
    return lines


def _policy_columns(
    policy: str,
    tt: np.ndarray,
    allowed: np.ndarray,
    planned: np.ndarray | None,
    ap_ids: Sequence[str],
    notes: list[tuple[int, str]],
    why: WhyUnreachable | None,
) -> np.ndarray:
    """Chosen column per row for ``plan`` and ``nearest`` (-1: none reachable)."""
    nearest = _nearest(tt, allowed)
    if policy == "nearest" or planned is None:
        return nearest
    chosen = planned.copy()
    for i in np.flatnonzero(~allowed[np.arange(len(planned)), planned]).tolist():
        if np.isfinite(tt[i, planned[i]]):
            state = "unusable"
        else:
            state = "unreachable" + (f" ({why(i, int(planned[i]))})" if why else "")
        to = f"; sent to '{ap_ids[nearest[i]]}'" if nearest[i] >= 0 else ""
        notes.append((i, f"planned assembly point '{ap_ids[planned[i]]}' is {state}{to}"))
        chosen[i] = nearest[i]
    return chosen


def assign_assembly(
    policy: Policy | str,
    *,
    grid_ids: Sequence[str],
    planned_ap: Mapping[str, str] | Sequence[str] | None,
    persons: Mapping[str, int] | Sequence[int] | np.ndarray,
    ap_ids: Sequence[str],
    ap_capacity_persons: Sequence[int] | np.ndarray,
    travel_time_s: np.ndarray,
    ap_usable: Sequence[bool] | np.ndarray | None = None,
    modes: Sequence[str] | None = None,
    why_unreachable: WhyUnreachable | None = None,
    report_unassigned: bool = True,
) -> Assignment:
    """Stage 1: send each grid's evacuees to assembly points under a policy.

    Parameters
    ----------
    policy
        ``plan``, ``nearest`` or ``capacity`` (module docstring).
    grid_ids
        The grid of each row (repeated when ``modes`` splits grids by travel mode).
    planned_ap
        The map's assembly point per grid (mapping by grid id or sequence in row order); needed
        for ``plan`` only.
    persons
        Evacuating persons per row (mapping by grid id, missing = 0, or sequence; a sequence
        when rows are (grid, mode) pairs).
    ap_ids, ap_capacity_persons
        Assembly point ids (the columns) and capacities, persons.
    travel_time_s
        Rows × points travel time, seconds; ``inf`` = unreachable.
    ap_usable
        False for points that may not be used (e.g. inside the evacuated zone); default all True.
    modes
        The travel mode of each row, when rows are (grid, mode) pairs; named in warnings.
    why_unreachable
        ``why(row, column)`` gives the reason a planned point cannot be reached, for warnings.
    report_unassigned
        Warn about rows left without a point (off when the caller places them itself).

    Returns
    -------
    Assignment

    Raises
    ------
    ScenarioError
        Unknown policy, or ``plan`` without planned points.
    AreaError
        A planned point that is not in ``ap_ids``.
    """
    if policy not in POLICIES:
        raise ScenarioError(f"field 'evacuation.assignment': unknown policy {policy!r}")
    if policy == "plan" and planned_ap is None:
        raise ScenarioError("field 'evacuation.assignment': policy 'plan' needs planned points")
    grid_ids, ap_ids = [str(g) for g in grid_ids], [str(a) for a in ap_ids]
    n, m = len(grid_ids), len(ap_ids)
    row_modes = tuple(str(x) for x in modes) if modes is not None else ("",) * n
    tt = check_matrix(travel_time_s, n, m, "grid → assembly point")
    if modes is not None and isinstance(persons, Mapping):
        raise ValueError("persons per (grid, mode) row must be a sequence in row order")
    supply = _as_array(persons, grid_ids)
    capacity = np.asarray(ap_capacity_persons, dtype=np.int64).reshape(m)
    usable = np.ones(m, bool) if ap_usable is None else np.asarray(ap_usable, bool).reshape(m)
    allowed = np.isfinite(tt) & usable[None, :]
    warnings: list[str] = []
    notes: list[tuple[int, str]] = []  # per row, merged into warnings by grid
    flows = np.zeros((n, m), dtype=np.int64)
    if policy == "capacity":
        flows, overflow = transport_lp(supply, capacity, tt, allowed)
        place_overflow(flows, overflow, tt, allowed, capacity, warnings)
    else:
        planned = _planned_columns(grid_ids, planned_ap, ap_ids) if policy == "plan" else None  # type: ignore[arg-type]
        cols = _policy_columns(policy, tt, allowed, planned, ap_ids, notes, why_unreachable)
        ok = (cols >= 0) & (supply > 0)
        flows[np.flatnonzero(ok), cols[ok]] = supply[ok]
        _warn_overloads(flows, capacity, ap_ids, warnings)
    left = supply - flows.sum(axis=1)
    for i in np.flatnonzero(left).tolist() if report_unassigned else ():
        notes.append((i, f"no usable assembly point reachable; {int(left[i])} persons"))
    warnings = merge_rows(notes, grid_ids, row_modes) + warnings
    unassigned: dict[str, int] = {}
    for grid, count in zip(grid_ids, left.tolist(), strict=True):
        if count:
            unassigned[grid] = unassigned.get(grid, 0) + int(count)
    for line in warnings:
        log.warning("%s", line)
    return Assignment(
        policy=str(policy),
        grid_ids=tuple(grid_ids),
        ap_ids=tuple(ap_ids),
        persons=flows,
        by_grid=by_grid(flows, grid_ids, ap_ids),
        unassigned=unassigned,
        travel_time_s=tt,
        warnings=tuple(warnings),
        modes=row_modes if modes is not None else (),
    )


def place_overflow(
    flows: np.ndarray,
    overflow: np.ndarray,
    tt: np.ndarray,
    allowed: np.ndarray,
    capacity: np.ndarray,
    warnings: list[str],
) -> None:
    """Send each row's overflow to its nearest allowed column (in place) and warn."""
    nearest = _nearest(tt, allowed)
    movable = (overflow > 0) & (nearest >= 0)
    rows = np.flatnonzero(movable)
    np.add.at(flows, (rows, nearest[rows]), overflow[rows])
    extra = int(overflow[movable].sum())
    if extra:
        warnings.append(
            f"demand exceeds usable capacity (total capacity {int(capacity.sum())} persons): "
            f"{extra} persons over capacity sent to their nearest point"
        )


def _warn_overloads(
    flows: np.ndarray, capacity: np.ndarray, ids: Sequence[str], warnings: list[str]
) -> None:
    loads = flows.sum(axis=0)
    for j in np.flatnonzero(loads > capacity).tolist():
        warnings.append(
            f"'{ids[j]}' receives {int(loads[j])} persons, capacity {int(capacity[j])} "
            f"(over by {int(loads[j] - capacity[j])})"
        )


def by_grid(
    flows: np.ndarray, row_ids: Sequence[str], col_ids: Sequence[str]
) -> dict[str, list[tuple[str, int]]]:
    """Per row id, ``(column id, flow)`` with flow > 0; rows with the same id are summed."""
    index = {rid: k for k, rid in enumerate(dict.fromkeys(row_ids))}
    ids = list(index)
    summed = np.zeros((len(ids), flows.shape[1]), dtype=np.int64)
    np.add.at(summed, np.array([index[r] for r in row_ids], dtype=np.int64), flows)
    return {
        rid: [(col_ids[j], int(summed[i, j])) for j in np.flatnonzero(summed[i]).tolist()]
        for i, rid in enumerate(ids)
    }


def travel_time_matrix_s(
    net: RoadNetwork,
    origin_nodes: np.ndarray,
    dest_nodes: np.ndarray,
    *,
    weight_s: np.ndarray,
    usable: np.ndarray,
) -> np.ndarray:
    """Origins × destinations travel time on a road network, seconds (``inf`` = unreachable).

    A thin wrapper over :func:`evacsim.network.routing.travel_time_matrix` (Dijkstra with
    ``scipy.sparse.csgraph``), the input of :func:`assign_assembly` and the stage 2 functions.

    Parameters
    ----------
    net
        The road network.
    origin_nodes, dest_nodes
        Node indices (e.g. each grid's snapped centroid node, each assembly point's node).
    weight_s
        Per-edge traversal time, seconds (``evacsim.network.routing.walk_weights`` /
        ``car_weights``).
    usable
        Per-edge bool: edges open to this mode now.
    """
    from evacsim.network.routing import travel_time_matrix

    return np.asarray(
        travel_time_matrix(net, origin_nodes, dest_nodes, weight_s=weight_s, usable=usable),
        dtype=float,
    )
