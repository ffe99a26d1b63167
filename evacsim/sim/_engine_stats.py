"""Records of the traffic engine: link arrays, agent states, input checks, result snapshots.

Kept apart from :mod:`evacsim.sim.engine` (which re-exports the public names) so the engine module
holds only the event logic.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import Any, NamedTuple

import numpy as np

from evacsim.errors import NetworkError, SimulationError

__all__ = [
    "AgentOutcome",
    "AgentState",
    "LinkSpec",
    "TrafficResults",
    "check_agents",
    "check_path",
    "check_table",
    "queue_stats",
    "queue_stats_of",
    "snapshot",
]


class AgentState:
    """Integer codes of ``TrafficResults.state``."""

    SCHEDULED = 0  #: added, departure time not reached
    QUEUED = 1  #: departed, waiting in the origin queue of its first link
    ON_LINK = 2  #: on a link
    ARRIVED = 3  #: reached its destination
    STRANDED = 4  #: stopped (no route, closed road on a fixed path, or gridlock)


class AgentOutcome(NamedTuple):
    """Value of an :meth:`TrafficEngine.arrival_event` once the agent leaves the network."""

    agent: int
    arrived: bool  #: ``True`` at the destination, ``False`` if stranded
    node: int  #: node where it arrived or was stranded
    time_s: float
    reason: str  #: ``""`` when arrived, else the stranding reason


def _as_array(name: str, values: Any, dtype: type, n: int | None) -> np.ndarray:
    arr: np.ndarray = np.ascontiguousarray(values, dtype=dtype)
    if arr.ndim != 1 or (n is not None and arr.shape[0] != n):
        raise NetworkError(f"LinkSpec: field '{name}' must be 1-D with one value per link")
    return arr


def _check_groups(share_with: Any, n: int) -> np.ndarray:
    """``share_with`` as int64 (identity if None); each group's lead link leads itself."""
    if share_with is None:
        return np.arange(n, dtype=np.int64)
    lead = _as_array("share_with", share_with, np.int64, n)
    bad = np.flatnonzero((lead < 0) | (lead >= n))
    if not bad.size:
        bad = np.flatnonzero(lead[lead] != lead)
    if bad.size:
        i = int(bad[0])
        raise NetworkError(f"LinkSpec: link {i}, field 'share_with': {lead[i]} is not a lead link")
    return lead


@dataclass(frozen=True, eq=False)
class LinkSpec:
    """The links the engine moves agents on: one entry per directed link, index = link number.

    Parameters
    ----------
    tail_node, head_node
        Node numbers ``0 .. n_nodes - 1`` of each link's start and end.
    freeflow_s
        Free-flow traversal time, seconds (length_m / speed_m_per_s); ``>= 0``.
    capacity_per_s
        Flow capacity, vehicles (or persons) per second; ``> 0``, may be ``inf``.
    storage_units
        How many vehicles (or persons) the link can hold; ``> 0``, may be ``inf``.
    n_nodes
        Number of nodes; 0 means ``max(tail, head) + 1``.
    share_with
        Optional capacity groups: ``share_with[e]`` is the link whose exit capacity and storage
        link ``e`` shares (``e`` itself, the default, for a link of its own). Links of one group
        (e.g. both directions and both walking modes of one footway) pass their exits through
        one headway server and hold agents in one storage, both those of the group's lead link
        ``g`` (``share_with[g] == g``); each keeps its own FIFO queue and free-flow time.
    """

    tail_node: np.ndarray
    head_node: np.ndarray
    freeflow_s: np.ndarray
    capacity_per_s: np.ndarray
    storage_units: np.ndarray
    n_nodes: int = 0
    share_with: np.ndarray | None = None

    def __post_init__(self) -> None:
        tail = _as_array("tail_node", self.tail_node, np.int64, None)
        n = tail.shape[0]
        head = _as_array("head_node", self.head_node, np.int64, n)
        ff = _as_array("freeflow_s", self.freeflow_s, np.float64, n)
        cap = _as_array("capacity_per_s", self.capacity_per_s, np.float64, n)
        sto = _as_array("storage_units", self.storage_units, np.float64, n)
        n_nodes = self.n_nodes or (int(max(tail.max(), head.max())) + 1 if n else 0)
        for name, arr, ok in (
            ("tail_node", tail, (tail >= 0) & (tail < n_nodes)),
            ("head_node", head, (head >= 0) & (head < n_nodes)),
            ("freeflow_s", ff, np.isfinite(ff) & (ff >= 0)),
            ("capacity_per_s", cap, cap > 0),
            ("storage_units", sto, sto > 0),
        ):
            bad = np.flatnonzero(~ok)
            if bad.size:
                i = int(bad[0])
                raise NetworkError(f"LinkSpec: link {i}, field '{name}': {arr[i]} is out of range")
        for name, arr in (("tail_node", tail), ("head_node", head), ("freeflow_s", ff)):
            object.__setattr__(self, name, arr)
        object.__setattr__(self, "share_with", _check_groups(self.share_with, n))
        object.__setattr__(self, "capacity_per_s", cap)
        object.__setattr__(self, "storage_units", sto)
        object.__setattr__(self, "n_nodes", int(n_nodes))

    @property
    def n_links(self) -> int:
        """Number of links."""
        return int(self.tail_node.shape[0])


@dataclass(frozen=True, eq=False)
class TrafficResults:
    """A snapshot of the engine's per-agent and per-link records (times in seconds of sim time).

    Agents: ``departure_s``, ``arrival_s`` (NaN unless arrived), ``end_node`` (arrival or
    stranding node, -1 otherwise), ``n_links`` (links entered), ``state`` (:class:`AgentState`),
    ``stranded_link`` (link it was on when stranded, -1 if none), ``stranded_reason``.
    Links: ``volume`` (exits), ``max_queue`` (most agents at once that had passed their free-flow
    time and were waiting to leave), ``congested_s`` (time with at least one such agent).

    The two queue figures are computed from the snapshot's queue log when first read
    (``queues``: a function returning both; :func:`queue_stats_of`), not when the snapshot is
    taken: a caller that only wants arrivals does not pay for them (~10 % of the engine's time
    at 100k agents); a real run reads them for its links and bottleneck tables.
    """

    time_s: float
    departure_s: np.ndarray
    arrival_s: np.ndarray
    end_node: np.ndarray
    n_links: np.ndarray
    state: np.ndarray
    stranded_link: np.ndarray
    stranded_reason: np.ndarray
    volume: np.ndarray
    queues: Callable[[], tuple[np.ndarray, np.ndarray]] = field(repr=False)
    counts: dict[str, int] = field(default_factory=dict)

    @cached_property
    def _queue_figures(self) -> tuple[np.ndarray, np.ndarray]:
        return self.queues()

    @property
    def max_queue(self) -> np.ndarray:
        """Per link, the most agents at once past their free-flow time waiting to leave."""
        return self._queue_figures[0]

    @property
    def congested_s(self) -> np.ndarray:
        """Per link, the seconds with at least one agent past its free-flow time waiting."""
        return self._queue_figures[1]


def _max_queue(
    n_links: int, link: np.ndarray, ready_s: np.ndarray, ex: np.ndarray, exit_s: np.ndarray,
    eo: np.ndarray,
) -> np.ndarray:  # fmt: skip
    """Most agents ready and waiting at any waiting exit, per link (see :func:`queue_stats`;
    ``eo``: the waiting exits in link order, stable)."""
    # entries sorted by link, log (= FIFO) order kept within a link; ready times never fall there
    order = np.argsort(link, kind="stable")
    first = np.searchsorted(link[order], np.arange(n_links))
    pos = np.empty(len(link), dtype=np.int64)
    pos[order] = np.arange(len(link)) - first[link[order]]
    # ready_i < x_j  <=>  j >= #exits with x <= ready_i (exit times ascend along the log): one
    # integer key per entry, ascending within each link, compared with the exit's own index
    # (searches with nearly sorted queries: ready times in log order, exits by link)
    span = len(ex) + 1
    keys = (link * span + np.searchsorted(exit_s, ready_s, side="right"))[order]
    del order
    el = link[ex]
    n_ready = np.empty(len(ex), dtype=np.int64)
    n_ready[eo] = np.searchsorted(keys, el[eo] * span + eo, side="right")
    max_queue = np.zeros(n_links, dtype=np.int64)
    np.maximum.at(max_queue, el, n_ready - first[el] - pos[ex])
    return max_queue


def _congested(
    n_links: int, el: np.ndarray, er: np.ndarray, ext: np.ndarray, eo: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Congested seconds per link (union of [ready, exit] of its waiting exits, summed in exit
    order) and the time of its last waiting exit (-inf if none); ``eo`` sorts ``el``, stable."""
    prev = np.full(len(el), -np.inf)
    same = el[eo][1:] == el[eo][:-1]
    prev[eo[1:][same]] = ext[eo][:-1][same]
    congested = np.bincount(el, weights=ext - np.maximum(er, prev), minlength=n_links)
    last_exit = np.full(n_links, -np.inf)
    end = np.ones(len(el), dtype=bool)  # last waiting exit of each link (exit times ascend)
    end[:-1] = ~same
    last_exit[el[eo][end]] = ext[eo][end]
    return congested, last_exit


def queue_stats(
    n_links: int, log: Sequence[float], queues: Sequence[deque[tuple[Any, ...]]], now: float,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Each link's max queue and congested seconds, from the engine's queue log, at ``now``
    (:func:`queue_stats_of` of the log and the agents waiting on links at ``now``)."""
    return queue_stats_of(n_links, np.array(log, np.float64), waiting_at(queues, now), now)


def waiting_at(queues: Sequence[deque[tuple[Any, ...]]], now: float) -> np.ndarray:
    """``(link, ready_s)`` of every agent on a link at ``now`` past its free-flow time, by link
    and in queue order (ready times never fall along a queue, so these are its first ones)."""
    waiting = [(e, x[0]) for e, q in enumerate(queues) if q for x in q if x[0] < now]
    return np.array(waiting, dtype=np.float64).reshape(-1, 2)


def queue_stats_of(
    n_links: int, log: np.ndarray, waiting: np.ndarray, now: float
) -> tuple[np.ndarray, np.ndarray]:
    """Each link's max queue and congested seconds at ``now`` from the engine's queue log
    (flat ``(link, ready_s, exit_s)`` floats) and the agents still waiting (:func:`waiting_at`).

    The engine does not keep these up to date as it runs (that cost ~29 % of its time at 100k
    agents); it logs ``(link, ready_s, exit_s)`` for every head that waited (``ready_s <
    exit_s``), and ``(link, ready_s, NaN)`` for waiting agents that left a link's queue without
    exiting (stranded). Along a link's FIFO queue ready times never fall, which makes both
    figures simple to compute here:

    * at the exit of a waiting head ``j``, the queue is every agent from ``j`` on (log order,
      then still on the link) ready before ``x_j``; all logged agents ahead of ``j`` were ready
      before it, so that count is ``#{ready < x_j}`` over the link's log minus ``j``'s position
      (exit times ascend along the log, so ``ready < x_j`` is an integer comparison of ``j``
      with the number of exits at or before ``ready``, and one sorted search counts it);
    * congested time adds ``x_j - max(ready_j, x_prev)`` per waiting exit (``x_prev``: the link's
      previous waiting exit), summed in exit order (``np.bincount`` adds in input order, so the
      floats are those of a running sum);
    * agents still waiting at ``now`` count as in :func:`snapshot`.
    """
    rec = log.reshape(-1, 3)
    link = np.concatenate([rec[:, 0], waiting[:, 0]]).astype(np.int64)
    ready_s = np.concatenate([rec[:, 1], waiting[:, 1]])
    ex = np.flatnonzero(~np.isnan(rec[:, 2]))  # waiting exits, in exit (= time) order
    exit_s = rec[ex, 2]
    del rec  # (the log of a large run is big: keep few copies at once)
    el = link[ex]
    eo = np.argsort(el, kind="stable")  # waiting exits by link (sorted once, used twice)
    max_queue = _max_queue(n_links, link, ready_s, ex, exit_s, eo)
    er = ready_s[ex]
    del link, ready_s, ex
    congested, last_exit = _congested(n_links, el, er, exit_s, eo)
    w_link = waiting[:, 0].astype(np.int64)
    links, first = np.unique(w_link, return_index=True)  # the head of each link's queue
    counts = np.bincount(w_link)[links].tolist() if len(w_link) else []
    for e, i, n in zip(links.tolist(), first.tolist(), counts, strict=True):
        max_queue[e] = max(max_queue[e], n)
        congested[e] += now - max(float(waiting[i, 1]), last_exit[e])
    return max_queue, congested


def snapshot(
    *,
    now: float,
    queues: Sequence[deque[tuple[Any, ...]]],
    queue_log: Sequence[float],  # flat (link, ready_s, exit_s), e.g. array('d')
    departure_s: Sequence[float],
    arrival_s: Sequence[float],
    end_node: Sequence[int],
    n_links: Sequence[int],
    state: Sequence[int],
    stranded_link: Sequence[int],
    stranded_reason: Sequence[str],
    volume: Sequence[int],
) -> TrafficResults:
    """Build :class:`TrafficResults` from the engine's lists at time ``now`` (seconds).

    Agents still waiting on a link at ``now`` count in its max queue and congested time.
    """
    queue_figures = partial(  # the log as it is now: the engine may run on
        queue_stats_of, len(volume), np.array(queue_log, np.float64), waiting_at(queues, now), now
    )
    n_links = list(n_links)
    for q in queues:  # agents on a link: the count is in their queue entry
        for x in q:
            n_links[x[1]] = x[4]
    states = np.array(state, dtype=np.int8)
    counts = {
        name.lower(): int(np.count_nonzero(states == code))
        for name, code in vars(AgentState).items()
        if name.isupper()
    }
    return TrafficResults(
        time_s=float(now),
        departure_s=np.array(departure_s, dtype=np.float64),
        arrival_s=np.array(arrival_s, dtype=np.float64),
        end_node=np.array(end_node, dtype=np.int64),
        n_links=np.array(n_links, dtype=np.int64),
        state=states,
        stranded_link=np.array(stranded_link, dtype=np.int64),
        stranded_reason=np.array(stranded_reason, dtype=object),
        volume=np.array(volume, dtype=np.int64),
        queues=queue_figures,
        counts=counts,
    )


def check_table(
    links: LinkSpec, next_link: Sequence[int] | np.ndarray, dest_nodes: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Validate a next-link table; return it (int64, one entry per node) and a destination mask."""
    nxt = np.asarray(next_link, dtype=np.int64)
    n_nodes, n_links = links.n_nodes, links.n_links
    if nxt.shape != (n_nodes,):
        raise SimulationError(f"route table: next_link must have one entry per node ({n_nodes})")
    bad = np.flatnonzero((nxt < -1) | (nxt >= n_links))
    if bad.size == 0:
        ok = nxt >= 0
        bad = np.flatnonzero(ok & (links.tail_node[np.where(ok, nxt, 0)] != np.arange(n_nodes)))
    if bad.size:
        i = int(bad[0])
        raise SimulationError(f"route table: node {i}: next link {nxt[i]} does not leave node {i}")
    dest = np.zeros(n_nodes, dtype=bool)
    d = np.asarray(dest_nodes, dtype=np.int64).ravel()
    if d.size and (d.min() < 0 or d.max() >= n_nodes):
        raise SimulationError(f"route table: a destination node is outside 0..{n_nodes - 1}")
    dest[d] = True
    return nxt, dest


def check_agents(links: LinkSpec, origins: np.ndarray, deps: np.ndarray, sizes: np.ndarray) -> None:
    """Validate new agents' origin nodes, departure times (s) and sizes (car units)."""
    n_nodes = links.n_nodes
    if origins.size and (origins.min() < 0 or origins.max() >= n_nodes):
        i = int(np.flatnonzero((origins < 0) | (origins >= n_nodes))[0])
        raise SimulationError(f"add_agent: origin node {origins[i]} outside 0..{n_nodes - 1}")
    if not np.all(np.isfinite(deps)):
        raise SimulationError("add_agent: departure_s must be finite")
    if sizes.size and sizes.min() < 1:
        raise SimulationError("add_agent: size must be >= 1")


def check_path(links: LinkSpec, origin: int, path: Sequence[int]) -> list[int]:
    """Validate a fixed path (consecutive links from ``origin``); return it as a list."""
    p = [int(x) for x in path]
    node = origin
    for e in p:
        if not 0 <= e < links.n_links or int(links.tail_node[e]) != node:
            raise SimulationError(f"add_agent: path link {e} does not continue from node {node}")
        node = int(links.head_node[e])
    return p
