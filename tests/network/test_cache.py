"""The area cache: hit when nothing changed, missed when a layer file changes, rebuilt when
corrupt, off when asked, and a run from it identical to a run without it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evacsim.network import cache
from evacsim.pipeline import run
from tests.support.tiny_area import tiny_scenario, write_tiny_area


@pytest.fixture
def cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The cache switched on, in a temporary folder, with nothing in memory."""
    folder = tmp_path / "cache"
    monkeypatch.delenv(cache.ENV_NO_CACHE, raising=False)
    monkeypatch.setenv(cache.ENV_CACHE_DIR, str(folder))
    monkeypatch.setattr(cache, "_memory", None)
    return folder


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every time the area is really loaded and its network built."""
    calls: list[Path] = []
    real = cache._build

    def counting(source: Path) -> tuple[object, ...]:
        calls.append(source)
        return real(source)

    monkeypatch.setattr(cache, "_build", counting)
    return calls


def _forget_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "_memory", None)  # as a new process: only the folder remains


def test_second_load_is_a_hit_from_the_folder(
    tmp_path: Path, cache_folder: Path, builds: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    area_dir = write_tiny_area(tmp_path / "area")
    area, network, _ = cache.prepared_area(area_dir)
    assert len(builds) == 1
    assert len(list(cache_folder.glob("*.pickle"))) == 1
    _forget_memory(monkeypatch)
    again, net_again, _ = cache.prepared_area(area_dir)
    assert len(builds) == 1  # read, not built
    assert again is not area  # a copy of its own
    assert again.roads.equals(area.roads) and again.grids.equals(area.grids)
    assert np.array_equal(net_again.length_m, network.length_m)


def test_a_changed_layer_file_is_a_miss_and_its_change_is_seen(
    tmp_path: Path, cache_folder: Path, builds: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    area_dir = write_tiny_area(tmp_path / "area")
    before, _, _ = cache.prepared_area(area_dir)
    path = area_dir / "grids.geojson"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["features"][0]["properties"]["population_night"] += 17
    path.write_text(json.dumps(doc), encoding="utf-8")
    _forget_memory(monkeypatch)
    after, _, _ = cache.prepared_area(area_dir)
    assert len(builds) == 2
    gid = doc["features"][0]["properties"]["id"]
    night = "population_night"
    old = before.grids.set_index("id").at[gid, night]
    assert after.grids.set_index("id").at[gid, night] == old + 17


def test_a_corrupt_entry_is_rebuilt_not_an_error(
    tmp_path: Path, cache_folder: Path, builds: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    area_dir = write_tiny_area(tmp_path / "area")
    cache.prepared_area(area_dir)
    (entry,) = cache_folder.glob("*.pickle")
    entry.write_bytes(b"\x80\x05not a pickle at all")
    _forget_memory(monkeypatch)
    area, _, _ = cache.prepared_area(area_dir)
    assert len(builds) == 2 and len(area.roads) > 0
    _forget_memory(monkeypatch)
    cache.prepared_area(area_dir)
    assert len(builds) == 2  # the rewritten entry is good


def test_switched_off_nothing_is_written(
    tmp_path: Path, cache_folder: Path, builds: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cache.ENV_NO_CACHE, "1")
    area_dir = write_tiny_area(tmp_path / "area")
    cache.prepared_area(area_dir)
    cache.prepared_area(area_dir)
    assert len(builds) == 2
    assert not cache_folder.exists()


def test_an_unwritable_cache_folder_is_skipped(
    tmp_path: Path, cache_folder: Path, builds: list[Path]
) -> None:
    cache_folder.parent.mkdir(parents=True, exist_ok=True)
    cache_folder.write_text("a file where the folder should be", encoding="utf-8")
    area, _, _ = cache.prepared_area(write_tiny_area(tmp_path / "area"))
    assert len(area.roads) > 0 and len(builds) == 1


def _tables(path: Path) -> tuple[dict[str, object], pd.DataFrame, pd.DataFrame]:
    r = run(path)
    summary = {k: v for k, v in r.summary.items() if k != "runtime_s"}
    return summary, r.results.groups, r.results.links


def test_a_run_from_the_cache_equals_a_run_without_it(
    tmp_path: Path, cache_folder: Path, builds: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tiny_area(tmp_path / "area")
    scenario = tmp_path / "s.toml"
    scenario.write_text(tiny_scenario(seed=11), encoding="utf-8")
    monkeypatch.setenv(cache.ENV_NO_CACHE, "1")
    reference = _tables(scenario)
    monkeypatch.delenv(cache.ENV_NO_CACHE)
    cache.prepared_area(tmp_path / "area")  # stored
    _forget_memory(monkeypatch)
    cached = _tables(scenario)
    assert len(builds) == 2  # the reference's and the stored one: the run read the entry
    assert cached[0] == reference[0]
    pd.testing.assert_frame_equal(cached[1], reference[1])
    pd.testing.assert_frame_equal(cached[2], reference[2])
