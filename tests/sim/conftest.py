"""Fixtures shared by the engine's tests."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tests.support.grid_engine import congested_grid_case


@pytest.fixture(scope="module")
def congested_grid() -> tuple[Any, np.ndarray, np.ndarray]:
    """The benchmark grid with at most 2 vehicles of storage per link, 3000 agents in 600 s."""
    return congested_grid_case()
