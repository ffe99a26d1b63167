"""evacsim — emergency evacuation planning around hazardous-chemical sites."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from evacsim.errors import (
    AreaError,
    EvacsimError,
    HazardError,
    NetworkError,
    NoRouteError,
    ScenarioError,
    SimulationError,
)

try:
    __version__ = version("evacsim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "AreaError",
    "EvacsimError",
    "HazardError",
    "NetworkError",
    "NoRouteError",
    "ScenarioError",
    "SimulationError",
    "__version__",
]
