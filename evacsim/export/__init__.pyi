from .files import (
    write_csv_tables as write_csv_tables,
)
from .files import (
    write_gpx as write_gpx,
)
from .folder import (
    RunFolder as RunFolder,
)
from .folder import (
    claim_run_folder as claim_run_folder,
)
from .folder import (
    clean_stale as clean_stale,
)
from .folder import (
    json_safe as json_safe,
)
from .folder import (
    run_folder as run_folder,
)
from .folder import (
    write_json as write_json,
)
from .gpx import (
    GpxPoint as GpxPoint,
)
from .gpx import (
    GpxTrack as GpxTrack,
)
from .gpx import (
    GpxWaypoint as GpxWaypoint,
)
from .gpx import (
    gpx_document as gpx_document,
)
from .layers import (
    GPKG_LAYERS as GPKG_LAYERS,
)
from .layers import (
    result_layers as result_layers,
)
from .optimized import (
    OptimizedFolder as OptimizedFolder,
)
from .optimized import (
    optimized_summary as optimized_summary,
)
from .optimized import (
    write_optimized as write_optimized,
)
from .run_folder import (
    DEPENDENCIES as DEPENDENCIES,
)
from .run_folder import (
    FORMATS as FORMATS,
)
from .run_folder import (
    convert_run_folder as convert_run_folder,
)
from .run_folder import (
    manifest as manifest,
)
from .run_folder import (
    write_run as write_run,
)
from .run_folder import (
    write_run_folder as write_run_folder,
)
