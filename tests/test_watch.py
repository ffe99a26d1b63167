"""``evacsim watch``: alarm files dropped into a folder while the watcher runs are answered."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from evacsim.cli import main
from evacsim.errors import EvacsimError
from evacsim.watch import LOG_NAME, watch
from tests.support.tiny_area import write_tiny_area

FIRE = {"alarm_id": "A-1", "source": "T-01", "time": "2026-11-27T15:02:00+08:00",
        "detection": {"kind": "fire"}, "substance": "gasoline",
        "weather": {"wind_from_deg": 45, "wind_speed_m_s": 2.5, "stability": "D"}}  # fmt: skip
LEAK = {"source": "CL-1", "time": "2026-11-27T02:30:00+08:00",
        "detection": {"kind": "leak", "rate_kg_s": 0.5},
        "weather": {"wind_from_deg": 180, "wind_speed_m_s": 2.0,
                    "cloud_cover_tenths": 3}}  # fmt: skip


def _drop(folder: Path, name: str, text: str) -> None:
    """Write as a sender should: a hidden temporary name, then a rename."""
    tmp = folder / f".{name}.part"
    tmp.write_text(text, encoding="utf-8")
    tmp.rename(folder / name)


def _wait(lines: list[str], n: int, timeout_s: float = 120.0) -> None:
    end = time.monotonic() + timeout_s
    while len(lines) < n and time.monotonic() < end:
        time.sleep(0.05)
    assert len(lines) >= n, lines


def test_alarms_dropped_into_a_watched_folder_are_answered(tmp_path: Path) -> None:
    area = write_tiny_area(tmp_path / "area")
    inbox, out = tmp_path / "inbox", tmp_path / "answers"
    inbox.mkdir()
    lines: list[str] = []
    stop = threading.Event()
    worker = threading.Thread(
        target=watch, args=(inbox,),
        kwargs={"area": area, "out": out, "interval_s": 0.05, "on_line": lines.append,
                "stop": stop.is_set},
        daemon=True,
    )  # fmt: skip
    worker.start()
    try:
        _drop(inbox, "001-fire.json", json.dumps(FIRE))
        _wait(lines, 1)
        _drop(inbox, "002-broken.json", '{"source": "T-01", "time": ')
        _drop(inbox, "003-no-such-tank.json", json.dumps({**FIRE, "source": "T-99"}))
        _wait(lines, 3)
        _drop(inbox, "004-chlorine.json", json.dumps(LEAK))  # the watcher went on
        _wait(lines, 4)
    finally:
        stop.set()
        worker.join(timeout=30)
    fire, broken, missing, chlorine = lines
    assert "001-fire.json: Alarm A-1" in fire and "pool_fire" in fire
    assert fire.endswith(f"-> {out / '001-fire'}")
    assert "warned last G-" in fire
    assert "002-broken.json: error:" in broken and "not a valid JSON alarm" in broken
    assert "003-no-such-tank.json: error:" in missing and "'T-99'" in missing
    assert "004-chlorine.json:" in chlorine and "toxic_plume" in chlorine
    for line in lines:
        assert "\n" not in line
    folder = out / "001-fire"
    for name in ("summary.json", "map.html", "report.html", "incident.json", "alarm.json"):
        assert (folder / name).is_file(), name
    record = json.loads((folder / "incident.json").read_text(encoding="utf-8"))
    assert record["start"] == FIRE["time"]
    assert record["grids"]
    assert {"town", "community", "group", "workers", "t_order_s"} <= set(record["grids"][0])
    assert json.loads((folder / "alarm.json").read_text(encoding="utf-8")) == FIRE
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert {"incident.json", "alarm.json"} <= set(manifest["outputs"])
    assert not (out / "002-broken").exists()
    assert (out / LOG_NAME).read_text(encoding="utf-8").splitlines() == lines


def test_once_answers_what_is_there_and_skips_answered_alarms(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    area = write_tiny_area(tmp_path / "area")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.json").write_text(json.dumps(FIRE), encoding="utf-8")
    (inbox / ".hidden.json").write_text("{", encoding="utf-8")
    argv = ["watch", str(inbox), "--once", "--area", str(area)]
    for expected in ("a.json: Alarm A-1", "a.json: already answered"):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 0
        out = capsys.readouterr().out.strip().splitlines()
        assert len(out) == 1 and expected in out[0]
    assert (inbox / "runs" / "a" / "summary.json").is_file()


def test_watching_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(EvacsimError, match="not a folder to watch"):
        watch(tmp_path / "nope", area=tmp_path, once=True)
