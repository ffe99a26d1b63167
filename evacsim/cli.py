"""The ``evacsim`` command line (typer + rich).

Commands: ``run``, ``validate``, ``incident``, ``watch``, ``compare``, ``sweep``, ``export``,
``scenarios``, ``hazard``, ``import-osm`` (``evacsim COMMAND --help`` for each).

Exit codes: 0 success; 2 bad input — a bad file, field, option value, a missing argument, an
unknown option or command, an output path that cannot be used — as one ``error: ...`` line on
stderr, no traceback, no run folder left behind; 1 a bug (with its traceback) or, for ``sweep``,
replications that failed for another reason than bad input (each reported on one line; the
finished ones are kept); 130 / 143 interrupted by SIGINT / SIGTERM (nothing half-written is left).
:func:`main` is the one place that turns errors into exit codes. Progress (a spinner for a run, a
bar for a sweep) goes to stderr, only when stderr is a terminal and ``--quiet`` is not given;
``--quiet`` also silences the library's warnings. ``run`` and ``incident`` keep the core's warning
log lines off the terminal unless ``--verbose`` (:func:`_core_lines`): they are the run's
``warnings``, which the headline counts and the report lists in the run's language. Only this
module configures logging and prints.
"""

from __future__ import annotations

import errno
import faulthandler
import json
import logging
import math
import signal
import sys
import warnings
from contextlib import contextmanager, nullcontext, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from evacsim.errors import EvacsimError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import pandas as pd
    from rich.console import Console

    from evacsim.incident import IncidentReport
    from evacsim.pipeline import Run
    from evacsim.scenario.load import Scenario
    from evacsim.sweep import SweepResult

__all__ = ["app", "main"]

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="evacsim — evacuation planning around hazardous-chemical sites.",
    pretty_exceptions_enable=False,
)

SCENARIOS_DIR = Path(__file__).resolve().parent.parent / "scenarios"
DEFAULT_AREA = Path(__file__).resolve().parent.parent / "maps" / "funiuxi"


def _quiet(value: bool) -> bool:
    """``--quiet``: the library's warnings (logging and Python warnings) are not printed either.

    :func:`main` restores both when the command ends.
    """
    if value:
        logging.getLogger().setLevel(logging.ERROR)
        warnings.simplefilter("ignore")
    return value


Quiet = Annotated[
    bool, typer.Option("--quiet", "-q", help="Print nothing but errors.", callback=_quiet)
]
AsJson = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]
Verbose = Annotated[
    bool,
    typer.Option(
        "--verbose",
        "-v",
        help="Also print the library's warnings as they are logged (in English); without it "
        "the headline counts them and the report lists them in the run's language.",
    ),
]

#: The core stages' loggers (docs/architecture.md): the warnings they log are the run's
#: ``warnings`` (``summary.json``), or said by the headline (a gridlock).
CORE_LOGGERS = tuple(
    f"evacsim.{stage}"
    for stage in ("area", "network", "hazard", "scenario", "demand", "plan", "sim", "results")
)


@contextmanager
def _core_lines(verbose: bool) -> Iterator[None]:
    """While a run or incident runs, the core's warning log lines are not printed (unless
    ``verbose``): they would come raw and in English above a headline in the run's language,
    which counts them and links to the report's translated list. Errors still print; the
    faces' warnings (a run folder kept as it was) too."""
    if verbose:
        yield
        return
    loggers = [logging.getLogger(name) for name in CORE_LOGGERS]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(max(lg.getEffectiveLevel(), logging.ERROR))
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


Lang = Annotated[
    str | None,
    typer.Option(
        "--lang",
        help="Language of the pages, drill sheets and headline: zh or en "
        "(default: the scenario's [output] lang, else the area's area.toml lang, else en).",
    ),
]


def _echo_json(data: Any) -> None:
    from evacsim.export.folder import json_safe

    typer.echo(json.dumps(json_safe(data), indent=2, sort_keys=True, ensure_ascii=False))


def _stderr_console(quiet: bool) -> Console | None:
    """A stderr console for progress, or None when quiet or stderr is not a terminal."""
    if quiet:  # nothing to show: rich is not even imported
        return None
    from rich.console import Console

    console = Console(stderr=True)
    return console if not quiet and console.is_terminal else None


def _status(console: Console | None, text: str) -> Any:
    """A spinner on ``console`` while the block runs (nothing without a console)."""
    return nullcontext() if console is None else console.status(text)


# --------------------------------------------------------------------------- run, validate


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="A scenario TOML file.")],
    out: Annotated[
        Path | None, typer.Option(help="Write the run into exactly this folder.")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Override the scenario's seed.")] = None,
    lang: Lang = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print summary.json to stdout.")] = False,
    timings: Annotated[
        bool,
        typer.Option(
            "--timings",
            help="Print the seconds of each stage (import, load, network, plan, simulate, each "
            "output; also in manifest.json's timings_s).",
        ),
    ] = False,
) -> None:
    """Run a scenario and write its run folder (summary.json, map.html, ...)."""
    from evacsim.export.folder import run_folder
    from evacsim.export.run_folder import MapWorker, write_run
    from evacsim.pipeline import run as run_scenario
    from evacsim.scenario.load import load_scenario
    from evacsim.timing import process_age_s

    import_s = process_age_s()  # the interpreter, evacsim and what this command imports
    sc = _with_lang(load_scenario(scenario), lang)
    sc = sc if seed is None else sc.with_seed(seed)
    console = _stderr_console(quiet or as_json)
    # The folder is claimed before the run: a bad --out fails at once, two runs never share one.
    with (
        run_folder(out, label=sc.label()) as claim,
        _status(console, f"running {scenario.name}"),
        _core_lines(verbose),
        MapWorker() as maps,  # forked once the run is prepared: it warms up while we simulate
    ):
        result = run_scenario(sc, on_prepared=maps.start)
        result.timings_s = {"import_s": import_s, **result.timings_s}
        folder = write_run(result, claim, warm=False, maps=maps)  # the command ends after it
    if as_json:
        _echo_json(result.summary)
    elif not quiet:
        _print_run(result, folder)
    if timings:
        _print_timings(result.timings_s, process_age_s(), err=as_json)


def _print_timings(timings_s: dict[str, float], wall_s: float, *, err: bool) -> None:
    """One line per stage, in the order they ran, then the wall time since the CLI started
    (``err``: on stderr, when stdout carries JSON)."""
    width = max(len(k) for k in timings_s) if timings_s else 0
    for key, seconds in timings_s.items():
        typer.echo(f"  {key:<{width}}  {seconds:7.3f} s", err=err)
    typer.echo(f"  {'wall_s':<{width}}  {wall_s:7.3f} s", err=err)


def _checked_lang(lang: str | None) -> str | None:
    from evacsim.display.i18n import LANGS

    if lang is not None and lang not in LANGS:
        raise EvacsimError(f"--lang {lang!r}: expected one of {', '.join(LANGS)}")
    return lang


def _with_lang(sc: Scenario, lang: str | None) -> Scenario:
    """The scenario with ``[output] lang`` set to ``--lang`` (unchanged without it)."""
    if _checked_lang(lang) is None:
        return sc
    return sc.model_copy(update={"output": sc.output.model_copy(update={"lang": lang})})


def _print_headline(console: Console, result: Run) -> None:
    """The headline (what went wrong first), in the run's language."""
    from evacsim.display.clock import run_clock
    from evacsim.display.headline import headline_items, persons_line
    from evacsim.display.i18n import run_lang, translator
    from evacsim.display.labels import STAGE_LABELS, label
    from evacsim.results.headline import headline

    lang = run_lang(result)
    tr, clock, h = translator(lang), run_clock(result, lang), headline(result)
    console.print("  " + persons_line(h, tr), markup=False)
    marks = {"alert": ("!", "bold red"), "warn": ("•", "yellow"), "ok": ("✓", "green")}
    for item in headline_items(h, tr, clock):
        mark, style = marks.get(item.level, ("•", ""))
        console.print(f"  {mark} {item.text}", style=style, markup=False, highlight=False)
    for stage, values in (result.summary.get("ete_s") or {}).items():
        cells = ", ".join(f"{k} {clock.label(v)}" for k, v in values.items())
        console.print("  " + tr("ETE {stage}: {cells}", stage=label(STAGE_LABELS, stage, tr),
                                cells=cells),
                      markup=False, highlight=False)  # fmt: skip
    start = tr("alert at {start}", start=clock.start_text())
    console.print(f"  {start}", markup=False, highlight=False)


def _print_run(result: Run, folder: Path) -> None:
    from rich.console import Console

    from evacsim.display.i18n import run_lang, translator

    tr = translator(run_lang(result))
    summary = result.summary
    console = Console()
    seed = tr("seed {seed}", seed=summary["seed"])
    console.print(f"{summary['scenario']} ({seed})", style="bold", markup=False, highlight=False)
    _print_headline(console, result)
    for key, path in ((tr.gettext("run folder"), folder),
                      (tr.gettext("map"), (folder / "map.html").resolve()),
                      (tr.gettext("report"), (folder / "report.html").resolve())):  # fmt: skip
        console.print(f"  {key}: {path}", markup=False, highlight=False)


@app.command()
def validate(
    scenarios: Annotated[list[Path], typer.Argument(help="Scenario files to check.")],
) -> None:
    """Check scenario files, their areas and references, without running.

    Every file is checked; each problem is one line on stderr; exit code 2 if any failed.
    """
    from evacsim.scenario.prepare import prepare

    failed = 0
    for path in scenarios:
        try:
            prepared = prepare(path)
        except EvacsimError as exc:
            for problem in getattr(exc, "problems", None) or (str(exc),):  # every one, to fix all
                typer.echo(f"error: {problem}", err=True)
            failed += 1
            continue
        typer.echo(
            f"{path}: ok — area '{prepared.area.name}', {prepared.network.n_edges} road links, "
            f"{len(prepared.area.grids)} grids"
        )
        pieces = prepared.pieces
        if pieces is not None and any(n > 1 for n in pieces.counts.values()):
            counts = ", ".join(f"{name} {n} pieces" for name, n in pieces.counts.items())
            typer.echo(f"  road network: {counts}; {len(pieces.table)} apart from the main one "
                       "hold people or facilities (below)")  # fmt: skip
        for warning in prepared.warnings:
            typer.echo(f"  warning: {warning}")
    if failed:
        raise typer.Exit(2)


# --------------------------------------------------------------------------- incident


@app.command()
def incident(
    source: Annotated[
        str | None, typer.Option(help="Hazard source id, e.g. T-07 or CL-1 (or --alarm).")
    ] = None,
    model: Annotated[
        str, typer.Option(help="radius, pool_fire, bleve, vce or toxic_plume.")
    ] = "radius",
    wind_from: Annotated[float | None, typer.Option(help="Wind FROM, degrees (0 = N).")] = None,
    wind_speed: Annotated[float | None, typer.Option(help="Wind speed at 10 m, m/s.")] = None,
    stability: Annotated[str | None, typer.Option(help="Pasquill class A-F.")] = None,
    night: Annotated[bool, typer.Option("--night", help="Night population and delays.")] = False,
    evacuate: Annotated[str, typer.Option(help="Outermost level to evacuate.")] = "orange",
    param: Annotated[
        list[str] | None, typer.Option("--set", help="A [hazard] key=value (repeatable).")
    ] = None,
    area: Annotated[Path, typer.Option(help="The area folder or GeoPackage.")] = DEFAULT_AREA,
    seed: Annotated[int, typer.Option(help="The run's seed.")] = 0,
    out: Annotated[Path | None, typer.Option(help="Run folder (holds map.html).")] = None,
    save_scenario: Annotated[
        Path | None, typer.Option(help="Also write the scenario as this TOML file.")
    ] = None,
    lang: Lang = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
    as_json: AsJson = False,
    alarm: Annotated[
        Path | None,
        typer.Option(help="An alarm record (JSON): source, hazard, weather and time from it."),
    ] = None,
) -> None:
    """An ad-hoc incident: zones, grids to warn, assembly points, routes, ETE and the map."""
    from evacsim.export.folder import run_folder
    from evacsim.export.run_folder import write_run
    from evacsim.incident import incident_data, run_incident, write_scenario_toml
    from evacsim.scenario.load import parse_overrides

    with _core_lines(verbose):  # the area is read while the incident is made
        if alarm is not None:
            data, source = _alarm_data(alarm, area, seed, _checked_lang(lang), quiet or as_json)
            model = str(data["hazard"]["model"])
        elif source is None:
            raise EvacsimError("evacsim incident: give --source (or --alarm)")
        else:
            data = incident_data(
                source=source, model=model, area=area, wind_from_deg=wind_from,
                wind_speed_m_s=wind_speed, stability=stability, night=night, evacuate=evacuate,
                params=parse_overrides(param), seed=seed,
            )  # fmt: skip
        if _checked_lang(lang) is not None:
            data["output"] = {"lang": lang}
        console = _stderr_console(quiet or as_json)
        label = "incident-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in source)
        with (
            run_folder(out, label=label) as claim,
            _status(console, f"{model} at {source}: running"),
        ):
            report = run_incident(data)
            folder = write_run(report.run, claim, warm=False)  # the command ends after it
    saved = write_scenario_toml(data, save_scenario) if save_scenario else None
    if as_json:
        _echo_json(_incident_json(report, folder, saved))
    elif not quiet:
        _print_incident(report, folder, saved)


def _alarm_data(
    alarm: Path, area: Path, seed: int, lang: str | None, quiet: bool
) -> tuple[dict[str, Any], str]:
    """The incident dict of an alarm file and its source id; the notes go to stderr, in the
    run's language."""
    from evacsim.display.i18n import translator
    from evacsim.display.warnings import warning_text
    from evacsim.incident import alarm_incident_data

    data, notes = alarm_incident_data(alarm, area=area, seed=seed, lang=lang)
    if notes and not quiet:
        tr = translator(data["output"]["lang"])
        for note in notes:
            typer.echo(tr("note: {note}", note=warning_text(note, tr)), err=True)
    return data, str(data["hazard"]["source"])


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in r.items()} for r in df.astype(object).to_dict("records")]


def _incident_json(report: IncidentReport, folder: Path, saved: Path | None) -> dict[str, Any]:
    return {
        "zones": _records(report.zones),
        "grids": _records(report.grids),
        "assembly_points": _records(report.assembly_points),
        "ete_s": report.ete_s,
        "persons": report.run.summary["persons"],
        "run_folder": str(folder),
        "map": str(folder / "map.html"),
        "scenario_file": str(saved) if saved else None,
    }


def _print_incident(report: IncidentReport, folder: Path, saved: Path | None) -> None:
    from rich.console import Console

    from evacsim.display.clock import run_clock
    from evacsim.display.i18n import run_lang, translator
    from evacsim.display.labels import LEVEL_LABELS, label, level_text

    lang = run_lang(report.run)
    tr, clock = translator(lang), run_clock(report.run, lang)
    console = Console()
    title = tr("Threat zones — {model}", model=report.run.prepared.zones.model)
    zone_cols = {"level": tr.gettext("level"), "threshold": tr.gettext("threshold"),
                 "unit": tr.gettext("unit"), "distance_m": tr.gettext("distance, m"),
                 "label": tr.gettext("meaning")}  # fmt: skip
    zones = report.zones.assign(
        level=[label(LEVEL_LABELS, v, tr) for v in report.zones["level"]],
        label=[level_text(v, tr) for v in report.zones["label"]],
    )
    console.print(_table(zones, title=title, columns=zone_cols, none=tr.gettext("none")))
    grid_cols = {"grid_id": tr.gettext("grid"), "community": tr.gettext("community"),
                 "group": tr.gettext("group"), "level": tr.gettext("level"),
                 "action": tr.gettext("action"), "population": tr.gettext("population"),
                 "persons_evacuating": tr.gettext("evacuating"),
                 "needs_assistance": tr.gettext("need help"),
                 "assembly_point": tr.gettext("assembly point"),
                 # with the warning chain (an alarm's incident): who warns the grid, and when
                 "workers": tr.gettext("grid workers"),
                 "t_order_s": tr.gettext("order reaches the grid"),
                 "t_last_warned_s": tr.gettext("last warned")}  # fmt: skip
    grids = report.grids
    if len(grids):
        actions = {"evacuate": tr.gettext("evacuate"), "warn": tr.gettext("warn")}
        grids = grids.assign(level=[label(LEVEL_LABELS, v, tr) for v in grids["level"]],
                             action=[actions.get(a, a) for a in grids["action"]])  # fmt: skip
        for col in ("t_order_s", "t_last_warned_s"):
            if col in grids:
                grids[col] = [clock.label(t) for t in grids[col]]
    console.print(_table(grids, title=tr.gettext("Grids to warn"), columns=grid_cols,
                         none=tr.gettext("none")))  # fmt: skip
    for rec in report.grids.to_dict("records"):
        if rec["route"]:
            console.print(f"  {rec['grid_id']} → {rec['assembly_point']} "
                          f"({rec['route_length_m'] / 1000:.1f} km): {rec['route']}",
                          markup=False)  # fmt: skip
    ap_cols = {"id": tr.gettext("id"), "name": tr.gettext("name"),
               "arrivals": tr.gettext("arrivals"), "peak": tr.gettext("peak"),
               "capacity": tr.gettext("capacity")}  # fmt: skip
    console.print(_table(report.assembly_points, title=tr.gettext("Assembly points"),
                         columns=ap_cols, none=tr.gettext("none")))  # fmt: skip
    console.print(tr.gettext("Headline"), style="bold", markup=False, highlight=False)
    _print_headline(console, report.run)
    map_, written = tr.gettext("map"), tr.gettext("scenario written")
    console.print(f"{map_}: {folder / 'map.html'}", markup=False, highlight=False)
    if saved is not None:
        console.print(f"{written}: {saved}", markup=False, highlight=False)


def _table(
    df: pd.DataFrame,
    *,
    title: str,
    columns: tuple[str, ...] | dict[str, str],
    none: str = "none",
) -> Any:
    """A rich table of ``columns`` (a dict gives each column its heading)."""
    from rich.table import Table

    table = Table(title=title)
    headings = columns if isinstance(columns, dict) else {c: c.replace("_", " ") for c in columns}
    present = [c for c in headings if c in df.columns]
    for column in present:
        table.add_column(headings[column])
    for rec in df.to_dict("records"):
        table.add_row(*[_cell(rec[c]) for c in present])
    if df.empty:
        table.caption = none
    return table


def _cell(value: Any) -> str:
    from rich.markup import escape

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float):
        return f"{value:.1f}" if not value.is_integer() else f"{value:.0f}"
    return escape(str(value))


# --------------------------------------------------------------------------- watch


@app.command()
def watch(
    folder: Annotated[Path, typer.Argument(help="The folder where alarm files (*.json) appear.")],
    out: Annotated[
        Path | None, typer.Option(help="Run folders and watch.log (default: FOLDER/runs).")
    ] = None,
    area: Annotated[Path, typer.Option(help="The area folder or GeoPackage.")] = DEFAULT_AREA,
    interval: Annotated[float, typer.Option(help="Seconds between polls.", min=0.1)] = 2.0,
    once: Annotated[bool, typer.Option("--once", help="Answer the files there now, exit.")] = False,
    seed: Annotated[int, typer.Option(help="The runs' seed.")] = 0,
    lang: Lang = None,
) -> None:
    """Watch a folder: answer each alarm file with an incident run folder and one log line."""
    from evacsim.display.i18n import resolve_lang, translator
    from evacsim.watch import area_lang
    from evacsim.watch import watch as do_watch

    lang = resolve_lang(_checked_lang(lang), area_lang(area))
    try:
        do_watch(folder, area=area, out=out, interval_s=interval, once=once, seed=seed,
                 lang=lang, on_line=typer.echo)  # fmt: skip
    except KeyboardInterrupt:
        typer.echo(translator(lang).gettext("watch stopped"), err=True)


# --------------------------------------------------------------------------- compare


@app.command()
def compare(
    items: Annotated[list[Path], typer.Argument(help="Run folders and/or scenario files.")],
    out: Annotated[Path, typer.Option(help="The HTML page to write.")] = Path("compare.html"),
    seed: Annotated[int | None, typer.Option(help="Seed for the scenarios run here.")] = None,
    lang: Lang = None,
    quiet: Quiet = False,
    as_json: AsJson = False,
) -> None:
    """Compare runs side by side: ETE table with differences, curves, bottlenecks (HTML)."""
    from evacsim.report.compare import compare as do_compare

    lang = _checked_lang(lang)
    console = _stderr_console(quiet or as_json)
    if console is not None:
        with console.status(f"comparing {len(items)} runs ..."):
            result = do_compare(items, out=out, seed=seed, lang=lang)
    else:
        result = do_compare(items, out=out, seed=seed, lang=lang)
    if as_json:
        _echo_json({"table": _records(result.table), "bottlenecks": result.changes,
                    "html": str(result.html_path)})  # fmt: skip
        return
    if quiet:
        return
    from rich.console import Console

    console_out = Console()
    cols = tuple(str(c) for c in result.table.columns)
    console_out.print(_table(result.table, title="Comparison (times in minutes)", columns=cols))
    for label, change in result.changes.items():
        if change is None:
            console_out.print(f"{label}: bottlenecks not known (no links table)", markup=False)
            continue
        for kind in ("appear", "vanish"):
            console_out.print(f"{label}: bottlenecks that {kind}: "
                              f"{', '.join(change[kind]) or 'none'}", markup=False)  # fmt: skip
    console_out.print(f"page: {result.html_path}", markup=False)


# --------------------------------------------------------------------------- sweep


@app.command()
def sweep(
    scenario: Annotated[Path, typer.Argument(help="A scenario TOML file.")],
    replications: Annotated[int, typer.Option("--replications", "-n", help="Runs per point.")],
    grid: Annotated[
        list[str] | None,
        typer.Option("--set", help="A dotted scenario key and its values: key=v1,v2 (repeatable)."),
    ] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes.")] = None,
    dask: Annotated[
        str | None, typer.Option(help="'local' or a Dask scheduler address (tcp://host:8786).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Folder for runs.csv and table.csv.")] = None,
    quiet: Quiet = False,
    as_json: AsJson = False,
) -> None:
    """Replications (seeds from SeedSequence) over a parameter grid, with mean and 95 % CI."""
    from evacsim.scenario.load import load_scenario
    from evacsim.sweep import make_executor, parse_grid
    from evacsim.sweep import sweep as do_sweep

    if out is not None and out.exists() and not out.is_dir():
        raise EvacsimError(f"{out}: --out is an existing file; sweep writes a folder")
    sc = load_scenario(scenario)
    points = parse_grid(grid)
    if dask is not None:
        _quiet_dask()
    with make_executor(workers=workers, dask=dask) as executor, _bar(quiet or as_json) as tick:
        result = do_sweep(sc, replications=replications, grid=points, executor=executor,
                          progress=tick)  # fmt: skip
    if out is not None:
        _write_sweep(result, out)
    if as_json:
        _echo_json({"runs": _records(result.runs), "table": _records(result.table),
                    "failures": [f.__dict__ for f in result.failures]})  # fmt: skip
    elif not quiet:
        _print_sweep(result, out)
    for failure in result.failures:
        typer.echo(f"error: {failure.line()}", err=True)
    if result.failures:
        raise typer.Exit(2 if all(f.input_error for f in result.failures) else 1)


def _quiet_dask() -> None:
    """Keep dask.distributed's INFO chatter (it sets its loggers' levels on import) off stderr."""
    try:
        import distributed  # noqa: F401  (importing applies dask's logging config first)
    except ImportError:
        return  # make_executor says how to install it
    for name in ("distributed", "distributed.http.proxy"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _bar(quiet: bool) -> Any:
    """A context manager yielding ``tick(done, total)`` (a rich bar on a terminal)."""
    from contextlib import contextmanager

    @contextmanager
    def bar() -> Iterator[Callable[[int, int], None] | None]:
        console = _stderr_console(quiet)
        if console is None:
            yield None
            return
        from rich.progress import Progress

        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("replications", total=None)

            def tick(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            yield tick

    return bar()


def _write_sweep(result: SweepResult, out: Path) -> None:
    from evacsim.atomic import atomic_path

    for name, table in (("runs.csv", result.runs), ("table.csv", result.table)):
        with atomic_path(out / name) as tmp:
            table.to_csv(tmp, index=False)


def _print_sweep(result: SweepResult, out: Path | None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Sweep: {len(result.runs)} runs (ETE in minutes, mean and 95 % CI)")
    for key in (*result.keys, "metric", "n", "mean", "95 % CI"):
        table.add_column(key)
    ete = result.table[result.table["metric"].str.startswith("ete_")]
    for rec in ete.to_dict("records"):
        point = [_cell(rec[k]) for k in result.keys]
        mean, lo, hi = (rec[c] / 60.0 for c in ("mean", "ci95_low", "ci95_high"))
        ci = "—" if math.isnan(lo) else f"{lo:.1f} – {hi:.1f}"
        metric = str(rec["metric"]).removesuffix("_s").replace("_", " ")
        table.add_row(*point, metric, str(rec["n"]), _cell(mean), ci)
    console = Console()
    console.print(table)
    if out is not None:
        console.print(f"tables: {out / 'runs.csv'}, {out / 'table.csv'}", markup=False)


# --------------------------------------------------------------------------- bound, optimize


@app.command()
def bound(
    scenario: Annotated[Path, typer.Argument(help="A scenario TOML file.")],
    seed: Annotated[int | None, typer.Option(help="Override the scenario's seed.")] = None,
    step: Annotated[
        float | None, typer.Option("--step-s", help="Force the time step Δ (s) for every mode.")
    ] = None,
    lang: Lang = None,
    as_json: AsJson = False,
) -> None:
    """The lower bound on clearance time: no plan can clear the scenario sooner."""
    from evacsim.optimize.bound import clearance_bound
    from evacsim.scenario.prepare import prepare

    lang = _checked_lang(lang)
    if step is not None and not step > 0:
        raise EvacsimError(f"--step-s: must be > 0 (got {step})")
    prepared = prepare(scenario)
    result = clearance_bound(prepared, seed=seed, step_s=step)
    if as_json:
        _echo_json(
            result.to_summary()
            | {"components": result.components, "runtime_s": round(result.runtime_s, 3)}
        )
        return
    _print_bound(prepared, result, prepared.scenario.seed if seed is None else seed, lang)


def _print_bound(prepared: Any, result: Any, seed: int, lang: str | None) -> None:
    """The bound in words, clock times with T+ beside them, in the scenario's language."""
    from rich.console import Console

    from evacsim.display.clock import run_clock
    from evacsim.display.format import number
    from evacsim.display.i18n import run_lang, translator
    from evacsim.display.optimizer import component_words

    lang = run_lang(prepared, lang)
    tr, clock = translator(lang), run_clock(prepared, lang)
    console = Console()
    line = f"{prepared.scenario.name} ({tr('seed {seed}', seed=seed)})"
    console.print(line, style="bold", markup=False, highlight=False)
    lines = [tr("no plan brings everyone to an assembly point before {time}",
                time=clock.label(result.assembly_s))]  # fmt: skip
    if result.shelter_by_car_s is not None:
        lines.append(tr("no car that drives on reaches a shelter before {time}",
                        time=clock.label(result.shelter_by_car_s)))  # fmt: skip
    if result.unreachable_persons:
        lines.append(tr("{n} persons can reach no usable assembly point",
                        n=number(result.unreachable_persons)))  # fmt: skip
    for text in lines:
        console.print(f"  {text}", markup=False, highlight=False)
    parts = _frame([
        {**component_words(c, tr), "persons": number(c["persons"]),
         "bound": clock.label(c["bound_s"]), "step": f"{c['step_s']:g}"}
        for c in result.components
    ])  # fmt: skip
    columns = {"stage": tr.gettext("stage"), "mode": tr.gettext("mode"),
               "levels": tr.gettext("persons from"), "persons": tr.gettext("persons"),
               "bound": tr.gettext("bound"), "step": tr.gettext("time step Δ (s)")}  # fmt: skip
    title = tr("Parts of the bound (computed in {s} s)", s=format(result.runtime_s, ".1f"))
    console.print(_table(parts, title=title, columns=columns, none=tr.gettext("none")))


def _finite_or_none(value_s: float) -> float | None:
    return value_s if math.isfinite(value_s) else None


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(rows)


@app.command()
def optimize(
    scenario: Annotated[Path, typer.Argument(help="A scenario TOML file.")],
    out: Annotated[
        Path | None, typer.Option(help="Write the plan, scenario and page into this folder.")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Override the scenario's seed.")] = None,
    max_simulations: Annotated[
        int, typer.Option(help="Simulations the search may use (each proves one plan).")
    ] = 24,
    lang: Lang = None,
    quiet: Quiet = False,
    as_json: AsJson = False,
    verbose: Verbose = False,
) -> None:
    """An optimized plan (assembly points, routes, delays) proved by simulation, with the bound."""
    from evacsim.export.optimized import optimized_summary, write_optimized
    from evacsim.optimize.search import optimize as do_optimize

    lang = _checked_lang(lang)
    if max_simulations < 4:
        raise EvacsimError(f"--max-simulations: at least 4 (got {max_simulations})")
    console = _stderr_console(quiet or as_json)
    with (
        _status(console, f"optimizing {scenario.name} ..."),
        _core_lines(verbose),
    ):  # each plan tried would log the scenario's warnings again
        result = do_optimize(scenario, seed=seed, max_simulations=max_simulations)
        written = write_optimized(result, out, lang=lang)
    if as_json:
        _echo_json(
            optimized_summary(result)
            | {"folder": str(written.folder), "scenario_file": str(written.scenario_file)}
        )
        return
    if not quiet:
        _print_optimized(result, written, lang)


def _print_optimized(result: Any, written: Any, lang: str | None) -> None:
    """Both plans' ETE and the bound (clock times with T+), the optimizer's notes, the files."""
    from rich.console import Console

    from evacsim.display.clock import run_clock
    from evacsim.display.i18n import run_lang, translator
    from evacsim.display.optimizer import note_text

    lang = run_lang(result, lang)
    tr, clock = translator(lang), run_clock(result, lang)
    rows = []
    for name, cand in ((tr.gettext("scenario's plan"), result.official),
                       (tr.gettext("optimized"), result.best)):  # fmt: skip
        ete = cand.summary["ete_s"]
        rows.append({"plan": name, **{f"a{k}": clock.label(v) for k, v in ete["assembly"].items()},
                     "last": clock.label(_finite_or_none(cand.objective.last_s)),
                     "cut": str(cand.objective.missing),
                     "s": clock.label(ete["shelter"]["p100"])})  # fmt: skip
    rows.append({"plan": tr.gettext("bound"), "ap100": clock.label(result.bound.assembly_s),
                 "last": clock.label(result.bound.assembly_s),
                 "cut": str(result.bound.unreachable_persons),
                 "s": clock.label(result.bound.shelter_by_car_s)})  # fmt: skip
    columns = {"plan": tr.gettext("plan"),
               **{f"ap{p}": tr("assembly p{p}", p=p) for p in (50, 90, 95, 100)},
               "last": tr.gettext("last of those who arrive"),
               "cut": tr.gettext("persons who reach no assembly point"),
               "s": tr.gettext("shelter p100")}  # fmt: skip
    if not (result.official.objective.missing or result.best.objective.missing):
        columns = {k: v for k, v in columns.items() if k not in ("last", "cut")}
    title = f"{result.prepared.scenario.name} ({tr('seed {seed}', seed=result.seed)})"
    console = Console()
    console.print(_table(_frame(rows), title=title, columns=columns))
    for note in result.notes:
        console.print(f"  {note_text(note, tr)}", markup=False, highlight=False)
    for key, path in ((tr.gettext("plan file"), written.plan_file),
                      (tr.gettext("scenario"), written.scenario_file),
                      (tr.gettext("page"), written.page.resolve())):  # fmt: skip
        console.print(f"  {key}: {path}", markup=False, highlight=False)


# --------------------------------------------------------------------------- export, scenarios


@app.command()
def export(
    run_folder: Annotated[Path, typer.Argument(metavar="RUN", help="A run folder.")],
    fmt: Annotated[str, typer.Option("--format", help="gpkg, geojson, csv or gpx.")],
    out: Annotated[
        Path | None, typer.Option(help="Where to write (default: RUN/export-FORMAT).")
    ] = None,
) -> None:
    """Convert a run folder's results to GeoPackage, GeoJSON, CSV or GPX."""
    try:
        from evacsim.export.run_folder import convert_run_folder
    except ImportError:
        raise EvacsimError("export: evacsim.export is not available in this build") from None
    written = convert_run_folder(run_folder, fmt, out or run_folder / f"export-{fmt}")
    for path in written:
        typer.echo(f"written: {path}")


@app.command()
def scenarios() -> None:
    """List the bundled scenarios, one line each."""
    from evacsim.scenario.load import load_scenario

    for path in sorted(SCENARIOS_DIR.glob("*.toml")):
        scenario = load_scenario(path)
        typer.echo(f"{path.relative_to(SCENARIOS_DIR.parent)}: {scenario.name}")


@app.command("import-osm")
def import_osm(
    source: Annotated[Path, typer.Argument(help="An .osm, .osm.bz2 or OSMnx .graphml file.")],
    out: Annotated[Path, typer.Option(help="Folder to write roads.geojson into.")],
) -> None:
    """Convert an OpenStreetMap extract into an evacsim roads layer."""
    from evacsim.area.osm import roads_from_osm, write_roads_geojson

    roads = roads_from_osm(source)
    path = write_roads_geojson(roads, out)
    typer.echo(f"{path}: {len(roads)} road segments")


@app.command()
def hazard(
    model: Annotated[str, typer.Option(help="radius, pool_fire, bleve, vce or toxic_plume.")],
    param: Annotated[
        list[str] | None,
        typer.Option("--set", help="A hazard parameter, key=value (repeatable)."),
    ] = None,
    wind_from: Annotated[float | None, typer.Option(help="Wind direction (from), degrees.")] = None,
    wind_speed: Annotated[float | None, typer.Option(help="Wind speed, m/s.")] = None,
    stability: Annotated[str | None, typer.Option(help="Pasquill class A-F.")] = None,
    area: Annotated[
        Path, typer.Option(help="Area whose hazard_sources give --set source=ID.")
    ] = DEFAULT_AREA,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """How far? Threat distances per level for one hazard, without an evacuation."""
    from evacsim.hazard.build import calculate
    from evacsim.hazard.spec import HazardSpec, WeatherSpec
    from evacsim.scenario.load import parse_overrides

    spec_data: dict[str, Any] = {"model": model, **parse_overrides(param)}
    sources = None
    if "source" in spec_data:
        from evacsim.area.layers import load_area

        sources = load_area(area).hazard_sources
    else:
        spec_data.setdefault("at", [0.0, 0.0])
    weather_data = {
        k: v
        for k, v in (
            ("wind_from_deg", wind_from),
            ("wind_speed_m_s", wind_speed),
            ("stability", stability),
        )
        if v is not None
    }
    spec = _validated(HazardSpec, spec_data, "hazard")
    weather = _validated(WeatherSpec, weather_data, "weather")
    result = calculate(spec, weather, hazard_sources=sources)
    if as_json:
        _echo_json(result)
        return
    _print_hazard(result)


def _print_hazard(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    source = result.get("source")
    table = Table(
        title=f"{result['model']} — {source if source not in (None, 'at') else 'a point'}"
    )
    for column in ("level", "threshold", "distance", "label"):
        table.add_column(column)
    for name, level in result["levels"].items():
        table.add_row(name, *_hazard_cells(level), level["label"])
    console = Console()
    console.print(table)
    for key, value in result.get("outputs", {}).items():
        console.print(f"  {key}: {_output_text(value)}")
    for warning in result.get("warnings", []):
        console.print(f"  warning: {warning}")


def _output_text(value: Any) -> str:
    """A model output of ``evacsim hazard``: a number whole from 1,000 up, else to 4
    significant digits; a model's outputs (``hazard.worst_case``) as ``name value`` pairs."""
    if isinstance(value, dict):
        return ", ".join(f"{k} {_output_text(v)}" for k, v in value.items())
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    return str(value)


def _hazard_cells(level: dict[str, Any]) -> tuple[str, str]:
    """The threshold and distance cells of one level of ``evacsim hazard``: with
    ``hazard.worst_case``, each model's threshold and distance, the farthest first."""
    distance = f"{level['distance_m']:.0f} m"
    by_model = level.get("by_model")
    if by_model:
        each = ", ".join(f"{m} {b['distance_m']:.0f} m" for m, b in by_model.items())
        threshold = " | ".join(f"{b['threshold']:g} {b['unit']} ({m})" for m, b in by_model.items())
        return threshold, f"{distance} ({each})"
    if level.get("max_width_m") is not None:
        distance += f" (width {level['max_width_m']:.0f} m)"
    return f"{level['threshold']:g} {level['unit']}", distance


def _validated(model: Any, data: dict[str, Any], where: str) -> Any:
    from pydantic import ValidationError

    from evacsim.scenario.load import validation_message

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise EvacsimError(validation_message(f"--{where}", exc, prefix=where)) from None


# --------------------------------------------------------------------------- the error boundary

#: errno of an OSError about a path the user gave (cannot read, cannot write there): bad input.
_PATH_ERRNOS = frozenset(
    getattr(errno, name)
    for name in ("ENOENT", "EACCES", "EPERM", "EISDIR", "ENOTDIR", "EEXIST", "ENOTEMPTY",
                 "EROFS", "ENAMETOOLONG", "ELOOP", "ENOSPC", "EDQUOT")
    if hasattr(errno, name)
)  # fmt: skip


def _usage_errors() -> tuple[type[Exception], ...]:
    """typer's usage errors: its own (typer vendors click since 0.2x) and click's (older typer)."""
    found: list[type[Exception]] = []
    if hasattr(typer, "TyperException"):
        found.append(typer.TyperException)
    try:
        import click
    except ImportError:  # pragma: no cover - typer without click
        pass
    else:
        found.append(click.ClickException)
    return tuple(found)


class _Terminated(SystemExit):
    """SIGTERM, raised where the program is so that partial outputs are removed on the way out."""


def _terminate(signum: int, frame: object) -> None:
    raise _Terminated(128 + signum)


def _signal_behind(exc: BaseException) -> int | None:
    """The exit code of a SIGTERM (143) or SIGINT (130) that ``exc`` stands for: an extension
    module whose initialisation is cut by the signal's exception raises ``ImportError:
    initialization failed`` from it (pybind11's modules, scipy's HiGHS among them)."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, _Terminated):
            return 143
        if isinstance(cause, KeyboardInterrupt):
            return 130
        cause = cause.__cause__ or cause.__context__
    return None


def _error(text: str) -> int:
    typer.echo(f"error: {' '.join(text.split())}", err=True)
    return 2


def _usage_line(exc: Exception) -> str:
    """A usage error as one line: the command, click's message and where to look for help."""
    format_message = getattr(exc, "format_message", None)
    message = format_message() if callable(format_message) else str(exc)
    ctx = getattr(exc, "ctx", None)
    if ctx is None:
        return str(message)
    return f"{ctx.command_path}: {message} (see '{ctx.command_path} --help')"


def _invoke(argv: list[str] | None) -> int:
    try:
        # Without standalone mode, click returns the code of a ``typer.Exit`` instead of raising.
        code = app(args=argv, prog_name="evacsim", standalone_mode=False)
    except EvacsimError as exc:
        return _error(str(exc))
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        return 1
    except _Terminated as exc:
        return _interrupted(int(exc.code) if isinstance(exc.code, int) else 143)
    except ImportError as exc:  # a signal that came inside a compiled module's initialisation
        signalled = _signal_behind(exc)
        if signalled is None:
            raise
        return _interrupted(signalled)
    except OSError as exc:
        if exc.errno not in _PATH_ERRNOS or exc.filename is None:
            raise
        return _error(f"{exc.filename}: {exc.strerror}")
    except _usage_errors() as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare ``evacsim``: the help, as click does
            exc.show()  # type: ignore[attr-defined]
            return 2
        return _error(_usage_line(exc))
    if code == 130:  # typer turns KeyboardInterrupt (SIGINT) into exit code 130
        return _interrupted(code)
    return code if isinstance(code, int) else 0


def _interrupted(code: int) -> int:
    """Say that a signal interrupted the command (143: SIGTERM, else SIGINT); return ``code``."""
    typer.echo("interrupted (SIGTERM)" if code == 143 else "interrupted", err=True)
    return code


def main(argv: list[str] | None = None) -> None:
    """Entry point, and the command line's one error boundary.

    Bad input of any kind — an :class:`~evacsim.errors.EvacsimError`, a usage error (a bad option
    value, a missing argument, an unknown option or command), a path the system refuses — prints
    one ``error: ...`` line on stderr and exits with 2. SIGINT and SIGTERM unwind (partial outputs
    are removed) and exit with 130 / 143. Anything else is a bug: its traceback and exit code 1;
    faulthandler is on, so even a crash in compiled code prints where Python was.
    """
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if not faulthandler.is_enabled():
        with suppress(AttributeError, ValueError, OSError):  # stderr without a file descriptor
            faulthandler.enable()
    root_level = logging.getLogger().level
    try:
        previous = signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread: leave signals alone
        previous = None
    try:
        with warnings.catch_warnings():  # --quiet's filter ends with the command
            code = _invoke(argv)
    finally:
        logging.getLogger().setLevel(root_level)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    if argv is None:  # the command line itself, not a caller in Python
        _exit_process(code)
    sys.exit(code)


def _exit_process(code: int) -> None:
    """End the command's process without tearing down its objects one by one.

    A run leaves hundreds of megabytes of small objects (frames, graphs, results); freeing them
    at interpreter shutdown takes about half a second and helps nobody. The exit handlers still
    run (logging flushed, workers joined) and the output is flushed; only then does the process
    end. Skipped while another thread runs: a normal exit waits for it.
    """
    import atexit
    import os
    import threading

    if threading.active_count() > 1:
        return
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError, AttributeError):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover - python -m evacsim.cli
    main()
