"""Alarms as input: a monitoring system's JSON record turned into a scenario.

An alarm record (one JSON object; every key is documented in the README, "Alarms")::

    {"alarm_id": "FNX-20261127-0007", "source": "T-07", "time": "2026-11-27T15:02:00+08:00",
     "detection": {"kind": "leak", "rate_kg_s": 2.5}, "substance": "gasoline",
     "weather": {"wind_from_deg": 45, "wind_speed_m_s": 2.5, "cloud_cover_tenths": 6,
                 "cloud_base_m": 1500}}

becomes a scenario (:func:`alarm_scenario_data`):

* **where and when**: the source's position in the area; the alarm's ``time`` is the scenario's
  ``start_time`` (t = 0); the population period is ``night`` from 20:00 to 07:00 local time (the
  alarm's own UTC offset; an assumption: residents at home), else ``day``;
* **what**: the detection and the substance's class pick the hazard models (:data:`ALARM_MODELS`,
  the table in the README); several models are united level by level (``hazard.worst_case``);
* **weather**: the reading's wind; its ``stability`` if given, else the Pasquill–Turner class
  from the cloud cover, the sun's altitude at the source at that time, and the wind
  (:mod:`evacsim.hazard.stability`); no reading: the scenario defaults, with a warning;
* **warning**: through the responsibility chain (``warning.mode = "chain"``): an incident
  from an alarm answers "who warns whom, when".

Errors are one line naming the file and the field (:class:`~evacsim.errors.ScenarioError`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from evacsim.errors import EvacsimError, ScenarioError

if TYPE_CHECKING:
    from evacsim.area.layers import Area

__all__ = [
    "ALARM_MODELS",
    "DETECTIONS",
    "SUBSTANCE_CLASSES",
    "Alarm",
    "AlarmModels",
    "AlarmWeather",
    "Detection",
    "alarm_scenario_data",
    "models_for",
    "period_of",
    "read_alarm",
    "substance_class",
]

#: What a monitoring system can report.
DETECTIONS = ("fire", "leak", "release", "explosion_risk")

#: How a substance behaves, for the table: stored liquid that burns, liquefied gas under pressure
#: that burns, a toxic gas (AEGL values known).
SUBSTANCE_CLASSES = ("flammable_liquid", "liquefied_flammable_gas", "toxic_gas")


class AlarmModels(BaseModel):
    """One row of :data:`ALARM_MODELS`: the main model, the worst-case models united with it,
    and why."""

    model_config = ConfigDict(frozen=True)

    model: Literal["pool_fire", "bleve", "vce", "toxic_plume"]
    worst_case: tuple[Literal["pool_fire", "bleve", "vce"], ...] = ()
    why: str


_POOL = AlarmModels(model="pool_fire", why="the liquid burns in the dike (NUREG-1805 pool fire)")

#: detection × substance class → hazard models (documented in the README, "Alarms").
ALARM_MODELS: dict[tuple[str, str], AlarmModels] = {
    ("fire", "flammable_liquid"): _POOL.model_copy(
        update={"why": "tank or dike fire; neighbouring tanks may ignite (domino)"}
    ),
    ("leak", "flammable_liquid"): _POOL.model_copy(
        update={"why": "the spill collects in the dike; ignited, it is a dike fire"}
    ),
    ("release", "flammable_liquid"): _POOL,
    ("explosion_risk", "flammable_liquid"): _POOL.model_copy(
        update={
            "worst_case": ("vce",),
            "why": "a vapour-cloud explosion of the reported mass (mass_kg), with the fire",
        }
    ),
    ("fire", "liquefied_flammable_gas"): AlarmModels(
        model="bleve",
        why="flames on a pressurised vessel: boiling-liquid expanding-vapour "
        "explosion and fireball (CCPS)",
    ),
    ("leak", "liquefied_flammable_gas"): AlarmModels(
        model="vce",
        worst_case=("bleve",),
        why="worst case: the cloud explodes (TNT equivalence, whole inventory as in EPA RMP) or a "
        "jet fire on the vessel ends in a BLEVE; united",
    ),
    ("release", "liquefied_flammable_gas"): AlarmModels(
        model="vce",
        worst_case=("bleve",),
        why="the released mass explodes as a cloud or burns as a fireball; united",
    ),
    ("explosion_risk", "liquefied_flammable_gas"): AlarmModels(
        model="bleve",
        worst_case=("vce",),
        why="worst case of the whole inventory: BLEVE fireball and vapour-cloud explosion, united",
    ),
    **{
        (kind, "toxic_gas"): AlarmModels(
            model="toxic_plume",
            why="Gaussian plume downwind with AEGL-3/2/1 levels (a leak at its rate; otherwise "
            "the released mass or the inventory over 10 min, EPA RMP)",
        )
        for kind in DETECTIONS
    },
}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Detection(_Section):
    """What was detected: ``kind``; a leak's ``rate_kg_s``; a release's ``mass_kg``; optional
    ``duration_s`` of a leak or release (s)."""

    kind: Literal["fire", "leak", "release", "explosion_risk"]
    rate_kg_s: float | None = Field(default=None, gt=0)
    mass_kg: float | None = Field(default=None, gt=0)
    duration_s: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _needs(self) -> Detection:
        if self.kind == "leak" and self.rate_kg_s is None:
            raise ValueError("a leak needs rate_kg_s")
        if self.kind == "release" and self.mass_kg is None:
            raise ValueError("a release needs mass_kg")
        return self


class AlarmWeather(_Section):
    """The weather reading: wind (from, degrees; speed at 10 m) and either the measured
    ``stability`` class or the total ``cloud_cover_tenths`` (0–10; optional ``cloud_base_m``)."""

    wind_from_deg: float = Field(ge=0, lt=360)
    wind_speed_m_s: float = Field(ge=0, le=50)
    stability: Literal["A", "B", "C", "D", "E", "F"] | None = None
    cloud_cover_tenths: float | None = Field(default=None, ge=0, le=10)
    cloud_base_m: float | None = Field(default=None, gt=0)
    temperature_c: float | None = Field(default=None, ge=-60, le=60)
    humidity: float | None = Field(default=None, ge=0, le=1)

    @model_validator(mode="after")
    def _class(self) -> AlarmWeather:
        if self.stability is None and self.cloud_cover_tenths is None:
            raise ValueError("give stability or cloud_cover_tenths (with the alarm's time)")
        return self


class Alarm(_Section):
    """An alarm record (see the module docstring); ``meta`` is free for the sender's own data."""

    alarm_id: str | None = None
    source: str = Field(min_length=1)
    time: AwareDatetime
    detection: Detection
    substance: str | None = None
    weather: AlarmWeather | None = None
    evacuate: Literal["red", "orange", "yellow"] = "orange"
    meta: dict[str, Any] = Field(default_factory=dict)


def read_alarm(path: str | Path) -> Alarm:
    """Read and validate an alarm file.

    Raises
    ------
    ScenarioError
        Missing file, not JSON, unknown key, missing or bad field: one line naming the file.
    """
    from evacsim.scenario.load import validation_message

    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(f"{path}: alarm file not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: not a valid JSON alarm: {exc}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: an alarm is one JSON object")
    try:
        return Alarm.model_validate(data)
    except ValidationError as exc:
        hint = (" (add the UTC offset, e.g. 2026-11-27T15:02:00+08:00)"
                if exc.errors()[0]["type"] == "timezone_aware" else "")  # fmt: skip
        raise ScenarioError(validation_message(str(path), exc) + hint) from None


def substance_class(name: str) -> str:
    """The :data:`SUBSTANCE_CLASSES` entry of a substance (raises HazardError if unknown)."""
    from evacsim.hazard.substances import get_substance

    sub = get_substance(name, field_name="substance")
    if sub.toxic and sub.aegl_ppm:
        return "toxic_gas"
    return "liquefied_flammable_gas" if sub.phase == "liquefied_gas" else "flammable_liquid"


def models_for(kind: str, substance: str) -> AlarmModels:
    """The table row for a detection and a substance (raises KeyError if none)."""
    return ALARM_MODELS[(kind, substance_class(substance))]


def _source_row(area: Area, source: str, where: str) -> Any:
    sources = area.hazard_sources
    hit = sources[sources["id"].astype(str) == source]
    if hit.empty:
        raise ScenarioError(
            f"{where}: field 'source': {source!r} is not in the hazard_sources layer of "
            f"{area.source}"
        )
    return hit.iloc[0]


def _hazard(alarm: Alarm, substance: str, category: str, where: str) -> dict[str, Any]:
    det = alarm.detection
    try:
        row = models_for(det.kind, substance)
    except KeyError:
        raise ScenarioError(
            f"{where}: field 'detection.kind': no hazard model for a {det.kind} of {substance!r} "
            "(see the alarm table in the README)"
        ) from None
    hazard: dict[str, Any] = {"model": row.model, "source": alarm.source,
                              "substance": substance, "evacuate": alarm.evacuate}  # fmt: skip
    if row.worst_case:
        hazard["worst_case"] = list(row.worst_case)
    if row.model == "pool_fire" and category == "tank" and det.kind == "fire":
        hazard["domino"] = True
    if row.model == "toxic_plume":
        if det.rate_kg_s is not None:
            hazard["release_rate_kg_s"] = det.rate_kg_s
        if det.duration_s is not None:
            hazard["release_duration_s"] = det.duration_s
    if det.mass_kg is not None and (det.kind == "release" or "vce" in row.worst_case):
        hazard["mass_kg"] = det.mass_kg
    if det.kind == "explosion_risk" and row.model == "pool_fire" and det.mass_kg is None:
        hazard.pop("worst_case")  # no vapour mass reported: the fire alone
    return hazard


def _weather(alarm: Alarm, lonlat: tuple[float, float]) -> tuple[dict[str, Any], list[str]]:
    from evacsim.hazard.stability import pasquill_turner

    w = alarm.weather
    if w is None:
        return {}, ["no weather reading in the alarm: the scenario defaults are used"]
    out: dict[str, Any] = {"wind_from_deg": w.wind_from_deg, "wind_speed_m_s": w.wind_speed_m_s}
    out |= {k: v for k, v in (("temperature_c", w.temperature_c), ("humidity", w.humidity))
            if v is not None}  # fmt: skip
    if w.stability is not None:
        out["stability"] = w.stability
        return out, []
    assert w.cloud_cover_tenths is not None
    out["stability"] = pasquill_turner(
        wind_speed_m_s=w.wind_speed_m_s, cloud_tenths=w.cloud_cover_tenths, lat_deg=lonlat[1],
        lon_deg=lonlat[0], when=alarm.time, ceiling_m=w.cloud_base_m,
    )  # fmt: skip
    note = (f"stability {out['stability']} from Pasquill–Turner: wind {w.wind_speed_m_s} m/s, "
            f"cloud {w.cloud_cover_tenths:g}/10 at {alarm.time.isoformat()}")  # fmt: skip
    return out, [note]


def period_of(alarm: Alarm) -> str:
    """``night`` from 20:00 to 07:00 in the alarm's local time, else ``day`` (an assumption)."""
    return "night" if alarm.time.hour >= 20 or alarm.time.hour < 7 else "day"


def alarm_scenario_data(
    alarm: Alarm, *, area: Area, where: str = "alarm", seed: int = 0
) -> tuple[dict[str, Any], list[str]]:
    """The scenario of an alarm as a dict (what a TOML file would hold), and notes on how it was
    made (derived stability, missing weather).

    Parameters
    ----------
    alarm
        A validated alarm (:func:`read_alarm`).
    area
        The loaded area holding the source.
    where
        Names the alarm in error messages (its file).
    seed
        The run's seed.

    Raises
    ------
    ScenarioError
        Unknown source or substance, or no model for the detection: one line.
    """
    import pandas as pd
    from pyproj import Transformer

    row = _source_row(area, alarm.source, where)
    listed = row.get("substance")
    substance = alarm.substance or (None if pd.isna(listed) else str(listed))
    if substance is None:
        raise ScenarioError(f"{where}: field 'substance': not given and source {alarm.source!r} "
                            "has none in the hazard_sources layer")  # fmt: skip
    try:
        hazard = _hazard(alarm, substance, str(row["category"]), where)
    except EvacsimError as exc:
        raise ScenarioError(f"{where}: {exc}") from None
    lon, lat = Transformer.from_crs(area.crs, 4326, always_xy=True).transform(
        row.geometry.x, row.geometry.y
    )
    weather, notes = _weather(alarm, (lon, lat))
    label = alarm.alarm_id or Path(where).stem
    what = alarm.detection.kind.replace("_", " ")
    data = {
        "name": f"Alarm {label} — {what} of {substance} at {alarm.source}",
        "description": "; ".join([f"Made by evacsim from alarm {label} ({where})", *notes]),
        "seed": seed,
        "area": str(Path(area.source).resolve()),
        "start": alarm.time,
        "hazard": hazard,
        "weather": weather,
        "population": {"period": period_of(alarm)},
        "warning": {"mode": "chain"},
    }
    return data, notes
