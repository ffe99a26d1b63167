"""What a planner sees of the warning chain: curves, the grid table, the grid warned last, the
summary, the report section, the map layer and the grid workers' sheets."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from evacsim.export.run_folder import write_run
from evacsim.pipeline import Run, run
from evacsim.results.warning import (
    last_warned_grid,
    warning_curves,
    warning_grid_table,
    warning_summary,
)
from evacsim.sweep import parse_grid, sweep
from tests.support.paths import REPO
from tests.support.tiny_area import tiny_scenario, write_tiny_area

CHAIN = (
    '[warning]\nmode = "chain"\n'
    'channels = [{ name = "cell broadcast", share = 0.4, at_s = 1500 }]\n'
)


def _scenario(folder: Path, extra: str, *, start: bool = True) -> Path:
    write_tiny_area(folder / "area")
    path = folder / "s.toml"
    head = "start = 2026-11-27T15:02:00+08:00\n" if start else ""
    path.write_text(head + tiny_scenario(seed=11, extra=extra), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def chain_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return run(_scenario(tmp_path_factory.mktemp("chain"), CHAIN))


@pytest.fixture(scope="module")
def folder(chain_run: Run, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_run(chain_run, tmp_path_factory.mktemp("out") / "run")


def test_curves_count_every_household_once(chain_run: Run) -> None:
    g = chain_run.results.groups
    curves = warning_curves(chain_run.results, step_s=60.0)
    assert curves["all"].iloc[-1] == len(g)
    assert np.all(np.diff(curves["all"].to_numpy()) >= 0)
    # at each minute, the households whose warned time is not later
    t = g["t_warned_s"].to_numpy()
    for row in curves.iloc[::7].itertuples(index=False):
        assert row.all == int((t <= row.t_s).sum())
    by = warning_curves(chain_run.results, by="community")
    assert np.array_equal(by.drop(columns="t_s").sum(axis=1).to_numpy(), curves["all"].to_numpy())


def test_grid_table_and_the_grid_warned_last(chain_run: Run) -> None:
    g = chain_run.results.groups
    table = warning_grid_table(chain_run.results)
    assert table["households"].sum() == len(g)
    last_by_grid = g.groupby("grid_id")["t_warned_s"].max()
    for row in table.itertuples(index=False):
        assert row.t_last_warned_s == last_by_grid[row.grid_id]
        assert row.households_per_worker == pytest.approx(row.households / row.workers)
    last = last_warned_grid(chain_run.results)
    assert last is not None
    assert last["grid_id"] == last_by_grid.idxmax()
    assert last["t_last_warned_s"] == last_by_grid.max()
    # one worker, ~30 households at 90 s (night): the round, not the chain, makes it last
    assert last["cause"] == "workers" and "grid worker" in last["why"]


def test_summary_counts_the_channels(chain_run: Run) -> None:
    summary = chain_run.summary
    n = summary["groups"]
    assert summary["warning"]["households"] == n
    assert summary["warning"]["warned_by"]["cell broadcast"] <= int(0.4 * n)
    assert sum(summary["warning"]["warned_by"].values()) == n
    assert summary["start"] == "2026-11-27T15:02:00+08:00"
    assert summary["warning"] == warning_summary(chain_run.results)


def test_readme_documents_the_chain_summary_fields(chain_run: Run) -> None:
    table = (REPO / "README.md").read_text(encoding="utf-8").split("`summary.json` fields", 1)[1]
    for key in ("warning", "start"):
        assert f"`{key}`" in table
    for key in chain_run.summary["warning"]:
        assert f"`{key}`" in table, key
    for key in chain_run.summary["warning"]["last_grid"]:
        assert f"`{key}`" in table, key


def test_report_map_and_sheets(chain_run: Run, folder: Path) -> None:
    report = (folder / "report.html").read_text(encoding="utf-8")
    assert '<h2 id="warning">Warning chain</h2>' in report
    table = warning_grid_table(chain_run.results)
    rows = re.search(r'<table id="warning-table">.*?</table>', report, re.S)
    assert rows is not None and rows.group(0).count("<tr>") == len(table) + 1
    last = chain_run.summary["warning"]["last_grid"]
    assert f"Warned last: {last['grid_id']}" in report
    assert "Warning: last household warned" in (folder / "map.html").read_text(encoding="utf-8")
    visits = chain_run.results.extra["warning_visits"]
    for grid_id, mine in visits.groupby("grid_id"):
        page = (folder / "drill" / "warning" / f"{grid_id}.html").read_text(encoding="utf-8")
        assert page.count('<section class="worker">') == mine["worker"].nunique()
        assert page.count('<td class="tick">') == len(mine)
        assert "break-after: page" in page  # one printed page per worker
        first = mine.sort_values(["worker", "seq"]).iloc[0]
        # the clock time from the scenario's start (15:02), with the time since the alarm
        minutes = round(first["t_visit_s"] / 60)
        when = datetime(2026, 11, 27, 15, 2) + timedelta(minutes=minutes)
        assert first["group_id"] in page
        assert f"{when:%H:%M} (T+{minutes // 60}:{minutes % 60:02d})" in page
    index = (folder / "drill" / "warning" / "index.html").read_text(encoding="utf-8")
    assert index.count("<a href=") == len(table)
    csv = folder / "csv"
    for name in ("warning_grids", "warning_visits", "warning_messages", "warning_curves"):
        assert (csv / f"{name}.csv").is_file()
    groups_csv = (csv / "groups.csv").read_text(encoding="utf-8").splitlines()[0]
    assert "departure_s,t_warned_s,warned_by" in groups_csv


def test_distribution_runs_show_nothing_of_the_chain(tmp_path: Path) -> None:
    plain = run(_scenario(tmp_path, "", start=False))
    assert "t_warned_s" not in plain.results.groups
    assert "warning" not in plain.summary
    assert warning_grid_table(plain.results).empty and last_warned_grid(plain.results) is None
    out = write_run(plain, tmp_path / "run")
    assert not (out / "drill" / "warning").exists()
    assert "Warning chain" not in (out / "report.html").read_text(encoding="utf-8")
    assert not (out / "csv" / "warning_grids.csv").exists()


def test_a_sweep_over_workers_factor(tmp_path: Path) -> None:
    """``--set warning.workers_factor=1,2``: more grid workers warn everyone sooner."""
    grid = parse_grid(["warning.workers_factor=1,2"])
    assert grid == {"warning.workers_factor": [1, 2]}
    path = _scenario(tmp_path, '[warning]\nmode = "chain"\n')
    with ThreadPoolExecutor(1) as pool:
        result = sweep(path, replications=1, grid=grid, executor=pool)
    assert result.ok and len(result.runs) == 2
    one, two = (result.summaries[i]["warning"] for i in (0, 1))
    assert two["grid_workers"] > one["grid_workers"]
    assert two["t_warned_s"]["p100"] < one["t_warned_s"]["p100"]
    assert json.dumps(result.summaries[0])  # plain data, as a process pool returns it
