"""Harm fields: what a hazard does to a person at a point and a time.

A :class:`HarmField` gives, at map points (m, the zones' projected CRS) and times (s after the
incident), the rate at which a person there accumulates the fractional effective dose (FED)
toward incapacitation, FED = 1 being incapacitation, and the rate of the hazard's own dose
measure. :mod:`evacsim.hazard.build` makes it from a model's sources (``ThreatZones.harm``).

``toxic`` (``toxic_plume``)
    FED rate ``(C / C_ref)^n / t_ref`` with ``C`` the plume's ground-level concentration (ppm),
    ``C_ref`` the AEGL-3 for ``t_ref`` minutes and ``n`` the substance's toxic-load exponent (ten
    Berge's ``C^n t = k``; chlorine 2), so FED = 1 is the AEGL-3 toxic load — the definition of
    :func:`evacsim.hazard.exposure.toxic_fed`. Dose: ``∫ C dt`` in ppm·min. Concentrations below
    the yellow (AEGL-1) level are not counted (for chlorine that leaves out less than
    ``(0.5 / 20)^2`` = 6×10⁻⁴ of FED per hour). Indoors counts the outdoor concentration (no
    infiltration model: the cautious side).
``thermal`` (``pool_fire``, ``bleve``)
    Radiant flux ``q`` (kW/m²): NUREG-1805 point source per burning tank (from its ignition, the
    pool edge as the nearest distance) plus the CCPS fireball while it lasts (its flux held at
    the view factor's peak closer in than ``r/√2``). FED rate ``q^1.33 / (r · 60 s)`` with
    ``r = 10 (kW/m²)^(4/3)·min``, SFPE Handbook 5th ed. Eq. 63.43 (Purser & McAllister 2016:
    incapacitation / serious injury, ≈ 1 % lethality for the average population; 70.6 s at
    5 kW/m²). Dose: the thermal dose ``∫ q^(4/3) dt`` in TDU ((kW/m²)^(4/3)·s; published
    thresholds: pain 92, 2nd-degree burns 290, 3rd-degree 1000 TDU — HSL 2007). Both count only
    fluxes of at least 2.5 kW/m² (ISO 13571:2012 §8.2: below it radiant heat is tolerated for a
    long time; without the cut a day in the sun would be a lethal dose). Walls stop radiation:
    indoors both are zero.
``blast`` (``vce``)
    Peak side-on overpressure at the blast instant (Kinney–Graham with the scenario's TNT mass,
    ground burst doubling the charge, :mod:`evacsim.hazard.blast`). There is no dose to
    accumulate: FED is the peak overpressure over the red threshold (8 psi by default), so a
    person inside the red contour at the blast (FED ≥ 1) is a casualty, indoors or not.

Sources: ``reference/hazard_and_planning_addendum.md`` §3 (thermal harm) and §5 (chlorine);
``reference/hazard_reference.md`` §§2–4.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np
import shapely
from shapely.geometry import Point

from evacsim.hazard.blast import ATMOSPHERE_PSI, kinney_graham_ratio
from evacsim.hazard.fire import fireball_flux_kw_m2, point_source_flux_kw_m2
from evacsim.hazard.plume import GaussianPlume

__all__ = [
    "INCAPACITATION_R",
    "THERMAL_FLOOR_KW_M2",
    "BlastSource",
    "Fireball",
    "HarmField",
    "HarmKind",
    "PointTimeline",
    "PoolFireEmitter",
    "summed_flux_kw_m2",
    "thermal_dose_tdu",
    "thermal_fed_rate_per_s",
]

HarmKind = Literal["toxic", "thermal", "blast"]

#: Radiant flux (kW/m²) below which heat radiation counts no harm (ISO 13571:2012 §8.2, SFPE).
THERMAL_FLOOR_KW_M2 = 2.5

#: SFPE incapacitation constant r, (kW/m²)^(4/3)·min: t_Irad = r / q^1.33 (Eq. 63.43).
INCAPACITATION_R = 10.0


def thermal_fed_rate_per_s(q_kw_m2: np.ndarray | float) -> np.ndarray:
    """FED toward incapacitation per second in radiant flux ``q`` (kW/m²).

    ``1 / t_Irad`` with ``t_Irad = r / q^1.33`` minutes, ``r = 10`` (SFPE Handbook 5th ed.
    Eq. 63.43); zero below 2.5 kW/m² (ISO 13571:2012 §8.2).
    """
    q = np.asarray(q_kw_m2, dtype=float)
    return np.where(q >= THERMAL_FLOOR_KW_M2, q**1.33 / (INCAPACITATION_R * 60.0), 0.0)


def thermal_dose_tdu(q_kw_m2: np.ndarray | float, dt_s: np.ndarray | float) -> np.ndarray:
    """Thermal dose ``q^(4/3) Δt`` in TDU ((kW/m²)^(4/3)·s), zero below 2.5 kW/m²."""
    q = np.asarray(q_kw_m2, dtype=float)
    return np.where(q >= THERMAL_FLOOR_KW_M2, q ** (4.0 / 3.0), 0.0) * np.asarray(dt_s)


@dataclass(frozen=True)
class PoolFireEmitter:
    """A burning tank: NUREG-1805 point source from ``t_on_s`` on (fires are not put out)."""

    x_m: float
    y_m: float
    hrr_kw: float
    radiative_fraction: float
    diameter_m: float
    t_on_s: float

    def flux_at_m(self, distance_m: np.ndarray) -> np.ndarray:
        """Flux (kW/m²) at a distance while burning; inside the pool the point source diverges:
        the pool edge is the nearest distance."""
        d = np.maximum(distance_m, self.diameter_m / 2.0)
        return point_source_flux_kw_m2(self.hrr_kw, d, radiative_fraction=self.radiative_fraction)

    def flux_kw_m2(self, x: np.ndarray, y: np.ndarray, t: np.ndarray) -> np.ndarray:
        # sqrt of the squares: a third of np.hypot's time (fire zones evaluate grids of 10⁵
        # points per tank), and map distances are far from hypot's overflow range
        q = self.flux_at_m(np.sqrt((x - self.x_m) ** 2 + (y - self.y_m) ** 2))
        return np.where(t >= self.t_on_s, q, 0.0)

    @property
    def t_off_s(self) -> float:
        """Fires are not put out."""
        return math.inf


@dataclass(frozen=True)
class Fireball:
    """A CCPS fireball radiating from ``t_on_s`` for ``duration_s``."""

    x_m: float
    y_m: float
    diameter_m: float
    emissive_power_kw_m2: float
    transmissivity: float
    t_on_s: float
    duration_s: float

    def flux_at_m(self, distance_m: np.ndarray) -> np.ndarray:
        """Flux (kW/m²) at a ground distance while it lasts; the view factor falls to 0 right
        below the ball: its peak is held closer in than r/√2."""
        d = np.maximum(distance_m, self.diameter_m / 2.0 / math.sqrt(2.0))
        return fireball_flux_kw_m2(
            d, self.diameter_m, emissive_power_kw_m2=self.emissive_power_kw_m2,
            transmissivity=self.transmissivity,
        )  # fmt: skip

    def flux_kw_m2(self, x: np.ndarray, y: np.ndarray, t: np.ndarray) -> np.ndarray:
        q = self.flux_at_m(np.hypot(x - self.x_m, y - self.y_m))
        on = (t >= self.t_on_s) & (t < self.t_off_s)
        return np.where(on, q, 0.0)

    @property
    def t_off_s(self) -> float:
        """When it is over."""
        return self.t_on_s + self.duration_s


@dataclass(frozen=True)
class BlastSource:
    """A vapour-cloud explosion of ``w_tnt_kg`` TNT equivalent at ``t_s``."""

    x_m: float
    y_m: float
    w_tnt_kg: float
    ground_burst: bool
    t_s: float

    def overpressure_psi(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Peak side-on overpressure (psi): Kinney–Graham at ``Z = R / W^(1/3)`` (``2W`` for a
        ground burst, as :func:`evacsim.hazard.blast.overpressure_distance_m`)."""
        charge = 2.0 * self.w_tnt_kg if self.ground_burst else self.w_tnt_kg
        r = np.maximum(np.hypot(x - self.x_m, y - self.y_m), 1e-3)
        return ATMOSPHERE_PSI * kinney_graham_ratio(r / charge ** (1.0 / 3.0))


def summed_flux_kw_m2(
    emitters: Iterable[PoolFireEmitter | Fireball],
    x_m: np.ndarray | float,
    y_m: np.ndarray | float,
    t_s: np.ndarray | float,
) -> np.ndarray:
    """Radiant flux (kW/m²) at points and times: the emitters' fluxes added up.

    Radiation from several fires adds at a receiver (each emitter as its own model above); the
    one sum the harm field, the domino model and the fire zones
    (:mod:`evacsim.hazard.contours`) all use. Arrays broadcast together (e.g. a grid's row of
    ``x`` against its column of ``y``).
    """
    x, y, t = (np.asarray(a, dtype=float) for a in (x_m, y_m, t_s))
    out = np.zeros(np.broadcast(x, y, t).shape)
    for emitter in emitters:
        out += emitter.flux_kw_m2(x, y, t)
    return out


@dataclass(frozen=True, eq=False)
class HarmField:
    """The harm of one hazard (module docstring); points in m, times in s after the incident.

    Attributes
    ----------
    kind
        ``toxic``, ``thermal`` or ``blast``.
    plumes, c_ref_ppm, exponent, t_ref_min
        Toxic: the plumes, the AEGL-3 (ppm) for ``t_ref_min`` minutes, the toxic-load exponent.
    fires, fireballs
        Thermal emitters.
    blasts, casualty_psi
        The explosions and the red threshold (psi) that makes a casualty.
    """

    kind: HarmKind
    plumes: tuple[GaussianPlume, ...] = ()
    c_ref_ppm: float = 1.0
    exponent: float = 1.0
    t_ref_min: float = 60.0
    fires: tuple[PoolFireEmitter, ...] = ()
    fireballs: tuple[Fireball, ...] = ()
    blasts: tuple[BlastSource, ...] = ()
    casualty_psi: float = 8.0

    @property
    def dose_column(self) -> str:
        """Name (with unit) of the hazard's dose measure in result tables."""
        return {"toxic": "dose_ppm_min", "thermal": "thermal_dose_tdu"}.get(
            self.kind, "peak_overpressure_psi"
        )

    def windows_s(self, geometries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each geometry (road edges, points), ``(t_on, t_off)``: outside that time span the
        FED rate is zero everywhere on it (``(inf, -inf)``: never touched). Heat: from the first
        ignition after which the fluxes, each taken at the geometry's nearest point to its fire
        (an upper bound of their sum), could reach 2.5 kW/m², to the last fire's end. A plume:
        while its cloud covers any part inside the yellow footprint (plug flow: from
        ``start + x_min/u`` to ``start + duration + x_max/u``)."""
        geoms = np.asarray(geometries, dtype=object)
        t_on, t_off = np.full(len(geoms), math.inf), np.full(len(geoms), -math.inf)
        both: tuple[PoolFireEmitter | Fireball, ...] = (*self.fires, *self.fireballs)
        emitters = sorted(both, key=lambda e: e.t_on_s)
        if emitters and len(geoms):
            bound = np.cumsum(
                [e.flux_at_m(shapely.distance(geoms, Point(e.x_m, e.y_m))) for e in emitters],
                axis=0,
            )  # by ignition time: what is burning by then, at most
            reached = bound >= THERMAL_FLOOR_KW_M2
            hot = reached.any(axis=0)
            first = np.argmax(reached, axis=0)
            t_on[hot] = np.array([e.t_on_s for e in emitters])[first[hot]]
            t_off[hot] = max(e.t_off_s for e in emitters)
        for p in self.plumes:
            footprint = p.footprints[2][0]
            hit = np.flatnonzero(shapely.intersects(geoms, footprint))
            if hit.size == 0:
                continue
            parts = shapely.intersection(geoms[hit], footprint)
            coords, index = shapely.get_coordinates(parts, return_index=True)
            xd, _ = p.to_local(coords[:, 0], coords[:, 1])
            lo, hi = np.full(hit.size, np.inf), np.full(hit.size, -np.inf)
            np.minimum.at(lo, index, np.maximum(xd, 0.0))
            np.maximum.at(hi, index, xd)
            u = p.wind_speed_m_s
            t_on[hit] = np.minimum(t_on[hit], p.start_s + lo / u)
            t_off[hit] = np.maximum(t_off[hit], p.start_s + p.duration_s + hi / u)
        return t_on, t_off

    @cached_property
    def breaks_s(self) -> np.ndarray:
        """Times at which rates change everywhere at once (fires igniting, fireballs)."""
        out = [f.t_on_s for f in self.fires]
        out += [t for b in self.fireballs for t in (b.t_on_s, b.t_on_s + b.duration_s)]
        return np.unique(np.asarray(out, dtype=float))

    # ------------------------------------------------------------------ rates
    def flux_kw_m2(self, x: np.ndarray, y: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Radiant flux (kW/m²) of every fire and fireball, summed."""
        return summed_flux_kw_m2((*self.fires, *self.fireballs), x, y, t)

    def concentration_ppm(self, x: np.ndarray, y: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Ground-level concentration (ppm) of the plumes, summed; zero below the yellow level."""
        c = np.zeros(np.broadcast(x, y, t).shape)
        for p in self.plumes:
            c = c + p.concentration_ppm(x, y, t)
        floor = min(p.thresholds_ppm[2] for p in self.plumes)
        return np.where(c >= floor, c, 0.0)

    def rates(
        self, x_m: np.ndarray, y_m: np.ndarray, t_s: np.ndarray, indoor: np.ndarray | bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(FED per s, dose per s)`` at points and times; dose in ppm·min (toxic) or TDU."""
        x, y, t = (np.asarray(a, dtype=float) for a in (x_m, y_m, t_s))
        if self.kind == "toxic":
            c = self.concentration_ppm(x, y, t)
            fed = (c / self.c_ref_ppm) ** self.exponent / (self.t_ref_min * 60.0)
            return fed, c / 60.0
        if self.kind == "thermal":
            q = np.where(indoor, 0.0, self.flux_kw_m2(x, y, t))
            return thermal_fed_rate_per_s(q), thermal_dose_tdu(q, 1.0)
        zero = np.zeros(np.broadcast(x, y, t).shape)
        return zero, zero

    def overpressure_psi(self, x_m: np.ndarray, y_m: np.ndarray) -> np.ndarray:
        """Peak overpressure (psi) of the strongest explosion at each point."""
        x, y = np.asarray(x_m, dtype=float), np.asarray(y_m, dtype=float)
        out = np.zeros(np.broadcast(x, y).shape)
        for b in self.blasts:
            out = np.maximum(out, b.overpressure_psi(x, y))
        return out

    # --------------------------------------------------------- a fixed point
    def point_breaks_s(self, x_m: float, y_m: float) -> np.ndarray:
        """Times at which the rates at a fixed point can jump: between two of them they are
        constant (fires and fireballs switch on and off; a plume's plug-flow cloud covers a point
        from ``start + x/u`` to ``start + duration + x/u``)."""
        out = self.breaks_s.tolist()
        for p in self.plumes:
            xd, _ = p.to_local(np.array([x_m]), np.array([y_m]))
            if xd[0] > 0.0:
                arrive = p.start_s + float(xd[0]) / p.wind_speed_m_s
                out += [arrive, arrive + p.duration_s]
        return np.unique(np.asarray(out, dtype=float))

    def point_timeline(self, x_m: float, y_m: float, *, indoor: bool = False) -> PointTimeline:
        """The FED and dose rates at a fixed point as a step function of time (exact)."""
        b = self.point_breaks_s(x_m, y_m)
        # a rate per step: before the first break, between breaks, after the last
        at = np.concatenate([b[:1] - 1.0, 0.5 * (b[:-1] + b[1:]), b[-1:] + 1.0])
        at = at if b.size else np.zeros(1)
        fed, dose = self.rates(np.full(at.size, x_m), np.full(at.size, y_m), at, indoor)
        return PointTimeline(b, fed, dose)


@dataclass(frozen=True, eq=False)
class PointTimeline:
    """FED and dose rates (per s) at a fixed point, constant between the ``breaks_s``:
    ``fed_rate[0]`` before the first break, ``fed_rate[i]`` from break ``i - 1`` to break ``i``,
    ``fed_rate[-1]`` after the last (the same for ``dose_rate``). Integrals are exact."""

    breaks_s: np.ndarray
    fed_rate: np.ndarray
    dose_rate: np.ndarray

    def _integral(self, rates: np.ndarray, t_s: float) -> float:
        """∫ rate from the first break (or 0 if none) to ``t_s`` (negative before it)."""
        b = self.breaks_s
        if b.size == 0:
            return float(rates[0]) * t_s
        k = bisect.bisect_right(b.tolist(), t_s)  # step k holds at t_s
        full = float(np.dot(rates[1:k], np.diff(b[:k]))) if k > 1 else 0.0
        return full + float(rates[k]) * (t_s - float(b[max(k - 1, 0)]))

    def gain(self, t0_s: float, t1_s: float) -> tuple[float, float]:
        """``(FED, dose)`` gained from ``t0_s`` to ``t1_s``."""
        if t1_s <= t0_s:
            return 0.0, 0.0
        fed = self._integral(self.fed_rate, t1_s) - self._integral(self.fed_rate, t0_s)
        dose = self._integral(self.dose_rate, t1_s) - self._integral(self.dose_rate, t0_s)
        return fed, dose

    def crossing_s(self, t0_s: float, fed_to_go: float) -> float:
        """When the FED gained since ``t0_s`` reaches ``fed_to_go`` (``inf`` if never)."""
        if fed_to_go <= 0.0:
            return t0_s
        b = [t for t in self.breaks_s.tolist() if t > t0_s]
        k = len(self.breaks_s) - len(b)  # step holding at t0
        t, gained = t0_s, 0.0
        for step, end in enumerate([*b, math.inf], start=k):
            rate = float(self.fed_rate[step])
            if rate > 0.0 and gained + rate * (end - t) >= fed_to_go:
                return t + (fed_to_go - gained) / rate
            gained += rate * (end - t) if math.isfinite(end) else 0.0
            t = end
        return math.inf
