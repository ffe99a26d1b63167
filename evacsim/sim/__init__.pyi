from .buses import (
    bus_process as bus_process,
)
from .buses import (
    pick_depots as pick_depots,
)
from .engine import (
    AgentOutcome as AgentOutcome,
)
from .engine import (
    AgentState as AgentState,
)
from .engine import (
    LinkSpec as LinkSpec,
)
from .engine import (
    TrafficEngine as TrafficEngine,
)
from .engine import (
    TrafficResults as TrafficResults,
)
from .exposure import (
    crews_table as crews_table,
)
from .exposure import (
    group_exposure as group_exposure,
)
from .facilities import (
    Facilities as Facilities,
)
from .harm import (
    Harm as Harm,
)
from .results import (
    GROUP_STATES as GROUP_STATES,
)
from .results import (
    Results as Results,
)
from .router import (
    MODES as MODES,
)
from .router import (
    LinkSets as LinkSets,
)
from .router import (
    Router as Router,
)
from .router import (
    build_link_sets as build_link_sets,
)
from .router import (
    edge_level_times as edge_level_times,
)
from .simulation import (
    simulate as simulate,
)
from .state import (
    BUS as BUS,
)
from .state import (
    CAR_ON as CAR_ON,
)
from .state import (
    STAGE1 as STAGE1,
)
from .state import (
    SUPPLY as SUPPLY,
)
from .state import (
    TEAM as TEAM,
)
from .state import (
    SimState as SimState,
)
from .supplies import (
    Supplies as Supplies,
)
from .teams import (
    Teams as Teams,
)
from .teams import (
    close_for_evacuees as close_for_evacuees,
)
from .teams import (
    cordon_nodes as cordon_nodes,
)
from .teams import (
    junction_links as junction_links,
)
