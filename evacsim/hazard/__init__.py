"""A source, a substance, a release and the weather → threat zones over time, and harm.

:mod:`.spec` (the scenario's hazard and weather tables), :mod:`.substances`, the physics
(:mod:`.fire`, :mod:`.blast`, :mod:`.plume`), :mod:`.sources` (tanks and stores),
:mod:`.zones` (:class:`ThreatZones`), :mod:`.build` (the models and the domino effect),
:mod:`.harm` (what a hazard does to a person at a point and time: toxic or thermal FED and dose,
blast overpressure) and :mod:`.exposure` (time in zones, toxic dose and FED along a path).

Names are imported on first use (``lazy_loader``, from ``__init__.pyi``), so importing one
stage never loads the heavy libraries of another.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
