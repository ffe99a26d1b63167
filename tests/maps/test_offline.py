"""Tests of evacsim.maps._offline: folium pages with every asset inlined, and the vendored assets.

The rule these enforce (DESIGN.md, Outputs): a map page needs no network, and a test fails as
soon as folium asks for an asset that evacsim has not vendored.
"""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import Any

import folium
import folium.plugins
import pytest

import evacsim.maps._offline as offline
from evacsim.maps._offline import (
    PLUGINS_USED,
    OfflineAssetError,
    external_references,
    inline_assets,
    load_manifest,
    render_offline,
    save_offline,
)

LEAFLET_URL = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"


class _Tags(HTMLParser):
    """Every (tag, attribute, value) for src/href, and the number of <script> elements."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.scripts += tag == "script"
        self.refs += [(tag, k, v or "") for k, v in attrs if k in ("src", "href")]


def _parse(page: str) -> _Tags:
    tags = _Tags()
    tags.feed(page)
    tags.close()
    return tags


def _map_with_every_plugin() -> folium.Map:
    """A map using folium's defaults, every plugin in PLUGINS_USED and the usual elements."""
    m = folium.Map(location=(29.43, 106.46), zoom_start=14, tiles=None)
    folium.CircleMarker((29.43, 106.46), radius=5, popup="p", tooltip="t").add_to(m)
    folium.Marker((29.431, 106.461), icon=folium.Icon(color="red", icon="info-sign")).add_to(m)
    folium.GeoJson({"type": "Point", "coordinates": [106.46, 29.43]}, name="pt").add_to(m)
    folium.plugins.Fullscreen().add_to(m)
    folium.plugins.HeatMap([[29.43, 106.46, 1.0], [29.431, 106.462, 0.5]]).add_to(m)
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [106.46, 29.43]},
        "properties": {"times": ["2024-01-01T00:00:00", "2024-01-01T00:10:00"]},
    }
    folium.plugins.TimestampedGeoJson(
        {"type": "FeatureCollection", "features": [feature]}, period="PT5M"
    ).add_to(m)
    folium.LayerControl().add_to(m)
    assert {type(c).__name__ for c in m._children.values()} >= set(PLUGINS_USED)
    return m


@pytest.fixture(scope="module")
def plugin_page() -> str:
    return render_offline(_map_with_every_plugin())


def test_every_plugin_renders_with_no_network_reference(plugin_page: str) -> None:
    tags = _parse(plugin_page)
    for tag, attr, value in tags.refs:
        low = value.lower()
        assert not low.startswith(("http://", "https://", "//")), (tag, attr, value)
        assert "//cdn" not in low, (tag, attr, value)
    assert external_references(plugin_page) == []
    # the assets are really there: Leaflet, jQuery, the plugins' globals
    for marker in (
        '"1.9.3"',
        "jQuery",
        "leaflet.Control.FullScreen",
        "L.TimeDimension",
        "heatLayer",
    ):
        assert marker in plugin_page, marker


def test_unvendored_asset_is_an_error_naming_the_url() -> None:
    m = folium.Map(tiles=None)
    fake = "https://cdn.example.org/npm/fake-plugin@9.9.9/fake.min.js"
    m.default_js = [*m.default_js, ("fake", fake)]  # instance attribute: the class list is shared
    with pytest.raises(OfflineAssetError, match=re.escape(fake)):
        render_offline(m)


def test_unvendored_stylesheet_is_an_error_naming_the_url() -> None:
    m = folium.Map(tiles=None)
    fake = "//cdn.example.org/fake.css"
    m.default_css = [*m.default_css, ("fake_css", fake)]
    with pytest.raises(OfflineAssetError, match=re.escape(fake)):
        render_offline(m)


def test_every_url_folium_asks_for_is_vendored_or_deliberately_omitted() -> None:
    manifest = load_manifest()
    classes: list[Any] = [folium.Map, *(getattr(folium.plugins, n) for n in PLUGINS_USED)]
    urls = {u for c in classes for _, u in [*c.default_js, *(c.default_css or [])]}
    missing = sorted(urls - set(manifest["assets"]) - set(manifest["omitted"]))
    assert missing == []


def test_vendored_files_match_manifest_versions_hashes_and_licences() -> None:
    manifest = load_manifest()
    root = resources.files("evacsim.maps").joinpath("assets")
    total = 0
    for url, entry in manifest["assets"].items():
        data = root.joinpath(entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], url
        if "append" in entry:
            extra = root.joinpath(entry["append"]["file"]).read_bytes()
            assert hashlib.sha256(extra).hexdigest() == entry["append"]["sha256"], url
            total += len(extra)
        assert root.joinpath(entry["license_file"]).is_file(), url
        assert entry["file"].startswith(entry["package"] + "/")
        version = entry["package"].rsplit("@", 1)[1]
        # the exact version folium names in the URL (cdnjs "8.4" is npm "8.4.0")
        url_version = re.search(r"[@/-](\d+\.\d+(?:\.\d+)?)[/.]", url)
        if entry["source"] == "npm":
            assert url_version is not None, url
            assert version in (url_version.group(1), url_version.group(1) + ".0"), url
        total += len(data)
    assert total < 1.5e6


def test_inlined_css_needs_no_font_or_remote_url(plugin_page: str) -> None:
    styles = re.findall(r"<style>(.*?)</style>", plugin_page, flags=re.DOTALL)
    urls = [u for css in styles for u in re.findall(r"url\(\s*['\"]?([^'\")]+)", css)]
    assert urls and all(u.startswith(("data:", "#")) for u in urls)
    assert not any("@font-face" in css for css in styles)


def test_script_end_tag_inside_an_asset_cannot_close_the_inline_script(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    payload = 'var s = "</script><script>alert(1)</script><!--";'
    monkeypatch.setattr(offline, "_asset_text", lambda entry, url: payload)
    page = f'<html><head><script src="{LEAFLET_URL}"></script></head><body></body></html>'
    out = inline_assets(page)
    assert _parse(out).scripts == 1
    assert "alert(1)" in out


def test_omitted_asset_is_dropped() -> None:
    manifest = load_manifest()
    (url, _), *_ = manifest["omitted"].items()
    page = f'<html><head><link rel="stylesheet" href="{url}"/></head><body></body></html>'
    assert url not in inline_assets(page)


def test_tampered_asset_fails_its_checksum() -> None:
    manifest = load_manifest()
    entry = {**manifest["assets"][LEAFLET_URL], "sha256": "0" * 64}
    broken = {**manifest, "assets": {**manifest["assets"], LEAFLET_URL: entry}}
    page = f'<html><head><script src="{LEAFLET_URL}"></script></head></html>'
    with pytest.raises(OfflineAssetError, match="sha256"):
        inline_assets(page, manifest=broken)


def test_links_in_the_body_are_reported() -> None:
    page = '<html><body><img src="https://tile.example.org/1.png"><a href="#x">x</a></body></html>'
    assert external_references(page) == ["https://tile.example.org/1.png"]


def test_save_is_atomic(tmp_path: Path) -> None:
    dest = tmp_path / "map.html"
    dest.write_text("old", encoding="utf-8")
    bad = folium.Map(tiles=None)
    bad.default_js = [*bad.default_js, ("fake", "https://example.org/x.js")]
    with pytest.raises(OfflineAssetError):
        save_offline(bad, dest)
    assert dest.read_text(encoding="utf-8") == "old"  # untouched, and no temporary file left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.html"]
    save_offline(folium.Map(tiles=None), dest)
    assert "leaflet" in dest.read_text(encoding="utf-8").lower()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.html"]
