"""A scenario made concrete: its area loaded, the road network built, facilities snapped and the
threat zones computed (:func:`prepare`, what ``evacsim validate`` checks).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from evacsim.area.layers import Area
from evacsim.errors import HazardError, ScenarioError
from evacsim.hazard.build import build_threat_zones
from evacsim.hazard.zones import ThreatZones
from evacsim.network.cache import prepared_area
from evacsim.network.graph import RoadNetwork
from evacsim.network.pieces import RoadPieces, road_pieces
from evacsim.network.snap import SnappedArea
from evacsim.scenario.load import Scenario, load_scenario
from evacsim.timing import Timings, timed

__all__ = ["Prepared", "prepare"]


@dataclass(frozen=True, eq=False)
class Prepared:
    """Everything a simulation needs, loaded and checked (``pieces``: the road pieces apart
    from the main one that hold people or facilities, also among the warnings)."""

    scenario: Scenario
    area: Area
    network: RoadNetwork
    snapped: SnappedArea
    zones: ThreatZones
    warnings: tuple[str, ...]
    pieces: RoadPieces | None = None


def as_scenario(scenario: Scenario | str | Path) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def prepare(scenario: Scenario | str | Path, *, timings: Timings | None = None) -> Prepared:
    """Load and check the scenario's area, network and hazard.

    The area, network and snapped facilities come from :func:`evacsim.network.cache.prepared_area`
    (cached per area content). ``timings`` (when given) receives the seconds of ``load_s`` (those
    three), ``hazard_s`` and ``network_s`` (the road pieces).

    Raises
    ------
    EvacsimError
        Any bad input, with one line naming the file and field.
    """
    sc = as_scenario(scenario)
    where = str(sc.path) if sc.path else sc.name
    if sc.area_path is None:
        raise ScenarioError(f"{where}: field 'area': scenario was not loaded from a file")
    with timed(timings, "load_s"):  # the area, its network and snapped facilities
        area, network, snapped = prepared_area(sc.area_path)
    with timed(timings, "hazard_s"):
        try:
            zones = build_threat_zones(
                sc.hazard, sc.weather, hazard_sources=area.hazard_sources, crs=area.crs,
                extent=area.grids.geometry.union_all().convex_hull,
            )  # fmt: skip
        except HazardError as exc:
            raise ScenarioError(f"{where}: {exc}") from None
    _check_references(sc, area, where)
    with timed(timings, "network_s"):
        pieces = road_pieces(area, network, snapped, period=sc.population.period)
    warnings = (*area.warnings, *snapped.warnings, *pieces.warnings, *zones.warnings)
    return Prepared(sc, area, network, snapped, zones, tuple(warnings), pieces)


def _check_references(sc: Scenario, area: Area, where: str) -> None:
    road_ids = set(area.roads["id"])
    for road_id in sc.simulation.closed_roads:
        if road_id not in road_ids:
            raise ScenarioError(
                f"{where}: field 'simulation.closed_roads': road {road_id!r} is not in the roads "
                "layer"
            )
    plan_file = sc.evacuation.plan_file
    if plan_file is not None and not sc.resolve(plan_file).is_file():
        raise ScenarioError(
            f"{where}: field 'evacuation.plan_file': {plan_file!r} does not exist "
            f"({sc.resolve(plan_file)})"
        )
    depot = sc.transport.bus_depot
    if depot is not None and depot not in set(area.assembly_points["id"]) | set(
        area.team_bases["id"]
    ):
        raise ScenarioError(
            f"{where}: field 'transport.bus_depot': {depot!r} is not an assembly point or team base"
        )
