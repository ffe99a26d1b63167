"""GPX 1.1 documents for handheld GPS units and phones.

A document holds named waypoints and tracks; a track's points may carry the time they were
passed in the run (GPX times are UTC: :meth:`evacsim.display.clock.Clock.utc`). Coordinates are
EPSG:4326, rounded to 6 decimals (~0.1 m). Built with gpxpy, so the output is what gpxpy (and
the GPS tools that read GPX 1.1) parse back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

__all__ = ["GpxPoint", "GpxTrack", "GpxWaypoint", "gpx_document"]


@dataclass(frozen=True)
class GpxPoint:
    """A track point: where, and when it was passed (``None``: no time)."""

    lon: float
    lat: float
    time: datetime | None = None


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
    points: Sequence[GpxPoint]
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
    """A GPX 1.1 document (UTF-8 text) with the waypoints, then the routes and tracks."""
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
    for t in tracks:
        if t.route:
            route = gpxpy.gpx.GPXRoute(name=t.name, description=t.description or None)
            route.type = t.kind or None  # type: ignore[assignment]
            route.points.extend(
                gpxpy.gpx.GPXRoutePoint(latitude=round(p.lat, 6), longitude=round(p.lon, 6),
                                        time=p.time)
                for p in t.points
            )  # fmt: skip
            gpx.routes.append(route)
            continue
        track = gpxpy.gpx.GPXTrack(name=t.name, description=t.description or None)
        track.type = t.kind or None  # type: ignore[assignment]
        segment = gpxpy.gpx.GPXTrackSegment()
        segment.points.extend(
            gpxpy.gpx.GPXTrackPoint(latitude=round(p.lat, 6), longitude=round(p.lon, 6),
                                    time=p.time)
            for p in t.points
        )  # fmt: skip
        track.segments.append(segment)
        gpx.tracks.append(track)
    return str(gpx.to_xml(version="1.1"))
