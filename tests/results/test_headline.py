"""The headline's facts: harm, stranded people and where, loads out of balance, new states.

Oracles: the run's own groups and facilities tables (summed here independently), and point-in-
polygon tests of the grids for where the stranded are.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import shapely

from evacsim.display.clock import run_clock
from evacsim.display.headline import headline_items, persons_line
from evacsim.display.i18n import translator
from evacsim.pipeline import Run, run
from evacsim.report.report import render_report
from evacsim.results.headline import headline
from tests.support.paths import SCENARIOS


@pytest.fixture(scope="module")
def chlorine() -> Run:
    """The bundled chlorine release: people stranded, toxic harm, a shelter turning people away."""
    return run(SCENARIOS / "funiuxi_chlorine.toml")


def test_harm_and_stranded_totals_come_from_the_groups(chlorine: Run) -> None:
    h = headline(chlorine)
    g = chlorine.results.groups
    assert h.fed_over_1 == int(g.loc[g["fed"] >= 1.0, "persons"].sum()) > 0
    assert h.fed_over_0_3 == int(g.loc[g["fed"] > 0.3, "persons"].sum()) > h.fed_over_1
    stranded = g[g["state"] == "stranded"]
    assert h.stranded_persons == int(stranded["persons"].sum()) > 0
    assert sum(p.persons for p in h.stranded) == h.stranded_persons


def test_stranded_places_name_the_grid_they_lie_in(chlorine: Run) -> None:
    net, grids = chlorine.prepared.network, chlorine.prepared.area.grids
    for place in headline(chlorine).stranded:
        point = shapely.Point(net.node_x_m[place.node], net.node_y_m[place.node])
        inside = grids[grids.contains(point)]
        if len(inside):  # a node on a grid's edge may be named after its neighbour
            assert place.grid_id in set(inside["id"]) | set(grids[grids.touches(point)]["id"])
        assert place.road and "node" not in place.road
        row = grids.set_index("id").loc[place.grid_id]
        assert (place.community, place.group) == (row["community"], row["group"])


@pytest.fixture(scope="module")
def unbalanced(chlorine: Run) -> Run:
    """The chlorine run with its facility loads redrawn out of balance, as a plan that breaks
    gives them (the model books shelter places, so its own runs no longer turn people away):
    the first shelter turns 120 persons away, the first assembly point takes 95 % of arrivals
    and the last two stay empty. The summary and the results table say the same."""
    out = copy.deepcopy(chlorine)
    fac = out.results.facilities
    shelters, aps = fac.index[fac["kind"] == "shelter"], fac.index[fac["kind"] == "assembly"]
    fac.loc[shelters[0], "refused"] = 120
    total = int(fac.loc[aps, "arrivals"].sum())
    fac.loc[aps, "arrivals"] = 0
    fac.loc[aps[0], "arrivals"] = round(0.95 * total)
    fac.loc[aps[1], "arrivals"] = total - round(0.95 * total)
    for row in fac.itertuples():
        entry = out.summary["facilities"][row.id]
        entry["refused"], entry["arrivals"] = int(row.refused), int(row.arrivals)
    return out


def test_a_shelter_refusing_while_others_have_room_is_flagged(unbalanced: Run) -> None:
    chlorine = unbalanced
    fac = chlorine.results.facilities
    shelters = fac[fac["kind"] == "shelter"]
    refusing = shelters[shelters["refused"] > 0]
    assert len(refusing) > 0
    flags = {(f.id, f.flag): f for f in headline(chlorine).facilities}
    for row in refusing.itertuples():
        flag = flags[(row.id, "refused")]
        others = shelters[shelters["id"] != row.id]
        room = int(np.maximum(others["capacity_persons"] - others["final"], 0).sum())
        assert flag.refused == row.refused and flag.room_elsewhere == room > 0


def test_a_concentrated_load_names_the_empty_assembly_points(unbalanced: Run) -> None:
    chlorine = unbalanced
    fac = chlorine.results.facilities
    aps = fac[fac["kind"] == "assembly"]
    (c,) = [c for c in headline(chlorine).concentration if c.kind == "assembly"]
    assert c.id == aps.loc[aps["arrivals"].idxmax(), "id"]
    assert set(c.empty) == set(aps.loc[aps["arrivals"] == 0, "id"])
    assert c.arrivals >= 0.75 * aps["arrivals"].sum()


def test_headline_lines_link_to_the_report_sections(chlorine: Run) -> None:
    items = headline_items(headline(chlorine), translator("en"), run_clock(chlorine))
    page = render_report(chlorine, lang="en")
    assert items[0].level == "alert"
    for item in items:
        assert f'id="{item.section}"' in page, item
        assert f'href="#{item.section}"' in page
    texts = " ".join(i.text for i in items)
    assert "reached a toxic dose of FED ≥ 1" in texts and "stranded at" in texts


def test_a_state_the_model_adds_later_is_shown_without_more_work(chlorine: Run) -> None:
    later = copy.copy(chlorine)
    later.summary = copy.deepcopy(chlorine.summary)
    later.summary["persons"]["incapacitated"] = 7  # what a model with incapacitation reports
    later.summary["persons"]["resting"] = 2  # a state no catalog knows yet
    text = persons_line(headline(later), translator("en"))
    assert "7 incapacitated" in text and "2 resting" in text
    assert "7 失能" not in text
    assert "失能 7 人" in persons_line(headline(later), translator("zh"))
    page = render_report(later, lang="en")
    assert "<th>incapacitated</th>" in page and "<th>resting</th>" in page


@pytest.mark.parametrize(
    ("dose_key", "words"),
    [
        ("max_dose_ppm_min", "a toxic dose"),
        ("max_thermal_dose_tdu", "a heat dose"),
        ("max_overpressure_psi", "the blast's incapacitating overpressure"),
    ],
)
def test_the_harm_line_names_the_kind_of_dose(chlorine: Run, dose_key: str, words: str) -> None:
    run = copy.copy(chlorine)
    run.summary = copy.deepcopy(chlorine.summary)
    exposure = run.summary["exposure"]
    for key in ("max_dose_ppm_min", "max_thermal_dose_tdu", "max_overpressure_psi"):
        exposure.pop(key, None)
    exposure[dose_key] = 1.0  # the summary of a fire has the thermal dose, of a blast the pressure
    texts = [i.text for i in headline_items(headline(run), translator("en"), run_clock(run))]
    (line,) = [t for t in texts if "FED" in t or "overpressure" in t]
    assert words in line
