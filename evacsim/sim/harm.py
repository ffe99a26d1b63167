"""Harm inside the run: dose and FED of every evacuee group wherever it is, and incapacitation
where its FED reaches 1.

Where a group is (:mod:`evacsim.sim.trajectory` turns it into pieces):

* at home, indoors, from the incident until its first leg (walking, driving, or a team vehicle
  collecting it): waiting for the warning, preparing, waiting for help;
* on a leg — the engine agent that carries it: its own walk or car, a team vehicle, a bus —
  from the leg's start to its end, along each link for the time spent on it;
* at the node where its last leg ended (an assembly point, the place a queue stranded it) until
  the next leg;
* in a shelter, from admission: counting stops there (a shelter is taken to be safe; one inside
  the zone is flagged by the plan's warnings).

What harm means per hazard (toxic FED, thermal dose, blast overpressure) and what indoors changes
is :mod:`evacsim.hazard.harm`'s business.

**Mechanism.** The engine is a hot path (DESIGN.md, "Performance"): nothing here runs per link.

* At a place, the rates are piecewise constant in time, so when a group gets there the instant
  its FED will reach 1 is computed exactly and a SimPy event is scheduled for it (void if the
  group leaves first).
* A leg is integrated when it ends — the engine's arrival or stranding callback, before anything
  else happens to the group — from the link times the engine recorded. If the FED crossed 1 on
  the way, the group is incapacitated at that instant and point of the leg, and never reaches the
  assembly point or shelter the leg was heading for. (The engine cannot take an agent off a link,
  so its vehicle or walking party finishes the leg as an empty shell that takes road space and
  nothing else; it was a casualty's vehicle, blocking a lane, all the same.)
* A blast is evaluated for everyone at its instant, on legs at the estimated position.
* At the end of the run, legs still running and places are integrated up to the end.

Only a leg that was on a link or at a node while the harm field could reach it there is
integrated (:meth:`evacsim.hazard.harm.HarmField.windows_s`, computed once per edge and node: a
fire's reach from its ignition, a plume's footprint while its cloud passes); a hazard without a
harm field (fixed radii) costs a few list appends per leg.
"""

from __future__ import annotations

import math

import numpy as np
import shapely

from evacsim.hazard.harm import PointTimeline
from evacsim.sim.state import BUS, SimState
from evacsim.sim.trajectory import Intervals, Pieces, add_leg, subdivide

__all__ = ["Harm"]

#: Rounding allowance when a scheduled FED = 1 instant comes (the integral there is 1 ± 1e-12).
_FED_TOLERANCE = 1e-9


class Harm:
    """Dose and FED of every group of one run, integrated as the run goes (module docstring).

    Arrays are per group, in the demand's order: ``fed``, ``dose`` (ppm·min, TDU, or for a blast
    the peak overpressure in psi), ``t_incapacitated_s`` (NaN if never); per engine agent the
    legs it carried: ``riders``, ``agent_t0_s``, ``agent_origin``, ``agent_end``.
    """

    def __init__(self, sim: SimState) -> None:
        self.sim = sim
        self.field = sim.prepared.zones.harm
        n = len(sim.g_persons)
        self.riders: list[list[int]] = []
        self.agent_t0_s: list[float] = []
        self.agent_origin: list[int] = []
        self.agent_end: list[tuple[float, int] | None] = []
        self.rides: list[list[int]] = [[] for _ in range(n)]
        self.fed = np.zeros(n)
        self.dose = np.zeros(n)
        self.t_incapacitated_s = np.full(n, np.nan)
        self.t_from = np.zeros(n)  # integrated up to here
        self.leg = np.full(n, -1, dtype=np.int64)  # agent carrying the group (-1: at a place)
        self.place = sim.g_origin.copy()  # node of its place while not on a leg
        self.home = np.ones(n, dtype=bool)  # not yet left home (indoors)
        self.version = np.zeros(n, dtype=np.int64)  # bumped when it leaves a place
        field = self.field
        self.dosing = field is not None and field.kind != "blast"
        # when the FED rate can be above zero on each edge and at each node (outside: skip)
        net = sim.prepared.network
        self.edge_on = self.edge_off = np.zeros(0)
        self.node_on, self.node_off = np.full(net.n_nodes, np.inf), np.full(net.n_nodes, -np.inf)
        self.link_on: list[float] = []
        self.link_off: list[float] = []
        self._timelines: dict[tuple[int, bool], PointTimeline] = {}
        if self.dosing:
            assert field is not None
            self.edge_on, self.edge_off = field.windows_s(net.edge_geometry)
            self.link_on = self.edge_on[sim.links.link_edge].tolist()
            self.link_off = self.edge_off[sim.links.link_edge].tolist()
            nodes = np.asarray(shapely.points(net.node_x_m, net.node_y_m), dtype=object)
            self.node_on, self.node_off = field.windows_s(nodes)

    # ------------------------------------------------------------------ hooks
    def start(self) -> None:
        """Schedule the first checks: FED 1 at home, and the blast."""
        field = self.field
        if field is None:
            return
        if self.dosing:
            for g in np.flatnonzero(np.isfinite(self.node_off[self.place])).tolist():
                self._schedule(g)
        for t in sorted({b.t_s for b in field.blasts}):
            ev = self.sim.env.timeout(max(0.0, t - self.sim.env.now))
            ev.callbacks.append(lambda _ev: self._blast())

    def board(self, agent: int, groups: list[int], origin: int) -> None:
        """Engine agent ``agent`` (just added at ``origin``) carries ``groups`` from now."""
        now = float(self.sim.env.now)
        assert agent == len(self.riders), "agents are numbered in the order they are added"
        self.riders.append(list(groups))
        self.agent_t0_s.append(now)
        self.agent_origin.append(origin)
        self.agent_end.append(None)
        for g in groups:
            if self._out(g):
                continue
            self.leg[g] = agent  # before closing the place: a casualty found now is aboard
            self._close_place(g, now)
            if self._out(g):
                continue
            self.rides[g].append(agent)
            self.home[g] = False
            self.version[g] += 1

    def leg_end(self, agent: int, node: int, t_s: float) -> None:
        """Agent ``agent`` left the network at ``node`` (arrived or stranded): integrate the leg
        for the groups it carried; incapacitate those whose FED reached 1 on the way."""
        self.agent_end[agent] = (t_s, node)
        groups = [g for g in self.riders[agent] if self.leg[g] == agent]
        if not groups:
            return
        self._advance_leg(agent, groups, t_s)
        for g in groups:
            if self._out(g):
                continue
            self.leg[g] = -1
            self.place[g] = node
            self.t_from[g] = t_s
            if self.dosing and self.node_off[node] > t_s:
                self._schedule(g)

    def finish(self) -> None:
        """At the end of the run: integrate every leg still running and every place."""
        now = float(self.sim.env.now)
        if not self.dosing:
            return
        on_leg: dict[int, list[int]] = {}
        for g in range(len(self.fed)):
            if self._out(g) or self.sim.state[g] == "sheltered":
                continue
            if self.leg[g] >= 0:
                on_leg.setdefault(int(self.leg[g]), []).append(g)
            else:
                self._close_place(g, now)
        for agent, groups in sorted(on_leg.items()):
            self._advance_leg(agent, groups, now)

    # ---------------------------------------------------------------- places
    def _timeline(self, node: int, indoor: bool) -> PointTimeline:
        """The rates at a node as a step function of time (computed once per node)."""
        key = (node, indoor)
        tl = self._timelines.get(key)
        if tl is None:
            assert self.field is not None
            x, y = self._xy(node)
            tl = self._timelines[key] = self.field.point_timeline(x, y, indoor=indoor)
        return tl

    def _node_hot(self, node: int, t0: float, t1: float) -> bool:
        """Whether anyone at ``node`` between ``t0`` and ``t1`` could gain FED."""
        return bool(t0 < self.node_off[node] and t1 > self.node_on[node])

    def _out(self, g: int) -> bool:
        return bool(self.sim.state[g] == "incapacitated")

    def _xy(self, node: int) -> tuple[float, float]:
        net = self.sim.prepared.network
        return float(net.node_x_m[node]), float(net.node_y_m[node])

    def _schedule(self, g: int) -> None:
        """Schedule the instant the group's FED reaches 1 if it stays at its place."""
        assert self.field is not None
        node = int(self.place[g])
        if not self._node_hot(node, float(self.t_from[g]), math.inf):
            return
        timeline = self._timeline(node, bool(self.home[g]))
        t_star = timeline.crossing_s(float(self.t_from[g]), 1.0 - float(self.fed[g]))
        if not math.isfinite(t_star):
            return
        version = int(self.version[g])
        ev = self.sim.env.timeout(max(0.0, t_star - float(self.sim.env.now)))
        ev.callbacks.append(lambda _ev: self._check(g, version))

    def _check(self, g: int, version: int) -> None:
        if self.version[g] != version or self._out(g) or self.sim.state[g] == "sheltered":
            return
        self._close_place(g, float(self.sim.env.now), tolerance=_FED_TOLERANCE)
        if not self._out(g):
            self._schedule(g)  # the forecast did not hold (rounding): look again

    def _close_place(self, g: int, t_s: float, *, tolerance: float = 0.0) -> None:
        """Integrate the group's stay at its place up to ``t_s``."""
        t0 = float(self.t_from[g])
        self.t_from[g] = t_s
        node = int(self.place[g])
        if not self.dosing or self.sim.state[g] == "sheltered":
            return
        if not self._node_hot(node, t0, t_s):
            return
        timeline = self._timeline(node, bool(self.home[g]))
        fed, dose = timeline.gain(t0, t_s)
        to_go = 1.0 - float(self.fed[g])
        if fed < to_go - tolerance:
            self.fed[g] += fed
            self.dose[g] += dose
            return
        t_star = min(timeline.crossing_s(t0, to_go), t_s)
        self.dose[g] += timeline.gain(t0, t_star)[1]
        self.fed[g] = 1.0
        self._incapacitate(g, t_star, node)

    # ------------------------------------------------------------------ legs
    def _hot_leg(self, agent: int, t_s: float) -> bool:
        """Whether the leg, up to ``t_s``, was anywhere while FED could be gained there."""
        records = self.sim.engine.path(agent)
        first_in = records[0][1] if records else t_s
        if self._node_hot(self.agent_origin[agent], self.agent_t0_s[agent], first_in):
            return True
        on, off = self.link_on, self.link_off
        for link, tin, tout in records:
            if tin < off[link] and (t_s if math.isnan(tout) else tout) > on[link]:
                return True
        return False

    def leg_intervals(self, agent: int, ta: float, tb: float, owner: int = 0) -> Intervals:
        """The leg of ``agent`` between ``ta`` and ``tb`` as short intervals."""
        sim = self.sim
        pieces = Pieces()
        add_leg(
            pieces, owner, sim.engine.path(agent), link_edge=sim.links.link_edge,
            link_freeflow_s=sim.links.spec.freeflow_s, net=sim.prepared.network,
            origin=self.agent_origin[agent], t_start=self.agent_t0_s[agent],
            end=self.agent_end[agent], ta=ta, tb=tb,
        )  # fmt: skip
        assert self.field is not None
        # waits within a leg (an origin queue) are short: sampled like the roads
        return subdivide(pieces, sim.prepared.network, breaks_s=self.field.breaks_s)

    def _advance_leg(self, agent: int, groups: list[int], t_s: float) -> None:
        """Add the leg's FED and dose since the groups boarded; incapacitate at FED 1."""
        if not self.dosing or not self._hot_leg(agent, t_s):
            return
        assert self.field is not None
        iv = self.leg_intervals(agent, float(self.t_from[groups[0]]), t_s)
        fed_rate, dose_rate = self.field.rates(iv.x_m, iv.y_m, iv.t_s)
        d_fed, d_dose = fed_rate * iv.dt_s, dose_rate * iv.dt_s
        cum = np.cumsum(d_fed)
        gained = float(cum[-1]) if cum.size else 0.0
        for g in groups:
            to_go = 1.0 - float(self.fed[g])
            if gained < to_go:
                self.fed[g] += gained
                self.dose[g] += float(d_dose.sum())
                self.t_from[g] = t_s
                continue
            k = int(np.searchsorted(cum, to_go, side="left"))
            before = float(cum[k - 1]) if k else 0.0
            share = (to_go - before) / float(d_fed[k])  # of interval k, at a constant rate
            t_star = float(iv.ta[k] + share * (iv.tb[k] - iv.ta[k]))
            self.fed[g] = 1.0
            self.dose[g] += float(d_dose[:k].sum() + share * d_dose[k])
            self._incapacitate(g, t_star, _node_at(iv, k, share, self.sim))

    # ----------------------------------------------------------------- blast
    def position(self, g: int, t_s: float) -> tuple[float, float, int]:
        """Estimated ``(x_m, y_m, nearest node)`` of a group now (on a leg: from its records)."""
        agent = int(self.leg[g])
        if agent < 0:
            node = int(self.place[g])
            return (*self._xy(node), node)
        iv = self.leg_intervals(agent, t_s - 1e-6, t_s + 1e-6)
        if len(iv) == 0:
            node = self.agent_origin[agent]
            return (*self._xy(node), node)
        return float(iv.x_m[0]), float(iv.y_m[0]), _node_at(iv, 0, 0.5, self.sim)

    def _blast(self) -> None:
        """Peak overpressure for everyone not in a shelter; casualties inside the red contour."""
        field, sim = self.field, self.sim
        assert field is not None
        now = float(sim.env.now)
        who = [g for g in range(len(self.fed)) if not self._out(g) and sim.state[g] != "sheltered"]
        where = [self.position(g, now) for g in who]
        if not who:
            return
        x = np.array([w[0] for w in where])
        y = np.array([w[1] for w in where])
        psi = field.overpressure_psi(x, y)
        for g, p, (_, _, node) in zip(who, psi.tolist(), where, strict=True):
            self.dose[g] = max(float(self.dose[g]), p)
            self.fed[g] = max(float(self.fed[g]), p / field.casualty_psi)
            if self.fed[g] >= 1.0:
                self._incapacitate(g, now, node)

    # --------------------------------------------------------------- outcome
    def _incapacitate(self, g: int, t_s: float, node: int) -> None:
        sim = self.sim
        agent = int(self.leg[g])
        moving = sim.state[g] == "not_evacuated" or (
            sim.state[g] == "en_route" and (agent < 0 or sim.agent_kind[agent] != BUS)
        )
        self.t_incapacitated_s[g] = t_s
        self.leg[g] = -1
        self.place[g] = node
        sim.incapacitate(g, node, t_s, moving=moving)


def _node_at(iv: Intervals, k: int, share: float, sim: SimState) -> int:
    """The network node nearest to a point ``share`` of the way through interval ``k``."""
    edge = int(iv.edge[k])
    if edge < 0:
        return int(iv.node[k])
    f = float(iv.fa[k] + share * (iv.fb[k] - iv.fa[k]))
    net = sim.prepared.network
    return int(net.edge_tail[edge] if f < 0.5 else net.edge_head[edge])
