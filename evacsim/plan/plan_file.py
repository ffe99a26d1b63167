"""The optimized plan as a file: which grid goes where, when, and by which roads.

``evacsim optimize`` writes it; ``[evacuation] assignment = "optimized"`` with ``plan_file``
reads it for every run and sweep replication (nothing is optimized again at run time). It is a
GeoPackage (opens in QGIS beside the area's layers) with two layers:

``grids`` (polygons of the grids; one row per grid, or several when the grid is split)
    ``id`` (the grid id), ``assembly_point`` (an id in the area's ``assembly_points``),
    ``persons`` (persons sent to that point when the optimizer ran: with several rows per grid,
    the grid's evacuees are shared in these proportions, filled in group order), ``delay_s``
    (seconds added to the departure of every group of the grid: a staged warning, the same on
    every row of a grid) and, for people reading it, ``official_assembly_point``.
``routes`` (lines, optional)
    ``grid_id``, ``mode`` (``car``, ``walk`` or ``assisted``), ``assembly_point`` and
    ``road_ids`` (``;``-joined ids of the roads layer): the preferred route of that grid's groups
    of that mode to that point. The simulation routes them along these roads (each group joins the
    route from its own home) as long as the roads are open to them; when the hazard closes one,
    live rerouting wins. ``length_m`` and ``time_s`` (free flow) are for reading.

A grid the file does not name keeps the map's planned assembly point and leaves on time.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from evacsim.demand.groups import largest_remainder
from evacsim.errors import ScenarioError
from evacsim.plan.assembly import Assignment, assign_assembly, by_grid

if TYPE_CHECKING:
    from evacsim.area.layers import Area
    from evacsim.network.graph import RoadNetwork

__all__ = [
    "ROUTE_MODES",
    "PlanFile",
    "assign_optimized",
    "plan_file_path",
    "read_plan_file",
    "road_edges",
    "write_plan_file",
]

log = logging.getLogger(__name__)

ROUTE_MODES = ("car", "walk", "assisted")

GRID_COLUMNS = ("grid_id", "assembly_point", "persons", "delay_s")
ROUTE_COLUMNS = ("grid_id", "mode", "assembly_point", "road_ids")


@dataclass(frozen=True, eq=False)
class PlanFile:
    """The contents of a plan file (see the module docstring).

    Attributes
    ----------
    grids
        Columns ``grid_id``, ``assembly_point``, ``persons`` (int), ``delay_s`` (float), and
        optionally ``official_assembly_point``.
    routes
        Columns ``grid_id``, ``mode``, ``assembly_point``, ``road_ids`` (a tuple of road ids
        in travel order), and optionally ``length_m``, ``time_s``.
    source
        Where it was read from (for messages).
    """

    grids: pd.DataFrame
    routes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(ROUTE_COLUMNS)))
    source: str = "<plan>"

    def delay_s(self) -> dict[str, float]:
        """Departure delay per grid named in the file, seconds."""
        return {
            str(g): float(d)
            for g, d in self.grids.groupby("grid_id", sort=True)["delay_s"].max().items()
        }

    def shares(self) -> dict[str, list[tuple[str, int]]]:
        """Per grid, ``(assembly_point, persons)`` in file order (one entry unless split)."""
        out: dict[str, list[tuple[str, int]]] = {}
        g = self.grids
        for grid, ap, n in zip(g["grid_id"], g["assembly_point"], g["persons"], strict=True):
            out.setdefault(str(grid), []).append((str(ap), int(n)))
        return out

    def preferred_roads(self) -> dict[tuple[str, str, str], tuple[str, ...]]:
        """``(grid_id, mode, assembly_point) -> road ids`` of the preferred routes."""
        r = self.routes
        keys = zip(r["grid_id"], r["mode"], r["assembly_point"], r["road_ids"], strict=True)
        return {
            (str(grid), str(mode), str(ap)): tuple(str(x) for x in roads)
            for grid, mode, ap, roads in keys
        }

    def check(self, area: Area) -> None:
        """Every id the file names exists in the area.

        Raises
        ------
        ScenarioError
            Naming the file, layer, feature and field.
        """
        grids = set(area.grids["id"].astype(str))
        aps = set(area.assembly_points["id"].astype(str))
        roads = set(area.roads["id"].astype(str))
        for r in self.grids.itertuples(index=False):
            if str(r.grid_id) not in grids:
                self._fail("grids", r.grid_id, "id", f"{r.grid_id!r} is not a grid of the area")
            if str(r.assembly_point) not in aps:
                self._fail(
                    "grids",
                    r.grid_id,
                    "assembly_point",
                    f"{r.assembly_point!r} is not an assembly point",
                )
        for r in self.routes.itertuples(index=False):
            road_ids: tuple[str, ...] = tuple(r.road_ids)  # type: ignore[arg-type]
            if str(r.grid_id) not in grids:
                self._fail("routes", r.grid_id, "grid_id", f"{r.grid_id!r} is not a grid")
            if str(r.assembly_point) not in aps:
                self._fail(
                    "routes",
                    r.grid_id,
                    "assembly_point",
                    f"{r.assembly_point!r} is not an assembly point",
                )
            unknown = [x for x in road_ids if x not in roads]
            if unknown:
                self._fail("routes", r.grid_id, "road_ids", f"{unknown[0]!r} is not a road")

    def _fail(self, layer: str, feature: object, column: str, what: str) -> None:
        raise ScenarioError(
            f"{self.source}: layer '{layer}', feature '{feature}', field '{column}': {what}"
        )


def plan_file_path(scenario: Any) -> Path:
    """The scenario's ``evacuation.plan_file``, relative to the scenario file's folder."""
    return Path(scenario.resolve(str(scenario.evacuation.plan_file)))


def _layer(path: Path, name: str, required: bool) -> pd.DataFrame | None:
    import geopandas as gpd
    import pyogrio

    try:
        names = {str(row[0]) for row in pyogrio.list_layers(path)}
    except Exception as exc:  # pyogrio raises several DataSourceError kinds
        detail = " ".join(str(exc).split())
        raise ScenarioError(f"{path}: not a readable plan file (GeoPackage): {detail}") from None
    if name not in names:
        if required:
            raise ScenarioError(f"{path}: layer '{name}' is missing: not an evacsim plan file")
        return None
    frame = gpd.read_file(path, layer=name, engine="pyogrio")
    return pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))


def _number(df: pd.DataFrame, column: str, where: str, *, integer: bool) -> np.ndarray:
    values = pd.to_numeric(df[column], errors="coerce").to_numpy(float)
    bad = ~np.isfinite(values) | (values < 0) | (integer & (values != np.round(values)))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        kind = "a whole number >= 0" if integer else "a number >= 0"
        raise ScenarioError(
            f"{where}, feature '{df['grid_id'].iloc[i]}', field '{column}': "
            f"{df[column].iloc[i]!r} is not {kind}"
        )
    return values


def read_plan_file(path: str | Path) -> PlanFile:
    """Read and check a plan file (its own content; :meth:`PlanFile.check` checks the ids).

    Raises
    ------
    ScenarioError
        Missing or unreadable file, a missing layer or column, a bad value: one line naming the
        file, the layer, the feature and the field.
    """
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(f"{path}: plan file not found (write one with `evacsim optimize`)")
    grids = _layer(path, "grids", required=True)
    assert grids is not None
    where = f"{path}: layer 'grids'"
    for column in ("id", "assembly_point"):
        if column not in grids.columns:
            raise ScenarioError(f"{where}: field '{column}' is missing")
    grids = grids.rename(columns={"id": "grid_id"})
    grids["grid_id"] = grids["grid_id"].astype(str)
    grids["assembly_point"] = grids["assembly_point"].astype(str)
    grids["persons"] = (
        _number(grids, "persons", where, integer=True).astype(np.int64)
        if "persons" in grids
        else np.ones(len(grids), dtype=np.int64)
    )
    grids["delay_s"] = (
        _number(grids, "delay_s", where, integer=False) if "delay_s" in grids else 0.0
    )
    routes = _layer(path, "routes", required=False)
    if routes is None:
        routes = pd.DataFrame(columns=list(ROUTE_COLUMNS))
    else:
        where = f"{path}: layer 'routes'"
        for column in ROUTE_COLUMNS:
            if column not in routes.columns:
                raise ScenarioError(f"{where}: field '{column}' is missing")
        bad = ~routes["mode"].isin(ROUTE_MODES)
        if bad.any():
            row = routes[bad].iloc[0]
            raise ScenarioError(
                f"{where}, feature '{row['grid_id']}', field 'mode': {row['mode']!r} is not "
                f"one of {', '.join(ROUTE_MODES)}"
            )
        routes = routes.assign(
            grid_id=routes["grid_id"].astype(str),
            assembly_point=routes["assembly_point"].astype(str),
            road_ids=pd.Series(
                [tuple(x for x in str(v).split(";") if x) for v in routes["road_ids"]],
                index=routes.index,
                dtype=object,
            ),
        )
    return PlanFile(
        grids=grids.reset_index(drop=True), routes=routes.reset_index(drop=True), source=str(path)
    )


def write_plan_file(
    plan: PlanFile, path: str | Path, *, area: Area, network: RoadNetwork | None = None
) -> Path:
    """Write a plan file (GeoPackage, EPSG:4326), with the grids' polygons and the routes' lines.

    The file is written under a temporary name and renamed when complete.
    """
    import geopandas as gpd
    import shapely

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    shapes = area.grids.set_index(area.grids["id"].astype(str)).geometry
    grids = gpd.GeoDataFrame(
        plan.grids.rename(columns={"grid_id": "id"}),
        geometry=[shapes.get(g) for g in plan.grids["grid_id"]],
        crs=area.crs,
    ).to_crs("EPSG:4326")
    routes = plan.routes.assign(road_ids=[";".join(r) for r in plan.routes["road_ids"]])
    lines: list[Any] = [None] * len(routes)
    if network is not None and "edges" in routes:
        lines = [
            shapely.line_merge(shapely.multilinestrings(list(network.edge_geometry[list(e)])))
            if len(e)
            else None
            for e in routes["edges"]
        ]
    routes_gdf = gpd.GeoDataFrame(
        routes.drop(columns=["edges"], errors="ignore"), geometry=lines, crs=area.crs
    ).to_crs("EPSG:4326")
    tmp = path.with_name(f".partial-{path.name}")
    tmp.unlink(missing_ok=True)
    grids.to_file(tmp, layer="grids", driver="GPKG", engine="pyogrio")
    routes_gdf.to_file(tmp, layer="routes", driver="GPKG", engine="pyogrio", append=True)
    tmp.replace(path)
    return path


def assign_optimized(
    plan: PlanFile,
    *,
    grid_ids: Sequence[str],
    planned_ap: Sequence[str],
    persons: np.ndarray,
    ap_ids: Sequence[str],
    ap_capacity_persons: Sequence[int] | np.ndarray,
    travel_time_s: np.ndarray,
    ap_usable: Sequence[bool] | np.ndarray | None = None,
    **rows: Any,
) -> Assignment:
    """Stage 1 from a plan file: each grid to the file's point (split as the file splits it).

    A grid the file does not name keeps its map's point (``planned_ap``, in row order). A point
    that is unusable or unreachable in this run falls back as in the ``plan`` policy (nearest
    usable point, with a warning); a split whose points are not all usable and reachable is not
    applied (the row goes whole to its first point, or that point's fallback). Rows may be
    (grid, mode) pairs: ``rows`` passes :func:`~evacsim.plan.assembly.assign_assembly`'s
    ``modes``, ``why_unreachable`` and ``report_unassigned`` on, and each row is split in the
    file's proportions.
    """
    shares = plan.shares()
    planned = [
        shares[g][0][0] if g in shares else a for g, a in zip(grid_ids, planned_ap, strict=True)
    ]
    base = assign_assembly(
        "plan",
        grid_ids=grid_ids,
        planned_ap=planned,
        persons=persons,
        ap_ids=ap_ids,
        ap_capacity_persons=ap_capacity_persons,
        travel_time_s=travel_time_s,
        ap_usable=ap_usable,
        **rows,
    )
    flows = base.persons.copy()
    index = {a: j for j, a in enumerate(ap_ids)}
    usable = np.ones(len(ap_ids), bool) if ap_usable is None else np.asarray(ap_usable, bool)
    warnings = list(base.warnings)
    for i, grid in enumerate(grid_ids):
        split = shares.get(grid, [])
        if len(split) < 2 or persons[i] <= 0:
            continue
        cols = np.array([index[a] for a, _ in split])
        if not (usable[cols] & np.isfinite(travel_time_s[i, cols])).all():
            warnings.append(
                f"grid '{grid}': the plan file's split is not usable in this run; "
                "the grid goes whole to one point"
            )
            continue
        weights = np.array([max(n, 0) for _, n in split], dtype=float)
        weights = weights if weights.sum() > 0 else np.ones(len(split))
        flows[i] = 0
        np.add.at(
            flows[i], cols, largest_remainder(weights / weights.sum() * persons[i], int(persons[i]))
        )
    return replace(
        base,
        policy="optimized",
        persons=flows,
        by_grid=by_grid(flows, list(grid_ids), list(ap_ids)),
        warnings=tuple(warnings),
    )


def road_edges(
    network: RoadNetwork, roads: Mapping[tuple[str, str, str], tuple[str, ...]]
) -> dict[tuple[str, str, str], tuple[int, ...]]:
    """The directed edges (both directions) of each preferred route's roads, sorted."""
    if not roads:
        return {}
    edge_roads = network.edge_road_id.astype(str)
    order = np.argsort(edge_roads, kind="stable")
    sorted_ids = edge_roads[order]
    out: dict[tuple[str, str, str], tuple[int, ...]] = {}
    for key, ids in roads.items():
        lo = np.searchsorted(sorted_ids, list(ids), side="left")
        hi = np.searchsorted(sorted_ids, list(ids), side="right")
        edges = [int(e) for a, b in zip(lo, hi, strict=True) for e in order[a:b]]
        out[key] = tuple(sorted(set(edges)))
    return out
