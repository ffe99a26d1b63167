"""SIGINT and SIGTERM during a run: the real command line in a subprocess, signalled mid-run.

Whatever the moment (loading, simulating, writing), nothing that looks like a run is left: no
folder with run files that is not complete, no hidden partial folder, no folder it claimed.
SIGKILL cannot be caught: what it leaves is removed by the next run in the same folder.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evacsim.cli import main
from evacsim.manifest import read_manifest
from tests.support.tiny_area import tiny_scenario, write_tiny_area

CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}


def _start(cwd: Path, *argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-X", "faulthandler", "-m", "evacsim.cli", "run", *argv],
        cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _wait_for_claim(root: Path, proc: subprocess.Popen[str], timeout_s: float = 60.0) -> None:
    """Until the run has claimed its folder: its hidden work folder exists."""
    end = time.monotonic() + timeout_s
    while not any(root.rglob(f".*-{proc.pid}")):
        assert proc.poll() is None, "the run ended before it claimed a folder"
        assert time.monotonic() < end, "no work folder appeared"
        time.sleep(0.02)


def _finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err


def _runs_left(root: Path) -> list[Path]:
    """Everything that looks like a run: a folder with run files, or a hidden work folder."""
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_dir()
        and (p.name.startswith(".") or any((p / n).exists() for n in ("summary.json", "map.html")))
    )


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    write_tiny_area(tmp_path / "area")
    (tmp_path / "s.toml").write_text(tiny_scenario(name="signalled"), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("out", [None, "out/run"], ids=["default folder", "--out"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_mid_run_leaves_no_run(tiny: Path, sig: signal.Signals, out: str | None) -> None:
    proc = _start(tiny, "s.toml", *(["--out", out] if out else []))
    _wait_for_claim(tiny, proc)
    time.sleep(0.3)  # loading the area, simulating: far from the end
    proc.send_signal(sig)
    code, err = _finish(proc)
    assert code == CODES[sig], err
    assert "Traceback" not in err and "Fatal Python error" not in err
    assert err.strip().splitlines()[-1].startswith("interrupted"), err
    assert _runs_left(tiny) == []
    assert not (tiny / "runs").exists() and not (tiny / "out").exists()  # parents it made too


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_while_writing_leaves_no_partial_run(tiny: Path, sig: signal.Signals) -> None:
    """Signalled once the run folder's first file is written (maps, report still to come)."""
    proc = _start(tiny, "s.toml", "--out", "run")
    _wait_for_claim(tiny, proc)
    work = tiny / f".run.new-{proc.pid}"
    end = time.monotonic() + 120
    while not (work / "summary.json").exists():
        assert proc.poll() is None and time.monotonic() < end, "the run never started writing"
        time.sleep(0.01)
    proc.send_signal(sig)
    code, err = _finish(proc)
    assert code == CODES[sig], err
    assert "Traceback" not in err and "Fatal Python error" not in err
    # Nothing half-written. (Had the signal come during the final renames, which hold signals
    # back for their few milliseconds, the run would be complete: that is allowed.)
    assert [p for p in _runs_left(tiny) if read_manifest(p) is None] == []


def test_what_sigkill_leaves_is_not_a_run_and_the_next_run_removes_it(
    tiny: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    proc = _start(tiny, "s.toml", "--out", "out/run")
    _wait_for_claim(tiny, proc)
    proc.send_signal(signal.SIGKILL)
    _finish(proc)
    assert (tiny / "out" / f".run.new-{proc.pid}").is_dir()  # left behind: nothing could run
    monkeypatch.chdir(tiny)
    with pytest.raises(SystemExit) as exc:
        main(["export", "out/run", "--format", "csv"])
    assert exc.value.code == 2 and "not a run folder" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["run", "s.toml", "--out", "out/other", "-q"])
    assert exc.value.code == 0
    assert sorted(p.name for p in (tiny / "out").iterdir()) == ["other"]


def _cut_import(code: int) -> None:
    """What an extension module does when a signal's exception cuts its initialisation."""
    from evacsim.cli import _Terminated

    stop: BaseException = _Terminated(code) if code == 143 else KeyboardInterrupt()
    try:
        raise stop
    except BaseException as exc:  # re-raised as the extension module does
        raise ImportError("initialization failed") from exc


@pytest.mark.parametrize("code", [143, 130], ids=["SIGTERM", "SIGINT"])
def test_a_signal_inside_a_compiled_import_is_an_interruption(
    tiny: Path, code: int, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The signal's exception cut a compiled module's import (scipy's HiGHS raises ``ImportError:
    initialization failed`` from it): an interruption that leaves no run, not a bug's traceback."""
    import evacsim.plan.make

    monkeypatch.setattr(evacsim.plan.make, "make_plan", lambda *_a, **_k: _cut_import(code))
    monkeypatch.chdir(tiny)
    with pytest.raises(SystemExit) as exc:
        main(["run", "s.toml", "-q"])
    err = capsys.readouterr().err
    assert exc.value.code == code and err.strip().splitlines()[-1].startswith("interrupted"), err
    assert _runs_left(tiny) == [] and not (tiny / "runs").exists()
