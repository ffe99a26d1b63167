"""The real run maps of the tiny scenario in a browser: offline, layers, popups, slider, escaping.

The tiny area carries a bridge and a shelter named ``<script>alert(1)</script>`` and an assembly
point named with a JS template-literal payload (see ``tests/test_viz_run.py``). The expected
numbers come from the results' groups table and from decoding the animation data in Python.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evacsim.maps.run_map import evacuee_animation
from evacsim.maps.write import write_run_maps
from evacsim.pipeline import Run
from evacsim.results.routes import grid_routes
from tests.support.runs import XSS, decode, make_tiny_run
from tests.support.tiny_area import node_lonlat

from .conftest import LoggedPage

pytestmark = pytest.mark.browser

EVACUEES = "path.evacsim-evacuee"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, dict[str, Path]]:
    folder = tmp_path_factory.mktemp("run_browser")
    run_ = make_tiny_run(folder)
    return run_, write_run_maps(run_, folder / "maps")


def _visible_at(frames: list[dict[int, Any]], frame: int) -> int:
    return sum(frame in agent for agent in frames)


def test_run_map_opens_offline_with_evacuees_at_the_busiest_frame(
    logged_page: LoggedPage, tiny: tuple[Run, dict[str, Path]]
) -> None:
    run_, maps = tiny
    logged_page.open_map(maps["map"])
    frames = decode(evacuee_animation(run_))
    busiest = max(range(evacuee_animation(run_).n_frames), key=lambda f: _visible_at(frames, f))
    page = logged_page.page
    assert page.locator("input.evacsim-time").count() == 0  # evacuees off: no slider
    assert page.locator(EVACUEES).count() == 0
    logged_page.toggle_layer("Evacuees (time slider)")
    assert page.locator("input.evacsim-time").input_value() == str(busiest)
    assert page.locator(EVACUEES).count() == _visible_at(frames, busiest) > 0
    assert page.locator(".evacsim-legend").is_visible()
    assert logged_page.log.problems() == {}


def test_layer_control_hides_and_shows_routes(
    logged_page: LoggedPage, tiny: tuple[Run, dict[str, Path]]
) -> None:
    run_, maps = tiny
    routes = grid_routes(run_)
    n_routes = int((routes["leg"] == "assembly").sum())  # one SVG path per feature
    logged_page.open_map(maps["map"])
    before = logged_page.overlay_paths()
    logged_page.toggle_layer("Routes to assembly points")
    assert logged_page.overlay_paths() == before - n_routes
    logged_page.toggle_layer("Evacuees (time slider)")
    assert logged_page.page.locator(EVACUEES).count() > 0
    logged_page.toggle_layer("Routes to assembly points")
    logged_page.toggle_layer("Evacuees (time slider)")
    assert logged_page.page.locator(EVACUEES).count() == 0
    assert logged_page.overlay_paths() == before
    assert logged_page.log.problems() == {}


def test_shelter_popup_shows_capacity_peak_and_name_as_text(
    logged_page: LoggedPage, tiny: tuple[Run, dict[str, Path]]
) -> None:
    run_, maps = tiny
    groups = run_.results.groups
    sheltered = int(groups.loc[groups["shelter"] == "S-2", "persons_sheltered"].sum())
    logged_page.open_map(maps["map"])
    page = logged_page.page
    texts = []
    markers = page.locator("path.evacsim-shelters")
    for k in range(markers.count()):
        markers.nth(k).click()
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for()
        texts.append(popup.inner_text())
        assert popup.locator("script").count() == 0
        page.locator(".leaflet-popup-close-button").click()
        popup.wait_for(state="detached")
    (s2,) = [t for t in texts if "S-2" in t]
    assert XSS in s2  # the name, shown as text
    assert "Capacity (persons)\t250" in s2
    assert f"Peak occupancy (persons)\t{sheltered}" in s2
    assert logged_page.log.dialogs == []
    assert logged_page.log.problems() == {}


def test_time_slider_moves_the_evacuees(
    logged_page: LoggedPage, tiny: tuple[Run, dict[str, Path]]
) -> None:
    run_, maps = tiny
    anim = evacuee_animation(run_)
    frames = decode(anim)
    # a frame where some dot is there both now and one step later, at another place
    frame = next(
        f
        for f in range(anim.n_frames - 1)
        if any(f in a and f + 1 in a and a[f] != a[f + 1] for a in frames)
    )
    logged_page.open_map(maps["map"])
    page = logged_page.page
    logged_page.toggle_layer("Evacuees (time slider)")
    slider = page.locator("input.evacsim-time")

    def dots_at(f: int) -> list[str]:
        slider.fill(str(f))
        assert page.locator(EVACUEES).count() == _visible_at(frames, f)
        return sorted(
            page.locator(EVACUEES).evaluate_all("els => els.map(e => e.getAttribute('d'))")
        )

    first, second = dots_at(frame), dots_at(frame + 1)
    assert first and second and first != second
    assert dots_at(frame) == first  # back again: the same positions
    label = page.locator(".evacsim-time-label").inner_text()
    minutes = round((anim.t0_s + frame * anim.step_s) / 60)  # a day run: the alert at 15:00
    assert label.startswith(f"15:{minutes:02d} (T+0:{minutes:02d})"), label
    assert logged_page.log.problems() == {}


def test_malicious_road_name_is_shown_as_text(
    logged_page: LoggedPage, tiny: tuple[Run, dict[str, Path]]
) -> None:
    _, maps = tiny
    logged_page.open_map(maps["map"])
    page = logged_page.page
    for layer in ("Routes to assembly points", "Routes to shelters", "Labels"):
        logged_page.toggle_layer(layer)
    lon, lat = node_lonlat(0.3, 0.15)  # on the bridge R-0014, away from every marker and zone
    x, y = page.evaluate(
        """([lat, lon]) => {
            const el = document.querySelector('.folium-map');
            const pt = window[el.id].latLngToContainerPoint([lat, lon]);
            const box = el.getBoundingClientRect();
            return [box.left + pt.x, box.top + pt.y];
        }""",
        [lat, lon],
    )
    page.mouse.click(x, y)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert XSS in popup.inner_text() and "R-0014" in popup.inner_text()
    assert popup.locator("script").count() == 0
    assert logged_page.log.dialogs == []
    assert logged_page.log.problems() == {}


def test_assembly_point_map_has_its_chart_and_prints_on_one_a4_page(
    logged_page: LoggedPage, tiny: tuple[Run, dict[str, Path]]
) -> None:
    run_, maps = tiny
    logged_page.open_map(maps["ap:AP-1"])
    page = logged_page.page
    groups = run_.results.groups
    arrived = int(groups.loc[groups["assembly_point"] == "AP-1", "persons"].sum())
    panel = page.locator(".evacsim-panel")
    assert panel.locator("polyline.evacsim-arrivals").count() == 1
    assert f"arrived: {arrived} persons" in panel.inner_text()
    assert "School `${alert(2)}` yard" in panel.inner_text()  # shown literally
    assert page.locator(".leaflet-control-layers").is_visible()
    assert page.title() == "AP-1 School `${alert(2)}` yard — assembly point map — tiny fire"
    page.emulate_media(media="print")
    assert not page.locator(".leaflet-control-layers").is_visible()
    assert page.locator(".evacsim-legend").is_visible() and panel.is_visible()
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 1
    assert logged_page.log.problems() == {}
