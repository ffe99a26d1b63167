"""The schema of an area's layers: the one place it is written down.

Every layer of an area (``maps/<area>/<layer>.geojson`` in EPSG:4326, or one GeoPackage with these
layer names) is described here: its geometry types, its required and optional columns with their
kind (``str`` / ``int`` / ``float`` / ``bool``), bounds and units. :mod:`evacsim.area` checks a
layer against this table on load, and :func:`schema_markdown` renders it for the README.

Counts (persons, capacities, lanes, vehicles, stocks) and sizes have *plausible* upper bounds as
well as the physical lower ones: a value past them is a typing slip (``1e12`` persons), and the
run would otherwise end in a ``MemoryError`` instead of a line naming the field. They are wide on
purpose (a grid of 200 000 persons, an assembly point for a million).

Feature ids become file names (``ap_<id>.html``, ``gpx/<id>.gpx``, ``drill/<id>.html``) through
:func:`file_name_of`; the loader refuses ids that would share one.

Road classes are listed here too (:data:`ROAD_CLASSES`, :data:`HIGHWAY_ALIASES`): the loader checks
``highway`` against them, and :mod:`evacsim.network` holds their per-class defaults.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from typing import Literal

from evacsim.area.road_classes import HIGHWAY_ALIASES, ROAD_CLASSES

__all__ = [
    "AT_LEAST_ONE",
    "CATEGORY_REQUIRED",
    "CONTEXT_KINDS",
    "FACILITY_LAYERS",
    "LAYER_SCHEMAS",
    "MAX_AREA_PERSONS",
    "MAX_GRID_PERSONS",
    "NON_NEGATIVE",
    "POSITIVE",
    "UNIT_INTERVAL",
    "Bound",
    "Column",
    "LayerSchema",
    "file_name_of",
    "schema_markdown",
]


Kind = Literal["str", "int", "float", "bool"]


@dataclass(frozen=True)
class Bound:
    """A closed or half-open numeric interval a column's values must lie in.

    Parameters
    ----------
    low, high
        Limits; ``None`` means unbounded on that side.
    low_inclusive
        Whether ``low`` itself is allowed (``>= low``) or not (``> low``).
    """

    low: float | None = None
    high: float | None = None
    low_inclusive: bool = True

    def contains(self, value: float) -> bool:
        """Return whether ``value`` lies inside the bound (NaN never does)."""
        if math.isnan(value):
            return False
        if self.low is not None and (
            value < self.low or (value == self.low and not self.low_inclusive)
        ):
            return False
        return self.high is None or value <= self.high

    @property
    def text(self) -> str:
        """The bound as a reader writes it: ``>= 0``, ``> 0``, ``[0, 1]``, ``(0, 200]``."""
        if self.low is not None and self.high is not None:
            opening = "[" if self.low_inclusive else "("
            return f"{opening}{_num(self.low)}, {_num(self.high)}]"
        if self.low is not None:
            return f"{'>=' if self.low_inclusive else '>'} {_num(self.low)}"
        if self.high is not None:
            return f"<= {_num(self.high)}"
        return ""


def _num(value: float) -> str:
    return f"{int(value):_}".replace("_", " ") if float(value).is_integer() else str(value)


NON_NEGATIVE = Bound(0.0)

POSITIVE = Bound(0.0, low_inclusive=False)

AT_LEAST_ONE = Bound(1.0)

UNIT_INTERVAL = Bound(0.0, 1.0)

#: Plausible most persons in one grid (a 网格 holds a few hundred households).
MAX_GRID_PERSONS = 200_000

#: Plausible most persons in a whole area, per period (what one run can hold in memory).
MAX_AREA_PERSONS = 5_000_000

_PERSONS = Bound(0.0, MAX_GRID_PERSONS)

_CAPACITY = Bound(0.0, 1_000_000.0, low_inclusive=False)

_STOCK = Bound(0.0, 1e9)


@dataclass(frozen=True)
class Column:
    """One attribute column of a layer.

    Parameters
    ----------
    name
        Column name; units are in the name (``speed_kph``, ``capacity_persons``).
    kind
        ``"str"``, ``"int"``, ``"float"`` or ``"bool"``.
    description
        One line, with the unit.
    bound
        Allowed numeric range, if any.
    nullable
        Whether a feature may leave it empty (optional columns always may).
    choices
        Allowed values for a ``str`` column, if restricted.
    """

    name: str
    kind: Kind
    description: str
    bound: Bound | None = None
    nullable: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class LayerSchema:
    """One layer: geometry types, columns, and whether the area must have it."""

    name: str
    description: str
    geometry_types: tuple[str, ...]
    required: bool
    columns: tuple[Column, ...]
    optional_columns: tuple[Column, ...] = ()

    @property
    def all_columns(self) -> tuple[Column, ...]:
        """Required then optional columns."""
        return self.columns + self.optional_columns


_ID = Column("id", "str", "stable feature id, unique within the layer (e.g. `R-0001`)")

_NAME = Column("name", "str", "display name", nullable=True)

_HIGHWAYS = ROAD_CLASSES + tuple(HIGHWAY_ALIASES)

_CATEGORIES = ("enterprise", "major_hazard_source", "tank", "store")

#: Columns a hazard source of a given category must fill (beyond the required columns).
CATEGORY_REQUIRED: dict[str, tuple[str, ...]] = {
    "tank": (
        "enterprise",
        "hazard_source",
        "substance",
        "capacity_m3",
        "diameter_m",
        "dike_area_m2",
        "kind",
    ),
    "store": ("substance", "inventory_kg"),
}

_ROADS = LayerSchema(
    "roads",
    "road segments; they connect only at shared endpoints",
    ("LineString",),
    True,
    (
        _ID,
        _NAME,
        Column("highway", "str", "road class (OSM `highway` value)", choices=_HIGHWAYS),
        Column("lanes", "int", "lanes per direction of travel", Bound(1.0, 16.0)),
        Column("speed_kph", "float", "free-flow speed, km/h", Bound(0.0, 200.0, False)),
        Column("oneway", "bool", "drivable only from the first vertex to the last"),
    ),
    (
        Column(
            "capacity_vph",
            "float",
            "flow capacity per direction, veh/h (overrides class)",
            Bound(0.0, 20_000.0, False),
        ),
        Column("walk", "bool", "pedestrians may use it (default by class)"),
        Column("drive", "bool", "vehicles may use it (default by class)"),
        Column("width_m", "float", "walkway width, m (default by class)", Bound(0.0, 200.0, False)),
        Column("bridge", "bool", "segment is a bridge or viaduct"),
        Column("level_crossing", "bool", "segment crosses a railway at grade"),
    ),
)

_GRIDS = LayerSchema(
    "grids",
    "the smallest unit of the responsibility chain (town, community, group, grid)",
    ("Polygon", "MultiPolygon"),
    True,
    (
        _ID,
        Column("town", "str", "town (镇 / 街道)"),
        Column("community", "str", "village or community (村 / 社区)"),
        Column("group", "str", "group (小组)"),
        Column("population_day", "int", "residents present by day, persons", _PERSONS),
        Column("population_night", "int", "residents present by night, persons", _PERSONS),
        Column(
            "needs_assistance",
            "int",
            "persons who need help to evacuate (at most population_day and population_night)",
            _PERSONS,
        ),
        Column("car_share", "float", "share of households leaving by car, 0..1", UNIT_INTERVAL),
        Column("assembly_point", "str", "the plan's assembly point (an id in assembly_points)"),
    ),
    (
        _NAME,
        Column(
            "grid_workers",
            "int",
            "grid workers who warn its households (default: one per `warning."
            "households_per_worker` households)",
            AT_LEAST_ONE,
        ),
    ),
)

_ASSEMBLY = LayerSchema(
    "assembly_points",
    "assembly points (集中疏散点) where evacuees are counted",
    ("Point",),
    True,
    (_ID, _NAME, Column("capacity_persons", "int", "persons it can hold", _CAPACITY)),
)

_SHELTERS = LayerSchema(
    "shelters",
    "emergency shelters (紧急安置点)",
    ("Point",),
    True,
    (_ID, _NAME, Column("capacity_persons", "int", "persons it can house", _CAPACITY)),
    (Column("facilities", "str", "`;`-separated list of facilities"),),
)

_HAZARDS = LayerSchema(
    "hazard_sources",
    "enterprises, major hazard sources, tanks and stores",
    ("Point",),
    False,
    (
        _ID,
        _NAME,
        Column(
            "category",
            "str",
            "enterprise / major_hazard_source / tank / store",
            choices=_CATEGORIES,
        ),
    ),
    (
        Column("enterprise", "str", "owning enterprise (an `E-` id)"),
        Column("hazard_source", "str", "major hazard source it belongs to (an `HS-` id)"),
        Column("substance", "str", "stored substance (e.g. gasoline, diesel, chlorine)"),
        Column("capacity_m3", "float", "tank capacity, m³", Bound(0.0, 1e6, False)),
        Column("diameter_m", "float", "tank diameter, m", Bound(0.0, 200.0, False)),
        Column(
            "dike_area_m2", "float", "bund (dike) area around the tank, m²", Bound(0.0, 1e6, False)
        ),
        Column("kind", "str", "tank kind (e.g. floating_roof, fixed_roof, pressurized)"),
        Column("inventory_kg", "float", "inventory of a store, kg", Bound(0.0, 1e9, False)),
    ),
)

_SUPPLY = LayerSchema(
    "supply_points",
    "emergency supply points (应急物资调取点)",
    ("Point",),
    False,
    (_ID, _NAME),
    tuple(
        Column(f"stock_{item}", "int", f"stock of {text}", _STOCK)
        for item, text in (
            ("water_l", "drinking water, litres"),
            ("food_rations", "food, rations"),
            ("blankets", "blankets, pieces"),
            ("medical_kits", "medical kits, pieces"),
        )
    ),
)

_TEAMS = LayerSchema(
    "team_bases",
    "bases of the emergency teams",
    ("Point",),
    False,
    (
        _ID,
        _NAME,
        Column("members", "int", "team members, persons", Bound(1.0, 10_000.0)),
        Column("vehicles", "int", "vehicles the team has", Bound(0.0, 1_000.0)),
    ),
    (Column("specialty", "str", "what the team does (e.g. fire, medical, traffic)"),),
)

#: Kinds of context feature: drawn on maps only, never routed.
CONTEXT_KINDS: tuple[str, ...] = ("water", "railway", "boundary", "other")

_CONTEXT = LayerSchema(
    "context",
    "rivers, railways and boundaries drawn on maps (never routed)",
    ("LineString", "MultiLineString", "Polygon", "MultiPolygon"),
    False,
    (
        _ID,
        _NAME,
        Column("kind", "str", "what it is: styles the map (never routed)", choices=CONTEXT_KINDS),
    ),
)

#: Every layer of an area, keyed by layer name, in load order.
LAYER_SCHEMAS: dict[str, LayerSchema] = {
    s.name: s for s in (_ROADS, _GRIDS, _ASSEMBLY, _SHELTERS, _HAZARDS, _SUPPLY, _TEAMS, _CONTEXT)
}

#: Layers of places a run reports by id: their ids are unique across all of them.
FACILITY_LAYERS: tuple[str, ...] = ("assembly_points", "shelters", "supply_points", "team_bases")


def file_name_of(feature_id: str) -> str:
    """The file-name-safe form of a feature id, used by every file named after a feature.

    Letters and digits of any script, ``-``, ``_`` and ``.`` are kept (Unicode NFC); anything
    else, and a leading ``.`` (a hidden file), becomes ``_``. Two ids whose forms are equal
    ignoring case (case-insensitive file systems) would share a file: the loader refuses them.
    """
    text = unicodedata.normalize("NFC", feature_id)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in text)
    return ("_" + safe[1:] if safe.startswith(".") else safe) or "_"


def _column_row(layer: LayerSchema, col: Column, *, optional: bool) -> str:
    rules: list[str] = [col.kind]
    if col.bound is not None:
        rules.append(col.bound.text)
    if col.choices and len(col.choices) <= 6:
        rules.append(" / ".join(col.choices))
    status = "optional" if optional else ("required, may be empty" if col.nullable else "required")
    return f"| {layer.name} | `{col.name}` | {', '.join(rules)} | {status} | {col.description} |"


def schema_markdown() -> str:
    """Render :data:`LAYER_SCHEMAS` as a Markdown table (one row per column).

    Returns
    -------
    str
        Markdown text: a layer table (geometry, required or not) and a column table.
    """
    lines = [
        "| layer | geometry | required | what |",
        "|---|---|---|---|",
    ]
    for layer in LAYER_SCHEMAS.values():
        geoms = " / ".join(layer.geometry_types)
        required = "yes" if layer.required else "no"
        lines.append(f"| {layer.name} | {geoms} | {required} | {layer.description} |")
    lines += ["", "| layer | column | type | status | meaning |", "|---|---|---|---|---|"]
    for layer in LAYER_SCHEMAS.values():
        lines += [_column_row(layer, c, optional=False) for c in layer.columns]
        lines += [_column_row(layer, c, optional=True) for c in layer.optional_columns]
    needs = "; ".join(
        f"a `{cat}` needs {', '.join(cols)}" for cat, cols in CATEGORY_REQUIRED.items()
    )
    lines += ["", f"hazard_sources: {needs}."]
    lines += [
        "",
        f"Ids are unique within a layer, and across {', '.join(FACILITY_LAYERS)}; ids that "
        "give the same file name (`TM/7` and `TM_7`: anything but letters, digits, `-`, `_` and "
        "`.` becomes `_`, case ignored) are refused. `needs_assistance` is at most "
        f"`population_day` and `population_night`; the grids together hold at most "
        f"{_num(MAX_AREA_PERSONS)} persons in each period.",
    ]
    return "\n".join(lines) + "\n"
