"""The optimizer on the tiny area: persons conserved, no route into a worse zone, no more harm,
capacities kept, and the files `evacsim optimize` writes are valid inputs for `evacsim run`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evacsim.cli import main
from evacsim.optimize.search import Optimized, optimize
from evacsim.pipeline import run
from evacsim.plan.reach import hazard_rule
from tests.support.tiny_area import tiny_scenario, write_tiny_area


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("opt")
    write_tiny_area(folder / "area")
    path = folder / "tiny.toml"
    path.write_text(tiny_scenario(name="tiny optimize", seed=7, period="day"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def result(tiny: Path) -> Optimized:
    return optimize(tiny, max_simulations=10)


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


def test_persons_are_conserved(result: Optimized) -> None:
    per_grid = result.official.plan.demand.per_grid.set_index("grid_id")["persons_evacuating"]
    planned = result.best.plan_file.grids.groupby("grid_id")["persons"].sum()
    for grid, persons in per_grid[per_grid > 0].items():
        assert planned.get(grid, 0) == persons
    for cand in result.tried:
        s = cand.summary
        assert s["persons_total"] == result.official.summary["persons_total"]
        assert sum(s["persons"].values()) == s["persons_total"]


def test_no_route_into_a_worse_zone(result: Optimized) -> None:
    """Every road a group enters is, at that moment, no worse than where it stands (the
    simulation's hazard rule, :mod:`evacsim.plan.reach`)."""
    prep = result.prepared
    rule = hazard_rule(prep.zones, prep.network)
    tail = prep.network.edge_tail
    for cand in result.tried:
        paths = cand.results.paths
        assert len(paths) > 0
        for t, edge in zip(paths["t_enter_s"], paths["edge"], strict=True):
            edge_level = rule.edge_levels_at(float(t))[edge]
            assert edge_level >= rule.node_levels_at(float(t))[tail[edge]]


def test_no_more_harm_and_capacities_kept(result: Optimized) -> None:
    for key, value in result.official.harm.items():
        assert result.best.harm[key] <= value
    assert not result.best.overloaded
    assert not result.official.overloaded  # so the scenario's plan is itself a candidate
    assert result.best.objective <= result.official.objective  # never worse than it


def test_bound_is_below_every_plan(tiny: Path, result: Optimized) -> None:
    """The bound is no later than the simulated clearance of any policy's plan."""
    clearance = [c.summary["ete_s"]["assembly"]["p100"] for c in result.tried]
    for policy in ("nearest", "capacity"):
        text = tiny.read_text(encoding="utf-8") + f'[evacuation]\nassignment = "{policy}"\n'
        other = tiny.with_name(f"{policy}.toml")
        other.write_text(text, encoding="utf-8")
        r = run(other, bound=True)
        assert r.summary["bound_s"]["assembly"] == result.bound.to_summary()["assembly"]
        clearance.append(r.summary["ete_s"]["assembly"]["p100"])
    assert result.bound.assembly_s is not None
    assert all(result.bound.assembly_s <= c for c in clearance)


def test_optimize_writes_a_scenario_run_can_take(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "opt"
    code, _, err = _cli(["optimize", str(tiny), "--out", str(out), "--max-simulations", "6",
                         "-q"], capsys)  # fmt: skip
    assert code == 0, err
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["proof"]["same_ete"] is True
    assert {p.name for p in out.iterdir()} >= {
        "plan.gpkg",
        "tiny-optimized.toml",
        "optimize.html",
        "changes_map.html",
        "summary.json",
    }
    scenario = out / "tiny-optimized.toml"
    code, text, err = _cli(["run", str(scenario), "--out", str(tmp_path / "r"), "--json"], capsys)
    assert code == 0, err
    assert json.loads(text)["ete_s"] == summary["plans"]["optimized"]["ete_s"]
    assert json.loads(text)["assignment"] == "optimized"
    code, _, err = _cli(["run", str(scenario), "--out", str(tmp_path / "r2"), "--seed", "99",
                         "-q"], capsys)  # fmt: skip
    assert code == 0, err  # another seed (a sweep replication): the plan still applies
    page = (out / "optimize.html").read_text(encoding="utf-8")
    assert "optimized" in page and "bound" in page


def test_bound_command(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _cli(["bound", str(tiny), "--json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["assembly"] > 0 and data["step_s"]
    code, out, err = _cli(["bound", str(tiny)], capsys)
    assert code == 0 and "no plan brings everyone" in out


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["bound", "missing.toml"], "missing.toml"),
        (["bound", "TINY", "--step-s", "0"], "--step-s"),
        (["optimize", "TINY", "--max-simulations", "1"], "--max-simulations"),
    ],
)
def test_bad_input_is_one_line(
    tiny: Path, argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _cli([str(tiny) if a == "TINY" else a for a in argv], capsys)
    assert code == 2
    assert needle in err and len(err.strip().splitlines()) == 1


def test_harm_is_never_traded_for_time() -> None:
    """A faster plan with one more person over FED 0.3 (or over capacity) is not acceptable."""
    from types import SimpleNamespace

    from evacsim.optimize.search import _acceptable, harm

    def cand(fed03: int, over: dict[str, int] | None = None) -> SimpleNamespace:
        summary = {"exposure": {"persons_fed_over_0_3": fed03, "persons_fed_over_1": 0},
                   "persons": {"sheltered": 10}}  # fmt: skip
        return SimpleNamespace(harm=harm(summary), overloaded=over or {})

    official = cand(3)
    assert harm({"exposure": {}, "persons": {}}) == {
        "persons_fed_over_0_3": 0, "persons_fed_over_1": 0, "incapacitated": 0
    }  # fmt: skip
    assert _acceptable(cand(3), official)  # type: ignore[arg-type]
    assert not _acceptable(cand(4), official)  # type: ignore[arg-type]
    assert not _acceptable(cand(0, {"AP-1": 5}), official)  # type: ignore[arg-type]
    assert _acceptable(cand(0, {"AP-1": 5}), official, may_overload=True)  # type: ignore[arg-type]
