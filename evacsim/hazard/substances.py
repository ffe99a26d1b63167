"""Substance properties for the hazard models, each value with its source.

A :class:`Substance` carries what the models need: pool-fire burning data (NUREG-1805 point-source
model), heat of combustion (TNT equivalence), liquid density (mass from a tank's volume), molar mass
(ppm ↔ mg/m³) and, for toxic gases, AEGL values (Gaussian plume threat levels).

Sources (see ``/work/shared/reference/hazard_reference.md``):

* burning rate m'' (kg/m²·s), effective heat of combustion ΔHc (kJ/kg), kβ (1/m) for butane,
  benzene, hexane, heptane: NUREG-1805 *Fire Dynamics Tools* ch. 5 spreadsheet; gasoline m'' and
  ΔHc: NUREG-1805 material tables as quoted in public code; gasoline kβ and the diesel triplet:
  Babrauskas, SFPE Handbook (UNVERIFIED; the diesel values equal the NUREG-1805 spreadsheet's
  default inputs); kerosene and LPG/propane burning data: Babrauskas, SFPE Handbook, from memory
  (UNVERIFIED).
* propane liquid density 585.3 kg/m³: the CCPS BLEVE worked example (Srivastava, citing CCPS);
  other liquid densities are typical handbook values (UNVERIFIED).
* chlorine AEGLs (ppm; 10/30/60 min): AEGL-1 0.5/0.5/0.5, AEGL-2 2.8/2.8/2.0, AEGL-3 50/28/20 —
  US EPA AEGL final values for chlorine, quoted from memory: UNVERIFIED, check before relying on
  them. Molar masses: IUPAC atomic weights.
* heavy fuel oil burning data (m'' 0.035 kg/m²·s, ΔHc 39,700 kJ/kg, kβ 1.7 1/m): Babrauskas,
  SFPE Handbook, from memory (UNVERIFIED); density typical (UNVERIFIED); molar mass nominal.
* flash points (closed cup, °C), which decide whether a liquid can form a vapour cloud
  (:attr:`Substance.volatile_at`): gasoline −43, benzene −11, hexane −22, heptane −4 (NIOSH Pocket
  Guide, −45/12/−7/25 °F; UNVERIFIED, from memory); kerosene / jet fuel 38 (the Jet A-1 minimum of
  DEF STAN 91-091 and ASTM D1655); diesel 45 (the lowest minimum of the GB 19147 grades, −35#
  and −50#; the summer grades are ≥ 60 °C and EN 590 is > 55 °C: the low value is the cautious
  one here, UNVERIFIED); heavy fuel oil 60 (the ISO 8217 / SOLAS minimum for marine fuel).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from evacsim.errors import HazardError

__all__ = ["SUBSTANCES", "Substance", "get_substance", "substance_names"]

Phase = Literal["liquid", "liquefied_gas"]


@dataclass(frozen=True)
class Substance:
    """Properties of one substance (units in the field names).

    Attributes
    ----------
    name
        Canonical key, e.g. ``"gasoline"``.
    phase
        ``"liquid"`` (atmospheric storage) or ``"liquefied_gas"`` (stored under pressure).
    flammable, toxic
        Which hazard models apply.
    burning_rate_kg_m2_s, heat_of_combustion_kj_kg, k_beta_per_m
        Pool-fire data (NUREG-1805); ``None`` where not applicable.
    liquid_density_kg_m3
        Density of the stored liquid, kg/m³.
    molar_mass_g_mol
        Molar mass, g/mol (ppm conversion).
    aegl_ppm
        ``{duration_min: (AEGL-1, AEGL-2, AEGL-3)}`` in ppm; empty if not toxic.
    toxic_load_exponent
        ``n`` of the toxic load ``C^n t`` (ten Berge); chlorine 2.0, derived from its AEGL-3
        values (10/30/60 min: 50/28/20 ppm give n = 1.96 and 2.06).
    flash_point_c
        Closed-cup flash point of a liquid, °C (``None`` for liquefied gases and non-flammables).
    source
        Where the numbers come from (one line).
    """

    name: str
    phase: Phase
    flammable: bool
    toxic: bool
    liquid_density_kg_m3: float
    molar_mass_g_mol: float
    source: str
    burning_rate_kg_m2_s: float | None = None
    heat_of_combustion_kj_kg: float | None = None
    k_beta_per_m: float | None = None
    aegl_ppm: dict[int, tuple[float, float, float]] = field(default_factory=dict)
    toxic_load_exponent: float | None = None
    flash_point_c: float | None = None

    def volatile_at(self, temperature_c: float) -> bool:
        """Whether it can form a flammable vapour cloud at ``temperature_c`` (°C).

        A liquefied gas boils off at any ambient temperature; a liquid gives a flammable vapour
        above its pool only at or above its flash point (that is what the flash point measures).
        """
        if self.phase == "liquefied_gas":
            return True
        return self.flash_point_c is not None and self.flash_point_c <= temperature_c

    @property
    def pool_fire_data(self) -> bool:
        """True if the pool-fire model has all it needs for this substance."""
        return None not in (
            self.burning_rate_kg_m2_s,
            self.heat_of_combustion_kj_kg,
            self.k_beta_per_m,
        )


_NUREG = "NUREG-1805 ch. 5 spreadsheet (Babrauskas data)"
# fmt: off
_TABLE: tuple[Substance, ...] = (
    Substance(
        "gasoline", "liquid", True, False, 740.0, 100.0,
        "m'', ΔHc: NUREG-1805 tables; kβ: Babrauskas (UNVERIFIED); density typical (UNVERIFIED)",
        0.055, 43_700.0, 2.1, flash_point_c=-43.0,
    ),
    Substance(
        "diesel", "liquid", True, False, 840.0, 200.0,
        "Babrauskas via NUREG-1805 spreadsheet defaults; density typical (UNVERIFIED)",
        0.045, 44_400.0, 2.1, flash_point_c=45.0,
    ),
    Substance(
        "heavy_fuel_oil", "liquid", True, False, 980.0, 500.0,
        "Babrauskas, SFPE Handbook, from memory (UNVERIFIED); flash point: ISO 8217 minimum",
        0.035, 39_700.0, 1.7, flash_point_c=60.0,
    ),
    Substance(
        "kerosene", "liquid", True, False, 810.0, 170.0,
        "Babrauskas, SFPE Handbook, from memory (UNVERIFIED)",
        0.039, 43_200.0, 3.5, flash_point_c=38.0,
    ),
    Substance(
        "benzene", "liquid", True, True, 876.0, 78.11, _NUREG, 0.085, 40_100.0, 2.7,
        flash_point_c=-11.0,
    ),
    Substance(
        "hexane", "liquid", True, False, 655.0, 86.18, _NUREG, 0.074, 44_700.0, 1.9,
        flash_point_c=-22.0,
    ),
    Substance(
        "heptane", "liquid", True, False, 684.0, 100.2, _NUREG, 0.101, 44_600.0, 1.1,
        flash_point_c=-4.0,
    ),
    Substance("butane", "liquefied_gas", True, False, 580.0, 58.12, _NUREG, 0.078, 45_700.0, 2.7),
    Substance(
        "propane", "liquefied_gas", True, False, 585.3, 44.10,
        "density: CCPS BLEVE worked example; burning data Babrauskas (UNVERIFIED)",
        0.099, 46_000.0, 1.4,
    ),
    Substance(
        "chlorine", "liquefied_gas", False, True, 1_468.0, 70.90,
        "EPA AEGL final values for chlorine, quoted from memory (UNVERIFIED)",
        aegl_ppm={10: (0.5, 2.8, 50.0), 30: (0.5, 2.8, 28.0), 60: (0.5, 2.0, 20.0)},
        toxic_load_exponent=2.0,
    ),
)
# fmt: on

#: The substance table, keyed by canonical name (read-only).
SUBSTANCES: MappingProxyType[str, Substance] = MappingProxyType({s.name: s for s in _TABLE})

_ALIASES: MappingProxyType[str, str] = MappingProxyType(
    {
        "petrol": "gasoline",
        "汽油": "gasoline",
        "diesel_oil": "diesel",
        "柴油": "diesel",
        "煤油": "kerosene",
        "jet_fuel": "kerosene",
        "lpg": "propane",
        "液化石油气": "propane",
        "丙烷": "propane",
        "丁烷": "butane",
        "cl2": "chlorine",
        "氯": "chlorine",
        "液氯": "chlorine",
        "氯气": "chlorine",
        "苯": "benzene",
        "hfo": "heavy_fuel_oil",
        "fuel_oil": "heavy_fuel_oil",
        "bunker_fuel": "heavy_fuel_oil",
        "重油": "heavy_fuel_oil",
        "燃料油": "heavy_fuel_oil",
    }
)


def substance_names() -> tuple[str, ...]:
    """The canonical substance names, sorted."""
    return tuple(sorted(SUBSTANCES))


def get_substance(name: str, *, field_name: str = "hazard.substance") -> Substance:
    """Look a substance up by name or alias (case-insensitive, spaces as underscores).

    Raises
    ------
    HazardError
        Unknown substance; the message names ``field_name`` and lists the known names.
    """
    key = str(name).strip().lower().replace(" ", "_").replace("-", "_")
    key = _ALIASES.get(key, key)
    if key not in SUBSTANCES:
        known = ", ".join(substance_names())
        raise HazardError(f"field '{field_name}': unknown substance {name!r} (known: {known})")
    return SUBSTANCES[key]
