"""Finished runs of the tiny area for map, page and browser tests, and the animation decoder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from evacsim.maps.animation import EvacueeAnimation
from evacsim.pipeline import Run, run
from tests.support.tiny_area import tiny_scenario, write_tiny_area

XSS = "<script>alert(1)</script>"
AP_NAME = "School `${alert(2)}` yard"


def rename(feature_id: str, name: str) -> Any:
    def edit(feats: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for feat in feats:
            if feat["properties"]["id"] == feature_id:
                feat["properties"]["name"] = name
        return feats

    return edit


def make_tiny_run(folder: Path) -> Run:
    """The tiny area with a bridge, a shelter and an assembly point named like attacks, run."""
    write_tiny_area(
        folder / "area",
        roads=rename("R-0014", XSS),
        shelters=rename("S-2", XSS),
        assembly_points=rename("AP-1", AP_NAME),
    )
    path = folder / "s.toml"
    path.write_text(tiny_scenario(seed=3, period="day"), encoding="utf-8")
    return run(path)


def decode(anim: EvacueeAnimation | dict[str, Any]) -> list[dict[int, tuple[float, float]]]:
    """Per agent, {frame: (lon, lat)}: the page script's decoding, written again here."""
    data = anim if isinstance(anim, dict) else {
        "agents": anim.agents, "lon0": anim.lon0, "lat0": anim.lat0, "scale": 1e-5
    }  # fmt: skip
    out = []
    for agent in data["agents"]:
        xy = np.cumsum(np.asarray(agent[2:], dtype=float).reshape(-1, 2), axis=0)
        lon = data["lon0"] + xy[:, 0] * data["scale"]
        lat = data["lat0"] + xy[:, 1] * data["scale"]
        out.append({agent[0] + i: (lon[i], lat[i]) for i in range(len(xy))})
    return out
