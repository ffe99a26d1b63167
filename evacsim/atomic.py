"""Write, then rename: a file a user may open is never seen half-written.

Every file evacsim writes outside a run folder (a run folder is renamed into place whole, see
:mod:`evacsim.export.folder`) goes through :func:`atomic_path`: the content is written to a hidden
sibling ``.<name>.partial-<pid><suffix>`` and moved over ``path`` with :func:`os.replace` (atomic
on POSIX and Windows) only when complete; on any error, interrupt included, the sibling is removed
and ``path`` is untouched.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from evacsim.errors import EvacsimError

__all__ = ["atomic_path", "signals_deferred", "write_text_atomic"]


@contextmanager
def atomic_path(path: str | Path, *, what: str = "output") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it over ``path`` when the block succeeds.

    The temporary name keeps ``path``'s suffix, so writers that choose a format by suffix (GDAL)
    still do. The parent folder is created if needed.

    Raises
    ------
    EvacsimError
        ``path`` is an existing folder (named as ``what``).
    """
    path = Path(path)
    if path.is_dir():
        raise EvacsimError(f"{path}: {what} path is a folder, expected a file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.partial-{os.getpid()}{path.suffix}")
    tmp.unlink(missing_ok=True)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(path: str | Path, text: str, *, what: str = "output") -> Path:
    """Write ``text`` (UTF-8) to ``path`` through :func:`atomic_path`; return ``path``."""
    with atomic_path(path, what=what) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


#: The signals :func:`signals_deferred` holds back.
_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def signals_deferred() -> Iterator[None]:
    """SIGINT and SIGTERM that arrive in the block act when it ends (a fork, the renames that
    commit a run: steps a signal must not cut in two).

    Their Python handlers are swapped for one that only notes them; blocking them would not do,
    as the kernel delivers a process's signal to any thread (numpy's BLAS threads included) and
    Python then runs the handler in the main thread at once. A signal acting in the middle of a
    fork could leave a child no one knows of, or be swallowed by an at-fork hook (logging's).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    noted: list[int] = []
    previous = {s: signal.signal(s, lambda signum, _frame: noted.append(signum)) for s in _SIGNALS}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        for signum in noted:
            signal.raise_signal(signum)
