"""Where a run's seconds go: named stage timings, for ``evacsim run --timings`` and the manifest.

A :data:`Timings` is a plain ``{stage: seconds}`` dict that the stages fill as they run
(:func:`timed`); the pipeline keeps it on the :class:`~evacsim.pipeline.Run`, the faces add their
outputs, and the manifest records it. Keys end in ``_s``; output stages start with ``out_``.
Nothing here changes a result: timings are measured around the work, never inside it.

This module sits at the bottom of the layers (beside ``atomic`` and ``manifest``), so any stage
may time itself.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["Timings", "timed"]

#: Seconds per stage, in the order the stages ran (``load_s``, ``network_s``, ...).
Timings = dict[str, float]


@contextmanager
def timed(timings: Timings | None, key: str) -> Iterator[None]:
    """Add the wall seconds the block takes to ``timings[key]`` (nothing when ``timings`` is
    ``None``); a stage that runs twice adds up."""
    if timings is None:
        yield
        return
    t0 = time.perf_counter()
    try:
        yield
    finally:
        timings[key] = timings.get(key, 0.0) + time.perf_counter() - t0
