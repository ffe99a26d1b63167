"""Hypothesis mutates the bundled Funiuxi area and the default scenario; the contract holds.

Mutations: drop a column, null a value, flip a value's type (or make it absurd), corrupt a
geometry, swap longitude and latitude, duplicate an id (within a layer or across facility
layers); for the scenario: drop a key, null it, flip its type, make it absurd, add an unknown
key. The contract: a valid area and scenario (prepared: network built, facilities snapped,
zones drawn), or ONE ``EvacsimError`` line naming the place (the mutated layer, feature or key);
never another exception, never a warning (warnings are errors in this suite).

In-process against loading and validation (``prepare``) for speed; a handful through the whole
command line (exit 0 with every person accounted for and a complete run folder, or exit 2 with
one line and no folder). ``EVACSIM_FUZZ_EXAMPLES`` sets the number of in-process examples
(``make fuzz`` runs many more than ``make test``).
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import math
import os
import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from evacsim.cli import main
from evacsim.errors import EvacsimError
from evacsim.manifest import require_run_folder
from evacsim.scenario.load import load_scenario
from evacsim.scenario.prepare import prepare
from tests.support.paths import FUNIUXI, SCENARIOS

EXAMPLES = int(os.environ.get("EVACSIM_FUZZ_EXAMPLES", "20"))
CLI_EXAMPLES = int(os.environ.get("EVACSIM_FUZZ_CLI_EXAMPLES", "3"))
DEFAULT = SCENARIOS / "funiuxi_tank_fire.toml"
LAYER_FILES = sorted(FUNIUXI.glob("*.geojson"))
LAYERS: dict[str, dict[str, Any]] = {
    p.stem: json.loads(p.read_text(encoding="utf-8")) for p in LAYER_FILES
}
FACILITY_LAYERS = ("assembly_points", "shelters", "supply_points", "team_bases")
SCENARIO: dict[str, Any] = tomllib.loads(DEFAULT.read_text(encoding="utf-8"))

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: Values of the wrong type or an absurd size; JSON allows all of them (NaN as Python writes it).
VALUES = st.one_of(
    st.booleans(),
    st.integers(min_value=-(10**13), max_value=10**13),
    st.sampled_from([math.nan, math.inf, -1.0, 0.0, 1e12, 1e-12]),
    st.text(max_size=6),
    st.lists(st.integers(0, 9), max_size=2),
    st.just({"nested": 1}),
)
JUNK = st.one_of(st.none(), VALUES)


# --------------------------------------------------------------------------- area mutations


def _swap(coords: Any) -> Any:
    if (
        isinstance(coords, list)
        and len(coords) >= 2
        and all(isinstance(c, int | float) for c in coords[:2])
    ):
        return [coords[1], coords[0], *coords[2:]]
    return [_swap(c) for c in coords] if isinstance(coords, list) else coords


def _open_ring(geometry: dict[str, Any]) -> Any:
    coords = copy.deepcopy(geometry.get("coordinates"))
    if geometry.get("type") == "Polygon" and coords and len(coords[0]) > 3:
        coords[0].pop()
        return {"type": "Polygon", "coordinates": coords}
    return {"type": "Polygon", "coordinates": [[[106.5, 29.5], [106.51, 29.5], [106.51, 29.51]]]}


#: Ways to break a geometry, each from the original one.
GEOMETRY_DAMAGE: dict[str, Callable[[dict[str, Any]], Any]] = {
    "none": lambda g: None,
    "empty coordinates": lambda g: {"type": g["type"], "coordinates": []},
    "one-point line": lambda g: {"type": "LineString", "coordinates": [[106.5, 29.5]]},
    "open ring": _open_ring,
    "text coordinates": lambda g: {"type": g["type"], "coordinates": "x"},
    "null coordinate": lambda g: {"type": "Point", "coordinates": [None, 29.5]},
    "NaN point": lambda g: {"type": "Point", "coordinates": [math.nan, math.nan]},
    "metres as degrees": lambda g: {"type": "Point", "coordinates": [641600.0, 3257100.0]},
    "unknown type": lambda g: {"type": "Blob", "coordinates": [1, 2]},
    "other layer's kind": lambda g: {"type": "MultiPoint", "coordinates": [[106.5, 29.5]]},
}


@dataclass(frozen=True)
class AreaMutation:
    """One change to one layer of the bundled area (shown by Hypothesis when the contract fails)."""

    layer: str
    index: int
    kind: str
    key: str
    value: Any = None

    def apply(self) -> dict[str, Any]:
        doc = copy.deepcopy(LAYERS[self.layer])
        feats = doc["features"]
        feat = feats[self.index]
        props = feat["properties"]
        if self.kind == "drop column":
            for f in feats:
                f["properties"].pop(self.key, None)
        elif self.kind == "set value":
            props[self.key] = self.value
        elif self.kind == "damage geometry":
            feat["geometry"] = GEOMETRY_DAMAGE[self.value](feat["geometry"])
        elif self.kind == "swap coordinates":
            feat["geometry"] = {
                **feat["geometry"],
                "coordinates": _swap(feat["geometry"]["coordinates"]),
            }
        elif self.kind == "duplicate id":
            props["id"] = self.value
        return doc

    def named_by(self, message: str) -> bool:
        """Whether an error line names the place of this change."""
        fid = LAYERS[self.layer]["features"][self.index]["properties"].get("id")
        places = [self.layer, self.key, str(fid)]
        if self.kind == "duplicate id":
            places.append(str(self.value))
        return any(p and p in message for p in places)


@st.composite
def area_mutations(draw: st.DrawFn) -> AreaMutation:
    layer = draw(st.sampled_from(sorted(LAYERS)))
    feats = LAYERS[layer]["features"]
    index = draw(st.integers(0, len(feats) - 1))
    keys = sorted(feats[index]["properties"])
    kind = draw(st.sampled_from(["drop column", "set value", "damage geometry",
                                 "swap coordinates", "duplicate id"]))  # fmt: skip
    if kind == "damage geometry":
        return AreaMutation(
            layer, index, kind, "geometry", draw(st.sampled_from(sorted(GEOMETRY_DAMAGE)))
        )
    if kind == "swap coordinates":
        return AreaMutation(layer, index, kind, "geometry")
    if kind == "duplicate id":
        pool = [layer] + (
            [n for n in FACILITY_LAYERS if n != layer] if layer in FACILITY_LAYERS else []
        )
        other = draw(st.sampled_from(pool))
        ids = [f["properties"]["id"] for f in LAYERS[other]["features"]]
        return AreaMutation(layer, index, kind, "id", draw(st.sampled_from(ids)))
    key = draw(st.sampled_from(keys))
    return AreaMutation(layer, index, kind, key, draw(JUNK) if kind == "set value" else None)


def _write_area(folder: Path, mutation: AreaMutation | None) -> Path:
    """The bundled area in ``folder``: unchanged layers linked, the mutated one written."""
    folder.mkdir()
    (folder / "area.toml").symlink_to(FUNIUXI / "area.toml")
    for path in LAYER_FILES:
        if mutation is not None and path.stem == mutation.layer:
            (folder / path.name).write_text(json.dumps(mutation.apply()), encoding="utf-8")
        else:
            (folder / path.name).symlink_to(path)
    return folder


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return (
            "{ " + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
        )
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    # Numbers; strings as TOML basic strings: JSON's escapes are TOML's, but for DEL.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _scenario_file(folder: Path, data: dict[str, Any]) -> Path:
    """Write a scenario dict as TOML (None left out: TOML has no null), sections as tables."""
    lines = [f"{json.dumps(k)} = {_toml_value(v)}" for k, v in data.items()
             if v is not None and not isinstance(v, dict)]  # fmt: skip
    for name, table in data.items():
        if isinstance(table, dict):
            lines.append(f"[{json.dumps(name)}]")
            lines += [
                f"{json.dumps(k)} = {_toml_value(v)}" for k, v in table.items() if v is not None
            ]
    path = folder / "s.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _assert_one_line(message: str) -> None:
    assert message and "\n" not in message, message


@FUZZ_SETTINGS
@given(mutation=area_mutations())
def test_a_mutated_area_is_valid_or_one_line_naming_the_place(mutation: AreaMutation) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        area = _write_area(Path(tmp) / "area", mutation)
        scenario = _scenario_file(Path(tmp), {**SCENARIO, "area": str(area)})
        try:
            prepared = prepare(load_scenario(scenario))
        except EvacsimError as exc:
            _assert_one_line(str(exc))
            assert mutation.named_by(str(exc)), (mutation, str(exc))
            return
        assert len(prepared.area.grids) > 0 and prepared.network.n_edges > 0


# --------------------------------------------------------------------------- scenario mutations


def _paths(data: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for key, value in data.items():
        out.append((*prefix, key))
        if isinstance(value, dict):
            out += _paths(value, (*prefix, key))
    return out


SCENARIO_PATHS = sorted(_paths(SCENARIO))


@dataclass(frozen=True)
class ScenarioMutation:
    """One change to the default scenario."""

    path: tuple[str, ...]
    kind: str
    value: Any = None

    def apply(self) -> dict[str, Any]:
        data = copy.deepcopy(SCENARIO)
        node = data
        for part in self.path[:-1]:
            node = node[part]
        leaf = self.path[-1]
        if self.kind == "drop key":
            node.pop(leaf)
        elif self.kind == "set value":
            node[leaf] = self.value
        else:  # an unknown key beside it
            node[f"{leaf}_typo"] = self.value
        return data

    def named_by(self, message: str) -> bool:
        return any(part in message for part in self.path)


@st.composite
def scenario_mutations(draw: st.DrawFn) -> ScenarioMutation:
    path = draw(st.sampled_from(SCENARIO_PATHS))
    kind = draw(st.sampled_from(["drop key", "set value", "unknown key"]))
    value = draw(VALUES) if kind != "drop key" else None  # TOML has no null: drop is null
    return ScenarioMutation(path, kind, value)


def _prepared_or_error(data: dict[str, Any], folder: Path) -> str | None:
    """Prepare a scenario given as data; the error line, or None when it is valid."""
    try:
        scenario = load_scenario(_scenario_file(folder, data))
        prepare(scenario)
    except EvacsimError as exc:
        return str(exc)
    return None


@FUZZ_SETTINGS
@given(mutation=scenario_mutations())
def test_a_mutated_scenario_is_valid_or_one_line_naming_the_key(
    mutation: ScenarioMutation,
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = mutation.apply()
        if "area" in data and mutation.path != ("area",):
            data["area"] = str(FUNIUXI)
        message = _prepared_or_error(data, Path(tmp))
    if message is not None:
        _assert_one_line(message)
        assert "s.toml" in message and mutation.named_by(message), (mutation, message)


def test_the_unmutated_inputs_are_valid(tmp_path: Path) -> None:
    """The base of every mutation is valid: the errors above come from the mutations."""
    area = _write_area(tmp_path / "area", None)
    assert _prepared_or_error({**SCENARIO, "area": str(area)}, tmp_path) is None


# --------------------------------------------------------------------------- the command line


@settings(
    max_examples=CLI_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(change=st.one_of(area_mutations(), scenario_mutations()))
@example(change=ScenarioMutation(("weather", "stability"), "drop key"))  # valid: the exit-0 branch
@example(change=AreaMutation("shelters", 0, "duplicate id", "id", "AP-1"))  # exit 2
def test_a_handful_through_the_command_line(change: AreaMutation | ScenarioMutation) -> None:
    """``evacsim run`` on a mutated input: a conserved result, or one line and no folder."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if isinstance(change, AreaMutation):
            data = {**SCENARIO, "area": str(_write_area(root / "area", change))}
        else:
            data = change.apply()
            if "area" in data and change.path != ("area",):
                data["area"] = str(FUNIUXI)
        scenario = _scenario_file(root, data)
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                main(["run", str(scenario), "--out", str(root / "out" / "run"), "-q"])
            except SystemExit as exc:
                code = exc.code
        if code == 0:
            require_run_folder(root / "out" / "run")
            summary = json.loads((root / "out" / "run" / "summary.json").read_text("utf-8"))
            assert sum(summary["persons"].values()) == summary["persons_total"]
        else:
            assert code == 2, err.getvalue()
            assert "Traceback" not in err.getvalue()
            _assert_one_line(err.getvalue().strip())
            assert not (root / "out").exists()
