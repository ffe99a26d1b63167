"""Where a run's seconds go: named stage timings, for ``evacsim run --timings`` and the manifest.

A :data:`Timings` is a plain ``{stage: seconds}`` dict that the stages fill as they run
(:func:`timed`); the pipeline keeps it on the :class:`~evacsim.pipeline.Run`, the faces add their
outputs, and the manifest records it. Keys end in ``_s``; output stages start with ``out_``.
Nothing here changes a result: timings are measured around the work, never inside it.

This module sits at the bottom of the layers (beside ``atomic`` and ``manifest``), so any stage
may time itself.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["Timings", "process_age_s", "timed"]

_IMPORTED = time.perf_counter()

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


def process_age_s() -> float:
    """Seconds since this process started (Linux: from ``/proc``, to 10 ms; elsewhere since
    this module was imported): what a command has spent before its first stage is its imports.
    """
    try:
        with open("/proc/self/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()  # after the name, which may hold spaces
        with open("/proc/uptime", encoding="ascii") as fh:
            uptime_s = float(fh.read().split()[0])
        start_s = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22: starttime, in ticks
        return max(uptime_s - start_s, 0.0)
    except (OSError, ValueError, IndexError):
        return time.perf_counter() - _IMPORTED
