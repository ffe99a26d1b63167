"""Write the run's maps: ``map.html`` and one ``ap_<id>.html`` per assembly point that receives
people."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evacsim.maps.assembly_maps import assembly_point_map, file_id
from evacsim.maps.base import save_map
from evacsim.maps.run_map import run_layers, run_map, used_assembly_points

__all__ = ["write_run_maps"]


def write_run_maps(run: Any, folder: Path, *, lang: str | None = None) -> dict[str, Path]:
    """Write the run map and one map per assembly point that receives people into ``folder``.

    Parameters
    ----------
    lang
        ``"zh"`` or ``"en"``; by default the run's (:func:`evacsim.display.i18n.run_lang`).

    Returns
    -------
    dict
        ``{"map": folder/map.html, "ap:<id>": folder/ap_<id>.html, ...}``, one ``ap:`` entry per
        assembly point that received anyone (ids made file-name safe in the file name only).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    layers = run_layers(run, lang)
    out = {"map": save_map(run_map(run, _layers=layers), folder / "map.html")}
    for ap in used_assembly_points(run):
        path = folder / f"ap_{file_id(ap)}.html"
        out[f"ap:{ap}"] = save_map(assembly_point_map(run, ap, _layers=layers), path)
    return out
