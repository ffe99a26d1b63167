from .animation import (
    KINDS as KINDS,
)
from .animation import (
    MAX_AGENTS as MAX_AGENTS,
)
from .animation import (
    MAX_FRAMES as MAX_FRAMES,
)
from .animation import (
    EvacueeAnimation as EvacueeAnimation,
)
from .assembly_maps import (
    assembly_point_map as assembly_point_map,
)
from .base import (
    MapParts as MapParts,
)
from .base import (
    area_map as area_map,
)
from .base import (
    base_map as base_map,
)
from .base import (
    finish_map as finish_map,
)
from .base import (
    save_map as save_map,
)
from .layers import (
    LEVELS as LEVELS,
)
from .layers import (
    ZoneShape as ZoneShape,
)
from .layers import (
    facility_labels as facility_labels,
)
from .layers import (
    road_labels as road_labels,
)
from .layers import (
    zone_shapes as zone_shapes,
)
from .run_map import (
    congestion_color as congestion_color,
)
from .run_map import (
    evacuee_animation as evacuee_animation,
)
from .run_map import (
    run_map as run_map,
)
from .styles import (
    ROAD_STYLES as ROAD_STYLES,
)
from .styles import (
    TEAM_COLOURS as TEAM_COLOURS,
)
from .styles import (
    road_class as road_class,
)
from .teams import (
    add_team_layers as add_team_layers,
)
from .ui import (
    PAPERS as PAPERS,
)
from .ui import (
    LabelLayer as LabelLayer,
)
from .ui import (
    MapUI as MapUI,
)
from .ui import (
    page_css as page_css,
)
from .ui import (
    safe_json as safe_json,
)
from .warning_layer import (
    WARNING_BANDS as WARNING_BANDS,
)
from .warning_layer import (
    add_warning_layer as add_warning_layer,
)
from .warning_layer import (
    warning_band as warning_band,
)
from .write import (
    write_run_maps as write_run_maps,
)
