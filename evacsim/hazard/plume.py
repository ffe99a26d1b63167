"""Toxic dispersion: a Gaussian plume with Briggs σ by Pasquill stability class, open country
(``rural``) or built-up (``urban``).

Formulas and worked examples: ``reference/hazard_reference.md``; each function names its source.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import shapely
from shapely import affinity
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry

from evacsim.errors import HazardError

__all__ = [
    "BRIGGS_MAX_DISTANCE_M",
    "DISPERSION",
    "MIN_WIND_M_S",
    "GaussianPlume",
    "briggs_sigmas_m",
]


#: Below this wind speed (m/s) the Gaussian plume is not used as is (calm fallback). ALOHA's
#: lowest accepted wind speed is about 1 m/s (UNVERIFIED); the plume's 1/u diverges below it.
MIN_WIND_M_S = 1.0

#: The Briggs σ fits are given for 100 m – 10 km; footprints are truncated at 10 km (as ALOHA).
BRIGGS_MAX_DISTANCE_M = 10_000.0

# --------------------------------------------------------------------------- Gaussian plume

# Briggs (1973) open-country σ fits, as tabulated in Turner's *Workbook of Atmospheric Dispersion
# Estimates* (2nd ed.) and EPA guidance: σ = a x (1 + b x)^p, x in m (100 m < x < 10 km).
_BRIGGS_Y = {
    c: (a, 1e-4, -0.5) for c, a in zip("ABCDEF", (0.22, 0.16, 0.11, 0.08, 0.06, 0.04), strict=True)
}

_BRIGGS_Z = {
    "A": (0.20, 0.0, 1.0),
    "B": (0.12, 0.0, 1.0),
    "C": (0.08, 2e-4, -0.5),
    "D": (0.06, 1.5e-3, -0.5),
    "E": (0.03, 3e-4, -1.0),
    "F": (0.016, 3e-4, -1.0),
}


# Briggs (1973) urban σ fits (his fit to McElroy & Pooler's St Louis data), as tabulated by
# Gifford in Boubel, Fox, Turner & Stern, *Fundamentals of Air Pollution* (3rd ed., 1994),
# Table 19-6, for 100 m < x < 10 km; classes A–B share one row, and E–F another. Note the A–B σz
# exponent is +1/2 (σz grows faster than x), the only positive one.
_URBAN_Y = {
    c: (a, 4e-4, -0.5) for c, a in zip("ABCDEF", (0.32, 0.32, 0.22, 0.16, 0.11, 0.11), strict=True)
}

_URBAN_Z = {
    "A": (0.24, 1e-3, 0.5),
    "B": (0.24, 1e-3, 0.5),
    "C": (0.20, 0.0, 1.0),
    "D": (0.14, 3e-4, -0.5),
    "E": (0.08, 1.5e-3, -0.5),
    "F": (0.08, 1.5e-3, -0.5),
}

#: Dispersion coefficient sets by terrain: ``rural`` (open country) and ``urban`` (built-up).
DISPERSION = {"rural": (_BRIGGS_Y, _BRIGGS_Z), "urban": (_URBAN_Y, _URBAN_Z)}


def briggs_sigmas_m(
    x_m: np.ndarray | float, stability: str, *, dispersion: str = "rural"
) -> tuple[np.ndarray, np.ndarray]:
    """Pasquill–Gifford dispersion ``(σy, σz)`` in m at downwind distance ``x_m`` (m).

    Briggs (1973) fits ``σ = a x (1 + b x)^p``. ``rural``: open country (Turner's Workbook, EPA),
    e.g. class D ``σy = 0.08 x (1 + 0.0001 x)^-0.5``, ``σz = 0.06 x (1 + 0.0015 x)^-0.5``.
    ``urban``: built-up areas (Briggs' fit to McElroy–Pooler, Boubel et al. Table 19-6), e.g.
    class D ``σy = 0.16 x (1 + 0.0004 x)^-0.5``, ``σz = 0.14 x (1 + 0.0003 x)^-0.5``.
    """
    if stability not in _BRIGGS_Y:
        raise HazardError(f"field 'weather.stability': {stability!r} is not one of A–F")
    if dispersion not in DISPERSION:
        raise HazardError(f"field 'hazard.dispersion': {dispersion!r} is not rural or urban")
    table_y, table_z = DISPERSION[dispersion]
    x = np.asarray(x_m, dtype=float)
    ay, by, py = table_y[stability]
    az, bz, pz = table_z[stability]
    return ay * x * (1.0 + by * x) ** py, az * x * (1.0 + bz * x) ** pz


@dataclass(frozen=True, eq=False)
class GaussianPlume:
    """A continuous ground-level or elevated release in a Gaussian plume (reflecting ground).

    Ground-level concentration ``C = Q / (π σy σz u) exp(−y²/2σy²) exp(−H²/2σz²)`` (Turner's
    Workbook), with Briggs σ for ``dispersion`` ``rural`` or ``urban`` (:func:`briggs_sigmas_m`);
    σy scaled by
    ``(t_avg / 600 s)^0.2`` for the averaging time (Turner's power law). The release runs from
    ``start_s`` for ``duration_s`` and moves as a plug at the wind speed (no along-wind spread):
    at time t the cloud covers downwind distances ``u (t − start − duration) < x <= u (t − start)``.

    Coordinates: ``x0_m, y0_m`` the source in a projected metric CRS; the wind blows FROM
    ``wind_from_deg`` (clockwise from north), so the plume goes toward ``wind_from_deg + 180``.
    ``omnidirectional`` (calm fallback) replaces the direction by the distance from the source:
    every direction is treated as downwind.
    """

    release_rate_kg_s: float
    wind_speed_m_s: float
    stability: str
    molar_mass_g_mol: float
    thresholds_ppm: tuple[float, float, float]
    x0_m: float = 0.0
    y0_m: float = 0.0
    wind_from_deg: float = 0.0
    source_height_m: float = 0.0
    temperature_c: float = 20.0
    averaging_time_s: float = 600.0
    start_s: float = 0.0
    duration_s: float = 600.0
    omnidirectional: bool = False
    dispersion: str = "rural"

    def sigmas_m(self, x_down_m: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """``(σy, σz)`` (m) at downwind distance(s), σy scaled for the averaging time."""
        sy, sz = briggs_sigmas_m(x_down_m, self.stability, dispersion=self.dispersion)
        return sy * (self.averaging_time_s / 600.0) ** 0.2, sz

    @property
    def _mg_m3_to_ppm(self) -> float:
        # ppm = mg/m³ × Vm / M, Vm = 22.414 L/mol × T / 273.15 K at 1 atm (ideal gas)
        return 22.414 * (self.temperature_c + 273.15) / 273.15 / self.molar_mass_g_mol

    @property
    def downwind_unit(self) -> tuple[float, float]:
        """(east, north) unit vector of the direction the plume travels."""
        to = math.radians(self.wind_from_deg + 180.0)
        return math.sin(to), math.cos(to)

    def centreline_ppm(self, x_down_m: np.ndarray | float) -> np.ndarray:
        """Steady ground-level centreline concentration (ppm) at downwind distance(s) x (m)."""
        x = np.maximum(np.asarray(x_down_m, dtype=float), 1e-9)
        sy, sz = self.sigmas_m(x)
        q_mg_s = self.release_rate_kg_s * 1e6
        with np.errstate(under="ignore"):
            c = q_mg_s / (math.pi * sy * sz * self.wind_speed_m_s)
            c = c * np.exp(-(self.source_height_m**2) / (2.0 * sz * sz))
        return np.where(np.asarray(x_down_m) > 0.0, c * self._mg_m3_to_ppm, 0.0)

    def local_ppm(self, x_down_m: np.ndarray, y_cross_m: np.ndarray) -> np.ndarray:
        """Steady ground-level concentration (ppm) at plume coordinates (downwind, crosswind)."""
        x = np.asarray(x_down_m, dtype=float)
        sy, _ = self.sigmas_m(np.maximum(x, 1e-9))
        with np.errstate(under="ignore"):
            lateral = np.exp(-(np.asarray(y_cross_m, dtype=float) ** 2) / (2.0 * sy * sy))
        return self.centreline_ppm(x) * lateral

    def to_local(self, x_m: np.ndarray, y_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Project map coordinates (m) onto (downwind, crosswind) distances from the source."""
        dx = np.asarray(x_m, dtype=float) - self.x0_m
        dy = np.asarray(y_m, dtype=float) - self.y0_m
        if self.omnidirectional:
            return np.hypot(dx, dy), np.zeros_like(dx)
        de, dn = self.downwind_unit
        return dx * de + dy * dn, -dx * dn + dy * de

    def concentration_ppm(
        self, x_m: np.ndarray | float, y_m: np.ndarray | float, t_s: np.ndarray | float
    ) -> np.ndarray:
        """Ground-level concentration (ppm) at map points (m) and times (s after the incident)."""
        xd, yc = self.to_local(np.asarray(x_m), np.asarray(y_m))
        elapsed = np.asarray(t_s, dtype=float) - self.start_s
        front = self.wind_speed_m_s * elapsed
        tail = self.wind_speed_m_s * (elapsed - self.duration_s)
        inside = (xd > 0.0) & (xd <= front) & (xd > tail)
        return np.where(inside, self.local_ppm(np.maximum(xd, 1e-9), yc), 0.0)

    def _extent_m(self, threshold_ppm: float) -> tuple[float, float]:
        """Downwind interval [x_start, x_end] (m) where the centreline exceeds the threshold."""
        xs = np.geomspace(0.1, 10.0 * BRIGGS_MAX_DISTANCE_M, 800)
        above = np.flatnonzero(self.centreline_ppm(xs) >= threshold_ppm)
        if above.size == 0:
            return 0.0, 0.0

        def f(x: float) -> float:
            return float(self.centreline_ppm(x)) - threshold_ppm

        from scipy.optimize import brentq  # here: importing scipy.optimize costs ~0.2 s

        i, j = above[0], above[-1]
        x_start = 0.0 if i == 0 else float(brentq(f, xs[i - 1], xs[i], xtol=1e-6))
        x_end = xs[j] if j == xs.size - 1 else float(brentq(f, xs[j], xs[j + 1], xtol=1e-6))
        return x_start, float(x_end)

    def footprint_local(
        self, threshold_ppm: float, *, n: int = 96
    ) -> tuple[BaseGeometry, float, float]:
        """Isoline polygon in plume coordinates, its downwind length (m) and max width (m).

        The isoline ``y(x) = σy sqrt(2 ln(C0(x)/C*))`` is sampled at ``n`` cosine-spaced
        distances (≤ 2n vertices); the footprint is truncated at 10 km (Briggs range).
        """
        x_start, x_end = self._extent_m(threshold_ppm)
        x_end = min(x_end, BRIGGS_MAX_DISTANCE_M)
        if x_end <= x_start:
            return Polygon(), 0.0, 0.0
        theta = np.linspace(0.0, math.pi, n)
        xs = x_start + (x_end - x_start) * (1.0 - np.cos(theta)) / 2.0
        c0 = self.centreline_ppm(np.maximum(xs, 1e-9))
        sy, _ = self.sigmas_m(np.maximum(xs, 1e-9))
        ratio = np.maximum(c0 / threshold_ppm, 1.0)
        half = sy * np.sqrt(2.0 * np.log(ratio))
        half[0] = 0.0
        upper = np.column_stack([xs, half])
        lower = np.column_stack([xs[::-1], -half[::-1]])
        poly = shapely.make_valid(Polygon(np.vstack([upper, lower[1:]])))
        return _as_polygonal(poly), x_end, 2.0 * float(half.max())

    def to_world(self, local: BaseGeometry) -> BaseGeometry:
        """Rotate and move a geometry from plume coordinates to map coordinates."""
        de, dn = self.downwind_unit
        # x' = de x − dn y + x0 ; y' = dn x + de y + y0  (inverse of to_local)
        return affinity.affine_transform(local, [de, -dn, dn, de, self.x0_m, self.y0_m])

    def world_clip(self, local: BaseGeometry, x_end_m: float) -> BaseGeometry:
        """Map-coordinate footprint; a calm (omnidirectional) plume becomes a disk of x_end_m."""
        if self.omnidirectional:
            if x_end_m <= 0.0:
                return Polygon()
            return Point(self.x0_m, self.y0_m).buffer(x_end_m, quad_segs=24)
        return self.to_world(local)

    @cached_property
    def footprints(self) -> tuple[tuple[BaseGeometry, float, float], ...]:
        """Per level (red, orange, yellow): (map footprint, downwind length m, max width m)."""
        out = []
        for threshold in self.thresholds_ppm:
            local, length, width = self.footprint_local(threshold)
            world = self.world_clip(local, length)
            out.append((world, length, 2.0 * length if self.omnidirectional else width))
        return tuple(out)

    def frame(self, t_s: float) -> tuple[BaseGeometry, ...]:
        """Footprints per level at time t_s: the steady footprint clipped to the moving cloud."""
        elapsed = t_s - self.start_s
        front = self.wind_speed_m_s * elapsed
        tail = max(self.wind_speed_m_s * (elapsed - self.duration_s), 0.0)
        if front <= 0.0 or tail >= front:
            return tuple(Polygon() for _ in self.thresholds_ppm)
        ring: BaseGeometry
        if self.omnidirectional:
            ring = Point(self.x0_m, self.y0_m).buffer(front, quad_segs=24)
            if tail > 0.0:
                ring = ring.difference(Point(self.x0_m, self.y0_m).buffer(tail, quad_segs=24))
        else:
            big = BRIGGS_MAX_DISTANCE_M * 2.0
            ring = self.to_world(shapely.box(tail, -big, front, big))
        return tuple(_as_polygonal(fp.intersection(ring)) for fp, _, _ in self.footprints)

    def arrival_time_s(self, geometries: np.ndarray, level: int) -> np.ndarray:
        """First time (s) the level's footprint touches each geometry (inf if never).

        Exact for the plug-flow cloud: ``start + x_min / u`` where ``x_min`` is the smallest
        downwind distance of the geometry's part inside the steady footprint.
        """
        out = np.full(len(geometries), np.inf)
        footprint = self.footprints[level][0]
        if footprint.is_empty or len(geometries) == 0:
            return out
        shapely.prepare(footprint)
        hit = np.flatnonzero(shapely.intersects(footprint, geometries))
        if hit.size == 0:
            return out
        parts = shapely.intersection(geometries[hit], footprint)
        if self.omnidirectional:
            x_min = shapely.distance(Point(self.x0_m, self.y0_m), parts)
        else:
            # the downwind distance is linear along a segment: its minimum is at a vertex
            coords, index = shapely.get_coordinates(parts, return_index=True)
            xd, _ = self.to_local(coords[:, 0], coords[:, 1])
            x_min = np.full(hit.size, np.inf)
            np.minimum.at(x_min, index, np.maximum(xd, 0.0))
        out[hit] = self.start_s + x_min / self.wind_speed_m_s
        return out


def _as_polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Keep only the polygonal part of a geometry (intersections may add lines or points)."""
    if geom.is_empty or geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    polys = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(polys) if polys else Polygon()
