"""End-to-end benchmark (issue 14, points 3-5): the command line as a user runs it.

Rows:

- **default run**: ``evacsim run scenarios/funiuxi_tank_fire.toml --timings`` (median of
  ``--repeats``): wall and CPU seconds of the whole command, and the stage seconds the run
  records in its ``manifest.json`` (import, load, network, hazard, plan, simulate, summary, each
  output; the maps and drill sheets are written by a forked worker while the parent writes the
  rest, so output seconds overlap);
- **incident**: ``evacsim incident --source T-07 --model pool_fire`` from a cold start with an
  empty area cache, from a cold start with the cache filled, and warm: the library in a process
  that already ran one incident on the area: the answer (``run_incident``: zones, grids to
  warn, routes, ETE) and with its run folder written (``write_run``);
- **scenarios**: ``evacsim scenarios`` (and whether it imported geopandas);
- **district**: ``benchmarks/district.py`` (420,000 persons, everyone leaving, 24 h): wall, peak
  RSS of the command and its output worker, ``map.html`` size (``--no-district`` skips it).

Every command runs in a fresh process under a fresh Python whose ``RUSAGE_CHILDREN`` sees only it.
The machine (CPUs, load average before and after) is printed and written with the figures to
``benchmarks/results/e2e.json``: on a shared 2-core machine the wall figures are only as quiet as
the machine was; CPU seconds are the steadier figure.

Usage: ``python benchmarks/e2e.py [--repeats 3] [--no-district] [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from district import evacsim_cmd, measured, run_district  # noqa: E402

DEFAULT = ROOT / "scenarios" / "funiuxi_tank_fire.toml"
RESULTS = HERE / "results" / "e2e.json"
TARGETS = {"default_run_wall_s": 4.0, "incident_cold_wall_s": 5.0, "incident_warm_wall_s": 1.5,
           "scenarios_wall_s": 1.0, "district_wall_s": 60.0, "district_max_rss_mb": 1536.0,
           "district_map_mb": 15.0}  # fmt: skip

_WARM_INCIDENT = """
import json, sys, tempfile, time
from pathlib import Path
from evacsim.cli import DEFAULT_AREA
from evacsim.export.run_folder import write_run
from evacsim.incident import incident_data, run_incident
data = incident_data(source="T-07", model="pool_fire", area=DEFAULT_AREA)
answers, walls = [], []
with tempfile.TemporaryDirectory() as tmp:
    for k in range(int(sys.argv[1]) + 1):  # the first one warms the process up
        t0 = time.perf_counter()
        report = run_incident(data)
        t1 = time.perf_counter()
        write_run(report.run, Path(tmp) / f"i{k}")
        answers.append(t1 - t0)
        walls.append(time.perf_counter() - t0)
print(json.dumps({"answers_s": answers[1:], "walls_s": walls[1:]}))
"""


def _median(records: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in records))


def default_run(repeats: int, tmp: Path) -> dict[str, Any]:
    """The default scenario through the CLI: wall, CPU, and the median stage seconds."""
    records, stages = [], []
    for k in range(repeats):
        out = tmp / f"run{k}"
        cmd = [*evacsim_cmd(), "run", str(DEFAULT), "--out", str(out), "--quiet", "--timings"]
        records.append(measured(cmd))
        stages.append(json.loads((out / "manifest.json").read_text("utf-8"))["timings_s"])
    keys = [k for k in stages[0] if all(k in s for s in stages)]
    return {
        "wall_s": _median(records, "wall_s"),
        "cpu_s": _median(records, "cpu_s"),
        "max_rss_mb": _median(records, "max_rss_mb"),
        "walls_s": [round(r["wall_s"], 2) for r in records],
        "stages_s": {k: round(statistics.median(s[k] for s in stages), 3) for k in keys},
    }


def incident(repeats: int, tmp: Path) -> dict[str, Any]:
    """``evacsim incident`` (pool fire at T-07): cold with an empty cache, cold with a filled
    cache, and warm in a process that has run one already."""
    base = [*evacsim_cmd(), "incident", "--source", "T-07", "--model", "pool_fire", "--quiet"]
    empty, filled = [], []
    for k in range(repeats):
        cache = tmp / f"cache{k}"
        env_on = {"EVACSIM_CACHE_DIR": str(cache)}
        empty.append(measured([*base, "--out", str(tmp / f"ie{k}")], env_on))
        filled.append(measured([*base, "--out", str(tmp / f"if{k}")], env_on))
    warm = subprocess.run([sys.executable, "-c", _WARM_INCIDENT, str(repeats)], check=True,
                          capture_output=True, text=True, cwd=ROOT)  # fmt: skip
    warm_rec = json.loads(warm.stdout.strip().splitlines()[-1])
    return {
        "cold_empty_cache_wall_s": _median(empty, "wall_s"),
        "cold_empty_cache_cpu_s": _median(empty, "cpu_s"),
        "cold_cached_wall_s": _median(filled, "wall_s"),
        "cold_cached_cpu_s": _median(filled, "cpu_s"),
        "warm_answer_s": float(statistics.median(warm_rec["answers_s"])),
        "warm_wall_s": float(statistics.median(warm_rec["walls_s"])),
    }


def scenarios(repeats: int) -> dict[str, Any]:
    """``evacsim scenarios``: wall, and whether listing them imported geopandas."""
    records = [measured([*evacsim_cmd(), "scenarios"]) for _ in range(repeats)]
    probe = (
        "import sys\nfrom evacsim.cli import main\ntry:\n    main(['scenarios'])\n"
        "except SystemExit:\n    pass\nprint('geopandas' in sys.modules, file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return {"wall_s": _median(records, "wall_s"),
            "imports_geopandas": out.stderr.strip().splitlines()[-1] == "True"}  # fmt: skip


def machine() -> dict[str, Any]:
    return {"python": platform.python_version(), "platform": platform.platform(),
            "cpus": os.cpu_count(), "load_avg": [round(x, 2) for x in os.getloadavg()]}  # fmt: skip


def print_table(report: dict[str, Any]) -> None:
    """The rows of ``make bench`` for points 3-5."""
    m = report["machine_before"]
    print(f"end to end (CLI; {m['cpus']} CPUs, load average {m['load_avg'][0]:.2f} before, "
          f"{report['machine_after']['load_avg'][0]:.2f} after; Python {m['python']})")  # fmt: skip
    d = report["default_run"]
    print(f"  default run            wall {d['wall_s']:6.2f} s  cpu {d['cpu_s']:6.2f} s  "
          f"(target <= 4 s; runs {d['walls_s']})")  # fmt: skip
    print("    stages: " + ", ".join(f"{k} {v:.2f}" for k, v in d["stages_s"].items()))
    i = report["incident"]
    print(f"  incident cold          wall {i['cold_empty_cache_wall_s']:6.2f} s empty cache, "
          f"{i['cold_cached_wall_s']:.2f} s cached (target <= 5 s)")  # fmt: skip
    print(f"  incident warm          wall {i['warm_wall_s']:6.2f} s with the run folder, "
          f"{i['warm_answer_s']:.2f} s the answer alone (target <= 1.5 s)")  # fmt: skip
    s = report["scenarios"]
    print(f"  scenarios              wall {s['wall_s']:6.2f} s (target <= 1 s; "
          f"imports geopandas: {s['imports_geopandas']})")  # fmt: skip
    if "district" in report:
        x = report["district"]
        print(f"  district {x['persons_in_area']:,} persons  wall {x['wall_s']:6.2f} s (<= 60)  "
              f"peak RSS {x['max_rss_mb']:.0f} MB (<= 1536)  map.html {x['map_mb']:.1f} MB "
              f"(<= 15)")  # fmt: skip
        print("    stages: " + ", ".join(f"{k} {v:.1f}" for k, v in x["timings_s"].items()))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="one repeat, no district")
    ap.add_argument("--no-district", action="store_true")
    args = ap.parse_args()
    repeats = 1 if args.quick else args.repeats
    report: dict[str, Any] = {"when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                              "machine_before": machine(), "targets": TARGETS}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="evacsim-e2e-") as tmp:
        report["default_run"] = default_run(repeats, Path(tmp))
        report["incident"] = incident(repeats, Path(tmp))
    report["scenarios"] = scenarios(repeats)
    if not (args.quick or args.no_district):
        report["district"] = run_district()
    report["machine_after"] = machine()
    print_table(report)
    out = RESULTS.with_name("e2e_quick.json") if args.quick else RESULTS
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"written {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
