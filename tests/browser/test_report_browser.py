"""report.html in a real browser: no script error, no request leaves the machine, images load."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import pytest

from evacsim import save
from evacsim.pipeline import run
from tests.support.tiny_area import write_tiny_area

from .conftest import LoggedPage

pytestmark = pytest.mark.browser

SCENARIO = """
name = "browser report"
seed = 4
area = "{area}"
[hazard]
model = "radius"
source = "T-01"
radii_m = {{ red = 60, orange = 150, yellow = 250 }}
evacuate = "yellow"
"""


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report_browser")
    area = write_tiny_area(root / "tiny")
    path = root / "s.toml"
    path.write_text(SCENARIO.format(area=area.name), encoding="utf-8")
    return save(run(path), root / "run")


def test_report_opens_offline_with_its_charts(run_folder: Path, logged_page: LoggedPage) -> None:
    page = logged_page.page
    page.goto((run_folder / "report.html").as_uri())
    page.wait_for_load_state("load")
    sizes = page.eval_on_selector_all(
        "svg.evacsim-chart", "svgs => svgs.map(s => [s.getBBox().width, s.getBBox().height])"
    )
    assert len(sizes) == 2
    assert all(w > 100 and h > 100 for w, h in sizes), sizes
    # the axis labels are text the browser draws in the page's fonts
    assert page.locator("svg.evacsim-chart text").count() > 10
    assert page.title() == "browser report — evacsim report"
    assert page.locator("#ete-table tbody tr").count() >= 2
    assert logged_page.log.problems() == {}


def test_report_links_open_the_maps(run_folder: Path, logged_page: LoggedPage) -> None:
    page = logged_page.page
    page.goto((run_folder / "report.html").as_uri())
    hrefs = page.eval_on_selector_all("nav a", "as => as.map(a => a.href)")
    assert hrefs
    assert any(h.endswith("/map.html") for h in hrefs)
    for href in hrefs:
        assert href.startswith("file:"), href
        assert Path(unquote(href.removeprefix("file://"))).is_file(), href
