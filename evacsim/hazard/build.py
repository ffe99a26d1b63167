"""Threat zones: from a hazard source, a substance, a release and the weather to nested polygons.

A hazard model turns one or more sources (ids in the area's ``hazard_sources`` layer, or a point
given in lon/lat) into :class:`ThreatZones`: a timeline of frames ``(t_s, {level: polygon})`` in
the area's projected metric CRS, with levels ordered ``("red", "orange", "yellow")`` (red
innermost) and nested red ⊂ orange ⊂ yellow. Each level carries the threshold it stands for.

Models (``hazard.model``), physics in :mod:`evacsim.hazard`:

``radius``
    Fixed radii per level (the district plan's practice); zones appear at ``start_s``.
``pool_fire``
    NUREG-1805 point-source radiation from the dike area and the fuel's burning data; 10/5/2 kW/m²
    (ALOHA levels of concern). Tanks burning together add their fluxes: a level's zone is where
    the summed flux reaches its threshold (contoured on a grid, :mod:`evacsim.hazard.contours`;
    one tank: its circle to 0.6 %), plus the pools. Optional escalation to neighbouring tanks
    (domino, below).
``bleve``
    CCPS fireball (diameter, duration, view factor, E = 350 kW/m²) for pressurised liquefied
    flammable gas; 10/5/2 kW/m².
``vce``
    TNT equivalence with Kinney–Graham overpressure (ground burst by default); 8/3.5/1 psi.
    Without ``mass_kg`` the whole inventory is taken as the cloud (EPA RMP worst case).
``toxic_plume``
    Gaussian plume (Briggs σ, stability A–F, ``dispersion`` ``rural`` for open country or
    ``urban`` for built-up areas); levels AEGL-3/2/1 of the substance
    (``aegl_duration_min``). Without ``release_rate_kg_s`` the inventory is released over
    ``release_duration_s`` (EPA RMP worst case for a gas: 10 minutes). Calm fallback: below
    1 m/s the plume is computed at 1 m/s and drawn as a disk (the direction is unknown in calm
    air), with a warning.

Worst case (``hazard.worst_case``, e.g. ``["bleve", "vce"]``): the zones of further fire and
blast models at the same sources, built with the same fields (their own default thresholds, no
domino), are united level by level with the main model's (red ∪ red, ...): the envelope a planner
acts on when the outcome is uncertain. The united zones keep the main model's thresholds and
join the labels; ``model`` becomes ``"<model>+<model>..."``.

Time: fire, fireball and explosion zones appear at ``start_s`` and stay (roads stay closed); a
plume's zones follow the cloud, whose front is at ``u (t − start_s)``, in frames every
``frame_interval_s``. Domino: a tank whose received flux (sum of the burning tanks' point-source
fluxes) stays above ``domino_threshold_kw_m2`` for ``domino_time_s`` ignites; from then on a new
frame holds the zones of the summed flux of every tank burning (wider than the union of their
circles: between tanks and, when many burn, far beyond); fires are assumed to burn for the whole
horizon. Zones, domino model and in-run harm (:class:`~evacsim.hazard.harm.HarmField`) share one
sum, :func:`~evacsim.hazard.harm.summed_flux_kw_m2`: outside a level's zone the harm field's
flux is below the level's threshold (to the grid's accuracy).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from evacsim.errors import HazardError
from evacsim.hazard.blast import overpressure_distance_m, tnt_equivalent_kg
from evacsim.hazard.contours import flux_level_sets
from evacsim.hazard.fire import (
    fireball_diameter_m,
    fireball_distance_m,
    fireball_duration_s,
    fireball_flux_kw_m2,
    point_source_distance_m,
)
from evacsim.hazard.harm import (
    BlastSource,
    Fireball,
    HarmField,
    PoolFireEmitter,
    summed_flux_kw_m2,
)
from evacsim.hazard.plume import BRIGGS_MAX_DISTANCE_M, MIN_WIND_M_S, GaussianPlume
from evacsim.hazard.sources import Source, build_sources, resolve_sources
from evacsim.hazard.spec import LEVELS, HazardSpec, WeatherSpec, check_spec
from evacsim.hazard.substances import Substance
from evacsim.hazard.zones import Frame, ThreatLevel, ThreatZones, empty_geometry

__all__ = ["MAX_THREAT_DISTANCE_M", "build_threat_zones", "calculate"]

log = logging.getLogger(__name__)

#: The farthest a threat zone may reach (m). Past it a value is a slip (a radius of 1e9 m), and
#: the zone polygons would overflow GEOS; the toxic plume is truncated at 10 km anyway.
MAX_THREAT_DISTANCE_M = 100_000.0


_FLUX_LABELS = ("potentially lethal within 60 s", "2nd-degree burns within 60 s",
                "pain within 60 s")  # fmt: skip

_PSI_LABELS = ("destruction of buildings", "serious injury likely", "shatters glass")

_AEGL_LABELS = ("life-threatening effects or death", "irreversible or serious effects",
                "notable discomfort")  # fmt: skip


def _threat_levels(spec: HazardSpec, substance: Substance | None) -> tuple[ThreatLevel, ...]:
    """Levels with thresholds: the spec's override, else the model's default."""
    names: tuple[str, ...]
    if spec.model == "radius":
        assert spec.radii_m is not None
        return tuple(
            ThreatLevel(lv, r, "m", f"within {r:g} m (fixed plan radius)")
            for lv, r in zip(LEVELS, spec.radii_m.as_tuple(), strict=True)
        )
    if spec.model in ("pool_fire", "bleve"):
        unit, values, names = "kW/m²", (10.0, 5.0, 2.0), _FLUX_LABELS
    elif spec.model == "vce":
        unit, values, names = "psi", (8.0, 3.5, 1.0), _PSI_LABELS
    else:
        assert substance is not None
        unit, names = "ppm", _AEGL_LABELS
        aegl = substance.aegl_ppm.get(spec.aegl_duration_min)
        values = (aegl[2], aegl[1], aegl[0]) if aegl else (0.0, 0.0, 0.0)
        if aegl and spec.thresholds is None:
            dur = spec.aegl_duration_min
            names = tuple(f"AEGL-{3 - i} ({dur} min): {n}" for i, n in enumerate(names))
    if spec.thresholds is not None:
        values, names = spec.thresholds.as_tuple(), ("user threshold",) * 3
    return tuple(
        ThreatLevel(lv, v, unit, f"{v:g} {unit} — {n}")
        for lv, v, n in zip(LEVELS, values, names, strict=True)
    )


# --------------------------------------------------------------------------- per-source models


@dataclass
class _Built:
    """One source's zones: frames (none for a pool fire: fires burning together are drawn at
    once, :func:`_fire_frames`), distances per level, model outputs, plume, warnings."""

    frames: list[Frame]
    distances_m: tuple[float, float, float]
    outputs: dict[str, Any]
    plume: GaussianPlume | None = None
    warnings: list[str] = field(default_factory=list)
    emitter: PoolFireEmitter | Fireball | BlastSource | None = None  # for the harm field


def _disks(src: Source, radii: tuple[float, ...], t_s: float) -> list[Frame]:
    polys: dict[str, BaseGeometry] = {
        lv: Point(src.x_m, src.y_m).buffer(r, quad_segs=16) if r > 0 else empty_geometry()
        for lv, r in zip(LEVELS, radii, strict=True)
    }
    return [(t_s, polys)]


def _radius(spec: HazardSpec, src: Source, levels: tuple[ThreatLevel, ...]) -> _Built:
    radii = tuple(lv.threshold for lv in levels)
    return _Built(_disks(src, radii, spec.start_s), radii, {})  # type: ignore[arg-type]


def _pool_fire(spec: HazardSpec, src: Source, levels: tuple[ThreatLevel, ...]) -> _Built:
    hrr_kw, diameter_m = src.pool_fire(spec)
    radii = tuple(
        max(
            point_source_distance_m(
                hrr_kw, lv.threshold, radiative_fraction=spec.radiative_fraction
            ),
            diameter_m / 2.0,
        )
        for lv in levels
    )
    outputs = {
        "hrr_kw": hrr_kw,
        "pool_diameter_m": diameter_m,
        "substance": src.substance_for(spec).name,
    }
    emitter = PoolFireEmitter(
        src.x_m, src.y_m, hrr_kw, spec.radiative_fraction, diameter_m, spec.start_s
    )
    # no frames of its own: fires burning together add up (_fire_frames draws them all at once)
    return _Built([], radii, outputs, emitter=emitter)  # type: ignore[arg-type]


def _bleve(spec: HazardSpec, src: Source, levels: tuple[ThreatLevel, ...]) -> _Built:
    mass_kg = src.bleve_mass_kg(spec)
    diameter_m = fireball_diameter_m(mass_kg)
    kwargs = {"emissive_power_kw_m2": spec.emissive_power_kw_m2,
              "transmissivity": spec.transmissivity}  # fmt: skip
    radii = tuple(fireball_distance_m(lv.threshold, diameter_m, **kwargs) for lv in levels)
    outputs = {
        "mass_kg": mass_kg,
        "fireball_diameter_m": diameter_m,
        "fireball_duration_s": fireball_duration_s(mass_kg),
        "flux_at_100_m_kw_m2": float(fireball_flux_kw_m2(100.0, diameter_m, **kwargs)),
    }
    emitter = Fireball(
        src.x_m, src.y_m, diameter_m, spec.emissive_power_kw_m2, spec.transmissivity,
        spec.start_s, outputs["fireball_duration_s"],
    )  # fmt: skip
    frames = _disks(src, radii, spec.start_s)
    return _Built(frames, radii, outputs, emitter=emitter)  # type: ignore[arg-type]


def _vce(
    spec: HazardSpec, src: Source, levels: tuple[ThreatLevel, ...], weather: WeatherSpec
) -> _Built:
    mass_kg, heat_kj_kg = src.vce_fuel(spec, weather.temperature_c)
    w_tnt = tnt_equivalent_kg(mass_kg, heat_kj_kg, yield_factor=spec.yield_factor)
    radii = tuple(
        overpressure_distance_m(w_tnt, lv.threshold, ground_burst=spec.ground_burst)
        for lv in levels
    )
    outputs = {"fuel_mass_kg": mass_kg, "w_tnt_kg": w_tnt, "yield_factor": spec.yield_factor}
    emitter = BlastSource(src.x_m, src.y_m, w_tnt, spec.ground_burst, spec.start_s)
    frames = _disks(src, radii, spec.start_s)
    return _Built(frames, radii, outputs, emitter=emitter)  # type: ignore[arg-type]


def _toxic_plume(
    spec: HazardSpec, src: Source, levels: tuple[ThreatLevel, ...], weather: WeatherSpec
) -> _Built:
    rate_kg_s, substance = src.release_rate_kg_s(spec)
    warnings: list[str] = []
    calm = weather.wind_speed_m_s < MIN_WIND_M_S
    if calm:
        warnings.append(
            f"hazard source {src.id!r}: wind {weather.wind_speed_m_s} m/s is below "
            f"{MIN_WIND_M_S} m/s: calm fallback, plume computed at {MIN_WIND_M_S} m/s "
            "and drawn in every direction"
        )
    plume = GaussianPlume(
        release_rate_kg_s=rate_kg_s,
        wind_speed_m_s=max(weather.wind_speed_m_s, MIN_WIND_M_S),
        stability=weather.stability,
        molar_mass_g_mol=substance.molar_mass_g_mol,
        thresholds_ppm=tuple(lv.threshold for lv in levels),  # type: ignore[arg-type]
        x0_m=src.x_m,
        y0_m=src.y_m,
        wind_from_deg=weather.wind_from_deg,
        source_height_m=spec.source_height_m,
        temperature_c=weather.temperature_c,
        averaging_time_s=spec.averaging_time_s,
        start_s=spec.start_s,
        duration_s=spec.release_duration_s,
        omnidirectional=calm,
        dispersion=spec.dispersion,
    )
    lengths = tuple(length for _, length, _ in plume.footprints)
    if lengths[2] >= BRIGGS_MAX_DISTANCE_M:
        warnings.append(
            f"hazard source {src.id!r}: the yellow footprint reaches the Gaussian model's "
            f"{BRIGGS_MAX_DISTANCE_M:g} m limit and is truncated there"
        )
    u = plume.wind_speed_m_s
    end_s = spec.start_s + spec.release_duration_s + max(lengths) / u
    n = math.ceil((end_s - spec.start_s) / spec.frame_interval_s) + 1
    times = spec.start_s + spec.frame_interval_s * np.arange(n + 1)
    frames = [(float(t), dict(zip(LEVELS, plume.frame(float(t)), strict=True))) for t in times]
    outputs = {
        "release_rate_kg_s": rate_kg_s,
        "release_duration_s": spec.release_duration_s,
        "wind_speed_used_m_s": u,
        "downwind_length_m": dict(zip(LEVELS, lengths, strict=True)),
        "max_width_m": {lv: fp[2] for lv, fp in zip(LEVELS, plume.footprints, strict=True)},
        "front_arrival_s": {
            lv: spec.start_s + d / u for lv, d in zip(LEVELS, lengths, strict=True)
        },
    }
    return _Built(frames, lengths, outputs, plume, warnings)  # type: ignore[arg-type]


def _where(source_id: str) -> str:
    """A source for a message: its id, or the point a scenario's ``at`` gave."""
    return "the point given by 'at'" if source_id == "at" else source_id


def _check_reach(spec: HazardSpec, where: str, distances_m: tuple[float, ...]) -> None:
    for level, distance_m in zip(LEVELS, distances_m, strict=True):
        if not distance_m <= MAX_THREAT_DISTANCE_M:
            raise HazardError(
                f"hazard {spec.model!r} at {where}: the {level} zone would reach "
                f"{distance_m:.3g} m, beyond the {MAX_THREAT_DISTANCE_M / 1000:.0f} km evacsim "
                "models; check the hazard's parameters"
            )


def _build_one(
    spec: HazardSpec, src: Source, levels: tuple[ThreatLevel, ...], weather: WeatherSpec
) -> _Built:
    built = _build_model(spec, src, levels, weather)
    _check_reach(spec, _where(src.id), built.distances_m)
    return built


def _build_model(
    spec: HazardSpec, src: Source, levels: tuple[ThreatLevel, ...], weather: WeatherSpec
) -> _Built:
    if spec.model == "radius":
        # before any polygon
        _check_reach(spec, _where(src.id), tuple(lv.threshold for lv in levels))
        return _radius(spec, src, levels)
    if spec.model == "pool_fire":
        return _pool_fire(spec, src, levels)
    if spec.model == "bleve":
        return _bleve(spec, src, levels)
    if spec.model == "vce":
        return _vce(spec, src, levels, weather)
    return _toxic_plume(spec, src, levels, weather)


# --------------------------------------------------------------------------- timeline


def _nest(polys: dict[str, BaseGeometry]) -> dict[str, BaseGeometry]:
    """Enforce red ⊂ orange ⊂ yellow by taking unions outward."""
    red = polys["red"]
    orange = shapely.union(polys["orange"], red)
    yellow = shapely.union(polys["yellow"], orange)
    nested = {"red": red, "orange": orange, "yellow": yellow}
    return {lv: empty_geometry() if g.is_empty else g for lv, g in nested.items()}


def _merge_timelines(timelines: list[list[Frame]]) -> list[Frame]:
    """Union of several sources' timelines: one frame per distinct time, nested."""
    times = sorted({t for frames in timelines for t, _ in frames})
    merged: list[Frame] = []
    for t in times:
        parts: dict[str, list[BaseGeometry]] = {lv: [] for lv in LEVELS}
        for frames in timelines:
            current = [f for ft, f in frames if ft <= t]
            if current:
                for lv in LEVELS:
                    parts[lv].append(current[-1][lv])
        merged.append((t, _nest({lv: shapely.union_all(parts[lv]) for lv in LEVELS})))
    return merged


def _fire_frames(
    fires: list[PoolFireEmitter], levels: tuple[ThreatLevel, ...]
) -> tuple[list[Frame], list[str]]:
    """Pool-fire zones: a frame per ignition time, each level the region where the summed flux of
    the tanks burning by then reaches its threshold (:mod:`evacsim.hazard.contours`); and a
    warning per frame whose grid had to be coarsened past 1 % radius error."""
    frames: list[Frame] = []
    warnings: list[str] = []
    for t in sorted({f.t_on_s for f in fires}):
        sets = flux_level_sets(fires, t, [lv.threshold for lv in levels])
        frames.append((t, _nest(dict(zip(LEVELS, sets.polygons, strict=True)))))
        worst = max(sets.radius_error)
        if worst > 0.01:
            warnings.append(
                f"pool fire zones at t = {t:g} s: the fires spread too far for the contour grid "
                f"({max(sets.cell_m):.0f} m cells); zone edges may lie up to {100 * worst:.1f} % "
                "inside the true radius"
            )
    return frames, warnings


def _domino(
    spec: HazardSpec, fires: list[PoolFireEmitter], candidates: list[Source]
) -> list[tuple[float, Source, float]]:
    """Escalation sequence: (ignition time s, tank, received flux kW/m² at ignition).

    A tank ignites ``domino_time_s`` after the summed point-source flux (NUREG-1805) from the
    burning tanks first reaches ``domino_threshold_kw_m2``; fires are not put out, so fluxes only
    grow and the next ignition is always the earliest pending one. Neighbours burn with their own
    substance and dike area (the spec's overrides apply to the initiating source only).
    """
    own = spec.model_copy(update={"substance": None, "dike_area_m2": None})
    lit = {(f.x_m, f.y_m) for f in fires}
    waiting = [c for c in candidates if (c.x_m, c.y_m) not in lit]
    x_m = np.array([c.x_m for c in waiting], dtype=float)
    y_m = np.array([c.y_m for c in waiting], dtype=float)
    received = np.zeros(len(waiting))  # kW/m² from every fire so far, at each waiting tank
    reached_s = np.full(len(waiting), math.inf)  # when that first reached the threshold
    burning = np.zeros(len(waiting), dtype=bool)

    def burn(fire: PoolFireEmitter) -> None:
        # fires ignite in time order, so the running sum is the summed flux from then on
        received[:] += summed_flux_kw_m2([fire], x_m, y_m, fire.t_on_s)
        reached_s[(received >= spec.domino_threshold_kw_m2) & np.isinf(reached_s)] = fire.t_on_s

    for fire in sorted(fires, key=lambda f: f.t_on_s):
        burn(fire)
    events: list[tuple[float, Source, float]] = []
    while True:
        pending = np.flatnonzero(~burning & np.isfinite(reached_s))
        if pending.size == 0:
            break
        i = min(pending, key=lambda k: (reached_s[k], waiting[k].id))
        t, tank, flux = float(reached_s[i]) + spec.domino_time_s, waiting[i], float(received[i])
        hrr_kw, diameter_m = tank.pool_fire(own)
        burning[i] = True
        burn(PoolFireEmitter(tank.x_m, tank.y_m, hrr_kw, spec.radiative_fraction, diameter_m, t))
        events.append((t, tank, flux))
        log.info("domino: %s ignites at %.0f s (received %.1f kW/m²)", tank.id, t, flux)
    return events


def build_threat_zones(
    spec: HazardSpec,
    weather: WeatherSpec,
    *,
    hazard_sources: gpd.GeoDataFrame,
    crs: Any,
    extent: BaseGeometry | None = None,
) -> ThreatZones:
    """Build the threat zones of a scenario's hazard in the area's projected CRS.

    Parameters
    ----------
    spec, weather
        The scenario's ``[hazard]`` and ``[weather]`` tables.
    hazard_sources
        The area's ``hazard_sources`` layer, projected to ``crs`` (docs/contracts.md).
    crs
        The area's projected metric CRS; ``hazard.at`` (lon/lat, WGS-84) is projected to it.
    extent
        Optional area outline in ``crs``; a hazard whose final yellow zone misses it gets a
        warning (and evacuates nobody).

    Raises
    ------
    HazardError
        Unknown source id or substance, a missing field, a parameter outside a model's validity.
    """
    check_spec(spec, weather)
    crs = pyproj.CRS.from_user_input(crs)
    sources = resolve_sources(spec, hazard_sources, crs)
    substance = sources[0].substance_for(spec) if spec.model == "toxic_plume" else None
    levels = _check_levels(spec, substance)
    built = [(src, _build_one(spec, src, levels, weather)) for src in sources]
    escalation: list[tuple[float, str, float]] = []
    if spec.domino:
        fires = [b.emitter for _, b in built if isinstance(b.emitter, PoolFireEmitter)]
        candidates = [s for s in build_sources(hazard_sources) if s.can_burn(spec)]
        own = spec.model_copy(update={"substance": None, "dike_area_m2": None})
        for t, tank, flux in _domino(spec, fires, candidates):
            built.append((tank, _pool_fire(own.model_copy(update={"start_s": t}), tank, levels)))
            escalation.append((t, tank.id, flux))
    warnings = [w for _, b in built for w in b.warnings]
    if spec.model == "pool_fire":  # fires burning together add up: one timeline for them all
        # together they reach at most as far as one fire with their summed heat release
        together = np.sqrt(np.sum(np.square([b.distances_m for _, b in built]), axis=0))
        _check_reach(spec, f"{len(built)} tanks burning together", tuple(together))
        emitters = [b.emitter for _, b in built if isinstance(b.emitter, PoolFireEmitter)]
        timeline, grid_warnings = _fire_frames(emitters, levels)
        warnings += grid_warnings
    else:
        timeline = _merge_timelines([b.frames for _, b in built])
    plumes = tuple(b.plume for _, b in built if b.plume is not None)
    zones = ThreatZones(
        model=spec.model,
        levels=levels,
        timeline=tuple(timeline),
        crs=crs,
        sources=tuple((s.id, s.x_m, s.y_m) for s, _ in built),
        evacuate=spec.evacuate,
        closure_level=spec.closure_level,
        escalation=tuple(escalation),
        outputs={s.id: b.outputs for s, b in built},
        warnings=tuple(warnings),
        plumes=plumes,
        aegl_duration_min=spec.aegl_duration_min if substance is not None else None,
        toxic_load_exponent=substance.toxic_load_exponent if substance is not None else None,
        harm=_harm(spec, levels, substance, plumes, [b.emitter for _, b in built]),
    )
    if spec.worst_case:
        zones = _unite(zones, [
            build_threat_zones(o, weather, hazard_sources=hazard_sources, crs=crs)
            for o in _worst_case_specs(spec)
        ])  # fmt: skip
    if extent is not None and not zones.final()["yellow"].intersects(extent):
        ids = ", ".join(_where(s.id) for s in sources)
        msg = f"hazard {spec.model!r} at {ids}: entirely outside the area, nobody to evacuate"
        zones = _with_warning(zones, msg)
    for w in zones.warnings:
        log.warning(w)
    return zones


def _unite(main: ThreatZones, others: list[ThreatZones]) -> ThreatZones:
    """The level-by-level union of several models' zones (``hazard.worst_case``)."""
    every = [main, *others]
    levels = tuple(
        replace(lv, label=" ∪ ".join(f"{z.levels[i].label} ({z.model})" for z in every))
        for i, lv in enumerate(main.levels)
    )
    sources = {s[0]: s for z in every for s in z.sources}
    return replace(
        main,
        model="+".join(z.model for z in every),
        levels=levels,
        timeline=tuple(_merge_timelines([list(z.timeline) for z in every])),
        sources=tuple(sources[k] for k in sorted(sources)),
        outputs={z.model: z.outputs for z in every},
        warnings=tuple(w for z in every for w in z.warnings),
    )


def _harm(
    spec: HazardSpec,
    levels: tuple[ThreatLevel, ...],
    substance: Substance | None,
    plumes: tuple[GaussianPlume, ...],
    emitters: list[PoolFireEmitter | Fireball | BlastSource | None],
) -> HarmField | None:
    """The hazard's harm field (:mod:`evacsim.hazard.harm`); ``None`` for fixed radii."""
    if spec.model == "toxic_plume":
        assert substance is not None
        return HarmField(
            "toxic", plumes=plumes, c_ref_ppm=levels[0].threshold,
            t_ref_min=spec.aegl_duration_min, exponent=substance.toxic_load_exponent or 1.0,
        )  # fmt: skip
    if spec.model in ("pool_fire", "bleve"):
        return HarmField(
            "thermal",
            fires=tuple(e for e in emitters if isinstance(e, PoolFireEmitter)),
            fireballs=tuple(e for e in emitters if isinstance(e, Fireball)),
        )
    if spec.model == "vce":
        blasts = tuple(e for e in emitters if isinstance(e, BlastSource))
        return HarmField("blast", blasts=blasts, casualty_psi=levels[0].threshold)
    return None


def _with_warning(zones: ThreatZones, msg: str) -> ThreatZones:
    return replace(zones, warnings=(*zones.warnings, msg))


def _check_levels(spec: HazardSpec, substance: Substance | None) -> tuple[ThreatLevel, ...]:
    if substance is not None and not substance.toxic:
        raise HazardError(
            f"field 'hazard.substance': {substance.name!r} is not toxic; model 'toxic_plume' "
            "needs a toxic substance (e.g. chlorine)"
        )
    levels = _threat_levels(spec, substance)
    if spec.model == "toxic_plume" and levels[0].threshold <= 0:
        assert substance is not None
        raise HazardError(
            f"field 'hazard.thresholds': substance {substance.name!r} has no AEGL values for "
            f"{spec.aegl_duration_min} min; give hazard.thresholds in ppm"
        )
    return levels


def calculate(
    spec: HazardSpec, weather: WeatherSpec, *, hazard_sources: gpd.GeoDataFrame | None = None
) -> dict[str, Any]:
    """The quick calculator: per level threshold, unit, label and distance, plus model outputs.

    Without ``hazard_sources`` the source is described by the spec alone (``substance``,
    ``dike_area_m2``, ``mass_kg``, ``capacity_m3``, ``release_rate_kg_s``) and placed at (0, 0)
    of a local metric frame. For a plume, ``distance_m`` is the downwind length and
    ``max_width_m`` the footprint's largest width.
    """
    check_spec(spec, weather)
    if hazard_sources is not None and spec.source is not None:
        src = resolve_sources(spec, hazard_sources, None)[0]
    else:
        src = Source.from_spec(spec)
    substance = src.substance_for(spec) if spec.model == "toxic_plume" else None
    levels = _check_levels(spec, substance)
    built = _build_one(spec, src, levels, weather)
    result: dict[str, Any] = {"model": spec.model, "source": src.id, "levels": {}}
    for i, lv in enumerate(levels):
        entry: dict[str, Any] = {"threshold": lv.threshold, "unit": lv.unit, "label": lv.label,
                                 "distance_m": round(built.distances_m[i], 1)}  # fmt: skip
        if built.plume is not None:
            entry["max_width_m"] = round(built.plume.footprints[i][2], 1)
        result["levels"][lv.name] = entry
    result["outputs"] = built.outputs
    result["warnings"] = built.warnings
    if spec.worst_case:
        result = _unite_calculated(result, [
            calculate(o, weather, hazard_sources=hazard_sources) for o in _worst_case_specs(spec)
        ])  # fmt: skip
    return result


def _worst_case_specs(spec: HazardSpec) -> list[HazardSpec]:
    """The further models of ``hazard.worst_case``, each on the same source with its own
    default thresholds (no domino, no worst case of their own)."""
    keep = {"worst_case": (), "domino": False, "thresholds": None, "radii_m": None}
    return [spec.model_copy(update={**keep, "model": m}) for m in spec.worst_case]


def _unite_calculated(main: dict[str, Any], others: list[dict[str, Any]]) -> dict[str, Any]:
    """The quick calculator's answer for ``hazard.worst_case``: per level the farthest distance
    of the models (as :func:`_unite` unites their zones), and each model's threshold and
    distance in ``by_model``."""
    every = [main, *others]
    levels: dict[str, Any] = {}
    for name in main["levels"]:
        per = {r["model"]: r["levels"][name] for r in every}
        levels[name] = {
            "distance_m": max(p["distance_m"] for p in per.values()),
            "label": " ∪ ".join(f"{p['label']} ({m})" for m, p in per.items()),
            "by_model": {
                m: {k: p[k] for k in ("threshold", "unit", "distance_m")} for m, p in per.items()
            },
        }
    return {
        "model": "+".join(r["model"] for r in every),
        "source": main["source"],
        "levels": levels,
        "outputs": {r["model"]: r["outputs"] for r in every},
        "warnings": [w for r in every for w in r["warnings"]],
    }
