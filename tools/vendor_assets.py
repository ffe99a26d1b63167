"""Vendor the JavaScript/CSS that folium asks for into ``evacsim/maps/assets`` (offline maps).

Run from the repository root with the project's interpreter::

    .venv/bin/python tools/vendor_assets.py

For every URL that folium's ``Map`` and the plugins evacsim uses
(``evacsim.maps._offline.PLUGINS_USED``) put in a page, this script takes the EXACT version folium
names from the npm registry (``npm pack <pkg>@<version>``; a few files come from the installed
folium wheel itself), copies the one file folium needs plus the package's licence into
``evacsim/maps/assets/<pkg>@<version>/`` and writes ``evacsim/maps/assets/manifest.json`` (url ->
local file, sha256, npm integrity, licence).

CSS is made self-contained on the way in: images it references are inlined as ``data:`` URIs, and
``@font-face`` rules are dropped (icon fonts are not shipped: evacsim maps draw CircleMarkers and
DivIcons, never Font Awesome / glyphicon icons). Source-map comments are stripped. Any other
``url(...)`` left in a CSS file, or a URL folium asks for that this script does not know, stops the
script with the URL named: decide how to vendor it and add it to ``SOURCES`` or ``OMITTED``.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import json
import logging
import mimetypes
import posixpath
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["OMITTED", "SOURCES", "Source", "folium_urls", "main"]

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
ASSETS = REPO / "evacsim" / "maps" / "assets"


@dataclass(frozen=True)
class Source:
    """Where the file behind one folium URL comes from.

    Parameters
    ----------
    spec
        ``<npm package>@<version>`` (``origin="npm"``) or ``folium@<version>`` (``origin="folium"``,
        a file shipped inside the installed folium wheel).
    path
        The file's path inside the package.
    license
        The package's licence file inside the package, or ``None`` when the package ships none (the
        licence named in its ``package.json`` is then written to ``LICENSE.package-json.txt``).
    origin
        ``"npm"`` or ``"folium"``.
    """

    spec: str
    path: str
    license: str | None = "LICENSE"
    origin: str = "npm"


JSD = "https://cdn.jsdelivr.net"
CDNJS = "https://cdnjs.cloudflare.com/ajax/libs"

# Every URL folium asks for (folium 0.20 Map + PLUGINS_USED) -> the exact same version on npm.
SOURCES: dict[str, Source] = {
    f"{JSD}/npm/leaflet@1.9.3/dist/leaflet.js": Source("leaflet@1.9.3", "dist/leaflet.js"),
    f"{JSD}/npm/leaflet@1.9.3/dist/leaflet.css": Source("leaflet@1.9.3", "dist/leaflet.css"),
    "https://code.jquery.com/jquery-3.7.1.min.js": Source(
        "jquery@3.7.1", "dist/jquery.min.js", "LICENSE.txt"
    ),
    f"{CDNJS}/jquery/3.7.1/jquery.min.js": Source(
        "jquery@3.7.1", "dist/jquery.min.js", "LICENSE.txt"
    ),
    f"{JSD}/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js": Source(
        "bootstrap@5.2.2", "dist/js/bootstrap.bundle.min.js"
    ),
    f"{JSD}/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css": Source(
        "bootstrap@5.2.2", "dist/css/bootstrap.min.css"
    ),
    f"{JSD}/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css": Source(
        "@fortawesome/fontawesome-free@6.2.0", "css/all.min.css", "LICENSE.txt"
    ),
    # cdnjs' Leaflet.awesome-markers 2.0.2 is published on npm by its cdnjs mirror package.
    f"{CDNJS}/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.js": Source(
        "drmonty-leaflet-awesome-markers@2.0.2", "js/leaflet.awesome-markers.js", None
    ),
    f"{CDNJS}/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.css": Source(
        "drmonty-leaflet-awesome-markers@2.0.2", "css/leaflet.awesome-markers.css", None
    ),
    # jsDelivr minifies on the fly; npm ships only the source file (same code).
    f"{JSD}/npm/iso8601-js-period@0.2.1/iso8601.min.js": Source(
        "iso8601-js-period@0.2.1", "iso8601.js", None
    ),
    f"{JSD}/npm/leaflet-timedimension@1.1.1/dist/leaflet.timedimension.min.js": Source(
        "leaflet-timedimension@1.1.1", "dist/leaflet.timedimension.min.js"
    ),
    f"{JSD}/npm/leaflet-timedimension@1.1.1/dist/leaflet.timedimension.control.css": Source(
        "leaflet-timedimension@1.1.1", "dist/leaflet.timedimension.control.css"
    ),
    f"{CDNJS}/moment.js/2.18.1/moment.min.js": Source("moment@2.18.1", "min/moment.min.js"),
    # cdnjs serves a minified copy; npm's 8.4.0 ships the same stylesheet unminified.
    f"{CDNJS}/highlight.js/8.4/styles/default.min.css": Source(
        "highlight.js@8.4.0", "styles/default.css"
    ),
    f"{JSD}/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.min.js": Source(
        "leaflet.fullscreen@3.0.0", "Control.FullScreen.js"
    ),
    f"{JSD}/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.css": Source(
        "leaflet.fullscreen@3.0.0", "Control.FullScreen.css"
    ),
    f"{JSD}/gh/python-visualization/folium@main/folium/templates/leaflet_heat.min.js": Source(
        "folium@{folium}", "templates/leaflet_heat.min.js", "LICENSE.txt", origin="folium"
    ),
}

# URLs folium asks for that evacsim deliberately does not ship; the tag is removed from the page.
OMITTED: dict[str, str] = {
    "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css": (
        "Bootstrap 3.0.0 glyphicon font CSS: not published on npm; evacsim maps use no glyphicons"
    ),
    f"{JSD}/gh/python-visualization/folium/folium/templates/leaflet.awesome.rotate.min.css": (
        "folium's CSS for rotated awesome-marker icons: not on npm nor in the folium wheel; "
        "evacsim maps draw no rotated awesome markers"
    ),
    f"{CDNJS}/jqueryui/1.10.2/jquery-ui.min.js": (
        "jQuery UI 1.10.2 is not published on npm; neither folium's TimestampedGeoJson template "
        "nor leaflet-timedimension 1.1.1 calls jQuery UI"
    ),
}

# evacsim's fix-up appended after leaflet.js (generated from the leaflet package's images).
LEAFLET_JS = f"{JSD}/npm/leaflet@1.9.3/dist/leaflet.js"
_ICON_SHIM = """/* evacsim: Leaflet's default marker icon as data: URIs. Leaflet finds its icon
   images through a CSS url(); in a page with inlined CSS that lookup yields a broken relative path.
   Images: {spec}/dist/images (see LICENSE there). */
(function () {{
  delete L.Icon.Default.prototype._getIconUrl;
  L.Icon.Default.mergeOptions({{
    iconUrl: "{icon}",
    iconRetinaUrl: "{retina}",
    shadowUrl: "{shadow}"
  }});
}})();
"""

_URL_RE = re.compile(r"url\(\s*(['\"]?)([^'\")]+)\1\s*\)")
_FONT_FACE_RE = re.compile(r"@font-face\s*\{[^}]*\}")
_SOURCE_MAP_RE = re.compile(r"\n?/[*/]# sourceMappingURL=[^\n]*?(\*/)?(?=\n|$)")


def folium_urls() -> dict[str, str]:
    """Collect every asset URL folium puts in a page of evacsim's maps.

    Returns
    -------
    dict
        url -> ``"js"`` or ``"css"``, from ``folium.Map`` and each of ``PLUGINS_USED``.
    """
    import folium
    import folium.plugins

    from evacsim.maps._offline import PLUGINS_USED

    classes: list[type] = [folium.Map]
    classes += [getattr(folium.plugins, name) for name in PLUGINS_USED]
    urls: dict[str, str] = {}
    for cls in classes:
        for _, url in getattr(cls, "default_js", None) or []:
            urls[url] = "js"
        for _, url in getattr(cls, "default_css", None) or []:
            urls[url] = "css"
    return urls


def _npm_pack(spec: str, workdir: Path) -> tuple[Path, str]:
    """Download ``spec`` with ``npm pack``; return the tarball's path and its npm integrity."""
    out = subprocess.run(
        ["npm", "pack", spec, "--json", "--pack-destination", str(workdir)],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    info = json.loads(out.stdout)[0]
    return workdir / info["filename"], info["integrity"]


def _extract(spec: str, workdir: Path) -> tuple[Path, str]:
    """Unpack ``spec`` into ``workdir``; return the package root and the npm integrity string."""
    root = workdir / spec.replace("/", "__")
    if root.exists():
        return root, (root / ".integrity").read_text()
    tarball, integrity = _npm_pack(spec, workdir)
    with tarfile.open(tarball) as tar:
        tar.extractall(root, filter="data")
    pkg_root = root / "package"
    (root / ".integrity").write_text(integrity)
    shutil.move(str(pkg_root), str(root / "p"))
    return root, integrity


def _inline_css_urls(css: str, css_path: Path, url: str) -> tuple[str, list[str]]:
    """Inline the images a stylesheet references; drop @font-face; fail on anything else."""
    notes: list[str] = []
    if _FONT_FACE_RE.search(css):
        css = _FONT_FACE_RE.sub("", css)
        notes.append("@font-face rules removed (icon fonts not shipped)")

    def repl(match: re.Match[str]) -> str:
        ref = match.group(2).strip()
        if ref.startswith(("data:", "#")):  # inline data, or IE's url(#default#VML) behaviour
            return match.group(0)
        target = (css_path.parent / ref.split("?")[0].split("#")[0]).resolve()
        mime = mimetypes.guess_type(target.name)[0]
        if "//" in ref or not target.is_file() or not (mime or "").startswith("image/"):
            raise SystemExit(f"{url}: CSS references {ref!r}, which cannot be inlined")
        data = base64.b64encode(target.read_bytes()).decode("ascii")
        return f'url("data:{mime};base64,{data}")'

    inlined = _URL_RE.sub(repl, css)
    if inlined != css:
        notes.append("images inlined as data: URIs")
    return inlined, notes


def _vendor_one(url: str, src: Source, workdir: Path) -> dict[str, object]:
    """Copy the file behind ``url`` (and its licence) into ASSETS; return its manifest entry."""
    import folium

    if src.origin == "folium":
        spec = src.spec.format(folium=folium.__version__)
        pkg = Path(folium.__file__).parent
        lic_dir = next(Path(folium.__file__).parents[1].glob("folium-*.dist-info/licenses"))
        integrity = f"folium wheel {folium.__version__}"
    else:
        spec = src.spec
        root, integrity = _extract(spec, workdir)
        pkg = lic_dir = root / "p"
    dest_dir = ASSETS / spec
    source_file = pkg / src.path
    content = source_file.read_text(encoding="utf-8")
    notes: list[str] = []
    if _SOURCE_MAP_RE.search(content):
        content = _SOURCE_MAP_RE.sub("", content)
        notes.append("sourceMappingURL comment removed")
    if src.path.endswith(".css"):
        content, css_notes = _inline_css_urls(content, source_file, url)
        notes += css_notes
    dest = dest_dir / src.path
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(content, encoding="utf-8")
    license_rel = _copy_license(src, lic_dir, dest_dir)
    return {
        "file": posixpath.join(spec, src.path),
        "sha256": hashlib.sha256(dest.read_bytes()).hexdigest(),
        "package": spec,
        "source": src.origin,
        "npm_integrity": integrity,
        "license_file": posixpath.join(spec, license_rel),
        "modified": "; ".join(notes) or None,
    }


def _data_uri(path: Path) -> str:
    """A file as a base64 ``data:`` URI."""
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _leaflet_icon_shim(entry: dict[str, object], workdir: Path) -> dict[str, object]:
    """Write the default-icon shim appended after leaflet.js; return its manifest record."""
    spec = str(entry["package"])
    images = _extract(spec, workdir)[0] / "p" / "dist" / "images"
    text = _ICON_SHIM.format(
        spec=spec,
        icon=_data_uri(images / "marker-icon.png"),
        retina=_data_uri(images / "marker-icon-2x.png"),
        shadow=_data_uri(images / "marker-shadow.png"),
    )
    dest = ASSETS / "evacsim" / "leaflet-default-icon.js"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(text, encoding="utf-8")
    return {
        "file": "evacsim/leaflet-default-icon.js",
        "sha256": hashlib.sha256(dest.read_bytes()).hexdigest(),
    }


def _copy_license(src: Source, pkg: Path, dest_dir: Path) -> str:
    """Copy the package's licence file; write one from package.json when it ships none."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    if src.license is not None:
        shutil.copyfile(pkg / src.license, dest_dir / src.license)
        return src.license
    meta = json.loads((pkg / "package.json").read_text(encoding="utf-8"))
    lic = meta.get("license") or meta.get("licenses")
    text = (
        f"{meta['name']}@{meta['version']} ships no licence file.\n"
        f"Licence declared in its package.json: {json.dumps(lic)}\n"
        f"Author: {json.dumps(meta.get('author'))}\n"
        f"Homepage: {meta.get('homepage') or meta.get('repository')}\n"
    )
    (dest_dir / "LICENSE.package-json.txt").write_text(text, encoding="utf-8")
    return "LICENSE.package-json.txt"


def main() -> int:
    """Vendor every asset and write the manifest; return a process exit code."""
    import folium

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    urls = folium_urls()
    unknown = sorted(u for u in urls if u not in SOURCES and u not in OMITTED)
    if unknown:
        print("no source known for: " + ", ".join(unknown), file=sys.stderr)
        return 1
    for child in ASSETS.glob("*"):
        if child.is_dir():
            shutil.rmtree(child)
    assets: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for url in sorted(SOURCES):
            logger.info("vendoring %s", url)
            assets[url] = _vendor_one(url, SOURCES[url], Path(tmp))
        leaflet = assets[LEAFLET_JS]
        assert isinstance(leaflet, dict)
        leaflet["append"] = _leaflet_icon_shim(leaflet, Path(tmp))
    manifest = {
        "generated_by": "tools/vendor_assets.py",
        "folium_version": folium.__version__,
        "assets": assets,
        "omitted": dict(sorted(OMITTED.items())),
    }
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    (ASSETS / "manifest.json").write_text(text, encoding="utf-8")
    total = sum(p.stat().st_size for p in ASSETS.rglob("*") if p.is_file())
    logger.info("%d assets, %.0f kB in %s", len(assets), total / 1024, ASSETS)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    importlib.invalidate_caches()
    sys.exit(main())
