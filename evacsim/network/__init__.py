"""Roads → a directed road network with integer-indexed arrays, facilities snapped, routing.

:mod:`.graph` builds the :class:`RoadNetwork`, :mod:`.snap` snaps the area's points and grids to
it, :mod:`.routing` runs shortest paths on ``scipy.sparse.csgraph``.

Names are imported on first use (``lazy_loader``, from ``__init__.pyi``), so importing one
stage never loads the heavy libraries of another.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
