"""Stage 1 of the data flow: an area's layers loaded, validated and projected (:class:`Area`).

The layer schema (:mod:`.schema`), road classes and their defaults (:mod:`.road_classes`), the
loader (:mod:`.layers`) and the OpenStreetMap importer (:mod:`.osm`).

Names are imported on first use (``lazy_loader``, from ``__init__.pyi``), so importing one
stage never loads the heavy libraries of another.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
