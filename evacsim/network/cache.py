"""The loaded area, its road network and snapped facilities, cached per area content.

Every run and incident on an area starts the same way: read and check the layers
(:func:`~evacsim.area.layers.load_area`), build the network
(:func:`~evacsim.network.graph.build_network`) and snap the facilities
(:func:`~evacsim.network.snap.snap_area`). None of it depends on the scenario, so
:func:`prepared_area` keeps the three, pickled, under a key made of

- the sha256 of every file the area is read from (:func:`~evacsim.area.layers.area_files`:
  layer files or the GeoPackage, and ``area.toml``) and the area's resolved path,
- the sha256 of evacsim's ``area`` and ``network`` source code and the versions of the libraries
  whose objects are pickled (a new evacsim or geopandas never reads an old entry),

in the user's cache folder: ``$EVACSIM_CACHE_DIR``, else ``$XDG_CACHE_HOME/evacsim``, else
``~/.cache/evacsim``. A changed layer file is a new key (the old entry is left; entries are small
and only the newest :data:`KEEP` are kept). An entry that cannot be read or unpickled is rebuilt
and rewritten, never an error; a cache folder that cannot be written is skipped with a debug
line. ``EVACSIM_NO_CACHE=1`` turns the cache off (the test suite does, except where it tests it).

Within one process the latest entry is also kept in memory (as its pickle: every caller gets its
own copy), so a long-running process (``evacsim watch``, a notebook) answers without reading it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
from pathlib import Path

from evacsim.area.layers import Area, area_files, load_area
from evacsim.atomic import atomic_path
from evacsim.network.graph import RoadNetwork, build_network
from evacsim.network.snap import SnappedArea, snap_area

__all__ = ["ENV_CACHE_DIR", "ENV_NO_CACHE", "cache_dir", "cache_key", "prepared_area"]

log = logging.getLogger(__name__)

#: Environment variables: the cache folder, and "1" to switch the cache off.
ENV_CACHE_DIR = "EVACSIM_CACHE_DIR"
ENV_NO_CACHE = "EVACSIM_NO_CACHE"

#: How many entries the cache folder keeps (the most recently used).
KEEP = 16

_FORMAT = b"evacsim-area-cache-1"
_SUFFIX = ".pickle"
_memory: tuple[str, bytes] | None = None  # the latest entry: (key, pickle)


def cache_dir() -> Path | None:
    """The cache folder, or ``None`` when ``EVACSIM_NO_CACHE`` is set (to anything but 0)."""
    if os.environ.get(ENV_NO_CACHE, "").strip() not in ("", "0"):
        return None
    explicit = os.environ.get(ENV_CACHE_DIR)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "evacsim"


def _code_digest() -> bytes:
    """What could change the pickled objects: evacsim's area/network code, library versions."""
    import geopandas
    import numpy
    import pandas
    import pyproj
    import shapely

    digest = hashlib.sha256(_FORMAT)
    here = Path(__file__).resolve().parent
    for folder in (here.parent / "area", here):
        for path in sorted(folder.glob("*.py")):
            digest.update(path.name.encode() + path.read_bytes())
    for module in (numpy, pandas, geopandas, shapely, pyproj):
        digest.update(f"{module.__name__}={module.__version__};".encode())
    digest.update(f"python={sys.version_info[:2]}".encode())
    return digest.digest()


def cache_key(source: str | Path) -> str:
    """The key of an area's entry: its path, the content of its files and the code reading them."""
    root = Path(source).resolve()
    digest = hashlib.sha256(_code_digest())
    digest.update(str(root).encode())
    for path in area_files(root):
        digest.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _build(source: Path) -> tuple[Area, RoadNetwork, SnappedArea]:
    area = load_area(source)
    network = build_network(area.roads)
    return area, network, snap_area(area, network)


def prepared_area(source: str | Path) -> tuple[Area, RoadNetwork, SnappedArea]:
    """The area at ``source`` loaded, its network built and facilities snapped: from the cache
    when its files are unchanged, else built (and stored).

    Raises
    ------
    AreaError, NetworkError
        As :func:`~evacsim.area.layers.load_area`, :func:`~evacsim.network.graph.build_network`
        and :func:`~evacsim.network.snap.snap_area` (a bad area is never cached).
    """
    global _memory
    folder = cache_dir()
    if folder is None:
        return _build(Path(source))
    key = cache_key(source)
    blob = _memory[1] if _memory is not None and _memory[0] == key else _read(folder, key)
    if blob is not None:
        try:
            area, network, snapped = pickle.loads(blob)
            if isinstance(area, Area) and isinstance(network, RoadNetwork):
                _memory = (key, blob)
                return area, network, snapped
        except Exception as exc:  # a corrupt or foreign entry: rebuilt below
            log.debug("area cache entry %s unreadable (%s): rebuilding", key[:12], exc)
    built = _build(Path(source))
    blob = pickle.dumps(built, protocol=pickle.HIGHEST_PROTOCOL)
    _memory = (key, blob)
    _write(folder, key, blob)
    return built


def _read(folder: Path, key: str) -> bytes | None:
    path = folder / f"{key}{_SUFFIX}"
    try:
        blob = path.read_bytes()
        os.utime(path)  # most recently used: kept longest
    except OSError:
        return None
    return blob


def _write(folder: Path, key: str, blob: bytes) -> None:
    try:
        with atomic_path(folder / f"{key}{_SUFFIX}", what="cache") as tmp:
            tmp.write_bytes(blob)
        entries = sorted(folder.glob(f"*{_SUFFIX}"), key=lambda p: p.stat().st_mtime)
        for old in entries[:-KEEP]:
            old.unlink(missing_ok=True)
    except OSError as exc:
        log.debug("area cache %s not written: %s", folder, exc)
