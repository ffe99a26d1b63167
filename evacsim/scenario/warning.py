"""The ``[warning]`` section: how the warning reaches each household.

Two modes:

* ``"distribution"`` (the default): each group's warning delay is drawn from
  ``departure.warning`` (:mod:`evacsim.scenario.distributions`); nothing below is used.
* ``"chain"``: the district's responsibility chain (镇—村(社区)—小组—网格包联机制) runs as SimPy
  processes (:mod:`evacsim.sim.warning`): after ``decision_s`` the command centre notifies each
  town, each town its communities, each community its groups, each group its grids, each message
  costing its level's ``delay_s`` and sent one after another (unless the level is listed in
  ``broadcast``); at the grid, the grid workers warn their households one by one, in ``order``,
  ``household_s`` each (phone or door to door; always in person for people who need assistance).
  Optional ``channels`` (cell broadcast, SMS, sirens) reach a share of households at a set time.
  A household leaves when the first channel reaches it plus its preparation time.

Every default below is an ASSUMPTION of practice, to be replaced by the district's drill data;
the one published anchor is the US alerting objective (FEMA REP, from NUREG-0654: the alert and
first instruction throughout the zone within 15 min of the decision), which the default chain
meets for the first grid (decision 5 min + 4 levels × 1–2 min = 11 min). Door-to-door rates and
mass-alert reach have no public figure (``shared/reference/hazard_and_planning_addendum.md`` §7).
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, model_validator

from evacsim.scenario.sections import Section

__all__ = [
    "CHAIN_LEVELS",
    "ChannelSpec",
    "HouseholdTimes",
    "LevelDelays",
    "WarningSpec",
]

ChainLevel = Literal["town", "community", "group", "grid"]

#: The receiving levels of the chain, top down (the command centre sends to towns).
CHAIN_LEVELS: tuple[ChainLevel, ...] = ("town", "community", "group", "grid")


class LevelDelays(Section):
    """Seconds a sender spends per message to one receiver of this level (a call that passes the
    order on and is acknowledged). ASSUMPTIONS: 2 min for the command centre → town and
    town → community calls, 1 min within a community (community → group, group → grid)."""

    town: float = Field(default=120.0, ge=0)
    community: float = Field(default=120.0, ge=0)
    group: float = Field(default=60.0, ge=0)
    grid: float = Field(default=60.0, ge=0)

    def of(self, level: str) -> float:
        """The delay (s) of a receiving level."""
        return float(getattr(self, level))


class HouseholdTimes(Section):
    """Seconds a grid worker spends per household. ASSUMPTIONS: a phone call 1 min; door to door
    2 min (knock, explain, walk to the next door: the addendum's planning example, 30 households
    per hour)."""

    phone: float = Field(default=60.0, ge=0)
    door: float = Field(default=120.0, ge=0)


class ChannelSpec(Section):
    """A channel beside the chain: reaches ``share`` of the households ``at_s`` after the alarm
    (after the grid's hold in a staged evacuation). Which households: drawn with the run's
    generator."""

    name: str = Field(default="mass alert", min_length=1)
    share: float = Field(ge=0, le=1)
    at_s: float = Field(ge=0)


class WarningSpec(Section):
    """The ``[warning]`` table (see the module docstring)."""

    mode: Literal["distribution", "chain"] = "distribution"
    decision_s: float = Field(default=300.0, ge=0)
    delay_s: LevelDelays = Field(default_factory=LevelDelays)
    broadcast: tuple[ChainLevel, ...] = ()
    method: Literal["phone", "door"] = "phone"
    household_s: HouseholdTimes = Field(default_factory=HouseholdTimes)
    order: Literal["nearest_hazard", "assisted_first", "listed"] = "nearest_hazard"
    households_per_worker: float = Field(default=300.0, gt=0)
    workers_factor: float = Field(default=1.0, gt=0, le=100)
    channels: tuple[ChannelSpec, ...] = ()

    @model_validator(mode="after")
    def _unique(self) -> WarningSpec:
        names = [c.name for c in self.channels]
        if len(set(names)) != len(names) or "chain" in names:
            raise ValueError("channel names must be unique and not 'chain'")
        if len(set(self.broadcast)) != len(self.broadcast):
            raise ValueError("broadcast lists a level twice")
        return self

    def workers(self, listed: float | None, households: float) -> int:
        """Grid workers of one grid: the layer's ``grid_workers`` (else one per
        ``households_per_worker`` households, rounded up) times ``workers_factor``, rounded half
        up, at least 1."""
        base = listed if listed is not None else math.ceil(households / self.households_per_worker)
        return max(1, math.floor(max(base, 1) * self.workers_factor + 0.5))
