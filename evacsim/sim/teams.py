"""Emergency teams as SimPy agents: posts, traffic control, cordon and door-to-door help.

Each team of the area's ``team_bases`` layer has ``members`` and ``vehicles``. Every vehicle is a
SimPy process driving a car-sized agent (size 1) through the same link queues as everyone else
(:mod:`evacsim.sim.engine`), after a mobilisation delay. Its work, in this order:

1. **Posts** of its own team, one after the other: it drives ``staff_per_post`` members to the
   post, drops them (the post is *staffed* from that instant) and is free again. Posts are, in
   priority order: the scenario's ``[[teams.tasks]]``; every assembly point that expects people
   (an assembly point dispatches buses only once staffed,
   :attr:`evacsim.sim.facilities.Facilities.staffed_at`); ``cordon_points`` cordon points on the
   roads
   that cross the red zone's edge; every usable shelter (shelters admit regardless; their
   unstaffed time is reported). A default post goes to the team nearest by free-flow driving time
   that still has ``staff_per_post`` free members.
2. **Door-to-door help**: persons who need assistance (mode ``assisted``) do not walk when the
   area has teams: at their departure time (when they are ready) they call for help and wait at
   home. A free vehicle takes the oldest call and up to ``vehicle_capacity_persons`` persons of
   calls for the same assembly point, collects them (several stops) and drives
   them to their assembly point (``t_assembly_s`` = arrival), then takes the next calls. Without
   teams (no ``team_bases``, or no vehicles) today's behaviour stays: they walk, and a warning
   says nobody helps them.

**Traffic control** at a junction (node ``n``), from the moment it is staffed: links leaving
``n`` toward the hazard (head nearer the nearest hazard source than the tail) are closed to
evacuees (route tables rebuilt; teams still pass), and links leaving ``n`` away from it get their
flow capacity times ``capacity_factor`` (default 1.15). The factor is an ASSUMPTION: manual
control by police of a junction that otherwise runs on priority rules or signals, where officers
clear conflicting movements and give the outbound approaches continuous green; the 15 % stands
for the lost time and conflicts removed (HCM 6th ed., ch. 19-20, treats lost time per phase as
2-4 s of a 60-120 s cycle) and must be calibrated with drill counts.

**Routing rules.** Empty team vehicles are emergency vehicles: they may enter any threat level
but never a road the scenario closes; they ignore the evacuee-only closures of traffic control.
A vehicle carrying evacuees follows the evacuees' hazard rule (:mod:`evacsim.plan.reach`:
nobody is driven into a worse zone than the one they are in at that instant).

Mobilisation (default 300 s, teams on standby leave their base five minutes after the alarm)
and the defaults above are assumptions for drills to replace.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from evacsim.errors import ScenarioError
from evacsim.network.graph import RoadNetwork
from evacsim.network.routing import route_tree
from evacsim.network.snap import snap_points
from evacsim.plan.make import door_to_door
from evacsim.scenario.teams import TeamTask
from evacsim.sim.state import TEAM, SimState

if TYPE_CHECKING:
    from evacsim.sim.facilities import Facilities
    from evacsim.sim.router import Router

__all__ = ["Teams", "close_for_evacuees", "cordon_nodes", "junction_links"]


_MAX_SNAP_M = 300.0


@dataclass
class _Post:
    kind: str  # one of TASK_KINDS except door_to_door
    target: str
    node: int
    team: int
    index: int = -1  # assembly point or shelter index


# ---------------------------------------------------------------- geometry helpers


def junction_links(
    net: RoadNetwork, node: int, sources_xy: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Drivable edges leaving ``node``, split into (toward the hazard, away from it).

    An edge goes toward the hazard when its head is nearer the source nearest ``node`` than its
    tail (straight-line distances in the network's metric CRS). Without sources every edge is
    "away".
    """
    out = np.flatnonzero((net.edge_tail == node) & net.drivable)
    if len(sources_xy) == 0:
        return out[:0], out
    pts = np.asarray(sources_xy, dtype=float).reshape(-1, 2)
    x0, y0 = net.node_x_m[node], net.node_y_m[node]
    sx, sy = pts[np.argmin(np.hypot(pts[:, 0] - x0, pts[:, 1] - y0))]
    head = net.edge_head[out]
    d_head = np.hypot(net.node_x_m[head] - sx, net.node_y_m[head] - sy)
    toward = d_head < np.hypot(x0 - sx, y0 - sy)
    return out[toward], out[~toward]


def cordon_nodes(net: RoadNetwork, red: BaseGeometry | None, k: int) -> list[int]:
    """Up to ``k`` cordon nodes: outer ends of drivable edges crossing the red zone's edge.

    Ranked by the crossing road's capacity (busiest roads first, the ones evacuees and traffic
    use most), then by node number; geometries in the network's CRS.
    """
    if k <= 0 or red is None or red.is_empty:
        return []
    edges = np.flatnonzero(net.drivable)
    crossing = edges[shapely.intersects(net.edge_geometry[edges], red.boundary)]
    inside = shapely.contains_xy(red, net.node_x_m, net.node_y_m)
    best: dict[int, float] = {}
    for e in crossing.tolist():
        for n in (int(net.edge_tail[e]), int(net.edge_head[e])):
            if not inside[n]:
                best[n] = max(best.get(n, 0.0), float(net.capacity_vph[e]))
    ranked = sorted(best, key=lambda n: (-best[n], n))
    return ranked[:k]


def close_for_evacuees(router: Router, edges: np.ndarray) -> None:
    """Close ``edges`` in the evacuees' router and rebuild its route tables now.

    Team vehicles use their own tables (:class:`_TeamRoutes`) and are not affected.
    """
    router.close_edges(edges)


class _TeamRoutes:
    """Route tables for empty team vehicles: every threat level, never a closed road."""

    def __init__(self, sim: SimState) -> None:
        self.sim = sim
        self.usable = sim.links.usable["car"] & ~sim.router.closed_edges
        self._tables: dict[int, int] = {}

    def time_s(self, dest: int) -> np.ndarray:
        net, links = self.sim.prepared.network, self.sim.links
        return route_tree(net, [dest], weight_s=links.weight_s["car"], usable=self.usable).time_s

    def table(self, dest: int) -> int:
        tid = self._tables.get(dest)
        if tid is None:
            net, links = self.sim.prepared.network, self.sim.links
            tree = route_tree(net, [dest], weight_s=links.weight_s["car"], usable=self.usable)
            nxt = np.full(net.n_nodes, -1, dtype=np.int64)
            has = tree.next_edge >= 0
            nxt[has] = links.edge_link["car"][tree.next_edge[has]]
            tid = self._tables[dest] = self.sim.engine.add_route_table(nxt, [dest])
        return tid


# ---------------------------------------------------------------------- the agents


class Teams:
    """The teams of one run: their posts, vehicles, calls for help and records.

    Created by :class:`evacsim.sim.simulation.Simulation` after its facilities; :meth:`start` puts
    the vehicle processes on the clock; :meth:`tables` gives ``results.extra`` entries.
    """

    def __init__(self, sim: SimState, facilities: Facilities) -> None:
        sc = sim.prepared.scenario
        self.sim, self.env, self.spec = sim, sim.env, sc.teams
        self.fac = facilities
        self.where = str(sc.path) if sc.path else sc.name
        tb = sim.prepared.area.team_bases
        self.ids = tb["id"].astype(str).tolist()
        self.names = tb["name"].astype(str).tolist()
        self.members = tb["members"].to_numpy(np.int64)
        self.vehicles = tb["vehicles"].to_numpy(np.int64)
        self.base = sim.prepared.snapped.team_bases.car_node.astype(np.int64)
        self.warnings: list[str] = []
        self.active = len(self.ids) > 0 and int(self.vehicles.sum()) > 0
        self.door_to_door = door_to_door(sim.prepared)
        self.tasks: list[dict[str, Any]] = []
        self.legs: list[tuple[int, int, int]] = []  # (vehicle, task row, engine agent)
        self.requests: deque[int] = deque()
        self.called: set[int] = set()  # groups waiting at home for a team vehicle
        self.has_called: set[int] = set()  # groups that made their call (or never will)
        self.signal = self.env.event()
        self.queue: list[deque[_Post]] = [deque() for _ in self.ids]
        self.v_team = np.repeat(np.arange(len(self.ids)), self.vehicles if self.active else 0)
        self.alive = np.bincount(self.v_team, minlength=len(self.ids))
        assisted = np.flatnonzero((sim.g_mode == "assisted") & (sim.g_ap >= 0))
        self.to_call = len(assisted) if self.door_to_door else 0
        self.pickup = self._pickup_nodes(assisted)
        self.routes = _TeamRoutes(sim)
        if not self.door_to_door and len(assisted):
            why = "teams.door_to_door = false" if self.active else "no team has a vehicle"
            self.warnings.append(
                f"{int(sim.g_persons[assisted].sum())} persons who need assistance walk to their "
                f"assembly point alone ({why}): nobody helps them"
            )
        if self.active:
            self._plan_posts()

    def _pickup_nodes(self, groups: np.ndarray) -> dict[int, int]:
        """Nearest drivable node to each assisted group's home node (where a vehicle stops)."""
        if not self.door_to_door or not len(groups):
            return {}
        net = self.sim.prepared.network
        origin = self.sim.g_origin[groups]
        pts = gpd.GeoSeries(shapely.points(net.node_x_m[origin], net.node_y_m[origin]), crs=net.crs)
        nodes, _ = snap_points(net, pts, mode="car")
        return dict(zip(groups.tolist(), nodes.astype(int).tolist(), strict=True))

    # ------------------------------------------------------------------- posts
    def _plan_posts(self) -> None:
        sim, spec = self.sim, self.spec
        fac = self.fac
        free = self.members.copy()
        posts = self._explicit_posts(free)
        staffed = {p.target for p in posts if p.kind.startswith("staff")}
        wanted: list[tuple[str, str, int, int]] = []
        if spec.staff_assembly_points:
            for ap in np.flatnonzero(fac.expected > 0).tolist():
                if fac.ap_ids[ap] not in staffed:
                    wanted.append(("staff_assembly", fac.ap_ids[ap], int(fac.ap_car[ap]), ap))
        red = sim.prepared.zones.final().get("red")
        for n in cordon_nodes(sim.prepared.network, red, spec.cordon_points):
            wanted.append(("cordon", f"node {n}", n, -1))
        if spec.staff_shelters:
            used = sorted({s for prefs in fac.prefs.values() for s in prefs})
            for s in used:
                if fac.s_ids[s] not in staffed:
                    wanted.append(("staff_shelter", fac.s_ids[s], int(fac.s_car[s]), s))
        for kind, target, node, index in wanted:
            post = self._nearest(free, kind, target, node, index)
            if post is not None:
                posts.append(post)
            elif kind == "staff_assembly":
                fac.staffed_at[index] = np.nan  # never staffed: dispatches no bus
        for post in posts:
            if post.kind == "staff_assembly":
                fac.staffed_at[post.index] = np.inf  # staff on the way
            self.queue[post.team].append(post)

    def _nearest(
        self, free: np.ndarray, kind: str, target: str, node: int, index: int
    ) -> _Post | None:
        need = self.spec.staff_per_post
        time_s = self.routes.time_s(node)[self.base]
        ok = (self.vehicles > 0) & (free >= need) & np.isfinite(time_s)
        if not ok.any():
            self.warnings.append(
                f"{kind} {target}: no team with {need} free members, a vehicle and a route; "
                "not staffed"
            )
            return None
        team = int(np.argmin(np.where(ok, time_s, np.inf)))
        free[team] -= need
        return _Post(kind, target, node, team, index)

    def _explicit_posts(self, free: np.ndarray) -> list[_Post]:
        posts: list[_Post] = []
        fac = self.fac
        for i, task in enumerate(self.spec.tasks):
            field = f"{self.where}: field 'teams.tasks.{i}"
            if task.team not in self.ids:
                raise ScenarioError(f"{field}.team': {task.team!r} is not in the team_bases layer")
            team = self.ids.index(task.team)
            if self.vehicles[team] <= 0:
                raise ScenarioError(f"{field}.team': team {task.team!r} has no vehicle")
            if task.task == "staff":
                fid = str(task.facility)
                if fid in fac.ap_ids:
                    ap = fac.ap_ids.index(fid)
                    post = _Post("staff_assembly", fid, int(fac.ap_car[ap]), team, ap)
                elif fid in fac.s_ids:
                    s = fac.s_ids.index(fid)
                    post = _Post("staff_shelter", fid, int(fac.s_car[s]), team, s)
                else:
                    raise ScenarioError(
                        f"{field}.facility': {fid!r} is not an assembly point or shelter"
                    )
            else:
                node = self._task_node(task, field)
                post = _Post(task.task, f"node {node}", node, team)
            free[team] -= self.spec.staff_per_post
            if free[team] < 0:
                self.warnings.append(f"team {task.team}: more posts than members")
            posts.append(post)
        return posts

    def _task_node(self, task: TeamTask, field: str) -> int:
        net = self.sim.prepared.network
        if task.node is not None:
            if task.node >= net.n_nodes or not net.usable_nodes("car")[task.node]:
                raise ScenarioError(f"{field}.node': {task.node} is not a drivable network node")
            return int(task.node)
        assert task.at is not None
        pts = gpd.GeoSeries(shapely.points([task.at[0]], [task.at[1]]), crs="EPSG:4326")
        nodes, dist = snap_points(net, pts, mode="car")
        if not dist[0] <= _MAX_SNAP_M:
            raise ScenarioError(
                f"{field}.at': {list(task.at)} is {dist[0]:.0f} m from the nearest road node "
                f"(more than {_MAX_SNAP_M:.0f} m)"
            )
        return int(nodes[0])

    # ---------------------------------------------------------------- vehicles
    def start(self) -> None:
        """Put every team vehicle's process on the clock."""
        for v in range(len(self.v_team)):
            self.env.process(self._vehicle(v))

    def label(self, v: int) -> str:
        """``"<team id>/<k>"``: the k-th vehicle (from 1) of its team."""
        team = int(self.v_team[v])
        return f"{self.ids[team]}/{v - int(np.searchsorted(self.v_team, team)) + 1}"

    def _notify(self) -> None:
        signal, self.signal = self.signal, self.env.event()
        signal.succeed()

    def _vehicle(self, v: int) -> Generator[Any, Any, None]:
        team = int(self.v_team[v])
        node = int(self.base[team])
        if self.spec.mobilisation_s > 0:
            yield self.env.timeout(self.spec.mobilisation_s)
        while node >= 0:
            if self.queue[team]:
                node = yield from self._staff(v, node, self.queue[team].popleft())
            elif self.requests:
                node = yield from self._trip(v, node)
            elif self.to_call > 0:
                yield self.signal
            else:
                return
        self._vehicle_lost(team)

    def _vehicle_lost(self, team: int) -> None:
        self.alive[team] -= 1
        if self.alive[team] == 0:
            while self.queue[team]:
                self._post_failed(self.queue[team].popleft())
        if self.alive.sum() == 0:
            while self.requests:
                self._strand_call(self.requests.popleft())
            self.sim.settle_check()

    def _task(self, v: int, kind: str, target: str, node: int, persons: int = 0) -> int:
        team = self.ids[int(self.v_team[v])]
        self.tasks.append(
            {"team": team, "vehicle": self.label(v), "task": kind, "target": target,
             "node": node, "persons": persons, "t_depart_s": float(self.env.now),
             "t_start_s": np.nan, "t_finish_s": np.nan, "status": "en_route"}
        )  # fmt: skip
        return len(self.tasks) - 1

    def _drive(
        self, v: int, row: int, origin: int, dest: int, table: int, aboard: list[int]
    ) -> Generator[Any, Any, Any]:
        """Drive vehicle ``v`` to ``dest``; yields the engine's outcome (None: already there)."""
        if origin == dest:
            return None
        agent = self.sim.add_agent(TEAM, v, origin, table, carrying=aboard)
        self.legs.append((v, row, agent))
        for g in aboard:
            self.sim.g_agents[g].append(agent)
        return (yield self.sim.engine.arrival_event(agent))

    def _staff(self, v: int, node: int, post: _Post) -> Generator[Any, Any, int]:
        """Drop staff at a post; returns the vehicle's node (-1: stranded)."""
        row = self._task(v, post.kind, post.target, post.node, self.spec.staff_per_post)
        out = yield from self._drive(v, row, node, post.node, self.routes.table(post.node), [])
        if out is not None and not out.arrived:
            self.tasks[row]["status"] = "stranded"
            self.sim.log_event("team_stranded", self.label(v), str(out.node), out.reason)
            self._post_failed(post)
            return -1
        self.tasks[row].update(t_start_s=float(self.env.now), status="staffed")
        self._on_post(post, v)
        return post.node

    def _on_post(self, post: _Post, v: int) -> None:
        sim = self.sim
        sim.log_event("staffed", self.label(v), post.target, post.kind)
        if post.kind == "staff_assembly":
            self.fac.set_staffed(post.index, float(self.env.now))
        elif post.kind == "traffic_control":
            net = sim.prepared.network
            xy = np.array([(x, y) for _, x, y in sim.prepared.zones.sources], dtype=float)
            toward, away = junction_links(net, post.node, xy.reshape(-1, 2))
            sim.engine.set_capacity_factor(
                sim.links.edge_link["car"][away], self.spec.capacity_factor
            )
            if len(toward):
                close_for_evacuees(sim.router, toward)

    def _post_failed(self, post: _Post) -> None:
        self.warnings.append(f"{post.kind} {post.target}: the team never arrived")
        if post.kind == "staff_assembly":
            self.fac.set_staffed(post.index, np.nan)

    # ------------------------------------------------------------ door to door
    def request_pickup(self, g: int) -> None:
        """Group ``g`` (assisted, ready now) waits at home for a team vehicle, which takes it to
        its assembly point if the roads open now lead there from its home, else to the nearest
        one they lead to (none: it is stranded at home)."""
        sim, fac = self.sim, self.fac
        self.to_call -= 1
        self.has_called.add(g)
        if self.alive.sum() == 0:
            self._strand_call(g)
            return
        stop, ap = self.pickup[g], int(sim.g_ap[g])
        if not sim.router.reachable("car", fac.ap_node(ap, "car"), stop):
            new = fac.nearest_ap("car", stop, exclude={ap})
            fac.move_expected(g, ap, new)
            if new < 0:
                sim.strand(g, int(sim.g_origin[g]), "no_assembly_point")
                return
        self.requests.append(g)
        self.called.add(g)
        self.sim.log_event("called_team", str(self.sim.g_id[g]), str(self.pickup[g]))
        self._notify()

    def cancel_call(self, g: int) -> None:
        """Group ``g`` needs no ride any more (incapacitated): drop its call, or the call it
        was going to make."""
        self.called.discard(g)
        if g in self.requests:
            self.requests.remove(g)
        elif g in self.pickup and g not in self.has_called:
            self.has_called.add(g)
            self.to_call -= 1
            self._notify()

    def _strand_call(self, g: int) -> None:
        sim = self.sim
        self.called.discard(g)
        sim.strand(g, int(sim.g_origin[g]), "no_team_vehicle")
        self.fac.expected_gone(g, int(sim.g_ap[g]))

    def _take_batch(self) -> list[int]:
        """The oldest call and later ones for the same assembly point that fit."""
        sim, cap = self.sim, self.spec.vehicle_capacity_persons
        requests = self.requests
        first = requests.popleft()
        key = sim.g_ap[first]
        batch, load, rest = [first], int(sim.g_persons[first]), []
        # once not even the smallest household fits, the rest of the calls stay as they are
        while requests and load + sim.least_persons <= cap:
            g = requests.popleft()
            fits = load + int(sim.g_persons[g]) <= cap
            if fits and sim.g_ap[g] == key:
                batch.append(g)
                load += int(sim.g_persons[g])
            else:
                rest.append(g)
        requests.extendleft(reversed(rest))
        return batch

    def _trip(self, v: int, node: int) -> Generator[Any, Any, int]:
        """Collect a batch of calls and bring them to their assembly point."""
        sim = self.sim
        batch = self._take_batch()
        ap = int(sim.g_ap[batch[0]])
        ids = ";".join(str(sim.g_id[g]) for g in batch)
        dest = int(self.fac.ap_car[ap])
        row = self._task(v, "door_to_door", ids, dest, int(sim.g_persons[batch].sum()))
        aboard: list[int] = []
        later: list[int] = []  # calls the vehicle may not drive to with people aboard
        for k, g in enumerate(batch):
            if sim.state[g] == "incapacitated":
                continue  # while waiting for this vehicle
            stop = self.pickup[g]
            if aboard and not sim.router.reachable("car", stop, node):
                later.append(g)
                continue
            table = sim.router.table("car", (stop,)) if aboard else self.routes.table(stop)
            out = yield from self._drive(v, row, node, stop, table, aboard)
            if out is not None and not out.arrived:
                left = [h for h in later + batch[k:] if sim.state[h] != "incapacitated"]
                return self._trip_failed(v, row, out, aboard, left)
            node = stop
            aboard.append(g)
            self.called.discard(g)
            sim.state[g] = "en_route"
            if np.isnan(self.tasks[row]["t_start_s"]):
                self.tasks[row]["t_start_s"] = float(self.env.now)
        if later:  # an empty vehicle fetches them next
            self.requests.extendleft(reversed(later))
            self._notify()
        out = yield from self._drive(v, row, node, dest, sim.router.table("car", (dest,)), aboard)
        if out is not None and not out.arrived:
            return self._trip_failed(v, row, out, aboard, [])
        for g in aboard:
            if sim.state[g] == "incapacitated":
                continue  # on the way, in the vehicle
            self.fac.reach_assembly(g, ap, dest)
        self.tasks[row].update(t_finish_s=float(self.env.now), status="done")
        sim.settle_check()
        return dest

    def _trip_failed(self, v: int, row: int, out: Any, aboard: list[int], left: list[int]) -> int:
        sim = self.sim
        self.tasks[row]["status"] = "stranded"
        sim.log_event("team_stranded", self.label(v), str(out.node), out.reason)
        for g in aboard:
            sim.strand(g, int(out.node), f"team_vehicle {out.reason}")
            self.fac.expected_gone(g, int(sim.g_ap[g]))
        self.requests.extendleft(reversed(left))
        if left:
            self._notify()
        sim.settle_check()
        return -1

    # ------------------------------------------------------------------ tables
    def tables(self) -> dict[str, pd.DataFrame]:
        """``teams`` (one row per task), ``team_paths`` and ``team_info`` for ``results.extra``."""
        sim = self.sim
        net, links = sim.prepared.network, sim.links
        rows: list[tuple[str, str, int, int, float, float]] = []
        dist = np.zeros(len(self.tasks))
        for v, row, agent in self.legs:
            for link, t_in, t_out in sim.engine.path(agent):
                edge = int(links.link_edge[link])
                dist[row] += net.length_m[edge]
                rows.append((self.tasks[row]["team"], self.label(v), row, edge, t_in, t_out))
        cols = ["team", "vehicle", "task", "target", "node", "persons", "t_depart_s"]
        cols += ["t_start_s", "t_finish_s", "status"]
        tasks = pd.DataFrame(self.tasks, columns=cols)
        staffed = tasks["status"] == "staffed"
        tasks.loc[staffed, "t_finish_s"] = float(self.env.now)  # held to the end of the run
        tasks["distance_m"] = dist
        paths = pd.DataFrame(
            rows, columns=["team", "vehicle", "task", "edge", "t_enter_s", "t_exit_s"]
        )
        info = pd.DataFrame(
            {"team": self.ids, "name": self.names, "members": self.members,
             "vehicles": self.vehicles}
        )  # fmt: skip
        return {"teams": tasks, "team_paths": paths, "team_info": info}
