"""The default Funiuxi run's pages as people see them, in headless Chromium, on a 1400 x 900
screen and a 390 px phone: what is on at first, collapsing controls, labels, nothing covering the
assembly point, titles, printing on A4 and A3, Chinese glyphs, the drill sheet's map offline; the
grid workers' sheets of the warning-chain scenario and the page ``evacsim optimize`` writes.

The area's ``area.toml`` says ``lang = "zh"``: every page is in Chinese. With
``EVACSIM_SCREENSHOTS=1`` the screenshots go to ``docs/screenshots/`` (the README shows them);
otherwise to a temporary folder.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from evacsim import save
from evacsim.pipeline import Run, run
from tests.support.paths import REPO, SCENARIOS

from .conftest import LoggedPage

pytestmark = pytest.mark.browser

PageAt = Callable[[int, int], LoggedPage]

#: Layers on when the run map opens (their Chinese names), and those off.
ON = ("背景（河流、铁路）", "危险区", "道路", "危险源", "集中疏散点", "安置点",
      "前往集中疏散点的路线", "前往安置点的路线", "滞留人员", "标注")  # fmt: skip
OFF = ("网格", "物资调取点", "救援队伍驻地", "拥堵", "疏散人员（时间滑块）", "救援队伍路线",
       "物资运输")  # fmt: skip
#: A4 and A3 in PostScript points (1/72 in): ISO 216 (210 x 297 mm, 297 x 420 mm).
A4_PT, A3_PT = (595.28, 841.89), (841.89, 1190.55)


@pytest.fixture(scope="module")
def funiuxi(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Path]:
    result = run(SCENARIOS / "funiuxi_tank_fire.toml")
    return result, save(result, tmp_path_factory.mktemp("funiuxi") / "run")


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.environ.get("EVACSIM_SCREENSHOTS"):
        return REPO / "docs" / "screenshots"
    return tmp_path_factory.mktemp("screenshots")


def _screenshot(page: Any, path: Path, *, width: int = 900) -> None:
    """A small PNG (scaled to ``width`` px, 256 colours) of what the page shows now."""
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    raw = path.with_suffix(".raw.png")
    page.screenshot(path=str(raw))
    with Image.open(raw) as image:
        small = image.convert("RGB").resize(
            (width, round(image.height * width / image.width)), Image.Resampling.LANCZOS
        )
        small.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    raw.unlink()


def _open(page: LoggedPage, path: Path, fragment: str = "") -> Any:
    page.page.goto(path.as_uri() + fragment)
    page.page.wait_for_selector(".leaflet-overlay-pane svg path")
    return page.page


def _box(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]
    )  # fmt: skip


def test_run_map_opens_on_what_matters_with_labels(
    funiuxi: tuple[Run, Path], page_at: PageAt, shots: Path
) -> None:
    result, folder = funiuxi
    lp = page_at(1400, 900)
    page = _open(lp, folder / "map.html")
    assert page.title() == f"{result.prepared.scenario.name} — 推演总图"
    layers = page.locator(".leaflet-control-layers-overlays label")
    state = {layers.nth(k).inner_text().strip(): layers.nth(k).locator("input").is_checked()
             for k in range(layers.count())}  # fmt: skip
    assert {name: state[name] for name in ON} == dict.fromkeys(ON, True)
    assert {name: state[name] for name in OFF} == dict.fromkeys(OFF, False)
    assert page.locator(".leaflet-control-layers-list").is_visible()  # expanded on a wide screen
    assert page.locator(".evacsim-legend .evacsim-body").is_visible()
    # labels: facility ids and names at the opening zoom, main road names from zoom 15
    facility = page.locator(".evacsim-label-facility:visible")
    assert facility.count() >= 5 and "AP-4 周家坪社区广场" in " ".join(facility.all_inner_texts())
    assert page.locator(".evacsim-label-road:visible").count() == 0
    page.evaluate("() => { const m = window[document.querySelector('.folium-map').id];"
                  " m.setZoom(16, {animate: false}); }")  # fmt: skip
    roads = page.locator(".evacsim-label-road:visible")
    assert roads.count() > 0 and any("路" in t for t in roads.all_inner_texts())
    page.evaluate("() => window.evacsimFit()")
    # the headline in the title box links to the report's sections
    links = page.locator("#evacsim-title a")
    assert links.count() >= 3
    assert all(re.fullmatch(r"report\.html#\w+", h or "") for h in
               links.evaluate_all("as => as.map(a => a.getAttribute('href'))"))  # fmt: skip
    _screenshot(page, shots / "run_map.png")
    assert lp.log.problems() == {}


def test_controls_collapse_on_a_phone(funiuxi: tuple[Run, Path], page_at: PageAt) -> None:
    _, folder = funiuxi
    lp = page_at(390, 844)
    page = _open(lp, folder / "map.html")
    layers = page.locator(".leaflet-control-layers-list")
    assert not layers.is_visible()
    assert page.locator(".leaflet-control-layers-toggle").inner_text().endswith("图层")
    assert not page.locator(".evacsim-legend .evacsim-body").is_visible()
    assert not page.locator("#evacsim-title .evacsim-body").is_visible()
    width = page.evaluate("() => document.documentElement.clientWidth")
    for selector in ("#evacsim-title", "#evacsim-legend", ".leaflet-control-layers"):
        box = _box(page, selector)
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, selector
    page.locator(".leaflet-control-layers-toggle").click()
    assert layers.is_visible()
    page.locator(".evacsim-layers-head button").click()
    assert not layers.is_visible()
    page.locator("#evacsim-legend .evacsim-toggle").click()
    assert page.locator(".evacsim-legend .evacsim-body").is_visible()
    assert lp.log.problems() == {}


@pytest.mark.parametrize("viewport", [(1400, 900), (390, 844)])
def test_assembly_point_stays_clear_of_the_legend_and_panels(
    funiuxi: tuple[Run, Path], page_at: PageAt, shots: Path, viewport: tuple[int, int]
) -> None:
    _, folder = funiuxi
    lp = page_at(*viewport)
    page = _open(lp, folder / "ap_AP-4.html")
    assert page.title().startswith("AP-4 周家坪社区广场")
    marker = _box(page, "path.evacsim-assembly-points")
    for selector in ("#evacsim-legend", "#evacsim-panel", "#evacsim-title",
                     ".leaflet-control-layers", "#evacsim-print"):  # fmt: skip
        assert not _overlap(marker, _box(page, selector)), selector
    if viewport[0] == 1400:
        _screenshot(page, shots / "assembly_point_map.png")
    assert lp.log.problems() == {}


@pytest.mark.parametrize(
    ("paper", "size_pt"),
    [("a4-landscape", A4_PT[::-1]), ("a4-portrait", A4_PT), ("a3-landscape", A3_PT[::-1]),
     ("a3-portrait", A3_PT)],
)  # fmt: skip
def test_maps_print_on_one_page_of_the_chosen_paper(
    funiuxi: tuple[Run, Path], page_at: PageAt, paper: str, size_pt: tuple[float, float]
) -> None:
    _, folder = funiuxi
    lp = page_at(1400, 900)
    page = _open(lp, folder / "ap_AP-4.html", f"#paper={paper}")
    assert page.locator("#evacsim-print select").input_value() == paper
    page.emulate_media(media="print")
    assert page.locator(".leaflet-control-scale").is_visible()
    assert page.locator("#evacsim-north").is_visible()
    assert not page.locator("#evacsim-print").is_visible()
    assert page.locator("#evacsim-legend .evacsim-body").is_visible()
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 1
    (box,) = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert (float(box[0]), float(box[1])) == pytest.approx(size_pt, abs=1.0)
    # the map fills the printed page: the printable area is the page less 8 mm margins
    map_box = _box(page, ".folium-map")
    assert map_box["width"] == pytest.approx((size_pt[0] / 72 * 25.4 - 16) / 25.4 * 96, abs=3)
    assert lp.log.problems() == {}


def test_chinese_names_render_with_glyphs(funiuxi: tuple[Run, Path], page_at: PageAt) -> None:
    _, folder = funiuxi
    lp = page_at(1400, 900)
    page = _open(lp, folder / "map.html")
    label = page.locator(".evacsim-label-facility", has_text="AP-4").first
    font = label.evaluate("e => getComputedStyle(e).fontFamily")
    assert "Noto Sans CJK SC" in font and "Microsoft YaHei" in font and "PingFang SC" in font
    # Widths in a Latin font, whose missing-glyph box is narrower than a CJK glyph: the name
    # measures as boxes unless a CJK font on the machine draws it.
    widths = page.evaluate(
        """() => ['周家坪', '\\uE000\\uE001\\uE002'].map(text => {
            const s = document.createElement('span');
            s.textContent = text; s.style.font = '20px "DejaVu Sans"';
            s.style.position = 'absolute'; document.body.appendChild(s);
            const w = s.getBoundingClientRect().width; s.remove(); return w; })"""
    )
    glyphs, boxes = widths
    assert glyphs > 0 and boxes > 0 and abs(glyphs - boxes) > 1.0, widths
    # In the label's own font, two different characters are drawn differently (two missing-glyph
    # boxes would be the same picture).
    same = label.evaluate(
        """e => { const c = document.createElement('canvas'); c.width = 60; c.height = 40;
            const g = c.getContext('2d'); g.font = '28px ' + getComputedStyle(e).fontFamily;
            const draw = t => { g.clearRect(0, 0, 60, 40); g.fillText(t, 2, 32);
                                return Array.from(g.getImageData(0, 0, 60, 40).data).join(); };
            return draw('周') === draw('家'); }"""
    )
    assert same is False
    assert lp.log.problems() == {}


def test_report_opens_on_its_headline(
    funiuxi: tuple[Run, Path], page_at: PageAt, shots: Path
) -> None:
    result, folder = funiuxi
    lp = page_at(1400, 900)
    page = lp.page
    page.goto((folder / "report.html").as_uri())
    assert page.title() == f"{result.prepared.scenario.name} — evacsim 报告"
    headline = page.locator("#headline")
    box = _box(page, "#headline ul.headline")
    assert box["y"] < 900  # on the first screen
    assert "问题要点" in headline.inner_text() and "需疏散人数" in headline.inner_text()
    for anchor in headline.locator("a").evaluate_all("as => as.map(a => a.hash)"):
        assert page.locator(anchor).count() == 1, anchor
    _screenshot(page, shots / "report_headline.png")
    assert lp.log.problems() == {}


def test_drill_sheet_map_loads_offline_and_reads_on_a_phone(
    funiuxi: tuple[Run, Path], page_at: PageAt, shots: Path
) -> None:
    _, folder = funiuxi
    for width, height in ((1400, 900), (390, 844)):
        lp = page_at(width, height)
        page = lp.page
        page.goto((folder / "drill" / "TM-1.html").as_uri())
        assert page.title().startswith("演练任务单 TM-1")
        sketch = page.locator("svg.evacsim-sketch").first
        sketch.scroll_into_view_if_needed()
        box = sketch.bounding_box()
        assert box is not None and min(width, 900) - 40 <= box["width"] <= width  # page width
        route = sketch.locator("path.evacsim-route")
        assert route.count() == 1 and route.evaluate("p => p.getTotalLength()") > 10
        doc_width = page.evaluate("() => document.documentElement.scrollWidth")
        assert doc_width <= width  # one column: nothing wider than the screen
        if width == 1400:
            page.locator("#task-1").scroll_into_view_if_needed()
            _screenshot(page, shots / "drill_sheet.png")
        page.emulate_media(media="print")
        pdf = page.pdf(prefer_css_page_size=True)
        tasks = page.locator("section.task").count()
        assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") >= tasks + 1
        assert lp.log.problems() == {}


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Path]:
    result = run(SCENARIOS / "funiuxi_warning_chain.toml")
    return result, save(result, tmp_path_factory.mktemp("chain") / "run")


def test_grid_worker_sheet_reads_on_a_phone_and_prints_a_page_per_worker(
    chain: tuple[Run, Path], page_at: PageAt, shots: Path
) -> None:
    result, folder = chain
    last = result.summary["warning"]["last_grid"]
    for width, height in ((1400, 900), (390, 844)):
        lp = page_at(width, height)
        page = lp.page
        page.goto((folder / "drill" / "warning" / f"{last['grid_id']}.html").as_uri())
        assert page.title() == f"预警通知单 {last['grid_id']}"
        assert page.locator("section.worker").count() == last["workers"]
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        tick = _box(page, "th.tick")  # the column the worker ticks is on the screen
        assert tick["x"] + tick["width"] <= width
        if width == 1400:
            _screenshot(page, shots / "warning_sheet.png")
        page.emulate_media(media="print")
        pdf = page.pdf(prefer_css_page_size=True)
        assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") >= last["workers"]
        assert lp.log.problems() == {}


@pytest.fixture(scope="module")
def optimized(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from evacsim.export.optimized import write_optimized
    from evacsim.optimize.search import optimize
    from tests.support.tiny_area import tiny_scenario, write_tiny_area

    root = tmp_path_factory.mktemp("optimize")
    write_tiny_area(root / "area")
    path = root / "s.toml"
    path.write_text(tiny_scenario(seed=7, period="day"), encoding="utf-8")
    return write_optimized(optimize(path, max_simulations=6), root / "out").page


def test_optimize_page_embeds_its_map_offline_and_reads_on_a_phone(
    optimized: Path, page_at: PageAt
) -> None:
    for width, height in ((1400, 900), (390, 844)):
        lp = page_at(width, height)
        page = lp.page
        page.goto(optimized.as_uri())
        assert page.title().startswith("Optimized plan — ")
        page.locator("iframe").scroll_into_view_if_needed()
        frame = page.frame_locator("iframe")
        frame.locator(".leaflet-overlay-pane svg path").first.wait_for()
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        assert lp.log.problems() == {}
