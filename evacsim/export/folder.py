"""Run folders written whole or not at all.

A run is written into a hidden temporary folder beside its destination and renamed into place
only when every file is complete, so an error never leaves a half-written run behind.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from evacsim.errors import EvacsimError

__all__ = ["RUN_MARKER", "atomic_run_folder", "default_run_folder", "write_json"]

#: Every complete run folder holds this file; only such folders are ever replaced.
RUN_MARKER = "summary.json"


def default_run_folder(label: str, *, root: Path = Path("runs")) -> Path:
    """``runs/<label>-<UTC timestamp>/``, made unique with a counter if needed."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    candidate = root / f"{label}-{stamp}"
    n = 1
    while candidate.exists():
        n += 1
        candidate = root / f"{label}-{stamp}-{n}"
    return candidate


def _check_replaceable(dest: Path) -> None:
    if dest.exists() and not dest.is_dir():
        raise EvacsimError(f"{dest}: output path exists and is not a folder")
    if dest.is_dir() and any(dest.iterdir()) and not (dest / RUN_MARKER).is_file():
        raise EvacsimError(
            f"{dest}: output folder is not empty and is not an evacsim run; refusing to overwrite"
        )


@contextmanager
def atomic_run_folder(dest: Path) -> Iterator[Path]:
    """Yield a temporary folder; on success move it to ``dest`` (replacing an older run there).

    On any exception the temporary folder is removed and ``dest`` is left untouched.
    """
    dest = Path(dest)
    _check_replaceable(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.parent / f".{dest.name}.partial-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = dest.parent / f".{dest.name}.old-{os.getpid()}"
    if dest.exists():
        dest.rename(old)
    tmp.rename(dest)
    shutil.rmtree(old, ignore_errors=True)


def write_json(path: Path, data: Any) -> None:
    """Write JSON with sorted keys and a trailing newline (stable, diffable)."""
    path.write_text(
        json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n",
        encoding="utf-8",
    )
