"""How a run ends: ``done`` when nobody is left moving or waiting for a vehicle that can still
come, ``horizon`` when time runs out first (any horizon), ``gridlock`` when nothing moves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evacsim.maps.animation import evacuee_animation
from evacsim.pipeline import Run, run
from tests.support.small_area import Facility, Grid, Road, SmallArea, lonlat
from tests.support.tiny_area import tiny_scenario


def _late_tiny(tiny_area_dir: Path, end_s: float) -> Run:
    """The tiny fire by day, households leaving between 3000 and 4200 s, horizon ``end_s``."""
    path = tiny_area_dir.parent / f"h{end_s:g}.toml"
    extra = (
        '[departure]\nwarning = { dist = "fixed", value_s = 3000 }\n'
        'preparation = { dist = "uniform", low_s = 0, high_s = 1200 }\n'
        f"[simulation]\nend_s = {end_s}\n"
    )
    text = tiny_scenario(area=tiny_area_dir.name, period="day", extra=extra)
    path.write_text(text, encoding="utf-8")
    return run(path)


@pytest.mark.parametrize("end_s", [3600.0, 3601.0])
def test_any_horizon_ends_the_run_there_with_everyone_accounted_for(
    tiny_area_dir: Path, end_s: float
) -> None:
    """3,600 s is a multiple of the supplies' 300 s sampling step (its last sample is not
    taken twice); 3,601 s leaves people on a road (the animation draws them to the end)."""
    result = _late_tiny(tiny_area_dir, end_s)
    summary, res = result.summary, result.results
    assert summary["ended_by"] == "horizon" and summary["end_s"] == end_s
    assert sum(summary["persons"].values()) == summary["persons_total"] > 0
    assert summary["persons"]["en_route"] > 0 and summary["persons"]["not_evacuated"] > 0
    assert summary["endings"]["not_evacuated"]["not_departed"] > 0
    assert set(summary["endings"]["en_route"]) == {"on_the_way"}
    unmet = res.extra["supply_unmet"]
    assert not unmet.duplicated(["shelter", "t_s", "item"]).any()
    assert unmet["t_s"].max() == end_s
    still_on_a_road = res.paths["t_exit_s"].isna()
    assert still_on_a_road.any()
    anim = evacuee_animation(result)
    assert anim.n_frames >= 1 and anim.agents
    assert all(np.isfinite(a).all() for a in anim.agents)


def test_a_horizon_before_anyone_leaves(tiny_area_dir: Path) -> None:
    result = _late_tiny(tiny_area_dir, 1000.0)
    summary = result.summary
    assert summary["ended_by"] == "horizon" and summary["end_s"] == 1000.0
    assert summary["persons"]["not_evacuated"] == summary["persons_total"] > 0
    assert summary["endings"] == {"not_evacuated": {"not_departed": summary["persons_total"]}}
    assert summary["ete_s"]["assembly"]["p50"] is None
    assert evacuee_animation(result).agents == []


def test_a_run_where_nobody_can_move_ends_at_once(tiny_area_dir: Path) -> None:
    """Every road closed: nobody can reach an assembly point; the run ends at t = 0, done."""
    roads = [f"R-{k:04d}" for k in range(1, 15)]
    path = tiny_area_dir.parent / "closed.toml"
    extra = f"[simulation]\nclosed_roads = {roads}\n".replace("'", '"')
    path.write_text(tiny_scenario(area=tiny_area_dir.name, extra=extra), encoding="utf-8")
    summary = run(path).summary
    assert summary["ended_by"] == "done" and summary["end_s"] == 0.0
    assert summary["persons"]["stranded"] == summary["persons_total"] > 0
    assert summary["endings"] == {"stranded": {"no_assembly_point": summary["persons_total"]}}


# A one-way ring of three links of 7.8 m (storage: one car each) with a long exit road at each
# corner. The car of each corner's grid must go round two links to the exit ahead: once the
# three cars are on the ring, each head waits for the next link, which the next car holds.
RING = [(0.0, 0.0), (0.04, 0.0), (0.02, 0.034)]
EXITS = [(-2.0, -1.0), (2.0, -1.0), (0.02, 2.0)]


def test_gridlock_ends_the_run_when_nothing_moves(tmp_path: Path) -> None:
    roads = [Road(RING[k], RING[(k + 1) % 3], oneway=True) for k in range(3)]
    roads += [Road(RING[k], EXITS[k]) for k in range(3)]
    grids = [
        Grid(f"G-{k}", (x - 0.003, y - 0.003), (x + 0.003, y + 0.003), f"AP-{(k + 2) % 3}",
             population=2, car_share=1.0)
        for k, (x, y) in enumerate(RING)
    ]  # fmt: skip
    SmallArea(
        roads=roads,
        grids=grids,
        assembly_points=[Facility(f"AP-{k}", EXITS[k]) for k in range(3)],
        shelters=[Facility("S-1", EXITS[0])],
    ).write(tmp_path / "area")
    lon, lat = lonlat((0.02, 0.011))
    path = tmp_path / "ring.toml"
    path.write_text(
        f'name = "ring"\nseed = 1\narea = "area"\n[hazard]\nmodel = "radius"\n'
        f"at = [{lon}, {lat}]\nradii_m = {{ red = 1, orange = 2, yellow = 100 }}\n"
        'evacuate = "yellow"\n[departure]\nwarning = { dist = "fixed", value_s = 0 }\n'
        'preparation = { dist = "fixed", value_s = 0 }\n[transport]\nbuses = 0\n'
        "[simulation]\ngridlock_timeout_s = 60\n",
        encoding="utf-8",
    )
    result = run(path)
    summary = result.summary
    assert summary["ended_by"] == "gridlock"
    assert 60.0 <= summary["end_s"] <= 120.0
    assert summary["persons"]["stranded"] == summary["persons_total"] == 6
    assert summary["endings"] == {"stranded": {"gridlock": 6}}
