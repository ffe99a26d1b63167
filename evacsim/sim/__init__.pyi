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
from .exposure import (
    truncate_paths as truncate_paths,
)
from .facilities import (
    AP_END_REASONS as AP_END_REASONS,
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
from .simulation import (
    ENDINGS as ENDINGS,
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
from .trajectory import (
    Intervals as Intervals,
)
from .trajectory import (
    Pieces as Pieces,
)
from .trajectory import (
    add_leg as add_leg,
)
from .trajectory import (
    columns as columns,
)
from .trajectory import (
    edge_points as edge_points,
)
from .trajectory import (
    subdivide as subdivide,
)
from .warning import (
    MESSAGE_COLUMNS as MESSAGE_COLUMNS,
)
from .warning import (
    VISIT_COLUMNS as VISIT_COLUMNS,
)
from .warning import (
    WARNING_GRID_COLUMNS as WARNING_GRID_COLUMNS,
)
from .warning import (
    ChainInput as ChainInput,
)
from .warning import (
    WarningOutcome as WarningOutcome,
)
from .warning import (
    apply_warning as apply_warning,
)
from .warning import (
    attach_warning as attach_warning,
)
from .warning import (
    chain_input as chain_input,
)
from .warning import (
    grid_holds_s as grid_holds_s,
)
from .warning import (
    run_chain as run_chain,
)
