"""Clock time of a run: seconds since the incident as the time of day people act on.

A drill runs on the clock (15:00 alert, 15:32 at AP-4), so pages show ``15:32`` with ``T+0:32``
beside it. The clock is in the scenario's own UTC offset (``start``, ISO 8601 with its offset);
a time on another day than the start also shows its date (``6月2日 01:15`` / ``Jun 2 01:15``).
GPX wants UTC (:meth:`Clock.utc`), GeoPackage columns ISO 8601 with the offset
(:meth:`Clock.iso`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from evacsim.display.format import t_plus

__all__ = ["Clock", "run_clock"]


def _finite(t_s: Any) -> float | None:
    try:
        value = float(t_s)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class Clock:
    """Times of one run.

    Parameters
    ----------
    start
        The incident's start (t = 0), timezone-aware.
    lang
        ``"zh"`` or ``"en"``: how a date is written when a time falls on another day.
    """

    start: datetime
    lang: str = "en"

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ValueError("Clock: start must carry its UTC offset")

    def at(self, t_s: Any) -> datetime | None:
        """The local date-time ``t_s`` seconds after the start (``None`` when missing)."""
        value = _finite(t_s)
        return None if value is None else self.start + timedelta(seconds=value)

    def hm(self, t_s: Any) -> str:
        """``15:32`` (to the nearest minute, as ``T+`` is); with the date when not the start's
        day; ``—`` when missing."""
        value = _finite(t_s)
        if value is None:
            return "—"
        when = self.start + timedelta(minutes=round(value / 60.0))
        text = f"{when.hour:02d}:{when.minute:02d}"
        if when.date() == self.start.date():
            return text
        return f"{self.date(when)} {text}"

    def date(self, when: datetime) -> str:
        """A short date in the language's own form: ``6月2日``, ``Jun 2`` (CLDR, via Babel)."""
        from babel.dates import format_skeleton

        locale = "zh_Hans_CN" if self.lang == "zh" else "en"
        return str(format_skeleton("MMMd", when, locale=locale))

    def label(self, t_s: Any) -> str:
        """``15:32 (T+0:32)``; ``—`` when missing."""
        if _finite(t_s) is None:
            return "—"
        return f"{self.hm(t_s)} ({t_plus(t_s)})"

    def cell(self, t_s: Any) -> dict[str, str]:
        """A table cell's parts: ``{"clock": "15:32", "t": "T+0:32"}`` (the page sets T+ under
        the clock time); ``{"clock": "—", "t": ""}`` when missing."""
        if _finite(t_s) is None:
            return {"clock": "—", "t": ""}
        return {"clock": self.hm(t_s), "t": t_plus(t_s)}

    def iso(self, t_s: Any) -> str | None:
        """ISO 8601 with the offset, to the nearest second (``2026-06-01T15:32:05+08:00``)."""
        value = _finite(t_s)
        if value is None:
            return None
        return (self.start + timedelta(seconds=round(value))).isoformat(timespec="seconds")

    def utc(self, t_s: Any) -> datetime | None:
        """The time in UTC (GPX times are UTC)."""
        when = self.at(t_s)
        return None if when is None else when.astimezone(UTC)

    def utc_stamps(self, t_s: np.ndarray) -> list[str | None]:
        """Many times at once as GPX writes them: ``utc(t).isoformat()`` with ``Z`` for
        ``+00:00`` (``2026-06-01T07:32:05.500000Z``); ``None`` where missing.

        The seconds are split and rounded to microseconds as :class:`datetime.timedelta`
        does (whole seconds, then the fraction rounded half to even), so each text is the one
        :meth:`utc` gives.
        """
        t = np.asarray(t_s, dtype=float)
        known = np.isfinite(t)
        fraction, whole = np.modf(np.where(known, t, 0.0))
        us = whole.astype(np.int64) * 1_000_000 + np.rint(fraction * 1e6).astype(np.int64)
        start = np.datetime64(self.start.astimezone(UTC).replace(tzinfo=None), "us")
        texts = np.datetime_as_string(start + us.astype("timedelta64[us]"), unit="us").tolist()
        return [
            text.removesuffix(".000000") + "Z" if ok else None
            for text, ok in zip(texts, known.tolist(), strict=True)
        ]

    def start_text(self) -> str:
        """The start as ``2026-06-01 15:00 UTC+08:00``."""
        offset = self.start.utcoffset() or timedelta(0)
        minutes = int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        hh, mm = divmod(abs(minutes), 60)
        return f"{self.start:%Y-%m-%d %H:%M} UTC{sign}{hh:02d}:{mm:02d}"


def run_clock(run: Any, lang: str = "en") -> Clock:
    """The :class:`Clock` of a run (its scenario's :meth:`start_time`); ``run`` may also be an
    optimizer's result or the ``Prepared`` scenario."""
    return Clock(getattr(run, "prepared", run).scenario.start_time(), lang)
