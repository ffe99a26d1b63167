"""Where the tests find the project's own files."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
SCENARIOS = REPO / "scenarios"
FUNIUXI = REPO / "maps" / "funiuxi"
BENCHMARKS = REPO / "benchmarks"
