"""hazard.worst_case: further fire and blast models united level by level with the main one."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import Point

from evacsim.errors import HazardError
from evacsim.hazard.build import build_threat_zones
from evacsim.hazard.spec import LEVELS, HazardSpec, WeatherSpec

CRS = "EPSG:32648"


@pytest.fixture
def sphere() -> gpd.GeoDataFrame:
    """One 1000 m³ propane sphere."""
    return gpd.GeoDataFrame(
        {"id": ["T-04"], "name": ["sphere"], "category": ["tank"], "enterprise": ["E-1"],
         "hazard_source": ["HS-01"], "substance": ["propane"], "capacity_m3": [1000.0],
         "diameter_m": [12.4], "dike_area_m2": [400.0], "kind": ["pressurized_sphere"],
         "inventory_kg": [None]},
        geometry=[Point(650_000.0, 3_257_000.0)], crs=CRS,
    )  # fmt: skip


def _zones(sphere: gpd.GeoDataFrame, **spec: object) -> object:
    return build_threat_zones(
        HazardSpec.model_validate({"source": "T-04", **spec}), WeatherSpec(),
        hazard_sources=sphere, crs=CRS,
    )  # fmt: skip


def test_the_union_covers_every_model_and_reaches_the_farthest(sphere: gpd.GeoDataFrame) -> None:
    parts = [_zones(sphere, model=m, mass_kg=20_000, yield_factor=0.5) for m in ("bleve", "vce")]
    both = _zones(sphere, model="bleve", mass_kg=20_000, yield_factor=0.5, worst_case=["vce"])
    for level in LEVELS:
        want = max(z.distances_m()[level] for z in parts)  # type: ignore[attr-defined]
        assert both.distances_m()[level] == pytest.approx(want, rel=1e-3)  # type: ignore[attr-defined]
        for z in parts:
            inside = z.final()[level].difference(both.final()[level]).area  # type: ignore[attr-defined]
            assert inside <= 1e-6 * z.final()[level].area  # type: ignore[attr-defined]
    assert both.model == "bleve+vce"  # type: ignore[attr-defined]
    assert "(vce)" in both.levels[0].label  # type: ignore[attr-defined]
    assert both.levels[0].unit == "kW/m²"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "spec",
    [
        {"model": "bleve", "worst_case": ["bleve"]},
        {"model": "bleve", "worst_case": ["vce", "vce"]},
        {"model": "toxic_plume", "worst_case": ["vce"]},
    ],
)
def test_bad_worst_case_is_one_line(sphere: gpd.GeoDataFrame, spec: dict[str, object]) -> None:
    with pytest.raises(HazardError, match=r"hazard\.worst_case"):
        _zones(sphere, **spec)
