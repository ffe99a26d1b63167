from .layers import (
    Area as Area,
)
from .layers import (
    AreaValidationError as AreaValidationError,
)
from .layers import (
    coerce_value as coerce_value,
)
from .layers import (
    empty_layer as empty_layer,
)
from .layers import (
    load_area as load_area,
)
from .layers import (
    summarize_problems as summarize_problems,
)
from .osm import (
    graph_from_osm as graph_from_osm,
)
from .osm import (
    parse_lanes as parse_lanes,
)
from .osm import (
    parse_speed_kph as parse_speed_kph,
)
from .osm import (
    roads_from_osm as roads_from_osm,
)
from .osm import (
    write_roads_geojson as write_roads_geojson,
)
from .road_classes import (
    HIGHWAY_ALIASES as HIGHWAY_ALIASES,
)
from .road_classes import (
    ROAD_CLASS_DEFAULTS as ROAD_CLASS_DEFAULTS,
)
from .road_classes import (
    ROAD_CLASSES as ROAD_CLASSES,
)
from .road_classes import (
    RoadClass as RoadClass,
)
from .road_classes import (
    canonical_highway as canonical_highway,
)
from .schema import (
    AT_LEAST_ONE as AT_LEAST_ONE,
)
from .schema import (
    CATEGORY_REQUIRED as CATEGORY_REQUIRED,
)
from .schema import (
    CONTEXT_KINDS as CONTEXT_KINDS,
)
from .schema import (
    FACILITY_LAYERS as FACILITY_LAYERS,
)
from .schema import (
    LAYER_SCHEMAS as LAYER_SCHEMAS,
)
from .schema import (
    MAX_AREA_PERSONS as MAX_AREA_PERSONS,
)
from .schema import (
    MAX_GRID_PERSONS as MAX_GRID_PERSONS,
)
from .schema import (
    NON_NEGATIVE as NON_NEGATIVE,
)
from .schema import (
    POSITIVE as POSITIVE,
)
from .schema import (
    UNIT_INTERVAL as UNIT_INTERVAL,
)
from .schema import (
    Bound as Bound,
)
from .schema import (
    Column as Column,
)
from .schema import (
    LayerSchema as LayerSchema,
)
from .schema import (
    file_name_of as file_name_of,
)
from .schema import (
    schema_markdown as schema_markdown,
)
