"""The folder ``evacsim optimize`` writes, whole or not at all.

``<label>-optimized.toml``
    The scenario with the optimized plan: the original file's keys, ``[evacuation] assignment =
    "optimized"`` and ``plan_file = "plan.gpkg"``, the seed optimized for, the area path
    rewritten relative to this folder. ``evacsim run`` and ``evacsim sweep`` take it as it is.
``plan.gpkg``
    The plan file (:mod:`evacsim.plan.plan_file`): grids with their assembly point and delay,
    and the preferred routes.
``optimize.html`` and ``changes_map.html``
    The comparison page and its map (:mod:`evacsim.report.optimized`), in the scenario's
    language unless another is asked for.
``summary.json``
    The figures of the page: ETE of both plans, the bound, persons harmed, loads, the grids that
    move, the candidates tried, the optimizer's notes, and ``proof``: the written scenario, run
    again from the files exactly as a user would, gives the same ETE.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evacsim.errors import SimulationError
from evacsim.export.folder import json_safe, run_folder, write_json
from evacsim.export.run_folder import sha256_of
from evacsim.manifest import FORMAT_VERSION, MANIFEST, OPTIMIZE_FORMAT

if TYPE_CHECKING:
    from evacsim.optimize.search import Optimized
    from evacsim.pipeline import Run

__all__ = ["OptimizedFolder", "optimized_summary", "write_optimized"]

PLAN_FILE = "plan.gpkg"


@dataclass(frozen=True)
class OptimizedFolder:
    """What :func:`write_optimized` wrote, and the proof run of the written scenario."""

    folder: Path
    scenario_file: Path
    plan_file: Path
    page: Path
    proof: Run


def _scenario_data(opt: Optimized, folder: Path, lang: str) -> dict[str, Any]:
    from evacsim.display.i18n import translator

    sc = opt.prepared.scenario
    if sc.path is not None and sc.path.is_file():
        data: dict[str, Any] = tomllib.loads(sc.path.read_text(encoding="utf-8"))
    else:
        data = sc.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    tr = translator(lang)
    data["name"] = tr("{scenario} — optimized plan", scenario=sc.name)
    data["seed"] = opt.seed
    assert sc.area_path is not None
    data["area"] = Path(os.path.relpath(sc.area_path, folder.resolve())).as_posix()
    evac = dict(data.get("evacuation", {}))
    evac.update(assignment="optimized", plan_file=PLAN_FILE)
    data["evacuation"] = evac
    ordered = {k: data[k] for k in ("name", "description", "seed", "area") if k in data}
    return ordered | {k: v for k, v in data.items() if k not in ordered}


def optimized_summary(opt: Optimized) -> dict[str, Any]:
    """The figures of ``summary.json`` (module docstring)."""
    from evacsim.report.optimized import moved_grids

    def plan(c: Any) -> dict[str, Any]:
        return {
            "ete_s": c.summary["ete_s"],
            "harm": c.harm,
            "facilities": c.summary["facilities"],
            "overloaded": c.overloaded,
            "persons": c.summary["persons"],
        }

    return {
        "scenario": opt.prepared.scenario.name,
        "seed": opt.seed,
        "bound_s": opt.bound.to_summary(),
        "plans": {"scenario": plan(opt.official), "optimized": plan(opt.best)},
        "ete_s": opt.best.summary["ete_s"],
        "moved_grids": moved_grids(opt).to_dict("records"),
        "tried": [
            {
                "name": c.name,
                "assembly_p100_s": c.summary["ete_s"]["assembly"]["p100"],
                "assembly_p90_s": c.summary["ete_s"]["assembly"]["p90"],
            }
            for c in opt.tried
        ],
        "notes": opt.notes,
    }


def write_optimized(
    opt: Optimized, out: str | Path | None = None, *, lang: str | None = None
) -> OptimizedFolder:
    """Write the optimize folder atomically (module docstring), after running the written
    scenario from the files to prove they are what the optimizer simulated.

    ``lang`` (``"zh"`` or ``"en"``) is the language of the page, its map and the written
    scenario's name; by default the scenario's (:func:`evacsim.display.i18n.run_lang`).

    Raises
    ------
    SimulationError
        The scenario run from the written files does not reproduce the optimized plan's ETE
        (a bug: nothing is left behind).
    """
    from evacsim.display.i18n import run_lang
    from evacsim.maps.base import save_map
    from evacsim.pipeline import run
    from evacsim.plan.plan_file import write_plan_file
    from evacsim.report.optimized import changes_map, optimized_html
    from evacsim.scenario.write import scenario_toml

    sc = opt.prepared.scenario
    lang = run_lang(opt, lang)
    with run_folder(out, label=f"{sc.label()}-optimized") as claim:
        tmp, dest = claim.tmp, claim.dest
        plan_path = write_plan_file(
            opt.best.plan_file,
            tmp / PLAN_FILE,
            area=opt.prepared.area,
            network=opt.prepared.network,
        )
        scenario_path = tmp / f"{sc.label()}-optimized.toml"
        header = (
            "Written by `evacsim optimize`: the scenario with its optimized plan "
            f"({PLAN_FILE}).\nRun it with `evacsim run`; see optimize.html."
        )
        data = _scenario_data(opt, dest, lang)
        text = scenario_toml(data, header=header, where=str(scenario_path))
        scenario_path.write_text(text, encoding="utf-8")
        proof = run(scenario_path)
        if proof.summary["ete_s"] != opt.best.summary["ete_s"]:
            raise SimulationError(
                f"{scenario_path}: the written plan does not reproduce the "
                "optimized run (a bug: please report it)"
            )
        summary = optimized_summary(opt)
        summary["proof"] = {"scenario_file": scenario_path.name, "same_ete": True}
        write_json(tmp / "summary.json", json_safe(summary))
        save_map(changes_map(opt, lang=lang), tmp / "changes_map.html")
        (tmp / "optimize.html").write_text(optimized_html(opt, lang=lang), encoding="utf-8")
        _write_manifest(tmp)
    del plan_path
    return OptimizedFolder(
        folder=dest,
        scenario_file=dest / scenario_path.name,
        plan_file=dest / PLAN_FILE,
        page=dest / "optimize.html",
        proof=proof,
    )


def _write_manifest(folder: Path) -> None:
    """Last: the manifest that marks the folder complete and lists evacsim's files in it (so a
    later ``optimize`` into the same folder replaces those, and only those)."""
    outputs = {
        p.relative_to(folder).as_posix(): sha256_of(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
    write_json(
        folder / MANIFEST,
        {"format": OPTIMIZE_FORMAT, "format_version": FORMAT_VERSION, "outputs": outputs},
    )
