"""Records of the traffic engine: link arrays, agent states, input checks, result snapshots.

Kept apart from :mod:`evacsim.sim.engine` (which re-exports the public names) so the engine module
holds only the event logic.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
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
    "snapshot",
]

_KQ, _MAXQ, _CONG_S, _CONG_UNTIL = 0, 1, 2, 3  # fields of a link's statistics list


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
    """

    tail_node: np.ndarray
    head_node: np.ndarray
    freeflow_s: np.ndarray
    capacity_per_s: np.ndarray
    storage_units: np.ndarray
    n_nodes: int = 0

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
    max_queue: np.ndarray
    congested_s: np.ndarray
    counts: dict[str, int] = field(default_factory=dict)


def snapshot(
    *,
    now: float,
    queues: Sequence[deque[int]],
    ready: Sequence[float],
    link_stats: Sequence[Sequence[float]],
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
    stats = np.array(link_stats, dtype=np.float64).reshape(-1, 4)
    max_q = stats[:, _MAXQ].astype(np.int64)
    cong = stats[:, _CONG_S].copy()
    for e, q in enumerate(queues):
        if q and ready[q[0]] < now:
            max_q[e] = max(max_q[e], sum(1 for a in q if ready[a] < now))
            cong[e] += now - max(ready[q[0]], stats[e, _CONG_UNTIL])
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
        max_queue=max_q,
        congested_s=cong,
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
