"""The ``evacsim`` command line (typer + rich).

Exit codes: 0 success, 2 bad input (one line on stderr naming the file and field), 1 a bug (with
its traceback). Only this module configures logging and prints.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from evacsim.errors import EvacsimError

__all__ = ["app", "main"]

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="evacsim — evacuation planning around hazardous-chemical sites.",
    pretty_exceptions_enable=False,
)

SCENARIOS_DIR = Path(__file__).resolve().parent.parent / "scenarios"
DEFAULT_AREA = Path(__file__).resolve().parent.parent / "maps" / "funiuxi"


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False))


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="A scenario TOML file.")],
    out: Annotated[Path | None, typer.Option(help="Write the run into exactly this folder.")] = None,
    seed: Annotated[int | None, typer.Option(help="Override the scenario's seed.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print summary.json to stdout.")] = False,
) -> None:
    """Run a scenario and write its run folder (summary.json, map.html, ...)."""
    from evacsim.pipeline import run as run_scenario

    result = run_scenario(scenario, seed=seed)
    folder = result.save(out)
    if as_json:
        _echo_json(result.summary)
    elif not quiet:
        _print_run(result.summary, folder)


def _print_run(summary: dict[str, Any], folder: Path) -> None:
    from rich.console import Console

    console = Console()
    persons = summary["persons"]
    console.print(f"[bold]{summary['scenario']}[/bold] (seed {summary['seed']})")
    console.print(
        f"  persons: {summary['persons_total']} in all — "
        + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in persons.items())
    )
    ete = summary.get("ete_s", {})
    for stage in ("assembly", "shelter"):
        values = ete.get(stage)
        if values:
            cells = ", ".join(
                f"{k} {'—' if v is None else f'{v / 60:.1f} min'}" for k, v in values.items()
            )
            console.print(f"  ETE to {stage}: {cells}")
    console.print(f"  run folder: {folder}")
    console.print(f"  map: {folder / 'map.html'}")


@app.command()
def validate(
    scenarios: Annotated[list[Path], typer.Argument(help="Scenario files to check.")],
) -> None:
    """Check scenario files, their areas and references, without running."""
    from evacsim.pipeline import prepare

    for path in scenarios:
        prepared = prepare(path)
        typer.echo(
            f"{path}: ok — area '{prepared.area.name}', {prepared.network.n_edges} road links, "
            f"{len(prepared.area.grids)} grids"
        )
        for warning in prepared.warnings:
            typer.echo(f"  warning: {warning}")


@app.command("import-osm")
def import_osm(
    source: Annotated[Path, typer.Argument(help="An .osm, .osm.bz2 or OSMnx .graphml file.")],
    out: Annotated[Path, typer.Option(help="Folder to write roads.geojson into.")],
) -> None:
    """Convert an OpenStreetMap extract into an evacsim roads layer."""
    from evacsim.osm import roads_from_osm, write_roads_geojson

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
    from evacsim.hazard import HazardSpec, WeatherSpec, calculate
    from evacsim.scenario import parse_overrides

    spec_data: dict[str, Any] = {"model": model, **parse_overrides(param)}
    sources = None
    if "source" in spec_data:
        from evacsim.area import load_area

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
    table = Table(title=f"{result['model']} — {source if source not in (None, 'at') else 'a point'}")
    for column in ("level", "threshold", "distance", "label"):
        table.add_column(column)
    for name, level in result["levels"].items():
        distance = f"{level['distance_m']:.0f} m"
        if level.get("max_width_m") is not None:
            distance += f" (width {level['max_width_m']:.0f} m)"
        table.add_row(name, f"{level['threshold']:g} {level['unit']}", distance, level["label"])
    console = Console()
    console.print(table)
    for key, value in result.get("outputs", {}).items():
        console.print(f"  {key}: {value}")
    for warning in result.get("warnings", []):
        console.print(f"  warning: {warning}")


def _validated(model: Any, data: dict[str, Any], where: str) -> Any:
    from pydantic import ValidationError

    from evacsim.scenario import validation_message

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise EvacsimError(validation_message(f"--{where}", exc, prefix=where)) from None


@app.command()
def scenarios() -> None:
    """List the bundled scenarios, one line each."""
    from evacsim.scenario import load_scenario

    for path in sorted(SCENARIOS_DIR.glob("*.toml")):
        scenario = load_scenario(path)
        typer.echo(f"{path.name}: {scenario.name}")


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app, turning input errors into one line and exit code 2."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app(args=argv, standalone_mode=False)
    except EvacsimError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(1)
    except Exception as exc:
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(2)
        raise
    sys.exit(0)
