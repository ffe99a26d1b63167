"""Run folders you can trust: claimed at the start, written whole, never at a user's expense.

The rules (the README's "Exit codes and run folders" states them for users):

1. **Complete or absent.** A run is written into a hidden ``.<name>.partial-<pid>`` (or
   ``.<name>.new-<pid>`` when this run created ``<name>``) beside its destination and moved into
   place only when every file is complete. ``manifest.json`` is written last and carries
   ``format`` and ``format_version`` (:mod:`evacsim.manifest`): a folder is a complete run only if
   its manifest says so, and ``export`` / ``compare`` refuse anything else
   (:func:`evacsim.manifest.require_run_folder`).
2. **Claimed at the start.** A default name ``runs/<label>-<UTC time>[-n]`` is created
   exclusively (``mkdir`` fails when it exists), so two runs never share one, and the finished run
   is moved into the folder it claimed.
3. **Only evacsim's files are replaced.** A destination is used only if it is absent, empty or a
   complete evacsim run. Replacing a run removes only the files its manifest lists; anything else
   (a user's notes, ``export-csv/``) is carried into the new run and named in one warning line.
4. **Nothing stale.** While a run writes, its partial folder is locked (``flock``). A partial
   folder whose process is gone, or whose lock is free (after :data:`LOCK_GRACE_S`: the moment
   between making a folder and locking it), is removed by the next run in that parent folder,
   with the empty folder it had claimed; a live one is left alone.
5. **Interrupted, not half-written.** An exception, SIGINT or SIGTERM (which the command line
   turns into an exception) removes the partial folder and the folder it claimed; SIGINT and
   SIGTERM are held back during the final moves, which take milliseconds.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from evacsim.atomic import signals_deferred
from evacsim.errors import EvacsimError
from evacsim.manifest import FOLDER_FORMATS, MANIFEST, read_manifest

try:  # POSIX; elsewhere liveness falls back to "assume alive" (nothing is removed)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "RunFolder",
    "claim_run_folder",
    "clean_stale",
    "json_safe",
    "run_folder",
    "write_json",
]

log = logging.getLogger(__name__)

_WORK = re.compile(r"^\.(?P<name>.+)\.(?P<kind>partial|new|replaced)-(?P<pid>\d+)$")


def json_safe(data: Any) -> Any:
    """Plain JSON data: numpy scalars as Python numbers, keys as strings, NaN/inf as null."""
    if isinstance(data, float) and not math.isfinite(data):
        return None
    if isinstance(data, dict):
        return {str(k): json_safe(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [json_safe(v) for v in data]
    if hasattr(data, "item") and callable(data.item):  # numpy scalars
        return json_safe(data.item())
    return data


def write_json(path: Path, data: Any) -> None:
    """Write JSON with sorted keys and a trailing newline (stable, diffable)."""
    path.write_text(
        json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n",
        encoding="utf-8",
    )


# --------------------------------------------------------------------------- liveness


def _lock(folder: Path, *, wait: bool = False) -> int | None:
    """Open ``folder`` and hold an exclusive lock on it; the descriptor (None without fcntl).

    ``wait``: for a folder this process just made, which another run's liveness check may be
    holding for an instant.
    """
    if fcntl is None:  # pragma: no cover - Windows
        return None
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise EvacsimError(f"{folder}: another evacsim process is writing it") from None
    return fd


def _release(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)  # closing the last descriptor releases the flock


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":  # pragma: no cover - os.kill(pid, 0) would terminate it on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it runs, under another user
        return True
    return True


def _lock_held(folder: Path) -> bool:
    if fcntl is None:  # pragma: no cover - Windows: cannot tell, so assume held
        return True
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


#: A work folder younger than this (s) whose pid runs is live even before its lock is taken:
#: a folder is created, then locked, and another run must not remove it in between.
LOCK_GRACE_S = 30.0


def _owner_alive(folder: Path, pid: int) -> bool:
    """A work folder's writer runs: its pid exists and it holds the folder's lock (or has just
    made the folder and is about to).

    The lock catches a reused pid and a killed process not yet reaped (a zombie keeps its pid
    but has released its descriptors).
    """
    if not _pid_alive(pid):
        return False
    if _lock_held(folder):
        return True
    try:
        return time.time() - folder.stat().st_mtime < LOCK_GRACE_S
    except OSError:  # gone meanwhile
        return False


def _work_folders(parent: Path, name: str | None = None) -> list[tuple[Path, re.Match[str]]]:
    if not parent.is_dir():
        return []
    out = []
    for entry in sorted(parent.iterdir()):
        m = _WORK.match(entry.name)
        if m and entry.is_dir() and not entry.is_symlink() and name in (None, m["name"]):
            out.append((entry, m))
    return out


def clean_stale(parent: str | Path) -> list[Path]:
    """Remove the work folders in ``parent`` whose process is gone; return those removed.

    A stale ``partial``/``new`` folder is deleted (and, for ``new``, the folder it claimed if that
    is still empty); a stale ``replaced`` folder (a swap cut short) gives its user files back to
    the run that replaced it, then loses only evacsim's files.
    """
    removed = []
    for entry, m in _work_folders(Path(parent)):
        if _owner_alive(entry, int(m["pid"])):
            continue
        if m["kind"] == "replaced":
            _finish_replace(entry, entry.parent / m["name"])
        else:
            shutil.rmtree(entry, ignore_errors=True)
            if m["kind"] == "new":
                with suppress(OSError):
                    (entry.parent / m["name"]).rmdir()  # only if still empty
        log.info("removed %s, left by a run that no longer runs", entry)
        removed.append(entry)
    return removed


# --------------------------------------------------------------------------- folder contents


def _entries(folder: Path) -> list[tuple[str, bool]]:
    """Every file and symlink (``False``) and empty folder (``True``) under ``folder``, relative
    POSIX paths, sorted; symlinked folders are not followed."""
    out: list[tuple[str, bool]] = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        base = Path(root)
        links = [d for d in dirs if (base / d).is_symlink()]
        for name in [*files, *links]:
            out.append(((base / name).relative_to(folder).as_posix(), False))
        if not dirs and not files and base != folder:
            out.append((base.relative_to(folder).as_posix(), True))
    return sorted(out)


def _ours(manifest: dict[str, Any] | None) -> set[str]:
    return set() if manifest is None else {*manifest["outputs"], MANIFEST}


def _blocked_by(target: Path, rel: str, is_dir: bool) -> bool:
    """Whether moving entry ``rel`` into ``target`` would overwrite something there."""
    path = target / rel
    if any((target / parent).is_file() for parent in Path(rel).parents if str(parent) != "."):
        return True
    return path.exists() and not (is_dir and path.is_dir())


def _carry(src: Path, dest: Path, entries: list[tuple[str, bool]]) -> None:
    for rel, is_dir in entries:
        target = dest / rel
        if is_dir:
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        os.rename(src / rel, target)


def _finish_replace(old: Path, dest: Path) -> list[str]:
    """Give ``old``'s user files to ``dest``; delete the rest of ``old`` (evacsim's files only).

    Returns the relative paths carried over. When ``dest`` is gone or an entry would overwrite
    something in it, ``old`` is left in place and named in a warning: nothing is deleted.
    """
    ours = _ours(read_manifest(old, formats=FOLDER_FORMATS))
    user = [(rel, d) for rel, d in _entries(old) if rel not in ours]
    if user and (not dest.is_dir() or any(_blocked_by(dest, r, d) for r, d in user)):
        log.warning("%s: kept as is: it holds files evacsim did not write", old)
        return []
    _carry(old, dest, user)
    for rel in sorted(ours):
        path = old / rel
        if path.is_file() or path.is_symlink():
            path.unlink()
    for root, _dirs, _files in os.walk(old, topdown=False):  # deepest first
        with suppress(OSError):
            Path(root).rmdir()
    if old.exists():
        log.warning("%s: kept: it still holds files after the run was replaced", old)
    return [rel for rel, _ in user]


# --------------------------------------------------------------------------- claims


class RunFolder:
    """A claimed run folder: write into :attr:`tmp`; :meth:`commit` moves it to :attr:`dest`.

    Make one with :func:`claim_run_folder` (or use :func:`run_folder`). After :meth:`commit`,
    :attr:`kept` lists the files of a replaced run that evacsim had not written (relative paths),
    now in the new run.
    """

    def __init__(
        self, dest: Path, tmp: Path, *, created_dest: bool, created: list[Path], fd: int | None
    ) -> None:
        self.dest = dest
        self.tmp = tmp
        self.kept: tuple[str, ...] = ()
        self._created_dest = created_dest
        self._created = created  # parent folders this claim made, outermost first
        self._fd = fd

    def commit(self) -> Path:
        """Move the finished run into :attr:`dest` (see the module's rules); return it."""
        try:
            with signals_deferred():
                self._commit()
        finally:
            _release(self._fd)
            self._fd = None
        if self.kept:
            shown = ", ".join(self.kept[:5]) + (", ..." if len(self.kept) > 5 else "")
            log.warning(
                "%s: kept %d file%s evacsim did not write: %s",
                self.dest, len(self.kept), "s" if len(self.kept) > 1 else "", shown,
            )  # fmt: skip
        return self.dest

    def _commit(self) -> None:
        dest, tmp = self.dest, self.tmp
        entries = _entries(dest) if dest.is_dir() else []
        ours = _ours(read_manifest(dest, formats=FOLDER_FORMATS)) if entries else set()
        user = [(rel, d) for rel, d in entries if rel not in ours]
        blocked = [rel for rel, d in user if _blocked_by(tmp, rel, d)]
        if blocked:
            raise EvacsimError(
                f"{dest / blocked[0]}: not written by evacsim, and this run writes a file there; "
                "move it away and run again"
            )
        if dest.exists() and not dest.is_dir():
            raise EvacsimError(f"{dest}: output path exists and is not a folder")
        if not entries:
            if dest.is_dir():
                try:
                    os.rename(tmp, dest)  # POSIX replaces an empty folder atomically
                    return
                except OSError:
                    dest.rmdir()
            os.rename(tmp, dest)
            return
        old = dest.parent / f".{dest.name}.replaced-{os.getpid()}"
        fd = _lock(dest)  # the lock moves with the folder: a live swap is never "stale"
        try:
            os.rename(dest, old)
            os.rename(tmp, dest)
            self.kept = tuple(_finish_replace(old, dest))
        finally:
            _release(fd)

    def abandon(self) -> None:
        """Remove the partial folder, the folder this claim created and parents it made."""
        shutil.rmtree(self.tmp, ignore_errors=True)
        _release(self._fd)
        self._fd = None
        made = [*self._created, self.dest] if self._created_dest else self._created
        for path in reversed(made):
            with suppress(OSError):
                path.rmdir()  # only while empty


def _make_parents(folder: Path) -> list[Path]:
    missing = [p for p in [folder, *folder.parents] if not p.exists()]
    folder.mkdir(parents=True, exist_ok=True)
    return list(reversed(missing))


def _check_destination(dest: Path) -> None:
    if dest.exists() and not dest.is_dir():
        raise EvacsimError(f"{dest}: output path exists and is not a folder")
    if (
        dest.is_dir()
        and any(dest.iterdir())
        and read_manifest(dest, formats=FOLDER_FORMATS) is None
    ):
        raise EvacsimError(
            f"{dest}: folder is not empty and not an evacsim run (no evacsim manifest.json); "
            "refusing to write into it"
        )
    for entry, m in _work_folders(dest.parent, dest.name):
        if int(m["pid"]) != os.getpid() and _owner_alive(entry, int(m["pid"])):
            raise EvacsimError(f"{dest}: another evacsim run (pid {m['pid']}) is writing it")


def _new_work_folder(parent: Path, name: str, kind: str) -> tuple[Path, int | None]:
    tmp = parent / f".{name}.{kind}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)  # this process's own leftover
    tmp.mkdir()
    return tmp, _lock(tmp, wait=True)


def claim_run_folder(out: str | Path | None, *, label: str, root: str | Path = "runs") -> RunFolder:
    """Claim the folder a run will be written to, before the run starts.

    Parameters
    ----------
    out
        Exactly this folder (absent, empty or an evacsim run), or ``None`` for a new
        ``<root>/<label>-<UTC time>`` (``-2``, ``-3``... when taken), created exclusively.
    label
        The default name's stem (a scenario's file stem).
    root
        Where default folders go.

    Raises
    ------
    EvacsimError
        ``out`` is a file, a folder holding files that is not an evacsim run, or a folder
        another live evacsim process is writing.
    """
    if out is not None:
        dest = Path(out)
        _check_destination(dest)
        created = _make_parents(dest.parent)
        clean_stale(dest.parent)
        kind = "partial" if dest.exists() else "new"
        tmp, fd = _new_work_folder(dest.parent, dest.name, kind)
        if kind == "new":
            dest.mkdir(exist_ok=True)
        return RunFolder(dest, tmp, created_dest=kind == "new", created=created, fd=fd)
    base = Path(root)
    created = _make_parents(base)
    clean_stale(base)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    n = 1
    while True:
        name = f"{label}-{stamp}" + (f"-{n}" if n > 1 else "")
        n += 1
        if (base / name).exists():
            continue
        tmp, fd = _new_work_folder(base, name, "new")
        try:
            (base / name).mkdir()  # exclusive: the claim
        except FileExistsError:
            shutil.rmtree(tmp, ignore_errors=True)
            _release(fd)
            continue
        return RunFolder(base / name, tmp, created_dest=True, created=created, fd=fd)


@contextmanager
def run_folder(
    out: str | Path | None, *, label: str, root: str | Path = "runs"
) -> Iterator[RunFolder]:
    """Claim a run folder (:func:`claim_run_folder`), yield it, commit it when the block succeeds.

    Write the run into ``.tmp`` inside the block. On any exception, SIGINT and SIGTERM included,
    nothing is left: the partial folder and the claimed folder are removed.
    """
    claim = claim_run_folder(out, label=label, root=root)
    try:
        yield claim
        claim.commit()
    except BaseException:
        claim.abandon()
        raise
