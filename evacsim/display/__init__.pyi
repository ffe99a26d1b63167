from .arrivals import (
    arrivals_svg as arrivals_svg,
)
from .chain import (
    channel_label as channel_label,
)
from .chain import (
    channels_text as channels_text,
)
from .chain import (
    last_warned_text as last_warned_text,
)
from .chain import (
    why_text as why_text,
)
from .clock import (
    Clock as Clock,
)
from .clock import (
    run_clock as run_clock,
)
from .format import (
    FONT_STACK as FONT_STACK,
)
from .format import (
    cell_text as cell_text,
)
from .format import (
    esc as esc,
)
from .format import (
    hmm as hmm,
)
from .format import (
    minutes as minutes,
)
from .format import (
    number as number,
)
from .format import (
    t_plus as t_plus,
)
from .headline import (
    HeadlineItem as HeadlineItem,
)
from .headline import (
    StrandedGroup as StrandedGroup,
)
from .headline import (
    headline_items as headline_items,
)
from .headline import (
    persons_line as persons_line,
)
from .headline import (
    stranded_groups as stranded_groups,
)
from .headline import (
    stranded_where as stranded_where,
)
from .i18n import (
    DEFAULT_LANG as DEFAULT_LANG,
)
from .i18n import (
    LANGS as LANGS,
)
from .i18n import (
    N_ as N_,
)
from .i18n import (
    Translator as Translator,
)
from .i18n import (
    resolve_lang as resolve_lang,
)
from .i18n import (
    run_lang as run_lang,
)
from .i18n import (
    translator as translator,
)
from .labels import (
    CHANNEL_LABELS as CHANNEL_LABELS,
)
from .labels import (
    CONTEXT_LABELS as CONTEXT_LABELS,
)
from .labels import (
    DETECTION_LABELS as DETECTION_LABELS,
)
from .labels import (
    ITEM_LABELS as ITEM_LABELS,
)
from .labels import (
    KIND_LABELS as KIND_LABELS,
)
from .labels import (
    LAYER_LABELS as LAYER_LABELS,
)
from .labels import (
    LEVEL_LABELS as LEVEL_LABELS,
)
from .labels import (
    MODE_LABELS as MODE_LABELS,
)
from .labels import (
    NETWORK_LABELS as NETWORK_LABELS,
)
from .labels import (
    REASON_LABELS as REASON_LABELS,
)
from .labels import (
    ROAD_LABELS as ROAD_LABELS,
)
from .labels import (
    STAGE_LABELS as STAGE_LABELS,
)
from .labels import (
    STATE_LABELS as STATE_LABELS,
)
from .labels import (
    STATUS_LABELS as STATUS_LABELS,
)
from .labels import (
    SUBSTANCE_LABELS as SUBSTANCE_LABELS,
)
from .labels import (
    TASK_LABELS as TASK_LABELS,
)
from .labels import (
    WARN_METHOD_LABELS as WARN_METHOD_LABELS,
)
from .labels import (
    label as label,
)
from .labels import (
    level_text as level_text,
)
from .labels import (
    modes_text as modes_text,
)
from .labels import (
    reason_label as reason_label,
)
from .optimizer import (
    BOUND_STAGE_LABELS as BOUND_STAGE_LABELS,
)
from .optimizer import (
    component_levels as component_levels,
)
from .optimizer import (
    component_words as component_words,
)
from .optimizer import (
    note_text as note_text,
)
from .optimizer import (
    plan_text as plan_text,
)
from .svg import (
    Line as Line,
)
from .svg import (
    Panel as Panel,
)
from .svg import (
    Series as Series,
)
from .svg import (
    chart_svg as chart_svg,
)
from .svg import (
    nice_ticks as nice_ticks,
)
from .warnings import (
    Known as Known,
)
from .warnings import (
    known_sentences as known_sentences,
)
from .warnings import (
    known_text as known_text,
)
from .warnings import (
    known_warning as known_warning,
)
from .warnings import (
    warning_text as warning_text,
)
