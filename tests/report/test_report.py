"""report.html: self-contained, escaped, and carrying the summary's numbers."""

from __future__ import annotations

from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from evacsim import save
from evacsim.pipeline import Run, run
from evacsim.report.report import render_report
from tests.support.tiny_area import tiny_scenario, write_tiny_area

XSS = {
    "roads": "<script>alert('road')</script>",
    "shelters": "<img src=x onerror=alert('shelter')>",
    "grids": '"><script>alert("grid")</script>',
    "assembly_points": "Yard & <b>bold</b>",
}


def _rename(layer: str, *, capacity_vph: float | None = None) -> Any:
    def edit(features: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for feature in features:
            feature["properties"]["name"] = XSS[layer]
            if capacity_vph is not None:
                feature["properties"]["capacity_vph"] = capacity_vph
        return features

    return edit


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """A run whose every name is hostile HTML and whose roads are narrow enough to queue."""
    root = tmp_path_factory.mktemp("report")
    area = write_tiny_area(
        root / "tiny",
        roads=_rename("roads", capacity_vph=40.0),
        shelters=_rename("shelters"),
        grids=_rename("grids"),
        assembly_points=_rename("assembly_points"),
    )
    path = root / "s.toml"
    path.write_text(
        tiny_scenario(name="report <i>test</i>", seed=2, area=area.name), encoding="utf-8"
    )
    return run(path)


@pytest.fixture(scope="module")
def page(hostile: Run) -> str:
    return render_report(hostile, maps={"map": Path("map.html"), "ap:AP-1": Path("ap_AP-1.html")})


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href") and value is not None:
                self.refs.append((tag, name, value))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    return collector


def test_no_external_reference(page: str) -> None:
    parsed = _parse(page)
    assert "script" not in parsed.tags and "link" not in parsed.tags and "img" not in parsed.tags
    # two charts, inline SVG whose labels are text (the reader's fonts draw them)
    assert page.count('<svg class="evacsim-chart"') == 2 and parsed.tags.count("text") > 10
    hrefs = [v for tag, _, v in parsed.refs if tag == "a"]
    assert {h for h in hrefs if not h.startswith("#")} == {"map.html", "ap_AP-1.html"}
    for _, _, value in parsed.refs:
        assert "//" not in value.split(",", 1)[0] and not value.startswith(("http", "/"))


def test_hostile_names_are_escaped(page: str, hostile: Run) -> None:
    assert hostile.summary["bottlenecks"], "the narrow roads should queue"
    parsed = _parse(page)
    text = "".join(parsed.text)
    for layer, name in XSS.items():
        assert name not in page, layer  # never raw
        assert name in text, layer  # but shown, as text
    assert "<i>test</i>" not in page and "report <i>test</i>" in text
    assert "script" not in parsed.tags and "i" not in parsed.tags


#: The documented default start of a night scenario (scenarios/README.md).
NIGHT_START = datetime.fromisoformat("2026-06-02T02:00:00+08:00")


def _clock(seconds: float) -> str:
    """'02:40' and 'T+0:40' of a time since the alert (nearest minute), written again here."""
    minutes = round(seconds / 60)
    return f"{NIGHT_START + timedelta(minutes=minutes):%H:%M} T+{minutes // 60}:{minutes % 60:02d}"


def test_tables_hold_the_summary_numbers(page: str, hostile: Run) -> None:
    summary = hostile.summary
    text = " ".join(_parse(page).text)
    cells = " ".join(" ".join(c.split()) for c in _parse(page).text)
    for stage in ("assembly", "shelter"):
        for p in ("p50", "p90", "p95", "p100"):
            value = summary["ete_s"][stage][p]
            assert value is None or _clock(value) in cells, (stage, p, _clock(value))
    for fid, entry in summary["facilities"].items():
        assert fid in text
        assert f"{entry['capacity']:,}" in text
    first = summary["bottlenecks"][0]
    assert f"{first['congested_min']}" in text and f"{first['volume']:,}" in text
    assert f"{summary['persons_total']:,}" in text
    for section in ("What went wrong", "Evacuation time estimates", "Worst bottlenecks",
                    "Exposure", "Stranded", "Warnings", "Maps", "Grids"):  # fmt: skip
        assert section in text, section


def test_report_written_into_the_run_folder(hostile: Run, tmp_path: Path) -> None:
    folder = save(hostile, tmp_path / "run")
    html = (folder / "report.html").read_text(encoding="utf-8")
    hrefs = {v for tag, _, v in _parse(html).refs if tag == "a"}
    assert "map.html" in hrefs
    for href in hrefs:
        if href.startswith("#"):  # a headline line's link to its section
            assert f'id="{href[1:]}"' in html, href
        else:
            assert (folder / href).is_file(), href
    assert "@media print" in html and "size: A4" in html
