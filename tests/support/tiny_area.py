"""A small, complete, valid area written as GeoJSON, and the means to write broken variants of it.

Street grid of 3 x 3 nodes around (106.46 E, 29.43 N), ~194 m between columns and ~200 m between
rows; node ``(i, j)`` is at ``(LON0 + i * DLON, LAT0 + j * DLAT)``. Roads (ids ``R-0001``..):

- rows ``j = 0`` primary (2 lanes, 50 km/h), ``j = 1`` tertiary (1 lane, 40 km/h), ``j = 2``
  residential (1 lane, 30 km/h); ``(1,2)->(2,2)`` is one-way eastbound (``R-0006``);
- columns ``i = 0, 1, 2`` residential; ``(0,1)-(1,1)`` (``R-0003``) overrides capacity to
  1200 veh/h;
- a footway on the diagonal ``(0,1)-(1,2)`` (``R-0013``);
- a bridge (secondary, 2 lanes, 60 km/h) from ``(0,0)`` to ``(2,1)`` (``R-0014``) that crosses the
  column ``(1,0)-(1,1)`` half-way without a shared vertex.

Grids ``G-001..G-004`` are the four cells; ``AP-1``, ``AP-2``, ``S-1``, ``S-2``, a tank ``T-01``, a
chlorine store ``CL-1``, a supply point ``SP-1`` and a team ``TM-1`` lie within ~150 m of a node.

Other modules' tests use this: keep ids, coordinates and values stable.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = [
    "BRIDGE_CROSSING",
    "DLAT",
    "DLON",
    "LAT0",
    "LON0",
    "TINY_LAYERS",
    "node_lonlat",
    "tiny_features",
    "write_tiny_area",
]

LON0, LAT0 = 106.460, 29.430
DLON, DLAT = 0.002, 0.0018

Feature = dict[str, Any]
Override = None | str | dict[str, Any] | list[Feature] | Callable[[list[Feature]], list[Feature]]


def node_lonlat(i: float, j: float) -> tuple[float, float]:
    """Longitude and latitude of grid position ``(i, j)`` (fractions allowed)."""
    return (round(LON0 + i * DLON, 7), round(LAT0 + j * DLAT, 7))


#: Where the bridge crosses the column (1,0)-(1,1): lon/lat.
BRIDGE_CROSSING = node_lonlat(1, 0.5)


def _feature(props: dict[str, Any], geometry: dict[str, Any]) -> Feature:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def _line(*ij: tuple[float, float]) -> dict[str, Any]:
    return {"type": "LineString", "coordinates": [list(node_lonlat(*p)) for p in ij]}


def _point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def _roads() -> list[Feature]:
    rows = [("primary", 2, 50.0, "Jiangbin Road"), ("tertiary", 1, 40.0, "Middle Street")]
    rows.append(("residential", 1, 30.0, "North Lane"))
    specs: list[tuple[tuple[int, int], tuple[int, int], str, int, float, str | None]] = []
    for j, (hw, lanes, speed, name) in enumerate(rows):
        specs += [
            ((0, j), (1, j), hw, lanes, speed, name),
            ((1, j), (2, j), hw, lanes, speed, name),
        ]
    for i in range(3):
        lane_name = f"Cross Lane {i + 1}"
        specs += [((i, 0), (i, 1), "residential", 1, 30.0, lane_name)]
        specs += [((i, 1), (i, 2), "residential", 1, 30.0, lane_name)]
    feats = []
    for k, (a, b, hw, lanes, speed, road_name) in enumerate(specs, start=1):
        props: dict[str, Any] = {
            "id": f"R-{k:04d}",
            "name": road_name,
            "highway": hw,
            "lanes": lanes,
        }
        props |= {"speed_kph": speed, "oneway": k == 6}
        if k == 3:
            props["capacity_vph"] = 1200.0
        feats.append(_feature(props, _line(a, b)))
    foot = {"id": "R-0013", "name": None, "highway": "footway", "lanes": 1, "speed_kph": 5.0}
    feats.append(_feature(foot | {"oneway": False, "width_m": 3.0}, _line((0, 1), (1, 2))))
    bridge = {"id": "R-0014", "name": "Funiu Viaduct", "highway": "secondary", "lanes": 2}
    bridge |= {"speed_kph": 60.0, "oneway": False, "bridge": True}
    feats.append(_feature(bridge, _line((0, 0), (2, 1))))
    return feats


def _grids() -> list[Feature]:
    data = [
        ("G-001", (0, 0), "1", 120, 300, 5, 0.3, "AP-1"),
        ("G-002", (1, 0), "1", 80, 150, 3, 0.5, "AP-2"),
        ("G-003", (0, 1), "2", 200, 100, 8, 0.2, "AP-1"),
        ("G-004", (1, 1), "2", 50, 60, 2, 0.0, "AP-2"),
    ]
    feats = []
    for gid, (i, j), group, day, night, assist, cars, ap in data:
        ring = [node_lonlat(*p) for p in ((i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1), (i, j))]
        props: dict[str, Any] = {
            "id": gid,
            "name": f"Grid {gid[-1]}",
            "town": "Tiaodeng",
            "community": "Funiuxi",
        }
        props |= {"group": group, "population_day": day, "population_night": night}
        props |= {"needs_assistance": assist, "car_share": cars, "assembly_point": ap}
        feats.append(_feature(props, {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}))
    return feats


def _points(rows: list[tuple[dict[str, Any], tuple[float, float]]]) -> list[Feature]:
    return [_feature(props, _point(*where)) for props, where in rows]


def _layers() -> dict[str, list[Feature]]:
    tank: dict[str, Any] = {"id": "T-01", "name": "Tank 1", "category": "tank", "enterprise": "E-1"}
    tank |= {"hazard_source": "HS-01", "substance": "gasoline", "capacity_m3": 5000.0}
    tank |= {"diameter_m": 21.0, "dike_area_m2": 3000.0, "kind": "floating_roof"}
    store: dict[str, Any] = {"id": "CL-1", "name": "Chlorine store", "category": "store"}
    store |= {"substance": "chlorine", "inventory_kg": 10000.0}
    supply: dict[str, Any] = {
        "id": "SP-1",
        "name": "Supply 1",
        "stock_water_l": 2000,
        "stock_food_rations": 500,
    }
    supply |= {"stock_blankets": 300, "stock_medical_kits": 40}
    team: dict[str, Any] = {
        "id": "TM-1",
        "name": "Fire team",
        "members": 30,
        "vehicles": 3,
        "specialty": "fire",
    }
    return {
        "roads": _roads(),
        "grids": _grids(),
        "assembly_points": _points(
            [
                (
                    {"id": "AP-1", "name": "School yard", "capacity_persons": 500},
                    (106.4601, 29.4337),
                ),
                (
                    {"id": "AP-2", "name": "Market square", "capacity_persons": 400},
                    (106.4641, 29.4337),
                ),
            ]
        ),
        "shelters": _points(
            [
                (
                    {
                        "id": "S-1",
                        "name": "Gym",
                        "capacity_persons": 300,
                        "facilities": "water;beds",
                    },
                    (106.4642, 29.4299),
                ),
                ({"id": "S-2", "name": "Hall", "capacity_persons": 250}, (106.4599, 29.4301)),
            ]
        ),
        "hazard_sources": _points([(tank, (106.4630, 29.4288)), (store, (106.4605, 29.4287))]),
        "supply_points": _points([(supply, (106.4620, 29.4338))]),
        "team_bases": _points([(team, (106.4622, 29.4302))]),
    }


#: Layer names written by :func:`write_tiny_area`.
TINY_LAYERS: tuple[str, ...] = tuple(_layers())


def tiny_features(layer: str) -> list[Feature]:
    """A fresh, modifiable copy of the features of one tiny-area layer."""
    return copy.deepcopy(_layers()[layer])


def write_tiny_area(
    directory: str | Path, *, area_toml: str | None = None, **overrides: Override
) -> Path:
    """Write the tiny area (or a variant) as ``<layer>.geojson`` files into ``directory``.

    Parameters
    ----------
    directory
        Created if needed.
    area_toml
        Text of an ``area.toml`` to write beside the layers (none by default).
    **overrides
        Per layer name: ``None`` leaves the file out; a ``str`` is written verbatim; a ``dict`` is
        written as the whole GeoJSON object; a ``list`` of features replaces the features; a
        callable gets the default features and returns the ones to write.

    Returns
    -------
    Path
        The directory.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    layers = _layers()
    unknown = set(overrides) - set(layers)
    if unknown:
        raise KeyError(f"unknown tiny-area layers: {sorted(unknown)}")
    for name, feats in layers.items():
        spec = overrides.get(name, feats)
        if name in overrides and spec is None:
            continue
        if isinstance(spec, str):
            (out / f"{name}.geojson").write_text(spec, encoding="utf-8")
            continue
        if callable(spec):
            spec = spec(feats)
        doc = spec if isinstance(spec, dict) else {"type": "FeatureCollection", "features": spec}
        (out / f"{name}.geojson").write_text(json.dumps(doc, ensure_ascii=False, indent=1), "utf-8")
    if area_toml is not None:
        (out / "area.toml").write_text(area_toml, encoding="utf-8")
    return out


def tiny_scenario(
    *,
    name: str = "tiny fire",
    seed: int = 5,
    area: str = "area",
    evacuate: str = "yellow",
    period: str = "night",
    buses: int | None = 2,
    bus_capacity: int = 20,
    extra: str = "",
) -> str:
    """TOML of a radius-model scenario around tank ``T-01`` of the tiny area (red 60 m, orange
    150 m, yellow 250 m). ``area`` is the area folder relative to the scenario file;
    ``buses=None`` leaves the transport section at its defaults; ``extra`` is appended."""
    text = (
        f'name = "{name}"\nseed = {seed}\narea = "{area}"\n'
        '[hazard]\nmodel = "radius"\nsource = "T-01"\n'
        "radii_m = { red = 60, orange = 150, yellow = 250 }\n"
        f'evacuate = "{evacuate}"\n[population]\nperiod = "{period}"\n'
    )
    if buses is not None:
        text += f"[transport]\nbuses = {buses}\nbus_capacity_persons = {bus_capacity}\n"
    return text + extra


def line_roads(x0_m: float, y0_m: float) -> Any:
    """A projected (EPSG:32648) roads layer: residential 100 m + 200 m eastward from
    (x0_m, y0_m), then a 120 m footway north (its end node is walk-only)."""
    import geopandas as gpd
    from shapely.geometry import LineString

    return gpd.GeoDataFrame(
        {
            "id": ["R-0001", "R-0002", "R-0003"],
            "name": ["a", "b", "c"],
            "highway": ["residential", "residential", "footway"],
            "lanes": [1, 1, 1],
            "speed_kph": [36.0, 36.0, 5.0],
            "oneway": [False, False, False],
        },
        geometry=[
            LineString([(x0_m, y0_m), (x0_m + 100, y0_m)]),
            LineString([(x0_m + 100, y0_m), (x0_m + 300, y0_m)]),
            LineString([(x0_m + 300, y0_m), (x0_m + 300, y0_m + 120)]),
        ],
        crs="EPSG:32648",
    )


def write_scenario(
    area_dir: Path, *, closed: str = "[]", extra: str = "", name: str = "s.toml"
) -> Path:
    """Write a tiny-area scenario with teams beside ``area_dir`` (``closed``: closed road ids)."""
    path = area_dir.parent / name
    text = tiny_scenario(
        name="tiny fire with teams",
        area=area_dir.name,
        extra=f"[simulation]\nclosed_roads = {closed}\n{extra}\n",
    )
    path.write_text(text, encoding="utf-8")
    return path
