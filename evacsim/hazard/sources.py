"""The physics of the hazard models: pool fire, BLEVE fireball, TNT equivalence, Gaussian plume.

Plain functions of numbers (scalars or numpy arrays), in SI units with the unit in each name, plus
:class:`GaussianPlume`, which turns a continuous toxic release into concentrations and footprints
in a projected metric CRS. :mod:`evacsim.hazard` turns these into threat zones.

Formulas and worked examples: ``/work/shared/reference/hazard_reference.md``; each function names
its source.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pyproj

from evacsim.errors import HazardError
from evacsim.hazard.fire import pool_diameter_m, pool_fire_hrr_kw
from evacsim.hazard.substances import Substance, get_substance

if TYPE_CHECKING:
    from evacsim.hazard.spec import HazardSpec

__all__ = ["Source", "build_sources", "resolve_sources"]


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
            what = "a liquid at atmospheric pressure, " if sub.phase == "liquid" else ""
            raise HazardError(
                f"{self._where()}field 'hazard.substance': {sub.name!r} is {what}not a "
                "pressurised liquefied flammable gas; model 'bleve' needs one (e.g. propane, "
                "butane)"
            )
        if self.category == "tank":
            kind = (self.kind or "").lower()
            if not any(k in kind for k in _PRESSURISED):
                raise HazardError(
                    f"hazard source {self.id!r}: field 'kind': {self.kind!r} is not a pressurised "
                    "tank; model 'bleve' needs one"
                )
        return self.inventory_kg_for(spec, sub)

    def vce_fuel(self, spec: HazardSpec, temperature_c: float) -> tuple[float, float]:
        """(fuel mass in the cloud kg, heat of combustion kJ/kg) for TNT equivalence.

        Only a substance that forms a flammable vapour cloud at the air temperature qualifies: a
        liquefied gas, or a liquid at or above its flash point (diesel, heavy fuel oil do not).
        """
        sub = self.substance_for(spec)
        if not sub.flammable or sub.heat_of_combustion_kj_kg is None:
            raise HazardError(
                f"{self._where()}field 'hazard.substance': {sub.name!r} is not flammable; "
                "model 'vce' needs a flammable substance"
            )
        if not sub.volatile_at(temperature_c):
            raise HazardError(
                f"{self._where()}field 'hazard.substance': {sub.name!r} is a non-volatile liquid "
                f"(flash point {sub.flash_point_c:g} °C, air {temperature_c:g} °C): it forms no "
                "vapour cloud; model 'vce' needs a liquefied gas or a volatile liquid "
                "(e.g. propane, gasoline)"
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
