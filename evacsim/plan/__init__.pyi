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
    door_to_door as door_to_door,
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
from .plan_file import (
    ROUTE_MODES as ROUTE_MODES,
)
from .plan_file import (
    PlanFile as PlanFile,
)
from .plan_file import (
    assign_optimized as assign_optimized,
)
from .plan_file import (
    plan_file_path as plan_file_path,
)
from .plan_file import (
    read_plan_file as read_plan_file,
)
from .plan_file import (
    road_edges as road_edges,
)
from .plan_file import (
    write_plan_file as write_plan_file,
)
from .reach import (
    LEVEL_OUTSIDE as LEVEL_OUTSIDE,
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
