"""Formatting shared by every page: HTML escaping, table cells and times since the incident."""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["cell_text", "esc", "hmm", "t_plus"]


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
