"""The moving evacuees of the run map: sampled groups and buses, positions per time step.

Moving evacuees are *sampled*: at most ``max_agents`` groups (systematic sampling weighted by
persons, so each dot stands for about the same number of persons) and ``max_frames`` time steps;
positions are interpolated along each edge's geometry between the group's entry and exit times
(``Results.paths``), held at the end of an edge while the group waits for the next one. They are
encoded as integer steps of 1e-5 degree (about 1 m), delta-coded per agent, and drawn by a small
inline script in the page (:class:`TimeSliderLayer`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import folium
import numpy as np
import pandas as pd
import shapely
from folium.template import Template
from pyproj import Transformer

__all__ = ["KINDS", "MAX_AGENTS", "MAX_FRAMES", "EvacueeAnimation", "evacuee_animation"]

#: Cap on the moving evacuee dots (sampled groups) of the run map.
MAX_AGENTS = 2000
#: Cap on the animation's time steps.
MAX_FRAMES = 200
_MAX_BUS_AGENTS = 200
_STEPS_S = (30, 60, 120, 180, 300, 600, 900, 1200, 1800, 3600)
_SCALE_DEG = 1e-5  # coordinate quantum of the animation, ~1 m
#: Animation dot kinds: (group mode or "bus", colour, radius px).
KINDS: tuple[tuple[str, str, int], ...] = (
    ("walk", "#1971c2", 3),
    ("car", "#212529", 3),
    ("assisted", "#9c36b5", 3),
    ("bus", "#2f9e44", 5),
)
_KIND_INDEX = MappingProxyType({k[0]: i for i, k in enumerate(KINDS)})


@dataclass(frozen=True)
class EvacueeAnimation:
    """Sampled evacuee positions over time, as the run map's script reads them.

    Attributes
    ----------
    t0_s, step_s, n_frames
        Frame ``k`` is at ``t0_s + k * step_s`` seconds since the incident.
    lon0, lat0
        Origin of the integer coordinates (EPSG:4326 degrees).
    agents
        Per dot: ``[first frame, kind, dlon_0, dlat_0, dlon_1, dlat_1, ...]``; positions in frames
        ``first, first + 1, ...`` as steps of ``1e-5`` degree, the first from the origin, each
        next from the previous (kind indexes walk, car, assisted, bus).
    persons_per_dot
        Persons each group dot stands for on average (1 group = 1 dot when not sampled).
    groups_total, groups_drawn, bus_trips_drawn
        Groups with a path, groups sampled (one moving for less than a step may never show),
        bus trips drawn.
    """

    t0_s: float
    step_s: float
    n_frames: int
    lon0: float
    lat0: float
    agents: list[list[int]]
    persons_per_dot: float
    groups_total: int
    groups_drawn: int
    bus_trips_drawn: int

    def to_json(self) -> str:
        """Compact JSON for the page's script (numbers only)."""
        data = {
            "t0": self.t0_s,
            "step": self.step_s,
            "n": self.n_frames,
            "lon0": self.lon0,
            "lat0": self.lat0,
            "scale": _SCALE_DEG,
            "kinds": [[name, color, radius] for name, color, radius in KINDS],
            "agents": self.agents,
        }
        return json.dumps(data, separators=(",", ":"), allow_nan=False)


def _sample_groups(groups: pd.DataFrame, max_agents: int) -> pd.DataFrame:
    """Systematic sample of at most ``max_agents`` groups, weighted by persons (deterministic)."""
    groups = groups.sort_values("group_id", kind="stable")
    if len(groups) <= max_agents:
        return groups
    cum = groups["persons"].to_numpy(float).cumsum()
    targets = (np.arange(max_agents) + 0.5) * cum[-1] / max_agents
    picks = np.unique(np.searchsorted(cum, targets, side="left"))
    return groups.iloc[picks]


def _bus_segments(run: Any, routes: Mapping[tuple[str, str], np.ndarray]) -> pd.DataFrame:
    """Bus trips as path rows (``agent``, ``edge``, times spread by free-flow time)."""
    trips = run.results.vehicles
    if len(trips) > _MAX_BUS_AGENTS:
        trips = trips.iloc[np.linspace(0, len(trips) - 1, _MAX_BUS_AGENTS).round().astype(int)]
    tt = run.prepared.network.travel_time_s
    agents, edge_parts, enter, leave = [], [], [], []
    columns = [trips[c].to_numpy() for c in ("from", "to", "t_depart_s", "t_arrive_s")]
    for k, (src, dst, t_dep, t_arr) in enumerate(zip(*columns, strict=True)):
        edges = routes.get((str(src), str(dst)), np.zeros(0, int))
        if not len(edges) or not t_arr > t_dep:
            continue
        share = np.cumsum(np.r_[0.0, tt[edges]]) / max(tt[edges].sum(), 1e-9)
        times = t_dep + share * (t_arr - t_dep)
        agents += [f"~bus{k:05d}"] * len(edges)
        edge_parts.append(np.asarray(edges))
        enter.append(times[:-1])
        leave.append(times[1:])
    if not agents:
        return pd.DataFrame()
    return pd.DataFrame(
        {"agent": agents, "edge": np.concatenate(edge_parts), "t_enter_s": np.concatenate(enter),
         "t_exit_s": np.concatenate(leave), "kind": _KIND_INDEX["bus"]}
    )  # fmt: skip


def _frame_times(t_start: float, t_end: float, max_frames: int) -> tuple[float, float, int]:
    """(t0_s, step_s, n_frames): the smallest round step that keeps n_frames <= max_frames."""
    span = max(t_end - t_start, 1.0)
    for round_step in _STEPS_S:
        t0 = math.floor(t_start / round_step) * round_step
        n = math.floor((t_end - t0) / round_step) + 1
        if n <= max_frames:
            return float(t0), float(round_step), n
    step_s = 60.0 * math.ceil(span / (max_frames - 1) / 60.0)
    t0_s = math.floor(t_start / step_s) * step_s
    return float(t0_s), step_s, min(max_frames, math.floor((t_end - t0_s) / step_s) + 1)


def _segments(run: Any, sample: pd.DataFrame, routes: Mapping[Any, np.ndarray]) -> pd.DataFrame:
    """Path rows of the sampled groups and bus trips, sorted by agent and time, with cover end."""
    paths = run.results.paths
    seg = paths[paths["group_id"].isin(sample["group_id"])].merge(
        sample[["group_id", "mode"]].rename(columns={"mode": "group_mode"}), on="group_id"
    )
    seg = pd.DataFrame(
        {
            "agent": seg["group_id"].astype(str),
            "edge": seg["edge"].astype(int),
            "t_enter_s": seg["t_enter_s"].astype(float),
            # still on the road when the run ended: drawn along it until the end
            "t_exit_s": seg["t_exit_s"].astype(float).fillna(float(run.results.end_s)),
            "kind": seg["group_mode"].astype(str).map(_KIND_INDEX).fillna(0).astype(int),
        }
    )
    buses = _bus_segments(run, routes)
    if len(buses):
        seg = pd.concat([seg, buses], ignore_index=True)
    seg = seg.sort_values(["agent", "t_enter_s", "t_exit_s"], kind="stable").reset_index(drop=True)
    nxt = seg["t_enter_s"].shift(-1)
    same = seg["agent"].eq(seg["agent"].shift(-1))
    # a group waiting for its next edge stays at the end of this one until it enters the next
    seg["t_cover_s"] = np.where(same, nxt, seg["t_exit_s"])
    seg["last"] = ~same
    return seg


def evacuee_animation(
    run: Any,
    *,
    bus_routes: Mapping[tuple[str, str], np.ndarray] | None = None,
    max_agents: int = MAX_AGENTS,
    max_frames: int = MAX_FRAMES,
) -> EvacueeAnimation:
    """Sample the run's moving evacuees and interpolate their positions at regular times.

    Parameters
    ----------
    run
        A finished :class:`evacsim.pipeline.Run` (``prepared.network``, ``results``).
    bus_routes
        Edges of each (assembly point, shelter) bus leg; no buses are drawn without them.
    max_agents
        Most group dots (bus dots come on top, at most 200).
    max_frames
        Most time steps; the step is the smallest of 30 s, 1, 2, 3, 5, 10, 15, 20, 30, 60 min that
        fits.

    Returns
    -------
    EvacueeAnimation
        Positions are linear along each edge's geometry (network CRS, metres) between entry and
        exit time, then converted to EPSG:4326.
    """
    res, net = run.results, run.prepared.network
    movers = res.groups[res.groups["group_id"].isin(res.paths["group_id"])]
    sample = _sample_groups(movers, max_agents)
    routes = bus_routes if bus_routes is not None and len(res.vehicles) else {}
    seg = _segments(run, sample, routes)
    ppd = float(movers["persons"].sum()) / max(len(sample), 1)
    if not len(seg):
        return EvacueeAnimation(0.0, 60.0, 1, 0.0, 0.0, [], ppd, len(movers), 0, 0)
    # an agent still on a link when the run ends (horizon) has no exit time: it stays to the end
    seg = seg.fillna({"t_exit_s": res.end_s, "t_cover_s": res.end_s})
    t0, step, n_frames = _frame_times(seg["t_enter_s"].min(), seg["t_cover_s"].max(), max_frames)
    k0 = np.ceil((seg["t_enter_s"].to_numpy() - t0) / step - 1e-9).astype(np.int64)
    k1 = np.ceil((seg["t_cover_s"].to_numpy() - t0) / step - 1e-9).astype(np.int64)
    last = seg["last"].to_numpy(bool)  # the last edge's cover includes its end
    k1[last] = np.floor((seg["t_cover_s"].to_numpy()[last] - t0) / step + 1e-9) + 1
    k1 = np.minimum(k1, n_frames)
    count = np.maximum(k1 - k0, 0)
    row = np.repeat(np.arange(len(seg)), count)
    frame = k0[row] + np.arange(row.size) - np.repeat(np.cumsum(count) - count, count)
    t_enter, t_exit = seg["t_enter_s"].to_numpy()[row], seg["t_exit_s"].to_numpy()[row]
    frac = np.clip((t0 + frame * step - t_enter) / np.maximum(t_exit - t_enter, 1e-9), 0.0, 1.0)
    geoms = net.edge_geometry[seg["edge"].to_numpy()[row]]
    xy = shapely.get_coordinates(shapely.line_interpolate_point(geoms, frac, normalized=True))
    lon, lat = Transformer.from_crs(net.crs, 4326, always_xy=True).transform(xy[:, 0], xy[:, 1])
    lon0, lat0 = round(float(np.min(lon)), 5), round(float(np.min(lat)), 5)
    q = np.column_stack([np.rint((lon - lon0) / _SCALE_DEG), np.rint((lat - lat0) / _SCALE_DEG)])
    agent = seg["agent"].to_numpy()[row]
    starts = np.flatnonzero(np.r_[True, agent[1:] != agent[:-1]])
    delta = np.diff(q, axis=0, prepend=0.0)
    delta[starts] = q[starts]
    kinds = seg["kind"].to_numpy()[row]
    agents = [
        [int(frame[a]), int(kinds[a]), *delta[a:b].astype(np.int64).ravel().tolist()]
        for a, b in zip(starts, np.r_[starts[1:], row.size], strict=True)
    ]
    n_bus = sum(1 for a in agents if a[1] == _KIND_INDEX["bus"])
    return EvacueeAnimation(
        t0, step, n_frames, lon0, lat0, agents, ppd, len(movers), len(sample), n_bus
    )


# ------------------------------------------------------- run maps: time slider and panels
_PLAYER_JS = """
var agents = data.agents.map(function (a) {
  var n = (a.length - 2) / 2, lat = new Float64Array(n), lon = new Float64Array(n), x = 0, y = 0;
  for (var i = 0; i < n; i++) {
    x += a[2 + 2 * i]; y += a[3 + 2 * i];
    lon[i] = data.lon0 + x * data.scale; lat[i] = data.lat0 + y * data.scale;
  }
  return {f0: a[0], kind: data.kinds[a[1]], n: n, lat: lat, lon: lon, marker: null};
});
var slider, label, timer = null;
function show(f) {
  var moving = 0;
  agents.forEach(function (a) {
    var i = f - a.f0;
    if (i >= 0 && i < a.n) {
      moving++;
      if (a.marker === null) {
        a.marker = L.circleMarker([a.lat[i], a.lon[i]], {radius: a.kind[2], color: '#ffffff',
          weight: 1, fillColor: a.kind[1], fillOpacity: 0.9, interactive: false,
          className: 'evacsim-evacuee evacsim-evacuee-' + a.kind[0]});
      } else {
        a.marker.setLatLng([a.lat[i], a.lon[i]]);
      }
      if (!layer.hasLayer(a.marker)) { layer.addLayer(a.marker); }
    } else if (a.marker !== null && layer.hasLayer(a.marker)) {
      layer.removeLayer(a.marker);
    }
  });
  label.textContent = text.frames[f] + ' \\u00b7 ' + text.moving.replace('{n}', moving);
}
var counts = new Array(data.n).fill(0);
agents.forEach(function (a) { for (var i = 0; i < a.n; i++) { counts[a.f0 + i]++; } });
var start = counts.indexOf(Math.max.apply(null, counts.concat([0])));
// the bar is built once and shown only while the layer is on the map
var div = L.DomUtil.create('div', 'evacsim-timebar evacsim-no-print leaflet-bar');
var button = L.DomUtil.create('button', 'evacsim-play', div);
button.type = 'button'; button.textContent = text.play;
slider = L.DomUtil.create('input', 'evacsim-time', div);
slider.type = 'range'; slider.min = 0; slider.max = data.n - 1; slider.step = 1;
slider.value = Math.max(start, 0);
label = L.DomUtil.create('span', 'evacsim-time-label', div);
L.DomEvent.disableClickPropagation(div);
L.DomEvent.disableScrollPropagation(div);
slider.addEventListener('input', function () { show(+slider.value); });
function stop() { clearInterval(timer); timer = null; button.textContent = text.play; }
button.addEventListener('click', function () {
  if (timer !== null) { stop(); return; }
  button.textContent = text.pause;
  timer = setInterval(function () {
    var f = (+slider.value + 1) % data.n;
    slider.value = f; show(f);
    if (f === data.n - 1) { stop(); }
  }, 250);
});
var bar = L.control({position: 'bottomleft'});
bar.onAdd = function () { return div; };
bar.onRemove = function () { if (timer !== null) { stop(); } };
map.on('overlayadd', function (e) { if (e.layer === layer) { bar.addTo(map); } });
map.on('overlayremove', function (e) { if (e.layer === layer) { bar.remove(); } });
map.whenReady(function () { if (map.hasLayer(layer)) { bar.addTo(map); } });
show(+slider.value);
"""

RUN_CSS = """<style>
.evacsim-timebar {background: rgba(255,255,255,0.95); padding: 6px 8px; font-size: 12px;
  display: flex; align-items: center; gap: 8px; flex-wrap: wrap}
.evacsim-timebar input {width: 320px; max-width: 60vw}
</style>"""


class TimeSliderLayer(folium.map.Layer):
    """A Leaflet layer group of moving dots driven by a time-slider control (inline script).

    ``data_json`` is the compact JSON of :class:`evacsim.maps.run_map.EvacueeAnimation` (numbers and
    fixed kind names only, never user text): frames ``t0 + k * step``, dots as delta-coded
    integer steps of ``scale`` degrees. The slider opens at the frame with the most dots and is
    shown while the layer is on. ``texts_json`` holds evacsim's own words: ``frames`` (the
    clock time of each frame), ``moving`` (with ``{n}``), ``play``, ``pause``.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.layerGroup();
        (function (map, layer, data, text) {
        {{ this.player_js }}
        })({{ this._parent.get_name() }}, {{ this.get_name() }}, {{ this.data_json }},
           {{ this.texts_json }});
        {% endmacro %}
        """
    )

    def __init__(self, data_json: str, texts_json: str, *, name: str, show: bool = False) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "TimeSliderLayer"
        self.data_json = data_json
        self.texts_json = texts_json
        self.player_js = _PLAYER_JS
