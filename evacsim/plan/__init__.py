"""Evacuee groups → assembly points → shelters: who can reach what and when (each mode's roads, the
hazard rule), the assignment policies and the run's plan.

Names are imported on first use (``lazy_loader``, from ``__init__.pyi``), so importing one
stage never loads the heavy libraries of another.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
