"""The sentences the core writes (in English), in the page's language.

The core writes its warnings and notes as English sentences with ids in them (``grid 'G-004':
planned assembly point 'AP-4' is unusable; sent to 'AP-5'``), because it knows no language.
:func:`known_text` recognises a known sentence (a pattern with named groups, from
:func:`known_sentences`) and writes it again from the catalog, the groups' values kept;
:func:`warning_text` does so for the warnings of ``summary.json`` and the notes made from an
alarm record. A sentence nobody listed is shown as written (the tests of the Chinese pages fail
on the ones the bundled scenarios raise).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from evacsim.display.i18n import N_, Translator

__all__ = ["Known", "known_sentences", "known_text", "warning_text"]

#: (pattern of the core's sentence, message id with the pattern's group names as placeholders)
Known = tuple[tuple[re.Pattern[str], str], ...]


def known_sentences(pairs: Iterable[tuple[str, str]]) -> Known:
    """Compile (regular expression, message id) pairs for :func:`known_text`."""
    return tuple((re.compile(pattern), message) for pattern, message in pairs)


def known_text(
    text: str,
    known: Known,
    tr: Translator,
    value: Callable[[str, str], str] = lambda _name, v: v,
) -> str | None:
    """``text`` in the translator's language when it is one of ``known`` (the first pattern that
    matches it whole); ``value(name, matched)`` may rewrite a group's value first. ``None`` when
    no pattern matches."""
    for pattern, message in known:
        match = pattern.fullmatch(text)
        if match:
            return tr(message, **{k: value(k, v) for k, v in match.groupdict().items()})
    return None


_ID = r"'(?P<{}>[^']+)'"
_FEATURE = re.compile(r"layer '[^']+', feature '(?P<id>[^']+)'")  # a feature: its id says it

_KNOWN = known_sentences(
    (
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
        # notes on an incident made from an alarm record (evacsim.scenario.alarm)
        (r"no weather reading in the alarm: the scenario defaults are used",
         N_("no weather reading in the alarm: the scenario's default weather is used")),
        (r"stability (?P<s>\S+) from Pasquill–Turner: wind (?P<v>\S+) m/s, cloud (?P<c>\S+)/10 "
         r"at (?P<when>\S+)",
         N_("stability class {s} from Pasquill–Turner: wind {v} m/s, cloud cover {c}/10 at "
            "{when}")),
    )
)  # fmt: skip


def warning_text(text: str, tr: Translator) -> str:
    """A model warning or note in the translator's language (as written if unknown)."""
    found = known_text(text, _KNOWN, tr, lambda _k, v: _FEATURE.sub(r"\g<id>", v))
    return text if found is None else found
