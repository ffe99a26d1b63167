"""``evacsim compare``: the ETE table and its differences, curves, bottlenecks, the HTML page."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from evacsim.cli import main
from evacsim.errors import EvacsimError
from evacsim.report.compare import (
    Side,
    _curves_from_groups,
    bottleneck_changes,
    compare,
    compare_html,
    ete_table,
)
from tests.support.tiny_area import write_tiny_area

TINY = """
name = "tiny compare {label}"
seed = {seed}
area = "area"
[hazard]
model = "radius"
source = "T-01"
radii_m = {{ red = 60, orange = 150, yellow = 250 }}
evacuate = "yellow"
[population]
period = "night"
"""


def _summary(p50: float | None, p100: float | None, sheltered: int) -> dict[str, Any]:
    ete = {"p50": p50, "p90": None, "p95": None, "p100": p100}
    return {
        "scenario": "s",
        "seed": 1,
        "ete_s": {"assembly": ete, "shelter": ete},
        "persons_total": 10,
        "persons": {"sheltered": sheltered, "stranded": 10 - sheltered},
    }


def _side(label: str, summary: dict[str, Any], roads: pd.DataFrame | None = None) -> Side:
    curve = (np.array([0.0, 60.0]), np.array([0.0, 1.0]))
    return Side(label, Path(label), summary, {"assembly": curve, "shelter": curve}, True, roads)


def test_differences_are_against_the_first_run() -> None:
    a = _side("base", _summary(600.0, 1800.0, 10))
    b = _side("what-if", _summary(900.0, None, 7))
    table = ete_table([a, b]).set_index("metric")
    assert table.loc["ETE assembly p50", "base"] == 10.0  # 600 s = 10 min
    assert table.loc["ETE assembly p50", "Δ what-if"] == 5.0
    assert math.isnan(table.loc["ETE assembly p100", "Δ what-if"])  # never reached: no number
    assert table.loc["stranded", "Δ what-if"] == 3


def test_bottlenecks_that_appear_and_vanish() -> None:
    def roads(*rows: tuple[str, float]) -> pd.DataFrame:
        return pd.DataFrame(
            [{"road_id": r, "name": f"Road {r}", "congested_s": s} for r, s in rows]
        )

    base = _side("base", _summary(1, 1, 1), roads(("R-1", 900.0), ("R-2", 400.0), ("R-3", 10.0)))
    other = _side("other", _summary(1, 1, 1), roads(("R-2", 600.0), ("R-3", 700.0)))
    unknown = _side("folder", _summary(1, 1, 1), None)
    changes = bottleneck_changes([base, other, unknown], min_congested_s=300.0)
    assert changes["other"] == {
        "appear": ["Road R-3 (R-3)"],
        "vanish": ["Road R-1 (R-1)"],
        "stay": ["Road R-2 (R-2)"],
    }
    assert changes["folder"] is None


def test_curve_is_the_share_of_persons_arrived() -> None:
    groups = pd.DataFrame(
        {
            "persons": [1, 3, 4],
            "t_assembly_s": [200.0, 100.0, np.nan],
            "t_shelter_s": [300.0, np.nan, np.nan],
            "persons_sheltered": [1, 0, 0],
        }
    )
    t, share = _curves_from_groups(groups)["assembly"]
    np.testing.assert_allclose(t, [0.0, 100.0, 200.0])
    np.testing.assert_allclose(share, [0.0, 3 / 8, 4 / 8])
    t, share = _curves_from_groups(groups)["shelter"]
    np.testing.assert_allclose(share, [0.0, 1 / 8])


def test_page_is_self_contained_and_escaped() -> None:
    evil = _summary(600.0, 1200.0, 10) | {"scenario": "<script>alert(1)</script>"}
    html = compare_html([_side("a<b>", evil), _side("b", _summary(660.0, 1300.0, 10))])
    assert "<script>" not in html and "&lt;script&gt;" in html and "a&lt;b&gt;" in html
    assert html.count('<svg class="evacsim-chart"') == 1 and "<img" not in html
    assert "a&lt;b&gt;" in html.split('<svg class="evacsim-chart"', 1)[1]  # legend, as text
    assert "http://" not in html.replace("http://www.w3.org/", "") and "https://" not in html


def _facilities(**loads: tuple[int, int, int]) -> dict[str, Any]:
    return {fid: {"name": fid, "kind": "shelter", "arrivals": a, "peak": p, "capacity": 100,
                  "refused": r} for fid, (a, p, r) in loads.items()}  # fmt: skip


def test_counts_are_integers_and_who_must_leave_is_neutral() -> None:
    base = _summary(600.0, 1800.0, 10) | {"persons_total": 3500, "facilities": _facilities(
        **{"S-1": (3500, 90, 0), "S-2": (0, 0, 0)})}  # fmt: skip
    base["persons"] = {"sheltered": 3500, "stranded": 0}
    fewer = _summary(600.0, 1800.0, 10) | {"persons_total": 2873, "facilities": _facilities(
        **{"S-1": (2800, 100, 73), "S-2": (73, 73, 0)})}  # fmt: skip
    fewer["persons"] = {"sheltered": 2873, "stranded": 0}
    html = compare_html([_side("a", base), _side("b", fewer)], lang="en")
    assert "3,500" in html and "3500.0" not in html and "2,873" in html
    rows = {r.split("</td>", 1)[0]: r for r in html.split("<tr>")[1:]}
    # 627 fewer sheltered only because 627 fewer had to leave: neutral, not red
    assert '<td class="neutral">-627</td>' in rows["<td>sheltered"]
    assert '<td class="neutral">-627</td>' in rows["<td>persons to evacuate"]
    assert "worse" not in rows["<td>sheltered, share of persons to evacuate"]
    # the facilities side by side: arrivals / peak / refused per run
    assert "3,500 / 90 / 0" in html and "2,800 / 100 / 73" in html


@pytest.fixture(scope="module")
def two_scenarios(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("compare")
    write_tiny_area(folder / "area")
    paths = []
    for label, seed in (("a", 1), ("b", 2)):
        path = folder / f"{label}.toml"
        path.write_text(TINY.format(label=label, seed=seed), encoding="utf-8")
        paths.append(path)
    return paths[0], paths[1]


def test_compare_a_run_folder_with_a_scenario(
    two_scenarios: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = two_scenarios
    folder = tmp_path / "run-a"
    with pytest.raises(SystemExit) as exc:
        main(["run", str(a), "--out", str(folder), "-q"])
    assert exc.value.code == 0
    page = tmp_path / "cmp.html"
    with pytest.raises(SystemExit) as exc:
        main(["compare", str(folder), str(b), "--out", str(page), "--json"])
    out = capsys.readouterr()
    assert exc.value.code == 0, out.err
    table = {r["metric"]: r for r in json.loads(out.out)["table"]}
    sa = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    result = compare([folder, b])
    sb = result.sides[1].summary
    row = table["ETE assembly p90"]
    assert row["run-a"] == pytest.approx(sa["ete_s"]["assembly"]["p90"] / 60)
    assert row["Δ b"] == pytest.approx(
        (sb["ete_s"]["assembly"]["p90"] - sa["ete_s"]["assembly"]["p90"]) / 60
    )
    assert page.is_file() and "run-a" in page.read_text(encoding="utf-8")


def test_compare_needs_two_known_items(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(EvacsimError, match="at least two"):
        compare([tmp_path])
    with pytest.raises(SystemExit) as exc:
        main(["compare", str(tmp_path), str(tmp_path), "--out", str(tmp_path / "c.html")])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "not a run folder" in err and err.count("\n") == 1
    assert not (tmp_path / "c.html").exists()
