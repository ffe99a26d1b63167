"""Metrics on hand-made results whose answers are worked out by hand in each test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from evacsim.results.ete import ete_table, evacuation_curves
from evacsim.results.tables import (
    bottlenecks,
    facility_table,
    grid_table,
    occupancy_series,
    stranded_table,
)
from evacsim.sim.results import Results

NAN = float("nan")


def _results(**overrides: Any) -> Results:
    """Four groups: persons 40/30/20/10 reaching their assembly point at 100/200/300/400 s.

    Groups 1-2 are in the red zone, grid G-1 (community "North"), sent to AP-1; groups 3-4 are
    orange, grid G-2 (community "South"), sent to AP-2. Groups 1, 2 and 4 reach a shelter at
    500/700/600 s; group 3 is stranded on the way at node 7.
    """
    groups = pd.DataFrame(
        {
            "group_id": ["G-1/1", "G-1/2", "G-2/1", "G-2/2"],
            "grid_id": ["G-1", "G-1", "G-2", "G-2"],
            "mode": ["walk", "car", "walk", "assisted"],
            "persons": [40, 30, 20, 10],
            "level": [0, 0, 1, 1],
            "departure_s": [0.0, 0.0, 0.0, 0.0],
            "assembly_point": ["AP-1", "AP-1", "AP-2", "AP-2"],
            "t_assembly_s": [100.0, 200.0, 300.0, 400.0],
            "shelter": ["S-1", "S-1", "", "S-1"],
            "t_shelter_s": [500.0, 700.0, NAN, 600.0],
            "persons_sheltered": [40, 30, 0, 10],
            "state": ["sheltered", "sheltered", "stranded", "sheltered"],
            "stranded_reason": ["", "", "gridlock", ""],
            "stranded_node": [-1, -1, 7, -1],
            "exposure_red_s": [0.0] * 4,
            "exposure_orange_s": [0.0] * 4,
            "exposure_yellow_s": [0.0] * 4,
        }
    )
    links = pd.DataFrame(
        {
            "edge": [0, 1, 2, 3, 4],
            "mode": ["car", "car", "car", "walk", "car"],
            "road_id": ["R-1", "R-1", "R-2", "R-2", "R-3"],
            "name": ["<b>One</b>", "<b>One</b>", "Two", "Two", "Three"],
            "volume": [10, 12, 30, 40, 50],
            "max_queue": [3, 5, 7, 9, 0],
            "congested_s": [60.0, 120.0, 30.0, 600.0, 0.0],
        }
    )
    facilities = pd.DataFrame(
        {
            "id": ["AP-1", "S-1"],
            "kind": ["assembly", "shelter"],
            "name": ["Yard", "Hall"],
            "capacity_persons": [100, 50],
            "arrivals": [70, 80],
            "peak": [70, 50],
            "refused": [0, 30],
            "redirected": [0, 30],
            "final": [0, 50],
        }
    )
    occupancy = pd.DataFrame(
        {
            "facility_id": ["AP-1", "AP-1", "S-1", "AP-1", "S-1"],
            "t_s": [100.0, 200.0, 500.0, 500.0, 700.0],
            "persons": [40, 70, 40, 30, 50],
        }
    )
    per_grid = pd.DataFrame({"grid_id": ["G-1", "G-2"], "community": ["North", "South"]})
    data: dict[str, Any] = {
        "groups": groups, "links": links, "facilities": facilities, "occupancy": occupancy,
        "events": pd.DataFrame(columns=["t_s", "kind", "who", "where", "detail"]),
        "vehicles": pd.DataFrame(), "paths": pd.DataFrame(), "end_s": 800.0,
        "ended_by": "done", "extra": {"per_grid": per_grid},
    }  # fmt: skip
    data |= overrides
    return Results(**data)


def _row(table: pd.DataFrame, key: str, stage: str) -> pd.Series:
    sel = table[(table["key"] == key) & (table["stage"] == stage)]
    assert len(sel) == 1
    return sel.iloc[0]


def test_overall_ete_by_hand() -> None:
    # cumulative persons at assembly 40, 70, 90, 100 at 100..400 s: 50 % (50 persons) -> 200 s,
    # 90 % (90) -> 300 s, 95 % (95) and 100 % -> 400 s.
    table = ete_table(_results())
    a = _row(table, "all", "assembly")
    assert (a["persons"], a["arrived"]) == (100, 100)
    assert (a["p50_s"], a["p90_s"], a["p95_s"], a["p100_s"]) == (200.0, 300.0, 400.0, 400.0)
    # shelter: 40 at 500, 10 at 600, 30 at 700 -> 40, 50, 80: 50 % at 600 s, 90 % never
    s = _row(table, "all", "shelter")
    assert s["arrived"] == 80
    assert s["p50_s"] == 600.0
    assert np.isnan(s["p90_s"]) and np.isnan(s["p100_s"])


def test_ete_per_level_community_and_assembly_point() -> None:
    results = _results()
    by_level = ete_table(results, by="level")
    assert list(dict.fromkeys(by_level["key"])) == ["red", "orange"]
    red = _row(by_level, "red", "assembly")  # 70 persons: 35 -> 100 s, 63 -> 200 s
    assert (red["persons"], red["p50_s"], red["p90_s"]) == (70, 100.0, 200.0)
    orange = _row(by_level, "orange", "assembly")  # 30 persons: 15 -> 300 s, 27 -> 400 s
    assert (orange["p50_s"], orange["p90_s"]) == (300.0, 400.0)
    # orange shelter: only the 10 of group 4 (at 600 s) of 30 persons: 50 % never reached
    assert np.isnan(_row(by_level, "orange", "shelter")["p50_s"])
    community = ete_table(results, by="community")
    assert _row(community, "North", "assembly")["p90_s"] == 200.0
    ap = ete_table(results, by="assembly_point")
    assert _row(ap, "AP-2", "assembly")["p100_s"] == 400.0
    explicit = ete_table(results, by="community", grid_community={"G-1": "A", "G-2": "A"})
    assert _row(explicit, "A", "assembly")["p50_s"] == 200.0


def test_ete_rejects_unknown_grouping() -> None:
    with pytest.raises(ValueError, match="by="):
        ete_table(_results(), by="planet")  # type: ignore[arg-type]


def test_curves_are_monotone_and_end_at_the_arrival_counts() -> None:
    curves = evacuation_curves(_results(), step_s=60.0)
    assert curves["t_s"].iloc[0] == 0.0
    assert curves["t_s"].iloc[-1] == 720.0  # first step at or after the last arrival (700 s)
    for stage in ("assembly", "shelter"):
        assert (np.diff(curves[stage].to_numpy()) >= 0).all()
    assert curves["assembly"].iloc[-1] == 100
    assert curves["shelter"].iloc[-1] == 80
    at = dict(
        zip(curves["t_s"], zip(curves["assembly"], curves["shelter"], strict=True), strict=True)
    )
    assert at[180.0][0] == 40  # only group 1 (100 s) by 180 s
    assert at[240.0][0] == 70
    assert at[600.0][1] == 50  # an arrival exactly at t counts


def test_bottlenecks_merge_directions_and_rank() -> None:
    table = bottlenecks(_results(), n=10)
    # R-2 walk (queue 9), R-2 car (7), R-1 car (both directions: max 5, 3 + 2 = 3 min); R-3 never
    # queued so it is not a bottleneck.
    assert list(zip(table["road_id"], table["mode"], strict=True)) == [
        ("R-2", "walk"), ("R-2", "car"), ("R-1", "car")
    ]  # fmt: skip
    r1 = table.iloc[2]
    assert (r1["max_queue"], r1["congested_min"], r1["volume"], r1["links"]) == (5, 3.0, 22, 2)
    assert r1["name"] == "<b>One</b>"
    assert list(table["rank"]) == [1, 2, 3]
    assert len(bottlenecks(_results(), n=1)) == 1


def test_occupancy_series_steps_through_the_log() -> None:
    series = occupancy_series(_results(), step_s=100.0).set_index("t_s")
    assert list(series.columns) == ["AP-1", "S-1"]
    assert series.index[-1] == 800.0  # the end of the run
    assert list(series["AP-1"]) == [0, 40, 70, 70, 70, 30, 30, 30, 30]
    assert list(series["S-1"]) == [0, 0, 0, 0, 0, 40, 40, 50, 50]


def test_facility_table_peak_against_capacity() -> None:
    fac = facility_table(_results()).set_index("id")
    assert fac.loc["S-1", "peak_share"] == 1.0
    assert fac.loc["AP-1", "peak_share"] == 0.7
    assert fac.loc["AP-1", "t_peak_s"] == 200.0
    assert fac.loc["S-1", "t_first_s"] == 500.0


def test_stranded_table_where_and_why(tiny_network: Any) -> None:
    table = stranded_table(_results(), tiny_network)
    assert len(table) == 1
    row = table.iloc[0]
    assert (row["reason"], row["node"], row["persons"], row["grids"]) == ("gridlock", 7, 20, "G-2")
    assert row["x_m"] == tiny_network.node_x_m[7]


def test_grid_table_by_hand() -> None:
    table = grid_table(_results()).set_index("grid_id")
    assert table.loc["G-1", "persons"] == 70
    assert table.loc["G-1", "ete_assembly_p50_s"] == 100.0  # 35 of 70 by 100 s
    assert table.loc["G-1", "ete_shelter_p90_s"] == 700.0
    assert table.loc["G-2", "stranded"] == 20
    assert table.loc["G-2", "level"] == "orange"


def test_summary_has_ete_by_and_bottlenecks(tiny_area_dir: Path) -> None:
    from evacsim.pipeline import run

    scenario = tiny_area_dir.parent / "s.toml"
    scenario.write_text(
        f"""
name = "metrics"
area = "{tiny_area_dir.name}"
[hazard]
model = "radius"
source = "T-01"
radii_m = {{ red = 60, orange = 150, yellow = 250 }}
evacuate = "yellow"
""",
        encoding="utf-8",
    )
    result = run(scenario)
    summary, groups = result.summary, result.results.groups
    for key in ("ete_s", "facilities", "persons", "exposure", "stranded"):  # the old keys stay
        assert key in summary
    assert set(summary["ete_by"]) == {"level", "community", "assembly_point"}
    by_ap = summary["ete_by"]["assembly_point"]
    assert sum(v["persons"] for v in by_ap.values()) == summary["persons_total"]
    for ap, entry in by_ap.items():
        mine = groups[groups["assembly_point"] == ap]
        assert mine["t_assembly_s"].notna().all()
        assert entry["assembly"]["p100"] == round(float(mine["t_assembly_s"].max()), 1)
    assert isinstance(summary["bottlenecks"], list)
