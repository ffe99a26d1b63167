"""The optimizer's objective ranks plans even when some persons reach no assembly point."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from evacsim.optimize.search import Objective, stage1_objective


def _plan(t_assembly_s: list[float], t_shelter_s: list[float]) -> tuple[dict[str, Any], Any]:
    """Three groups of 10, 20 and 30 persons (NaN: never arrives); summary percentiles of all 60."""
    persons = np.array([10, 20, 30])
    groups = pd.DataFrame(
        {
            "persons": persons,
            "t_assembly_s": t_assembly_s,
            "t_shelter_s": t_shelter_s,
            "persons_sheltered": np.where(np.isnan(t_shelter_s), 0, persons),
        }
    )
    summary = {"persons_total": 60, "ete_s": {"assembly": {"p90": None, "p50": 200.0}}}
    return summary, SimpleNamespace(groups=groups)


def test_cut_off_persons_count_first_then_the_last_of_those_who_arrive() -> None:
    nan = math.nan
    obj = stage1_objective(*_plan([100.0, 250.4, nan], [400.0, nan, nan]))
    # 30 persons never arrive; the last of the 30 who do arrives at 250 s; last sheltered: 400 s
    assert obj == Objective(30, 250.0, math.inf, 200.0, 400.0)
    sooner = stage1_objective(*_plan([100.0, 180.0, nan], [400.0, nan, nan]))
    fewer_cut_off = stage1_objective(*_plan([100.0, 900.0, 950.0], [400.0, nan, nan]))
    assert sooner < obj  # same persons cut off: the earlier last arrival wins
    assert fewer_cut_off < sooner  # fewer cut off wins over any time
    nobody = stage1_objective(*_plan([nan, nan, nan], [nan, nan, nan]))
    assert nobody.missing == 60 and nobody.last_s == math.inf
