"""The ``[hazard]`` and ``[weather]`` tables of a scenario (pydantic) and their cross-field checks.

The models, their defaults and sources are described in :mod:`evacsim.hazard.build`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from evacsim.errors import HazardError
from evacsim.hazard.substances import get_substance

__all__ = ["LEVELS", "HazardSpec", "LevelValues", "RadiiSpec", "WeatherSpec", "check_spec"]


Level = Literal["red", "orange", "yellow"]

#: Threat levels, worst (innermost) first.
LEVELS: tuple[Level, Level, Level] = ("red", "orange", "yellow")

ModelName = Literal["radius", "pool_fire", "bleve", "vce", "toxic_plume"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LevelValues(_Section):
    """One positive number per level (thresholds or radii)."""

    red: float = Field(gt=0)
    orange: float = Field(gt=0)
    yellow: float = Field(gt=0)

    def as_tuple(self) -> tuple[float, float, float]:
        """(red, orange, yellow)."""
        return (self.red, self.orange, self.yellow)


class RadiiSpec(LevelValues):
    """Fixed radii (m) per level, strictly increasing red < orange < yellow."""

    @model_validator(mode="after")
    def _increasing(self) -> RadiiSpec:
        if not self.red < self.orange < self.yellow:
            raise ValueError("radii must increase strictly: red < orange < yellow")
        return self


class ThresholdSpec(LevelValues):
    """Threshold per level in the model's unit, strictly decreasing red > orange > yellow."""

    @model_validator(mode="after")
    def _decreasing(self) -> ThresholdSpec:
        if not self.red > self.orange > self.yellow:
            raise ValueError("thresholds must decrease strictly: red > orange > yellow")
        return self


class HazardSpec(_Section):
    """The scenario's ``[hazard]`` table. Units are in the field names; times in s after the
    incident. Defaults and their sources are in the module docstring. Cross-field rules (which
    model needs which field) are checked by :func:`check_spec` and raise :class:`HazardError`.
    """

    model: ModelName
    source: str | tuple[str, ...] | None = None
    at: tuple[float, float] | None = None
    radii_m: RadiiSpec | None = None
    evacuate: Level = "orange"
    closure_level: Level = "red"
    start_s: float = Field(default=0.0, ge=0)
    thresholds: ThresholdSpec | None = None
    substance: str | None = None
    dike_area_m2: float | None = Field(default=None, gt=0)
    capacity_m3: float | None = Field(default=None, gt=0)
    mass_kg: float | None = Field(default=None, gt=0)
    fill_fraction: float = Field(default=0.9, gt=0, le=1)
    radiative_fraction: float = Field(default=0.30, gt=0, le=1)
    emissive_power_kw_m2: float = Field(default=350.0, gt=0)
    transmissivity: float = Field(default=1.0, gt=0, le=1)
    yield_factor: float = Field(default=0.10, gt=0, le=1)
    ground_burst: bool = True
    release_rate_kg_s: float | None = Field(default=None, gt=0)
    release_duration_s: float = Field(default=600.0, gt=0)
    source_height_m: float = Field(default=0.0, ge=0, le=500)
    averaging_time_s: float = Field(default=600.0, gt=0, le=3600)
    aegl_duration_min: Literal[10, 30, 60] = 60
    dispersion: Literal["rural", "urban"] = "rural"
    frame_interval_s: float = Field(default=60.0, gt=0)
    domino: bool = False
    domino_threshold_kw_m2: float = Field(default=15.0, gt=0)
    domino_time_s: float = Field(default=600.0, ge=0)
    worst_case: tuple[Literal["pool_fire", "bleve", "vce"], ...] = ()

    @field_validator("at")
    @classmethod
    def _lonlat(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None and not (-180 <= value[0] <= 180 and -90 <= value[1] <= 90):
            raise ValueError("expected [lon, lat] in degrees (WGS-84)")
        return value

    @property
    def source_ids(self) -> tuple[str, ...]:
        """The source ids as a tuple (empty if the hazard is given by ``at``)."""
        if self.source is None:
            return ()
        return (self.source,) if isinstance(self.source, str) else tuple(self.source)


class WeatherSpec(_Section):
    """Weather at the incident. Defaults: wind from 45° (NE, the bundled scenario's assumption,
    not a climatology) at 3 m/s (10 m height), neutral stability D, 20 °C, relative humidity 0.7
    (recorded; the models here take transmissivity τ = 1, the conservative choice).
    """

    wind_from_deg: float = Field(default=45.0, ge=0, lt=360)
    wind_speed_m_s: float = Field(default=3.0, ge=0, le=50)
    stability: Literal["A", "B", "C", "D", "E", "F"] = "D"
    temperature_c: float = Field(default=20.0, ge=-60, le=60)
    humidity: float = Field(default=0.7, ge=0, le=1)


# --------------------------------------------------------------------------- checks


def check_spec(spec: HazardSpec, weather: WeatherSpec) -> None:
    """Cross-field checks that need no map: which model needs which field.

    Raises
    ------
    HazardError
        One line naming the field.
    """
    if spec.source is None and spec.at is None:
        raise HazardError("field 'hazard.source': give hazard.source (an id) or hazard.at")
    if spec.source is not None and spec.at is not None:
        raise HazardError("field 'hazard.at': give either hazard.source or hazard.at, not both")
    if spec.model == "radius":
        if spec.radii_m is None:
            raise HazardError("field 'hazard.radii_m' is required for model 'radius'")
        if spec.thresholds is not None:
            raise HazardError("field 'hazard.thresholds': not used by model 'radius'")
    elif spec.radii_m is not None:
        raise HazardError(
            f"field 'hazard.radii_m': only used by model 'radius', not {spec.model!r}"
        )
    if spec.worst_case and (
        spec.model in spec.worst_case
        or spec.model == "toxic_plume"
        or len(set(spec.worst_case)) != len(spec.worst_case)
    ):
        raise HazardError(
            "field 'hazard.worst_case': fire and blast models (pool_fire, bleve, vce), each once, "
            "other than hazard.model, and not with model 'toxic_plume'"
        )  # fmt: skip
    if spec.dispersion != "rural" and spec.model != "toxic_plume":
        raise HazardError(
            f"field 'hazard.dispersion': only used by model 'toxic_plume', not {spec.model!r}"
        )
    if spec.domino and spec.model != "pool_fire":
        raise HazardError("field 'hazard.domino': escalation is modelled for 'pool_fire' only")
    if spec.substance is not None:
        get_substance(spec.substance)
