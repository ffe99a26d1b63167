"""One output job in a forked worker process while this process writes the others.

A run's outputs are independent files, but most of their cost is pure Python (folium's page
rendering above all), which threads would serialise on the GIL. A forked child shares the
finished run with its parent page for page (copy on write: nothing is pickled, nothing is read
twice) and writes its files into the same temporary run folder; only the small record of what it
wrote and how long it took comes back through a pipe. The simulation is not involved: it has
finished before anything forks (DESIGN: "one run's simulation is one process").

Where ``fork`` is not available (Windows, macOS's default) or not wanted, :func:`forked` runs
the job in this process when its result is asked for: the same files, one after the other.

The child ignores SIGINT (the parent handles Ctrl-C and removes the partial folder) and is
terminated if the parent leaves the block with an exception, so an interrupted run never leaves a
child writing into a folder that is being removed.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from evacsim.atomic import signals_deferred
from evacsim.errors import EvacsimError

__all__ = ["ForkedJob", "WaitingJob", "can_fork", "forked"]

log = logging.getLogger(__name__)

_STOP_WAIT_S = 2.0  # a stopped child that still runs after this is killed

#: ``EVACSIM_OUTPUT_WORKERS=0`` writes every output in this process (for debugging).
ENV_WORKERS = "EVACSIM_OUTPUT_WORKERS"


def can_fork() -> bool:
    """Whether outputs may be written by a forked worker here (Linux, not disabled by
    ``EVACSIM_OUTPUT_WORKERS=0``, not itself a daemonic worker of a process pool)."""
    if os.environ.get(ENV_WORKERS, "").strip() == "0":
        return False
    if multiprocessing.current_process().daemon:  # a pool's worker may not have children
        return False
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


class ForkedJob:
    """A job started in a forked child by :meth:`start` (or deferred to :meth:`result`)."""

    def __init__(self, job: Callable[[], Any]) -> None:
        self._job = job
        self._proc: Any = None
        self._conn: Any = None

    def start(self) -> None:
        """Fork the child that runs the job (its result comes through a pipe)."""
        ctx = multiprocessing.get_context("fork")
        self._conn, child_conn = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(self._job, child_conn), daemon=True)
        with signals_deferred():  # the child is known (and can be stopped) before they act
            try:
                proc.start()
                self._proc = proc
            finally:
                child_conn.close()

    def result(self) -> Any:
        """Wait for the job and return its value; its exception (re-raised here) if it failed."""
        if self._conn is None:  # not forked: run it now
            return self._job()
        try:
            ok, value = self._conn.recv()
        except EOFError:  # the child died without answering (killed, out of memory)
            self._proc.join()
            raise RuntimeError(
                f"output worker exited with code {self._proc.exitcode} before finishing"
            ) from None
        finally:
            self._conn.close()
        self._proc.join()
        self._proc = None
        if ok:
            return value
        kind, text, tb = value
        if kind == "evacsim":
            raise EvacsimError(text)
        raise RuntimeError(f"output worker failed:\n{tb}")

    def running(self) -> bool:
        """Whether the child still runs (``False`` when not forked or finished)."""
        return self._proc is not None and self._proc.is_alive()

    def cancel(self) -> None:
        """Stop the child if it still runs (the parent is leaving with an error)."""
        if self._proc is not None and self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(_STOP_WAIT_S)
            if self._proc.is_alive():  # SIGTERM came before the child's own handler was set
                self._proc.kill()
        if self._proc is not None:
            self._proc.join()
            self._proc = None


class WaitingJob(ForkedJob):
    """A child forked before its job's inputs exist: it runs ``warm()`` at once (imports, caches:
    on the second core while this process goes on), then waits for :meth:`submit`'s arguments
    (pickled through a pipe) and runs ``job(*args)``; :meth:`result` as for :class:`ForkedJob`.

    Not forked (:meth:`start` not called), the job runs in this process when its result is asked
    for, without the warm-up. A warm-up that fails is ignored: the job reports real errors.
    """

    def __init__(self, warm: Callable[[], Any], job: Callable[..., Any]) -> None:
        super().__init__(job)
        self._warm, self._later = warm, job
        self._send: Any = None

    def start(self) -> None:
        """Fork the child: it warms up, then waits for the arguments."""
        recv, self._send = multiprocessing.get_context("fork").Pipe(duplex=False)
        self._job = partial(_warm_then_run, self._warm, self._later, recv, self._send)
        try:
            super().start()
        finally:
            recv.close()

    @property
    def started(self) -> bool:
        """Whether the child was forked and still waits for its arguments."""
        return self._send is not None and self.running()

    def submit(self, *args: Any) -> None:
        """Give the job its arguments (to the child, or kept for :meth:`result`)."""
        if self._send is None:
            self._job = partial(self._later, *args)
            return
        try:
            self._send.send(args)
        finally:
            self._send.close()
            self._send = None

    def cancel(self) -> None:
        """Stop the child (also one still waiting for its arguments)."""
        if self._send is not None:
            self._send.close()
            self._send = None
        super().cancel()


def _warm_then_run(
    warm: Callable[[], Any], job: Callable[..., Any], conn: Any, parent_end: Any
) -> Any:
    parent_end.close()  # so that the parent closing its end (leaving, cancel) ends our wait
    try:
        warm()
    except Exception:
        log.debug("output worker warm-up failed", exc_info=True)
    try:
        args = conn.recv()
    finally:
        conn.close()
    return job(*args)


def _child(job: Callable[[], Any], conn: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        answer: tuple[bool, Any] = (True, job())
    except EvacsimError as exc:
        answer = (False, ("evacsim", str(exc), traceback.format_exc()))
    except BaseException as exc:  # reported to the parent, which raises it
        answer = (False, ("bug", repr(exc), traceback.format_exc()))
    conn.send(answer)
    conn.close()


@contextmanager
def forked(job: Callable[[], Any], *, fork: bool | None = None) -> Iterator[ForkedJob]:
    """Start ``job`` in a forked child (by default when :func:`can_fork`); the block runs
    meanwhile and calls ``.result()``. Leaving the block with an exception stops the child."""
    handle = ForkedJob(job)
    try:
        if can_fork() if fork is None else fork:
            handle.start()
        yield handle
    finally:
        handle.cancel()  # a no-op once the result was taken
