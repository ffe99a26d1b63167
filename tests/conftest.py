"""Shared fixtures: the tiny area written to a temporary folder, loaded, and as a network."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from evacsim.area.layers import Area, load_area
from evacsim.network.graph import RoadNetwork, build_network
from tests.support.tiny_area import write_tiny_area

# No test reads or writes the user's area cache (evacsim.network.cache); the cache's own tests
# switch it on with a temporary folder. Set here, before any test runs: subprocesses inherit it.
os.environ["EVACSIM_NO_CACHE"] = "1"


@pytest.fixture
def tiny_area_dir(tmp_path: Path) -> Path:
    """The valid tiny area (``tests/support/tiny_area.py``) as GeoJSON layers in a folder."""
    return write_tiny_area(tmp_path / "tiny")


@pytest.fixture
def tiny_area(tiny_area_dir: Path) -> Area:
    """The tiny area, loaded and projected (EPSG:32648)."""
    return load_area(tiny_area_dir)


@pytest.fixture
def tiny_network(tiny_area: Area) -> RoadNetwork:
    """The road network of the tiny area."""
    return build_network(tiny_area.roads)
