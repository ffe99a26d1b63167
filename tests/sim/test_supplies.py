"""Supplies (issue 7): exact conservation, stock limits, the need formula, summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from evacsim.pipeline import Run, run
from evacsim.scenario.supplies import ITEMS
from tests.support.tiny_area import write_scenario, write_tiny_area

SUPPLIES = """
[supplies]
mobilisation_s = 0
trucks_per_point = 2
sample_s = 120
truck_capacity = { water_l = 10, food_rations = 10, blankets = 25, medical_kits = 1 }
"""

INITIAL = {"water_l": 37, "food_rations": 500, "blankets": 61, "medical_kits": 3}


def _small_stock(features: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for f in features:
        f["properties"].update({f"stock_{k}": v for k, v in INITIAL.items()})
    return features


@pytest.fixture(scope="module")
def supply_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    area_dir = write_tiny_area(tmp_path_factory.mktemp("sup") / "tiny", supply_points=_small_stock)
    return run(write_scenario(area_dir, extra=SUPPLIES))


def test_supplies_are_conserved_exactly(supply_run: Run) -> None:
    extra = supply_run.results.extra
    stock = extra["supply_stock"].set_index("item")
    runs = extra["supplies"]
    delivered_runs = runs[runs["status"] == "delivered"]
    on_trucks = runs[runs["status"] != "delivered"]
    assert len(delivered_runs) > 0
    for item in ITEMS:
        row = stock.loc[item]
        assert int(row["initial"]) == INITIAL[item]  # the layer's stock
        assert int(row["delivered"]) + int(row["left"]) + int(row["in_transit"]) == INITIAL[item]
        assert int(row["delivered"]) == int(delivered_runs[item].sum())
        assert int(row["in_transit"]) == int(on_trucks[item].sum())
        assert (runs[item] <= {"water_l": 10, "food_rations": 10, "blankets": 25,
                               "medical_kits": 1}[item]).all()  # fmt: skip


def test_stock_is_never_overdrawn(supply_run: Run) -> None:
    """61 blankets for ~hundreds of sheltered persons: the stock runs out, never below 0."""
    stock = supply_run.results.extra["supply_stock"].set_index("item")
    sheltered = supply_run.results.persons_by_state["sheltered"]
    assert sheltered > INITIAL["blankets"]
    assert int(stock.loc["blankets", "left"]) == 0
    runs = supply_run.results.extra["supplies"]
    assert int(runs["blankets"].sum()) == INITIAL["blankets"]


def test_need_follows_the_per_person_formula(supply_run: Run) -> None:
    """need = 1 blanket per admitted person; water = 0.125 l × person-hours (Sphere 3 l/day),
    both from the occupancy history, independently of the module's bookkeeping."""
    res = supply_run.results
    unmet = res.extra["supply_unmet"]
    last = unmet[unmet["t_s"] == unmet["t_s"].max()].set_index(["shelter", "item"])
    occ = res.occupancy
    for sid in ("S-1", "S-2"):
        series = occ[occ["facility_id"] == sid].sort_values("t_s", kind="stable")
        t = np.append(series["t_s"].to_numpy(), res.end_s)
        persons = series["persons"].to_numpy()
        person_h = float(np.sum(persons * np.diff(t))) / 3600.0
        admitted = int(persons.max()) if len(persons) else 0  # shelters only fill
        assert last.loc[(sid, "blankets"), "need"] == pytest.approx(admitted)
        assert last.loc[(sid, "water_l"), "need"] == pytest.approx(0.125 * person_h)
        got = last.loc[(sid, "water_l"), "delivered"]
        assert last.loc[(sid, "water_l"), "unmet"] == pytest.approx(
            max(0.0, 0.125 * person_h - got)
        )


def test_summary_reports_shelters_and_points(supply_run: Run) -> None:
    summary = supply_run.summary["supplies"]
    runs = supply_run.results.extra["supplies"]
    done = runs[runs["status"] == "delivered"]
    for sid, first in done.groupby("shelter")["t_arrive_s"].min().items():
        assert summary["shelters"][sid]["first_delivery_s"] == pytest.approx(first, abs=0.1)
    left = summary["supply_points"]["SP-1"]["left"]
    stock = supply_run.results.extra["supply_stock"].set_index("item")["left"]
    assert left == {item: int(stock[item]) for item in ITEMS}


def test_without_supply_points_nothing_is_delivered(tmp_path: Path) -> None:
    area_dir = write_tiny_area(tmp_path / "tiny", supply_points=None)
    result = run(write_scenario(area_dir))
    assert result.results.extra["supplies"].empty
    assert result.summary["supplies"]["supply_points"] == {}
