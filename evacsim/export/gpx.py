"""GPX 1.1 documents for handheld GPS units and phones.

A document holds named waypoints and tracks; a track's points may carry the time they were
passed in the run (GPX times are UTC: :meth:`evacsim.display.clock.Clock.utc`). Coordinates are
EPSG:4326, rounded to 6 decimals (~0.1 m). Built with gpxpy (the points written in its exact
form, see :func:`gpx_document`), so the output is what gpxpy (and the GPS tools that read GPX
1.1) parse back.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

__all__ = ["GpxPoint", "GpxPoints", "GpxTrack", "GpxWaypoint", "gpx_document"]


@dataclass(frozen=True)
class GpxPoint:
    """A track point: where, and when it was passed (``None``: no time)."""

    lon: float
    lat: float
    time: datetime | None = None


@dataclass(frozen=True, eq=False)
class GpxPoints:
    """A track's points as columns (a district's tracks have hundreds of thousands): ``lon``,
    ``lat`` and, when timed, each point's UTC time as GPX writes it (``2026-06-01T07:32:05Z``;
    ``None`` for a point without a time; :meth:`evacsim.display.clock.Clock.utc_stamps`)."""

    lon: np.ndarray
    lat: np.ndarray
    stamps: Sequence[str | None] | None = None

    def __len__(self) -> int:
        return len(self.lon)


@dataclass(frozen=True)
class GpxWaypoint:
    """A named place (``symbol`` is a GPS unit's icon name, e.g. ``Flag``)."""

    name: str
    lon: float
    lat: float
    description: str = ""
    symbol: str | None = None
    time: datetime | None = None


@dataclass(frozen=True)
class GpxTrack:
    """A named track of timed points (one segment), or a route when ``route`` (no times)."""

    name: str
    points: Sequence[GpxPoint] | GpxPoints
    description: str = ""
    kind: str = ""
    route: bool = False


def gpx_document(
    name: str,
    waypoints: Sequence[GpxWaypoint] = (),
    tracks: Sequence[GpxTrack] = (),
    *,
    description: str = "",
) -> str:
    """A GPX 1.1 document (UTF-8 text) with the waypoints, then the routes and tracks.

    gpxpy writes the document; the points of each route and track, which are nearly all of it
    in a district (tens of thousands of team track points, one gpxpy object and a field walk
    each), are written by :func:`_points_xml` in exactly gpxpy's form and put in place of one
    placeholder point per track.
    """
    import gpxpy.gpx

    gpx = gpxpy.gpx.GPX()
    gpx.creator = "evacsim"
    gpx.name = name
    gpx.description = description or None
    for w in waypoints:
        gpx.waypoints.append(
            gpxpy.gpx.GPXWaypoint(
                latitude=round(w.lat, 6), longitude=round(w.lon, 6), name=w.name,
                description=w.description or None, symbol=w.symbol, time=w.time,
            )
        )  # fmt: skip
    placeholders: dict[str, str] = {}
    for k, t in enumerate(tracks):
        # a placeholder point where no real point is (1000.5, 1000.5 + k), replaced below
        marker = gpxpy.gpx.GPXTrackPoint if not t.route else gpxpy.gpx.GPXRoutePoint
        points = [marker(latitude=1000.5, longitude=1000.5 + k)] if t.points else []
        tag, indent = ("rtept", "    ") if t.route else ("trkpt", "      ")
        if t.points:
            placeholders[_point_xml(tag, indent, 1000.5, 1000.5 + k, None)] = _points_xml(
                tag, indent, t.points
            )
        if t.route:
            route = gpxpy.gpx.GPXRoute(name=t.name, description=t.description or None)
            route.type = t.kind or None  # type: ignore[assignment]
            route.points.extend(points)  # type: ignore[arg-type]
            gpx.routes.append(route)
            continue
        track = gpxpy.gpx.GPXTrack(name=t.name, description=t.description or None)
        track.type = t.kind or None  # type: ignore[assignment]
        segment = gpxpy.gpx.GPXTrackSegment()
        segment.points.extend(points)  # type: ignore[arg-type]
        track.segments.append(segment)
        gpx.tracks.append(track)
    text = str(gpx.to_xml(version="1.1"))
    # every placeholder replaced in one pass (one ``replace`` each rescanned the document:
    # quadratic in a district's thousand tracks)
    return _PLACEHOLDER_RE.sub(lambda m: placeholders.get(m.group(0), m.group(0)), text)


#: A placeholder point as gpxpy writes it (latitude 1000.5: no real point is there).
_PLACEHOLDER_RE = re.compile(r'\n *<(trkpt|rtept) lat="1000\.5" lon="[0-9.]+">\n *</\1>')


def _coordinate(value: float) -> str:
    """A coordinate as gpxpy writes it (``str`` of the float; never scientific notation)."""
    text = str(value)
    return text if "e" not in text else format(value, ".10f").rstrip("0").rstrip(".")


def _point_xml(tag: str, indent: str, lat: float, lon: float, time: datetime | None) -> str:
    """One ``<trkpt>`` / ``<rtept>`` exactly as gpxpy's pretty printer writes it."""
    stamp = None if time is None else time.isoformat().replace("+00:00", "Z")
    return _point_text(tag, indent, _coordinate(lat), _coordinate(lon), stamp)


def _point_text(tag: str, indent: str, lat: str, lon: str, stamp: str | None) -> str:
    head = f'\n{indent}<{tag} lat="{lat}" lon="{lon}">'
    if stamp is None:
        return f"{head}\n{indent}</{tag}>"
    return f"{head}\n{indent}  <time>{stamp}</time>\n{indent}</{tag}>"


def _points_xml(tag: str, indent: str, points: Sequence[GpxPoint] | GpxPoints) -> str:
    if not isinstance(points, GpxPoints):
        return "".join(
            _point_xml(tag, indent, round(p.lat, 6), round(p.lon, 6), p.time) for p in points
        )
    lat = [_coordinate(round(v, 6)) for v in points.lat.tolist()]
    lon = [_coordinate(round(v, 6)) for v in points.lon.tolist()]
    stamps = points.stamps if points.stamps is not None else [None] * len(lat)
    return "".join(
        _point_text(tag, indent, la, lo, st) for la, lo, st in zip(lat, lon, stamps, strict=True)
    )
