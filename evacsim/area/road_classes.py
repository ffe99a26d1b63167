"""Road classes: the canonical ``highway`` values, their OSM aliases and per-class defaults.

Sources and assumptions of the defaults are in :mod:`evacsim.network.graph`'s table.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "HIGHWAY_ALIASES",
    "ROAD_CLASSES",
    "ROAD_CLASS_DEFAULTS",
    "RoadClass",
    "canonical_highway",
]


#: Canonical road classes, in decreasing order of rank (capacity).
ROAD_CLASSES: tuple[str, ...] = (
    "motorway",
    "trunk",
    "primary",
    "secondary",
    "tertiary",
    "residential",
    "service",
    "footway",
)

#: OSM ``highway`` values mapped to the nearest canonical class.
HIGHWAY_ALIASES: dict[str, str] = {
    "motorway_link": "motorway",
    "trunk_link": "trunk",
    "primary_link": "primary",
    "secondary_link": "secondary",
    "tertiary_link": "tertiary",
    "unclassified": "residential",
    "living_street": "residential",
    "road": "residential",
    "busway": "service",
    "track": "service",
    "pedestrian": "footway",
    "path": "footway",
    "steps": "footway",
    "cycleway": "footway",
    "bridleway": "footway",
    "corridor": "footway",
}


def canonical_highway(value: str) -> str | None:
    """Return the canonical class of an OSM or evacsim ``highway`` value (None if unknown)."""
    if value in ROAD_CLASSES:
        return value
    return HIGHWAY_ALIASES.get(value)


@dataclass(frozen=True)
class RoadClass:
    """Defaults of one road class (see the module's table for sources)."""

    per_lane_capacity_vph: float
    drivable: bool
    walkable: bool
    walk_width_m: float
    default_lanes: int
    default_speed_kph: float


ROAD_CLASS_DEFAULTS: dict[str, RoadClass] = {
    "motorway": RoadClass(2000.0, True, False, 0.0, 3, 100.0),
    "trunk": RoadClass(1900.0, True, False, 0.0, 2, 80.0),
    "primary": RoadClass(1800.0, True, True, 3.0, 2, 50.0),
    "secondary": RoadClass(1700.0, True, True, 3.0, 2, 40.0),
    "tertiary": RoadClass(1500.0, True, True, 2.5, 1, 40.0),
    "residential": RoadClass(1000.0, True, True, 1.5, 1, 30.0),
    "service": RoadClass(600.0, True, True, 1.5, 1, 20.0),
    "footway": RoadClass(0.0, False, True, 2.0, 1, 5.0),
}
