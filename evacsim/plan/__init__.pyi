from .assembly import (
    POLICIES as POLICIES,
)
from .assembly import (
    Assignment as Assignment,
)
from .assembly import (
    Policy as Policy,
)
from .assembly import (
    assign_assembly as assign_assembly,
)
from .assembly import (
    transport_lp as transport_lp,
)
from .assembly import (
    travel_time_matrix_s as travel_time_matrix_s,
)
from .make import (
    Plan as Plan,
)
from .make import (
    make_plan as make_plan,
)
from .make import (
    outside_zone as outside_zone,
)
from .make import (
    reach_of as reach_of,
)
from .reach import (
    MODES as MODES,
)
from .reach import (
    HazardRule as HazardRule,
)
from .reach import (
    Reach as Reach,
)
from .reach import (
    hazard_rule as hazard_rule,
)
from .reach import (
    mode_networks as mode_networks,
)
from .shelters import (
    initial_shelter_plan as initial_shelter_plan,
)
from .shelters import (
    shelter_preferences as shelter_preferences,
)
