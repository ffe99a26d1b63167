"""Threat zones over time: nested polygons per level, red ⊂ orange ⊂ yellow, with thresholds."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from evacsim.errors import HazardError
from evacsim.hazard.harm import HarmField
from evacsim.hazard.plume import GaussianPlume
from evacsim.hazard.spec import LEVELS

__all__ = ["ThreatLevel", "ThreatZones"]


Frame = tuple[float, dict[str, BaseGeometry]]


@dataclass(frozen=True)
class ThreatLevel:
    """One level: its name, threshold value and unit, and a label for maps and reports."""

    name: str
    threshold: float
    unit: str
    label: str


def empty_geometry() -> BaseGeometry:
    return Polygon()


@dataclass(frozen=True, eq=False)
class ThreatZones:
    """Nested threat zones over time in a projected metric CRS (see the module docstring).

    Attributes
    ----------
    model
        The hazard model's name.
    levels
        ``(red, orange, yellow)`` :class:`ThreatLevel` records.
    timeline
        Sorted frames ``(t_s, {level: (Multi)Polygon})``; a frame holds from its time until the
        next one. Each frame's polygon for a level covers that level and every worse one.
    crs
        The CRS of the polygons (``None`` for the calculator's local frame around (0, 0)).
    sources
        ``(id, x_m, y_m)`` of every source that burns, explodes or releases (escalated ones too).
    escalation
        The domino sequence: ``(t_s, tank id, received flux kW/m²)``, in time order.
    outputs
        Model outputs per source id (heat release, fireball size, TNT mass, ...), for reports.
    plumes, aegl_duration_min, toxic_load_exponent
        For a toxic release: the plume models (concentration field), the AEGL duration the red
        threshold stands for, and the substance's toxic-load exponent n (toxic FED).
    harm
        What the hazard does to a person at a point and time (toxic or thermal FED and dose, blast
        overpressure); ``None`` for fixed radii, which carry no physics.
    """

    model: str
    levels: tuple[ThreatLevel, ...]
    timeline: tuple[Frame, ...]
    crs: pyproj.CRS | None = None
    sources: tuple[tuple[str, float, float], ...] = ()
    evacuate: str = "orange"
    closure_level: str = "red"
    escalation: tuple[tuple[float, str, float], ...] = ()
    outputs: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    plumes: tuple[GaussianPlume, ...] = ()
    aegl_duration_min: int | None = None
    toxic_load_exponent: float | None = None
    harm: HarmField | None = None

    def _index(self, level: str) -> int:
        if level not in LEVELS:
            raise HazardError(f"field 'level': {level!r} is not one of {', '.join(LEVELS)}")
        return LEVELS.index(level)  # type: ignore[arg-type]

    @property
    def frame_times_s(self) -> np.ndarray:
        """The frames' start times (s)."""
        return np.array([t for t, _ in self.timeline], dtype=float)

    def at(self, t_s: float) -> dict[str, BaseGeometry]:
        """The zones in force at ``t_s`` (empty polygons before the first frame)."""
        i = int(np.searchsorted(self.frame_times_s, t_s, side="right")) - 1
        if i < 0:
            return {lv: empty_geometry() for lv in LEVELS}
        return self.timeline[i][1]

    @cached_property
    def _final(self) -> dict[str, BaseGeometry]:
        out: dict[str, BaseGeometry] = {
            lv: shapely.union_all([f[lv] for _, f in self.timeline]) for lv in LEVELS
        }
        for geom in out.values():
            shapely.prepare(geom)
        return out

    def final(self) -> dict[str, BaseGeometry]:
        """The largest extent: per level, the union of the level over the whole timeline."""
        return dict(self._final)

    def evacuation_zone(self) -> BaseGeometry:
        """The area to evacuate: the largest extent of the ``evacuate`` level."""
        return self._final[self.evacuate]

    def levels_at(self, x_m: np.ndarray, y_m: np.ndarray, t_s: np.ndarray) -> np.ndarray:
        """Vectorised :meth:`level_at`: int8 array, 0 red, 1 orange, 2 yellow, 3 outside.

        Plumes are evaluated from the concentration field (exact in time, sources superposed);
        other models from the timeline's frames (boundaries count as inside).
        """
        x, y, t = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (x_m, y_m, t_s)))
        out = np.full(x.shape, 3, dtype=np.int8)
        if self.plumes:
            c = self.concentration_ppm(x, y, t)
            for i in (2, 1, 0):
                out[c >= self.levels[i].threshold] = i
            return out
        frame = np.searchsorted(self.frame_times_s, t, side="right") - 1
        for k in np.unique(frame[frame >= 0]):
            sel = frame == k
            polys = self.timeline[int(k)][1]
            for i in (2, 1, 0):
                inside = shapely.intersects_xy(polys[LEVELS[i]], x[sel], y[sel])
                out[np.flatnonzero(sel)[inside]] = i
        return out

    def level_at(self, x_m: float, y_m: float, t_s: float) -> int:
        """Level of a map point (m) at ``t_s``: 0 red, 1 orange, 2 yellow, 3 outside."""
        return int(self.levels_at(np.array([x_m]), np.array([y_m]), np.array([t_s]))[0])

    def concentration_ppm(self, x_m: Any, y_m: Any, t_s: Any) -> np.ndarray:
        """Ground-level concentration (ppm) of a toxic release (sum over plumes).

        Raises
        ------
        HazardError
            The model is not a toxic plume.
        """
        if not self.plumes:
            raise HazardError(f"field 'hazard.model': {self.model!r} has no concentration field")
        return np.sum([p.concentration_ppm(x_m, y_m, t_s) for p in self.plumes], axis=0)

    def arrival_time_s(self, geometries: Any, level: str) -> np.ndarray:
        """For each geometry (e.g. road edges), the first time the level touches it (inf: never).

        Static frames are queried with one STRtree over the geometries per frame; plumes use the
        exact cloud-front arrival (:meth:`GaussianPlume.arrival_time_s`).
        """
        geoms = np.asarray(geometries, dtype=object)
        index = self._index(level)
        out = np.full(len(geoms), np.inf)
        if len(geoms) == 0:
            return out
        if self.plumes:
            for plume in self.plumes:
                out = np.minimum(out, plume.arrival_time_s(geoms, index))
            return out
        tree = shapely.STRtree(geoms)
        for t, polys in self.timeline:
            if polys[level].is_empty:
                continue
            hit = tree.query(polys[level], predicate="intersects")
            out[hit] = np.minimum(out[hit], t)
        return out

    def distances_m(self) -> dict[str, float]:
        """Per level, the largest distance (m) of the final zone from its nearest source."""
        pts = np.array([[x, y] for _, x, y in self.sources], dtype=float).reshape(-1, 2)
        out: dict[str, float] = {}
        for lv, geom in self._final.items():
            coords = shapely.get_coordinates(geom)
            if geom.is_empty or coords.size == 0 or pts.size == 0:
                out[lv] = 0.0
                continue
            d = np.hypot(coords[:, None, 0] - pts[None, :, 0], coords[:, None, 1] - pts[None, :, 1])
            out[lv] = float(d.min(axis=1).max())
        return out

    def to_geodataframe(self, crs_out: Any = None) -> gpd.GeoDataFrame:
        """One row per frame and level: t_s, level, threshold, unit, label, geometry."""
        rows = [
            {
                "t_s": t,
                "level": lv.name,
                "threshold": lv.threshold,
                "unit": lv.unit,
                "label": lv.label,
                "geometry": polys[lv.name],
            }
            for t, polys in self.timeline
            for lv in self.levels
        ]
        columns = ["t_s", "level", "threshold", "unit", "label", "geometry"]
        gdf = gpd.GeoDataFrame(pd.DataFrame(rows, columns=columns), crs=self.crs)
        return gdf.to_crs(crs_out) if crs_out is not None and self.crs is not None else gdf
