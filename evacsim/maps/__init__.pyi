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
    arrivals_svg as arrivals_svg,
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
from .run_map import (
    used_assembly_points as used_assembly_points,
)
from .teams import (
    TEAM_COLOURS as TEAM_COLOURS,
)
from .teams import (
    add_team_layers as add_team_layers,
)
from .warning_layer import (
    add_warning_layer as add_warning_layer,
)
from .write import (
    write_run_maps as write_run_maps,
)
