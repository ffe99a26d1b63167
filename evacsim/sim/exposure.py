"""Exposure of every group along the path it actually took, from the engine's path records.

Two parts are counted, both sampled against the hazard's zones at the time (``levels_at``):

* **at home**, from the incident until the group leaves (people in the zone are exposed while the
  warning reaches them and they prepare): sampled at ``HOME_SAMPLES`` instants at the origin node;
* **on the way**, every link the group entered: sampled at ``EDGE_SAMPLES`` points spread along
  the link, each standing for an equal share of the time on it (queueing time is spread over the
  link, a documented simplification of where in the queue a vehicle waits).

For a toxic plume the same samples give the dose ``∫ C dt`` (ppm·min) and the toxic FED of
:func:`evacsim.hazard.exposure.toxic_fed`'s definition (``∫ (C/C_ref)^n dt / t_ref``).
Buses are not counted for their passengers (they run between assembly points and shelters, which
lie outside the zones in a sound plan).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from evacsim.hazard.spec import LEVELS
from evacsim.hazard.zones import ThreatZones

if TYPE_CHECKING:
    from evacsim.sim.state import SimState

__all__ = ["EDGE_SAMPLES", "HOME_SAMPLES", "path_exposure"]

EDGE_SAMPLES = 3
HOME_SAMPLES = 6


def _edge_samples(
    sim: SimState, paths: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sample points (x, y, t, dt, row) along each path row."""
    n = len(paths)
    edges = paths["edge"].to_numpy(np.int64)
    t_in = paths["t_enter_s"].to_numpy(float)
    t_out = np.where(np.isnan(paths["t_exit_s"]), sim.env.now, paths["t_exit_s"]).astype(float)
    fractions = (np.arange(EDGE_SAMPLES) + 0.5) / EDGE_SAMPLES
    geoms = np.repeat(sim.prepared.network.edge_geometry[edges], EDGE_SAMPLES)
    f = np.tile(fractions, n)
    pts = shapely.line_interpolate_point(geoms, f, normalized=True)
    x, y = shapely.get_x(pts), shapely.get_y(pts)
    t = np.repeat(t_in, EDGE_SAMPLES) + f * np.repeat(t_out - t_in, EDGE_SAMPLES)
    dt = np.repeat((t_out - t_in) / EDGE_SAMPLES, EDGE_SAMPLES)
    rows = np.repeat(paths["group_row"].to_numpy(np.int64), EDGE_SAMPLES)
    return x, y, t, dt, rows


def _home_samples(
    sim: SimState, groups: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sample instants at each group's origin from t = 0 to its departure (or the run's end)."""
    net = sim.prepared.network
    origin = sim.plan.demand.groups["origin_node"].to_numpy(np.int64)
    until = np.minimum(groups["departure_s"].to_numpy(float), sim.env.now)
    n = len(groups)
    f = np.tile((np.arange(HOME_SAMPLES) + 0.5) / HOME_SAMPLES, n)
    t = np.repeat(until, HOME_SAMPLES) * f
    dt = np.repeat(until / HOME_SAMPLES, HOME_SAMPLES)
    x = np.repeat(net.node_x_m[origin], HOME_SAMPLES)
    y = np.repeat(net.node_y_m[origin], HOME_SAMPLES)
    return x, y, t, dt, np.repeat(np.arange(n), HOME_SAMPLES)


Samples = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _accumulate(zones: ThreatZones, n: int, samples: list[Samples]) -> dict[str, np.ndarray]:
    x, y, t, dt, rows = (np.concatenate(parts) for parts in zip(*samples, strict=True))
    out: dict[str, np.ndarray] = {}
    levels = zones.levels_at(x, y, t) if len(x) else np.zeros(0, dtype=np.int8)
    for i, name in enumerate(LEVELS):
        out[f"exposure_{name}_s"] = np.bincount(rows, weights=dt * (levels == i), minlength=n)
    if zones.plumes:
        c = zones.concentration_ppm(x, y, t) if len(x) else np.zeros(0)
        out["dose_ppm_min"] = np.bincount(rows, weights=c * dt / 60.0, minlength=n)
        c_ref = zones.levels[0].threshold
        exponent = zones.toxic_load_exponent or 1.0
        load = np.bincount(rows, weights=(c / c_ref) ** exponent * dt / 60.0, minlength=n)
        out["fed"] = load / (zones.aegl_duration_min or 60.0)
    return out


def path_exposure(sim: SimState, groups: pd.DataFrame, paths: pd.DataFrame) -> pd.DataFrame:
    """Seconds in each threat level (and toxic dose/FED) per group, in ``groups`` row order."""
    row_of = pd.Series(np.arange(len(groups)), index=groups["group_id"].to_numpy())
    walked = paths.assign(group_row=row_of.reindex(paths["group_id"]).to_numpy())
    samples: list[Samples] = [_home_samples(sim, groups)]
    if len(walked):
        samples.append(_edge_samples(sim, walked))
    return pd.DataFrame(_accumulate(sim.prepared.zones, len(groups), samples))
