"""Rows of a table as plain dicts, the form JSON summaries and templates take."""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["records"]


def records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts keyed by column name (as strings)."""
    return [{str(k): v for k, v in row.items()} for row in table.to_dict(orient="records")]
