"""Every page, sheet and headline in Simplified Chinese: the catalog is complete, keeps every
placeholder, and a page rendered in Chinese holds no English the catalog should have translated.

The strict test renders the tiny area with Chinese names (so every word of English left on the
page is evacsim's own) and fails on any run of three or more Latin letters that is not an id, a
unit or a proper name (ALLOWED).
"""

from __future__ import annotations

import json
import logging
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from evacsim.display._catalogs import extract_messages, read_catalog
from evacsim.display.i18n import LANGS, translator

PLACEHOLDER = re.compile(r"\{(\w*)\}")


def _ids(message: Any) -> tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, list | tuple) else (message.id,)


@pytest.fixture(scope="module")
def extracted() -> dict[Any, Any]:
    return {m.id if isinstance(m.id, str) else tuple(m.id): m for m in extract_messages() if m.id}


@pytest.mark.parametrize("lang", LANGS)
def test_catalog_holds_every_message_of_the_code(lang: str, extracted: dict[Any, Any]) -> None:
    catalog = {m.id if isinstance(m.id, str) else tuple(m.id): m for m in read_catalog(lang)
               if m.id}  # fmt: skip
    missing = sorted(str(k) for k in set(extracted) - set(catalog))
    stale = sorted(str(k) for k in set(catalog) - set(extracted))
    assert not missing, f"run tools/i18n.py: not in the {lang} catalog: {missing[:5]}"
    assert not stale, f"run tools/i18n.py: no longer in the code: {stale[:5]}"


def test_every_message_has_a_chinese_translation_with_its_placeholders(
    extracted: dict[Any, Any],
) -> None:
    catalog = {m.id if isinstance(m.id, str) else tuple(m.id): m for m in read_catalog("zh")}
    untranslated, broken = [], []
    for key in extracted:
        message = catalog[key]
        strings = message.string if isinstance(message.string, list | tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            untranslated.append(key)
            continue
        wanted = {name for text in _ids(message) for name in PLACEHOLDER.findall(text)}
        for text in strings:
            if set(PLACEHOLDER.findall(text)) != wanted:
                broken.append((key, text))
    assert not untranslated, f"no Chinese translation: {untranslated[:5]}"
    assert not broken, f"a translation drops or adds a placeholder: {broken[:5]}"


def test_translator_fills_placeholders_and_falls_back_to_english() -> None:
    zh, en = translator("zh"), translator("en")
    assert zh("{n} persons to evacuate", n="3,500") == "需疏散 3,500 人"
    assert en("{n} persons to evacuate", n="3,500") == "3,500 persons to evacuate"
    assert zh.gettext("a message nobody wrote") == "a message nobody wrote"
    with pytest.raises(ValueError, match="'fr'"):
        translator("fr")


# ------------------------------------------------------------------ strict rendering in Chinese

#: Latin words that may stay on a Chinese page: ids, units, model and proper names, file names.
ALLOWED = {
    "AEGL", "ETE", "FED", "GPX", "NUREG", "UTC", "evacsim", "ppm", "min", "psi", "kW", "km",
    "Leaflet", "OpenStreetMap", "Noto", "Sans", "CJK", "Source", "Han", "Microsoft", "YaHei",
    "PingFang", "sans", "serif", "lat", "lon", "html", "radius", "pool_fire", "toxic_plume",
    "plume", "toxic", "pool", "fire", "nearest", "plan", "capacity",
    "CCRP",  # capacity-constrained route planning, the optimizer's algorithm, named as published
}  # fmt: skip
LATIN = re.compile(r"[A-Za-z][A-Za-z_]{2,}")


class _Text(HTMLParser):
    """The text a reader sees: no script, no style, plus title/aria attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        self.parts += [v for k, v in attrs if k in ("title", "aria-label", "alt") and v]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def english_in(text: str) -> set[str]:
    """Latin words of a text that are not file names, paths, ids, units or allowed names."""
    text = re.sub(r"(?<![\w.])/\S+", " ", text)  # absolute paths (terminal, log lines)
    text = re.sub(r"\S+\.(html|gpx|json|toml|gpkg)\b", " ", text)  # file names
    text = re.sub(r"\b[A-Z]{1,3}-\d+\b", " ", text)  # ids: AP-1, G-001, TM-1, R-0014
    text = re.sub(r"\b[A-Z]{1,3}-\d+/\d+\b", " ", text)
    return {w for w in LATIN.findall(text) if w not in ALLOWED}


def english_words(html: str) -> set[str]:
    """Latin words of a page's visible text that are not ids, units or allowed names."""
    parser = _Text()
    parser.feed(html)
    return english_in(" ".join(parser.parts))


def layer_names(html: str) -> list[str]:
    """The names in a map page's layer control (they are in the page's script)."""
    names = re.findall(r'("[^"]+")\s*:\s*(?:geo_json|feature_group|label_layer|time_slider)', html)
    return [json.loads(n) for n in names]


def chinese_area(folder: Path) -> Path:
    """The tiny area with every name in Chinese and ``lang = "zh"`` in its area.toml."""
    from tests.support.tiny_area import tiny_features, write_tiny_area

    def named(layer: str, names: dict[str, str], **fields: str) -> list[dict[str, Any]]:
        feats = tiny_features(layer)
        for f in feats:
            props = f["properties"]
            if "name" in props:
                props["name"] = names.get(props["id"], "某处")
            props.update(fields)
        return feats

    roads = {f"R-{k:04d}": n for k, n in enumerate(
        ["江滨路", "江滨路", "中街", "中街", "北巷", "北巷", "横巷一", "横巷一", "横巷二", "横巷二",
         "横巷三", "横巷三", "", "伏牛高架"], start=1)}  # fmt: skip
    return write_tiny_area(
        folder,
        area_toml='name = "小区域"\nlang = "zh"\n',
        roads=named("roads", roads),
        grids=[{**f, "properties": {**f["properties"], "name": f"网格{k}", "town": "跳磴镇",
                                    "community": "伏牛溪社区", "group": f"第{k}组"}}
               for k, f in enumerate(named("grids", {}), start=1)],
        assembly_points=named("assembly_points", {"AP-1": "学校操场", "AP-2": "市场广场"}),
        shelters=named("shelters", {"S-1": "体育馆", "S-2": "礼堂"}),
        hazard_sources=named("hazard_sources", {"T-01": "一号油罐", "CL-1": "氯气库"}),
        supply_points=named("supply_points", {"SP-1": "物资点"}),
        team_bases=named("team_bases", {"TM-1": "消防队"}, specialty="消防"),
    )  # fmt: skip


@pytest.fixture(scope="module")
def chinese_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    from evacsim import save
    from evacsim.pipeline import run
    from tests.support.tiny_area import tiny_scenario

    root = tmp_path_factory.mktemp("zh")
    area = chinese_area(root / "area")
    path = root / "s.toml"
    path.write_text(tiny_scenario(name="油罐火灾演练", area=area.name, buses=2), encoding="utf-8")
    result = run(path)
    return result, save(result, root / "run")


def test_report_and_drill_sheet_have_no_untranslated_text(chinese_run: tuple[Any, Path]) -> None:
    _, folder = chinese_run
    for page in ("report.html", "drill/TM-1.html"):
        html = (folder / page).read_text(encoding="utf-8")
        assert 'lang="zh-Hans"' in html, page
        assert english_words(html) == set(), page


def test_map_page_shell_has_no_untranslated_text(chinese_run: tuple[Any, Path]) -> None:
    _, folder = chinese_run
    html = (folder / "map.html").read_text(encoding="utf-8")
    body = html.split("<body>", 1)[1]
    assert english_words(body) == set()  # title box, legend, print options, north arrow
    names = layer_names(html)  # the layer names are Chinese too
    assert len(names) > 10 and not [n for n in names if LATIN.search(n)], names


def test_terminal_headline_is_in_chinese(
    chinese_run: tuple[Any, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from evacsim.cli import _print_run

    result, folder = chinese_run
    _print_run(result, folder)
    out = capsys.readouterr().out
    assert "需疏散" in out
    assert english_in(out) == set()


# ------------------------------------------------- the warning chain and the optimizer in Chinese

#: A mass alert beside the chain (the name the docs suggest: the pages translate it).
CHAIN = (
    '[warning]\nmode = "chain"\n'
    'channels = [{ name = "cell broadcast", share = 0.3, at_s = 1500 }]\n'
)
#: An alarm record for the tiny area's tank; no stability given, so a note says how it was found.
ALARM = {"alarm_id": "A-7", "source": "T-01", "time": "2026-11-27T15:02:00+08:00",
         "detection": {"kind": "fire"}, "substance": "gasoline",
         "weather": {"wind_from_deg": 45, "wind_speed_m_s": 2.5,
                     "cloud_cover_tenths": 6}}  # fmt: skip


@pytest.fixture(scope="module")
def chinese_area_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return chinese_area(tmp_path_factory.mktemp("zh_area") / "area")


def _chinese_scenario(folder: Path, area: Path, extra: str = "") -> Path:
    from tests.support.tiny_area import tiny_scenario

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "s.toml"
    text = tiny_scenario(name="油罐火灾演练", area=str(area), seed=11, period="day", extra=extra)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def chinese_chain_folder(chinese_area_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from evacsim import save
    from evacsim.pipeline import run

    root = tmp_path_factory.mktemp("zh_chain")
    result = run(_chinese_scenario(root, chinese_area_dir, CHAIN))
    return save(result, root / "run")


def test_warning_chain_pages_have_no_untranslated_text(chinese_chain_folder: Path) -> None:
    folder = chinese_chain_folder
    report = (folder / "report.html").read_text(encoding="utf-8")
    assert 'id="warning-table"' in report and "手机应急广播" in report  # the section is there
    sheets = sorted((folder / "drill" / "warning").glob("*.html"))
    assert len(sheets) > 2  # the index and a sheet per grid
    for page in [folder / "report.html", *sheets]:
        html = page.read_text(encoding="utf-8")
        assert 'lang="zh-Hans"' in html and "Noto Sans CJK SC" in html, page.name
        assert english_words(html) == set(), page.name
    html = (folder / "map.html").read_text(encoding="utf-8")
    assert english_words(html.split("<body>", 1)[1]) == set()  # legend of the warning layer
    popups = " ".join(
        json.loads(f'"{p}"') for p in re.findall(r'"popup_html": "((?:[^"\\]|\\.)*)"', html)
    )
    assert "网格员" in popups and english_words(popups) == set()  # the warning layer's popups
    names = layer_names(html)
    assert "预警：最后一户通知时间" in names and not [n for n in names if LATIN.search(n)]


@pytest.fixture(scope="module")
def chinese_optimized(chinese_area_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from evacsim.optimize.search import optimize

    return optimize(_chinese_scenario(tmp_path_factory.mktemp("zh_opt"), chinese_area_dir),
                    max_simulations=6)  # fmt: skip


def test_optimize_page_and_map_have_no_untranslated_text(
    chinese_optimized: Any, tmp_path: Path
) -> None:
    from evacsim.maps.base import save_map
    from evacsim.report.optimized import changes_map, optimized_html

    html = optimized_html(chinese_optimized)
    assert 'lang="zh-Hans"' in html and "Noto Sans CJK SC" in html
    assert len(chinese_optimized.tried) > 3 and "下界" in html
    assert english_words(html) == set()
    page = save_map(changes_map(chinese_optimized), tmp_path / "changes_map.html")
    text = page.read_text(encoding="utf-8")
    assert english_words(text.split("<body>", 1)[1]) == set()
    names = layer_names(text)
    assert names and not [n for n in names if LATIN.search(n)], names


def test_bound_and_optimize_print_chinese(
    chinese_optimized: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from types import SimpleNamespace

    from evacsim.cli import _print_bound, _print_optimized

    opt = chinese_optimized
    _print_bound(opt.prepared, opt.bound, opt.seed, None)
    written = SimpleNamespace(plan_file=Path("/x/plan.gpkg"), scenario_file=Path("/x/s.toml"),
                              page=Path("/x/optimize.html"))  # fmt: skip
    _print_optimized(opt, written, None)
    out = capsys.readouterr().out
    assert "任何方案都不可能" in out and "优化方案" in out
    assert english_in(out) == set()


def test_alarm_incident_and_watch_speak_chinese(
    chinese_area_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from evacsim.cli import main

    monkeypatch.setenv("COLUMNS", "200")  # a terminal wide enough for the grid table's headings
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a7.json").write_text(json.dumps(ALARM), encoding="utf-8")
    argv = ["incident", "--alarm", str(inbox / "a7.json"), "--area", str(chinese_area_dir),
            "--out", str(tmp_path / "incident")]  # fmt: skip
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 0
    out, err = capsys.readouterr()
    assert "大气稳定度" in err and "网格员" in out  # the note, the grid table's chain columns
    assert english_in(err) == set() and english_in(out) == set()
    report = (tmp_path / "incident" / "report.html").read_text(encoding="utf-8")
    assert "报警 A-7" in report and english_words(report) == set()  # name and description
    with pytest.raises(SystemExit) as exc:
        main(["watch", str(inbox), "--once", "--area", str(chinese_area_dir)])
    assert exc.value.code == 0
    line = capsys.readouterr().out
    assert "a7.json：报警 A-7" in line and "最后通知完的网格" in line
    assert english_in(line) == set()


# ------------------------------------------- a run that breaks (issue 11's endings) in Chinese

#: Chlorine from CL-1 blowing north over the grids (AP-1 inside the zone; the plume closes the
#: roads to it as it spreads), AP-2's only road out closed (R-0012; R-0006 is one-way into it)
#: and a horizon before the run is over: a cut-off point, stranded households, people
#: incapacitated, crews dosed, buses that cannot start, a run stopped by its horizon.
BREAKS = (
    'name = "氯气泄漏演练"\nseed = 7\n'
    '[hazard]\nmodel = "toxic_plume"\nsource = "CL-1"\nevacuate = "yellow"\n'
    '[weather]\nwind_from_deg = 180\nwind_speed_m_s = 2\nstability = "F"\n'
    '[population]\nperiod = "day"\n[transport]\nbuses = 2\nbus_capacity_persons = 20\n'
    '[simulation]\nend_s = 3000\nclosed_roads = ["R-0012"]\n'
)


def test_a_run_that_breaks_reads_in_chinese(
    chinese_area_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    from evacsim.cli import CORE_LOGGERS, main
    from evacsim.display.warnings import known_warning

    path = tmp_path / "s.toml"
    path.write_text(f"area = {json.dumps(str(chinese_area_dir))}\n" + BREAKS, encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["run", str(path), "--out", str(tmp_path / "run")])
    assert exc.value.code == 0
    out, err = capsys.readouterr()
    folder = tmp_path / "run"
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    endings = summary["endings"]
    # the run does break the ways this test is about
    assert summary["ended_by"] == "horizon" and endings["en_route"]["on_the_way"] > 0
    assert endings["at_assembly"]["cut_off"] > 0 and endings["incapacitated"]["fed_1"] > 0
    assert endings["stranded"] and summary["facilities"]["AP-2"]["cut_off_s"] is not None
    assert len(summary["warnings"]) >= 5
    zh = translator("zh")
    assert [w for w in summary["warnings"] if known_warning(w, zh) is None] == []
    # the terminal: the headline in Chinese, the core's English log lines held back
    assert "失能" in out and "滞留" in out and "达到推演时限" in out
    assert english_in(out) == set() and english_in(err) == set()
    core = [r for r in caplog.records if r.name.startswith(CORE_LOGGERS)]
    assert [r.getMessage() for r in core if r.levelno >= logging.WARNING] == []
    # the pages: endings in words, the cut-off point, crews' harm, every warning
    report = (folder / "report.html").read_text(encoding="utf-8")
    for words in ("与所有尚有空位的安置点之间道路中断", "FED 达到 1", "仍在途中", "大巴司机",
                  "集中疏散点 AP-2：自 t = "):  # fmt: skip
        assert words in report, words
    pages = [folder / "report.html", *sorted(folder.glob("drill/*.html"))]
    for page in pages:
        assert english_words(page.read_text(encoding="utf-8")) == set(), page.name
    for page in [folder / "map.html", *sorted(folder.glob("ap_*.html"))]:
        html = page.read_text(encoding="utf-8")
        assert english_words(html.split("<body>", 1)[1]) == set(), page.name


def test_verbose_prints_the_core_warning_lines(caplog: pytest.LogCaptureFixture) -> None:
    from evacsim.cli import _core_lines

    for verbose in (False, True):
        caplog.clear()
        with _core_lines(verbose):
            logging.getLogger("evacsim.plan.assembly").warning("a core warning")
            logging.getLogger("evacsim.export.folder").warning("a face's warning")
        assert [r.name for r in caplog.records] == (
            ["evacsim.plan.assembly", "evacsim.export.folder"] if verbose
            else ["evacsim.export.folder"]
        )  # fmt: skip
    assert logging.getLogger("evacsim.plan").level == logging.NOTSET  # restored


# ------------------------------------------------------------------ reasons and their labels


def test_every_reason_code_has_a_label_in_both_languages() -> None:
    """The reasons of README's "How a run ends" table, the engine's and the assembly points'
    (evacsim.sim.facilities.AP_END_REASONS) all have labels; a passenger's reason names its
    vehicle."""
    from evacsim.display.labels import REASON_LABELS, reason_label
    from evacsim.sim.facilities import AP_END_REASONS

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split("## How a run ends", 1)[1].split("`ended_by` says why", 1)[0]
    rows = [line.split("|")[3] for line in table.splitlines() if line.startswith("| `")]
    documented = {code for cell in rows for code in re.findall(r"`([a-z_ 0-9]+)`", cell)}
    documented = {part for code in documented for part in code.split()}
    assert {"no_assembly_point", "no_team_vehicle", "team_vehicle", "fed_1"} <= documented
    codes = documented | set(AP_END_REASONS) | {"no_route", "gridlock", "unknown"}
    assert codes <= set(REASON_LABELS), codes - set(REASON_LABELS)
    zh = translator("zh")
    assert not [c for c in codes if LATIN.search(reason_label(c, zh).replace("FED", ""))]
    assert reason_label("team_vehicle no_route", zh) == "无可通行道路（乘救援车辆途中）"
    assert reason_label("bus gridlock", translator("en")) == "gridlock (on a bus)"
