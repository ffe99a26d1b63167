"""evacsim — emergency evacuation planning around hazardous-chemical sites.

The library's entry points: :func:`load_area`, :func:`load_scenario`, :func:`run` (returns a
:class:`Run`), :func:`save` (writes a run's folder) and :func:`sweep`. They are imported on first
use, so ``import evacsim`` stays light (``evacsim.sweep`` is the function; import the module's
other names with ``from evacsim.sweep import ...``).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from evacsim.errors import (
    AreaError,
    EvacsimError,
    HazardError,
    NetworkError,
    NoRouteError,
    ScenarioError,
    SimulationError,
)

# The sweep module imports only the standard library at import time. Importing the function
# here (after its module) keeps ``evacsim.sweep`` the function even once the module is loaded.
from evacsim.sweep import sweep

if TYPE_CHECKING:
    from evacsim.area.layers import load_area
    from evacsim.export.run_folder import write_run as save
    from evacsim.pipeline import Run, run
    from evacsim.scenario.load import load_scenario

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
    "Run",
    "ScenarioError",
    "SimulationError",
    "__version__",
    "load_area",
    "load_scenario",
    "run",
    "save",
    "sweep",
]

# name -> (module, attribute): the facade stands above every layer and may import any of them
_LAZY = {
    "load_area": ("evacsim.area.layers", "load_area"),
    "load_scenario": ("evacsim.scenario.load", "load_scenario"),
    "run": ("evacsim.pipeline", "run"),
    "Run": ("evacsim.pipeline", "Run"),
    "save": ("evacsim.export.run_folder", "write_run"),
}


def __getattr__(name: str) -> Any:
    """Import the library's entry points on first use (PEP 562)."""
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        value = getattr(importlib.import_module(module), attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'evacsim' has no attribute {name!r}")
