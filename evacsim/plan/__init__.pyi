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
from .plan_file import (
    PlanFile as PlanFile,
)
from .plan_file import (
    assign_optimized as assign_optimized,
)
from .plan_file import (
    read_plan_file as read_plan_file,
)
from .plan_file import (
    write_plan_file as write_plan_file,
)
from .shelters import (
    initial_shelter_plan as initial_shelter_plan,
)
from .shelters import (
    shelter_preferences as shelter_preferences,
)
