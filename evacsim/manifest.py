"""The run folder's format: what marks a folder as a complete evacsim run, and its version.

A run folder (written by :mod:`evacsim.export.folder`) is complete when its ``manifest.json`` —
written last — carries ``"format": "evacsim-run"`` and ``format_version`` (also in
``summary.json``). Readers (``export``, ``compare``) go through :func:`require_run_folder`, so a
partial folder, a user's folder with a stray ``summary.json`` or a run from a newer evacsim is
refused with one line. ``CHANGELOG.md`` records what each format version changed.

This module sits below every face that reads or writes run folders (``report``, ``export``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evacsim.errors import EvacsimError

__all__ = [
    "FOLDER_FORMATS",
    "FORMAT_VERSION",
    "MANIFEST",
    "OPTIMIZE_FORMAT",
    "RUN_FORMAT",
    "read_manifest",
    "require_run_folder",
]

#: ``manifest.json``'s ``format``: what marks a folder as an evacsim run.
RUN_FORMAT = "evacsim-run"

#: The ``format`` of the folder ``evacsim optimize`` writes (a plan, its page, its proof; not a
#: run: ``export`` and ``compare`` do not take it, but evacsim may replace it).
OPTIMIZE_FORMAT = "evacsim-optimize"

#: Every folder format evacsim writes, and so may replace (its own files only).
FOLDER_FORMATS = (RUN_FORMAT, OPTIMIZE_FORMAT)

#: The run folder's format version (``manifest.json`` and ``summary.json``); CHANGELOG.md says
#: what changed in each. Version 1 is a folder written before the key existed.
FORMAT_VERSION = 2

#: Written last: a folder without it is not a complete run.
MANIFEST = "manifest.json"

# Keys every manifest had before ``format`` existed (format version 1).
_LEGACY_KEYS = frozenset({"scenario", "seed", "evacsim", "outputs"})


def read_manifest(
    folder: str | Path, *, formats: tuple[str, ...] = (RUN_FORMAT,)
) -> dict[str, Any] | None:
    """The manifest of a complete evacsim folder of one of ``formats`` (any format version; by
    default a run), else ``None``.

    A manifest written before ``format_version`` existed (it has evacsim's keys but no
    ``format``) is read as a run of version 1.
    """
    try:
        data = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("outputs"), dict):
        return None
    if data.get("format") in formats:
        version = data.get("format_version")
        return data if isinstance(version, int) and not isinstance(version, bool) else None
    if RUN_FORMAT in formats and "format" not in data and data.keys() >= _LEGACY_KEYS:
        return {**data, "format": RUN_FORMAT, "format_version": 1}
    return None


def require_run_folder(folder: str | Path) -> dict[str, Any]:
    """The manifest of a complete run folder this evacsim reads; else one clear error.

    Raises
    ------
    EvacsimError
        No such folder, no (valid) manifest, a file it lists is missing, or a newer format.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise EvacsimError(f"{folder}: no such run folder")
    manifest = read_manifest(folder)
    if manifest is None:
        why = (
            "manifest.json is missing (an interrupted run has none)"
            if not (folder / MANIFEST).exists()
            else "its manifest.json is not an evacsim run's"
        )
        raise EvacsimError(f"{folder}: not a run folder: {why}")
    version = manifest["format_version"]
    if version > FORMAT_VERSION:
        raise EvacsimError(
            f"{folder}: run folder format_version {version} is newer than this evacsim reads "
            f"(up to {FORMAT_VERSION}); upgrade evacsim to read it"
        )
    missing = sorted(rel for rel in manifest["outputs"] if not (folder / rel).is_file())
    if missing:
        raise EvacsimError(f"{folder}: incomplete run folder: {missing[0]} is missing")
    return manifest
