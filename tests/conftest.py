"""Shared fixtures: the tiny area written to a temporary folder, loaded, and as a network."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from _tiny_area import write_tiny_area

from evacsim.area import Area, load_area
from evacsim.network import RoadNetwork, build_network


@pytest.fixture
def tiny_area_dir(tmp_path: Path) -> Path:
    """A folder holding the valid tiny area (see ``tests/_tiny_area.py``) as GeoJSON layers."""
    return write_tiny_area(tmp_path / "tiny")


@pytest.fixture
def tiny_area(tiny_area_dir: Path) -> Area:
    """The tiny area, loaded and projected (EPSG:32648)."""
    return load_area(tiny_area_dir)


@pytest.fixture
def tiny_network(tiny_area: Area) -> RoadNetwork:
    """The road network of the tiny area."""
    return build_network(tiny_area.roads)
