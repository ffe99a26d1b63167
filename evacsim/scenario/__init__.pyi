from .alarm import (
    ALARM_MODELS as ALARM_MODELS,
)
from .alarm import (
    DETECTIONS as DETECTIONS,
)
from .alarm import (
    SUBSTANCE_CLASSES as SUBSTANCE_CLASSES,
)
from .alarm import (
    Alarm as Alarm,
)
from .alarm import (
    AlarmModels as AlarmModels,
)
from .alarm import (
    AlarmWeather as AlarmWeather,
)
from .alarm import (
    Detection as Detection,
)
from .alarm import (
    alarm_scenario_data as alarm_scenario_data,
)
from .alarm import (
    models_for as models_for,
)
from .alarm import (
    period_of as period_of,
)
from .alarm import (
    read_alarm as read_alarm,
)
from .alarm import (
    substance_class as substance_class,
)
from .distributions import (
    DelayDistribution as DelayDistribution,
)
from .distributions import (
    Fixed as Fixed,
)
from .distributions import (
    LogNormal as LogNormal,
)
from .distributions import (
    Normal as Normal,
)
from .distributions import (
    Rayleigh as Rayleigh,
)
from .distributions import (
    Uniform as Uniform,
)
from .distributions import (
    Weibull as Weibull,
)
from .load import (
    Scenario as Scenario,
)
from .load import (
    load_scenario as load_scenario,
)
from .load import (
    parse_overrides as parse_overrides,
)
from .load import (
    scenario_from_dict as scenario_from_dict,
)
from .load import (
    validation_message as validation_message,
)
from .prepare import (
    Prepared as Prepared,
)
from .prepare import (
    prepare as prepare,
)
from .sections import (
    DEFAULT_START as DEFAULT_START,
)
from .sections import (
    DepartureSpec as DepartureSpec,
)
from .sections import (
    EvacuationSpec as EvacuationSpec,
)
from .sections import (
    OutputSpec as OutputSpec,
)
from .sections import (
    PopulationSpec as PopulationSpec,
)
from .sections import (
    SimulationSpec as SimulationSpec,
)
from .sections import (
    StageDelays as StageDelays,
)
from .sections import (
    TransportSpec as TransportSpec,
)
from .supplies import (
    ITEMS as ITEMS,
)
from .supplies import (
    ItemAmounts as ItemAmounts,
)
from .supplies import (
    SuppliesSpec as SuppliesSpec,
)
from .teams import (
    TASK_KINDS as TASK_KINDS,
)
from .teams import (
    TeamsSpec as TeamsSpec,
)
from .teams import (
    TeamTask as TeamTask,
)
from .warning import (
    CHAIN_LEVELS as CHAIN_LEVELS,
)
from .warning import (
    ChannelSpec as ChannelSpec,
)
from .warning import (
    HouseholdTimes as HouseholdTimes,
)
from .warning import (
    LevelDelays as LevelDelays,
)
from .warning import (
    WarningSpec as WarningSpec,
)
from .write import (
    scenario_toml as scenario_toml,
)
