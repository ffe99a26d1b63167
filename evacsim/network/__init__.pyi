from .cache import (
    prepared_area as prepared_area,
)
from .graph import (
    CAR_LENGTH_M as CAR_LENGTH_M,
)
from .graph import (
    PERSONS_PER_M2 as PERSONS_PER_M2,
)
from .graph import (
    WALK_FLOW_PPS_PER_M as WALK_FLOW_PPS_PER_M,
)
from .graph import (
    WALK_SPEED_MPS as WALK_SPEED_MPS,
)
from .graph import (
    RoadNetwork as RoadNetwork,
)
from .graph import (
    build_network as build_network,
)
from .pieces import (
    PIECE_COLUMNS as PIECE_COLUMNS,
)
from .pieces import (
    RoadPieces as RoadPieces,
)
from .pieces import (
    road_pieces as road_pieces,
)
from .routing import (
    RouteTree as RouteTree,
)
from .routing import (
    car_weights as car_weights,
)
from .routing import (
    path_edges as path_edges,
)
from .routing import (
    route_tree as route_tree,
)
from .routing import (
    travel_time_matrix as travel_time_matrix,
)
from .routing import (
    walk_weights as walk_weights,
)
from .snap import (
    SnapError as SnapError,
)
from .snap import (
    SnappedArea as SnappedArea,
)
from .snap import (
    SnappedLayer as SnappedLayer,
)
from .snap import (
    node_components as node_components,
)
from .snap import (
    snap_area as snap_area,
)
from .snap import (
    snap_points as snap_points,
)
