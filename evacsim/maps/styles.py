"""The maps' colours and road styles, without folium: the drill sheets' route sketches
(:mod:`evacsim.report.sketch`) draw with the same ones, and importing folium only for them cost
every run a quarter of a second."""

from __future__ import annotations

from types import MappingProxyType

__all__ = ["ROAD_STYLES", "TEAM_COLOURS", "road_class"]

# highway class -> (colour, weight in px, dash pattern): neutral greys, main roads dark and wide
ROAD_STYLES = MappingProxyType(
    {
        "motorway": ("#3d3d3d", 5.5, None),
        "trunk": ("#4a4a4a", 5.0, None),
        "primary": ("#5a5a5a", 4.5, None),
        "secondary": ("#6e6e6e", 3.5, None),
        "tertiary": ("#858585", 3.0, None),
        "residential": ("#9e9e9e", 2.5, None),
        "service": ("#b8b8b8", 2.0, None),
        "footway": ("#9e9e9e", 1.5, "4 3"),
        "other": ("#9e9e9e", 2.0, None),
    }
)

#: Colours of teams in order (cycled), colour-blind-safe (Okabe-Ito): a team has the same colour
#: on the run map and on its drill sheet.
TEAM_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")


def road_class(highway: object) -> str:
    """Map an OSM/area highway value to one of the styled classes."""
    text = str(highway).removesuffix("_link")
    if text in ROAD_STYLES:
        return text
    return {"unclassified": "residential", "living_street": "residential"}.get(
        text, "footway" if text in {"pedestrian", "path", "steps", "cycleway", "track"} else "other"
    )
