"""Write, then rename: a file a user may open is never seen half-written.

Every file evacsim writes outside a run folder (a run folder is renamed into place whole, see
:mod:`evacsim.export.folder`) goes through :func:`atomic_path`: the content is written to a hidden
sibling ``.<name>.partial-<pid><suffix>`` and moved over ``path`` with :func:`os.replace` (atomic
on POSIX and Windows) only when complete; on any error, interrupt included, the sibling is removed
and ``path`` is untouched.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from evacsim.errors import EvacsimError

__all__ = ["atomic_path", "write_text_atomic"]


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
