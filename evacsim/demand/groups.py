"""Evacuation demand: from grids and a scenario to a table of evacuee groups.

A grid (网格, the smallest unit of the district's town → community → group → grid chain) holds a
day and a night population. :func:`build_demand` turns the grids that the evacuation zone covers
into *groups* that leave together: households on foot, car households, and persons who need
assistance. Each group gets an origin node on the road network and a departure time.

The method, step by step (every default is named where it is used):

1. **Who is in the zone.** With ``evacuation.unit = "grid"`` (the default) a grid that shares
   any area with the evacuation zone leaves whole, with its period population
   (``population_day`` or ``population_night``): the district's chain of responsibility (town →
   community → group → grid) warns whole grids. With ``"area_share"`` people are spread evenly
   over a grid, so it contributes its population times the share of its AREA inside the zone.
   A *shadow evacuation* (people outside the zone who leave anyway, NUREG/CR-7002 §2.2 uses
   20 % of the population in a ring around the zone) adds ``shadow_share`` of the population of
   the grids outside the zone that reach into the ring ``shadow_buffer_m`` wide around it (by
   area share: of the part of each grid inside the ring).
2. **Integer persons.** Expected persons are turned into integers by the largest-remainder
   (Hamilton) method over all grids, so the total is the rounded expected total and each grid is
   within one person of its expected value.
3. **Who needs help.** A grid's ``needs_assistance`` persons are a share of its population; the
   same share of its evacuating persons become ``assisted`` groups of one person (a person who
   cannot walk out alone is fetched individually by a team).
4. **Cars.** ``car_share`` is the share of HOUSEHOLDS that leave by car (the grids layer's
   schema): a car household has ``persons_per_car`` persons (scenario default 2.5), a walking
   one the census mean m = 2.62 (step 5), so of the other persons a share
   c·p / (c·p + (1 − c)·m) travel by car (c = car_share, p = persons_per_car); the car count is
   the nearest integer of those persons / p (at least one) and persons are spread evenly over the
   cars. With ``evacuation.use_cars = false`` everyone walks.
5. **Walkers** go in households of, on average, 2.62 persons: the mean family-household size of
   China's 7th national census (2020, National Bureau of Statistics communiqué no. 7); groups are
   split as evenly as possible, so they hold 1 to 3 persons.
6. **When.** Departure = warning delay + preparation delay, both drawn from the scenario's
   distributions (:mod:`evacsim.scenario.distributions`, NUREG/CR-7002 §2.3) and both multiplied by
   ``departure.night_factor`` (default 1.5) in the night period.
7. **Where from.** Each group's origin node is drawn uniformly from its grid's candidate nodes for
   its mode (cars: ``"car"``; walkers and assisted persons: ``"walk"``).

Randomness: the draws are made in a fixed order from the one ``rng`` (warning delays, preparation
delays, then origin nodes, each for all groups sorted by ``group_id``), so the same inputs and seed
give identical tables.

Geometry: grids and the evacuation zone in the area's projected metric CRS (e.g. EPSG:32648).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from evacsim.errors import AreaError, NetworkError

if TYPE_CHECKING:
    from evacsim.network.graph import RoadNetwork
    from evacsim.scenario.sections import DepartureSpec, EvacuationSpec, PopulationSpec

__all__ = [
    "GROUP_COLUMNS",
    "LEVELS",
    "LEVEL_OUTSIDE",
    "MEAN_HOUSEHOLD_PERSONS",
    "Demand",
    "build_demand",
    "car_person_share",
    "grid_threat_levels",
    "largest_remainder",
    "origin_candidates",
]

log = logging.getLogger(__name__)

LEVELS: tuple[str, ...] = ("red", "orange", "yellow")
"""Threat levels, innermost first (index 0 = red), as in :mod:`evacsim.hazard`."""

LEVEL_OUTSIDE = len(LEVELS)
"""Level index of a grid outside every threat zone (3)."""

MEAN_HOUSEHOLD_PERSONS = 2.62
"""Mean family-household size, China 7th national census (2020): walking households."""

GROUP_COLUMNS: tuple[str, ...] = (
    "group_id",
    "grid_id",
    "origin_node",
    "persons",
    "mode",
    "vehicles",
    "needs_assistance",
    "departure_s",
    "level",
    "shadow",
)
"""Columns of :attr:`Demand.groups`, in order (DESIGN.md's evacuee-group table + level, shadow)."""

_PER_GRID_COLUMNS = (
    "grid_id",
    "community",
    "group",
    "population",
    "persons_in_zone",
    "persons_shadow",
    "persons_evacuating",
    "level",
)
_LAYER = "layer 'grids'"


@dataclass(frozen=True, eq=False)
class Demand:
    """The evacuee groups of one run.

    Attributes
    ----------
    groups
        One row per group, columns :data:`GROUP_COLUMNS`, sorted by ``group_id``
        (``"<grid id>/0001"``...). ``mode`` is ``walk``, ``car`` or ``assisted``; ``vehicles`` is 1
        for a car, else 0; ``departure_s`` is seconds after the alert; ``level`` the grid's worst
        threat level index (0 red ... 3 outside); ``shadow`` marks shadow evacuees.
    per_grid
        One row per grid (all grids, in input order): ``grid_id, community, group, population``
        (the period's), ``persons_in_zone, persons_shadow, persons_evacuating`` (integers) and
        ``level``.
    persons_total
        Sum of ``groups.persons`` (= sum of ``per_grid.persons_evacuating``).
    period
        ``"day"`` or ``"night"``.
    preparation_s
        Per group (row order), the preparation delay drawn (s, night factor included): the part
        of ``departure_s`` after the warning (the warning chain adds its own warning times).
    """

    groups: pd.DataFrame
    per_grid: pd.DataFrame
    persons_total: int
    period: str
    preparation_s: np.ndarray = field(default_factory=lambda: np.zeros(0))


def largest_remainder(values: Sequence[float] | np.ndarray, total: int | None = None) -> np.ndarray:
    """Round non-negative reals to integers that sum to ``total`` (Hamilton's method).

    Each value gets its floor; the units still missing go to the largest fractional parts (ties:
    the earlier entry), so every result is within one of its value.

    Parameters
    ----------
    values
        Non-negative expected counts.
    total
        The integer sum wanted; default the sum of ``values`` rounded half up.

    Returns
    -------
    numpy.ndarray
        int64 array, same length.
    """
    v = np.round(np.asarray(values, dtype=float), 9)  # drop float noise like 2.9999999999
    if v.size == 0:
        return np.zeros(0, dtype=np.int64)
    base = np.floor(v).astype(np.int64)
    want = math.floor(float(v.sum()) + 0.5) if total is None else int(total)
    short = int(np.clip(want - int(base.sum()), 0, v.size))
    order = np.argsort(-(v - base), kind="stable")
    base[order[:short]] += 1
    return base


def grid_threat_levels(
    grids: gpd.GeoDataFrame, zones: Mapping[str, BaseGeometry | None]
) -> np.ndarray:
    """The worst threat level each grid's area touches.

    Parameters
    ----------
    grids
        Grid polygons (projected CRS).
    zones
        Polygon per level name (``red``, ``orange``, ``yellow``), same CRS; a missing or empty
        level is ignored.

    Returns
    -------
    numpy.ndarray
        int64 per grid: 0 red, 1 orange, 2 yellow, 3 outside. A grid counts as in a level when
        they share a positive area (touching along an edge does not count).
    """
    geoms = np.asarray(grids.geometry.values, dtype=object)
    levels = np.full(len(geoms), LEVEL_OUTSIDE, dtype=np.int64)
    for index in reversed(range(len(LEVELS))):
        zone = zones.get(LEVELS[index])
        if zone is None or zone.is_empty:
            continue
        inside = shapely.area(shapely.intersection(geoms, zone)) > 0.0
        levels[inside] = index
    return levels


def origin_candidates(
    net: RoadNetwork, grids: gpd.GeoDataFrame
) -> dict[str, dict[str, np.ndarray]]:
    """Candidate origin nodes per mode and grid, the ``origin_nodes`` of :func:`build_demand`.

    For each mode (``walk``, ``car``), the network nodes usable in that mode that lie inside the
    grid polygon, sorted; a grid with none gets the usable node nearest its representative point
    (:func:`evacsim.network.snap_points`). Grids and network in the same projected CRS.

    Returns
    -------
    dict
        ``{"walk": {grid_id: nodes}, "car": {grid_id: nodes}}``, int64 node indices (empty when
        the network has no node of that mode at all).
    """
    from evacsim.network.snap import snap_points

    ids = grids["id"].astype(str).tolist()
    geoms = np.asarray(grids.geometry.values, dtype=object)
    out: dict[str, dict[str, np.ndarray]] = {}
    for mode in ("walk", "car"):
        nodes = np.flatnonzero(net.usable_nodes(mode))
        pts = np.asarray(shapely.points(net.node_x_m[nodes], net.node_y_m[nodes]), dtype=object)
        tree = shapely.STRtree(pts)
        grid_idx, hit = tree.query(geoms, predicate="contains")
        nearest, _ = snap_points(net, grids.geometry, mode=mode)
        per_mode: dict[str, np.ndarray] = {}
        for i, grid_id in enumerate(ids):
            inside = np.sort(nodes[hit[grid_idx == i]]).astype(np.int64)
            fallback = np.array([nearest[i]] if nearest[i] >= 0 else [], dtype=np.int64)
            per_mode[grid_id] = inside if inside.size else fallback
        out[mode] = per_mode
    return out


def _check_grids(grids: gpd.GeoDataFrame, population_column: str) -> None:
    needed = ("id", "community", "group", population_column, "needs_assistance", "car_share")
    for column in needed:
        if column not in grids.columns:
            raise AreaError(f"{_LAYER}: missing field '{column}'")
    if grids.crs is not None and not grids.crs.is_projected:
        raise AreaError(f"{_LAYER}: CRS {grids.crs.to_string()} is not projected (metres needed)")
    ids = grids["id"].astype(str)
    if ids.duplicated().any():
        raise AreaError(
            f"{_LAYER}, feature '{ids[ids.duplicated()].iloc[0]}', field 'id': repeated"
        )
    checks = (
        (population_column, grids[population_column].to_numpy(float) >= 0, "is negative"),
        ("needs_assistance", grids["needs_assistance"].to_numpy(float) >= 0, "is negative"),
        ("car_share", grids["car_share"].between(0.0, 1.0).to_numpy(), "is outside [0, 1]"),
        ("geometry", shapely.area(np.asarray(grids.geometry.values)) > 0, "has no area"),
    )
    for column, ok, what in checks:
        bad = np.flatnonzero(~np.asarray(ok, dtype=bool))
        if bad.size:
            row = grids.iloc[int(bad[0])]
            value = row.geometry.geom_type if column == "geometry" else row[column]
            raise AreaError(f"{_LAYER}, feature '{row['id']}', field '{column}': {value} {what}")


def _levels_array(grid_ids: list[str], grid_levels: Mapping[str, int] | Any) -> np.ndarray:
    if isinstance(grid_levels, Mapping):
        missing = [g for g in grid_ids if g not in grid_levels]
        if missing:
            raise AreaError(
                f"{_LAYER}, feature '{missing[0]}', field 'level': no threat level given"
            )
        levels = np.array([int(grid_levels[g]) for g in grid_ids], dtype=np.int64)
    else:
        levels = np.asarray(grid_levels, dtype=np.int64).reshape(-1)
        if levels.size != len(grid_ids):
            raise AreaError(f"{_LAYER}: {levels.size} threat levels for {len(grid_ids)} grids")
    bad = np.flatnonzero((levels < 0) | (levels > LEVEL_OUTSIDE))
    if bad.size:
        raise AreaError(
            f"{_LAYER}, feature '{grid_ids[bad[0]]}', field 'level': {levels[bad[0]]} is outside "
            f"[0, {LEVEL_OUTSIDE}]"
        )
    return levels


def _area_shares(
    geoms: np.ndarray, evac_zone: BaseGeometry | None, buffer_m: float, *, whole: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Share of each grid's population in the zone, and in the shadow ring around it: by area,
    or (``whole``) 1 for a grid that shares any area with the zone, and the ring's area share
    for the others."""
    area = shapely.area(geoms)
    if evac_zone is None or evac_zone.is_empty:
        zero = np.zeros(len(geoms))
        return zero, zero.copy()
    inside = np.clip(shapely.area(shapely.intersection(geoms, evac_zone)) / area, 0.0, 1.0)
    if whole:
        inside = (inside > 0.0).astype(float)
    if buffer_m <= 0.0:
        return inside, np.zeros(len(geoms))
    ring = shapely.difference(evac_zone.buffer(buffer_m), evac_zone)
    in_ring = np.clip(shapely.area(shapely.intersection(geoms, ring)) / area, 0.0, 1.0)
    return inside, np.where(inside > 0.0, 0.0, in_ring) if whole else in_ring


def _even_split(persons: int, n_groups: int) -> np.ndarray:
    """``persons`` over ``n_groups`` groups as evenly as possible (larger groups first)."""
    if n_groups <= 0:
        return np.zeros(0, dtype=np.int64)
    sizes = np.full(n_groups, persons // n_groups, dtype=np.int64)
    sizes[: persons % n_groups] += 1
    return sizes


def _segment_groups(
    assisted: int, car_persons: int, walkers: int, persons_per_car: float
) -> tuple[list[str], np.ndarray]:
    """Modes and sizes of the groups of one (grid, shadow) segment: assisted, cars, walkers."""
    n_cars = max(1, math.floor(car_persons / persons_per_car + 0.5)) if car_persons else 0
    n_walk = math.ceil(walkers / MEAN_HOUSEHOLD_PERSONS) if walkers else 0
    modes = ["assisted"] * assisted + ["car"] * n_cars + ["walk"] * n_walk
    sizes = np.concatenate(
        [
            np.ones(assisted, dtype=np.int64),
            _even_split(car_persons, n_cars),
            _even_split(walkers, n_walk),
        ]
    )
    return modes, sizes


def car_person_share(car_share: np.ndarray, persons_per_car: float) -> np.ndarray:
    """Share of persons in car households when ``car_share`` of the households have a car (car
    households of ``persons_per_car``, walking ones of :data:`MEAN_HOUSEHOLD_PERSONS`)."""
    c = np.asarray(car_share, dtype=float)
    by_car = c * persons_per_car
    return np.divide(by_car, by_car + (1.0 - c) * MEAN_HOUSEHOLD_PERSONS,
                     out=np.zeros_like(c), where=by_car > 0)  # fmt: skip


def _split_modes(
    persons: np.ndarray,
    assist_share: np.ndarray,
    car_share: np.ndarray,
    *,
    use_cars: bool,
    persons_per_car: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integer assisted, car and walking persons per segment, each total conserved."""
    assisted = np.minimum(largest_remainder(assist_share * persons), persons)
    able = persons - assisted
    share = car_person_share(car_share, persons_per_car)
    cars = largest_remainder(share * able) if use_cars else np.zeros_like(able)
    cars = np.minimum(cars, able)
    return assisted, cars, able - cars


def _origin_nodes(
    rng: np.random.Generator,
    grid_ids: np.ndarray,
    modes: np.ndarray,
    origin_nodes: Mapping[str, Mapping[str, np.ndarray]],
) -> np.ndarray:
    u = rng.random(len(grid_ids))
    out = np.empty(len(grid_ids), dtype=np.int64)
    node_mode = np.where(modes == "car", "car", "walk")
    for key in sorted(set(zip(grid_ids.tolist(), node_mode.tolist(), strict=True))):
        grid_id, mode = key
        cands = np.asarray(origin_nodes.get(mode, {}).get(grid_id, ()), dtype=np.int64).reshape(-1)
        if cands.size == 0:
            raise NetworkError(
                f"{_LAYER}, feature '{grid_id}': no {mode} origin node (no {mode} road node in or "
                "near the grid)"
            )
        rows = np.flatnonzero((grid_ids == grid_id) & (node_mode == mode))
        out[rows] = cands[np.minimum((u[rows] * cands.size).astype(np.int64), cands.size - 1)]
    return out


def build_demand(
    grids: gpd.GeoDataFrame,
    evac_zone: BaseGeometry | None,
    *,
    grid_levels: Mapping[str, int] | Sequence[int] | np.ndarray,
    population: PopulationSpec,
    departure: DepartureSpec,
    evacuation: EvacuationSpec,
    origin_nodes: Mapping[str, Mapping[str, np.ndarray]],
    rng: np.random.Generator,
) -> Demand:
    """Evacuee groups for the grids that an evacuation zone covers.

    See the module docstring for the method and the source of every default.

    Parameters
    ----------
    grids
        The area's ``grids`` layer (schema in docs/contracts.md), projected metric CRS.
    evac_zone
        Polygon of the outermost evacuating threat level, same CRS; ``None`` or empty: nobody
        in the zone (a shadow evacuation needs a zone too).
    grid_levels
        Worst threat level index per grid (0 red, 1 orange, 2 yellow, 3 outside): a mapping by
        grid id, or a sequence in row order. :func:`grid_threat_levels` computes it from zones.
    population, departure, evacuation
        The scenario's sections (:mod:`evacsim.scenario`).
    origin_nodes
        Candidate network node indices per mode and grid: ``{"walk": {grid_id: nodes},
        "car": {grid_id: nodes}}``; walkers and assisted persons use ``"walk"``.
    rng
        The run's generator.

    Returns
    -------
    Demand

    Raises
    ------
    AreaError
        A grid's field is missing or out of range, naming the feature and field.
    NetworkError
        A grid with evacuees has no candidate origin node for a mode it needs.
    """
    column = f"population_{population.period}"
    _check_grids(grids, column)
    ids = grids["id"].astype(str).tolist()
    levels = _levels_array(ids, grid_levels)
    geoms = np.asarray(grids.geometry.values, dtype=object)
    buffer_m = population.shadow_buffer_m if population.shadow_share > 0.0 else 0.0
    inside, in_ring = _area_shares(geoms, evac_zone, buffer_m, whole=evacuation.unit == "grid")
    pop = grids[column].to_numpy(dtype=float)
    in_zone = largest_remainder(pop * inside)
    shadow = largest_remainder(pop * in_ring * population.shadow_share)

    # Segments: every grid twice (in the zone, then shadow).
    seg_persons = np.concatenate([in_zone, shadow])
    assist = np.divide(
        np.minimum(grids["needs_assistance"].to_numpy(float), pop),
        pop,
        out=np.zeros_like(pop),
        where=pop > 0,
    )
    car_share = grids["car_share"].to_numpy(float)
    assisted, cars, walkers = _split_modes(
        seg_persons, np.tile(assist, 2), np.tile(car_share, 2), use_cars=evacuation.use_cars,
        persons_per_car=population.persons_per_car,
    )  # fmt: skip
    groups = _groups_table(ids, levels, assisted, cars, walkers, population.persons_per_car)
    night = population.period == "night"
    factor = departure.night_factor if night else 1.0
    n = len(groups)
    warning_s = departure.warning.sample_s(rng, n, scale=factor)
    preparation_s = departure.preparation.sample_s(rng, n, scale=factor)
    groups["departure_s"] = warning_s + preparation_s
    groups["origin_node"] = _origin_nodes(
        rng,
        groups["grid_id"].to_numpy(dtype=object),
        groups["mode"].to_numpy(dtype=object),
        origin_nodes,
    )
    groups = groups.loc[:, list(GROUP_COLUMNS)]
    per_grid = pd.DataFrame(
        {
            "grid_id": ids,
            "community": grids["community"].astype(str).to_numpy(),
            "group": grids["group"].astype(str).to_numpy(),
            "population": pop.astype(np.int64),
            "persons_in_zone": in_zone,
            "persons_shadow": shadow,
            "persons_evacuating": in_zone + shadow,
            "level": levels,
        },
        columns=list(_PER_GRID_COLUMNS),
    )
    total = int(groups["persons"].sum())
    log.info("demand: %d persons in %d groups (%s)", total, n, population.period)
    return Demand(groups=groups, per_grid=per_grid, persons_total=total, period=population.period,
                  preparation_s=preparation_s)  # fmt: skip


def _groups_table(
    ids: list[str],
    levels: np.ndarray,
    assisted: np.ndarray,
    cars: np.ndarray,
    walkers: np.ndarray,
    persons_per_car: float,
) -> pd.DataFrame:
    """The group rows (without departure and origin), sorted by group id."""
    n_grids = len(ids)
    rows: dict[str, list[Any]] = {k: [] for k in ("grid_id", "mode", "persons", "level", "shadow")}
    for seg in range(2 * n_grids):
        modes, sizes = _segment_groups(
            int(assisted[seg]), int(cars[seg]), int(walkers[seg]), persons_per_car
        )
        grid = seg % n_grids
        rows["grid_id"] += [ids[grid]] * len(modes)
        rows["mode"] += modes
        rows["persons"] += sizes.tolist()
        rows["level"] += [int(levels[grid])] * len(modes)
        rows["shadow"] += [seg >= n_grids] * len(modes)
    table = pd.DataFrame(rows)
    table["persons"] = table["persons"].astype(np.int64)
    table["level"] = table["level"].astype(np.int64)
    table["shadow"] = table["shadow"].astype(bool)
    # Number groups within their grid in segment order (zone, then shadow).
    order = pd.Series(np.arange(len(table)))
    seq = order.groupby(table["grid_id"].to_numpy()).cumcount().to_numpy() + 1
    width = max(4, len(str(int(seq.max())))) if len(seq) else 4
    table["group_id"] = [f"{g}/{k:0{width}d}" for g, k in zip(table["grid_id"], seq, strict=True)]
    table["vehicles"] = (table["mode"] == "car").astype(np.int64)
    table["needs_assistance"] = (table["mode"] == "assisted").astype(bool)
    table["departure_s"] = 0.0
    table["origin_node"] = np.int64(-1)
    return table.sort_values("group_id", kind="stable").reset_index(drop=True)
