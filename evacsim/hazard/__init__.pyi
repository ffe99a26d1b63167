from .blast import (
    ATMOSPHERE_PSI as ATMOSPHERE_PSI,
)
from .blast import (
    kinney_graham_ratio as kinney_graham_ratio,
)
from .blast import (
    overpressure_distance_m as overpressure_distance_m,
)
from .blast import (
    scaled_distance_for_overpressure as scaled_distance_for_overpressure,
)
from .blast import (
    tnt_equivalent_kg as tnt_equivalent_kg,
)
from .build import (
    MAX_THREAT_DISTANCE_M as MAX_THREAT_DISTANCE_M,
)
from .build import (
    build_threat_zones as build_threat_zones,
)
from .build import (
    calculate as calculate,
)
from .contours import (
    CELLS_PER_RADIUS as CELLS_PER_RADIUS,
)
from .contours import (
    MAX_GRID_POINTS as MAX_GRID_POINTS,
)
from .contours import (
    LevelSets as LevelSets,
)
from .contours import (
    flux_level_sets as flux_level_sets,
)
from .exposure import (
    dose_ppm_min as dose_ppm_min,
)
from .exposure import (
    exposure_along as exposure_along,
)
from .exposure import (
    exposure_summary as exposure_summary,
)
from .exposure import (
    fed_rate_per_min as fed_rate_per_min,
)
from .exposure import (
    incapacitation_time_s as incapacitation_time_s,
)
from .exposure import (
    purser_fed_time_s as purser_fed_time_s,
)
from .exposure import (
    sample_trajectory as sample_trajectory,
)
from .exposure import (
    time_in_levels as time_in_levels,
)
from .exposure import (
    toxic_fed as toxic_fed,
)
from .fire import (
    fireball_diameter_m as fireball_diameter_m,
)
from .fire import (
    fireball_distance_m as fireball_distance_m,
)
from .fire import (
    fireball_duration_s as fireball_duration_s,
)
from .fire import (
    fireball_flux_kw_m2 as fireball_flux_kw_m2,
)
from .fire import (
    fireball_view_factor as fireball_view_factor,
)
from .fire import (
    point_source_distance_m as point_source_distance_m,
)
from .fire import (
    point_source_flux_kw_m2 as point_source_flux_kw_m2,
)
from .fire import (
    pool_diameter_m as pool_diameter_m,
)
from .fire import (
    pool_fire_hrr_kw as pool_fire_hrr_kw,
)
from .harm import (
    INCAPACITATION_R as INCAPACITATION_R,
)
from .harm import (
    THERMAL_FLOOR_KW_M2 as THERMAL_FLOOR_KW_M2,
)
from .harm import (
    BlastSource as BlastSource,
)
from .harm import (
    Fireball as Fireball,
)
from .harm import (
    HarmField as HarmField,
)
from .harm import (
    HarmKind as HarmKind,
)
from .harm import (
    PointTimeline as PointTimeline,
)
from .harm import (
    PoolFireEmitter as PoolFireEmitter,
)
from .harm import (
    summed_flux_kw_m2 as summed_flux_kw_m2,
)
from .harm import (
    thermal_dose_tdu as thermal_dose_tdu,
)
from .harm import (
    thermal_fed_rate_per_s as thermal_fed_rate_per_s,
)
from .plume import (
    BRIGGS_MAX_DISTANCE_M as BRIGGS_MAX_DISTANCE_M,
)
from .plume import (
    DISPERSION as DISPERSION,
)
from .plume import (
    MIN_WIND_M_S as MIN_WIND_M_S,
)
from .plume import (
    GaussianPlume as GaussianPlume,
)
from .plume import (
    briggs_sigmas_m as briggs_sigmas_m,
)
from .sources import (
    Source as Source,
)
from .sources import (
    build_sources as build_sources,
)
from .sources import (
    resolve_sources as resolve_sources,
)
from .spec import (
    LEVELS as LEVELS,
)
from .spec import (
    HazardSpec as HazardSpec,
)
from .spec import (
    LevelValues as LevelValues,
)
from .spec import (
    RadiiSpec as RadiiSpec,
)
from .spec import (
    WeatherSpec as WeatherSpec,
)
from .spec import (
    check_spec as check_spec,
)
from .stability import (
    M_S_PER_KNOT as M_S_PER_KNOT,
)
from .stability import (
    insolation_class as insolation_class,
)
from .stability import (
    is_night as is_night,
)
from .stability import (
    net_radiation_index as net_radiation_index,
)
from .stability import (
    pasquill_turner as pasquill_turner,
)
from .stability import (
    solar_altitude_deg as solar_altitude_deg,
)
from .stability import (
    turner_class as turner_class,
)
from .substances import (
    SUBSTANCES as SUBSTANCES,
)
from .substances import (
    Substance as Substance,
)
from .substances import (
    get_substance as get_substance,
)
from .substances import (
    substance_names as substance_names,
)
from .zones import (
    ThreatLevel as ThreatLevel,
)
from .zones import (
    ThreatZones as ThreatZones,
)
