"""Charts as inline SVG whose text stays text, in the pages' CJK-capable fonts.

matplotlib writes the SVG with ``svg.fonttype = "none"`` (``<text>`` elements, not glyph
outlines), so the reader's browser draws the labels with the page's fonts: Chinese names show
in any language, and a PDF printed from the page keeps searchable text. Text is measured for the
layout with matplotlib's bundled DejaVu Sans on every machine (the same layout, byte for byte,
wherever the chart is made); the font family written into the SVG is then the pages' stack.
"""

from __future__ import annotations

import io
import re
import warnings
from typing import Any

from evacsim.display.format import FONT_STACK

__all__ = ["RC", "svg_text"]

#: matplotlib settings of every chart (``matplotlib.rc_context(RC)``).
RC: dict[str, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "evacsim",  # element ids from the content, not random: reproducible pages
    "font.family": ["sans-serif"],
    "font.sans-serif": ["DejaVu Sans"],
    "axes.unicode_minus": False,
}

_FAMILY_RE = re.compile(r"font-family:[^;\"]*")
_METADATA_RE = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)


def svg_text(fig: Any, *, css_class: str = "evacsim-chart") -> str:
    """A matplotlib Figure as an inline ``<svg>`` element (no XML prolog), text as text."""
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    FigureCanvasSVG(fig)  # this figure only: no global backend switch
    buf = io.StringIO()
    with matplotlib.rc_context(RC), warnings.catch_warnings():
        # a CJK label has no glyph in DejaVu Sans: measured as a box, drawn by the browser
        warnings.filterwarnings("ignore", message="Glyph .* missing", category=UserWarning)
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    text = _METADATA_RE.sub("", text)  # RDF namespaces and matplotlib's name: nothing to show
    text = _FAMILY_RE.sub("font-family: " + FONT_STACK.replace('"', "'"), text)
    return text.replace("<svg ", f'<svg class="{css_class}" role="img" ', 1)
