"""A scenario: the TOML file (:mod:`.load`), its sections (:mod:`.sections`, :mod:`.teams`,
:mod:`.supplies`, :mod:`.distributions`) and the scenario made concrete on its area
(:mod:`.prepare`: area, network and threat zones, the input of every later stage).

Names are imported on first use (``lazy_loader``, from ``__init__.pyi``), so importing one
stage never loads the heavy libraries of another.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
