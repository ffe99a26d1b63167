"""Maps of a finished run (placeholder until the run-map work lands: the area map only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evacsim.viz import run_map, save_map

__all__ = ["write_run_maps"]


def write_run_maps(run: Any, folder: Path) -> dict[str, Path]:
    """Write the run's maps into ``folder``; returns ``{"map": path, ...}``."""
    return {"map": save_map(run_map(run), Path(folder) / "map.html")}
