"""Field-ready exports read back as a GPS unit and a GIS would: GPX with gpxpy, GPKG with pyogrio.

Oracles: the run's own records (team paths with their entry times, bus trips), the scenario's
documented default start (02:00 UTC+08:00 for a night scenario, i.e. 18:00 UTC the day before)
and the area's facility ids and names.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import gpxpy
import numpy as np
import pandas as pd
import pyogrio
import pytest

from evacsim import save
from evacsim.pipeline import Run, run
from tests.support.tiny_area import tiny_scenario, write_tiny_area

START_UTC = datetime(2026, 6, 1, 18, 0, tzinfo=UTC)  # 2026-06-02T02:00+08:00


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Path]:
    root = tmp_path_factory.mktemp("field")
    area = write_tiny_area(root / "tiny")
    path = root / "s.toml"
    path.write_text(tiny_scenario(name="field", area=area.name), encoding="utf-8")
    result = run(path)
    return result, save(result, root / "run")


def _gpx(folder: Path, name: str) -> gpxpy.gpx.GPX:
    return gpxpy.parse((folder / "gpx" / f"{name}.gpx").read_text(encoding="utf-8"))


def test_team_tracks_carry_the_time_each_point_was_passed(saved: tuple[Run, Path]) -> None:
    result, folder = saved
    paths = result.results.extra["team_paths"]
    tasks = result.results.extra["teams"]
    gpx = _gpx(folder, "team_TM-1")
    assert len(gpx.tracks) == paths.groupby(["vehicle", "task"]).ngroups > 0
    for track, ((vehicle, task), legs) in zip(
        gpx.tracks, paths.groupby(["vehicle", "task"], sort=True), strict=True
    ):
        points = track.segments[0].points
        times = [p.time for p in points]
        assert all(t is not None and t.utcoffset() == timedelta(0) for t in times)
        assert times == sorted(times)  # passed in order
        first, last = legs["t_enter_s"].min(), legs["t_exit_s"].max()
        assert times[0] == START_UTC + timedelta(seconds=round(float(first), 1))
        assert times[-1] == START_UTC + timedelta(seconds=round(float(last), 1))
        assert str(vehicle) in track.name
        kind = tasks.loc[task, "task"]
        assert track.type == kind


def test_waypoints_are_named_never_node_numbers(saved: tuple[Run, Path]) -> None:
    result, folder = saved
    names = {str(i): str(n) for i, n in zip(result.prepared.area.assembly_points["id"],
                                            result.prepared.area.assembly_points["name"],
                                            strict=True)}  # fmt: skip
    for path in (folder / "gpx").glob("*.gpx"):
        gpx = gpxpy.parse(path.read_text(encoding="utf-8"))
        for w in gpx.waypoints:
            assert "node" not in w.name, (path.name, w.name)
        for track in gpx.tracks:
            assert "node" not in track.name, (path.name, track.name)
    ap_gpx = _gpx(folder, "AP-1")
    assert f"AP-1 {names['AP-1']}" in [w.name for w in ap_gpx.waypoints]


def test_one_position_per_facility_in_every_file(saved: tuple[Run, Path]) -> None:
    _, folder = saved
    gpkg = folder / "results.gpkg"
    facilities = pyogrio.read_dataframe(gpkg, layer="facilities").set_index("id")
    waypoints = pyogrio.read_dataframe(gpkg, layer="waypoints").set_index("id")
    seen: dict[str, set[tuple[float, float]]] = {}
    for fid, geom in facilities.geometry.items():
        seen.setdefault(str(fid), set()).add((round(geom.x, 6), round(geom.y, 6)))
    for fid, geom in waypoints.geometry.items():
        seen.setdefault(str(fid), set()).add((round(geom.x, 6), round(geom.y, 6)))
    for path in (folder / "gpx").glob("*.gpx"):
        for w in gpxpy.parse(path.read_text(encoding="utf-8")).waypoints:
            fid = w.name.split(" ")[0]
            if fid in seen:
                seen[fid].add((round(w.longitude, 6), round(w.latitude, 6)))
    assert {"AP-1", "S-1", "TM-1"} <= set(seen)
    for fid, positions in seen.items():
        assert len(positions) == 1, (fid, positions)


def test_bus_routes_in_gpx_and_gpkg(saved: tuple[Run, Path]) -> None:
    result, folder = saved
    trips = result.results.vehicles
    assert len(trips) > 0
    layer = pyogrio.read_dataframe(folder / "results.gpkg", layer="bus_routes")
    legs = trips.groupby(["from", "to"]).agg(trips=("bus", "size"), persons=("persons", "sum"))
    assert len(layer) == len(legs)
    for row in layer.itertuples():
        assert row.trips == legs.loc[(row.assembly_point, row.shelter), "trips"]
        assert row.persons == legs.loc[(row.assembly_point, row.shelter), "persons"]
    gpx = _gpx(folder, "buses")
    assert len(gpx.tracks) == len(layer)
    first = trips.sort_values("t_depart_s").iloc[0]
    starts = [t.segments[0].points[0].time for t in gpx.tracks]
    assert START_UTC + timedelta(seconds=round(float(first["t_depart_s"]), 1)) in starts


def test_gpkg_times_are_rounded_with_clock_columns(saved: tuple[Run, Path]) -> None:
    _, folder = saved
    gpkg = folder / "results.gpkg"
    checked = 0
    for layer, _kind in pyogrio.list_layers(gpkg):
        frame = pd.DataFrame(pyogrio.read_dataframe(gpkg, layer=layer))
        for col in frame.columns:
            if not str(col).endswith("_s") or not pd.api.types.is_float_dtype(frame[col]):
                continue
            values = frame[col].dropna().to_numpy(float)
            np.testing.assert_allclose(values * 10, np.round(values * 10), atol=1e-6)
            clock = str(col).removesuffix("_s") + "_clock"
            if clock in frame.columns:
                for t, text in zip(frame[col], frame[clock], strict=True):
                    if pd.isna(t):
                        continue
                    when = datetime.fromisoformat(text)
                    assert when.utcoffset() == timedelta(hours=8)
                    assert abs((when - START_UTC).total_seconds() - t) < 1.0, (layer, col)
                    checked += 1
    assert checked > 20
    run_table = pyogrio.read_dataframe(gpkg, layer="run")
    assert datetime.fromisoformat(run_table["start"].iloc[0]) == START_UTC
