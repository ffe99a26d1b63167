"""Scenario files: TOML validated with pydantic.

A scenario names an area, a hazard, the weather, the population period, how people leave and where
they go. Unknown keys are rejected; every error is one line naming the file and the field path,
e.g. ``scenarios/x.toml: field 'departure.warning.sigma': Input should be greater than 0``.
The full format is documented in ``scenarios/README.md``.
"""

from __future__ import annotations

import hashlib
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from pydantic import AwareDatetime, Field, TypeAdapter, ValidationError

from evacsim.errors import ScenarioError
from evacsim.hazard.spec import HazardSpec, WeatherSpec
from evacsim.scenario.sections import (
    DEFAULT_START,
    DepartureSpec,
    EvacuationSpec,
    OutputSpec,
    PopulationSpec,
    Section,
    SimulationSpec,
    TransportSpec,
)
from evacsim.scenario.supplies import SuppliesSpec
from evacsim.scenario.teams import TeamsSpec
from evacsim.scenario.warning import WarningSpec

__all__ = [
    "Scenario",
    "load_scenario",
    "parse_overrides",
    "scenario_from_dict",
    "validation_message",
]


#: A run's seed: what ``numpy.random.default_rng`` and ``SeedSequence`` accept, below 2**63.
Seed = Annotated[int, Field(ge=0, lt=2**63)]


class Scenario(Section):
    """A whole scenario. ``path`` and ``area_path`` are filled in by :func:`load_scenario`.

    ``start_time`` (optional, a date-time with its UTC offset) is the clock time of t = 0 (the
    alarm's time for a scenario made from an alarm); times stay seconds since then.
    """

    name: str = Field(min_length=1)
    description: str = ""
    seed: Seed = 0
    area: str = Field(min_length=1)
    start: AwareDatetime | None = None
    hazard: HazardSpec
    weather: WeatherSpec = Field(default_factory=WeatherSpec)
    population: PopulationSpec = Field(default_factory=PopulationSpec)
    departure: DepartureSpec = Field(default_factory=DepartureSpec)
    evacuation: EvacuationSpec = Field(default_factory=EvacuationSpec)
    transport: TransportSpec = Field(default_factory=TransportSpec)
    simulation: SimulationSpec = Field(default_factory=SimulationSpec)
    teams: TeamsSpec = Field(default_factory=TeamsSpec)
    supplies: SuppliesSpec = Field(default_factory=SuppliesSpec)
    warning: WarningSpec = Field(default_factory=WarningSpec)
    output: OutputSpec = Field(default_factory=OutputSpec)

    path: Path | None = Field(default=None, exclude=True)
    area_path: Path | None = Field(default=None, exclude=True)
    sha256: str = Field(default="", exclude=True)

    def label(self) -> str:
        """A short, filesystem-safe name: the file stem, else the name."""
        raw = self.path.stem if self.path else self.name
        return "".join(c if c.isalnum() or c in "-_" else "-" for c in raw).strip("-") or "run"

    def resolve(self, value: str) -> Path:
        """A path given in the file (e.g. ``evacuation.plan_file``), relative to its folder."""
        raw = Path(value)
        base = self.path.parent if self.path is not None else Path.cwd()
        return raw if raw.is_absolute() else (base / raw).resolve()

    def start_time(self) -> datetime:
        """When the incident starts (t = 0): ``start``, else the period's :data:`DEFAULT_START`."""
        return self.start if self.start is not None else DEFAULT_START[self.population.period]

    def with_seed(self, seed: int) -> Scenario:
        """The same scenario with another seed, checked like the file's ``seed``.

        Raises
        ------
        ScenarioError
            ``seed`` is not an integer in [0, 2**63) (named ``--seed``, where it comes from).
        """
        try:
            checked = _SEED.validate_python(seed, strict=True)
        except ValidationError as exc:
            raise ScenarioError(f"--seed {seed!r}: {exc.errors()[0]['msg']}") from None
        return self.model_copy(update={"seed": checked})


_SEED = TypeAdapter(Seed)


def _field_path(loc: tuple[int | str, ...]) -> str:
    # Drop pydantic's discriminator tags (e.g. 'lognormal') so the path is the user's keys.
    parts = [str(p) for p in loc if str(p) not in _DIST_TAGS]
    return ".".join(parts) or "(top level)"


_DIST_TAGS = {"fixed", "uniform", "normal", "lognormal", "weibull", "rayleigh"}


def validation_message(where: str, exc: ValidationError, *, prefix: str = "") -> str:
    """One line for a pydantic error: where, the field path (under ``prefix``), what is wrong."""
    first = exc.errors()[0]
    field = _field_path(tuple(first["loc"]))
    if prefix:
        field = f"{prefix}.{field}" if first["loc"] else prefix
    if first["type"] == "extra_forbidden":
        msg = f"{where}: unknown key '{field}'"
    elif first["type"] == "missing":
        msg = f"{where}: field '{field}' is required"
    else:
        detail = first["msg"].removeprefix("Value error, ")
        got = first.get("input")
        shown = "" if isinstance(got, dict | list) or len(repr(got)) > 60 else f" (got {got!r})"
        msg = f"{where}: field '{field}': {detail}{shown}"
    more = len(exc.errors()) - 1
    return msg + (f" (and {more} more problems)" if more else "")


def scenario_from_dict(data: dict[str, Any], *, where: str = "<scenario>") -> Scenario:
    """Validate a scenario given as a dict (e.g. built by ``evacsim incident``).

    Raises
    ------
    ScenarioError
        One line naming ``where`` and the field.
    """
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(validation_message(where, exc)) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a TOML scenario file; resolve its area path.

    Parameters
    ----------
    path
        The scenario file. Its ``area`` is relative to the file's folder.

    Raises
    ------
    ScenarioError
        Missing file, bad TOML, unknown key, wrong type or value, missing area folder.
    """
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(f"{path}: scenario file not found")
    raw = path.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: not a valid TOML file: {exc}") from None
    scenario = scenario_from_dict(data, where=str(path))
    area_path = (path.parent / scenario.area).resolve()
    if not area_path.exists():
        raise ScenarioError(f"{path}: field 'area': {scenario.area!r} does not exist ({area_path})")
    if area_path.is_file() and area_path.suffix.lower() != ".gpkg":
        raise ScenarioError(
            f"{path}: field 'area': {scenario.area!r} is a file, not an area folder or GeoPackage"
        )
    return scenario.model_copy(
        update={"path": path, "area_path": area_path, "sha256": hashlib.sha256(raw).hexdigest()}
    )


def _parse_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_overrides(items: list[str] | None) -> dict[str, Any]:
    """Turn ``["a.b=1", "c=x"]`` into ``{"a": {"b": 1}, "c": "x"}`` (values read as TOML).

    Raises
    ------
    ScenarioError
        An item without ``=``.
    """
    result: dict[str, Any] = {}
    for item in items or []:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ScenarioError(f"--set {item!r}: expected key=value")
        *parents, leaf = key.strip().split(".")
        node = result
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = _parse_value(text.strip())
    return result
