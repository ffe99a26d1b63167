"""The exception tree of evacsim.

Every error a user can cause by bad input is an :class:`EvacsimError`; each subclass is also a
builtin (``ValueError``, ``LookupError``, ...) so callers can catch either. The command line turns
an ``EvacsimError`` into one line and exit code 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

__all__ = [
    "AreaError",
    "EvacsimError",
    "HazardError",
    "NetworkError",
    "NoRouteError",
    "ScenarioError",
    "SimulationError",
]


class EvacsimError(Exception):
    """Base class of every error that bad input can cause."""


class AreaError(EvacsimError, ValueError):
    """An area's layers are missing, malformed or inconsistent (names layer, feature id, field)."""


class ScenarioError(EvacsimError, ValueError):
    """A scenario file is malformed or refers to something that does not exist."""


class NetworkError(EvacsimError, ValueError):
    """A road network cannot be built or a facility cannot be reached from it."""


class NoRouteError(EvacsimError, LookupError):
    """No open route exists between an origin and any of its destinations."""


class HazardError(EvacsimError, ValueError):
    """A hazard model got a substance or parameter outside its validity."""


class SimulationError(EvacsimError, RuntimeError):
    """A run cannot proceed (for example, the accounting of persons does not balance)."""
