"""Emergency supplies: stock at supply points, shelters' needs, trucks making delivery runs.

Items (:data:`ITEMS`): drinking water (litres), food rations, blankets, medical kits. Each supply
point of the area's ``supply_points`` layer holds an integer stock per item (``stock_<item>``;
missing = 0). A shelter's cumulative need for an item at time t is

    need(t) = per_person × persons admitted so far + per_person_h × person-hours spent there,

from its exact occupancy history. Defaults:

* water 0.125 l per person per hour = 3 l/day: the drinking-water share of the Sphere minimum
  (Sphere Handbook 2018, WASH, water supply standard 2.1: 7.5–15 l/person/day in all, of which
  2.5–3 l for drinking and food);
* food 0.125 rations per person per hour (3 rations a day) — ASSUMPTION;
* blankets 1 per person on arrival — ASSUMPTION (Sphere 2018, shelter and settlement standard 4,
  asks for sufficient bedding per person without fixing a number);
* medical kits 0.01 per person on arrival (one first-aid kit per 100 persons) — ASSUMPTION.

Trucks (``trucks_per_point`` per supply point outside the evacuation zone, road space 2 car
units like a bus) wait ``mobilisation_s`` for loading, then loop: pick the shelter with the
largest projected unmet need — need now plus ``lookahead_h`` hours at its current occupancy,
minus what was delivered or is on the way, summed over items in truckloads — load what is
needed (never more than the truck's capacity or the stock: integers), drive there on the
congested network (the evacuees' hazard rule, :mod:`evacsim.plan.reach`), unload, drive back.
A truck with nothing to do looks again every ``sample_s``. Bookkeeping is in integers so that,
per point and item, delivered + in transit + left == initial stock exactly.
Unmet demand per shelter (need − delivered, clipped at 0) is sampled every ``sample_s``.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from evacsim.errors import SimulationError
from evacsim.scenario.supplies import ITEMS
from evacsim.sim.state import SUPPLY, SimState

if TYPE_CHECKING:
    from evacsim.sim.facilities import Facilities

__all__ = ["Supplies"]

log = logging.getLogger(__name__)


class _Need:
    """Cumulative need per shelter and item, read incrementally from the occupancy log."""

    def __init__(self, fac: Facilities, once: np.ndarray, rate_h: np.ndarray) -> None:
        self.fac = fac
        n = len(self.fac.s_ids)
        self.once, self.rate_h = once, rate_h
        self.ptr = 0
        self.last_t = np.zeros(n)
        self.occ = np.zeros(n)
        self.person_s = np.zeros(n)
        self.admitted = np.zeros(n)

    def at(self, now: float) -> np.ndarray:
        """``(n_shelters, n_items)`` cumulative need at ``now`` (float)."""
        log_ = self.fac.occupancy_log
        for fid, t, occ in log_[self.ptr :]:
            s = self.fac.s_index.get(fid)
            if s is None:
                continue
            self.person_s[s] += self.occ[s] * (t - self.last_t[s])
            self.admitted[s] += max(0, occ - self.occ[s])
            self.last_t[s], self.occ[s] = t, occ
        self.ptr = len(log_)
        person_h = (self.person_s + self.occ * (now - self.last_t)) / 3600.0
        return self.admitted[:, None] * self.once + person_h[:, None] * self.rate_h


class Supplies:
    """Stock, trucks and deliveries of one run (see the module docstring)."""

    def __init__(self, sim: SimState, facilities: Facilities) -> None:
        from evacsim.plan.make import outside_zone

        prep = sim.prepared
        self.sim, self.env, self.spec = sim, sim.env, prep.scenario.supplies
        self.fac = facilities
        sp = prep.area.supply_points
        self.ids = sp["id"].astype(str).tolist()
        self.node = prep.snapped.supply_points.car_node.astype(np.int64)
        self.usable, self.warnings = outside_zone(prep, "supply_points")
        cols = [f"stock_{item}" for item in ITEMS]
        stock = sp.reindex(columns=cols).fillna(0).to_numpy(float)
        self.initial = np.floor(stock).astype(np.int64).reshape(len(self.ids), len(ITEMS))
        self.stock = self.initial.copy()
        self.sent = np.zeros_like(self.initial)  # delivered, per point
        self.transit = np.zeros_like(self.initial)  # on a truck, per point
        n_s = len(facilities.s_ids)
        self.delivered = np.zeros((n_s, len(ITEMS)), dtype=np.int64)
        self.coming = np.zeros((n_s, len(ITEMS)), dtype=np.int64)
        self.first = np.full(n_s, np.nan)
        self.cap = np.floor(self.spec.truck_capacity.as_array()).astype(np.int64)
        self.need = _Need(
            facilities, self.spec.need_per_person.as_array(), self.spec.need_per_person_h.as_array()
        )
        self.runs: list[dict[str, Any]] = []
        self.legs: list[tuple[int, int, int]] = []  # (truck, run row, agent)
        self.samples: list[tuple[str, float, str, float, int, float]] = []
        self.trucks: list[int] = [p for p in np.flatnonzero(self.usable).tolist()
                                  for _ in range(self.spec.trucks_per_point)]  # fmt: skip
        self.enabled = self.spec.enabled and n_s > 0 and bool(self.trucks)
        self.reach: dict[int, np.ndarray] = {}

    def _reachable(self, p: int) -> np.ndarray:
        """Shelters a truck of point ``p`` can reach at the start (free-flow routing)."""
        home, router = int(self.node[p]), self.sim.router
        return np.array(
            [np.isfinite(router.time_s("car", (int(n),))[home]) for n in self.fac.s_car]
        )

    def start(self) -> None:
        """Put the trucks and the unmet-demand sampler on the clock."""
        if not self.enabled:
            return
        for p in sorted(set(self.trucks)):
            self.reach[p] = self._reachable(p)
            if not self.reach[p].any():
                self.warnings.append(f"supply point {self.ids[p]}: no shelter reachable by road")
        for k, p in enumerate(self.trucks):
            self.env.process(self._truck(k, p))
        self.env.process(self._sampler())

    def truck_label(self, k: int) -> str:
        """``"<supply point id>/<k>"``: the k-th truck (from 1) of its supply point."""
        p = self.trucks[k]
        return f"{self.ids[p]}/{k - self.trucks.index(p) + 1}"

    # ------------------------------------------------------------------ trucks
    def _pick(self, p: int) -> tuple[int, np.ndarray]:
        """Shelter with the largest projected unmet need point ``p`` can serve, and the load."""
        need = self.need.at(float(self.env.now))  # also brings the occupancy up to date
        rate_h = self.spec.need_per_person_h.as_array()
        ahead = self.need.occ[:, None] * rate_h * self.spec.lookahead_h
        projected = need + ahead - self.delivered - self.coming
        want = np.ceil(np.clip(projected, 0.0, None)).astype(np.int64)
        load_all = np.minimum(np.minimum(want, self.cap), self.stock[p])
        score = (load_all / np.maximum(self.cap, 1)).sum(axis=1) * self.reach[p]
        s = int(np.argmax(score)) if len(score) else -1
        if s < 0 or score[s] <= 0:
            return -1, np.zeros(len(ITEMS), dtype=np.int64)
        return s, load_all[s]

    def _drive(self, k: int, row: int, origin: int, dest: int) -> Generator[Any, Any, Any]:
        if origin == dest:
            return None
        table = self.sim.router.table("car", (dest,))
        agent = self.sim.add_agent(SUPPLY, k, origin, table, size=2)
        self.legs.append((k, row, agent))
        return (yield self.sim.engine.arrival_event(agent))

    def _truck(self, k: int, p: int) -> Generator[Any, Any, None]:
        home = int(self.node[p])
        if self.spec.mobilisation_s > 0:
            yield self.env.timeout(self.spec.mobilisation_s)
        while self.stock[p].sum() > 0:
            s, load = self._pick(p)
            if s < 0:
                yield self.env.timeout(self.spec.sample_s)
                continue
            self.stock[p] -= load
            self.transit[p] += load
            self.coming[s] += load
            row = len(self.runs)
            self.runs.append(
                {"truck": self.truck_label(k), "supply_point": self.ids[p],
                 "shelter": self.fac.s_ids[s], "t_depart_s": float(self.env.now),
                 "t_arrive_s": np.nan, "status": "en_route",
                 **dict(zip(ITEMS, load.tolist(), strict=True))}
            )  # fmt: skip
            dest = int(self.fac.s_car[s])
            out = yield from self._drive(k, row, home, dest)
            if out is not None and not out.arrived:
                self.runs[row]["status"] = "stranded"  # the load stays "in transit"
                self.sim.log_event("truck_stranded", self.truck_label(k), str(out.node), out.reason)
                return
            self._unload(p, s, load, row)
            out = yield from self._drive(k, row, dest, home)
            if out is not None and not out.arrived:
                return

    def _unload(self, p: int, s: int, load: np.ndarray, row: int) -> None:
        self.transit[p] -= load
        self.sent[p] += load
        self.coming[s] -= load
        self.delivered[s] += load
        now = float(self.env.now)
        if np.isnan(self.first[s]):
            self.first[s] = now
        self.runs[row].update(t_arrive_s=now, status="delivered")
        self.sim.log_event("delivery", self.runs[row]["truck"], self.runs[row]["shelter"])

    def _sampler(self) -> Generator[Any, Any, None]:
        while True:
            self._sample()
            yield self.env.timeout(self.spec.sample_s)

    def _sample(self) -> None:
        now = float(self.env.now)
        need = self.need.at(now)
        for s, sid in enumerate(self.fac.s_ids):
            for i, item in enumerate(ITEMS):
                got = int(self.delivered[s, i])
                unmet = max(0.0, float(need[s, i]) - got)
                self.samples.append((sid, now, item, float(need[s, i]), got, unmet))

    # ------------------------------------------------------------------ tables
    def tables(self) -> dict[str, pd.DataFrame]:
        """``supplies`` (runs), ``supply_stock``, ``supply_unmet``, ``supply_paths``.

        Raises
        ------
        SimulationError
            If delivered + in transit + left differs from the initial stock (a bug).
        """
        if not np.array_equal(self.sent + self.transit + self.stock, self.initial):
            raise SimulationError("supplies: delivered + in transit + left != initial stock")
        if self.enabled and (not self.samples or self.samples[-1][1] < self.env.now):
            self._sample()  # the state at the end of the run, unless just sampled
        sim = self.sim
        net, links = sim.prepared.network, sim.links
        paths = [
            (self.truck_label(k), row, int(links.link_edge[link]), t_in, t_out)
            for k, row, agent in self.legs
            for link, t_in, t_out in sim.engine.path(agent)
        ]
        stock = [
            (pid, item, int(self.initial[p, i]), int(self.sent[p, i]), int(self.transit[p, i]),
             int(self.stock[p, i]))
            for p, pid in enumerate(self.ids)
            for i, item in enumerate(ITEMS)
        ]  # fmt: skip
        runs = pd.DataFrame(
            self.runs,
            columns=["truck", "supply_point", "shelter", "t_depart_s", "t_arrive_s", "status",
                     *ITEMS],
        )  # fmt: skip
        dist = (
            pd.Series(net.length_m[[e for _, _, e, _, _ in paths]])
            .groupby([row for _, row, _, _, _ in paths])
            .sum()
        )
        runs["distance_m"] = dist.reindex(range(len(runs))).fillna(0.0).to_numpy()
        return {
            "supplies": runs,
            "supply_stock": pd.DataFrame(
                stock,
                columns=["supply_point", "item", "initial", "delivered", "in_transit", "left"],
            ),
            "supply_unmet": pd.DataFrame(
                self.samples, columns=["shelter", "t_s", "item", "need", "delivered", "unmet"]
            ),
            "supply_paths": pd.DataFrame(
                paths, columns=["truck", "run", "edge", "t_enter_s", "t_exit_s"]
            ),
        }
