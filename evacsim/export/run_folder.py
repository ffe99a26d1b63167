"""The run folder: summary, maps, report, GeoPackage, CSV, GPX and manifest.

:func:`write_run` writes it atomically (a temporary folder renamed into place when complete, under
the rules of :mod:`evacsim.export.folder`); :func:`convert_run_folder` turns a saved run into
another format.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import logging
import os
import platform
import shutil
import tempfile
import time
from contextlib import nullcontext
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from evacsim.area.layers import area_files
from evacsim.atomic import atomic_path
from evacsim.errors import EvacsimError
from evacsim.export.folder import RunFolder, run_folder, write_json
from evacsim.export.forked import WaitingJob, can_fork, forked
from evacsim.manifest import FORMAT_VERSION, MANIFEST, RUN_FORMAT, require_run_folder
from evacsim.timing import Timings, timed

if TYPE_CHECKING:
    import geopandas as gpd

    from evacsim.pipeline import Run
    from evacsim.scenario.prepare import Prepared

__all__ = [
    "DEPENDENCIES",
    "FORMATS",
    "convert_run_folder",
    "manifest",
    "write_run",
    "write_run_folder",
]

log = logging.getLogger(__name__)


#: Formats :func:`convert_run_folder` writes.
FORMATS = ("gpkg", "geojson", "csv", "gpx")

#: Packages whose versions the manifest records.
DEPENDENCIES = (
    "numpy", "scipy", "pandas", "geopandas", "shapely", "pyproj", "pyogrio", "simpy", "networkx",
    "folium", "osmnx", "jinja2", "gpxpy", "pydantic",
)  # fmt: skip

# ----------------------------------------------------------------------------- manifest


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def manifest(run: Any, folder: Path) -> dict[str, Any]:
    """What makes this run reproducible: scenario + hash, seed, versions, input and output hashes.

    Outputs are every file already in ``folder`` (call it last).
    """
    sc, area = run.prepared.scenario, run.prepared.area
    outputs = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)
    return {
        "format": RUN_FORMAT,
        "format_version": FORMAT_VERSION,
        "scenario": {"name": sc.name, "file": str(sc.path) if sc.path else None,
                     "sha256": sc.sha256 or None},
        "seed": sc.seed,
        "evacsim": _version("evacsim"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "dependencies": {name: _version(name) for name in DEPENDENCIES},
        "area": {"name": area.name, "source": str(area.source)},
        "inputs": [{"path": str(p), "sha256": sha256_of(p), "bytes": p.stat().st_size}
                   for p in area_files(area.source)],
        "outputs": {p.relative_to(folder).as_posix(): sha256_of(p) for p in outputs},
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "runtime_s": run.summary.get("runtime_s"),
        "timings_s": {k: round(float(v), 3) for k, v in sorted(run.timings_s.items())},
        "note": (
            "The same scenario file, seed and versions give the same results: summary.json, "
            "report.html, csv/ and gpx/ are byte-identical between such runs. Only timestamps "
            "and timings differ: created_utc, runtime_s and timings_s here, the GeoPackage's "
            "internal timestamps and the random element ids folium writes into map pages."
        ),
    }  # fmt: skip


# ----------------------------------------------------------------------------- run folders


#: A run whose paths table is longer is not sent to a waiting map worker: pickling it would cost
#: more than the worker's warm-up saves (a worker forked after the run shares it instead).
_SEND_MAX_PATH_ROWS = 500_000


class MapWorker:
    """The map worker of one run, forked as soon as the run is prepared (:meth:`start`, e.g. as
    :func:`evacsim.pipeline.run`'s ``on_prepared``): while this process plans and simulates, it
    imports the map modules and draws the area once on the second core (~0.5 s of the default
    run's outputs, which are otherwise bound by the two cores); :func:`write_run_folder` then
    sends it the results (pickled: ~2.6 MB, ~20 ms for the default run) instead of forking a cold
    worker. Used as a context manager, it stops a worker left waiting (an error, a run too large
    to send)."""

    def __init__(self) -> None:
        self.job: WaitingJob | None = None

    def start(self, prepared: Prepared) -> None:
        """Fork the worker for a run of ``prepared`` (where outputs may fork at all)."""
        if self.job is None and can_fork():
            self.job = WaitingJob(partial(_warm_maps, prepared), partial(_pages_of, prepared))
            self.job.start()

    def take(self, run: Any, folder: Path) -> WaitingJob | None:
        """The worker, given ``run``'s results and ``folder``; ``None`` where there is none
        waiting or the run is too large to send (the worker is then stopped)."""
        job, self.job = self.job, None
        if job is None:
            return None
        if job.started and len(getattr(run.results, "paths", ())) <= _SEND_MAX_PATH_ROWS:
            job.submit(run.results, run.summary, folder)
            return job
        job.cancel()
        return None

    def __enter__(self) -> MapWorker:
        return self

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        if self.job is not None:
            self.job.cancel()
            self.job = None


def _warm_maps(prepared: Prepared) -> None:
    """In a waiting map worker: import the map modules and draw the area once (its layers in
    EPSG:4326, road labels, folium's templates, the offline assets stay cached)."""
    from evacsim.display.i18n import run_lang
    from evacsim.maps._offline import render_offline
    from evacsim.maps.base import base_map, finish_map

    for module in ("write", "assembly_maps", "run_map"):  # what the job imports
        importlib.import_module(f"evacsim.maps.{module}")
    render_offline(finish_map(base_map(prepared.area, lang=run_lang(prepared))))


def _pages_of(
    prepared: Prepared, results: Any, summary: dict[str, Any], folder: Path
) -> tuple[dict[str, str], Timings]:
    """In a waiting map worker: :func:`_write_pages` of the run sent to it."""
    from evacsim.pipeline import Run

    return _write_pages(Run(prepared=prepared, summary=summary, results=results), folder)


def write_run_folder(
    run: Any,
    folder: Path,
    *,
    geojson: bool = False,
    warm: bool = True,
    maps: MapWorker | None = None,
) -> dict[str, Path]:
    """Write everything of a run into ``folder`` (normally the temporary one of a save).

    Writes ``summary.json`` (with ``format_version``; without ``runtime_s``, which goes to the
    manifest, so that identical runs give identical files), the maps
    (:func:`evacsim.maps.write.write_run_maps`), ``results.gpkg``, ``csv/``, ``gpx/``,
    ``geojson/`` when asked, the teams' drill sheets (``drill/``), ``report.html`` and, last,
    ``manifest.json``. The maps and the drill sheets are written by forked workers meanwhile
    (:mod:`evacsim.export.forked`); each output's seconds go to ``run.timings_s``
    (``out_<name>_s``) and so to the manifest. ``warm``: while it waits for the map worker,
    this process imports the map modules itself, so that its next run's workers inherit them
    (a long-running process; a command that ends after one run passes ``False``). ``maps``: a
    :class:`MapWorker` started before the run, which draws the maps instead of a new worker.

    Returns
    -------
    dict
        What was written: ``summary``, ``map`` and ``ap:<id>`` (maps), ``gpkg``, ``csv``,
        ``gpx``, ``geojson``, ``drill`` (folders), ``report``, ``manifest``.
    """
    folder = Path(folder)
    t0 = time.perf_counter()
    timings: Timings = run.timings_s
    written: dict[str, Path] = {"summary": folder / "summary.json"}
    with timed(timings, "out_summary_s"):
        summary = {k: v for k, v in run.summary.items() if k != "runtime_s"}
        write_json(written["summary"], {**summary, "format_version": FORMAT_VERSION})
    # Forked before this process imports its writers: each side imports only what it needs
    # (folium in the worker; pyogrio, gpxpy and jinja here), at the same time.
    waiting = maps.take(run, folder) if maps is not None else None
    with (
        nullcontext(waiting) if waiting is not None
        else forked(partial(_write_pages, run, folder))
    ) as maps_job:  # fmt: skip
        written |= _write_files(run, folder, timings, geojson=geojson)
        if warm and maps_job.running():
            importlib.import_module("evacsim.maps.assembly_maps")  # the next run's, see above
        with timed(timings, "out_wait_worker_s"):
            pages, worker_timings = maps_job.result()
    written |= {key: folder / name for key, name in pages.items()}
    timings |= worker_timings
    timings["out_total_s"] = time.perf_counter() - t0
    written["manifest"] = folder / MANIFEST
    write_json(written["manifest"], manifest(run, folder))
    log.info("run folder written in %.2f s", time.perf_counter() - t0)
    return written


def _write_files(run: Any, folder: Path, timings: Timings, *, geojson: bool) -> dict[str, Path]:
    """Everything but the maps (this process, while the worker draws the maps)."""
    with timed(timings, "out_imports_s"):
        from evacsim.export.files import write_csv_tables, write_geojson, write_gpkg, write_gpx
        from evacsim.export.layers import result_layers
        from evacsim.maps.write import run_map_files
        from evacsim.report.report import write_report

    written: dict[str, Path] = {}
    with timed(timings, "out_tables_s"):  # result layers: shared by gpkg, csv, gpx
        layers = result_layers(run)
    # The drill sheets by a second worker, forked once the team tracks are drawn (it shares
    # them): a district's sheets are as much work as the files written here.
    with forked(partial(_write_sheets, run, folder)) as sheets_job:
        with timed(timings, "out_gpkg_s"):
            written["gpkg"] = write_gpkg(layers, folder / "results.gpkg")
        with timed(timings, "out_csv_s"):
            write_csv_tables(layers, folder / "csv", results=run.results, net=run.prepared.network)
        with timed(timings, "out_gpx_s"):
            write_gpx(layers, folder / "gpx")
        written |= {"csv": folder / "csv", "gpx": folder / "gpx"}
        if geojson:
            with timed(timings, "out_geojson_s"):
                write_geojson(layers, folder / "geojson")
            written["geojson"] = folder / "geojson"
        links = {key: Path(name) for key, name in run_map_files(run).items()}
        with timed(timings, "out_report_s"):
            written["report"] = write_report(run, folder / "report.html", maps=links)
        with timed(timings, "out_wait_sheets_s"):
            sheets, sheet_timings = sheets_job.result()
    timings |= sheet_timings
    return written | {key: folder / name for key, name in sheets.items()}


def _write_sheets(run: Any, folder: Path) -> tuple[dict[str, str], Timings]:
    """The teams' drill sheets and the grid workers' warning sheets (in a forked worker):
    ``({"drill": ..., "warning_sheets": ...} as written, {"out_drill_s": seconds})``."""
    from evacsim.report.drill import write_drill_sheets
    from evacsim.report.warning_sheets import SHEETS_DIR, write_warning_sheets

    timings: Timings = {}
    written: dict[str, str] = {}
    with timed(timings, "out_drill_s"):
        if write_drill_sheets(run, folder):
            written["drill"] = "drill"
        if write_warning_sheets(run, folder):  # one page per grid worker (warning chain)
            written["warning_sheets"] = SHEETS_DIR
    return written, timings


def _write_pages(run: Any, folder: Path) -> tuple[dict[str, str], Timings]:
    """The maps (in the forked worker, about half the outputs' work):
    ``({key: path in folder}, {"out_maps_s": seconds})``."""
    from evacsim.maps.write import write_run_maps

    timings: Timings = {}
    with timed(timings, "out_maps_s"):
        written: dict[str, Path] = write_run_maps(run, folder)
    return {key: Path(p).relative_to(folder).as_posix() for key, p in written.items()}, timings


def _read_layers(gpkg: Path) -> dict[str, gpd.GeoDataFrame]:
    import geopandas as gpd
    import pyogrio

    from evacsim.export.layers import GPKG_LAYERS

    present = {str(row[0]) for row in pyogrio.list_layers(gpkg)}
    return {
        name: gpd.read_file(gpkg, layer=name, engine="pyogrio")
        for name in GPKG_LAYERS
        if name in present
    }


def convert_run_folder(folder: str | Path, fmt: str, out: str | Path) -> list[Path]:
    """Export a saved run's ``results.gpkg`` as ``gpkg``, ``geojson``, ``csv`` or ``gpx``.

    Every file is written beside its destination and renamed into place when complete, so a
    file open in another program is never seen half-written.

    Parameters
    ----------
    folder
        A complete run folder (:func:`evacsim.manifest.require_run_folder`; any format
        version up to this one).
    fmt
        One of :data:`FORMATS`.
    out
        For ``gpkg`` a file (or a folder to hold ``results.gpkg``); otherwise a folder, created
        if needed (one file per layer; GPX: one per assembly point).

    Raises
    ------
    EvacsimError
        Unknown format, ``folder`` is not a complete run, or ``out`` is a file where a folder is
        needed.
    """
    folder, out = Path(folder), Path(out)
    from evacsim.export.files import write_csv_tables, write_geojson, write_gpx

    if fmt not in FORMATS:
        raise EvacsimError(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
    require_run_folder(folder)
    gpkg = folder / "results.gpkg"
    if not gpkg.is_file():
        raise EvacsimError(f"{folder}: not an evacsim run folder (results.gpkg is missing)")
    if fmt == "gpkg":
        dest = out / "results.gpkg" if out.is_dir() or not out.suffix else out
        with atomic_path(dest, what="--out") as tmp:
            shutil.copyfile(gpkg, tmp)
        return [dest]
    if out.exists() and not out.is_dir():
        raise EvacsimError(f"{out}: --out is an existing file; export {fmt} writes a folder")
    layers = _read_layers(gpkg)
    if fmt == "gpx":
        missing = [n for n in ("routes", "waypoints") if n not in layers]
        if missing:
            raise EvacsimError(f"{gpkg}: layer '{missing[0]}' is missing (needed for GPX)")
    # Written whole beside ``out``, then each file renamed in: never seen half-written.
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{out.name}.writing-", dir=out.parent) as work:
        staged = Path(work)
        if fmt == "geojson":
            files = write_geojson(layers, staged)
        elif fmt == "csv":
            files = write_csv_tables(layers, staged)
        else:
            files = write_gpx(layers, staged)
        out.mkdir(exist_ok=True)
        for path in files:
            os.replace(path, out / path.name)
    return [out / path.name for path in files]


def write_run(
    run: Run,
    out: str | Path | RunFolder | None = None,
    *,
    geojson: bool = False,
    warm: bool = True,
    maps: MapWorker | None = None,
) -> Path:
    """Write a finished run's folder: exactly ``out``, else ``runs/<scenario>-<timestamp>/``.

    Everything (summary, maps, report, GeoPackage, CSV, GPX, manifest; GeoJSON when ``geojson``)
    is written by :func:`write_run_folder` into a temporary folder that is moved into place only
    when complete (:mod:`evacsim.export.folder`: an existing ``out`` must be empty or an evacsim
    run, of which only evacsim's files are replaced). ``out`` may also be a folder claimed before
    the run (:func:`evacsim.export.folder.run_folder`); it is then committed when its block ends.
    ``maps``: see :func:`write_run_folder`. Returns the folder.
    """
    if isinstance(out, RunFolder):
        write_run_folder(run, out.tmp, geojson=geojson, warm=warm, maps=maps)
        return out.dest
    with run_folder(out, label=run.prepared.scenario.label()) as claim:
        write_run_folder(run, claim.tmp, geojson=geojson, warm=warm, maps=maps)
    log.info("run written to %s", claim.dest)
    return claim.dest
