"""Make folium pages work with no network: inline the vendored JavaScript and CSS.

folium writes ``<script src="https://cdn...">`` and ``<link rel="stylesheet" href="https://...">``
tags for Leaflet, jQuery, Bootstrap and its plugins. evacsim ships the exact versions folium asks
for in ``evacsim/maps/assets`` (vendored from the npm registry by ``tools/vendor_assets.py``, listed
in ``evacsim/maps/assets/manifest.json`` with their sha256) and replaces each tag with the file's
content.

A URL that is neither vendored nor deliberately omitted in the manifest is a bug in evacsim (a
folium upgrade or a new plugin), not bad user input: :class:`OfflineAssetError` names it.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import os
import re
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import folium

__all__ = [
    "PLUGINS_USED",
    "OfflineAssetError",
    "external_references",
    "inline_assets",
    "load_manifest",
    "render_offline",
    "save_offline",
]

logger = logging.getLogger(__name__)

#: The folium.plugins classes evacsim's maps may use; their assets are vendored.
PLUGINS_USED: tuple[str, ...] = ("Fullscreen", "HeatMap", "TimestampedGeoJson")

# Only the tags folium's Figure.header writes (branca's JavascriptLink / CssLink templates).
_SCRIPT_TAG_RE = re.compile(r"<script\b[^>]*?\bsrc=\"([^\"]*)\"[^>]*>\s*</script>", re.IGNORECASE)
_LINK_TAG_RE = re.compile(r"<link\b[^>]*?\bhref=\"([^\"]*)\"[^>]*?/?>", re.IGNORECASE)
_LOCAL_SCHEMES = ("data:", "#", "about:")


class OfflineAssetError(RuntimeError):
    """folium asks for an asset evacsim has not vendored (a bug: run tools/vendor_assets.py)."""


def load_manifest() -> dict[str, Any]:
    """Read ``evacsim/maps/assets/manifest.json``.

    Returns
    -------
    dict
        ``{"assets": {url: {"file", "sha256", ...}}, "omitted": {url: reason}, ...}``.
    """
    text = resources.files("evacsim.maps").joinpath("assets", "manifest.json").read_text("utf-8")
    manifest: dict[str, Any] = json.loads(text)
    return manifest


def _asset_text(entry: Mapping[str, Any], url: str) -> str:
    """Read a vendored file and check it against the sha256 the manifest records."""
    text = _checked_asset(entry["file"], entry["sha256"])
    if text is None:
        raise OfflineAssetError(f"vendored asset for {url} ({entry['file']}) fails its sha256")
    return text


@lru_cache(maxsize=64)
def _checked_asset(file: str, sha256: str) -> str | None:
    """A vendored file's text if it has this sha256, else ``None`` (read and hashed once per
    process: every page of a run inlines the same assets)."""
    data = resources.files("evacsim.maps").joinpath("assets", *file.split("/")).read_bytes()
    return data.decode("utf-8") if hashlib.sha256(data).hexdigest() == sha256 else None


def _inline_tag(url: str, kind: str, manifest: Mapping[str, Any]) -> str:
    """The inline ``<script>``/``<style>`` element that replaces the tag loading ``url``."""
    if url in manifest["omitted"]:
        logger.debug("dropping %s: %s", url, manifest["omitted"][url])
        return ""
    entry = manifest["assets"].get(url)
    if entry is None:
        raise OfflineAssetError(
            f"folium asks for {url}, which is not vendored in evacsim/maps/assets/manifest.json "
            "(add it to tools/vendor_assets.py and run it)"
        )
    text = _asset_text(entry, url)
    if "append" in entry:  # evacsim's own fix-up for this asset (e.g. Leaflet's default icon)
        text += "\n" + _asset_text(entry["append"], url)
    if kind == "js":
        # Keep the HTML tokenizer inside the script: "</script" and "<!--" would end or confuse it.
        text = text.replace("</script", "<\\/script").replace("<!--", "<\\!--")
        return f"<script>/* evacsim asset: {entry['file']} */\n{text}\n</script>"
    text = text.replace("</style", "<\\/style")
    return f"<style>/* evacsim asset: {entry['file']} */\n{text}\n</style>"


def inline_assets(html_text: str, *, manifest: Mapping[str, Any] | None = None) -> str:
    """Replace every external ``<script src>`` / stylesheet ``<link href>`` by the vendored file.

    Only the document head is rewritten (folium writes its asset tags there; anything in the body
    is map content). The result is then checked with :func:`external_references`.

    Parameters
    ----------
    html_text
        A page rendered by folium (``m.get_root().render()``).
    manifest
        The asset manifest; by default :func:`load_manifest`.

    Returns
    -------
    str
        The same page with the assets inlined.

    Raises
    ------
    OfflineAssetError
        When the page refers to a URL that is not vendored (the message names the URL).
    """
    manifest = load_manifest() if manifest is None else manifest
    head_end = html_text.lower().find("</head>")
    head_end = len(html_text) if head_end < 0 else head_end
    head, body = html_text[:head_end], html_text[head_end:]

    def script(match: re.Match[str]) -> str:
        url = html.unescape(match.group(1))
        return match.group(0) if _is_local(url) else _inline_tag(url, "js", manifest)

    def link(match: re.Match[str]) -> str:
        url = html.unescape(match.group(1))
        if _is_local(url) or "stylesheet" not in match.group(0).lower():
            return match.group(0)
        return _inline_tag(url, "css", manifest)

    out = _LINK_TAG_RE.sub(link, _SCRIPT_TAG_RE.sub(script, head)) + body
    leftover = external_references(out)
    if leftover:
        raise OfflineAssetError(f"page still refers to {leftover[0]} after inlining assets")
    return out


def _is_local(url: str) -> bool:
    """Whether ``url`` needs no network (data:, fragment, relative to the page)."""
    low = url.strip().lower()
    return low.startswith(_LOCAL_SCHEMES) or not (low.startswith("//") or ":" in low.split("/")[0])


class _RefCollector(HTMLParser):
    """Collect src/href attribute values of every start tag."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.refs += [v for k, v in attrs if k in ("src", "href") and v is not None]


def external_references(html_text: str) -> list[str]:
    """List the src/href attribute values in a page that would need the network.

    Parameters
    ----------
    html_text
        An HTML document.

    Returns
    -------
    list of str
        Every ``src``/``href`` value that is absolute (``http:``, ``https:``, ``//host``, any
        other scheme except ``data:``), in document order.
    """
    parser = _RefCollector()
    parser.feed(html_text)
    parser.close()
    return [ref for ref in parser.refs if not _is_local(ref)]


def render_offline(m: folium.Map | folium.Figure) -> str:
    """Render a folium map (or its Figure) to one self-contained HTML page.

    Raises
    ------
    OfflineAssetError
        When folium asks for an asset that is not vendored.
    """
    root = m.get_root()
    with _literal_templates():
        page = root.render()
    return inline_assets(page)


# branca wraps every piece of HTML a folium element renders in a new ``Element(text)``, which
# compiles ``text`` as a jinja template only to render it back: on a run map that is ~500
# compilations and most of the page's rendering time. Text without jinja markup renders to
# itself (newlines normalised, one trailing newline dropped, as jinja's lexer does), so while a
# page renders such text skips the compiler; text with markup still goes through jinja.
_NEWLINE_RE = re.compile(r"(\r\n|\r|\n)")
_JINJA_MARKUP = ("{{", "{%", "{#")
_patch_lock = threading.Lock()
_patch_depth = 0
_jinja_template: Any = None  # branca's own ``Template`` while patched


class _Text:
    """A template without jinja markup: rendering gives its text, exactly as jinja would."""

    __slots__ = ("text",)

    def __init__(self, source: str) -> None:
        lines = _NEWLINE_RE.split(source)[::2]
        if lines[-1] == "":  # jinja's keep_trailing_newline=False
            del lines[-1]
        self.text = "\n".join(lines)

    def render(self, *args: Any, **kwargs: Any) -> str:
        return self.text


def _template(source: str) -> Any:
    import jinja2

    if any(mark in source for mark in _JINJA_MARKUP):
        return jinja2.Template(source)
    return _Text(source)


@contextmanager
def _literal_templates() -> Iterator[None]:
    """While the block runs, ``branca.element.Element(text)`` skips jinja for plain text."""
    import branca.element

    global _patch_depth, _jinja_template
    with _patch_lock:
        if _patch_depth == 0:
            _jinja_template = branca.element.Template
            setattr(branca.element, "Template", _template)  # noqa: B010
        _patch_depth += 1
    try:
        yield
    finally:
        with _patch_lock:
            _patch_depth -= 1
            if _patch_depth == 0:
                setattr(branca.element, "Template", _jinja_template)  # noqa: B010


def save_offline(m: folium.Map | folium.Figure, path: str | os.PathLike[str]) -> Path:
    """Write the map as a self-contained HTML file, atomically (temporary file, then rename).

    Parameters
    ----------
    m
        The map.
    path
        Destination file; its folder must exist.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    dest = Path(path)
    page = render_offline(m)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(page)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; a map is a document to share
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    logger.info("wrote offline map %s (%.0f kB)", dest, len(page.encode("utf-8")) / 1024)
    return dest
