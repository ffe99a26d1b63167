"""Write the run's maps: ``map.html`` and one ``ap_<id>.html`` per assembly point that receives
people."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["run_map_files", "used_assembly_points", "write_run_maps"]


def used_assembly_points(run: Any) -> list[str]:
    """Assembly points that received anyone (in the layer's order)."""
    facilities = run.summary.get("facilities", {})
    ids = run.prepared.area.assembly_points["id"].astype(str)
    return [ap for ap in ids if int(facilities.get(ap, {}).get("arrivals", 0)) > 0]


def run_map_files(run: Any) -> dict[str, str]:
    """The maps' file names, known before they are written (the report links to them):
    ``{"map": "map.html", "ap:<id>": "ap_<id>.html", ...}``, one ``ap:`` entry per assembly
    point that received anyone (ids made file-name safe in the file name only)."""
    from evacsim.area.schema import file_name_of

    files = {"map": "map.html"}
    files |= {f"ap:{ap}": f"ap_{file_name_of(ap)}.html" for ap in used_assembly_points(run)}
    return files


def write_run_maps(run: Any, folder: Path, *, lang: str | None = None) -> dict[str, Path]:
    """Write the run map and one map per assembly point that receives people into ``folder``.

    Parameters
    ----------
    lang
        ``"zh"`` or ``"en"``; by default the run's (:func:`evacsim.display.i18n.run_lang`).

    Returns
    -------
    dict
        ``{"map": folder/map.html, "ap:<id>": folder/ap_<id>.html, ...}``: the paths of
        :func:`run_map_files`.
    """
    from evacsim.maps.assembly_maps import assembly_point_map
    from evacsim.maps.base import save_map
    from evacsim.maps.run_map import run_layers, run_map

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    layers = run_layers(run, lang)
    out: dict[str, Path] = {}
    for key, name in run_map_files(run).items():
        page = (
            run_map(run, _layers=layers)
            if key == "map"
            else assembly_point_map(run, key.removeprefix("ap:"), _layers=layers)
        )
        out[key] = save_map(page, folder / name)
    return out
