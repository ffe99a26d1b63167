"""Sections of a scenario file (pydantic): population, departure, evacuation, transport, simulation.

The hazard and weather sections live with the hazard models (:mod:`evacsim.hazard.spec`); teams
and supplies in :mod:`evacsim.scenario.teams` and :mod:`evacsim.scenario.supplies`.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import MappingProxyType
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from evacsim.scenario.distributions import DelayDistribution, LogNormal, Weibull

__all__ = [
    "DEFAULT_START",
    "DepartureSpec",
    "EvacuationSpec",
    "OutputSpec",
    "PopulationSpec",
    "SimulationSpec",
    "StageDelays",
    "TransportSpec",
]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PopulationSpec(Section):
    """Who is there: the period, cars, and a shadow evacuation outside the zone."""

    period: Literal["day", "night"] = "day"
    persons_per_car: float = Field(default=2.5, ge=1.0, le=8.0)
    shadow_share: float = Field(default=0.0, ge=0.0, le=1.0)
    shadow_buffer_m: float = Field(default=500.0, ge=0.0)


class StageDelays(Section):
    """Staged evacuation: extra delay (s) before each threat level's warning goes out.

    A group's departure time is its sampled warning + preparation time plus the delay of its
    grid's worst level (``level`` in the demand: 0 red, 1 orange, 2 yellow); grids outside every
    level (shadow evacuees) take the yellow delay. Delays may not decrease outward: inner
    levels are never warned after outer ones.
    """

    red: float = Field(default=0.0, ge=0.0)
    orange: float = Field(default=0.0, ge=0.0)
    yellow: float = Field(default=0.0, ge=0.0)

    @model_validator(mode="after")
    def _ordered(self) -> StageDelays:
        if not self.red <= self.orange <= self.yellow:
            raise ValueError("stage delays must not decrease: red <= orange <= yellow")
        return self

    def offsets_s(self, levels: np.ndarray) -> np.ndarray:
        """Delay (s) per group from its level index (0 red ... 3 outside -> yellow's delay)."""
        table = np.array([self.red, self.orange, self.yellow, self.yellow], dtype=float)
        return table[np.clip(np.asarray(levels, dtype=np.int64), 0, 3)]


class DepartureSpec(Section):
    """When people leave: the warning delay through the grid chain, then preparation.

    Defaults (assumptions of practice, to be replaced by the district's drill data): warning
    lognormal with a 10 min median (town → community → group → grid workers phoning and knocking),
    preparation Weibull with a 15 min scale and shape 1.5; both times ``night_factor`` at night
    (people asleep are reached and get ready more slowly). See NUREG/CR-7002 §2.3 for the structure.
    ``stage_delay_s`` (optional) stages the warning by threat level (:class:`StageDelays`).
    """

    warning: DelayDistribution = Field(default_factory=lambda: LogNormal(median_s=600.0, sigma=0.6))
    preparation: DelayDistribution = Field(
        default_factory=lambda: Weibull(scale_s=900.0, shape=1.5)
    )
    night_factor: float = Field(default=1.5, ge=1.0, le=10.0)
    stage_delay_s: StageDelays | None = None

    def stage_offsets_s(self, levels: np.ndarray) -> np.ndarray:
        """Per group, the staged-evacuation delay (s) of its level; zeros when not staged."""
        if self.stage_delay_s is None:
            return np.zeros(len(levels), dtype=float)
        return self.stage_delay_s.offsets_s(levels)


class EvacuationSpec(Section):
    """Stage 1 (grid → assembly point): who leaves, assignment policy, modes and speeds.

    ``unit``: ``"grid"`` (default) — a grid that touches the evacuation zone leaves whole, as the
    district's chain of responsibility warns whole grids; ``"area_share"`` — a grid sends the
    share of its population that its area inside the zone stands for (people spread evenly).
    ``assignment = "optimized"`` follows the plan file ``plan_file`` (relative to the scenario
    file) that ``evacsim optimize`` writes; ``split_grids`` lets the optimizer send a grid's
    groups to more than one assembly point.
    """

    unit: Literal["grid", "area_share"] = "grid"
    assignment: Literal["plan", "nearest", "capacity", "optimized"] = "plan"
    plan_file: str | None = Field(default=None, min_length=1)
    split_grids: bool = False
    use_cars: bool = True
    walk_speed_m_s: float = Field(default=1.2, gt=0.0, le=3.0)
    assisted_speed_m_s: float = Field(default=0.6, gt=0.0, le=3.0)

    @model_validator(mode="after")
    def _speeds(self) -> EvacuationSpec:
        if self.assisted_speed_m_s > self.walk_speed_m_s:
            raise ValueError(
                f"assisted_speed_m_s ({self.assisted_speed_m_s}) must not exceed "
                f"walk_speed_m_s ({self.walk_speed_m_s})"
            )
        return self

    @model_validator(mode="after")
    def _plan_file(self) -> EvacuationSpec:
        if self.assignment == "optimized" and self.plan_file is None:
            raise ValueError(
                "assignment 'optimized' needs 'plan_file' (written by evacsim optimize)"
            )
        return self


class TransportSpec(Section):
    """Stage 2 (assembly point → shelter): buses and cars driving on."""

    buses: int = Field(default=10, ge=0, le=5000)
    bus_capacity_persons: int = Field(default=45, ge=1, le=200)
    bus_depot: str | None = None
    load_timeout_s: float = Field(default=600.0, gt=0.0)
    cars_continue: bool = True


class SimulationSpec(Section):
    """Run control: horizon, gridlock detection and closures decided by the planner;
    ``bound`` adds the lower bound on clearance time to the summary (``bound_s``)."""

    end_s: float = Field(default=6 * 3600.0, gt=0.0)
    gridlock_timeout_s: float = Field(default=1800.0, ge=60.0)  # shorter: checks never end
    closed_roads: tuple[str, ...] = ()
    bound: bool = False


_CST = timezone(timedelta(hours=8), "UTC+08:00")

#: The incident's date and time when a scenario gives no ``start``, per population period: a
#: fixed weekday afternoon and the night after it, in UTC+08:00 (China Standard Time, the first
#: area's). Fixed, so that the same scenario always gives the same clock times.
DEFAULT_START = MappingProxyType(
    {
        "day": datetime(2026, 6, 1, 15, 0, tzinfo=_CST),
        "night": datetime(2026, 6, 2, 2, 0, tzinfo=_CST),
    }
)


class OutputSpec(Section):
    """How the run's pages, sheets and headline are written.

    ``lang`` is ``"zh"`` (Simplified Chinese) or ``"en"``; unset, the area's ``area.toml``
    ``lang`` decides, else English.
    """

    lang: Literal["zh", "en"] | None = None
