"""The typed record of a finished simulation.

Every table is a pandas DataFrame with documented columns (times in seconds since the incident,
``NaN`` where an event did not happen). Every person is accounted for exactly once in
``Results.persons_by_state``: sheltered, at an assembly point, en route, stranded, incapacitated
or not evacuated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from evacsim.errors import SimulationError

__all__ = ["GROUP_STATES", "Results"]

#: The final states a person can be in, in reporting order.
GROUP_STATES = (
    "sheltered", "at_assembly", "en_route", "stranded", "incapacitated", "not_evacuated",
)  # fmt: skip

#: Columns of :attr:`Results.groups` (one row per evacuee group).
GROUP_COLUMNS = {
    "group_id": "str, the demand's group id",
    "grid_id": "str, the grid the group comes from",
    "mode": "walk / car / assisted",
    "persons": "int, persons in the group",
    "level": "int, threat level index of the grid (0 red, 1 orange, 2 yellow, 3 outside)",
    "departure_s": "float, time the group sets off",
    "t_warned_s": "float, when the first channel warned it (warning chain only)",
    "warned_by": "str, 'chain' or the channel that came first (warning chain only)",
    "assembly_point": "str, the assembly point it went to (where it was let in, if it got there)",
    "t_assembly_s": "float, arrival at the assembly point (when it was let in)",
    "shelter": "str, the shelter where its last person arrived ('' if none)",
    "t_shelter_s": "float, arrival of its last person at a shelter",
    "persons_sheltered": "int, persons of the group in a shelter at the end",
    "state": "one of GROUP_STATES for the group's persons not yet sheltered",
    "stranded_reason": "str, why the group is stranded ('' otherwise)",
    "stranded_node": "int, network node where it stopped, stranded or incapacitated (-1 otherwise)",
    "end_reason": "str, why the group ends in its state (README, 'How a run ends'); '' sheltered",
    "exposure_red_s": "float, seconds in the red zone (at home, on the way, waiting, riding)",
    "exposure_orange_s": "float, seconds in the orange zone",
    "exposure_yellow_s": "float, seconds in the yellow zone",
    "fed": "float, fractional effective dose toward incapacitation (hazards with a harm field)",
    "dose_ppm_min": "float, toxic dose ∫C dt (toxic plume)",
    "thermal_dose_tdu": "float, thermal dose ∫q^(4/3) dt, (kW/m²)^(4/3)·s (fire, fireball)",
    "peak_overpressure_psi": "float, peak overpressure where it was at the blast (explosion)",
    "t_incapacitated_s": "float, when its FED reached 1 (NaN if never)",
}


@dataclass(eq=False)
class Results:
    """What a run produced.

    Attributes
    ----------
    groups
        One row per evacuee group, columns in ``GROUP_COLUMNS``.
    links
        One row per used link: ``edge`` (int), ``mode`` (car/walk), ``road_id``, ``name``,
        ``volume`` (agents that left it), ``max_queue`` (agents waiting at once),
        ``congested_s`` (seconds with a queue).
    facilities
        One row per assembly point and shelter: ``id``, ``kind`` (assembly/shelter), ``name``,
        ``capacity_persons``, ``arrivals``, ``peak``, ``refused`` and ``redirected`` (persons
        turned away from a full assembly point and sent on), ``final``, ``over_capacity``
        (persons let into a full assembly point because no reachable one had room),
        ``cut_off_s`` (since when an assembly point is cut off from every shelter with room;
        NaN: never).
    occupancy
        ``facility_id``, ``t_s``, ``persons``: occupancy after every change.
    events
        The event log: ``t_s``, ``kind``, ``who``, ``where``, ``detail``.
    vehicles
        One row per bus leg with passengers: ``bus``, ``from`` (the assembly point, or the
        shelter of the bus's previous leg when its load did not fit in one shelter), ``to``,
        ``persons`` (on board during the leg), ``t_depart_s``, ``t_arrive_s``.
    paths
        Per group, the edges it used with entry and exit times (for maps, exposure and GPX):
        ``group_id``, ``edge``, ``mode``, ``t_enter_s``, ``t_exit_s``.
    end_s
        Simulated time at the end of the run.
    ended_by
        ``"done"`` (nobody left moving or waiting for a vehicle that can still come),
        ``"horizon"`` (end_s reached while someone could still move) or ``"gridlock"``
        (:data:`evacsim.sim.simulation.ENDINGS`).
    extra
        Module-specific additions. The simulation: ``plan_warnings``, ``per_grid`` (the demand
        per grid) and ``bus_paths`` (edges each bus drove from an assembly point to a shelter:
        ``trip`` (row of ``vehicles``), ``from``, ``to``, ``edge``, ``t_enter_s``,
        ``t_exit_s``). Teams (:mod:`evacsim.sim.teams`):
        ``teams`` (one row per task: ``team``, ``vehicle``, ``task`` — traffic_control /
        staff_assembly / cordon / staff_shelter / door_to_door —, ``target``, ``node``,
        ``persons``, ``t_depart_s``, ``t_start_s`` (staff on site / first pick-up),
        ``t_finish_s`` (posts: end of run), ``status``, ``distance_m``), ``team_paths``
        (``team``, ``vehicle``, ``task`` row, ``edge``, ``t_enter_s``, ``t_exit_s``),
        ``team_info`` (``team``, ``name``, ``members``, ``vehicles``). Supplies
        (:mod:`evacsim.sim.supplies`): ``supplies`` (one row per truck run: ``truck``,
        ``supply_point``, ``shelter``, ``t_depart_s``, ``t_arrive_s``, ``status``, the load per
        item, ``distance_m``), ``supply_stock`` (``supply_point``, ``item``, ``initial``,
        ``delivered``, ``in_transit``, ``left``: integers, delivered + in_transit + left ==
        initial), ``supply_unmet`` (``shelter``, ``t_s``, ``item``, ``need``, ``delivered``,
        ``unmet``, sampled), ``supply_paths`` (``truck``, ``run``, ``edge``, ``t_enter_s``,
        ``t_exit_s``). The warning chain (:mod:`evacsim.sim.warning`; ``[warning] mode =
        "chain"`` only): ``warning_visits``, ``warning_messages``, ``warning_grids``.
    """

    groups: pd.DataFrame
    links: pd.DataFrame
    facilities: pd.DataFrame
    occupancy: pd.DataFrame
    events: pd.DataFrame
    vehicles: pd.DataFrame
    paths: pd.DataFrame
    end_s: float
    ended_by: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def persons_total(self) -> int:
        """All persons of all groups."""
        return int(self.groups["persons"].sum())

    @property
    def persons_by_state(self) -> dict[str, int]:
        """Persons per final state; sheltered persons count once, the rest by group state."""
        g = self.groups
        sheltered = int(g["persons_sheltered"].sum())
        rest = (g["persons"] - g["persons_sheltered"]).groupby(g["state"]).sum()
        counts = {state: int(rest.get(state, 0)) for state in GROUP_STATES}
        counts["sheltered"] += sheltered
        return counts

    def check_accounting(self) -> None:
        """Raise if persons by state do not add up to the total (a bug, never bad input)."""
        counts = self.persons_by_state
        if sum(counts.values()) != self.persons_total:
            raise SimulationError(
                f"accounting does not balance: {counts} sum to {sum(counts.values())}, "
                f"expected {self.persons_total}"
            )
        bad = sorted(set(self.groups["state"]) - set(GROUP_STATES))
        if bad:
            raise SimulationError(f"unknown group states {bad}")
