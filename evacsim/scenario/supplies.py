"""The ``[supplies]`` section of a scenario: needs per person and hour, trucks (simulated in
:mod:`evacsim.sim.supplies`).
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ITEMS", "ItemAmounts", "SuppliesSpec"]


#: Items, in column order (units in the names).
ITEMS = ("water_l", "food_rations", "blankets", "medical_kits")


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ItemAmounts(_Spec):
    """An amount per item (units: litres, rations, blankets, kits)."""

    water_l: float = Field(default=0.0, ge=0.0)
    food_rations: float = Field(default=0.0, ge=0.0)
    blankets: float = Field(default=0.0, ge=0.0)
    medical_kits: float = Field(default=0.0, ge=0.0)

    def as_array(self) -> np.ndarray:
        """The amounts in :data:`ITEMS` order."""
        return np.array([getattr(self, item) for item in ITEMS], dtype=float)


class SuppliesSpec(_Spec):
    """The ``[supplies]`` section (defaults and their sources in the module docstring)."""

    enabled: bool = True
    need_per_person_h: ItemAmounts = Field(
        default_factory=lambda: ItemAmounts(water_l=0.125, food_rations=0.125)
    )
    need_per_person: ItemAmounts = Field(
        default_factory=lambda: ItemAmounts(blankets=1.0, medical_kits=0.01)
    )
    trucks_per_point: int = Field(default=1, ge=0, le=50)
    truck_capacity: ItemAmounts = Field(
        default_factory=lambda: ItemAmounts(
            water_l=3000, food_rations=1500, blankets=600, medical_kits=60
        )
    )
    lookahead_h: float = Field(default=4.0, ge=0.0)
    mobilisation_s: float = Field(default=600.0, ge=0.0)
    sample_s: float = Field(default=300.0, ge=10.0)
