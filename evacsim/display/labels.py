"""Plain-language labels of the model's codes (states, tasks, modes, levels, reasons), translated.

Each table maps a code to an English message id (marked with :func:`N_` for extraction); the
functions translate it. A code the tables do not know yet (a new final state, a new stranding
reason) is shown as its own words (``new_state`` → ``new state``), so new model states appear on
every page without more work, and a translation can be added later.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from evacsim.display.i18n import N_, Translator

__all__ = [
    "ITEM_LABELS",
    "KIND_LABELS",
    "LEVEL_LABELS",
    "MODE_LABELS",
    "REASON_LABELS",
    "STAGE_LABELS",
    "STATE_LABELS",
    "STATUS_LABELS",
    "TASK_LABELS",
    "label",
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

#: Why people are stranded (the engine's reasons; ``bus`` prefixes a bus passenger's).
REASON_LABELS = MappingProxyType(
    {
        "no_route": N_("no open road"),
        "gridlock": N_("gridlock"),
        "bus": N_("on a bus"),
    }
)


#: Task statuses (:mod:`evacsim.sim.teams`).
STATUS_LABELS = MappingProxyType(
    {"staffed": N_("staffed"), "done": N_("done"), "en_route": N_("en route"),
     "stranded": N_("stranded")}
)


def label(table: Mapping[str, str], code: object, tr: Translator) -> str:
    """The translated label of ``code`` in ``table``; unknown codes as words."""
    text = str(code)
    return tr.gettext(table[text]) if text in table else text.replace("_", " ")


def reason_label(reason: object, tr: Translator) -> str:
    """A stranding reason in words: ``bus no_route`` → "on a bus: no open route (...)"."""
    parts = str(reason).split()
    words = [label(REASON_LABELS, p, tr) for p in parts]
    return ": ".join(words) if words else "—"
