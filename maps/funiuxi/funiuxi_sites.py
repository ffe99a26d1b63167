"""Sites of the illustrative Funiuxi area: hazard sources, facilities and population grids.

Used by ``make_layers.py``. Positions are given in its design frame ``(u, v)`` (metres along the
river and inland from the bank) and turned into map coordinates by the callables it passes in.
Everything here is ILLUSTRATIVE (see ``SOURCE.md``); names come from the reference facts where
they exist, and are marked "invented" in ``SOURCE.md`` where they do not.

Tank geometry follows rules of thumb after GB 50074-2014 (as commonly quoted, not checked against
the code text): atmospheric tanks 12–20 m high, so ``D = sqrt(4 V / (pi H))``; spheres
``D = (6 V / pi)^(1/3)``; bullets ``D = sqrt(4 V / (pi L))``; tanks of a group stand in one dike
with clear gaps of 0.4 D (floating roof), 0.6 D (fixed roof) or 1.0 D (pressurised), at least
half the tank height (>= 3 m) from the dike toe; a dike holds the largest tank (half of it for
floating roofs) at a wall height of 2.0 m.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from shapely.geometry import Point, Polygon
from shapely.geometry.polygon import orient

__all__ = [
    "ASSEMBLY_POINTS",
    "HAZARD_GROUPS",
    "SHELTERS",
    "SUPPLY_POINTS",
    "TEAMS",
    "TankGroup",
    "facility_features",
    "grid_features",
    "hazard_features",
    "tank_diameter_m",
]

Coord = tuple[float, float]
Feature = dict[str, Any]
PointFn = Callable[[float, float], Coord]
LineFn = Callable[[Sequence[Coord]], list[Coord]]
LonLatFn = Callable[[Sequence[Coord]], list[list[float]]]

DIKE_WALL_M = 2.0
BULLET_LENGTH_M = 13.0

#: Enterprises: id, name, site centre (u, v). Only E-1 is documented (facts §1); E-2's operator is
#: named in facts §1 (a lubricant plant with a siding to Funiuxi station); E-3..E-6 are invented.
# fmt: off
ENTERPRISES: tuple[tuple[str, str, Coord], ...] = (
    ("E-1", "中国石油伏牛溪油库 PetroChina Funiuxi oil depot", (0.0, 215.0)),
    ("E-2", "中石化重庆石油化工销售润滑油厂 Sinopec Chongqing Petrochemical Sales lubricant plant",
     (-1275.0, 672.0)),
    ("E-3", "伏牛溪液化气站 Funiuxi LPG filling and storage station", (-425.0, 660.0)),
    ("E-4", "建桥化工仓储 Jianqiao bulk chemical warehouse", (775.0, 840.0)),
    ("E-5", "伏牛溪成品油码头 Funiuxi riverside fuel terminal", (560.0, 220.0)),
    ("E-6", "大渡口燃气液化气储配站 Dadukou gas company LPG storage", (1475.0, 672.0)),
)
# fmt: on


@dataclass(frozen=True)
class TankGroup:
    """A major hazard source: ``rows`` x ``cols`` tanks of one size in one dike.

    ``substances`` and ``kinds`` cycle over the tanks; ``height_m`` is the shell height of
    atmospheric tanks (ignored for pressurised ones).
    """

    hs_id: str
    enterprise: str
    name: str
    centre_uv: Coord
    capacity_m3: float
    rows: int
    cols: int
    substances: tuple[str, ...]
    kinds: tuple[str, ...]
    height_m: float = 0.0


# fmt: off
HAZARD_GROUPS: tuple[TankGroup, ...] = (
    TankGroup("HS-01", "E-1", "汽油罐区甲 Gasoline tank group A", (-160.0, 130.0), 20_000.0, 2, 2,
              ("gasoline",), ("floating_roof",), 19.0),
    TankGroup("HS-02", "E-1", "汽油罐区乙 Gasoline tank group B", (-160.0, 290.0), 20_000.0, 2, 2,
              ("gasoline",), ("floating_roof",), 19.0),
    TankGroup("HS-03", "E-1", "柴油罐区 Diesel tank group", (150.0, 125.0), 15_000.0, 2, 3,
              ("diesel",), ("fixed_roof",), 18.0),
    TankGroup("HS-04", "E-1", "航煤罐区 Jet fuel tank group", (90.0, 300.0), 5_000.0, 2, 3,
              ("jet_fuel",), ("fixed_roof",), 16.0),
    TankGroup("HS-05", "E-1", "发油罐区 Truck-loading tank group", (225.0, 300.0), 2_000.0, 2, 5,
              ("gasoline", "diesel"), ("fixed_roof",), 14.0),
    TankGroup("HS-06", "E-2", "基础油罐区 Base-oil tank group", (-1380.0, 680.0), 1_000.0, 2, 3,
              ("diesel",), ("fixed_roof",), 12.5),
    TankGroup("HS-07", "E-3", "液化气卧罐 LPG bullet tanks", (-475.0, 690.0), 100.0, 1, 4,
              ("lpg",), ("horizontal_bullet",)),
    TankGroup("HS-08", "E-4", "化工储罐区 Chemical tank group", (710.0, 840.0), 500.0, 2, 2,
              ("benzene", "hexane"), ("fixed_roof",), 12.0),
    TankGroup("HS-09", "E-5", "码头油罐区 Terminal tank group", (500.0, 260.0), 5_000.0, 3, 2,
              ("gasoline", "diesel"), ("floating_roof", "fixed_roof"), 16.0),
    TankGroup("HS-10", "E-6", "液化气球罐 LPG spheres", (1410.0, 700.0), 1_000.0, 1, 3,
              ("lpg",), ("pressurised_sphere",)),
)
# fmt: on

#: id, name, (u, v), inventory_kg: two 1 t cylinders at the chlorination house (illustrative)
# fmt: off
CHLORINE_STORE = ("CL-1", "丰收坝水厂液氯库 Fengshouba water plant chlorine store",
                  (-780.0, 250.0), 2_000.0)
# fmt: on

#: id, name, (u, v), capacity_persons
ASSEMBLY_POINTS: tuple[tuple[str, str, Coord, int], ...] = (
    ("AP-1", "钓鱼嘴公园 Diaoyuzui Park central plaza", (1250.0, 240.0), 12_000),
    ("AP-2", "跳磴小学操场 Tiaodeng Primary School sports ground", (-1250.0, 2060.0), 5_000),
    ("AP-3", "建桥园区中心广场 Jianqiao Industrial Park square", (1700.0, 900.0), 6_000),
    ("AP-4", "周家坪社区广场 Zhoujiaping community square", (-420.0, 1580.0), 4_000),
    ("AP-5", "大渡口体育中心广场 Dadukou sports centre plaza", (700.0, 2080.0), 10_000),
)

#: id, name, (u, v), capacity_persons, facilities
# fmt: off
SHELTERS: tuple[tuple[str, str, Coord, int, str], ...] = (
    ("S-1", "跳磴中学体育馆 Tiaodeng Middle School gymnasium", (-1150.0, 2330.0), 1_500,
     "water;toilets;beds;medical"),
    ("S-2", "跳磴镇文化服务中心 Tiaodeng town cultural centre", (-700.0, 2150.0), 800,
     "water;toilets;beds"),
    ("S-3", "周家坪小学 Zhoujiaping Primary School", (200.0, 1450.0), 1_200, "water;toilets;beds"),
    ("S-4", "建桥园区职工之家 Jianqiao park staff centre", (1700.0, 1200.0), 1_000,
     "water;toilets;beds;canteen"),
    ("S-5", "陈家隔社区服务中心 Chenjiage community centre", (1250.0, 1990.0), 800,
     "water;toilets;beds"),
    ("S-6", "大渡口体育馆 Dadukou gymnasium", (450.0, 2200.0), 3_000,
     "water;toilets;beds;medical;power"),
    ("S-7", "伏牛溪社区服务中心 Funiuxi community service centre", (-1700.0, 1300.0), 600,
     "water;toilets"),
    ("S-8", "大渡口森林公园入口 Dadukou Forest Park entrance", (-1000.0, 2700.0), 5_000,
     "water;toilets;tents;medical"),
)
# fmt: on

#: id, name, (u, v), water_l, food_rations, blankets, medical_kits
# fmt: off
SUPPLY_POINTS: tuple[tuple[str, str, Coord, int, int, int, int], ...] = (
    ("SP-1", "跳磴镇应急物资储备点 Tiaodeng town emergency store", (-800.0, 1990.0),
     60_000, 20_000, 5_000, 800),
    ("SP-2", "伏牛溪235路公交首末站 Funiuxi bus-235 terminus store", (-800.0, 900.0),
     20_000, 6_000, 1_500, 300),
    ("SP-3", "建桥园区应急物资库 Jianqiao park emergency store", (1600.0, 900.0),
     40_000, 12_000, 3_000, 500),
    ("SP-4", "陈家隔社区物资点 Chenjiage community store", (1000.0, 1990.0),
     25_000, 8_000, 2_000, 300),
    ("SP-5", "森林公园入口物资点 Forest Park entrance store", (-880.0, 2700.0),
     30_000, 10_000, 4_000, 400),
)
# fmt: on

#: id, name, (u, v), members, vehicles, specialty
# fmt: off
TEAMS: tuple[tuple[str, str, Coord, int, int, str], ...] = (
    ("TM-1", "大渡口区消防救援站 Dadukou fire and rescue station", (-600.0, 1870.0), 45, 8,
     "fire rescue"),
    ("TM-2", "交巡警大渡口支队 Traffic police detachment", (900.0, 1870.0), 40, 12,
     "police traffic"),
    ("TM-3", "区人民医院急救队 District hospital emergency medical team", (200.0, 1300.0), 30, 6,
     "medical"),
    ("TM-4", "跳磴镇民兵应急分队 Tiaodeng militia emergency unit", (-1450.0, 1900.0), 50, 4,
     "militia"),
    ("TM-5", "伏牛溪社区志愿者队 Funiuxi community volunteers", (-300.0, 1150.0), 60, 2,
     "community volunteers"),
    ("TM-6", "伏牛溪油库专职消防队 Funiuxi depot fire brigade", (120.0, 395.0), 35, 5,
     "enterprise fire brigade"),
)
# fmt: on


# --- hazard sources ----------------------------------------------------------------------------


def tank_diameter_m(capacity_m3: float, kind: str, *, height_m: float) -> float:
    """Tank diameter from capacity, m: cylinder of ``height_m``, sphere, or 13 m bullet."""
    if kind == "pressurised_sphere":
        return (6.0 * capacity_m3 / math.pi) ** (1.0 / 3.0)
    length = BULLET_LENGTH_M if kind == "horizontal_bullet" else height_m
    return math.sqrt(4.0 * capacity_m3 / (math.pi * length))


def _group_layout(g: TankGroup) -> tuple[float, float, list[Coord]]:
    """Diameter, dike area (m²) and tank centres (u, v) of one tank group."""
    kinds = [g.kinds[k % len(g.kinds)] for k in range(g.rows * g.cols)]
    d = tank_diameter_m(g.capacity_m3, kinds[0], height_m=g.height_m)
    pressurised = kinds[0] in ("pressurised_sphere", "horizontal_bullet")
    gap = d if pressurised else (0.4 if set(kinds) == {"floating_roof"} else 0.6) * d
    setback = 3.0 if pressurised else max(3.0, g.height_m / 2.0)
    size_u, size_v = d, (BULLET_LENGTH_M if kinds[0] == "horizontal_bullet" else d)
    width = g.cols * size_u + (g.cols - 1) * gap + 2 * setback
    depth = g.rows * size_v + (g.rows - 1) * gap + 2 * setback
    area = width * depth
    if not pressurised:
        share = 0.5 if set(kinds) == {"floating_roof"} else 1.0
        footprint = math.pi * d * d / 4.0
        area = max(area, share * g.capacity_m3 / DIKE_WALL_M + (len(kinds) - 1) * footprint)
    cu, cv = g.centre_uv
    centres = [
        (cu + (j - (g.cols - 1) / 2) * (size_u + gap), cv + (i - (g.rows - 1) / 2) * (size_v + gap))
        for i in range(g.rows)
        for j in range(g.cols)
    ]
    return d, area, centres


def _hazard_props(fid: str, name: str, category: str, **extra: Any) -> dict[str, Any]:
    keys = ["enterprise", "hazard_source", "substance", "capacity_m3", "diameter_m"]
    keys += ["dike_area_m2", "kind", "inventory_kg"]
    return {"id": fid, "name": name, "category": category} | {k: extra.get(k) for k in keys}


def hazard_features(point_m: PointFn, lonlat: LonLatFn) -> list[Feature]:
    """Enterprises, major hazard sources, tanks and the chlorine store, as Point features."""
    rows: list[tuple[dict[str, Any], Coord]] = []
    for eid, name, uv in ENTERPRISES:
        rows.append((_hazard_props(eid, name, "enterprise"), uv))
    for g in HAZARD_GROUPS:
        props = _hazard_props(g.hs_id, g.name, "major_hazard_source", enterprise=g.enterprise)
        rows.append((props, g.centre_uv))
    number = 0
    for g in HAZARD_GROUPS:
        d, area, centres = _group_layout(g)
        for k, uv in enumerate(centres):
            number += 1
            props = _hazard_props(
                f"T-{number:02d}",
                f"{g.name} {k + 1}号罐 tank {k + 1}",
                "tank",
                enterprise=g.enterprise,
                hazard_source=g.hs_id,
                substance=g.substances[k % len(g.substances)],
                capacity_m3=g.capacity_m3,
                diameter_m=round(d, 1),
                dike_area_m2=float(round(area, -1)),
                kind=g.kinds[k % len(g.kinds)],
            )
            rows.append((props, uv))
    cid, cname, cuv, kg = CHLORINE_STORE
    rows.append((_hazard_props(cid, cname, "store", substance="chlorine", inventory_kg=kg), cuv))
    coords = lonlat([point_m(*uv) for _, uv in rows])
    return [_point_feature(p, c) for (p, _), c in zip(rows, coords, strict=True)]


def _point_feature(props: dict[str, Any], lonlat: list[float]) -> Feature:
    geometry = {"type": "Point", "coordinates": lonlat}
    return {"type": "Feature", "properties": props, "geometry": geometry}


def facility_features(point_m: PointFn, lonlat: LonLatFn) -> dict[str, list[Feature]]:
    """Assembly points, shelters, supply points and team bases, keyed by layer name."""
    tables: dict[str, list[tuple[dict[str, Any], Coord]]] = {
        "assembly_points": [
            ({"id": i, "name": n, "capacity_persons": c}, uv) for i, n, uv, c in ASSEMBLY_POINTS
        ],
        "shelters": [
            ({"id": i, "name": n, "capacity_persons": c, "facilities": f}, uv)
            for i, n, uv, c, f in SHELTERS
        ],
        "supply_points": [
            (
                {
                    "id": i,
                    "name": n,
                    "stock_water_l": w,
                    "stock_food_rations": fr,
                    "stock_blankets": b,
                    "stock_medical_kits": m,
                },
                uv,
            )
            for i, n, uv, w, fr, b, m in SUPPLY_POINTS
        ],
        "team_bases": [
            ({"id": i, "name": n, "members": m, "vehicles": v, "specialty": s}, uv)
            for i, n, uv, m, v, s in TEAMS
        ],
    }
    out = {}
    for layer, rows in tables.items():
        coords = lonlat([point_m(*uv) for _, uv in rows])
        out[layer] = [_point_feature(p, c) for (p, _), c in zip(rows, coords, strict=True)]
    return out


# --- population grids --------------------------------------------------------------------------

#: kind: (night persons/km², day persons/km², car_share range)
_DENSITY: dict[str, tuple[float, float, Coord]] = {
    "riverside": (9_000.0, 5_000.0, (0.30, 0.45)),
    "park": (50.0, 2_500.0, (0.35, 0.50)),
    "industrial": (400.0, 4_500.0, (0.45, 0.60)),
    "residential": (16_000.0, 8_500.0, (0.20, 0.40)),
    "town": (14_000.0, 8_000.0, (0.20, 0.40)),
    "hillside": (12_000.0, 7_000.0, (0.25, 0.45)),
}

#: kind: households per grid worker (ILLUSTRATIVE staffing: old riverside streets thinly staffed,
#: the town and the new estates better; in the industrial strip and the park the enterprises'
#: safety officers count as grid workers). A grid is staffed for the larger of its day and night
#: population, in households of 2.62 persons.
_HOUSEHOLDS_PER_WORKER: dict[str, float] = {
    "riverside": 400.0,
    "park": 150.0,
    "industrial": 150.0,
    "residential": 250.0,
    "town": 200.0,
    "hillside": 300.0,
}

#: Mean family-household size, China 7th census (2020), as in evacsim.demand.
_PERSONS_PER_HOUSEHOLD = 2.62

_Cell = tuple[float, float, float, float, str]


def _cells() -> list[_Cell]:
    """Design-frame rectangles (u0, u1, v0, v1, kind) over the populated land."""
    cells: list[_Cell] = []

    def strip(us: Sequence[float], vs: Sequence[float], kind: str) -> None:
        for v0, v1 in itertools.pairwise(vs):
            cells.extend((u0, u1, v0, v1, kind) for u0, u1 in itertools.pairwise(us))

    strip((-3600.0, -2700.0, -2100.0, -1600.0, -1100.0), (0.0, 420.0), "riverside")
    strip((800.0, 1300.0, 1800.0, 2400.0, 3600.0), (0.0, 420.0), "park")
    strip([-3600.0 + 450.0 * k for k in range(17)], (560.0, 900.0), "industrial")
    strip([-3600.0 + 400.0 * k for k in range(19)], (900.0, 1320.0, 1740.0), "residential")
    strip((-2400.0, -1900.0, -1400.0, -850.0, -280.0), (1860.0, 2180.0, 2500.0), "town")
    strip((280.0, 850.0, 1400.0, 2000.0, 2600.0), (1860.0, 2360.0), "hillside")
    return cells


def _community(u: float, kind: str) -> tuple[str, str]:
    """Illustrative town and community of a cell (towns of Dadukou: facts §4)."""
    tiaodeng, jiansheng = "跳磴镇 Tiaodeng town", "建胜镇 Jiansheng town"
    if kind == "riverside":
        return tiaodeng, "丰收坝社区 Fengshouba community"
    if kind == "park":
        return jiansheng, "钓鱼嘴社区 Diaoyuzui community"
    if kind == "industrial":
        if u < -300.0:
            return tiaodeng, "伏牛溪社区 Funiuxi community"
        return "建桥工业园区 Jianqiao Industrial Park", "建桥园区 Jianqiao park"
    if kind == "town":
        return tiaodeng, "跳磴场社区 Tiaodengchang community"
    if kind == "hillside":
        return jiansheng, "陈家隔社区 Chenjiage community"
    if u < -1200.0:
        return tiaodeng, "伏牛溪社区 Funiuxi community"
    if u < 400.0:
        return tiaodeng, "周家坪社区 Zhoujiaping community"
    return jiansheng, "建桥社区 Jianqiao community"


def _assign_ap(centre: Point, depot: Point, aps: Sequence[tuple[str, Point]]) -> str:
    """The plan's assembly point of a grid: the nearest one that leads away from the depot.

    "Away" means farther from the depot than the grid itself, or than 1.5 km (the yellow ring of
    the district's fixed radii) for grids beyond it.
    """
    reach = min(centre.distance(depot), 1_500.0)
    away = [(p.distance(centre), i) for i, p in aps if p.distance(depot) > reach]
    return min(away or [(p.distance(centre), i) for i, p in aps])[1]


def grid_features(
    ring_m: LineFn,
    point_m: PointFn,
    frame_m: Polygon,
    lonlat: LonLatFn,
    rng: np.random.Generator,
) -> list[Feature]:
    """Population grids: polygons, responsibility chain, day/night population, plan's AP.

    Populations are densities (persons/km², by land use) times the clipped area, times a
    factor drawn uniformly from [0.8, 1.2]; ``needs_assistance`` is 2–4 % of the night population;
    ``grid_workers`` is one per :data:`_HOUSEHOLDS_PER_WORKER` households of the larger of the
    day and night populations (rounded up).
    """
    depot = Point(point_m(*ENTERPRISES[0][2]))
    aps = [(i, Point(point_m(*uv))) for i, _, uv, _ in ASSEMBLY_POINTS]
    feats: list[Feature] = []
    groups: dict[str, int] = {}
    for u0, u1, v0, v1, kind in _cells():
        shape = Polygon(ring_m([(u0, v0), (u1, v0), (u1, v1), (u0, v1), (u0, v0)]))
        clipped = shape.intersection(frame_m)
        if not isinstance(clipped, Polygon) or clipped.area < 20_000.0:
            continue
        night_d, day_d, car = _DENSITY[kind]
        area_km2 = clipped.area / 1e6
        night = int(round(night_d * area_km2 * rng.uniform(0.8, 1.2), -1))
        day = int(round(day_d * area_km2 * rng.uniform(0.8, 1.2), -1))
        town, community = _community((u0 + u1) / 2, kind)
        groups[community] = groups.get(community, 0) + 1
        props = {
            "id": f"G-{len(feats) + 1:03d}",
            "town": town,
            "community": community,
            "group": f"第{groups[community]}组 Group {groups[community]}",
            "population_day": day,
            "population_night": night,
            "needs_assistance": round(night * float(rng.uniform(0.02, 0.04))),
            "car_share": round(float(rng.uniform(*car)), 2),
            "assembly_point": _assign_ap(clipped.centroid, depot, aps),
            "grid_workers": max(
                1,
                math.ceil(max(day, night) / _PERSONS_PER_HOUSEHOLD / _HOUSEHOLDS_PER_WORKER[kind]),
            ),
        }
        ring = lonlat([(x, y) for x, y in orient(clipped, 1.0).exterior.coords])
        geometry = {"type": "Polygon", "coordinates": [ring]}
        feats.append({"type": "Feature", "properties": props, "geometry": geometry})
    return feats
