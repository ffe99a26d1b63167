"""Vapour-cloud explosion: TNT equivalence and the Kinney–Graham overpressure curve.

Formulas and worked examples: ``reference/hazard_reference.md``; each function names its source.
"""

from __future__ import annotations

import numpy as np

from evacsim.errors import HazardError

__all__ = [
    "ATMOSPHERE_PSI",
    "kinney_graham_ratio",
    "overpressure_distance_m",
    "scaled_distance_for_overpressure",
    "tnt_equivalent_kg",
]


#: Standard atmosphere, psi (Kinney & Graham use the ambient pressure p_a).
ATMOSPHERE_PSI = 14.696

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
    from scipy.optimize import brentq  # here: scipy.optimize costs every run ~0.2 s to import

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
