"""Plain-language labels of the model's codes (states, tasks, modes, levels, reasons), translated.

Each table maps a code to an English message id (marked with :func:`N_` for extraction); the
functions translate it. A code the tables do not know yet (a new final state, a new stranding
reason) is shown as its own words (``new_state`` → ``new state``), so new model states appear on
every page without more work, and a translation can be added later.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from evacsim.display.i18n import N_, Translator

__all__ = [
    "CHANNEL_LABELS",
    "CONTEXT_LABELS",
    "DETECTION_LABELS",
    "ITEM_LABELS",
    "KIND_LABELS",
    "LAYER_LABELS",
    "LEVEL_LABELS",
    "MODE_LABELS",
    "NETWORK_LABELS",
    "REASON_LABELS",
    "ROAD_LABELS",
    "STAGE_LABELS",
    "STATE_LABELS",
    "STATUS_LABELS",
    "SUBSTANCE_LABELS",
    "TASK_LABELS",
    "WARN_METHOD_LABELS",
    "label",
    "level_text",
    "modes_text",
    "reason_label",
]


#: Plain-language names of the task kinds.
TASK_LABELS = MappingProxyType(
    {
        "traffic_control": N_("traffic control"),
        "staff_assembly": N_("staff assembly point"),
        "cordon": N_("cordon"),
        "staff_shelter": N_("staff shelter"),
        "door_to_door": N_("door-to-door help"),
    }
)

#: Final states of persons (``summary.json`` ``persons``).
STATE_LABELS = MappingProxyType(
    {
        "sheltered": N_("sheltered"),
        "at_assembly": N_("at an assembly point"),
        "en_route": N_("en route"),
        "stranded": N_("stranded"),
        "incapacitated": N_("incapacitated"),
        "not_evacuated": N_("not evacuated"),
    }
)

MODE_LABELS = MappingProxyType(
    {"walk": N_("on foot"), "car": N_("by car"), "assisted": N_("assisted"), "bus": N_("by bus")}
)

LEVEL_LABELS = MappingProxyType(
    {"red": N_("red"), "orange": N_("orange"), "yellow": N_("yellow"), "outside": N_("outside")}
)

STAGE_LABELS = MappingProxyType(
    {"assembly": N_("to an assembly point"), "shelter": N_("to a shelter")}
)

#: Supply items (:data:`evacsim.scenario.supplies.ITEMS`).
ITEM_LABELS = MappingProxyType(
    {
        "water_l": N_("water (l)"),
        "food_rations": N_("food rations"),
        "blankets": N_("blankets"),
        "medical_kits": N_("medical kits"),
    }
)

KIND_LABELS = MappingProxyType({"assembly": N_("assembly point"), "shelter": N_("shelter")})

#: Why people end in their state (``end_reason`` of the groups table, ``stranded`` and
#: ``endings`` of ``summary.json``; README, "How a run ends"). A passenger's reason is its
#: vehicle's, prefixed: ``bus no_route``, ``team_vehicle gridlock``.
REASON_LABELS = MappingProxyType(
    {
        # stranded
        "no_route": N_("no open road"),
        "gridlock": N_("gridlock"),
        "no_assembly_point": N_("no assembly point can be reached"),
        "no_team_vehicle": N_("no team vehicle left"),
        "bus": N_("on a bus"),
        "team_vehicle": N_("in a team vehicle"),
        # at_assembly (evacsim.sim.facilities.AP_END_REASONS)
        "cut_off": N_("cut off from every shelter with room"),
        "shelters_full": N_("every usable shelter full"),
        "unstaffed": N_("assembly point never staffed: no bus sent"),
        "no_bus": N_("no bus can come"),
        "waiting_for_bus": N_("waiting for a bus"),
        # en_route, not_evacuated, incapacitated
        "on_the_way": N_("still on the way"),
        "not_departed": N_("not yet left home"),
        "waiting_for_team": N_("waiting at home for a team vehicle"),
        "fed_1": N_("FED reached 1"),
        "unknown": N_("reason not recorded"),
    }
)

#: Feature kinds by layer, for the core's sentences that name one (``layer 'shelters', feature
#: 'S-1'``).
LAYER_LABELS = MappingProxyType(
    {
        "roads": N_("road"),
        "grids": N_("grid"),
        "assembly_points": N_("assembly point"),
        "shelters": N_("shelter"),
        "supply_points": N_("supply point"),
        "team_bases": N_("team base"),
        "hazard_sources": N_("hazard source"),
        "context": N_("context feature"),
    }
)

#: The road networks of a mode (:mod:`evacsim.network.pieces`, :mod:`evacsim.network.snap`).
NETWORK_LABELS = MappingProxyType(
    {
        "driving": N_("driving"),
        "walking": N_("walking"),
        "driving and walking": N_("driving and walking"),
    }
)


#: Task statuses (:mod:`evacsim.sim.teams`).
STATUS_LABELS = MappingProxyType(
    {
        "staffed": N_("staffed"),
        "done": N_("done"),
        "en_route": N_("en route"),
        "stranded": N_("stranded"),
    }
)


#: Road classes as drawn (:data:`evacsim.maps.layers.ROAD_STYLES`).
ROAD_LABELS = MappingProxyType(
    {
        "motorway": N_("motorway"),
        "trunk": N_("trunk road"),
        "primary": N_("primary road"),
        "secondary": N_("secondary road"),
        "tertiary": N_("tertiary road"),
        "residential": N_("residential street"),
        "service": N_("service road"),
        "footway": N_("footway"),
        "other": N_("other road"),
    }
)

#: Kinds of context feature.
CONTEXT_LABELS = MappingProxyType(
    {"water": N_("water"), "railway": N_("railway"), "boundary": N_("boundary"),
     "other": N_("other")}
)  # fmt: skip

#: Who warned a household (``warned_by``): the responsibility chain's grid worker, or a channel
#: beside it. A channel is named in the scenario (``[warning] channels``); the default and the
#: names the docs suggest are translated, any other name is shown as written.
CHANNEL_LABELS = MappingProxyType(
    {
        "chain": N_("grid worker"),
        "mass alert": N_("mass alert"),
        "cell broadcast": N_("cell broadcast"),
        "SMS": N_("SMS"),
        "sirens": N_("sirens"),
    }
)

#: How grid workers reach a household (``[warning] method``; ``door`` also for people who need
#: help).
WARN_METHOD_LABELS = MappingProxyType({"phone": N_("by phone"), "door": N_("at the door")})

#: What a monitoring system reports (:data:`evacsim.scenario.alarm.DETECTIONS`).
DETECTION_LABELS = MappingProxyType(
    {
        "fire": N_("fire"),
        "leak": N_("leak"),
        "release": N_("release"),
        "explosion_risk": N_("explosion risk"),
    }
)

#: Substances of :mod:`evacsim.hazard.substances`, by canonical name.
SUBSTANCE_LABELS = MappingProxyType(
    {
        "gasoline": N_("gasoline"),
        "diesel": N_("diesel"),
        "kerosene": N_("kerosene"),
        "benzene": N_("benzene"),
        "hexane": N_("hexane"),
        "heptane": N_("heptane"),
        "butane": N_("butane"),
        "propane": N_("propane"),
        "chlorine": N_("chlorine"),
    }
)

#: What the hazard models' threat levels mean (the phrases of :mod:`evacsim.hazard.build`).
_LEVEL_PHRASES = (
    N_("potentially lethal within 60 s"),
    N_("2nd-degree burns within 60 s"),
    N_("pain within 60 s"),
    N_("destruction of buildings"),
    N_("serious injury likely"),
    N_("shatters glass"),
    N_("life-threatening effects or death"),
    N_("irreversible or serious effects"),
    N_("notable discomfort"),
    N_("user threshold"),
)
_RADIUS_RE = re.compile(r"within (\S+) m \(fixed plan radius\)")


def level_text(text: object, tr: Translator) -> str:
    """A threat level's meaning (``20 ppm — AEGL-3 (60 min): life-threatening effects or
    death``) with its known phrases translated; other text is kept as it is."""
    out = str(text)
    match = _RADIUS_RE.fullmatch(out)
    if match:
        return tr("within {r} m (fixed plan radius)", r=match.group(1))
    for phrase in _LEVEL_PHRASES:
        if phrase in out:
            out = out.replace(phrase, tr.gettext(phrase))
    return out


def label(table: Mapping[str, str], code: object, tr: Translator) -> str:
    """The translated label of ``code`` in ``table``; unknown codes as words."""
    text = str(code)
    return tr.gettext(table[text]) if text in table else text.replace("_", " ")


def reason_label(reason: object, tr: Translator) -> str:
    """A stranding reason in words: ``no_route`` → "no open road"; a bus passenger's
    ``bus no_route`` → "no open road (on a bus)"."""
    parts = str(reason).split()
    if not parts:
        return "—"
    text = label(REASON_LABELS, parts[-1], tr)
    for prefix in reversed(parts[:-1]):
        text = tr("{reason} ({where})", reason=text, where=label(REASON_LABELS, prefix, tr))
    return text


def modes_text(text: object, tr: Translator) -> str:
    """Persons per mode as :func:`evacsim.results.routes.grid_routes` writes them (``walk: 12,
    car: 30``), in words (``on foot: 12, by car: 30``)."""
    parts = []
    for part in str(text or "").split(", "):
        mode, _, n = part.partition(": ")
        if mode:
            parts.append(f"{label(MODE_LABELS, mode, tr)}: {n}")
    return ", ".join(parts)
