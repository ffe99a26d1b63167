"""The district-sized case of issue 14: the bundled area with ~420,000 people, everyone leaving.

:func:`build_district` writes, into a folder, a copy of ``maps/funiuxi`` whose every grid's night
population (and the people among them who need help) is scaled by one factor so that the night
total is ~420,000 (each grid rounded to whole persons), and ``district.toml``: the night tank
fire (``scenarios/funiuxi_tank_fire_night.toml``) with a 100 % shadow evacuation reaching every
grid (everyone in the area leaves), buses, teams and supplies on (their defaults), and a 24 h
horizon. :func:`run_district` runs it through the command line in a child process and returns
the wall time, the peak RSS (the largest of the command's process and its output worker, from
``getrusage(RUSAGE_CHILDREN)`` of a fresh process per run) and the run map's size.

Usage: ``python benchmarks/district.py [--persons 420000] [--keep DIR]``; prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
AREA = ROOT / "maps" / "funiuxi"
NIGHT = ROOT / "scenarios" / "funiuxi_tank_fire_night.toml"
PERSONS = 420_000
HORIZON_S = 24 * 3600

_EXTRA = f"""
[simulation]
end_s = {HORIZON_S}
"""


def scale_grids(doc: dict[str, Any], persons: int) -> int:
    """Scale every grid's ``population_night`` (and ``needs_assistance`` with it) in a grids
    GeoJSON document so the night total is ~``persons``; return the new total."""
    feats = doc["features"]
    total = sum(int(f["properties"]["population_night"]) for f in feats)
    factor = persons / total
    for f in feats:
        p = f["properties"]
        night = round(int(p["population_night"]) * factor)
        p["needs_assistance"] = min(round(int(p["needs_assistance"]) * factor), night)
        p["population_night"] = night
    return sum(int(f["properties"]["population_night"]) for f in feats)


def split_grids(doc: dict[str, Any], grids: int) -> int:
    """Split every grid of a grids GeoJSON document into about ``grids / len(features)``
    square cells (clipped to the grid), people shared by area; return the new grid count.

    The many-small-grids case: the map must stay small whatever the number of grids.
    """
    import shapely
    from shapely.geometry import box, mapping, shape

    feats = doc["features"]
    per = max(grids // len(feats), 1)
    out = []
    for f in feats:
        poly = shape(f["geometry"])
        x0, y0, x1, y1 = poly.bounds
        n = max(round(per**0.5 * 1.3), 1)  # a bounding box is larger than the polygon
        dx, dy = (x1 - x0) / n, (y1 - y0) / n
        boxes = [box(x0 + i * dx, y0 + j * dy, x0 + (i + 1) * dx, y0 + (j + 1) * dy)
                 for i in range(n) for j in range(n)]  # fmt: skip
        cells = [poly.intersection(b) for b in boxes]
        cells = [c for c in cells if c.geom_type == "Polygon" and c.area > 0]
        areas = shapely.area(cells)
        share = areas / areas.sum()
        p = f["properties"]
        for k, (cell, w) in enumerate(zip(cells, share, strict=True)):
            q = dict(p)
            q["id"] = f"{p['id']}-{k:03d}"
            for key in ("population_day", "population_night"):
                q[key] = round(int(p[key]) * w)
            q["needs_assistance"] = min(round(int(p["needs_assistance"]) * w),
                                        q["population_day"], q["population_night"])  # fmt: skip
            q["grid_workers"] = 1
            out.append({"type": "Feature", "properties": q, "geometry": mapping(cell)})
    doc["features"] = out
    return len(out)


def district_scenario_toml() -> str:
    """The night tank fire with everyone in the area leaving and a 24 h horizon."""
    text = NIGHT.read_text(encoding="utf-8")
    text = text.replace('area = "../maps/funiuxi"', 'area = "area"')
    text = text.replace(
        'name = "Funiuxi depot — gasoline tank fire, at night"',
        'name = "District — gasoline tank fire at night, everyone leaving (~420,000)"',
    )
    # A shadow evacuation of every grid outside the zone: the whole district leaves.
    text = text.replace('period = "night"', 'period = "night"\nshadow_share = 1.0\n'
                        "shadow_buffer_m = 100000.0")  # fmt: skip
    return text + _EXTRA


def build_district(
    folder: Path, persons: int = PERSONS, grids: int | None = None
) -> tuple[Path, int]:
    """Write the scaled area (its grids split into ~``grids`` cells when given) and
    ``district.toml`` into ``folder``; return (scenario, total persons)."""
    folder.mkdir(parents=True, exist_ok=True)
    area = folder / "area"
    shutil.copytree(AREA, area, dirs_exist_ok=True)
    grids_path = area / "grids.geojson"
    doc = json.loads(grids_path.read_text(encoding="utf-8"))
    total = scale_grids(doc, persons)
    if grids is not None:
        split_grids(doc, grids)
        total = sum(int(f["properties"]["population_night"]) for f in doc["features"])
    grids_path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    scenario = folder / "district.toml"
    scenario.write_text(district_scenario_toml(), encoding="utf-8")
    return scenario, total


_CHILD = """
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"code": proc.returncode, "wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime,
                  "max_rss_mb": ru.ru_maxrss / 1024.0, "stderr": proc.stderr[-4000:]}))
"""


def measured(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Wall, CPU (user + system) and peak RSS of ``cmd`` and its workers: run under a fresh
    Python whose ``RUSAGE_CHILDREN`` sees only it."""
    out = subprocess.run([sys.executable, "-c", _CHILD, *cmd], check=True, capture_output=True,
                         text=True, env={**os.environ, **(env or {})})  # fmt: skip
    record: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    if record["code"] != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({record['code']}):\n{record['stderr']}")
    return record


def evacsim_cmd() -> list[str]:
    return [str(Path(sys.executable).parent / "evacsim")]


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def run_district(
    persons: int = PERSONS, keep: Path | None = None, grids: int | None = None
) -> dict[str, Any]:
    """Build the district case and run it through the CLI; wall, peak RSS, map size, timings."""
    with tempfile.TemporaryDirectory(prefix="evacsim-district-") as tmp:
        folder = keep or Path(tmp)
        scenario, total = build_district(folder, persons, grids)
        out = folder / "run"
        shutil.rmtree(out, ignore_errors=True)
        rec = measured([*evacsim_cmd(), "run", str(scenario), "--out", str(out), "--quiet"])
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        return {
            "persons_in_area": total,
            "grids": grids,
            "persons_evacuating": summary.get("persons_total"),
            "wall_s": round(rec["wall_s"], 2),
            "cpu_s": round(rec["cpu_s"], 2),
            "max_rss_mb": round(rec["max_rss_mb"], 1),
            "map_mb": round((out / "map.html").stat().st_size / 2**20, 2),
            "folder_mb": round(_folder_bytes(out) / 2**20, 1),
            "timings_s": manifest.get("timings_s", {}),
        }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=PERSONS)
    ap.add_argument("--grids", type=int, help="Split the grids into about this many cells.")
    ap.add_argument("--keep", type=Path, help="Build and run in this folder (kept).")
    args = ap.parse_args()
    t0 = time.perf_counter()
    print(json.dumps(run_district(args.persons, args.keep, args.grids)))
    print(f"({time.perf_counter() - t0:.1f} s with building the case)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
