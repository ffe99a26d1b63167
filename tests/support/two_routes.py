"""RN-9 as a whole area: one grid, two routes to two assembly points.

Node O (the grid's only road node) at (106.46 E, 29.43 N); route A runs east from O to AP-A,
route B west to AP-B, each one road of one lane at 30 km/h with a capacity of 1800 veh/h
(c = 0.5 veh/s); A is ~2500 m (t_ff ~ 300 s), B ~3500 m (t_ff ~ 420 s). Everyone leaves at once by
car, one person per car; the grid (about 40 m across, inside the red zone of a radius hazard at
O) plans AP-A. Buses and cars driving on are off: stage 1 alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

LON0, LAT0 = 106.46, 29.43
M_PER_DEG_LON = 111_320.0 * 0.870543  # cos(29.43°)
A_M, B_M = 2500.0, 3500.0


def _feature(props: dict[str, Any], geometry: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def _point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def write_two_routes(folder: Path, *, persons: int, split: bool = True) -> Path:
    """Write the area and a scenario into ``folder``; return the scenario file."""
    area = folder / "area"
    area.mkdir(parents=True, exist_ok=True)
    a_end = (LON0 + A_M / M_PER_DEG_LON, LAT0)
    b_end = (LON0 - B_M / M_PER_DEG_LON, LAT0)
    road = {"highway": "primary", "lanes": 1, "speed_kph": 30.0, "oneway": True,
            "capacity_vph": 1800.0}  # fmt: skip
    layers = {
        "roads": [
            _feature({"id": "R-A", "name": "route A", **road},
                     {"type": "LineString", "coordinates": [[LON0, LAT0], list(a_end)]}),
            _feature({"id": "R-B", "name": "route B", **road},
                     {"type": "LineString", "coordinates": [[LON0, LAT0], list(b_end)]}),
        ],
        "grids": [
            _feature(
                {"id": "G-1", "name": "Grid 1", "town": "T", "community": "C", "group": "1",
                 "population_day": persons, "population_night": persons, "needs_assistance": 0,
                 "car_share": 1.0, "assembly_point": "AP-A"},
                {"type": "Polygon", "coordinates": [[
                    [LON0 - 2e-4, LAT0 - 2e-4], [LON0 + 2e-4, LAT0 - 2e-4],
                    [LON0 + 2e-4, LAT0 + 2e-4], [LON0 - 2e-4, LAT0 + 2e-4],
                    [LON0 - 2e-4, LAT0 - 2e-4]]]},
            )
        ],
        "assembly_points": [
            _feature({"id": "AP-A", "name": "A", "capacity_persons": 100000}, _point(*a_end)),
            _feature({"id": "AP-B", "name": "B", "capacity_persons": 100000}, _point(*b_end)),
        ],
        "shelters": [_feature({"id": "S-1", "name": "S", "capacity_persons": 100000},
                              _point(*a_end))],
    }  # fmt: skip
    for name, feats in layers.items():
        doc = {"type": "FeatureCollection", "features": feats}
        (area / f"{name}.geojson").write_text(json.dumps(doc), encoding="utf-8")
    scenario = folder / "rn9.toml"
    scenario.write_text(
        f'name = "RN-9"\nseed = 1\narea = "area"\n'
        f'[hazard]\nmodel = "radius"\nat = [{LON0}, {LAT0}]\n'
        'radii_m = { red = 100, orange = 200, yellow = 300 }\nevacuate = "orange"\n'
        "[population]\npersons_per_car = 1.0\n"
        '[departure]\nwarning = { dist = "fixed", value_s = 0 }\n'
        'preparation = { dist = "fixed", value_s = 0 }\n'
        f"[evacuation]\nsplit_grids = {'true' if split else 'false'}\n"
        "[transport]\nbuses = 0\ncars_continue = false\n",
        encoding="utf-8",
    )
    return scenario
