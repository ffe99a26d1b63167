"""The optimizer's words in the page's language: its notes, the plans it tried, the bound's parts.

:mod:`evacsim.optimize` (core) names its candidate plans and writes its notes in English
(``move G-3 to AP-2``, ``simulated stage-1 clearance is 1.042× the bound``); the comparison
page, its map and the terminal show them through :func:`note_text` and :func:`plan_text`
(:func:`evacsim.display.warnings.known_text`: a sentence nobody listed stays as written, and the
test of the Chinese pages fails on it).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from evacsim.display.i18n import N_, Translator
from evacsim.display.labels import LEVEL_LABELS, MODE_LABELS, label
from evacsim.display.warnings import known_sentences, known_text

__all__ = ["BOUND_STAGE_LABELS", "component_levels", "component_words", "note_text", "plan_text"]

#: The stages of the bound's parts (:func:`evacsim.optimize.bound.clearance_bound`).
BOUND_STAGE_LABELS = MappingProxyType(
    {"assembly": N_("to an assembly point"), "shelter_by_car": N_("on to a shelter by car")}
)

_NOTES = known_sentences(
    (
        (r"no candidate plan beat the scenario's plan; the plan file keeps it",
         N_("no candidate plan beat the scenario's plan; the plan file keeps it")),
        (r"stage-1 clearance (?P<p>p\d+) is (?P<s>\d+) s later than the scenario's plan; the "
         r"scenario's plan overloads (?P<over>.+) persons, which the optimizer may not",
         N_("{p} of the arrivals at assembly points is {s} s later than in the scenario's "
            "plan, which overloads {over} persons (the optimizer may not)")),
        (r"stage-1 clearance (?P<p>p\d+) is (?P<s>\d+) s later than the scenario's plan",
         N_("{p} of the arrivals at assembly points is {s} s later than in the scenario's "
            "plan")),
        (r"simulated stage-1 clearance is (?P<x>\S+)× the bound",
         N_("the last person to reach an assembly point arrives at {x}× the bound, as "
            "simulated")),
        (r"(?P<n>\d+) persons reach no assembly point in any plan tried; the clearance "
         r"compared is that of the persons who reach one",
         N_("{n} persons reach no assembly point in any plan tried; the times compared are "
            "those of the persons who reach one")),
    )
)  # fmt: skip

_PLANS = known_sentences(
    (
        (r"scenario plan \((?P<policy>.+)\)", N_("scenario's plan ({policy})")),
        (r"bottleneck assignment", N_("bottleneck assignment")),
        (r"bottleneck assignment \+ CCRP routes", N_("bottleneck assignment + CCRP routes")),
        (r"CCRP", N_("CCRP routes and assembly points")),
        (r"move (?P<grid>\S+) to (?P<ap>\S+)", N_("move {grid} to {ap}")),
        (r"outer levels warned (?P<m>\S+) min later", N_("outer levels warned {m} min later")),
    )
)  # fmt: skip

_LEVELS = known_sentences(
    (
        (r"(?P<level>\w+) and safer", N_("{level} and safer")),
        (r"door to door \(no queues\)", N_("door to door (no queues)")),
        (r"all \(red roads open\)", N_("everyone (red roads open)")),
        (r"outside", N_("outside the zones")),
    )
)  # fmt: skip

_OVER = known_sentences(((r"(?P<ap>\S+) by (?P<n>\d+)", N_("{ap} by {n}")),))


def note_text(note: str, tr: Translator) -> str:
    """One of the optimizer's notes in the translator's language (as written if unknown)."""

    def value(name: str, text: str) -> str:
        if name != "over":
            return text
        parts = [known_text(part, _OVER, tr) or part for part in text.split(", ")]
        return tr.gettext(", ").join(parts)

    return known_text(note, _NOTES, tr, value) or note


def plan_text(name: str, tr: Translator) -> str:
    """A candidate plan's name in the translator's language (as written if unknown)."""
    return known_text(name, _PLANS, tr) or name


def component_levels(text: str, tr: Translator) -> str:
    """The persons a part of the bound covers (``orange and safer``...), translated."""
    return known_text(text, _LEVELS, tr, lambda _k, v: label(LEVEL_LABELS, v, tr)) or text


def component_words(component: Mapping[str, Any], tr: Translator) -> dict[str, str]:
    """A part of the bound's ``stage``, ``mode`` and ``levels`` in words."""
    return {
        "stage": label(BOUND_STAGE_LABELS, component["stage"], tr),
        "mode": label(MODE_LABELS, component["mode"], tr),
        "levels": component_levels(str(component["levels"]), tr),
    }
