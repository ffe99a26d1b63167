"""The bound and the optimizer on the bundled scenarios: wall times and what they find.

For each scenario (its own seed): the wall time of ``clearance_bound`` (the bound alone, after
``prepare``) and of ``optimize`` (every candidate simulated), the scenario plan's and the
optimized plan's stage-1 ETE p90 / p100, last arrival at an assembly point and at a shelter of
those who reach one (and how many do not), the bound and the ratio optimized last arrival ÷
bound, and the persons harmed in both plans. Targets: the bound within 60 s,
``optimize`` within 120 s, optimized p100 ≤ 1.2 × the bound, never worse than the scenario's plan
in p90 or p100 (else the optimizer's note says why). Writes ``benchmarks/results/optimize.json``.

Usage: ``python benchmarks/optimize_bench.py [--quick]`` (``--quick``: the default scenario only,
what ``make bench`` runs).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import time
from pathlib import Path
from typing import Any

from evacsim.optimize.bound import clearance_bound
from evacsim.optimize.search import optimize
from evacsim.scenario.prepare import prepare

HERE = Path(__file__).resolve().parent
SCENARIOS = ("funiuxi_tank_fire", "funiuxi_tank_fire_night", "funiuxi_lpg_bleve")
TARGETS = {"bound_wall_s": 60.0, "optimize_wall_s": 120.0, "ratio_to_bound": 1.2}


def case(name: str) -> dict[str, Any]:
    prepared = prepare(HERE.parent / "scenarios" / f"{name}.toml")
    t0 = time.perf_counter()
    bound = clearance_bound(prepared)
    t1 = time.perf_counter()
    result = optimize(prepared)
    t2 = time.perf_counter()
    plan, best = result.official.summary["ete_s"], result.best.summary["ete_s"]
    plan_obj, best_obj = result.official.objective, result.best.objective
    return {
        "scenario": name,
        "bound_wall_s": round(t1 - t0, 2),
        "optimize_wall_s": round(t2 - t1, 1),
        "simulations": len(result.tried),
        "bound_s": bound.assembly_s,
        "step_s": bound.step_s,
        "bound_unreachable_persons": bound.unreachable_persons,
        "plan": {"p90": plan["assembly"]["p90"], "p100": plan["assembly"]["p100"],
                 "last_s": plan_obj.last_s, "missing": plan_obj.missing,
                 "shelter_last_s": plan_obj.shelter_last_s},
        "optimized": {"p90": best["assembly"]["p90"], "p100": best["assembly"]["p100"],
                      "last_s": best_obj.last_s, "missing": best_obj.missing,
                      "shelter_last_s": best_obj.shelter_last_s, "name": result.best.name},
        "ratio_to_bound": round(best_obj.last_s / bound.assembly_s, 3),
        "harm": {"plan": result.official.harm, "optimized": result.best.harm},
        "overloaded": {"plan": result.official.overloaded, "optimized": result.best.overloaded},
        "notes": result.notes,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the default scenario only")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    names = SCENARIOS[:1] if args.quick else SCENARIOS
    rows = [case(n) for n in names]
    print(
        f"{'scenario':26s} {'bound':>7s} {'optimize':>9s}  p90 plan→opt   last plan→opt  "
        "bound   ÷bound  cut off  shelter last plan→opt"
    )
    for r in rows:
        p, o = r["plan"], r["optimized"]
        print(
            f"{r['scenario']:26s} {r['bound_wall_s']:6.1f}s {r['optimize_wall_s']:8.1f}s  "
            f"{p['p90']:6.0f}→{o['p90']:6.0f}  {p['last_s']:6.0f}→{o['last_s']:6.0f}  "
            f"{r['bound_s']:6.0f}  {r['ratio_to_bound']:6.3f}  {o['missing']:7d}  "
            f"{p['shelter_last_s']:6.0f}→{o['shelter_last_s']:6.0f}"
        )
        for note in r["notes"]:
            print(f"    {note}")
    out = HERE / "results" / ("optimize-quick.json" if args.quick else "optimize.json")
    out.parent.mkdir(exist_ok=True)
    machine = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
    }
    out.write_text(
        json.dumps(
            {"machine": machine, "targets": TARGETS, "cases": rows}, indent=2, ensure_ascii=False
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"written: {out}")


if __name__ == "__main__":
    main()
