"""The hazard rule checked on a finished run, from the hazard's own geometry."""

from __future__ import annotations

import numpy as np
import shapely

from evacsim.pipeline import Run

__all__ = ["entries_into_worse_zones"]


def entries_into_worse_zones(result: Run, closure: str | None = None) -> tuple[int, int]:
    """(entries that broke the rule, entries into a link inside a closing zone).

    The rule (DESIGN.md): at every link entry, the worst level that has touched the link by
    then is no worse than the level of the point the agent stands on at that instant; levels
    safer than ``closure_level`` (or ``closure``) count as outside. Levels come from the
    hazard's own arrival times of the link and of the point, not from the router.
    """
    zones, net = result.prepared.zones, result.prepared.network
    levels = ("red", "orange", "yellow")
    closing = levels.index(closure or zones.closure_level)
    paths = result.results.paths
    t = paths["t_enter_s"].to_numpy()
    edges = paths["edge"].to_numpy()
    tails = shapely.points(net.node_x_m[net.edge_tail], net.node_y_m[net.edge_tail])
    broken = np.zeros(len(paths), dtype=bool)
    in_zone = np.zeros(len(paths), dtype=bool)
    for level in levels[: closing + 1]:
        link_reached = zones.arrival_time_s(net.edge_geometry, level)[edges] <= t
        standing_in = zones.arrival_time_s(tails, level)[edges] <= t
        broken |= link_reached & ~standing_in
        in_zone |= link_reached
    return int(broken.sum()), int(in_zone.sum())
