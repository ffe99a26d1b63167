"""Watch a folder for alarm files and answer each one with an incident run folder.

``evacsim watch DIR`` polls ``DIR`` for ``*.json`` alarm records (:mod:`evacsim.scenario.alarm`;
names starting with ``.`` are ignored, so a sender can write ``.name.json`` and rename it when
complete). A file is taken once its size and modification time have not changed between two
polls (``--once`` takes every file at once). For each new alarm:

* the incident is run (:func:`evacsim.incident.alarm_incident_data`, the responsibility chain for
  the warning) and its run folder written atomically to ``OUT/<file stem>/``: the usual run
  files (``summary.json``, ``map.html``, ``report.html``, ``csv/``, the grid workers' sheets in
  ``drill/warning/``...), plus ``incident.json`` (zones, grids to warn through which chain, routes,
  ETE) and ``alarm.json`` (the record as received);
* one line is appended to ``OUT/watch.log`` (and handed to ``on_line``):
  ``<time> <file>: <what> at <source> -> <models>; <persons> persons; 90 % sheltered 15:44
  (T+0:42); warned last <grid> 16:20 (T+1:18) -> <folder>``, or ``<time> <file>: error: <one
  line>`` for an alarm that cannot be answered. The watcher goes on either way; an alarm whose
  folder already exists is not run again.

The lines, the scenario's name and the run folder's pages are in ``lang`` (``zh`` or ``en``; by
default the area's ``area.toml`` ``lang``); times are clock times (the alarm's ``time`` is the
start) with T+ beside them. Error messages themselves stay as the input checks write them.
"""

from __future__ import annotations

import logging
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from evacsim.display.i18n import Translator, resolve_lang, translator
from evacsim.errors import EvacsimError

__all__ = ["LOG_NAME", "AlarmWatcher", "answer_alarm", "area_lang", "watch"]

log = logging.getLogger(__name__)

#: The watcher's log file in the output folder.
LOG_NAME = "watch.log"


def area_lang(area: Path) -> str | None:
    """The ``lang`` of an area's ``area.toml`` (``None`` when it has none or cannot be read: the
    alarm's run then reports the area's problem)."""
    toml = (area.parent if area.is_file() else area) / "area.toml"
    try:
        with toml.open("rb") as fh:
            lang = tomllib.load(fh).get("lang")
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None
    return lang if isinstance(lang, str) else None


def _ok_line(name: str, report: Any, folder: Path, tr: Translator) -> str:
    from evacsim.display.chain import last_warned_text
    from evacsim.display.clock import run_clock
    from evacsim.display.format import number

    summary, clock = report.run.summary, run_clock(report.run, tr.lang)
    parts = [
        tr("{file}: {scenario} -> {model}", file=name, scenario=summary["scenario"],
           model=summary["hazard"]["model"]),
        tr("{n} persons", n=number(summary["persons_total"])),
        tr("90 % sheltered {time}", time=clock.label(summary["ete_s"]["shelter"]["p90"])),
    ]  # fmt: skip
    last = (summary.get("warning") or {}).get("last_grid")
    if last:
        parts.append(last_warned_text(last, tr, clock))
    return f"{tr.gettext('; ').join(parts)} -> {folder}"


def answer_alarm(
    path: Path, out: Path, *, area: Path, seed: int = 0, lang: str | None = None
) -> tuple[Path, str]:
    """Run the incident of one alarm file into ``out/<stem>/``; return the folder and the log
    line (without the time stamp), in ``lang`` (by default the area's).

    Raises
    ------
    EvacsimError
        The alarm cannot be answered (one line naming the file and field).
    """
    from evacsim.export.folder import run_folder, write_json
    from evacsim.export.run_folder import write_run_folder
    from evacsim.incident import alarm_incident_data, incident_record, run_incident

    lang = resolve_lang(lang, area_lang(area))
    data, notes = alarm_incident_data(path, area=area, seed=seed, lang=lang)
    report = run_incident(data)
    with run_folder(out / path.stem, label=path.stem) as claim:
        tmp, dest = claim.tmp, claim.dest
        (tmp / "alarm.json").write_bytes(path.read_bytes())
        write_json(tmp / "incident.json", {**incident_record(report), "notes": notes})
        write_run_folder(report.run, tmp)  # last: its manifest lists the two files above
    return dest, _ok_line(path.name, report, dest, translator(lang))


@dataclass
class AlarmWatcher:
    """The polling state: files seen (name → size, mtime) and files answered; ``lang`` the
    language of the lines and runs (resolved from the area's when not given)."""

    folder: Path
    out: Path
    area: Path
    seed: int = 0
    on_line: Callable[[str], None] = print
    lang: str | None = None
    _pending: dict[str, tuple[int, int]] = field(default_factory=dict)
    _done: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.lang = resolve_lang(self.lang, area_lang(self.area))
        self.tr = translator(self.lang)

    def _log(self, line: str) -> None:
        stamped = f"{datetime.now().astimezone().isoformat(timespec='seconds')} {line}"
        self.out.mkdir(parents=True, exist_ok=True)
        with (self.out / LOG_NAME).open("a", encoding="utf-8") as fh:
            fh.write(stamped + "\n")
        self.on_line(stamped)

    def _ready(self, path: Path, *, wait: bool) -> bool:
        """True once a file has stopped changing (at once when ``wait`` is false)."""
        try:
            st = path.stat()
        except FileNotFoundError:
            return False
        sig = (st.st_size, st.st_mtime_ns)
        before = self._pending.get(path.name)
        self._pending[path.name] = sig
        return not wait or before == sig

    def poll(self, *, wait: bool = True) -> int:
        """Answer every new, complete alarm file once; return how many were handled."""
        handled = 0
        for path in sorted(self.folder.glob("*.json")):
            if path.name.startswith(".") or path.name in self._done:
                continue
            if not self._ready(path, wait=wait):
                continue
            self._done.add(path.name)
            handled += 1
            if (self.out / path.stem).exists():
                self._log(self.tr("{file}: already answered in {folder}", file=path.name,
                                  folder=self.out / path.stem))  # fmt: skip
                continue
            self._log(self._answer(path))
        return handled

    def _answer(self, path: Path) -> str:
        tr = self.tr
        try:
            return answer_alarm(path, self.out, area=self.area, seed=self.seed, lang=self.lang)[1]
        except EvacsimError as exc:
            return tr(
                "{file}: error: {message}", file=path.name, message=" ".join(str(exc).split())
            )
        except Exception as exc:  # a bug must not stop the watcher; it is logged in full
            log.exception("watch: %s", path)
            return tr("{file}: error: internal {kind}: {message} (a bug; see stderr)",
                      file=path.name, kind=type(exc).__name__, message=exc)  # fmt: skip


def watch(
    folder: str | Path,
    *,
    area: str | Path,
    out: str | Path | None = None,
    interval_s: float = 2.0,
    once: bool = False,
    seed: int = 0,
    lang: str | None = None,
    on_line: Callable[[str], None] = print,
    stop: Callable[[], bool] = lambda: False,
) -> int:
    """Watch ``folder`` and answer each alarm file that appears (see the module docstring).

    Parameters
    ----------
    folder
        Where the monitoring system drops alarm files.
    area
        The area the alarms' sources belong to.
    out
        Where run folders and ``watch.log`` go (default ``folder/runs``).
    interval_s
        Seconds between polls.
    once
        Answer the files present now and return.
    seed
        The runs' seed.
    lang
        ``"zh"`` or ``"en"``: the lines and the runs' pages (default: the area's ``lang``).
    on_line
        Called with each log line.
    stop
        Polled between rounds; return True to stop.

    Returns
    -------
    int
        Alarm files handled (answered or refused).

    Raises
    ------
    EvacsimError
        ``folder`` is not a folder.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise EvacsimError(f"{folder}: not a folder to watch")
    watcher = AlarmWatcher(
        folder, Path(out) if out else folder / "runs", Path(area), seed, on_line, lang
    )
    if once:
        return watcher.poll(wait=False)
    handled = 0
    while not stop():
        handled += watcher.poll()
        time.sleep(interval_s)
    return handled
