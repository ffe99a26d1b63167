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
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from evacsim.display.format import FONT_STACK

__all__ = ["RC", "chart_context", "svg_text"]

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


@contextmanager
def chart_context() -> Iterator[None]:
    """Build a chart inside this: evacsim's matplotlib settings (:data:`RC`), and no warning for
    a CJK label that DejaVu Sans lacks (it is measured as a box, the browser draws it)."""
    import matplotlib

    with matplotlib.rc_context(RC), warnings.catch_warnings():  # type: ignore[arg-type]
        warnings.filterwarnings("ignore", message="Glyph .* missing", category=UserWarning)
        yield


def svg_text(fig: Any, *, css_class: str = "evacsim-chart") -> str:
    """A matplotlib Figure as an inline ``<svg>`` element (no XML prolog), text as text."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    FigureCanvasSVG(fig)  # this figure only: no global backend switch
    buf = io.StringIO()
    with chart_context():
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    text = _METADATA_RE.sub("", text)  # RDF namespaces and matplotlib's name: nothing to show
    text = _FAMILY_RE.sub("font-family: " + FONT_STACK.replace('"', "'"), text)
    return text.replace("<svg ", f'<svg class="{css_class}" role="img" ', 1)
