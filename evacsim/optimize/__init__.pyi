from .bound import (
    Bound as Bound,
)
from .bound import (
    choose_step_s as choose_step_s,
)
from .bound import (
    clearance_bound as clearance_bound,
)
from .ccrp import (
    ccrp as ccrp,
)
from .search import (
    Optimized as Optimized,
)
from .search import (
    optimize as optimize,
)
from .ten import (
    StaticNetwork as StaticNetwork,
)
from .ten import (
    quickest_transshipment as quickest_transshipment,
)
