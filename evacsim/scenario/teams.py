"""The ``[teams]`` section of a scenario: what the emergency teams do (simulated in
:mod:`evacsim.sim.teams`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["TASK_KINDS", "TeamTask", "TeamsSpec"]


#: Task kinds in ``results.extra["teams"]``.
TASK_KINDS = (
    "traffic_control",
    "staff_assembly",
    "cordon",
    "staff_shelter",
    "door_to_door",
)


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TeamTask(_Spec):
    """One ``[[teams.tasks]]`` entry: a post given to a named team.

    ``task`` is ``traffic_control`` or ``cordon`` (at a junction: ``node``, or ``at`` = [lon, lat]
    in EPSG:4326 snapped to the nearest drivable node within 300 m), or ``staff`` (``facility``:
    an assembly point or shelter id).
    """

    team: str = Field(min_length=1)
    task: Literal["traffic_control", "cordon", "staff"]
    at: tuple[float, float] | None = None
    node: int | None = Field(default=None, ge=0)
    facility: str | None = None

    @model_validator(mode="after")
    def _where(self) -> TeamTask:
        if self.task == "staff":
            if self.facility is None:
                raise ValueError("a 'staff' task needs 'facility'")
        elif (self.at is None) == (self.node is None):
            raise ValueError(f"a '{self.task}' task needs exactly one of 'at' or 'node'")
        return self


class TeamsSpec(_Spec):
    """The ``[teams]`` section (see the module docstring for the behaviour and its sources)."""

    door_to_door: bool = True
    vehicle_capacity_persons: int = Field(default=4, ge=1, le=50)
    staff_assembly_points: bool = True
    staff_shelters: bool = True
    staff_per_post: int = Field(default=4, ge=1)
    cordon_points: int = Field(default=2, ge=0)
    capacity_factor: float = Field(default=1.15, gt=0.0, le=3.0)
    mobilisation_s: float = Field(default=300.0, ge=0.0)
    tasks: tuple[TeamTask, ...] = ()
