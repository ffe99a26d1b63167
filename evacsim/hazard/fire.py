"""Fire physics: NUREG-1805 point-source pool fire radiation and the CCPS BLEVE fireball.

Formulas and worked examples: ``reference/hazard_reference.md``; each function names its source.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "fireball_diameter_m",
    "fireball_distance_m",
    "fireball_duration_s",
    "fireball_flux_kw_m2",
    "fireball_view_factor",
    "point_source_distance_m",
    "point_source_flux_kw_m2",
    "pool_diameter_m",
    "pool_fire_hrr_kw",
]


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
        # the scalars first: two passes over the array, not three
        return (radiative_fraction * hrr_kw / (4.0 * math.pi)) / (r * r)


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
    from scipy.optimize import brentq  # here: importing scipy.optimize costs ~0.2 s

    hi = 2.0 * x_peak
    while excess(hi) > 0.0:
        hi *= 2.0
    return float(brentq(excess, x_peak, hi, xtol=1e-9, rtol=1e-12))
