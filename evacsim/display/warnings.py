"""The warnings the model writes (in English, in ``summary.json``), in the page's language.

The core writes its warnings as English sentences with ids in them (``grid 'G-004': planned
assembly point 'AP-4' is unusable; sent to 'AP-5'``). :func:`warning_text` recognises the known
sentences and writes them again from the catalog, ids kept; a sentence it does not know is shown
as written (the test of the Chinese pages lists the ones the bundled scenarios raise).
"""

from __future__ import annotations

import re

from evacsim.display.i18n import N_, Translator

__all__ = ["warning_text"]

_ID = r"'(?P<{}>[^']+)'"
_FEATURE = re.compile(r"layer '[^']+', feature '(?P<id>[^']+)'")  # a feature: its id says it

#: (pattern of the core's sentence, message id with the pattern's group names as placeholders)
_KNOWN: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), message)
    for pattern, message in (
        (r"layer 'assembly_points', feature " + _ID.format("id")
         + r": inside the evacuation zone, not used",
         N_("assembly point {id} is inside the evacuation zone: not used")),
        (r"layer 'shelters', feature " + _ID.format("id")
         + r": inside the evacuation zone, not used",
         N_("shelter {id} is inside the evacuation zone: not used")),
        (r"grid " + _ID.format("grid") + r": planned assembly point " + _ID.format("ap")
         + r" is unusable; sent to (?P<to>.+)",
         N_("grid {grid}: its planned assembly point {ap} is inside the evacuation zone; sent to "
            "{to}")),
        (r"grid " + _ID.format("grid") + r": planned assembly point " + _ID.format("ap")
         + r" is unreachable; sent to (?P<to>.+)",
         N_("grid {grid}: no open road to its planned assembly point {ap}; sent to {to}")),
        (r"grid " + _ID.format("grid")
         + r": no usable assembly point reachable; (?P<n>\d+) persons stay",
         N_("grid {grid}: no usable assembly point can be reached; {n} persons stay")),
        (_ID.format("id") + r" receives (?P<n>\d+) persons, capacity (?P<cap>\d+) "
         r"\(over by (?P<over>\d+)\)",
         N_("the plan assigns {n} persons to {id}, capacity {cap} (over by {over}); they "
            "arrive over time")),
        (r"(?:shelter plan: )?demand exceeds usable capacity \(total capacity (?P<cap>\d+) "
         r"persons\): (?P<n>\d+) persons over capacity sent to their nearest point",
         N_("more persons than usable places (capacity {cap}): {n} persons over capacity sent to "
            "their nearest point")),
        (r"hazard source " + _ID.format("id") + r": the yellow footprint reaches the Gaussian "
         r"model's (?P<m>\S+) m limit and is truncated there",
         N_("hazard source {id}: the yellow zone reaches the plume model's {m} m limit and is "
            "cut there")),
        (r"hazard source " + _ID.format("id") + r": wind (?P<v>\S+) m/s is below (?P<min>\S+) "
         r"m/s: calm fallback, plume computed at \S+ m/s and drawn in every direction",
         N_("hazard source {id}: wind {v} m/s is below {min} m/s: calm, the plume is computed "
            "at {min} m/s and drawn in every direction")),
        (r"(?P<n>\d+) persons who need assistance walk to their assembly point alone "
         r"\((?P<why>.+)\): nobody helps them",
         N_("{n} persons who need assistance walk to their assembly point alone ({why}): nobody "
            "helps them")),
        (r"(?P<kind>\w+) (?P<target>\S+): no team with (?P<need>\d+) free members, a vehicle and "
         r"a route; not staffed",
         N_("{kind} {target}: no team with {need} free members, a vehicle and a route: not "
            "staffed")),
        (r"team (?P<team>\S+): more posts than members",
         N_("team {team}: more posts than members")),
        (r"(?P<kind>\w+) (?P<target>.+): the team never arrived",
         N_("{kind} {target}: the team never arrived")),
        (r"supply point (?P<id>\S+): no shelter reachable by road",
         N_("supply point {id}: no shelter can be reached by road")),
        (r"(?P<where>.+): is (?P<d>\d+) m from the nearest (?P<mode>\w+) road",
         N_("{where}: {d} m from the nearest road ({mode})")),
        (r"(?P<where>.+): is on a road network component apart from the main one",
         N_("{where}: on a part of the road network not joined to the main one")),
    )
)  # fmt: skip


def warning_text(text: str, tr: Translator) -> str:
    """A model warning in the translator's language (the sentence as written if unknown)."""
    for pattern, message in _KNOWN:
        match = pattern.fullmatch(text)
        if match:
            values = {k: _FEATURE.sub(r"\g<id>", v) for k, v in match.groupdict().items()}
            return tr(message, **values)
    return text
