"""Run folders: GeoPackage layers, CSV, GPX, manifest, reproducibility, atomicity, conversion."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import geopandas as gpd
import gpxpy
import numpy as np
import pyogrio
import pytest
from pyproj import Transformer

from evacsim import save
from evacsim.errors import EvacsimError
from evacsim.export import run_folder as run_folder_module
from evacsim.export.forked import can_fork
from evacsim.export.layers import GPKG_LAYERS
from evacsim.export.run_folder import MapWorker, convert_run_folder, write_run
from evacsim.manifest import require_run_folder
from evacsim.pipeline import Run, run
from tests.support.tiny_area import tiny_scenario, write_tiny_area


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("export")
    area = write_tiny_area(root / "tiny")
    path = root / "s.toml"
    path.write_text(tiny_scenario(name="tiny export", area=area.name), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tiny(scenario: Path) -> Run:
    return run(scenario)


@pytest.fixture(scope="module")
def folder(tiny: Run, scenario: Path) -> Path:
    return save(tiny, scenario.parent / "runs" / "a")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_gpkg_has_every_layer_in_wgs84(folder: Path) -> None:
    gpkg = folder / "results.gpkg"
    present = {str(name) for name, _ in pyogrio.list_layers(gpkg)}
    assert present == set(GPKG_LAYERS)
    for layer, kind in GPKG_LAYERS.items():
        info = pyogrio.read_info(gpkg, layer=layer)
        assert info["geometry_type"] == kind, layer
        assert info["crs"] == ("EPSG:4326" if kind else None), layer
    for layer in ("threat_zones", "routes", "links", "grids", "facilities", "team_routes",
                  "bus_routes", "waypoints", "run"):  # fmt: skip
        assert pyogrio.read_info(gpkg, layer=layer)["features"] > 0, layer


def test_routes_end_at_their_assembly_point(folder: Path, tiny: Run) -> None:
    routes = gpd.read_file(folder / "results.gpkg", layer="routes")
    stage1 = routes[routes["stage"] == "assembly"]
    assert len(stage1) > 0
    net, snap = tiny.prepared.network, tiny.prepared.snapped.assembly_points
    to_wgs = Transformer.from_crs(net.crs, 4326, always_xy=True)
    for row in stage1.itertuples():
        ap = list(snap.ids).index(row.assembly_point)
        node = snap.car_node[ap] if row.mode == "car" else snap.walk_node[ap]
        lon, lat = to_wgs.transform(net.node_x_m[node], net.node_y_m[node])
        end = row.geometry.coords[-1]
        assert abs(end[0] - lon) < 2e-5 and abs(end[1] - lat) < 2e-5, row
        assert 0 < row.persons_on_path <= row.persons
    # every person who reached an assembly point along a recorded path is in some route row
    g = tiny.results.groups
    moved = set(tiny.results.paths["group_id"])
    arrived = g[g["t_assembly_s"].notna() & g["group_id"].isin(moved)]
    assert stage1["persons"].sum() == arrived["persons"].sum()


def test_grid_and_facility_layers_carry_the_results(folder: Path, tiny: Run) -> None:
    grids = gpd.read_file(folder / "results.gpkg", layer="grids").set_index("grid_id")
    per_grid = tiny.results.extra["per_grid"].set_index("grid_id")
    for gid, n in per_grid["persons_evacuating"].items():
        assert grids.loc[gid, "persons_evacuating"] == n
    fac = gpd.read_file(folder / "results.gpkg", layer="facilities").set_index("id")
    for fid, entry in tiny.summary["facilities"].items():
        assert fac.loc[fid, "peak"] == entry["peak"]
        assert fac.loc[fid, "capacity_persons"] == entry["capacity"]


def _area_bounds(tiny: Run) -> np.ndarray:
    return tiny.prepared.area.roads.to_crs(4326).total_bounds


def test_gpx_parses_and_lies_inside_the_area(folder: Path, tiny: Run) -> None:
    files = sorted((folder / "gpx").glob("*.gpx"))
    used = set(tiny.results.groups["assembly_point"]) - {""}
    teams = {f"team_{t}" for t in tiny.results.extra["team_info"]["team"]}
    assert {f.stem for f in files} == used | teams | {"buses"}
    west, south, east, north = _area_bounds(tiny)
    for path in files:
        gpx = gpxpy.parse(path.read_text(encoding="utf-8"))
        assert gpx.tracks, path
        if path.stem in used:
            assert any(w.name.startswith(f"{path.stem} ") for w in gpx.waypoints)
        for track in gpx.tracks:
            points = track.segments[0].points
            assert track.name and len(points) >= 2
            for p in points:
                assert west - 1e-4 <= p.longitude <= east + 1e-4
                assert south - 1e-4 <= p.latitude <= north + 1e-4


def test_manifest_hashes_are_the_files_hashes(folder: Path, scenario: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["scenario"]["sha256"] == _sha(scenario)
    assert manifest["seed"] == 5
    assert manifest["evacsim"]
    for name in ("numpy", "scipy", "pandas", "geopandas", "shapely", "pyproj", "simpy"):
        assert manifest["dependencies"][name], name
    inputs = {Path(i["path"]).name: i["sha256"] for i in manifest["inputs"]}
    assert "roads.geojson" in inputs and "grids.geojson" in inputs
    area = scenario.parent / "tiny"
    for name, digest in inputs.items():
        assert digest == _sha(area / name), name
    for rel, digest in manifest["outputs"].items():
        assert digest == _sha(folder / rel), rel
    assert {"summary.json", "report.html", "results.gpkg", "map.html"} <= set(manifest["outputs"])


def test_same_seed_gives_byte_identical_files(tiny: Run, folder: Path, scenario: Path) -> None:
    again = save(run(scenario), scenario.parent / "runs" / "b")
    names = ["summary.json", "report.html"]
    names += [p.relative_to(folder).as_posix() for p in sorted((folder / "csv").glob("*.csv"))]
    names += [p.relative_to(folder).as_posix() for p in sorted((folder / "gpx").glob("*.gpx"))]
    assert len(names) > 10
    for name in names:
        assert (folder / name).read_bytes() == (again / name).read_bytes(), name


def test_a_failing_write_leaves_no_folder(
    tiny: Run, scenario: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import evacsim.export.files

    def broken(*args: object, **kwargs: object) -> list[Path]:
        raise OSError("disk full")

    monkeypatch.setattr(evacsim.export.files, "write_gpx", broken)
    parent = scenario.parent / "failing"
    with pytest.raises(OSError, match="disk full"):
        save(tiny, parent / "run")
    assert not parent.exists()  # no run, no hidden partial folder, not even the parent it made


@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "csv", "gpx"])
def test_convert_run_folder(folder: Path, tmp_path: Path, fmt: str, tiny: Run) -> None:
    written = convert_run_folder(folder, fmt, tmp_path / fmt)
    assert written and all(p.is_file() for p in written)
    if fmt == "gpkg":
        assert written[0].read_bytes() == (folder / "results.gpkg").read_bytes()
    elif fmt == "geojson":
        assert {p.stem for p in written} == {k for k, kind in GPKG_LAYERS.items() if kind}
        routes = json.loads((tmp_path / fmt / "routes.geojson").read_text(encoding="utf-8"))
        west, south, east, north = _area_bounds(tiny)
        lon, lat = routes["features"][0]["geometry"]["coordinates"][0]
        assert west - 1e-4 <= lon <= east + 1e-4 and south - 1e-4 <= lat <= north + 1e-4
    elif fmt == "csv":
        assert (tmp_path / fmt / "links.csv").read_text(encoding="utf-8").startswith("edge,")
    else:  # the same files as the run wrote, from the GeoPackage alone
        assert {p.name for p in written} == {p.name for p in (folder / "gpx").glob("*.gpx")}
        for path in written:
            assert path.read_bytes() == (folder / "gpx" / path.name).read_bytes(), path.name


def test_convert_rejects_bad_input(folder: Path, tmp_path: Path) -> None:
    with pytest.raises(EvacsimError, match="--format 'kml'"):
        convert_run_folder(folder, "kml", tmp_path)
    with pytest.raises(EvacsimError, match=r"not a run folder: manifest\.json is missing"):
        convert_run_folder(tmp_path, "csv", tmp_path / "out")


def test_folders_carry_their_format_version(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert (manifest["format"], manifest["format_version"]) == ("evacsim-run", 2)
    assert summary["format_version"] == 2
    assert require_run_folder(folder)["format_version"] == 2


def test_saving_again_keeps_what_the_user_added(tiny: Run, folder: Path, tmp_path: Path) -> None:
    """The issue's data loss: a re-run wiped the export and the user's notes."""
    again = shutil.copytree(folder, tmp_path / "run")
    exported = convert_run_folder(again, "csv", again / "export-csv")
    (again / "notes.md").write_text("what we saw in the drill", encoding="utf-8")
    save(tiny, again)
    assert (again / "notes.md").read_text(encoding="utf-8") == "what we saw in the drill"
    assert all(p.is_file() for p in exported)
    manifest = require_run_folder(again)
    assert "notes.md" not in manifest["outputs"]  # still not evacsim's: a third run keeps it too
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())


# ------------------------------------------------------- a map worker forked before the simulation


def _pages(folder: Path) -> dict[str, str]:
    """Each map page of a run folder with folium's random element ids made equal."""
    return {
        p.name: re.sub(r"[0-9a-f]{32}", "ID", p.read_text(encoding="utf-8"))
        for p in sorted(folder.glob("*.html"))
        if p.name != "report.html"
    }


@pytest.mark.skipif(not can_fork(), reason="no fork here")
@pytest.mark.parametrize("send_max_rows", [500_000, 0], ids=["sent", "too large to send"])
def test_map_worker_started_before_the_run_draws_the_same_maps(
    scenario: Path, folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    send_max_rows: int,
) -> None:  # fmt: skip
    """Warmed up while the run simulates and sent its results, the worker writes the pages a
    worker forked after the run writes; a run too large to send stops it and forks one after."""
    monkeypatch.setattr(run_folder_module, "_SEND_MAX_PATH_ROWS", send_max_rows)
    with MapWorker() as maps:
        result = run(scenario, on_prepared=maps.start)
        assert maps.job is not None and maps.job.started
        waiting = maps.job
        out = write_run(result, tmp_path / "run", maps=maps)
    assert maps.job is None and not waiting.running()
    pages = _pages(out)
    assert "map.html" in pages and pages == _pages(folder)


@pytest.mark.skipif(not can_fork(), reason="no fork here")
def test_map_worker_left_waiting_is_stopped(scenario: Path) -> None:
    """A run that fails after the worker was forked leaves no child behind."""
    with pytest.raises(ZeroDivisionError), MapWorker() as maps:
        run(scenario, on_prepared=maps.start)
        waiting = maps.job
        assert waiting is not None and waiting.started
        raise ZeroDivisionError
    assert not waiting.running()
