"""The core's warning sentences in words: every one the tests' small areas raise is known, and
its parts are translated once (who, why, where, the optional tails).

The bundled scenarios' warnings are checked where they run (``tests/cli/test_cli.py``); the
Chinese run that breaks in every way is in ``test_i18n.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from evacsim.display.i18n import translator
from evacsim.display.warnings import known_warning, warning_text
from evacsim.pipeline import run
from tests.sim.test_reachability import _pieces_area, _scenario

ZH, EN = translator("zh"), translator("en")


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("", ("road piece", "'AP-1' is unreachable (no road by car", "cut off from every shelter",
              "no usable shelter can be reached from it")),
        ('bus_depot = "AP-3"\n', ("transport.bus_depot 'AP-3'",)),
    ],
    ids=["pieces", "isolated_depot"],
)  # fmt: skip
def test_the_warnings_of_the_small_areas_are_known(
    tmp_path: Path, extra: str, expected: tuple[str, ...]
) -> None:
    """Road pieces apart from the main one, a grid cut off from its planned point, a point cut
    off from every shelter, buses whose depot reaches nobody (tests/sim/test_reachability)."""
    warnings = run(_scenario(tmp_path, _pieces_area(tmp_path), extra)).summary["warnings"]
    for text in expected:
        assert any(text in w for w in warnings), (text, warnings)
    assert [w for w in warnings if known_warning(w, ZH) is None] == []
    assert [w for w in warnings if known_warning(w, EN) is None] == []


#: Sentences as the core writes them, and as the Chinese pages say them (written by hand).
SENTENCES = [
    ("grid 'G-012' (car, walk): planned assembly point 'AP-4' is unreachable (from the homes of "
     "71 of 476 persons: the hazard's zones close every road to it by t = 600 s); sent to 'AP-5'",
     "网格 G-012（驾车，步行）：无道路可达预案集中疏散点 AP-4（476 人中有 71 人的住处：到 t = 600 "
     "秒时危险区封闭了通往该点的所有道路）；改往 AP-5"),
    ("grid 'G-2': planned assembly point 'AP-1' is unreachable",
     "网格 G-2：无道路可达预案集中疏散点 AP-1"),
    ("grid 'G-024' (walk): its homes reach no common usable assembly point; each household goes "
     "to its own nearest: 198 persons to 'AP-3', 1760 persons to 'AP-4'",
     "网格 G-024（步行）：各住户没有共同可达的可用集中疏散点；每户前往各自最近的集中疏散点：198 "
     "人前往 AP-3，1,760 人前往 AP-4"),
    ("driving and walking networks: road piece 2 is apart from the main one (14 nodes, 1,234 m "
     "of road) and holds facilities AP-2, S-3; homes of grids G-2 (about 80 persons): they can "
     "reach only what lies on the same piece",
     "车行和步行路网：第 2 块路网与主路网不相连（14 个节点，道路 1,234 米），其中有设施 AP-2, S-3；"
     "网格 G-2 的住户（约 80 人）：只能到达同一块路网上的地点"),
    ("layer 'shelters', feature 'S-1': is 420 m from the nearest walking road",
     "安置点 S-1：距最近的步行道路 420 米"),
    ("staff_assembly AP-3: no team with 4 free members, a vehicle and a route; not staffed",
     "集中疏散点值守 AP-3：没有队伍同时具备 4 名空闲队员、车辆和可通行路线：无人值守"),
    ("cordon node 17: the team never arrived", "警戒 路网节点 17：队伍始终未到达"),
    ("12 persons who need assistance walk to their assembly point alone (no team has a "
     "vehicle): nobody helps them", None),
    ("grid 'G-1' (walk): assembly point 'AP-1' could not be reached when its households left "
     "(no open road then); 35 persons sent to 'AP-3'",
     "网格 G-1（步行）：住户出发时无道路可达集中疏散点 AP-1；35 人改往 AP-3"),
    ("hazard 'vce' at the point given by 'at': entirely outside the area, nobody to evacuate",
     None),
    ("maps/x: layer 'roads' found in 2 files; using roads.geojson", None),
]  # fmt: skip


@pytest.mark.parametrize(("text", "zh"), SENTENCES)
def test_a_sentence_and_its_parts_in_chinese(text: str, zh: str | None) -> None:
    said = known_warning(text, ZH)
    assert said is not None, text
    if zh is not None:
        assert said == zh


def test_an_unknown_sentence_is_shown_as_written() -> None:
    text = "grid 'G-1': something nobody listed"
    assert known_warning(text, ZH) is None and warning_text(text, ZH) == text
    assert warning_text("team TM-1: more posts than members", EN) == (
        "team TM-1: more posts than members"
    )
