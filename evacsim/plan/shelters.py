"""Stage 2 planning: shelter preferences per assembly point and a capacity-aware initial plan."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np

from evacsim.plan.assembly import by_grid, check_matrix, place_overflow, transport_lp

__all__ = ["initial_shelter_plan", "shelter_preferences"]

log = logging.getLogger(__name__)


def shelter_preferences(
    ap_ids: Sequence[str],
    shelter_ids: Sequence[str],
    travel_time_s: np.ndarray,
    shelter_usable: Sequence[bool] | np.ndarray | None = None,
) -> dict[str, list[str]]:
    """Stage 2: per assembly point, the usable reachable shelters, nearest first.

    Parameters
    ----------
    ap_ids, shelter_ids
        Row and column ids of ``travel_time_s``.
    travel_time_s
        Assembly points × shelters travel time (bus), seconds; ``inf`` = unreachable.
    shelter_usable
        False for shelters that may not be used; default all True.

    Returns
    -------
    dict
        ``{ap_id: [shelter_id, ...]}`` ordered by travel time (ties: ``shelter_ids`` order).
    """
    tt = check_matrix(travel_time_s, len(ap_ids), len(shelter_ids), "assembly point → shelter")
    m = len(shelter_ids)
    usable = np.ones(m, bool) if shelter_usable is None else np.asarray(shelter_usable, bool)
    out: dict[str, list[str]] = {}
    for i, ap in enumerate(ap_ids):
        order = np.argsort(tt[i], kind="stable")
        out[str(ap)] = [str(shelter_ids[j]) for j in order if usable[j] and np.isfinite(tt[i, j])]
    return out


def initial_shelter_plan(
    ap_loads: Mapping[str, int],
    shelter_capacity: Mapping[str, int],
    travel_time_s: np.ndarray,
    *,
    shelter_usable: Sequence[bool] | np.ndarray | None = None,
    warnings: list[str] | None = None,
) -> dict[str, list[tuple[str, int]]]:
    """Stage 2: a capacity-aware plan of how many persons go from each point to each shelter.

    The same min-cost transportation LP as the ``capacity`` policy (:func:`transport_lp`);
    persons beyond all usable capacity go to their point's nearest shelter, with a logged
    warning (at run time the simulation redirects or refuses them).

    Parameters
    ----------
    ap_loads
        Persons expected at each assembly point; its key order gives the rows of
        ``travel_time_s``.
    shelter_capacity
        Capacity per shelter, persons; its key order gives the columns.
    travel_time_s
        Points × shelters travel time, seconds; ``inf`` = unreachable.
    shelter_usable
        False for shelters that may not be used; default all True.
    warnings
        If given, the plan's warnings (overflow, points that reach no usable shelter) are
        appended to it.

    Returns
    -------
    dict
        ``{ap_id: [(shelter_id, persons), ...]}`` (persons > 0, in shelter order).
    """
    ap_ids, shelter_ids = list(ap_loads), list(shelter_capacity)
    tt = check_matrix(travel_time_s, len(ap_ids), len(shelter_ids), "assembly point → shelter")
    m = len(shelter_ids)
    usable = np.ones(m, bool) if shelter_usable is None else np.asarray(shelter_usable, bool)
    allowed = np.isfinite(tt) & usable.reshape(m)[None, :]
    supply = np.array([int(ap_loads[a]) for a in ap_ids], dtype=np.int64)
    capacity = np.array([int(shelter_capacity[s]) for s in shelter_ids], dtype=np.int64)
    flows, overflow = transport_lp(supply, capacity, tt, allowed)
    lines: list[str] = []
    place_overflow(flows, overflow, tt, allowed, capacity, lines)
    left = supply - flows.sum(axis=1)
    lines += [
        f"assembly point '{a}': {int(n)} persons expected, but no usable shelter can be reached "
        "from it by road"
        for a, n in zip(ap_ids, left, strict=True)
        if n
    ]
    for line in lines:
        log.warning("shelter plan: %s", line)
    if warnings is not None:
        warnings += [f"shelter plan: {line}" for line in lines]
    return by_grid(flows, ap_ids, shelter_ids)
