"""The simulation: SimPy clock, the link-queue traffic engine and the behaviour on top of it.

:mod:`.engine` (and its hot path), :mod:`.router` (per-mode links and hazard-aware route
tables), :mod:`.state` (a run's shared state), :mod:`.facilities`, :mod:`.buses`,
:mod:`.teams`, :mod:`.supplies`, :mod:`.warning` (the responsibility chain), :mod:`.harm`
(dose and FED as the run goes, incapacitation), :mod:`.trajectory` (where a person is over
time), :mod:`.exposure` (time in each level, crews after the run), :mod:`.simulation` (which ties
them) and :mod:`.results` (the typed record a run produces).

Names are imported on first use (``lazy_loader``, from ``__init__.pyi``), so importing one
stage never loads the heavy libraries of another.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
