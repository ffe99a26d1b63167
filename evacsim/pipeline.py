"""From a scenario to a run: load, build, simulate, summarise, save.

``prepare`` does everything up to the simulation (and is what ``evacsim validate`` checks);
``run`` adds the simulation and the summary; :meth:`Run.save` writes the run folder atomically.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from evacsim.area import Area, load_area
from evacsim.errors import HazardError, ScenarioError
from evacsim.hazard import ThreatZones, build_threat_zones
from evacsim.network import RoadNetwork, SnappedArea, build_network, snap_area
from evacsim.output import atomic_run_folder, default_run_folder
from evacsim.scenario import Scenario, load_scenario

__all__ = ["Prepared", "Run", "prepare", "run"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class Prepared:
    """Everything a simulation needs, loaded and checked."""

    scenario: Scenario
    area: Area
    network: RoadNetwork
    snapped: SnappedArea
    zones: ThreatZones
    warnings: tuple[str, ...]


@dataclass(eq=False)
class Run:
    """A finished run: its inputs, results and headline summary."""

    prepared: Prepared
    summary: dict[str, Any]
    results: Any = None
    timings_s: dict[str, float] = field(default_factory=dict)

    def save(self, out: Path | None = None, *, geojson: bool = False) -> Path:
        """Write the run folder (exactly ``out``, else ``runs/<scenario>-<timestamp>/``).

        Everything (summary, maps, report, GeoPackage, CSV, GPX, manifest; GeoJSON when
        ``geojson``) is written by :func:`evacsim.export.write_run_folder` into a temporary folder
        that is renamed into place only when complete: an error leaves no folder behind.
        """
        from evacsim.export import write_run_folder

        dest = Path(out) if out is not None else default_run_folder(self.prepared.scenario.label())
        with atomic_run_folder(dest) as tmp:
            write_run_folder(self, tmp, geojson=geojson)
        log.info("run written to %s", dest)
        return dest


def _as_scenario(scenario: Scenario | str | Path) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def prepare(scenario: Scenario | str | Path) -> Prepared:
    """Load and check the scenario's area, network and hazard.

    Raises
    ------
    EvacsimError
        Any bad input, with one line naming the file and field.
    """
    sc = _as_scenario(scenario)
    where = str(sc.path) if sc.path else sc.name
    if sc.area_path is None:
        raise ScenarioError(f"{where}: field 'area': scenario was not loaded from a file")
    area = load_area(sc.area_path)
    network = build_network(area.roads)
    snapped = snap_area(area, network)
    try:
        zones = build_threat_zones(
            sc.hazard, sc.weather, hazard_sources=area.hazard_sources, crs=area.crs,
            extent=area.grids.geometry.union_all().convex_hull,
        )  # fmt: skip
    except HazardError as exc:
        raise ScenarioError(f"{where}: {exc}") from None
    _check_references(sc, area, where)
    warnings = (*area.warnings, *snapped.warnings, *zones.warnings)
    return Prepared(sc, area, network, snapped, zones, tuple(warnings))


def _check_references(sc: Scenario, area: Area, where: str) -> None:
    road_ids = set(area.roads["id"])
    for road_id in sc.simulation.closed_roads:
        if road_id not in road_ids:
            raise ScenarioError(
                f"{where}: field 'simulation.closed_roads': road {road_id!r} is not in the roads "
                "layer"
            )
    depot = sc.transport.bus_depot
    if depot is not None and depot not in set(area.assembly_points["id"]) | set(
        area.team_bases["id"]
    ):
        raise ScenarioError(
            f"{where}: field 'transport.bus_depot': {depot!r} is not an assembly point or team base"
        )


def run(scenario: Scenario | str | Path, *, seed: int | None = None) -> Run:
    """Run a scenario end to end and return the finished :class:`Run` (nothing is written)."""
    t0 = time.perf_counter()
    sc = _as_scenario(scenario)
    if seed is not None:
        sc = sc.with_seed(seed)
    prepared = prepare(sc)
    t1 = time.perf_counter()
    from evacsim.simulation import simulate

    rng = np.random.default_rng(sc.seed)
    results = simulate(prepared, rng=rng)
    t2 = time.perf_counter()
    from evacsim.metrics import summarise

    summary = summarise(prepared, results)
    summary["runtime_s"] = round(time.perf_counter() - t0, 3)
    timings = {"prepare_s": t1 - t0, "simulate_s": t2 - t1}
    return Run(prepared=prepared, summary=summary, results=results, timings_s=timings)
