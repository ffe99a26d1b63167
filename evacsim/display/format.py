"""Formatting shared by every page: HTML escaping, table cells and times since the incident."""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["FONT_STACK", "cell_text", "esc", "hmm", "minutes", "number", "t_plus"]

#: The CSS font stack of every page, sheet and chart: CJK-capable fonts first (Noto / Source Han
#: on Linux, YaHei on Windows, PingFang on macOS and iOS), so Chinese names never show as boxes.
FONT_STACK = (
    '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", '
    '"Noto Sans", sans-serif'
)


def esc(value: object) -> str:
    """Escape a value for HTML inside a JS template literal (also `, $ and \\)."""
    text = html.escape(str(value), quote=True)
    return text.replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")


def cell_text(value: object) -> str | None:
    """Format a table cell; ``None`` for a missing value."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def hmm(t_s: float) -> str:
    """'h:mm' of a time in seconds since the incident ('' when missing)."""
    if not np.isfinite(t_s):
        return ""
    total = round(t_s / 60.0)
    return f"{total // 60}:{total % 60:02d}"


def t_plus(t_s: Any) -> str:
    """'T+h:mm' of a time in seconds since the incident ('—' when missing)."""
    if t_s is None or not np.isfinite(t_s):
        return "—"
    return f"T+{hmm(float(t_s))}"


def _missing(value: Any) -> bool:
    return (
        value is None
        or value is pd.NA
        or (isinstance(value, float | np.floating) and np.isnan(value))
    )


def number(value: Any) -> str:
    """A count or measure for people: ``3,500`` (never ``3500.0``), ``12.5``; ``—`` if missing."""
    if _missing(value):
        return "—"
    if isinstance(value, bool | np.bool_):
        return str(value)
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        v = float(value)
        return f"{int(v):,}" if v.is_integer() else f"{v:,.1f}"
    return str(value)


def minutes(t_s: Any) -> str:
    """Seconds as minutes with one decimal (``32.5``); ``—`` when missing."""
    if _missing(t_s) or not np.isfinite(float(t_s)):
        return "—"
    return f"{float(t_s) / 60.0:.1f}"
