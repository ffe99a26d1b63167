from .bound import (
    STEP_CANDIDATES_S as STEP_CANDIDATES_S,
)
from .bound import (
    Bound as Bound,
)
from .bound import (
    choose_step_s as choose_step_s,
)
from .bound import (
    clearance_bound as clearance_bound,
)
from .bound import (
    official_demand as official_demand,
)
from .ccrp import (
    Booked as Booked,
)
from .ccrp import (
    ccrp as ccrp,
)
from .networks import (
    LEVEL_OUTSIDE as LEVEL_OUTSIDE,
)
from .networks import (
    Networks as Networks,
)
from .search import (
    Candidate as Candidate,
)
from .search import (
    Optimized as Optimized,
)
from .search import (
    harm as harm,
)
from .search import (
    optimize as optimize,
)
from .search import (
    stage1_objective as stage1_objective,
)
from .ten import (
    StaticNetwork as StaticNetwork,
)
from .ten import (
    TenResult as TenResult,
)
from .ten import (
    per_step_capacity as per_step_capacity,
)
from .ten import (
    quickest_transshipment as quickest_transshipment,
)
