"""The page around a map: title box, collapsible legend and layer list, labels, north arrow, print.

One inline script (:class:`MapUI`) does what folium does not:

- places the title box (the run's headline), the legend and the print options as Leaflet
  controls, so they stack in their corners instead of covering each other;
- makes the legend, the title box and the layer list collapsible, collapsed on small screens
  (narrower than 700 px) and expanded on large ones;
- fits the view to what the map is about *inside* the space the controls leave free, so no
  control covers it (the assembly point of an assembly point map stays visible);
- shows labels (facility ids and names, main road names) from a zoom level on
  (:class:`LabelLayer`);
- prints on A4 or A3, portrait or landscape (``@page`` size from the print option, or
  ``#paper=a3-portrait`` in the address), with the scale bar and a north arrow.

Every text comes from evacsim (translated) or from map data, and goes into the page as
``textContent`` or escaped HTML, never as markup from data.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import folium
from folium.template import Template

from evacsim.display.format import FONT_STACK, esc
from evacsim.display.i18n import Translator

__all__ = ["PAPERS", "LabelLayer", "MapUI", "page_css", "safe_json"]

#: Print options: key -> (CSS page size, printable width and height in mm at 8 mm margins).
PAPERS: dict[str, tuple[str, int, int]] = {
    "a4-landscape": ("A4 landscape", 281, 194),
    "a4-portrait": ("A4 portrait", 194, 281),
    "a3-landscape": ("A3 landscape", 404, 281),
    "a3-portrait": ("A3 portrait", 281, 404),
}


def safe_json(data: Any) -> str:
    """JSON for an inline script: ``<``, ``>``, ``&`` escaped so no data can end the script, and
    ``$``, backtick and backslash-free, so no data can read as a JavaScript template literal."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("$", "\\u0024"),
                       ("`", "\\u0060")):  # fmt: skip
        text = text.replace(char, code)
    return text


def page_css() -> str:
    """The page's stylesheet: fonts, controls, labels and the print layout per paper size."""
    papers = "\n".join(
        f'html[data-paper="{key}"] body, html[data-paper="{key}"] .folium-map '
        f"{{width: {w}mm !important; height: {h}mm !important}}"
        for key, (_, w, h) in PAPERS.items()
    )
    return (
        "<style>\n"
        # two classes: wins over leaflet.css's own .leaflet-container font, whatever the order
        f"html, body, .folium-map.leaflet-container {{font-family: {FONT_STACK}}}\n"
        + _CSS
        + "@media print {\n"
        + papers
        + "\n}\n</style>\n"
        + '<style id="evacsim-page">@page {size: A4 landscape; margin: 8mm}</style>'
    )


_CSS = """
.evacsim-box {background: rgba(255,255,255,0.94); padding: 6px 9px; border-radius: 4px;
  font-size: 12px; line-height: 1.35; box-shadow: 0 1px 4px rgba(0,0,0,0.3); max-width: 340px}
.evacsim-box .evacsim-body {max-height: 40vh; overflow: auto; margin-top: 4px}
.evacsim-box.evacsim-collapsed .evacsim-body {display: none}
.evacsim-toggle {font: inherit; font-weight: bold; border: 0; background: none; padding: 0;
  cursor: pointer; text-align: left; width: 100%}
.evacsim-toggle::after {content: " \\25BE"; font-weight: normal}
.evacsim-collapsed .evacsim-toggle::after {content: " \\25B8"}
.evacsim-title {max-width: 420px} .evacsim-title .evacsim-toggle {font-size: 13px}
@media (max-width: 700px) {.evacsim-box {max-width: calc(100vw - 24px)}
  .evacsim-box.evacsim-title {max-width: calc(100vw - 130px)}}
.evacsim-title ul {margin: 0; padding: 0; list-style: none}
.evacsim-title li {margin: 2px 0; padding-left: 6px; border-left: 4px solid #2b8a3e}
.evacsim-title li.evacsim-alert {border-color: #b00020}
.evacsim-title li.evacsim-warn {border-color: #e8890c}
.evacsim-title a {color: #222 !important; text-decoration: none}
.evacsim-title a:hover {text-decoration: underline}
.evacsim-popup table {border-collapse: collapse; margin-top: 4px; font-size: 12px}
.evacsim-popup th {text-align: left; font-weight: normal; color: #555; padding: 1px 10px 1px 0}
.evacsim-popup td {padding: 1px 0}
.leaflet-control-layers-toggle, .leaflet-retina .leaflet-control-layers-toggle,
.leaflet-touch .leaflet-control-layers-toggle {background-image: none !important;
  width: auto !important; height: auto !important; padding: 5px 9px; font-size: 13px;
  color: #222; text-decoration: none; line-height: 20px}
.evacsim-layers-head {display: flex; justify-content: space-between; gap: 8px;
  font-weight: bold; margin-bottom: 4px}
.evacsim-layers-head button {border: 0; background: none; cursor: pointer; font-size: 14px;
  line-height: 1; padding: 0 2px}
.evacsim-north {background: rgba(255,255,255,0.9); border-radius: 4px; padding: 2px 6px;
  text-align: center; font: bold 12px/1.1 sans-serif; box-shadow: 0 1px 4px rgba(0,0,0,0.3)}
.evacsim-print select, .evacsim-print button {font: inherit; font-size: 12px}
.leaflet-marker-icon.evacsim-label {white-space: nowrap; font-size: 11px; line-height: 1.2;
  color: #111; text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff, 0 0 4px #fff;
  pointer-events: none; display: none}
.evacsim-label span {position: relative; left: 9px; top: -7px; display: inline-block;
  max-width: 16em; overflow: hidden; text-overflow: ellipsis}
.evacsim-label-road {font-style: italic; color: #333}
.evacsim-label-road span {left: 0; top: 0; transform: translate(-50%, -50%)}
.evacsim-label-facility {font-weight: bold}
.evacsim-z13 .leaflet-marker-icon.evacsim-label-facility,
.evacsim-z15 .leaflet-marker-icon.evacsim-label-road {display: block}
.leaflet-control-layers {font-size: 12px} .leaflet-control-layers label {margin: 0}
.evacsim-title li {font-size: 11.5px} .evacsim-start {color: #555; margin-bottom: 3px}
.evacsim-stranded {background: #111; color: #fff; border: 2px solid #fff; border-radius: 3px;
  font: bold 11px/16px sans-serif; text-align: center; padding: 0 3px;
  box-shadow: 0 0 0 2px #b00020; white-space: nowrap}
.evacsim-panel .evacsim-body table {border-collapse: collapse}
.evacsim-panel td, .evacsim-panel th {padding: 1px 6px; text-align: right}
.evacsim-panel th:first-child {text-align: left}
@page {margin: 8mm}
@media print {
  html, body {margin: 0; overflow: hidden}
  .folium-map {position: absolute !important; inset: 0}
  .leaflet-control-zoom, .leaflet-control-layers, .evacsim-no-print, .evacsim-toggle::after
    {display: none !important}
  .evacsim-box {box-shadow: none; border: 1px solid #999; font-size: 9px}
  .evacsim-box.evacsim-collapsed .evacsim-body, .evacsim-box .evacsim-body
    {display: block; max-height: none; overflow: visible}
  .evacsim-legend .evacsim-body {column-count: 2; column-gap: 12px}
  .evacsim-legend {max-width: 60mm}
}
"""


class LabelLayer(folium.map.Layer):
    """Permanent labels (text, no marker), shown from a zoom level on by the page's CSS.

    ``labels``: dicts with ``lat``, ``lon``, ``text`` and ``kind`` (``facility``, shown from
    zoom 13, or ``road``, from zoom 15). Text is set as ``textContent``: map data never becomes
    markup.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.layerGroup();
        (function (layer, labels) {
          labels.forEach(function (l) {
            var span = document.createElement('span');
            span.textContent = l.text;
            var icon = L.divIcon({className: 'evacsim-label evacsim-label-' + l.kind,
                                  html: span, iconSize: null});
            L.marker([l.lat, l.lon], {icon: icon, interactive: false, keyboard: false})
              .addTo(layer);
          });
        })({{ this.get_name() }}, {{ this.data }});
        {% endmacro %}
        """
    )

    def __init__(self, labels: Sequence[dict[str, Any]], *, name: str, show: bool = True) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "LabelLayer"
        self.data = safe_json(list(labels))


class MapUI(folium.MacroElement):
    """The page's script: controls, collapsing, fitting, zoom classes and print (module doc)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map, layers, opts) {
          var narrow = window.matchMedia('(max-width: 700px)').matches;
          function control(id, position, first) {
            var el = document.getElementById(id);
            if (!el) { return null; }
            var c = L.control({position: position});
            c.onAdd = function () {
              L.DomEvent.disableClickPropagation(el);
              L.DomEvent.disableScrollPropagation(el);
              return el;
            };
            c.addTo(map);
            if (first) {
              var corner = el.parentNode; corner.insertBefore(el, corner.firstChild);
            }
            return c;
          }
          function collapsible(el) {
            if (!el) { return; }
            var button = el.querySelector('.evacsim-toggle');
            if (narrow) { el.classList.add('evacsim-collapsed'); }
            button.setAttribute('aria-expanded', String(!narrow));
            button.addEventListener('click', function () {
              var collapsed = el.classList.toggle('evacsim-collapsed');
              button.setAttribute('aria-expanded', String(!collapsed));
            });
          }
          control('evacsim-title', 'topleft', true);
          control('evacsim-legend', 'bottomright', false);
          control('evacsim-panel', 'bottomleft', false);
          control('evacsim-print', 'topright', false);
          control('evacsim-north', 'bottomleft', false);
          ['evacsim-title', 'evacsim-legend', 'evacsim-panel'].forEach(function (id) {
            collapsible(document.getElementById(id));
          });
          var box = layers.getContainer();
          var toggle = box.querySelector('.leaflet-control-layers-toggle');
          toggle.textContent = '\\u2630 ' + opts.layers;
          var head = document.createElement('div');
          head.className = 'evacsim-layers-head';
          var title = document.createElement('span'); title.textContent = opts.layers;
          var close = document.createElement('button');
          close.type = 'button'; close.textContent = '\\u00d7';
          close.setAttribute('aria-label', opts.hide);
          close.addEventListener('click', function (e) {
            L.DomEvent.stop(e); layers.collapse();
          });
          head.appendChild(title); head.appendChild(close);
          var list = box.querySelector('.leaflet-control-layers-list');
          list.insertBefore(head, list.firstChild);
          if (narrow) { layers.collapse(); }
          function zoomClasses() {
            var z = map.getZoom(), c = map.getContainer().classList;
            c.toggle('evacsim-z13', z >= 13); c.toggle('evacsim-z15', z >= 15);
          }
          map.on('zoomend', zoomClasses);
          var bounds = L.latLngBounds(opts.bounds);
          function width(sel) {
            var el = map.getContainer().querySelector(sel);
            return el ? el.getBoundingClientRect().width : 0;
          }
          function height(sel) {
            var el = map.getContainer().querySelector(sel);
            return el ? el.getBoundingClientRect().height : 0;
          }
          function fit() {
            var size = map.getSize(), tl, br;
            if (size.x <= 700) {
              // a phone: the collapsed controls sit in rows at the top and the bottom
              var top = Math.max(height('.leaflet-top.leaflet-left'),
                                 height('.leaflet-top.leaflet-right'));
              var bottom = Math.max(height('.leaflet-bottom.leaflet-left'),
                                    height('.leaflet-bottom.leaflet-right'));
              tl = [12, Math.min(top, size.y / 3) + 8];
              br = [12, Math.min(bottom, size.y / 3) + 8];
            } else {
              // a wide screen: the controls stand in columns at the left and the right
              var left = Math.max(width('.leaflet-top.leaflet-left'),
                                  width('.leaflet-bottom.leaflet-left'));
              var right = Math.max(width('.leaflet-top.leaflet-right'),
                                   width('.leaflet-bottom.leaflet-right'));
              tl = [Math.min(left, size.x / 4) + 12, 24];
              br = [Math.min(right, size.x / 4) + 12, 36];
            }
            map.fitBounds(bounds, {paddingTopLeft: tl, paddingBottomRight: br, animate: false});
            zoomClasses();
          }
          fit();
          window.evacsimFit = fit;
          var pageStyle = document.getElementById('evacsim-page');
          var select = document.querySelector('#evacsim-print select');
          function setPaper(key) {
            if (!opts.papers[key]) { return; }
            document.documentElement.setAttribute('data-paper', key);
            pageStyle.textContent = '@page {size: ' + opts.papers[key] + '; margin: 8mm}';
            if (select) { select.value = key; }
          }
          var hash = /paper=([a-z0-9-]+)/.exec(window.location.hash);
          setPaper(hash ? hash[1] : 'a4-landscape');
          if (select) {
            select.addEventListener('change', function () { setPaper(select.value); });
            var button = document.querySelector('#evacsim-print button');
            button.addEventListener('click', function () { window.print(); });
          }
          function refit() { map.invalidateSize({animate: false}); fit(); }
          window.matchMedia('print').addEventListener('change', refit);
          window.addEventListener('beforeprint', refit);
          window.addEventListener('afterprint', refit);
        })({{ this._parent.get_name() }}, {{ this.layers.get_name() }}, {{ this.options }});
        {% endmacro %}
        """
    )

    def __init__(
        self, layers: folium.LayerControl, bounds: list[list[float]], tr: Translator
    ) -> None:
        super().__init__()
        self._name = "MapUI"
        self.layers = layers
        self.bounds = bounds
        self.options = safe_json(
            {
                "bounds": bounds,
                "layers": tr.gettext("Layers"),
                "hide": tr.gettext("Hide"),
                "papers": {k: v[0] for k, v in PAPERS.items()},
            }
        )


def print_html(tr: Translator) -> str:
    """The print options: paper size and orientation, and a print button (not printed)."""
    names = {
        "a4-landscape": tr.gettext("A4 landscape"),
        "a4-portrait": tr.gettext("A4 portrait"),
        "a3-landscape": tr.gettext("A3 landscape"),
        "a3-portrait": tr.gettext("A3 portrait"),
    }
    options = "".join(f'<option value="{k}">{esc(v)}</option>' for k, v in names.items())
    paper, button = esc(tr.gettext("Paper")), esc(tr.gettext("Print"))
    north, n = esc(tr.gettext("North")), esc(tr.gettext("N"))
    return (
        '<div id="evacsim-print" class="evacsim-print evacsim-box evacsim-no-print">'
        f'<select aria-label="{paper}">{options}</select> '
        f'<button type="button">{button}</button></div>'
        f'<div id="evacsim-north" class="evacsim-north" title="{north}">▲<br>{n}</div>'
    )
