from .ete import (
    BY as BY,
)
from .ete import (
    LEVEL_NAMES as LEVEL_NAMES,
)
from .ete import (
    PERCENTILES as PERCENTILES,
)
from .ete import (
    STAGES as STAGES,
)
from .ete import (
    ete_s as ete_s,
)
from .ete import (
    ete_table as ete_table,
)
from .ete import (
    evacuation_curves as evacuation_curves,
)
from .headline import (
    ConcentrationFlag as ConcentrationFlag,
)
from .headline import (
    FacilityFlag as FacilityFlag,
)
from .headline import (
    Headline as Headline,
)
from .headline import (
    StrandedPlace as StrandedPlace,
)
from .headline import (
    headline as headline,
)
from .places import (
    facility_points as facility_points,
)
from .places import (
    named_road_near as named_road_near,
)
from .places import (
    node_places as node_places,
)
from .places import (
    place_text as place_text,
)
from .records import (
    records as records,
)
from .routes import (
    bus_route_edges as bus_route_edges,
)
from .routes import (
    bus_tracks as bus_tracks,
)
from .routes import (
    grid_routes as grid_routes,
)
from .routes import (
    recorded_bus_leg as recorded_bus_leg,
)
from .routes import (
    timed_line as timed_line,
)
from .summary import (
    summarise as summarise,
)
from .supplies import (
    supplies_summary as supplies_summary,
)
from .tables import (
    bottlenecks as bottlenecks,
)
from .tables import (
    facilities_summary as facilities_summary,
)
from .tables import (
    facility_table as facility_table,
)
from .tables import (
    grid_table as grid_table,
)
from .tables import (
    occupancy_series as occupancy_series,
)
from .tables import (
    stranded_table as stranded_table,
)
from .teams import (
    crew_harm as crew_harm,
)
from .teams import (
    task_routes as task_routes,
)
from .teams import (
    task_tracks as task_tracks,
)
from .teams import (
    teams_summary as teams_summary,
)
from .warning import (
    GRID_TABLE_COLUMNS as GRID_TABLE_COLUMNS,
)
from .warning import (
    has_warning as has_warning,
)
from .warning import (
    last_warned_grid as last_warned_grid,
)
from .warning import (
    warning_curves as warning_curves,
)
from .warning import (
    warning_grid_table as warning_grid_table,
)
from .warning import (
    warning_summary as warning_summary,
)
from .warning import (
    warning_tables as warning_tables,
)
