"""What went wrong in a run, as facts a headline can show: harm, stranded people and where,
facilities over capacity or refusing while others have room, the worst bottleneck.

:func:`headline` reads the run's ``summary`` (whatever it holds: every final state in
``persons``, the toxic FED counts in ``exposure`` when the hazard is toxic) and its results
tables; it computes nothing the summary already has. The faces turn a :class:`Headline` into
words (:mod:`evacsim.display.headline`); each flag names the report section that explains it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from evacsim.results.places import node_places
from evacsim.results.tables import stranded_table

__all__ = ["ConcentrationFlag", "FacilityFlag", "Headline", "StrandedPlace", "headline"]

#: One assembly point taking at least this share of all arrivals, while others stay empty, is
#: flagged as a concentration of the plan's load.
CONCENTRATION_SHARE = 0.75


@dataclass(frozen=True)
class StrandedPlace:
    """Persons stranded at one network node, and where that is."""

    persons: int
    reason: str
    node: int
    grid_id: str
    community: str
    group: str
    road: str
    from_grids: tuple[str, ...]
    lon: float
    lat: float


@dataclass(frozen=True)
class FacilityFlag:
    """A facility whose load went wrong.

    ``flag`` is ``over_capacity`` (peak above capacity), ``refused`` (turned people away while
    ``room_elsewhere`` places of the same kind stayed free) or ``left`` (persons still there at
    the end: an assembly point nobody took them from).
    """

    flag: str
    id: str
    name: str
    kind: str
    arrivals: int
    peak: int
    capacity: int
    refused: int
    final: int
    room_elsewhere: int = 0


@dataclass(frozen=True)
class ConcentrationFlag:
    """One facility receives most arrivals of its kind while others receive nobody."""

    id: str
    name: str
    kind: str
    arrivals: int
    total: int
    empty: tuple[str, ...]


@dataclass(frozen=True)
class Headline:
    """The facts of a run's headline (see the module docstring).

    ``persons`` is ``summary["persons"]`` as is (every final state the model has, in its order);
    ``fed_over_0_3`` / ``fed_over_1`` are ``None`` when the hazard has no dose; ``harm_kind``
    says which dose FED measures (``toxic``, ``thermal``, ``blast``; ``None`` without one).
    ``warning_facilities`` maps each warning (by index in ``summary["warnings"]``) to the
    facility ids it names, so a page can set the simulated peak beside a plan's estimate.
    """

    persons_total: int
    persons: dict[str, int]
    ete_s: dict[str, dict[str, float | None]]
    ended_by: str
    end_s: float
    fed_over_0_3: int | None
    fed_over_1: int | None
    harm_kind: str | None
    stranded: tuple[StrandedPlace, ...]
    facilities: tuple[FacilityFlag, ...]
    concentration: tuple[ConcentrationFlag, ...]
    unused: dict[str, tuple[str, ...]]
    bottleneck: dict[str, Any] | None
    warnings: tuple[str, ...]
    warning_facilities: dict[int, tuple[str, ...]] = field(default_factory=dict)

    @property
    def stranded_persons(self) -> int:
        """All persons stranded (the sum over places)."""
        return sum(p.persons for p in self.stranded)


def _stranded(run: Any) -> tuple[StrandedPlace, ...]:
    table = stranded_table(run.results)
    if table.empty:
        return ()
    places = node_places(run.prepared, table["node"].to_numpy(np.int64))
    out = []
    for rec, place in zip(table.to_dict("records"), places.to_dict("records"), strict=True):
        out.append(
            StrandedPlace(
                persons=int(rec["persons"]), reason=str(rec["reason"]), node=int(rec["node"]),
                grid_id=str(place["grid_id"]), community=str(place["community"]),
                group=str(place["group"]), road=str(place["road"]),
                from_grids=tuple(str(rec["grids"]).split(";")) if rec["grids"] else (),
                lon=float(place["lon"]), lat=float(place["lat"]),
            )
        )  # fmt: skip
    out.sort(key=lambda p: (-p.persons, p.node, p.reason))
    return tuple(out)


def _facility_flags(facilities: Mapping[str, Mapping[str, Any]]) -> tuple[FacilityFlag, ...]:
    flags: list[FacilityFlag] = []
    for fid, f in facilities.items():
        base = FacilityFlag(
            "", fid, str(f.get("name", "")), str(f.get("kind", "")), int(f.get("arrivals", 0)),
            int(f.get("peak", 0)), int(f.get("capacity", 0)), int(f.get("refused", 0)),
            int(f.get("final", 0)),
        )  # fmt: skip
        if base.peak > base.capacity > 0:
            flags.append(replace(base, flag="over_capacity"))
        if base.refused > 0:
            room = sum(
                max(int(o.get("capacity", 0)) - int(o.get("final", 0)), 0)
                for oid, o in facilities.items()
                if oid != fid and o.get("kind") == f.get("kind")
            )
            flags.append(replace(base, flag="refused", room_elsewhere=room))
        if base.kind == "assembly" and base.final > 0:
            flags.append(replace(base, flag="left"))
    return tuple(flags)


def _concentration(facilities: Mapping[str, Mapping[str, Any]]) -> tuple[ConcentrationFlag, ...]:
    out = []
    for kind in ("assembly", "shelter"):
        mine = {k: f for k, f in facilities.items() if f.get("kind") == kind}
        total = sum(int(f.get("arrivals", 0)) for f in mine.values())
        empty = tuple(sorted(k for k, f in mine.items() if int(f.get("arrivals", 0)) == 0))
        if total <= 0 or not empty:
            continue
        top_id = max(sorted(mine), key=lambda k: int(mine[k].get("arrivals", 0)))
        top = int(mine[top_id].get("arrivals", 0))
        if top >= CONCENTRATION_SHARE * total and len(mine) > 1:
            name = str(mine[top_id].get("name", ""))
            out.append(ConcentrationFlag(top_id, name, kind, top, total, empty))
    return tuple(out)


def _warning_facilities(warnings: list[str], ids: list[str]) -> dict[int, tuple[str, ...]]:
    out = {}
    for k, text in enumerate(warnings):
        named = tuple(i for i in ids if re.search(rf"'{re.escape(i)}'", text))
        if named:
            out[k] = named
    return out


#: The summary's largest dose of each kind of harm (``summary["exposure"]``).
_HARM_KEYS = (("toxic", "max_dose_ppm_min"), ("thermal", "max_thermal_dose_tdu"),
              ("blast", "max_overpressure_psi"))  # fmt: skip


def _harm_kind(exposure: dict[str, Any]) -> str | None:
    return next((kind for kind, key in _HARM_KEYS if key in exposure), None)


def headline(run: Any) -> Headline:
    """The :class:`Headline` of a finished run (``summary``, ``results``, ``prepared``)."""
    summary: dict[str, Any] = run.summary
    facilities: dict[str, dict[str, Any]] = summary.get("facilities", {})
    exposure = summary.get("exposure", {})
    fed3, fed1 = exposure.get("persons_fed_over_0_3"), exposure.get("persons_fed_over_1")
    unused = {
        kind: tuple(sorted(k for k, f in facilities.items()
                           if f.get("kind") == kind and int(f.get("arrivals", 0)) == 0))
        for kind in ("assembly", "shelter")
    }  # fmt: skip
    bottlenecks = summary.get("bottlenecks") or []
    warnings = [str(w) for w in summary.get("warnings", [])]
    return Headline(
        persons_total=int(summary.get("persons_total", 0)),
        persons={str(k): int(v) for k, v in summary.get("persons", {}).items()},
        ete_s=summary.get("ete_s", {}),
        ended_by=str(summary.get("ended_by", "")),
        end_s=float(summary.get("end_s", 0.0)),
        fed_over_0_3=None if fed3 is None else int(fed3),
        fed_over_1=None if fed1 is None else int(fed1),
        harm_kind=_harm_kind(exposure),
        stranded=_stranded(run),
        facilities=_facility_flags(facilities),
        concentration=_concentration(facilities),
        unused=unused,
        bottleneck=dict(bottlenecks[0]) if bottlenecks else None,
        warnings=tuple(warnings),
        warning_facilities=_warning_facilities(warnings, sorted(facilities)),
    )
