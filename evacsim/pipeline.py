"""From a scenario to a finished run: prepare, simulate, summarise.

:func:`evacsim.scenario.prepare.prepare` does everything up to the simulation (and is what
``evacsim validate`` checks); :func:`run` adds the plan, the simulation and the summary. Nothing
here writes files: saving a run is a face (:func:`evacsim.export.run_folder.write_run`, or
``evacsim.save``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from evacsim.scenario.load import Scenario
from evacsim.scenario.prepare import Prepared, as_scenario, prepare
from evacsim.timing import Timings, timed

__all__ = ["Run", "run"]

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Run:
    """A finished run: its inputs, results and headline summary.

    ``timings_s``: the seconds of each stage (:mod:`evacsim.timing`): ``load_s``, ``network_s``,
    ``hazard_s``, ``plan_s``, ``simulate_s``, ``summary_s``; writing the run adds its outputs'.
    """

    prepared: Prepared
    summary: dict[str, Any]
    results: Any = None
    timings_s: dict[str, float] = field(default_factory=dict)


def run(
    scenario: Scenario | str | Path,
    *,
    seed: int | None = None,
    bound: bool | None = None,
    on_prepared: Callable[[Prepared], object] | None = None,
) -> Run:
    """Run a scenario end to end and return the finished :class:`Run` (nothing is written).

    ``bound`` (default: the scenario's ``simulation.bound``) adds ``bound_s`` to the summary:
    the lower bound on clearance time for the run's departures
    (:func:`evacsim.optimize.bound.clearance_bound`). ``on_prepared`` is called with the
    prepared scenario before the plan and the simulation (e.g. to start an output worker).
    """
    t0 = time.perf_counter()
    timings: Timings = {}
    with timed(timings, "load_s"):
        sc = as_scenario(scenario)
    if seed is not None:
        sc = sc.with_seed(seed)
    prepared = prepare(sc, timings=timings)
    if on_prepared is not None:
        on_prepared(prepared)
    from evacsim.plan.make import make_plan
    from evacsim.sim.simulation import simulate

    rng = np.random.default_rng(sc.seed)
    with timed(timings, "plan_s"):
        plan = make_plan(prepared, rng)
    with timed(timings, "simulate_s"):
        results = simulate(prepared, rng=rng, plan=plan)
    with timed(timings, "summary_s"):
        from evacsim.results.summary import summarise

        summary = summarise(prepared, results)
        if sc.simulation.bound if bound is None else bound:
            from evacsim.optimize.bound import clearance_bound

            summary["bound_s"] = clearance_bound(prepared, seed=sc.seed).to_summary()
    summary["runtime_s"] = round(time.perf_counter() - t0, 3)
    return Run(prepared=prepared, summary=summary, results=results, timings_s=timings)
