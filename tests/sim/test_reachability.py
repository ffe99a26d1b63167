"""Where the plan breaks, on small networks drawn for the test: disconnected road pieces, an
isolated bus depot, an assembly point that reaches no shelter, roads the hazard closes between
the plan and the departures, full assembly points and shelters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evacsim.pipeline import Run, run
from evacsim.scenario.prepare import prepare
from tests.support.rules import entries_into_worse_zones
from tests.support.small_area import Facility, Grid, Road, SmallArea, lonlat

# Three road pieces: A (the main one: AP-1, S-1), B (AP-2, nothing else) and C (AP-3 alone).
# The hazard sits between A and B at (0.5, 1): both grids touch its yellow ring (300 m); every
# facility lies outside it; the red disc (50 m) touches no road.
PIECE_A = [Road((0, 0), (1, 0)), Road((1, 0), (2, 0)), Road((2, 0), (3, 0))]
PIECE_B = [Road((0, 2), (1, 2)), Road((1, 2), (2, 2))]
PIECE_C = [Road((0, -2), (1, -2))]
HAZARD = (0.5, 1.0)


def _pieces_area(folder: Path, *, footway: bool = False) -> SmallArea:
    roads = PIECE_A + PIECE_B + PIECE_C
    if footway:  # walkers may cross from B to A, cars may not
        roads = [*roads, Road((0, 0), (0, 2), "footway")]
    return SmallArea(
        roads=roads,
        grids=[
            Grid("G-1", (-0.2, -0.2), (1.2, 0.6), "AP-1", population=100, car_share=0.4),
            Grid("G-2", (-0.2, 1.4), (1.2, 2.2), "AP-1", population=80, car_share=0.4),
        ],
        assembly_points=[
            Facility("AP-1", (2, 0)),
            Facility("AP-2", (2, 2)),
            Facility("AP-3", (1, -2)),
        ],
        shelters=[Facility("S-1", (3, 0))],
    )


def _scenario(
    folder: Path, area: SmallArea, extra: str = "", name: str = "s.toml", buses: int = 2
) -> Path:
    area.write(folder / "area")
    lon, lat = lonlat(HAZARD)
    path = folder / name
    path.write_text(
        f'name = "pieces"\nseed = 4\narea = "area"\n'
        f'[hazard]\nmodel = "radius"\nat = [{lon}, {lat}]\n'
        'radii_m = { red = 50, orange = 100, yellow = 300 }\nevacuate = "yellow"\n'
        '[departure]\nwarning = { dist = "fixed", value_s = 0 }\n'
        'preparation = { dist = "uniform", low_s = 0, high_s = 600 }\n'
        f"[transport]\nbuses = {buses}\nbus_capacity_persons = 20\n{extra}",
        encoding="utf-8",
    )
    return path


def _persons(result: Run, **where: str) -> int:
    g = result.results.groups
    mask = np.ones(len(g), dtype=bool)
    for column, value in where.items():
        mask &= (g[column] == value).to_numpy()
    return int(g.loc[mask, "persons"].sum())


def test_disconnected_pieces_are_reported_with_their_size_and_facilities(tmp_path: Path) -> None:
    prepared = prepare(_scenario(tmp_path, _pieces_area(tmp_path)))
    lines = [w for w in prepared.warnings if "road piece" in w]
    assert any("AP-2" in w and "G-2" in w for w in lines), lines
    assert any("AP-3" in w for w in lines), lines
    assert all("AP-1" not in w and "S-1" not in w for w in lines), "the main piece is fine"
    assert all(" m of road" in w for w in lines)


def test_grid_cut_off_from_its_planned_point_goes_to_one_it_can_reach(tmp_path: Path) -> None:
    """G-2 lives on piece B; its planned AP-1 is on piece A: it goes to AP-2 with a warning that
    names grid, point and reason. AP-2 reaches no shelter: no bus goes there, its people stay
    at the point (cut off), and the run ends once everyone is settled."""
    result = run(_scenario(tmp_path, _pieces_area(tmp_path)))
    summary, g = result.summary, result.results.groups
    warnings = "\n".join(summary["warnings"])
    assert "grid 'G-2'" in warnings and "'AP-1' is unreachable" in warnings
    assert "no road by car connects them" in warnings and "sent to 'AP-2'" in warnings
    assert set(g.loc[g["grid_id"] == "G-2", "assembly_point"]) == {"AP-2"}
    kept = g[(g["grid_id"] == "G-2") & (g["state"] == "at_assembly")]
    assert kept["persons"].sum() == g.loc[g["grid_id"] == "G-2", "persons"].sum() > 0
    assert set(kept["end_reason"]) == {"cut_off"}
    assert not (result.results.vehicles["from"] == "AP-2").any()
    assert summary["facilities"]["AP-2"]["cut_off_s"] is not None
    assert "assembly point 'AP-2': cut off" in warnings
    assert summary["endings"]["at_assembly"] == {"cut_off": int(kept["persons"].sum())}
    assert _persons(result, grid_id="G-1", state="sheltered") == 100
    assert summary["ended_by"] == "done"
    assert sum(summary["persons"].values()) == summary["persons_total"] == 180


def test_isolated_depot_starts_no_bus(tmp_path: Path) -> None:
    """The buses' depot AP-3 is on piece C: no bus starts, a warning says why, walkers wait at
    AP-1 (no bus can come), car households drive on, and the run still ends."""
    path = _scenario(
        tmp_path, _pieces_area(tmp_path), extra='bus_depot = "AP-3"\n', name="depot.toml"
    )
    result = run(path)
    summary = result.summary
    assert result.results.vehicles.empty
    assert any("bus_depot 'AP-3'" in w and "never start" in w for w in summary["warnings"])
    g = result.results.groups
    walkers = g[(g["grid_id"] == "G-1") & (g["mode"] != "car")]
    assert set(walkers["state"]) == {"at_assembly"}
    assert set(walkers["end_reason"]) == {"no_bus"}
    assert _persons(result, grid_id="G-1", mode="car", state="sheltered") > 0
    assert summary["ended_by"] == "done"


def test_each_mode_uses_its_own_roads(tmp_path: Path) -> None:
    """A footway joins B to A: G-2's walkers reach their planned AP-1 on foot, its cars cannot
    and go to AP-2 (on their own road piece)."""
    result = run(_scenario(tmp_path, _pieces_area(tmp_path, footway=True)))
    g = result.results.groups
    g2 = g[g["grid_id"] == "G-2"]
    assert set(g2.loc[g2["mode"] == "walk", "assembly_point"]) == {"AP-1"}
    assert set(g2.loc[g2["mode"] == "car", "assembly_point"]) == {"AP-2"}
    assert any("grid 'G-2' (car)" in w for w in result.summary["warnings"])
    pieces = result.prepared.pieces
    assert pieces is not None
    apart = pieces.table.set_index("network")
    assert apart.loc["driving", "grids"] == "G-2" and "AP-2" in apart.loc["driving", "facilities"]
    assert "walking" not in apart.index or "G-2" not in str(apart.loc["walking", "grids"])
    paths = result.results.paths.merge(g[["group_id", "mode"]], on="group_id", suffixes=("", "_g"))
    walked = paths[paths["mode_g"] != "car"]
    assert (walked["mode"] != "car").all()


# A long road cut by a small red disc from t = 600 s: before, G-1 reaches its planned AP-1 beyond
# it; after, only AP-3 on the other side.
LONG = [Road((-2, 0), (-1, 0)), Road((-1, 0), (0, 0)), Road((0, 0), (1, 0)), Road((1, 0), (4, 0)),
        Road((4, 0), (5, 0))]  # fmt: skip


def test_households_leaving_after_the_road_closes_go_where_they_still_can(tmp_path: Path) -> None:
    area = SmallArea(
        roads=LONG,
        grids=[Grid("G-1", (-0.2, -0.2), (1.2, 0.4), "AP-1", population=150, car_share=0.4)],
        assembly_points=[Facility("AP-1", (4, 0)), Facility("AP-3", (-1, 0))],
        shelters=[Facility("S-1", (5, 0)), Facility("S-2", (-2, 0))],
    )
    area.write(tmp_path / "area")
    lon, lat = lonlat((1.5, 0.0))
    path = tmp_path / "late.toml"
    path.write_text(
        f'name = "late"\nseed = 2\narea = "area"\n[hazard]\nmodel = "radius"\n'
        f"at = [{lon}, {lat}]\nradii_m = {{ red = 30, orange = 60, yellow = 250 }}\n"
        'evacuate = "yellow"\nstart_s = 600\n'
        '[departure]\nwarning = { dist = "fixed", value_s = 0 }\n'
        'preparation = { dist = "uniform", low_s = 0, high_s = 1000 }\n',
        encoding="utf-8",
    )
    result = run(path)
    g = result.results.groups
    late = g[g["departure_s"] >= 600.0]
    early = g[g["departure_s"] < 600.0]
    assert len(late) > 0 and len(early) > 0
    assert set(late["assembly_point"]) == {"AP-3"}
    assert late["t_assembly_s"].notna().all()
    assert "AP-1" in set(early["assembly_point"])
    assert any(
        "'AP-1' could not be reached when its households left" in w and "sent to 'AP-3'" in w
        for w in result.summary["warnings"]
    )
    assert sum(result.summary["persons"].values()) == result.summary["persons_total"]


def _pieces_one_point(folder: Path, ap_capacity: int, buses: int) -> Run:
    """Piece A alone, two assembly points (AP-1 small) and one shelter."""
    area = SmallArea(
        roads=[*PIECE_A, Road((3, 0), (4, 0))],
        grids=[Grid("G-1", (-0.2, -0.2), (1.2, 0.6), "AP-1", population=120, car_share=0.0)],
        assembly_points=[Facility("AP-1", (2, 0), ap_capacity), Facility("AP-2", (4, 0), 30)],
        shelters=[Facility("S-1", (3, 0))],
    )
    return run(_scenario(folder, area, buses=buses))


def test_a_full_assembly_point_sends_arrivals_on_to_one_with_room(tmp_path: Path) -> None:
    """AP-1 holds 40 and no bus comes: later arrivals go on to AP-2 (30 places); when that is
    full too, the rest wait at the point they reached, over capacity, and it is said."""
    result = _pieces_one_point(tmp_path, 40, buses=0)
    fac = result.results.facilities.set_index("id")
    assert fac.loc["AP-1", "refused"] > 0 and fac.loc["AP-1", "redirected"] > 0
    assert _persons(result, assembly_point="AP-2") >= 30
    # 120 persons, 70 places: at least 50 let in over capacity (whole households), all at the
    # last point with nowhere else to go; AP-1 itself never holds more than its 40
    occ = result.results.occupancy
    assert (occ.loc[occ["facility_id"] == "AP-1", "persons"] <= 40).all()
    assert fac.loc["AP-1", "over_capacity"] == 0 and fac.loc["AP-2", "over_capacity"] >= 50
    assert fac.loc[["AP-1", "AP-2"], "final"].sum() == 120
    assert (fac["peak"] <= fac["capacity_persons"] + fac["over_capacity"]).all()
    assert (result.results.events["kind"] == "overflow").any()
    assert set(result.results.groups["state"]) == {"at_assembly"}
    assert result.summary["facilities"]["AP-2"]["over_capacity"] >= 50


def test_bus_legs_carry_the_persons_on_board(tmp_path: Path) -> None:
    """Two shelters of 10 places and a 40-seat bus: a load is split, one leg per shelter, each
    with the persons actually aboard; nobody is refused at a shelter door."""
    area = SmallArea(
        roads=[*PIECE_A, Road((3, 0), (3, 1))],
        grids=[Grid("G-1", (-0.2, -0.2), (1.2, 0.6), "AP-1", population=60, car_share=0.0)],
        assembly_points=[Facility("AP-1", (2, 0))],
        shelters=[Facility("S-1", (3, 0), 10), Facility("S-2", (3, 1), 10)],
    )
    result = run(_scenario(tmp_path, area))
    trips = result.results.vehicles
    fac = result.results.facilities.set_index("id")
    assert (fac.loc[["S-1", "S-2"], "refused"] == 0).all()
    g = result.results.groups
    riders = int(g["persons_sheltered"].sum())
    free = 10 - fac.loc[["S-1", "S-2"], "final"]
    assert riders == 20 - int(free.sum()) and riders >= 18
    waiting = g.loc[g["state"] == "at_assembly", "persons"]
    assert (waiting > free.max()).all(), "whoever still waits fits in no shelter"
    assert set(g.loc[g["state"] == "at_assembly", "end_reason"]) == {"shelters_full"}
    from_ap = trips[trips["from"] == "AP-1"]
    assert int(from_ap["persons"].sum()) == riders  # each rider counted once, on its first leg
    onward = trips[trips["from"] != "AP-1"]
    assert len(onward) > 0, "a load was split over the two shelters"
    for row in onward.to_dict(orient="records"):
        before = trips[(trips["bus"] == row["bus"]) & (trips["t_arrive_s"] == row["t_depart_s"])]
        assert len(before) == 1 and before["to"].iloc[0] == row["from"]
        assert row["persons"] < int(before["persons"].iloc[0])
    assert result.summary["bus_trips"] == len(trips)


@pytest.mark.parametrize("closure", ["red", "orange"])
def test_closure_level_changes_which_links_close(tmp_path: Path, closure: str) -> None:
    """The straight road from G-1's homes to AP-1 passes through the orange ring (not the red
    disc); a detour goes round it. With closure_level "red" people take the straight road, with
    "orange" they never enter the ring from outside and take the detour."""
    area = SmallArea(
        roads=[Road((0, 0), (1, 0)), Road((1, 0), (2, 0)), Road((0, 0), (0, -1)),
               Road((0, -1), (2, -1)), Road((2, -1), (2, 0)), Road((2, 0), (3, 0))],
        grids=[Grid("G-1", (-0.2, -0.2), (0.5, 0.3), "AP-1", population=60, car_share=0.5)],
        assembly_points=[Facility("AP-1", (2, 0))],
        shelters=[Facility("S-1", (3, 0))],
    )  # fmt: skip
    area.write(tmp_path / "area")
    lon, lat = lonlat((1.0, 0.5))
    path = tmp_path / f"{closure}.toml"
    path.write_text(
        f'name = "ring"\nseed = 3\narea = "area"\n[hazard]\nmodel = "radius"\n'
        f"at = [{lon}, {lat}]\nradii_m = {{ red = 30, orange = 120, yellow = 150 }}\n"
        f'evacuate = "yellow"\nclosure_level = "{closure}"\n',
        encoding="utf-8",
    )
    result = run(path)
    net = result.prepared.network
    straight = set(np.flatnonzero(np.isin(net.edge_road_id, ["R-0001"])).tolist())
    used = set(result.results.paths["edge"].tolist())
    assert bool(used & straight) == (closure == "red")
    assert entries_into_worse_zones(result)[0] == 0
    into_orange, _ = entries_into_worse_zones(result, closure="orange")
    assert (into_orange > 0) == (closure == "red")
    assert result.summary["persons"]["sheltered"] == result.summary["persons_total"] > 0
