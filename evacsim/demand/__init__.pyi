from .groups import (
    GROUP_COLUMNS as GROUP_COLUMNS,
)
from .groups import (
    LEVEL_OUTSIDE as LEVEL_OUTSIDE,
)
from .groups import (
    LEVELS as LEVELS,
)
from .groups import (
    MEAN_HOUSEHOLD_PERSONS as MEAN_HOUSEHOLD_PERSONS,
)
from .groups import (
    Demand as Demand,
)
from .groups import (
    build_demand as build_demand,
)
from .groups import (
    car_person_share as car_person_share,
)
from .groups import (
    grid_threat_levels as grid_threat_levels,
)
from .groups import (
    largest_remainder as largest_remainder,
)
from .groups import (
    origin_candidates as origin_candidates,
)
