"""Small areas drawn on a lattice for tests: roads, grids and facilities at lattice positions.

Position ``(i, j)`` is ``node_lonlat(i, j)`` of the tiny area (about 194 m per ``i``, 200 m per
``j``, fractions allowed), so distances are easy to reason about. Everything a test does not
give is left out (optional layers) or filled with plain values.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.tiny_area import node_lonlat

__all__ = ["Facility", "Grid", "Road", "SmallArea", "lonlat"]

Pos = tuple[float, float]


def lonlat(pos: Pos) -> list[float]:
    """``[lon, lat]`` of a lattice position."""
    return list(node_lonlat(*pos))


@dataclass(frozen=True)
class Road:
    """A straight road from ``a`` to ``b`` (lattice positions)."""

    a: Pos
    b: Pos
    highway: str = "residential"
    oneway: bool = False


@dataclass(frozen=True)
class Grid:
    """A rectangular grid from corner ``lo`` to corner ``hi``."""

    id: str
    lo: Pos
    hi: Pos
    assembly_point: str
    population: int = 100
    car_share: float = 0.4
    needs_assistance: int = 0


@dataclass(frozen=True)
class Facility:
    """An assembly point, shelter or team base at a lattice position."""

    id: str
    at: Pos
    capacity_persons: int = 500


@dataclass
class SmallArea:
    """The layers of a small area; :meth:`write` puts them in a folder."""

    roads: Sequence[Road]
    grids: Sequence[Grid]
    assembly_points: Sequence[Facility]
    shelters: Sequence[Facility]
    team_bases: Sequence[Facility] = ()

    def write(self, directory: Path) -> Path:
        """Write ``<layer>.geojson`` files into ``directory`` (created) and return it."""
        directory.mkdir(parents=True, exist_ok=True)
        roads = [
            _feature(
                {"id": f"R-{k:04d}", "name": f"road {k}", "highway": r.highway, "lanes": 1,
                 "speed_kph": 5.0 if r.highway == "footway" else 36.0, "oneway": r.oneway},
                {"type": "LineString", "coordinates": [lonlat(r.a), lonlat(r.b)]},
            )
            for k, r in enumerate(self.roads, start=1)
        ]  # fmt: skip
        grids = [
            _feature(
                {"id": g.id, "name": g.id, "town": "T", "community": "C", "group": "1",
                 "population_day": g.population, "population_night": g.population,
                 "needs_assistance": g.needs_assistance, "car_share": g.car_share,
                 "assembly_point": g.assembly_point},
                {"type": "Polygon", "coordinates": [[lonlat(p) for p in _ring(g.lo, g.hi)]]},
            )
            for g in self.grids
        ]  # fmt: skip
        layers = {
            "roads": roads,
            "grids": grids,
            "assembly_points": _points(self.assembly_points, capacity=True),
            "shelters": _points(self.shelters, capacity=True),
        }
        if self.team_bases:
            layers["team_bases"] = [
                _feature(
                    {"id": t.id, "name": t.id, "members": 20, "vehicles": 2},
                    {"type": "Point", "coordinates": lonlat(t.at)},
                )
                for t in self.team_bases
            ]
        for name, feats in layers.items():
            doc = {"type": "FeatureCollection", "features": feats}
            (directory / f"{name}.geojson").write_text(json.dumps(doc), encoding="utf-8")
        return directory


def _feature(props: dict[str, Any], geometry: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def _ring(lo: Pos, hi: Pos) -> list[Pos]:
    return [lo, (hi[0], lo[1]), hi, (lo[0], hi[1]), lo]


def _points(rows: Sequence[Facility], *, capacity: bool) -> list[dict[str, Any]]:
    return [
        _feature(
            {"id": f.id, "name": f.id}
            | ({"capacity_persons": f.capacity_persons} if capacity else {}),
            {"type": "Point", "coordinates": lonlat(f.at)},
        )
        for f in rows
    ]
