"""Above MAX_MAP_GRIDS grids the maps merge them: one outline per community, one route per
assembly point and leg, their figures added up (so a page does not grow with the grids)."""

from __future__ import annotations

import importlib
from typing import Any

import folium
import pytest

from evacsim.maps.run_map import run_layers
from evacsim.pipeline import Run
from tests.support.runs import make_tiny_run

# the modules (the subpackage exports a function of the same name)
layers = importlib.import_module("evacsim.maps.layers")
run_map = importlib.import_module("evacsim.maps.run_map")


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return make_tiny_run(tmp_path_factory.mktemp("many_grids"))


def _features(m: folium.Map, name: str) -> list[dict[str, Any]]:
    for child in m._children.values():
        if getattr(child, "layer_name", None) == name:
            return list(child.data["features"])
    raise AssertionError(f"no layer {name!r}")


def test_grids_merge_per_community_with_their_totals(
    tiny_run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    grids = tiny_run.prepared.area.grids
    monkeypatch.setattr(layers, "MAX_MAP_GRIDS", len(grids) - 1)
    m = run_map.run_map(tiny_run)
    feats = _features(m, "Grids")
    assert len(feats) == grids["community"].nunique()
    popup = feats[0]["properties"]["popup_html"]
    night = int(grids["population_night"].sum())  # the layer's own total, summed here
    assert f"<td>{night:,}</td>" in popup or f"<td>{night}</td>" in popup


def test_routes_merge_per_assembly_point_and_leg(
    tiny_run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    routes = run_layers(tiny_run).routes
    monkeypatch.setattr(run_map, "MAX_MAP_GRIDS", routes["grid_id"].nunique() - 1)
    merged = run_map._routes_per_assembly_point(routes)
    assert len(merged) == len(routes.groupby(["leg", "assembly_point"]))
    assert merged["persons"].sum() == routes["persons"].sum()
    for row in merged.itertuples(index=False):
        part = routes[(routes["leg"] == row.leg) & (routes["assembly_point"] == row.assembly_point)]
        assert int(row.grid_id) == part["grid_id"].nunique()
        # the merged line covers every road its grids' routes use
        assert row.geometry.buffer(0.01).covers(part.geometry.union_all())
