"""The physics of the hazard models: pool fire, BLEVE fireball, TNT equivalence, Gaussian plume.

Plain functions of numbers (scalars or numpy arrays), in SI units with the unit in each name, plus
:class:`GaussianPlume`, which turns a continuous toxic release into concentrations and footprints
in a projected metric CRS. :mod:`evacsim.hazard` turns these into threat zones.

Formulas and worked examples: ``/work/shared/reference/hazard_reference.md``; each function names
its source.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from scipy.optimize import brentq
from shapely import affinity
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry

from evacsim.errors import HazardError
from evacsim.substances import Substance, get_substance

if TYPE_CHECKING:
    from evacsim.hazard import HazardSpec

__all__ = [
    "ATMOSPHERE_PSI",
    "BRIGGS_MAX_DISTANCE_M",
    "MIN_WIND_M_S",
    "GaussianPlume",
    "Source",
    "briggs_sigmas_m",
    "build_sources",
    "fireball_diameter_m",
    "fireball_distance_m",
    "fireball_duration_s",
    "fireball_flux_kw_m2",
    "fireball_view_factor",
    "kinney_graham_ratio",
    "overpressure_distance_m",
    "point_source_distance_m",
    "point_source_flux_kw_m2",
    "pool_diameter_m",
    "pool_fire_hrr_kw",
    "resolve_sources",
    "scaled_distance_for_overpressure",
    "tnt_equivalent_kg",
]

log = logging.getLogger(__name__)

#: Standard atmosphere, psi (Kinney & Graham use the ambient pressure p_a).
ATMOSPHERE_PSI = 14.696
#: Below this wind speed (m/s) the Gaussian plume is not used as is (calm fallback). ALOHA's
#: lowest accepted wind speed is about 1 m/s (UNVERIFIED); the plume's 1/u diverges below it.
MIN_WIND_M_S = 1.0
#: The Briggs σ fits are given for 100 m – 10 km; footprints are truncated at 10 km (as ALOHA).
BRIGGS_MAX_DISTANCE_M = 10_000.0


# --------------------------------------------------------------------------- pool fire


def pool_diameter_m(area_m2: float) -> float:
    """Equivalent pool diameter ``D = sqrt(4 A / π)`` (m) of a pool (dike) of area ``A`` (m²)."""
    return math.sqrt(4.0 * area_m2 / math.pi)


def pool_fire_hrr_kw(
    area_m2: float,
    *,
    burning_rate_kg_m2_s: float,
    heat_of_combustion_kj_kg: float,
    k_beta_per_m: float,
) -> float:
    """Heat release rate of a pool fire, kW.

    ``Q = m'' ΔHc A (1 − exp(−kβ D))`` with ``D = sqrt(4A/π)`` — NUREG-1805 *Fire Dynamics
    Tools*, ch. 5 (point-source radiation model; Babrauskas burning-rate correlation).
    """
    diameter = pool_diameter_m(area_m2)
    return (
        burning_rate_kg_m2_s
        * heat_of_combustion_kj_kg
        * area_m2
        * (1.0 - math.exp(-k_beta_per_m * diameter))
    )


def point_source_flux_kw_m2(
    hrr_kw: float, distance_m: np.ndarray | float, *, radiative_fraction: float = 0.30
) -> np.ndarray:
    """Radiant flux at ``distance_m`` from a point-source fire, kW/m².

    ``q'' = χr Q / (4 π R²)`` — NUREG-1805 ch. 5; ``χr = 0.30`` is the spreadsheet's value.
    """
    r = np.asarray(distance_m, dtype=float)
    with np.errstate(divide="ignore"):
        return radiative_fraction * hrr_kw / (4.0 * math.pi * r * r)


def point_source_distance_m(
    hrr_kw: float, flux_kw_m2: float, *, radiative_fraction: float = 0.30
) -> float:
    """Distance (m) at which a point-source fire gives ``flux_kw_m2`` (inverse of NUREG-1805)."""
    return math.sqrt(radiative_fraction * hrr_kw / (4.0 * math.pi * flux_kw_m2))


# --------------------------------------------------------------------------- BLEVE fireball


def fireball_diameter_m(mass_kg: float) -> float:
    """CCPS fireball diameter ``Dc = 5.8 mf^(1/3)`` (m), mass of fuel ``mf`` in kg."""
    return 5.8 * mass_kg ** (1.0 / 3.0)


def fireball_duration_s(mass_kg: float) -> float:
    """CCPS fireball duration (s): ``0.45 mf^(1/3)`` below 30 t, ``2.6 mf^(1/6)`` above.

    The reference sheet prints ``mf^(1/3)`` for the large-mass branch; the CCPS form is
    ``mf^(1/6)`` (the sheet's exponent is taken as a typo, UNVERIFIED).
    """
    if mass_kg < 30_000.0:
        return 0.45 * mass_kg ** (1.0 / 3.0)
    return 2.6 * mass_kg ** (1.0 / 6.0)


def fireball_view_factor(distance_m: np.ndarray | float, diameter_m: float) -> np.ndarray:
    """CCPS view factor ``Fv = r² X / (X² + r²)^(3/2)``, ``r = Dc/2``, ``X`` ground distance (m)."""
    x = np.asarray(distance_m, dtype=float)
    r2 = (diameter_m / 2.0) ** 2
    return r2 * x / (x * x + r2) ** 1.5


def fireball_flux_kw_m2(
    distance_m: np.ndarray | float,
    diameter_m: float,
    *,
    emissive_power_kw_m2: float = 350.0,
    transmissivity: float = 1.0,
) -> np.ndarray:
    """Fireball radiation ``q = τ E Fv`` (kW/m²); CCPS suggests ``E ≈ 350 kW/m²``."""
    return transmissivity * emissive_power_kw_m2 * fireball_view_factor(distance_m, diameter_m)


def fireball_distance_m(
    flux_kw_m2: float,
    diameter_m: float,
    *,
    emissive_power_kw_m2: float = 350.0,
    transmissivity: float = 1.0,
) -> float:
    """Ground distance (m) beyond which the fireball flux stays below ``flux_kw_m2``.

    Solves ``q(X) = flux`` on the decreasing branch ``X >= r/√2`` of the CCPS view factor; returns
    0 if the flux is never reached.
    """
    r = diameter_m / 2.0
    x_peak = r / math.sqrt(2.0)

    def excess(x: float) -> float:
        q = fireball_flux_kw_m2(
            x, diameter_m, emissive_power_kw_m2=emissive_power_kw_m2, transmissivity=transmissivity
        )
        return float(q) - flux_kw_m2

    if excess(x_peak) <= 0.0:
        return 0.0
    hi = 2.0 * x_peak
    while excess(hi) > 0.0:
        hi *= 2.0
    return float(brentq(excess, x_peak, hi, xtol=1e-9, rtol=1e-12))


# --------------------------------------------------------------------------- TNT equivalence


def tnt_equivalent_kg(
    mass_kg: float,
    heat_of_combustion_kj_kg: float,
    *,
    yield_factor: float = 0.10,
    tnt_energy_kj_kg: float = 4_686.0,
) -> float:
    """TNT-equivalent mass ``W = η M ΔHc / E_TNT`` (kg).

    ``E_TNT = 4686 kJ/kg`` (API RP 752 screening page); ``η = 0.10`` is the EPA RMP worst case
    (Crowl & Louvar give 0.02–0.10).
    """
    return yield_factor * mass_kg * heat_of_combustion_kj_kg / tnt_energy_kj_kg


def kinney_graham_ratio(scaled_distance: np.ndarray | float) -> np.ndarray:
    """Free-air peak side-on overpressure ratio ``p°/pa`` at scaled distance ``Z`` (m/kg^(1/3)).

    Kinney & Graham (1985), *Explosive Shocks in Air*:
    ``808 [1 + (Z/4.5)²] / sqrt((1+(Z/0.048)²)(1+(Z/0.32)²)(1+(Z/1.35)²))``.
    """
    z = np.asarray(scaled_distance, dtype=float)
    return (
        808.0
        * (1.0 + (z / 4.5) ** 2)
        / np.sqrt((1.0 + (z / 0.048) ** 2) * (1.0 + (z / 0.32) ** 2) * (1.0 + (z / 1.35) ** 2))
    )


#: Range of Z (m/kg^(1/3)) over which the fit is used; beyond it a threshold is refused.
_Z_RANGE = (0.05, 500.0)


def scaled_distance_for_overpressure(psi: float, *, ambient_psi: float = ATMOSPHERE_PSI) -> float:
    """Free-air scaled distance Z (m/kg^(1/3)) at which Kinney–Graham gives ``psi``.

    Raises
    ------
    HazardError
        The overpressure is outside the fit's range (Z in [0.05, 500]).
    """
    ratio = psi / ambient_psi
    lo, hi = _Z_RANGE
    if not float(kinney_graham_ratio(hi)) < ratio < float(kinney_graham_ratio(lo)):
        raise HazardError(
            f"field 'hazard.thresholds': {psi} psi is outside the Kinney–Graham fit "
            f"(Z {lo}–{hi} m/kg^(1/3))"
        )
    return float(
        brentq(lambda z: float(kinney_graham_ratio(z)) - ratio, lo, hi, xtol=1e-12, rtol=1e-12)
    )


def overpressure_distance_m(w_tnt_kg: float, psi: float, *, ground_burst: bool = True) -> float:
    """Distance (m) to peak overpressure ``psi`` for ``w_tnt_kg`` of TNT.

    ``R = Z W^(1/3)``; a ground (hemispherical) burst doubles the effective charge,
    ``R = Z (2W)^(1/3)`` — this reproduces the EPA RMP 1-psi rule ``R ≈ 17 W^(1/3)``.
    """
    charge = 2.0 * w_tnt_kg if ground_burst else w_tnt_kg
    return scaled_distance_for_overpressure(psi) * charge ** (1.0 / 3.0)


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


def briggs_sigmas_m(x_m: np.ndarray | float, stability: str) -> tuple[np.ndarray, np.ndarray]:
    """Pasquill–Gifford dispersion ``(σy, σz)`` in m at downwind distance ``x_m`` (m).

    Briggs (1973) open-country formulas (Turner's Workbook, EPA): e.g. class D
    ``σy = 0.08 x (1 + 0.0001 x)^-0.5``, ``σz = 0.06 x (1 + 0.0015 x)^-0.5``.
    """
    if stability not in _BRIGGS_Y:
        raise HazardError(f"field 'weather.stability': {stability!r} is not one of A–F")
    x = np.asarray(x_m, dtype=float)
    ay, by, py = _BRIGGS_Y[stability]
    az, bz, pz = _BRIGGS_Z[stability]
    return ay * x * (1.0 + by * x) ** py, az * x * (1.0 + bz * x) ** pz


@dataclass(frozen=True, eq=False)
class GaussianPlume:
    """A continuous ground-level or elevated release in a Gaussian plume (reflecting ground).

    Ground-level concentration ``C = Q / (π σy σz u) exp(−y²/2σy²) exp(−H²/2σz²)`` (Turner's
    Workbook), with Briggs open-country σ (:func:`briggs_sigmas_m`); σy scaled by
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
        sy, sz = briggs_sigmas_m(x, self.stability)
        sy = sy * (self.averaging_time_s / 600.0) ** 0.2
        q_mg_s = self.release_rate_kg_s * 1e6
        with np.errstate(under="ignore"):
            c = q_mg_s / (math.pi * sy * sz * self.wind_speed_m_s)
            c = c * np.exp(-(self.source_height_m**2) / (2.0 * sz * sz))
        return np.where(np.asarray(x_down_m) > 0.0, c * self._mg_m3_to_ppm, 0.0)

    def local_ppm(self, x_down_m: np.ndarray, y_cross_m: np.ndarray) -> np.ndarray:
        """Steady ground-level concentration (ppm) at plume coordinates (downwind, crosswind)."""
        x = np.asarray(x_down_m, dtype=float)
        sy, _ = briggs_sigmas_m(np.maximum(x, 1e-9), self.stability)
        sy = sy * (self.averaging_time_s / 600.0) ** 0.2
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
        sy, _ = briggs_sigmas_m(np.maximum(xs, 1e-9), self.stability)
        sy = sy * (self.averaging_time_s / 600.0) ** 0.2
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


# --------------------------------------------------------------------------- source terms

_PRESSURISED = ("pressur", "sphere", "bullet", "lpg", "bottle")


def _num(value: Any) -> float | None:
    """A float from a table cell, None for missing/NaN."""
    if value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


@dataclass(frozen=True)
class Source:
    """One hazard source with what the models need (units in the names, map metres).

    Built from a ``hazard_sources`` row (:func:`build_sources`) or from a spec alone
    (:meth:`from_spec`). The methods turn it plus the scenario's spec into a source term,
    applying the spec's overrides; each raises :class:`HazardError` naming the missing field.
    """

    id: str
    x_m: float
    y_m: float
    category: str = "point"
    substance: str | None = None
    capacity_m3: float | None = None
    diameter_m: float | None = None
    dike_area_m2: float | None = None
    kind: str | None = None
    inventory_kg: float | None = None
    enterprise: str | None = None
    hazard_source: str | None = None

    @classmethod
    def from_spec(cls, spec: HazardSpec) -> Source:
        """A source at (0, 0) described only by the spec (the quick calculator)."""
        return cls("at", 0.0, 0.0)

    def _where(self) -> str:
        return f"hazard source {self.id!r}: " if self.id != "at" else ""

    def substance_for(self, spec: HazardSpec) -> Substance:
        """The spec's substance if given, else the source's."""
        if spec.substance is not None:
            return get_substance(spec.substance)
        if self.substance is None:
            raise HazardError(f"{self._where()}field 'hazard.substance' is required")
        return get_substance(self.substance, field_name=f"hazard_sources.{self.id}.substance")

    def pool_fire(self, spec: HazardSpec) -> tuple[float, float]:
        """Heat release rate (kW) and pool diameter (m) of a fire in the dike (NUREG-1805)."""
        sub = self.substance_for(spec)
        if not sub.pool_fire_data:
            raise HazardError(
                f"{self._where()}field 'hazard.substance': {sub.name!r} has no pool-fire data "
                "(burning rate, heat of combustion, kβ)"
            )
        area = spec.dike_area_m2 or self.dike_area_m2
        if area is None:
            raise HazardError(f"{self._where()}field 'hazard.dike_area_m2' is required")
        hrr = pool_fire_hrr_kw(
            area,
            burning_rate_kg_m2_s=sub.burning_rate_kg_m2_s,  # type: ignore[arg-type]
            heat_of_combustion_kj_kg=sub.heat_of_combustion_kj_kg,  # type: ignore[arg-type]
            k_beta_per_m=sub.k_beta_per_m,  # type: ignore[arg-type]
        )
        return hrr, pool_diameter_m(area)

    def can_burn(self, spec: HazardSpec) -> bool:
        """True if this is a tank the pool-fire model can ignite (domino candidate)."""
        if self.category != "tank" or self.dike_area_m2 is None or self.substance is None:
            return False
        try:
            return get_substance(self.substance).pool_fire_data
        except HazardError:
            return False

    def inventory_kg_for(self, spec: HazardSpec, sub: Substance) -> float:
        """Mass (kg): spec.mass_kg, else a store's inventory, else capacity × fill × density."""
        if spec.mass_kg is not None:
            return spec.mass_kg
        if self.inventory_kg is not None and spec.capacity_m3 is None:
            return self.inventory_kg
        capacity = spec.capacity_m3 or self.capacity_m3
        if capacity is None:
            raise HazardError(
                f"{self._where()}field 'hazard.mass_kg' is required (or hazard.capacity_m3)"
            )
        return capacity * spec.fill_fraction * sub.liquid_density_kg_m3

    def bleve_mass_kg(self, spec: HazardSpec) -> float:
        """Fuel mass (kg) of a BLEVE; only pressurised liquefied flammable gas qualifies."""
        sub = self.substance_for(spec)
        if not (sub.flammable and sub.phase == "liquefied_gas"):
            raise HazardError(
                f"{self._where()}field 'hazard.substance': {sub.name!r} is not a pressurised "
                "liquefied flammable gas; model 'bleve' needs one (e.g. propane, butane)"
            )
        if self.category == "tank":
            kind = (self.kind or "").lower()
            if not any(k in kind for k in _PRESSURISED):
                raise HazardError(
                    f"hazard source {self.id!r}: field 'kind': {self.kind!r} is not a pressurised "
                    "tank; model 'bleve' needs one"
                )
        return self.inventory_kg_for(spec, sub)

    def vce_fuel(self, spec: HazardSpec) -> tuple[float, float]:
        """(fuel mass in the cloud kg, heat of combustion kJ/kg) for TNT equivalence."""
        sub = self.substance_for(spec)
        if not sub.flammable or sub.heat_of_combustion_kj_kg is None:
            raise HazardError(
                f"{self._where()}field 'hazard.substance': {sub.name!r} is not flammable; "
                "model 'vce' needs a flammable substance"
            )
        return self.inventory_kg_for(spec, sub), sub.heat_of_combustion_kj_kg

    def release_rate_kg_s(self, spec: HazardSpec) -> tuple[float, Substance]:
        """Release rate (kg/s) and substance of a toxic release.

        Without ``release_rate_kg_s``: the inventory over ``release_duration_s`` (EPA RMP
        worst case for a toxic gas releases the whole quantity in 10 min, EPA 550-B-99-009).
        """
        sub = self.substance_for(spec)
        if not sub.toxic:
            raise HazardError(
                f"{self._where()}field 'hazard.substance': {sub.name!r} is not toxic; "
                "model 'toxic_plume' needs a toxic substance (e.g. chlorine)"
            )
        if spec.release_rate_kg_s is not None:
            return spec.release_rate_kg_s, sub
        return self.inventory_kg_for(spec, sub) / spec.release_duration_s, sub


def build_sources(layer: gpd.GeoDataFrame | None) -> list[Source]:
    """Every feature of a ``hazard_sources`` layer as a :class:`Source` (layer order)."""
    if layer is None or len(layer) == 0:
        return []
    out = []
    for row, geom in zip(layer.to_dict("records"), layer.geometry, strict=True):
        out.append(
            Source(
                id=str(row["id"]),
                x_m=float(geom.x),
                y_m=float(geom.y),
                category=_text(row.get("category")) or "point",
                substance=_text(row.get("substance")),
                capacity_m3=_num(row.get("capacity_m3")),
                diameter_m=_num(row.get("diameter_m")),
                dike_area_m2=_num(row.get("dike_area_m2")),
                kind=_text(row.get("kind")),
                inventory_kg=_num(row.get("inventory_kg")),
                enterprise=_text(row.get("enterprise")),
                hazard_source=_text(row.get("hazard_source")),
            )
        )
    return out


def resolve_sources(
    spec: HazardSpec, layer: gpd.GeoDataFrame | None, crs: pyproj.CRS | None
) -> list[Source]:
    """The spec's sources: ``at`` projected from lon/lat to ``crs``, or ids looked up in layer.

    For physical models an enterprise (``E-``) or major hazard source (``HS-``) stands for its
    tanks; the ``radius`` model keeps the feature's own point.

    Raises
    ------
    HazardError
        An id not in the layer, or a group without tanks.
    """
    if spec.at is not None:
        if crs is None:
            return [Source.from_spec(spec)]
        to_map = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        x, y = to_map.transform(spec.at[0], spec.at[1])
        return [Source("at", float(x), float(y))]
    features = build_sources(layer)
    by_id = {s.id: s for s in features}
    out: dict[str, Source] = {}
    for sid in spec.source_ids:
        if sid not in by_id:
            raise HazardError(f"field 'hazard.source': {sid!r} is not in the hazard_sources layer")
        src = by_id[sid]
        if spec.model == "radius" or src.category not in ("enterprise", "major_hazard_source"):
            out.setdefault(src.id, src)
            continue
        members = [
            s
            for s in features
            if s.category in ("tank", "store") and sid in (s.enterprise, s.hazard_source)
        ]
        if not members:
            raise HazardError(f"field 'hazard.source': {sid!r} has no tanks or stores to model")
        for m in members:
            out.setdefault(m.id, m)
    return list(out.values())
