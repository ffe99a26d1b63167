"""The warning chain as SimPy processes: from the command centre to every household.

The district's responsibility chain for the Funiuxi area (镇—村(社区)—小组—网格包联机制) in
``[warning] mode = "chain"`` (:mod:`evacsim.scenario.warning`):

1. ``decision_s`` after the alarm (plus the grid's *hold*, below) the **command centre** starts
   passing the order on. Each sender — the command centre, a town, a community, a group — is a
   ``simpy.Resource`` of capacity 1 and notifies its receivers **one after another**, each message
   costing the receiving level's ``delay_s`` (a community with five groups needs five calls), or
   all at once after one delay when that level is in ``broadcast``. Receivers are notified
   nearest the hazard first (``order = "listed"``: by name).
2. When a **grid** receives the order, its grid workers (``grid_workers`` of the grids layer,
   default one per ``households_per_worker`` households of its larger population, day or night,
   in households of 2.62 persons (:data:`evacsim.demand.groups.MEAN_HOUSEHOLD_PERSONS`), times
   ``workers_factor``) start; each worker takes the next household of the grid's list (nearest
   the hazard first by default) and spends ``household_s.phone`` (or ``.door``) on it; the
   household counts as warned when that time is over. People who need assistance (``assisted``
   groups) are always visited in person (``household_s.door``) and are handed to the
   door-to-door teams when they are ready (:mod:`evacsim.sim.teams`). At night the per-household
   times are multiplied by ``departure.night_factor``.
3. **Channels** beside the chain (cell broadcast, SMS, sirens) reach ⌊share × households⌋
   households, drawn with the run's generator, ``at_s`` after the alarm (plus the hold).

A household is warned by the first channel that reaches it; it leaves at that moment plus its
preparation time (the demand's draw). A grid's **hold** delays the command centre's order for it
(and its channels): the scenario's ``departure.stage_delay_s`` of the grid's worst threat level
plus an optional per-grid extra delay (``grid_delay_s``, e.g. from an optimised plan). Grids with
the same hold form one *wave*; waves share the senders, so a later wave waits for a busy one.

The chain does not use the roads, so it runs in its own SimPy environment before the traffic:
:func:`run_chain` takes plain arrays (no area needed) and is cheap enough for an optimiser to call
per candidate plan; :func:`apply_warning` builds its input from a run and sets the departures.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
import simpy

from evacsim.demand.groups import MEAN_HOUSEHOLD_PERSONS
from evacsim.errors import ScenarioError
from evacsim.scenario.warning import CHAIN_LEVELS, WarningSpec

if TYPE_CHECKING:
    from evacsim.plan.make import Plan
    from evacsim.scenario.prepare import Prepared
    from evacsim.sim.results import Results

__all__ = [
    "MESSAGE_COLUMNS",
    "VISIT_COLUMNS",
    "WARNING_GRID_COLUMNS",
    "ChainInput",
    "WarningOutcome",
    "apply_warning",
    "attach_warning",
    "chain_input",
    "grid_holds_s",
    "run_chain",
]

#: Columns of ``Results.extra["warning_visits"]``: one row per household a grid worker warned.
VISIT_COLUMNS = (
    "grid_id", "worker", "seq", "group_id", "node", "method", "t_start_s", "t_visit_s",
    "t_warned_s", "warned_by",
)  # fmt: skip

#: Columns of ``Results.extra["warning_messages"]``: one row per message down the chain.
MESSAGE_COLUMNS = ("level", "sender", "receiver", "t_sent_s", "t_received_s")

#: Columns of ``Results.extra["warning_grids"]``: one row per grid with households.
WARNING_GRID_COLUMNS = (
    "grid_id", "town", "community", "group", "households", "workers", "hold_s", "t_order_s",
    "t_first_warned_s", "t_last_warned_s", "t_last_visit_s",
)  # fmt: skip

_COMMAND = "command centre"


@dataclass(frozen=True, eq=False)
class ChainInput:
    """What the chain needs, as plain arrays (households = the demand's groups, in row order).

    Attributes
    ----------
    group_ids, group_grid, group_assisted, group_distance_m
        Per household: id, index of its grid in the grid arrays, whether it needs assistance
        (visited in person), distance to the hazard (m; the visiting order).
    grid_ids, grid_town, grid_community, grid_group
        Per grid: id and its place in the chain.
    grid_workers
        Per grid: grid workers (>= 1, ``workers_factor`` applied).
    grid_hold_s
        Per grid: how long the command centre holds its order back (s, >= 0).
    grid_distance_m
        Per grid: distance to the hazard (m; the order in which senders notify).
    group_node
        Per household, its origin network node (for the workers' sheets; -1 when not given).
    """

    group_ids: np.ndarray
    group_grid: np.ndarray
    group_assisted: np.ndarray
    group_distance_m: np.ndarray
    grid_ids: np.ndarray
    grid_town: np.ndarray
    grid_community: np.ndarray
    grid_group: np.ndarray
    grid_workers: np.ndarray
    grid_hold_s: np.ndarray
    grid_distance_m: np.ndarray
    group_node: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class WarningOutcome:
    """When each household was warned, by what, and the chain's record.

    Attributes
    ----------
    t_warned_s
        Per household, the first channel's time (s since the alarm).
    warned_by
        Per household, ``"chain"`` or the name of the channel that came first (ties: the chain).
    t_chain_s
        Per household, when its grid worker finished with it.
    visits, messages, grids
        Tables with :data:`VISIT_COLUMNS`, :data:`MESSAGE_COLUMNS`, :data:`WARNING_GRID_COLUMNS`.
    """

    t_warned_s: np.ndarray
    warned_by: np.ndarray
    t_chain_s: np.ndarray
    visits: pd.DataFrame
    messages: pd.DataFrame
    grids: pd.DataFrame


class _Chain:
    """The chain's processes in one environment (see the module docstring)."""

    def __init__(self, inp: ChainInput, spec: WarningSpec, household_factor: float) -> None:
        self.env = simpy.Environment()
        self.inp, self.spec = inp, spec
        self.phone_s = spec.household_s.phone * household_factor
        self.door_s = spec.household_s.door * household_factor
        self.senders: dict[tuple[str, ...], simpy.Resource] = {}
        self.t_chain = np.full(len(inp.group_ids), np.inf)
        self.t_order = np.full(len(inp.grid_ids), np.nan)
        self.visits: list[tuple[int, int, int, int, str, float, float]] = []
        self.messages: list[tuple[str, str, str, float, float]] = []
        listed = spec.order == "listed"
        self.grid_rank = np.zeros(len(inp.grid_ids)) if listed else inp.grid_distance_m
        # each grid's household rows, in row order (one sort, not one scan per grid)
        sorter = np.argsort(inp.group_grid, kind="stable")
        bounds = np.searchsorted(inp.group_grid[sorter], np.arange(len(inp.grid_ids) + 1))
        self.rows_of = [sorter[a:b] for a, b in itertools.pairwise(bounds)]
        self.paths = [
            (str(t), str(c), str(g), str(i))
            for t, c, g, i in zip(
                inp.grid_town, inp.grid_community, inp.grid_group, inp.grid_ids, strict=True
            )
        ]

    def start(self) -> None:
        """One command-centre process per wave (grids with the same hold)."""
        used = np.unique(self.inp.group_grid)
        holds = self.inp.grid_hold_s[used]
        for hold in np.unique(holds):
            wave = [int(k) for k in used[holds == hold]]
            self.env.process(self._wave(wave, float(hold)))

    def _wave(self, grids: list[int], hold_s: float) -> Generator[Any, Any, None]:
        yield self.env.timeout(self.spec.decision_s + hold_s)
        yield from self._pass_on((), 0, grids)

    def _children(self, grids: list[int], level: int) -> list[tuple[tuple[str, ...], list[int]]]:
        """Receivers at ``level`` (0 town ... 3 grid) of these grids, in notification order."""
        units: dict[tuple[str, ...], list[int]] = {}
        for k in grids:
            units.setdefault(self.paths[k][: level + 1], []).append(k)
        ranked = sorted(units.items(), key=lambda kv: (min(self.grid_rank[kv[1]]), kv[0]))
        return [(key, sorted(sub)) for key, sub in ranked]

    def _pass_on(self, sender: tuple[str, ...], level: int, grids: list[int]) -> Any:
        """A sender notifies its receivers at ``level``, one message after another."""
        receiving = CHAIN_LEVELS[level]
        delay_s = self.spec.delay_s.of(receiving)
        resource = self.senders.setdefault(sender, simpy.Resource(self.env, capacity=1))
        with resource.request() as turn:
            yield turn
            children = self._children(grids, level)
            if receiving in self.spec.broadcast:
                t_sent = float(self.env.now)
                yield self.env.timeout(delay_s)
                for key, sub in children:
                    self._received(sender, key, level, sub, t_sent)
                return
            for key, sub in children:
                t_sent = float(self.env.now)
                yield self.env.timeout(delay_s)
                self._received(sender, key, level, sub, t_sent)

    def _received(
        self, sender: tuple[str, ...], key: tuple[str, ...], level: int, grids: list[int],
        t_sent: float,
    ) -> None:  # fmt: skip
        who = " / ".join(sender) or _COMMAND
        self.messages.append((CHAIN_LEVELS[level], who, " / ".join(key), t_sent, self.env.now))
        if level < len(CHAIN_LEVELS) - 1:
            self.env.process(self._pass_on(key, level + 1, grids))
            return
        grid = grids[0]
        self.t_order[grid] = self.env.now
        queue = deque(self._household_order(grid))
        for worker in range(int(self.inp.grid_workers[grid])):
            self.env.process(self._worker(grid, worker + 1, queue))

    def _household_order(self, grid: int) -> list[int]:
        rows = self.rows_of[grid]
        if self.spec.order == "listed":
            return rows.tolist()
        keys: list[np.ndarray] = [rows, self.inp.group_distance_m[rows]]
        if self.spec.order == "assisted_first":
            keys.append(~self.inp.group_assisted[rows])
        return rows[np.lexsort(keys)].tolist()  # the last key sorts first

    def _worker(self, grid: int, worker: int, queue: deque[int]) -> Generator[Any, Any, None]:
        seq = 0
        while queue:
            g = queue.popleft()
            door = bool(self.inp.group_assisted[g]) or self.spec.method == "door"
            t_start = float(self.env.now)
            yield self.env.timeout(self.door_s if door else self.phone_s)
            seq += 1
            self.t_chain[g] = self.env.now
            self.visits.append((grid, worker, seq, g, "door" if door else "phone", t_start,
                                float(self.env.now)))  # fmt: skip


def _channels(
    inp: ChainInput, spec: WarningSpec, t_chain: np.ndarray, rng: np.random.Generator | None
) -> tuple[np.ndarray, np.ndarray]:
    """First channel per household: (time, name)."""
    n = len(t_chain)
    t_warned = t_chain.copy()
    by = np.full(n, "chain", dtype=object)
    hold = inp.grid_hold_s[inp.group_grid] if n else np.zeros(0)
    for channel in spec.channels:
        k = math.floor(channel.share * n + 1e-9)  # ⌊s·n⌋, robust to 0.29 * 100 = 28.999...
        if k == 0:
            continue
        if rng is None:
            raise ValueError("run_chain: channels need a random generator")
        reached = np.sort(rng.choice(n, size=k, replace=False))
        t = channel.at_s + hold[reached]
        earlier = t < t_warned[reached]
        t_warned[reached[earlier]] = t[earlier]
        by[reached[earlier]] = channel.name
    return t_warned, by


def run_chain(
    inp: ChainInput,
    spec: WarningSpec,
    *,
    household_factor: float = 1.0,
    rng: np.random.Generator | None = None,
) -> WarningOutcome:
    """Run the chain and the channels; return when each household is warned.

    Parameters
    ----------
    inp
        The households and grids (:func:`chain_input` builds it from a run).
    spec
        The scenario's ``[warning]`` table (its ``mode`` is not looked at).
    household_factor
        Multiplies the per-household times (the night factor at night).
    rng
        Draws the households each channel reaches (needed only with channels).
    """
    chain = _Chain(inp, spec, household_factor)
    chain.start()
    chain.env.run()
    t_warned, by = _channels(inp, spec, chain.t_chain, rng)
    ids = np.asarray(inp.grid_ids, dtype=object)
    gids = np.asarray(inp.group_ids, dtype=object)
    v = chain.visits
    rows = np.array([r[3] for r in v], dtype=np.int64)
    nodes = np.full(len(gids), -1) if inp.group_node is None else inp.group_node
    visits = pd.DataFrame(
        {"grid_id": ids[[r[0] for r in v]], "worker": [r[1] for r in v], "seq": [r[2] for r in v],
         "group_id": gids[rows], "node": np.asarray(nodes, dtype=np.int64)[rows],
         "method": [r[4] for r in v],
         "t_start_s": [r[5] for r in v], "t_visit_s": [r[6] for r in v],
         "t_warned_s": t_warned[rows], "warned_by": by[rows]},
        columns=list(VISIT_COLUMNS),
    )  # fmt: skip
    visits = visits.sort_values(["grid_id", "worker", "seq"], kind="stable", ignore_index=True)
    messages = pd.DataFrame(chain.messages, columns=list(MESSAGE_COLUMNS))
    return WarningOutcome(
        t_warned_s=t_warned, warned_by=by, t_chain_s=chain.t_chain, visits=visits,
        messages=messages, grids=_grid_table(inp, chain, t_warned),
    )  # fmt: skip


def _grid_table(inp: ChainInput, chain: _Chain, t_warned: np.ndarray) -> pd.DataFrame:
    rows = []
    for k in np.unique(inp.group_grid):
        mine = chain.rows_of[k]
        rows.append({
            "grid_id": str(inp.grid_ids[k]), "town": str(inp.grid_town[k]),
            "community": str(inp.grid_community[k]), "group": str(inp.grid_group[k]),
            "households": len(mine), "workers": int(inp.grid_workers[k]),
            "hold_s": float(inp.grid_hold_s[k]), "t_order_s": float(chain.t_order[k]),
            "t_first_warned_s": float(t_warned[mine].min()),
            "t_last_warned_s": float(t_warned[mine].max()),
            "t_last_visit_s": float(chain.t_chain[mine].max()),
        })  # fmt: skip
    return pd.DataFrame(rows, columns=list(WARNING_GRID_COLUMNS))


# --------------------------------------------------------------------------- from a run


def _extra_delay_s(
    ids: np.ndarray, grid_delay_s: Mapping[str, float] | np.ndarray | None
) -> np.ndarray:
    """``grid_delay_s`` (per grid id, or an array in the grids layer's order) as an array."""
    if grid_delay_s is None:
        return np.zeros(len(ids))
    if isinstance(grid_delay_s, Mapping):
        extra = np.array([float(grid_delay_s.get(i, 0.0)) for i in ids])
    else:
        extra = np.asarray(grid_delay_s, dtype=float).reshape(-1)
        if extra.size != len(ids):
            raise ScenarioError(f"grid_delay_s: {extra.size} delays for {len(ids)} grids")
    if not np.all(np.isfinite(extra) & (extra >= 0)):
        raise ScenarioError("grid_delay_s: delays must be finite and >= 0")
    return extra


def grid_holds_s(
    prepared: Prepared, plan: Plan, grid_delay_s: Mapping[str, float] | np.ndarray | None = None
) -> np.ndarray:
    """Per grid of the area (row order), the hold of its order: the stage delay of its worst
    threat level plus ``grid_delay_s`` (per grid id, or an array in the grids layer's order)."""
    ids = prepared.area.grids["id"].astype(str).to_numpy()
    level = plan.demand.per_grid.set_index("grid_id")["level"].reindex(ids).fillna(3)
    hold = prepared.scenario.departure.stage_offsets_s(level.to_numpy(np.int64))
    return hold + _extra_delay_s(ids, grid_delay_s)


def _source_distance_m(prepared: Prepared, geoms: Any) -> np.ndarray:
    points = [shapely.Point(x, y) for _, x, y in prepared.zones.sources]
    if not points:
        return np.zeros(len(geoms))
    return np.asarray(shapely.distance(geoms, shapely.MultiPoint(points)), dtype=float)


def chain_input(prepared: Prepared, plan: Plan, hold_s: np.ndarray) -> ChainInput:
    """The chain's input for a run: its households (the demand's groups) and grids."""
    sc, area, net = prepared.scenario, prepared.area, prepared.network
    grids = area.grids
    ids = grids["id"].astype(str).to_numpy()
    # a grid is staffed for the most people it holds, day or night
    people = np.maximum(grids["population_day"].to_numpy(float), grids["population_night"])
    households = people / MEAN_HOUSEHOLD_PERSONS
    listed = grids["grid_workers"] if "grid_workers" in grids else pd.Series([None] * len(grids))
    workers = np.array([
        sc.warning.workers(None if pd.isna(w) else float(w), h)
        for w, h in zip(listed, households, strict=True)
    ], dtype=np.int64)  # fmt: skip
    groups = plan.demand.groups
    index = {g: i for i, g in enumerate(ids)}
    origin = groups["origin_node"].to_numpy(np.int64)
    return ChainInput(
        group_ids=groups["group_id"].astype(str).to_numpy(),
        group_grid=np.array([index[g] for g in groups["grid_id"].astype(str)], dtype=np.int64),
        group_assisted=groups["needs_assistance"].to_numpy(bool),
        group_distance_m=_source_distance_m(
            prepared, shapely.points(net.node_x_m[origin], net.node_y_m[origin])
        ),
        grid_ids=ids,
        grid_town=grids["town"].astype(str).to_numpy(),
        grid_community=grids["community"].astype(str).to_numpy(),
        grid_group=grids["group"].astype(str).to_numpy(),
        grid_workers=workers,
        grid_hold_s=np.asarray(hold_s, dtype=float),
        grid_distance_m=_source_distance_m(prepared, np.asarray(grids.geometry.values)),
        group_node=origin,
    )


def apply_warning(
    prepared: Prepared,
    plan: Plan,
    rng: np.random.Generator,
    *,
    grid_delay_s: Mapping[str, float] | np.ndarray | None = None,
) -> WarningOutcome | None:
    """Set the groups' departures from the scenario's warning mode (in place).

    ``"distribution"``: the demand's departures stay (plus ``grid_delay_s`` when given);
    returns ``None``. ``"chain"``: departure = warned (:func:`run_chain`) + preparation.

    Parameters
    ----------
    prepared, plan
        The run's inputs; ``plan.demand.groups["departure_s"]`` is rewritten.
    rng
        The run's generator (draws the households each channel reaches).
    grid_delay_s
        Extra hold per grid (the hook for an optimised plan): by grid id, or an array in the
        grids layer's row order; seconds, >= 0.
    """
    sc = prepared.scenario
    groups = plan.demand.groups
    if sc.warning.mode == "distribution":
        if grid_delay_s is not None:
            ids = prepared.area.grids["id"].astype(str).to_numpy()
            extra = pd.Series(_extra_delay_s(ids, grid_delay_s), index=ids)
            groups["departure_s"] += extra.reindex(groups["grid_id"].astype(str)).to_numpy()
        return None
    factor = sc.departure.night_factor if sc.population.period == "night" else 1.0
    inp = chain_input(prepared, plan, grid_holds_s(prepared, plan, grid_delay_s))
    outcome = run_chain(inp, sc.warning, household_factor=factor, rng=rng)
    groups["departure_s"] = outcome.t_warned_s + plan.demand.preparation_s
    return outcome


def attach_warning(results: Results, outcome: WarningOutcome | None) -> None:
    """Add the chain's record to a run's results (nothing in ``"distribution"`` mode, so its
    outputs stay as they were): ``t_warned_s`` and ``warned_by`` in ``groups`` after
    ``departure_s``; ``warning_visits``, ``warning_messages``, ``warning_grids`` in ``extra``."""
    if outcome is None:
        return
    groups = results.groups
    at = list(groups.columns).index("departure_s") + 1
    groups.insert(at, "t_warned_s", outcome.t_warned_s)
    groups.insert(at + 1, "warned_by", outcome.warned_by.astype(str))
    results.extra["warning_visits"] = outcome.visits
    results.extra["warning_messages"] = outcome.messages
    results.extra["warning_grids"] = outcome.grids
