"""Side-by-side comparison of runs: the ETE table with differences, persons and harm, the loads
of assembly points and shelters, evacuation curves overlaid, bottlenecks that appear or vanish —
as one self-contained HTML page in Chinese or English.

Differences are coloured only where more is plainly worse or better (later ETEs, more stranded
or harmed people; a larger share sheltered); a difference in who must leave (persons to
evacuate, and the counts that follow from it) is shown in a neutral colour.

Each item compared is a complete run folder (its ``manifest.json`` says so: see
:func:`evacsim.manifest.require_run_folder`) or a scenario file (run here). The first item is
the baseline: differences and bottleneck changes are relative to it.

Evacuation curves: the share of the persons to evacuate who have reached a stage (assembly
point, shelter) by time t, the curve whose 50/90/95/100 % crossings are the NUREG/CR-7002 ETEs of
:mod:`evacsim.results`. A scenario run here, or a run folder holding ``groups.csv`` (columns of
:data:`evacsim.sim.results.GROUP_COLUMNS`), gives the full step curve; a folder with only
``summary.json`` gives its ETE points joined by straight lines (drawn dashed).
Run folders written by :func:`evacsim.export.run_folder.write_run_folder` hold
``csv/groups.csv`` and
``csv/bottlenecks.csv``.

Bottleneck: a road (all its directed links and modes together) with a queue for at least
``min_congested_s`` (default 300 s) in the run, from the run's links table (a scenario run here,
or ``csv/bottlenecks.csv`` / ``csv/links.csv`` in a run folder; without them the bottlenecks
of that run are unknown). A road's congested time is summed over its directions (as in
:func:`evacsim.results.bottlenecks`), taking the worst mode.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evacsim.atomic import write_text_atomic
from evacsim.display.format import number
from evacsim.display.i18n import N_, resolve_lang, run_lang, translator
from evacsim.display.labels import KIND_LABELS, STAGE_LABELS, STATE_LABELS, label
from evacsim.errors import EvacsimError
from evacsim.manifest import require_run_folder

__all__ = [
    "MIN_CONGESTED_S",
    "Comparison",
    "Side",
    "bottleneck_changes",
    "compare",
    "compare_html",
    "ete_table",
    "facility_table",
    "load_side",
    "side_from_run",
]

log = logging.getLogger(__name__)

#: A road queued for at least this long (s) in a run is a bottleneck of that run.
MIN_CONGESTED_S = 300.0
STAGES = ("assembly", "shelter")
_PCTS = (50, 90, 95, 100)


@dataclass(eq=False)
class Side:
    """One run in a comparison.

    Attributes
    ----------
    label
        Its name in tables and legends (scenario file stem or folder name).
    source
        The run folder or scenario file it came from.
    summary
        Its ``summary.json``.
    curves
        Per stage, ``(t_s, share)`` arrays of the evacuation curve (share 0..1).
    exact_curves
        True when the curves come from per-group times, False when from ETE points only.
    roads
        Per road: ``road_id``, ``name``, ``congested_s`` (longest over its links),
        ``max_queue``; ``None`` when the run's links table is not available.
    lang
        The run's language (its scenario's or area's), when known.
    """

    label: str
    source: Path
    summary: dict[str, Any]
    curves: dict[str, tuple[np.ndarray, np.ndarray]]
    exact_curves: bool
    roads: pd.DataFrame | None = None
    lang: str | None = None


def _step_curve(
    times_s: np.ndarray, persons: np.ndarray, total: int
) -> tuple[np.ndarray, np.ndarray]:
    ok = ~np.isnan(times_s)
    if total <= 0 or not ok.any():
        return np.array([0.0]), np.array([0.0])
    order = np.argsort(times_s[ok], kind="stable")
    t = times_s[ok][order]
    share = np.cumsum(persons[ok][order]) / float(total)
    return np.concatenate([[0.0], t]), np.concatenate([[0.0], share])


def _curves_from_groups(groups: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Evacuation curves as in :func:`evacsim.results.summarise` (shares of all persons)."""
    persons = groups["persons"].to_numpy(float)
    total = int(persons.sum())
    shelter_t = np.where(
        groups["persons_sheltered"].to_numpy() > 0, groups["t_shelter_s"].to_numpy(float), np.nan
    )
    return {
        "assembly": _step_curve(groups["t_assembly_s"].to_numpy(float), persons, total),
        "shelter": _step_curve(shelter_t.astype(float), persons, total),
    }


def _curves_from_summary(summary: dict[str, Any]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    out = {}
    for stage in STAGES:
        ete = summary.get("ete_s", {}).get(stage, {}) or {}
        pts = [(0.0, 0.0)] + [
            (float(ete[f"p{p}"]), p / 100.0) for p in _PCTS if ete.get(f"p{p}") is not None
        ]
        out[stage] = (np.array([p[0] for p in pts]), np.array([p[1] for p in pts]))
    return out


def _roads(table: pd.DataFrame) -> pd.DataFrame:
    """Per road: ``road_id``, ``name``, ``congested_s`` (summed over its directions, the worst
    mode — as :func:`evacsim.results.bottlenecks`), from a links table (``congested_s``) or a
    bottlenecks table (``congested_min``)."""
    columns = ["road_id", "name", "congested_s"]
    if table.empty:
        return pd.DataFrame(columns=columns)
    t = table.copy()
    if "congested_s" not in t:
        t["congested_s"] = t["congested_min"].astype(float) * 60.0
    t["road_id"] = t["road_id"].astype(str)
    if "mode" not in t:
        t["mode"] = "car"
    per_mode = t.groupby(["road_id", "mode"], sort=True).agg(
        name=("name", "first"), congested_s=("congested_s", "sum")
    )
    roads = per_mode.groupby(level="road_id").agg(
        name=("name", "first"), congested_s=("congested_s", "max")
    )
    return roads.reset_index()[columns]


def side_from_run(run: Any, *, label: str, source: Path) -> Side:
    """A :class:`Side` from a finished :class:`evacsim.pipeline.Run`."""
    return Side(
        label=label,
        source=source,
        summary=run.summary,
        curves=_curves_from_groups(run.results.groups),
        exact_curves=True,
        roads=_roads(run.results.links),
        lang=run_lang(run),
    )


def _read_csv(path: Path, what: str) -> pd.DataFrame:
    try:
        return pd.read_csv(path, keep_default_na=True)
    except (OSError, ValueError) as exc:
        raise EvacsimError(f"{path}: cannot read {what}: {' '.join(str(exc).split())}") from None


def _first_file(folder: Path, names: tuple[str, ...]) -> Path | None:
    return next((folder / n for n in names if (folder / n).is_file()), None)


def _side_from_folder(folder: Path) -> Side:
    require_run_folder(folder)
    path = folder / "summary.json"
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        detail = " ".join(str(exc).split())
        raise EvacsimError(f"{path}: not a readable summary: {detail}") from None
    if not isinstance(summary, dict) or "ete_s" not in summary:
        raise EvacsimError(f"{path}: field 'ete_s' is missing: not an evacsim summary")
    groups_csv = _first_file(folder, ("csv/groups.csv", "groups.csv"))
    roads_csv = _first_file(
        folder, ("csv/bottlenecks.csv", "bottlenecks.csv", "csv/links.csv", "links.csv")
    )
    curves = (
        _curves_from_groups(_read_csv(groups_csv, "the groups table"))
        if groups_csv is not None
        else _curves_from_summary(summary)
    )
    roads = _roads(_read_csv(roads_csv, "the links table")) if roads_csv is not None else None
    side = Side(folder.name, folder, summary, curves, groups_csv is not None, roads)
    side.lang = _folder_lang(folder)
    return side


def _folder_lang(folder: Path) -> str | None:
    """A saved run's language: its area's ``area.toml`` ``lang`` (via ``manifest.json``)."""
    import tomllib

    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        source = Path(manifest["area"]["source"])
        toml = (source.parent if source.is_file() else source) / "area.toml"
        lang = tomllib.loads(toml.read_text(encoding="utf-8")).get("lang")
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return str(lang) if lang else None


def load_side(item: str | Path, *, seed: int | None = None) -> Side:
    """A complete run folder or a scenario file (run now, nothing written).

    Raises
    ------
    EvacsimError
        Neither a complete run folder nor a scenario file, or a bad scenario.
    """
    path = Path(item)
    if path.is_dir():
        return _side_from_folder(path)
    if path.is_file() and path.suffix.lower() == ".toml":
        from evacsim.pipeline import run

        return side_from_run(run(path, seed=seed), label=path.stem, source=path)
    raise EvacsimError(f"{path}: neither a run folder nor a scenario .toml file")


def _unique_labels(sides: Sequence[Side]) -> None:
    seen: dict[str, int] = {}
    for side in sides:
        n = seen.get(side.label, 0)
        seen[side.label] = n + 1
        if n:
            side.label = f"{side.label} ({n + 1})"


# --------------------------------------------------------------------------- tables


#: How a difference is judged: ``lower`` (less is better), ``higher``, or ``neutral`` (a change
#: in who must leave, or a count that follows from it: neither better nor worse by itself).
_JUDGES = ("lower", "higher", "neutral")


def _metric_rows(sides: Sequence[Side] = ()) -> list[tuple[str, tuple[str, ...], str, str]]:
    """(metric, path in the summary, unit, judge) of every compared figure.

    The persons per final state are every state any of the runs has (a state a newer model adds,
    such as ``incapacitated``, appears without more work).
    """
    rows: list[tuple[str, tuple[str, ...], str, str]] = [
        (f"ETE {stage} p{p}", ("ete_s", stage, f"p{p}"), "min", "lower")
        for stage in STAGES
        for p in _PCTS
    ]
    rows.append(("persons to evacuate", ("persons_total",), "persons", "neutral"))
    states: dict[str, None] = {}
    for side in sides:
        states |= dict.fromkeys(side.summary.get("persons", {}))
    order = list(STATE_LABELS)
    known = sorted(states, key=lambda k: (order.index(k) if k in order else len(order), k))
    for state in known or ("sheltered", "at_assembly", "stranded"):
        judge = {"stranded": "lower", "incapacitated": "lower"}.get(state, "neutral")
        rows.append((state.replace("_", " "), ("persons", state), "persons", judge))
    rows += [
        ("sheltered, share", ("persons", "sheltered"), "%", "higher"),
        ("persons over FED 0.3", ("exposure", "persons_fed_over_0_3"), "persons", "lower"),
        ("persons over FED 1", ("exposure", "persons_fed_over_1"), "persons", "lower"),
        ("red-zone exposure", ("exposure", "person_s_red"), "person·min", "lower"),
        ("bus trips", ("bus_trips",), "trips", "neutral"),
        ("end of run", ("end_s",), "min", "neutral"),
    ]
    return rows


#: Metric names as shown on the page (translated there).
_METRIC_TEXT = {
    "persons to evacuate": N_("persons to evacuate"),
    "sheltered, share": N_("sheltered, share of persons to evacuate"),
    "persons over FED 0.3": N_("persons over FED 0.3"),
    "persons over FED 1": N_("persons with FED ≥ 1"),
    "red-zone exposure": N_("red-zone exposure"),
    "bus trips": N_("bus trips"),
    "end of run": N_("end of run"),
}
_UNIT_TEXT = {"min": N_("min"), "persons": N_("persons"), "person·min": N_("person·min"),
              "trips": N_("trips"), "%": "%"}  # fmt: skip


def _get(summary: dict[str, Any], path: tuple[str, ...]) -> float | None:
    node: Any = summary
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return float(node) if isinstance(node, int | float) else None


def ete_table(sides: Sequence[Side]) -> pd.DataFrame:
    """Metrics (rows) by run (columns), with ``Δ <label>`` columns against the first run.

    Times are in minutes, exposures in person-minutes; a missing value (a percentile never
    reached) is NaN, and so is any difference involving it.
    """
    data: dict[str, list[Any]] = {"metric": [], "unit": [], "judge": []}
    labels = [s.label for s in sides]
    for name in labels:
        data[name] = []
    for name, path, unit, judge in _metric_rows(sides):
        data["metric"].append(name)
        data["unit"].append(unit)
        data["judge"].append(judge)
        for side in sides:
            value = _get(side.summary, path)
            if value is not None and unit in ("min", "person·min"):
                value /= 60.0
            if value is not None and unit == "%":
                total = _get(side.summary, ("persons_total",))
                value = 100.0 * value / total if total else None
            data[side.label].append(math.nan if value is None else value)
    table = pd.DataFrame(data)
    for name in labels[1:]:
        table[f"Δ {name}"] = table[name] - table[labels[0]]
    return table


def facility_table(sides: Sequence[Side]) -> pd.DataFrame:
    """Assembly points and shelters side by side: per facility and run, arrivals, peak, refused
    (and the capacity), from each run's ``summary["facilities"]``."""
    ids: dict[str, dict[str, Any]] = {}
    for side in sides:
        for fid, f in side.summary.get("facilities", {}).items():
            ids.setdefault(str(fid), f)
    kinds = {"assembly": 0, "shelter": 1}
    rows = []
    for fid, first in sorted(
        ids.items(), key=lambda kv: (kinds.get(str(kv[1].get("kind")), 2), kv[0])
    ):
        row: dict[str, Any] = {
            "id": fid,
            "name": first.get("name", ""),
            "kind": first.get("kind", ""),
            "capacity": first.get("capacity"),
        }
        for side in sides:
            f = side.summary.get("facilities", {}).get(fid, {})
            for key in ("arrivals", "peak", "refused"):
                row[f"{key} {side.label}"] = f.get(key)
        rows.append(row)
    return pd.DataFrame(rows)


def bottleneck_changes(
    sides: Sequence[Side], *, min_congested_s: float = MIN_CONGESTED_S
) -> dict[str, dict[str, list[str]] | None]:
    """For each run after the first: bottleneck roads that ``appear``, ``vanish`` or ``stay``.

    Roads are named ``"<name> (<road id>)"``; ``None`` when either run has no links table.
    """

    def bottlenecks(side: Side) -> dict[str, str] | None:
        if side.roads is None:
            return None
        hot = side.roads[side.roads["congested_s"] >= min_congested_s]
        return {str(r.road_id): f"{r.name} ({r.road_id})" for r in hot.itertuples(index=False)}

    base = bottlenecks(sides[0])
    out: dict[str, dict[str, list[str]] | None] = {}
    for side in sides[1:]:
        other = bottlenecks(side)
        if base is None or other is None:
            out[side.label] = None
            continue
        names = base | other
        out[side.label] = {
            "appear": [names[k] for k in sorted(set(other) - set(base))],
            "vanish": [names[k] for k in sorted(set(base) - set(other))],
            "stay": [names[k] for k in sorted(set(base) & set(other))],
        }
    return out


# --------------------------------------------------------------------------- page


def _cell(value: Any, unit: str, *, delta: bool = False) -> str:
    """A value as people read it: persons and trips as integers, times with one decimal."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if unit in ("persons", "trips"):
        text = number(round(float(value)))
        return f"{float(value):+,.0f}" if delta else text
    return f"{float(value):+.1f}" if delta else f"{float(value):.1f}"


def _cells(table: pd.DataFrame, tr: Any) -> list[list[dict[str, str]]]:
    rows = []
    for rec in table.to_dict("records"):
        metric, unit, judge = str(rec["metric"]), str(rec["unit"]), str(rec["judge"])
        if metric in _METRIC_TEXT:
            name = tr.gettext(_METRIC_TEXT[metric])
        elif metric.startswith("ETE "):
            _, stage, p = metric.split()
            name = tr("ETE {stage}, {p} %", stage=label(STAGE_LABELS, stage, tr),
                      p=p.removeprefix("p"))  # fmt: skip
        else:
            name = label(STATE_LABELS, metric.replace(" ", "_"), tr)
        row = [
            {"text": name, "cls": ""},
            {"text": tr.gettext(_UNIT_TEXT.get(unit, unit)), "cls": ""},
        ]
        for col in table.columns[3:]:
            v = rec[col]
            is_delta = str(col).startswith("Δ")
            cls = ""
            if is_delta and not pd.isna(v) and v != 0:
                worse = v > 0 if judge == "lower" else v < 0
                cls = "neutral" if judge == "neutral" else ("worse" if worse else "better")
            row.append({"text": _cell(v, unit, delta=is_delta), "cls": cls})
        rows.append(row)
    return rows


def compare_html(
    sides: Sequence[Side], *, min_congested_s: float = MIN_CONGESTED_S, lang: str | None = None
) -> str:
    """The comparison page: self-contained HTML (the chart is inline SVG), all text escaped.

    ``lang``: ``"zh"`` or ``"en"``; by default the first run's language that is known.
    """
    from evacsim.report._jinja import environment
    from evacsim.report.charts import shares_svg

    tr = translator(resolve_lang(lang, *(s.lang for s in sides)))
    table = ete_table(sides)
    facilities = facility_table(sides)
    fac_rows = [
        {"id": r["id"], "name": r["name"], "kind": label(KIND_LABELS, r["kind"], tr),
         "capacity": number(r["capacity"]),
         "cells": [" / ".join(number(r[f"{k} {s.label}"]) for k in ("arrivals", "peak", "refused"))
                   for s in sides],
         "refused": any((r[f"refused {s.label}"] or 0) > 0 for s in sides)}
        for r in facilities.to_dict("records")
    ]  # fmt: skip
    return (
        environment(tr)
        .get_template("compare.html")
        .render(
            sides=sides,
            columns=[tr.gettext("metric"), tr.gettext("unit"), *table.columns[3:]],
            rows=_cells(table, tr),
            facilities=fac_rows,
            chart=shares_svg([(s.label, s.curves, s.exact_curves) for s in sides], tr),
            changes=bottleneck_changes(sides, min_congested_s=min_congested_s),
            min_minutes=f"{min_congested_s / 60:g}",
        )
    )


@dataclass(eq=False)
class Comparison:
    """A finished comparison: its runs, the ETE table, bottleneck changes and the page path."""

    sides: list[Side]
    table: pd.DataFrame
    changes: dict[str, dict[str, list[str]] | None]
    html_path: Path | None = None
    notes: list[str] = field(default_factory=list)


def compare(
    items: Sequence[str | Path],
    *,
    out: str | Path | None = None,
    seed: int | None = None,
    min_congested_s: float = MIN_CONGESTED_S,
    lang: str | None = None,
) -> Comparison:
    """Compare runs and scenarios; write the page to ``out`` (atomically) when given.

    Parameters
    ----------
    items
        At least two run folders and/or scenario files; the first is the baseline.
    out
        The HTML file to write.
    seed
        Seed override for the scenarios run here (run folders keep theirs).
    min_congested_s
        Queue duration (s) that makes a road a bottleneck.
    lang
        The page's language (``"zh"`` or ``"en"``); by default the first run's that is known.

    Raises
    ------
    EvacsimError
        Fewer than two items, or an item that is neither a run folder nor a scenario.
    """
    if len(items) < 2:
        raise EvacsimError("compare: give at least two run folders or scenario files")
    sides = [load_side(item, seed=seed) for item in items]
    _unique_labels(sides)
    result = Comparison(
        sides=sides,
        table=ete_table(sides),
        changes=bottleneck_changes(sides, min_congested_s=min_congested_s),
    )
    if out is not None:
        page = compare_html(sides, min_congested_s=min_congested_s, lang=lang)
        result.html_path = write_text_atomic(out, page, what="--out")
    return result
