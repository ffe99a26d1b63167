"""The forked output worker: its value, its files and its errors come back to the parent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from evacsim.errors import EvacsimError
from evacsim.export.forked import WaitingJob, can_fork, forked


def _write(path: Path) -> int:
    path.write_text("written by the worker", encoding="utf-8")
    return os.getpid()


@pytest.mark.parametrize("fork", [True, False], ids=["forked", "in process"])
def test_the_value_and_files_come_back(tmp_path: Path, fork: bool) -> None:
    if fork and not can_fork():
        pytest.skip("no fork here")
    with forked(lambda: _write(tmp_path / "out.txt"), fork=fork) as job:
        pid = job.result()
    assert (pid != os.getpid()) is fork
    assert (tmp_path / "out.txt").read_text(encoding="utf-8") == "written by the worker"


def _bad_input() -> None:
    raise EvacsimError("layer 'grids': field 'id' is missing")


def _bug() -> None:
    raise ZeroDivisionError("a bug in a page")


@pytest.mark.skipif(not can_fork(), reason="no fork here")
def test_bad_input_in_the_worker_is_one_clear_error() -> None:
    with forked(_bad_input) as job, pytest.raises(EvacsimError, match="field 'id' is missing"):
        job.result()


@pytest.mark.skipif(not can_fork(), reason="no fork here")
def test_a_bug_in_the_worker_keeps_its_traceback() -> None:
    with forked(_bug) as job, pytest.raises(RuntimeError, match="ZeroDivisionError"):
        job.result()


def test_switched_off_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVACSIM_OUTPUT_WORKERS", "0")
    assert not can_fork()


def _in_pool_worker() -> tuple[bool, int]:
    with forked(lambda: 42) as job:
        return can_fork(), job.result()


def test_a_process_pool_worker_writes_in_its_own_process() -> None:
    """A daemonic pool worker may not fork: the job runs in it instead of failing."""
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork here")
    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.apply(_in_pool_worker) == (False, 42)


# ------------------------------------------------------------------ a worker forked before its job

_WARMED: list[int] = []  # pids that ran the warm-up (a fork's list is its own)


def _warm() -> None:
    _WARMED.append(os.getpid())


def _report(a: int, b: str) -> tuple[list[int], int, str]:
    return list(_WARMED), a, b


def _fail_to_warm() -> None:
    raise OSError("no fonts")


@pytest.mark.skipif(not can_fork(), reason="no fork here")
def test_waiting_job_warms_in_the_child_then_runs_with_what_is_sent() -> None:
    job = WaitingJob(_warm, _report)
    try:
        job.start()
        assert job.started
        job.submit(7, "results")
        warmed, a, b = job.result()
    finally:
        job.cancel()
    assert (a, b) == (7, "results")
    assert len(warmed) == 1 and warmed[0] != os.getpid()  # the child warmed up, not this one
    assert _WARMED == []


def test_waiting_job_not_forked_runs_here_without_warm_up() -> None:
    job = WaitingJob(_warm, _report)
    job.submit(1, "x")
    assert job.result() == ([], 1, "x")
    assert not job.started


@pytest.mark.skipif(not can_fork(), reason="no fork here")
def test_a_failed_warm_up_is_ignored_and_a_waiting_child_is_stopped() -> None:
    job = WaitingJob(_fail_to_warm, _report)
    job.start()
    job.submit(2, "y")
    assert job.result() == ([], 2, "y")
    idle = WaitingJob(_warm, _report)
    idle.start()
    proc = idle._proc
    idle.cancel()  # never given its arguments: stopped, not left waiting
    assert not proc.is_alive() and not idle.started
