"""Many runs of one scenario: replications over seeds, optionally over a grid of parameters.

A sweep runs ``replications`` copies of a scenario at every point of a parameter grid (the
Cartesian product of ``grid``'s values, keys being dotted scenario paths such as
``weather.wind_from_deg``). Runs go to any :class:`concurrent.futures.Executor`: a local process
pool by default, a Dask cluster through ``distributed.Client.get_executor()`` when asked
(:func:`make_executor`). Each worker gets a validated scenario and a seed and returns only the
run's summary dict (small and picklable); the results do not depend on the executor or on the
order in which runs finish.

Seeds: ``numpy.random.SeedSequence(scenario.seed).spawn(replications)``; replication ``r`` runs
with ``int(children[r].generate_state(1)[0])`` (a 32-bit integer). Every grid point uses the same
seeds (common random numbers), so differences between points are not noise between seeds.

Aggregation: per grid point and metric, the mean and a two-sided 95 % Student-t confidence
interval ``mean ± t(0.975, n − 1) · s / √n`` (``s`` the sample standard deviation, ddof = 1) over
the replications where the metric has a value (an ETE percentile that was never reached is
missing, not zero). With ``n < 2`` the interval is undefined (NaN).

A replication that fails is reported (index, seed, grid point, one error line) and the finished
ones are kept.

This module imports only the standard library at import time (``evacsim.sweep`` is re-exported by
``import evacsim``); numpy, pandas, scipy and the pipeline are imported when a sweep runs.
"""

from __future__ import annotations

import itertools
import logging
import math
import multiprocessing
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from evacsim.scenario.load import Scenario

__all__ = [
    "METRICS",
    "SweepFailure",
    "SweepResult",
    "aggregate",
    "apply_overrides",
    "expand_grid",
    "make_executor",
    "parse_grid",
    "replication_seeds",
    "run_summary",
    "summary_metrics",
    "sweep",
]

log = logging.getLogger(__name__)

#: Metrics taken from each run's summary (column name -> path in summary.json).
METRICS: dict[str, tuple[str, ...]] = {
    **{f"ete_assembly_p{p}_s": ("ete_s", "assembly", f"p{p}") for p in (50, 90, 95, 100)},
    **{f"ete_shelter_p{p}_s": ("ete_s", "shelter", f"p{p}") for p in (50, 90, 95, 100)},
    "persons_total": ("persons_total",),
    "persons_sheltered": ("persons", "sheltered"),
    "persons_stranded": ("persons", "stranded"),
    "person_s_red": ("exposure", "person_s_red"),
    "person_s_orange": ("exposure", "person_s_orange"),
    "end_s": ("end_s",),
}

Runner = Callable[["Scenario", int], dict[str, Any]]
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SweepFailure:
    """A replication that did not finish: where in the sweep, its seed, and one error line."""

    index: int
    replication: int
    seed: int
    point: dict[str, Any]
    error: str
    input_error: bool

    def line(self) -> str:
        """``replication 3 (seed 123, weather.wind_from_deg=90): ScenarioError: ...``."""
        where = ", ".join(f"{k}={v}" for k, v in self.point.items())
        where = f", {where}" if where else ""
        return f"replication {self.replication} (seed {self.seed}{where}): {self.error}"


@dataclass(eq=False)
class SweepResult:
    """What a sweep produced.

    Attributes
    ----------
    runs
        One row per finished run, in sweep order: ``index``, one column per grid key,
        ``replication``, ``seed``, ``ended_by`` and the :data:`METRICS` columns (NaN when a
        percentile was never reached).
    table
        One row per grid point and metric: the grid keys, ``metric``, ``n`` (runs with a value),
        ``mean``, ``sd``, ``ci95_low``, ``ci95_high`` (Student-t, see the module docstring).
    failures
        The replications that failed, in sweep order.
    summaries
        The finished runs' summary dicts by sweep index.
    keys
        The grid keys, in the order given.
    """

    runs: pd.DataFrame
    table: pd.DataFrame
    failures: list[SweepFailure] = field(default_factory=list)
    summaries: dict[int, dict[str, Any]] = field(default_factory=dict)
    keys: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when every replication finished."""
        return not self.failures


# --------------------------------------------------------------------------- grid and overrides


def _split_top_level(text: str) -> list[str]:
    """Split ``text`` on commas that are not inside brackets or quotes."""
    parts, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def _parse_value(text: str) -> Any:
    import tomllib

    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_grid(items: Sequence[str] | None) -> dict[str, list[Any]]:
    """Turn ``["weather.wind_from_deg=0,90", "population.period=day,night"]`` into a grid.

    Values are read as TOML (``90`` an integer, ``day`` a string, ``[1, 2]`` a list).

    Raises
    ------
    ScenarioError
        An item without ``=``, an empty key or value, or a key given twice.
    """
    from evacsim.errors import ScenarioError

    grid: dict[str, list[Any]] = {}
    for item in items or []:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key or not text.strip():
            raise ScenarioError(f"--set {item!r}: expected key=value[,value...]")
        if key in grid:
            raise ScenarioError(f"--set {key}: given twice")
        grid[key] = [_parse_value(v) for v in _split_top_level(text)]
    return grid


def expand_grid(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """The grid's points: the Cartesian product of its values, keys in the order given."""
    keys = list(grid)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*grid.values())]


def _nest(point: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in point.items():
        *parents, leaf = key.split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


def _merge(base: dict[str, Any], extra: Mapping[str, Any], prefix: str, where: str) -> None:
    from evacsim.errors import ScenarioError

    for key, value in extra.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            current = base.get(key)
            if current is None:
                base[key] = current = {}
            if not isinstance(current, dict):
                raise ScenarioError(f"{where}: --set {path}: '{prefix}{key}' is not a table")
            _merge(current, value, f"{path}.", where)
        else:
            base[key] = value


def apply_overrides(scenario: Scenario, point: Mapping[str, Any]) -> Scenario:
    """The scenario with dotted-key overrides applied and validated again.

    Parameters
    ----------
    scenario
        A loaded scenario (its ``path``, ``area_path`` and ``sha256`` are kept).
    point
        ``{"weather.wind_from_deg": 90, ...}``. ``seed`` cannot be overridden here (a sweep's
        replications set it).

    Raises
    ------
    ScenarioError
        One line naming the scenario file and the key: unknown key, wrong type or value.
    """
    from evacsim.errors import ScenarioError
    from evacsim.scenario.load import scenario_from_dict

    where = str(scenario.path) if scenario.path else scenario.name
    if "seed" in point:
        raise ScenarioError(f"{where}: --set seed: use --replications (seeds are spawned)")
    data = scenario.model_dump(mode="python")
    _merge(data, _nest(point), "", where)
    new = scenario_from_dict(data, where=where)
    return new.model_copy(
        update={"path": scenario.path, "area_path": scenario.area_path, "sha256": scenario.sha256}
    )


def replication_seeds(seed: int, replications: int) -> list[int]:
    """Seeds of the replications: ``SeedSequence(seed).spawn(n)[r].generate_state(1)[0]``."""
    import numpy as np

    children = np.random.SeedSequence(seed).spawn(replications)
    return [int(child.generate_state(1)[0]) for child in children]


# --------------------------------------------------------------------------- workers


def run_summary(scenario: Scenario, seed: int) -> dict[str, Any]:
    """Run one replication and return its summary dict (what a worker sends back)."""
    from evacsim.pipeline import run

    return run(scenario, seed=seed).summary


def _get(summary: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = summary
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def summary_metrics(summary: Mapping[str, Any]) -> dict[str, float]:
    """The :data:`METRICS` of one summary, as floats (NaN where missing)."""
    out: dict[str, float] = {}
    for name, path in METRICS.items():
        value = _get(summary, path)
        out[name] = float(value) if isinstance(value, int | float) else math.nan
    return out


def _error_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or "(no message)"
    return f"{type(exc).__name__}: {text}"


# --------------------------------------------------------------------------- executors


@contextmanager
def make_executor(*, workers: int | None = None, dask: str | None = None) -> Iterator[Executor]:
    """An executor for a sweep, shut down on exit.

    Parameters
    ----------
    workers
        Worker processes (default: the CPU count).
    dask
        ``None``: a local :class:`~concurrent.futures.ProcessPoolExecutor` (``forkserver``
        start method where available, else ``spawn``: safe with threads in the parent).
        ``"local"``: a ``distributed.LocalCluster`` with ``workers`` single-threaded worker
        processes. Any other text: the address of a running Dask scheduler
        (``tcp://host:8786``). Dask is the optional extra ``evacsim[dask]``.

    Raises
    ------
    EvacsimError
        ``workers`` below 1, Dask asked for but not installed, or its scheduler unreachable.
    """
    from evacsim.errors import EvacsimError

    if workers is not None and workers < 1:
        raise EvacsimError(f"--workers: must be at least 1 (got {workers})")
    n = workers or os.cpu_count() or 1
    if dask is None:
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        with ProcessPoolExecutor(max_workers=n, mp_context=ctx) as pool:
            yield pool
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise EvacsimError(
            "--dask: dask.distributed is not installed (pip install 'evacsim[dask]')"
        ) from None
    if dask == "local":
        with (
            LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client.get_executor()
    else:
        try:
            client = Client(dask)
        except (OSError, TimeoutError, ValueError) as exc:
            detail = " ".join(str(exc).split())
            raise EvacsimError(f"--dask {dask}: cannot reach the scheduler ({detail})") from None
        with client:
            yield client.get_executor()


# --------------------------------------------------------------------------- the sweep


@dataclass(frozen=True)
class _Task:
    index: int
    replication: int
    seed: int
    point: dict[str, Any]
    scenario: Scenario


def _tasks(sc: Scenario, grid: Mapping[str, Sequence[Any]], replications: int) -> list[_Task]:
    points = expand_grid(grid) if grid else [{}]
    # Validate every point before any run starts.
    scenarios = [apply_overrides(sc, p) for p in points]
    seeds = replication_seeds(sc.seed, replications)
    tasks = []
    for p, (point, point_sc) in enumerate(zip(points, scenarios, strict=True)):
        for r, seed in enumerate(seeds):
            tasks.append(_Task(p * replications + r, r, seed, point, point_sc))
    return tasks


def _load(scenario: Scenario | str | Path) -> Scenario:
    from evacsim.scenario.load import Scenario, load_scenario

    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def sweep(
    scenario: Scenario | str | Path,
    *,
    replications: int,
    grid: Mapping[str, Sequence[Any]] | None = None,
    executor: Executor | None = None,
    workers: int | None = None,
    runner: Runner = run_summary,
    progress: Progress | None = None,
) -> SweepResult:
    """Run ``replications`` seeds at every point of ``grid`` and aggregate the ETEs.

    Parameters
    ----------
    scenario
        A scenario file or a loaded scenario.
    replications
        Runs per grid point (>= 1); seeds as in the module docstring.
    grid
        Dotted scenario keys to their values, e.g. ``{"population.period": ["day", "night"]}``.
        Every point is validated before any run starts.
    executor
        Where runs go; default a local process pool of ``workers`` processes (closed after).
    workers
        Processes of the default pool (default: the CPU count).
    runner
        ``(scenario, seed) -> summary``; must be picklable for process executors.
    progress
        Called as ``progress(done, total)`` after each run finishes.

    Returns
    -------
    SweepResult

    Raises
    ------
    ScenarioError
        Bad replications count, grid key or value (one line naming the file and key).
    """
    from evacsim.errors import ScenarioError

    sc = _load(scenario)
    if replications < 1:
        raise ScenarioError(f"--replications: must be at least 1 (got {replications})")
    grid = dict(grid or {})
    for key, values in grid.items():
        if not values:
            raise ScenarioError(f"--set {key}: no values")
    tasks = _tasks(sc, grid, replications)
    log.info("sweep: %d runs (%d points x %d replications)", len(tasks),
             len(tasks) // replications, replications)  # fmt: skip
    if executor is None:
        with make_executor(workers=workers) as pool:
            summaries, failures = _execute(pool, tasks, runner, progress)
    else:
        summaries, failures = _execute(executor, tasks, runner, progress)
    return _result(tasks, tuple(grid), summaries, failures)


def _execute(
    executor: Executor, tasks: list[_Task], runner: Runner, progress: Progress | None
) -> tuple[dict[int, dict[str, Any]], list[SweepFailure]]:
    futures: dict[Future[dict[str, Any]], _Task] = {
        executor.submit(runner, t.scenario, t.seed): t for t in tasks
    }
    summaries: dict[int, dict[str, Any]] = {}
    failures: list[SweepFailure] = []
    for done, future in enumerate(as_completed(futures), start=1):
        task = futures[future]
        try:
            summaries[task.index] = future.result()
        except Exception as exc:  # a worker's failure is data: report it, keep the rest
            from evacsim.errors import EvacsimError

            failure = SweepFailure(task.index, task.replication, task.seed, task.point,
                                   _error_line(exc), isinstance(exc, EvacsimError))  # fmt: skip
            log.warning("sweep: %s", failure.line())
            failures.append(failure)
        if progress is not None:
            progress(done, len(tasks))
    failures.sort(key=lambda f: f.index)
    return summaries, failures


def _result(
    tasks: list[_Task],
    keys: tuple[str, ...],
    summaries: dict[int, dict[str, Any]],
    failures: list[SweepFailure],
) -> SweepResult:
    import pandas as pd

    rows = []
    for task in tasks:
        if task.index not in summaries:
            continue
        summary = summaries[task.index]
        row: dict[str, Any] = {"index": task.index, **task.point}
        row |= {"replication": task.replication, "seed": task.seed}
        row |= {"ended_by": summary.get("ended_by"), **summary_metrics(summary)}
        rows.append(row)
    columns = ["index", *keys, "replication", "seed", "ended_by", *METRICS]
    runs = pd.DataFrame(rows, columns=columns)
    return SweepResult(runs, aggregate(runs, keys), failures, summaries, keys)


def _ci95(values: Any) -> tuple[int, float, float, float, float]:
    import numpy as np
    from scipy import stats

    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = int(x.size)
    if n == 0:
        return 0, math.nan, math.nan, math.nan, math.nan
    mean = float(x.mean())
    if n < 2:
        return n, mean, math.nan, math.nan, math.nan
    sd = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return n, mean, sd, mean - half, mean + half


def aggregate(runs: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Per grid point and metric (the :data:`METRICS` columns present in ``runs``): ``n``,
    ``mean``, ``sd`` and the 95 % t-interval (see the module docstring)."""
    import pandas as pd

    columns = [*keys, "metric", "n", "mean", "sd", "ci95_low", "ci95_high"]
    rows = []
    groups = runs.groupby(list(keys), sort=False, dropna=False) if keys else [((), runs)]
    for point, part in groups:
        values = point if isinstance(point, tuple) else (point,)
        for metric in (m for m in METRICS if m in part):
            rows.append([*values, metric, *_ci95(part[metric])])
    return pd.DataFrame(rows, columns=columns)
