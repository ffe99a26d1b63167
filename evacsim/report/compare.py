"""Side-by-side comparison of runs: the ETE table with differences, evacuation curves overlaid,
bottlenecks that appear or vanish — as one self-contained HTML page.

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

import base64
import io
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
from evacsim.errors import EvacsimError
from evacsim.manifest import require_run_folder

__all__ = [
    "MIN_CONGESTED_S",
    "Comparison",
    "Side",
    "bottleneck_changes",
    "compare",
    "compare_html",
    "curves_png",
    "ete_table",
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
    """

    label: str
    source: Path
    summary: dict[str, Any]
    curves: dict[str, tuple[np.ndarray, np.ndarray]]
    exact_curves: bool
    roads: pd.DataFrame | None = None


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
    return Side(folder.name, folder, summary, curves, groups_csv is not None, roads)


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


def _metric_rows() -> list[tuple[str, tuple[str, ...], str]]:
    rows: list[tuple[str, tuple[str, ...], str]] = [
        (f"ETE {stage} p{p}", ("ete_s", stage, f"p{p}"), "min") for stage in STAGES for p in _PCTS
    ]
    rows += [
        ("persons to evacuate", ("persons_total",), "persons"),
        ("sheltered", ("persons", "sheltered"), "persons"),
        ("at assembly point", ("persons", "at_assembly"), "persons"),
        ("stranded", ("persons", "stranded"), "persons"),
        ("red-zone exposure", ("exposure", "person_s_red"), "person·min"),
        ("bus trips", ("bus_trips",), "trips"),
        ("end of run", ("end_s",), "min"),
    ]
    return rows


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
    data: dict[str, list[Any]] = {"metric": [], "unit": []}
    labels = [s.label for s in sides]
    for label in labels:
        data[label] = []
    for name, path, unit in _metric_rows():
        data["metric"].append(name)
        data["unit"].append(unit)
        for side in sides:
            value = _get(side.summary, path)
            if value is not None and unit in ("min", "person·min"):
                value /= 60.0
            data[side.label].append(math.nan if value is None else value)
    table = pd.DataFrame(data)
    for label in labels[1:]:
        table[f"Δ {label}"] = table[label] - table[labels[0]]
    return table


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


def curves_png(sides: Sequence[Side]) -> bytes:
    """The evacuation curves of every run overlaid, one panel per stage, as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4), dpi=100)
    axes = fig.subplots(1, 2, sharey=True)
    for ax, stage in zip(axes, STAGES, strict=True):
        for side in sides:
            t, share = side.curves[stage]
            if side.exact_curves:
                ax.step(t / 60.0, share * 100, where="post", label=side.label)
            else:
                ax.plot(t / 60.0, share * 100, "--o", label=f"{side.label} (ETE points)")
        ax.set_title(f"reached {'an assembly point' if stage == 'assembly' else 'a shelter'}")
        ax.set_xlabel("minutes since the alert")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("% of persons to evacuate")
    axes[0].set_ylim(0, 101)
    axes[1].legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>evacsim — comparison</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;max-width:70em}
table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #bbb;padding:.25em .6em;text-align:right}
td:first-child,th:first-child{text-align:left}
.worse{color:#b00020}.better{color:#00703c}
img{max-width:100%}
</style></head><body>
<h1>Comparison of {{ sides|length }} runs</h1>
<ol>{% for s in sides %}<li><b>{{ s.label }}</b> — {{ s.summary.get("scenario", "") }}
(seed {{ s.summary.get("seed", "?") }}; {{ s.source }})</li>{% endfor %}</ol>
<p>Differences (Δ) are against the first run. Times in minutes since the alert.</p>
<h2>Evacuation time estimates</h2>
<table><tr>{% for c in columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for row in rows %}<tr>{% for cell in row %}
<td{% if cell.cls %} class="{{ cell.cls }}"{% endif %}>{{ cell.text }}</td>{% endfor %}</tr>
{% endfor %}</table>
<h2>Evacuation curves</h2>
<img alt="evacuation curves" src="data:image/png;base64,{{ png }}">
<h2>Bottlenecks</h2>
<p>A road queued for at least {{ min_minutes }} min is a bottleneck.</p>
{% for label, change in changes.items() %}<h3>{{ label }}</h3>
{% if change is none %}<p>Not known: a run folder without its links table.</p>{% else %}
<ul><li>appear: {{ change.appear|join(", ") or "none" }}</li>
<li>vanish: {{ change.vanish|join(", ") or "none" }}</li>
<li>stay: {{ change.stay|join(", ") or "none" }}</li></ul>{% endif %}
{% endfor %}
</body></html>
"""


def _cells(table: pd.DataFrame) -> list[list[dict[str, str]]]:
    rows = []
    for rec in table.to_dict("records"):
        row = [{"text": str(rec["metric"]), "cls": ""}, {"text": str(rec["unit"]), "cls": ""}]
        for col in table.columns[2:]:
            v = rec[col]
            text = "—" if pd.isna(v) else f"{v:+.1f}" if col.startswith("Δ") else f"{v:.1f}"
            cls = ""
            if col.startswith("Δ") and not pd.isna(v) and v != 0:
                worse = v > 0 if rec["metric"] not in ("sheltered",) else v < 0
                cls = "worse" if worse else "better"
            row.append({"text": text, "cls": cls})
        rows.append(row)
    return rows


def compare_html(sides: Sequence[Side], *, min_congested_s: float = MIN_CONGESTED_S) -> str:
    """The comparison page: self-contained HTML (the figure is an inline PNG), all text escaped."""
    from jinja2 import Environment

    table = ete_table(sides)
    env = Environment(autoescape=True)
    return env.from_string(_TEMPLATE).render(
        sides=sides,
        columns=list(table.columns),
        rows=_cells(table),
        png=base64.b64encode(curves_png(sides)).decode("ascii"),
        changes=bottleneck_changes(sides, min_congested_s=min_congested_s),
        min_minutes=f"{min_congested_s / 60:g}",
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
        html = compare_html(sides, min_congested_s=min_congested_s)
        result.html_path = write_text_atomic(out, html, what="--out")
    return result
