from .charts import (
    clock_ticks as clock_ticks,
)
from .charts import (
    curves_svg as curves_svg,
)
from .charts import (
    occupancy_svg as occupancy_svg,
)
from .charts import (
    shares_svg as shares_svg,
)
from .compare import (
    MIN_CONGESTED_S as MIN_CONGESTED_S,
)
from .compare import (
    Comparison as Comparison,
)
from .compare import (
    Side as Side,
)
from .compare import (
    bottleneck_changes as bottleneck_changes,
)
from .compare import (
    compare as compare,
)
from .compare import (
    compare_html as compare_html,
)
from .compare import (
    ete_table as ete_table,
)
from .compare import (
    facility_table as facility_table,
)
from .compare import (
    load_side as load_side,
)
from .compare import (
    side_from_run as side_from_run,
)
from .drill import (
    write_drill_sheets as write_drill_sheets,
)
from .optimized import (
    changes_map as changes_map,
)
from .optimized import (
    moved_grids as moved_grids,
)
from .optimized import (
    optimized_html as optimized_html,
)
from .report import (
    describe_scenario as describe_scenario,
)
from .report import (
    render_report as render_report,
)
from .report import (
    write_report as write_report,
)
from .sketch import (
    RoadPaths as RoadPaths,
)
from .sketch import (
    SketchPoint as SketchPoint,
)
from .sketch import (
    route_sketch as route_sketch,
)
from .warning_sheets import (
    warning_context as warning_context,
)
from .warning_sheets import (
    write_warning_sheets as write_warning_sheets,
)
