"""The sentences the core writes (in English), in the page's language.

The core writes its warnings and notes as English sentences with ids in them (``grid 'G-004'
(car): planned assembly point 'AP-4' is unreachable (the hazard's zones close every road to
it); sent to 'AP-5'``), because it knows no language. :func:`known_text` recognises a known
sentence (a pattern with named groups, from :func:`known_sentences`) and writes it again from
the catalog; :func:`warning_text` does so for the warnings of ``summary.json`` and the notes made
from an alarm record.

A sentence is made of parts the core also puts together: who (``grid 'G-012' (car, walk)``),
why a point cannot be reached, where a feature is (``layer 'shelters', feature 'S-1'``), an
optional tail (``; sent to 'AP-5'``). Each named group of a pattern is written again by the
renderer of its name (:data:`_RENDER`: ``who``, ``why``, ``where``, ``sent``...), so a part is
translated once wherever it appears; other groups keep their value (a count with thousands
separators). Every sentence the core can write is listed here (``evacsim/plan``, ``sim``,
``network``, ``hazard``, ``area``; the input errors that stop a run stay English one-liners):
:func:`known_warning` is ``None`` for any other, and the tests fail on a warning that the
bundled scenarios or the tests' small areas raise and nobody listed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping

from evacsim.display.format import number
from evacsim.display.i18n import N_, Translator
from evacsim.display.labels import (
    LAYER_LABELS,
    MODE_LABELS,
    NETWORK_LABELS,
    TASK_LABELS,
    label,
)

__all__ = ["Known", "known_sentences", "known_text", "known_warning", "warning_text"]

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
    matches it whole); ``value(name, matched)`` may rewrite a group's value first (a group that
    did not take part in the match is ``""``). ``None`` when no pattern matches."""
    for pattern, message in known:
        match = pattern.fullmatch(text)
        if match:
            return tr(message, **{k: value(k, v or "") for k, v in match.groupdict().items()})
    return None


# ----------------------------------------------------------------------------- the parts

_WHO = r"(?P<who>grid '[^']+'(?: \([\w, ]+\))?)"  # evacsim.plan.assembly.row_label
_WHERE = r"(?P<where>layer '\w+', feature '[^']+')"
_WHO_RE = re.compile(r"grid '(?P<grid>[^']+)'(?: \((?P<modes>[\w, ]+)\))?")
_WHERE_RE = re.compile(r"layer '(?P<layer>\w+)', feature '(?P<id>[^']+)'")


def _q(name: str) -> str:
    """A quoted id (``'AP-4'``) as the group ``name``, without its quotes."""
    return f"'(?P<{name}>[^']+)'"


#: Why a point cannot be reached (:meth:`evacsim.plan.reach.Reach.why_not` and the plan's
#: ``from the homes of ...``).
_WHY = known_sentences(
    (
        (r"no road by car connects them", N_("no road connects them by car")),
        (r"no road on foot connects them", N_("no road connects them on foot")),
        (r"the scenario's closed roads cut it off", N_("the scenario's closed roads cut it off")),
        (r"the hazard's zones close every road to it",
         N_("the hazard's zones close every road to it")),
        (r"the hazard's zones close every road to it by t = (?P<t>\d+) s",
         N_("the hazard's zones close every road to it by t = {t} s")),
        (r"from the homes of (?P<k>\d+) of (?P<n>\d+) persons: (?P<why>.+)",
         N_("from the homes of {k} of {n} persons: {why}")),
        # evacsim.sim.teams: why persons who need assistance walk alone
        (r"teams\.door_to_door = false", N_("door-to-door help is off in the scenario")),
        (r"no team has a vehicle", N_("no team has a vehicle")),
    )
)  # fmt: skip

#: The parts of a road piece's contents (:func:`evacsim.network.pieces.road_pieces`).
_HOLDS = known_sentences(
    (
        (r"facilities (?P<ids>.+)", N_("facilities {ids}")),
        (r"homes of grids (?P<ids>.+) \(about (?P<n>\d+) persons\)",
         N_("homes of grids {ids} (about {n} persons)")),
    )
)  # fmt: skip

#: Where households went (:func:`evacsim.plan.make._own_nearest`).
_DEST = known_sentences(
    (
        (r"its planned one if it can, else its own nearest",
         N_("its planned point if it can reach it, else its own nearest")),
        (r"its own nearest", N_("its own nearest point")),
    )
)  # fmt: skip
_SENT = known_sentences(((r"(?P<n>\d+) persons to " + _q("ap"), N_("{n} persons to {ap}")),))


def _who(text: str, tr: Translator) -> str:
    match = _WHO_RE.fullmatch(text)
    if match is None:
        return text
    grid, modes = match.group("grid"), match.group("modes")
    if not modes:
        return tr("grid {grid}", grid=grid)
    words = tr.gettext(", ").join(label(MODE_LABELS, m, tr) for m in modes.split(", "))
    return tr("grid {grid} ({modes})", grid=grid, modes=words)


def _where(text: str, tr: Translator) -> str:
    match = _WHERE_RE.fullmatch(text)
    if match is None:
        return text
    kind = label(LAYER_LABELS, match.group("layer"), tr)
    return tr("{kind} {id}", kind=kind, id=match.group("id"))


def _sub(known: Known, tr: Translator) -> Callable[[str], str]:
    """A renderer of a part with sentences of its own (as written if unknown)."""
    return lambda text: known_text(text, known, tr, lambda k, v: _value(k, v, tr)) or text


def _listed(known: Known, sep: str, tr: Translator) -> Callable[[str], str]:
    """A renderer of a list of parts joined by ``sep``."""
    one = _sub(known, tr)
    return lambda text: tr.gettext(sep).join(one(part) for part in text.split(sep))


def _target(text: str, tr: Translator) -> str:
    """A task's target: an id, or ``node 123`` (a cordon point)."""
    node = re.fullmatch(r"node (\d+)", text)
    return tr("node {node}", node=node.group(1)) if node else text


@functools.cache  # one set per translator (a translator lives as long as the process)
def _renderers(tr: Translator) -> Mapping[str, Callable[[str], str]]:
    return {
        "who": lambda v: _who(v, tr),
        "where": lambda v: _where(v, tr),
        "why": _sub(_WHY, tr),
        "holds": _listed(_HOLDS, "; ", tr),
        "dest": _sub(_DEST, tr),
        "parts": _listed(_SENT, ", ", tr),
        "network": lambda v: label(NETWORK_LABELS, v, tr),
        "task": lambda v: label(TASK_LABELS, v, tr),
        "target": lambda v: _target(v, tr),
        # optional tails: empty when the core left them out
        "sent": lambda v: tr("; sent to {ap}", ap=v) if v else "",
        "stuck": lambda v: (
            tr("; {n} persons reach none and are stranded at home", n=number(int(v))) if v else ""
        ),
    }


#: Groups whose digits are ids, not counts (no thousands separators).
_IDS = frozenset({"piece", "node", "t"})


def _value(name: str, text: str, tr: Translator) -> str:
    render = _renderers(tr).get(name)
    if render is not None:
        return render(text)
    if text.isdigit() and name not in _IDS:
        return number(int(text))
    return text


# ----------------------------------------------------------------------------- the sentences

_KNOWN = known_sentences(
    (
        # evacsim.plan.make.outside_zone (assembly points, shelters, supply points)
        (_WHERE + r": inside the evacuation zone, not used",
         N_("{where} is inside the evacuation zone: not used")),
        # evacsim.plan.assembly: the plan's point of a grid (per travel mode)
        (_WHO + r": planned assembly point " + _q("ap") + r" is unusable(?:; sent to "
         + _q("sent") + r")?",
         N_("{who}: its planned assembly point {ap} is inside the evacuation zone{sent}")),
        (_WHO + r": planned assembly point " + _q("ap") + r" is unreachable \((?P<why>[^()]+)\)"
         r"(?:; sent to " + _q("sent") + r")?",
         N_("{who}: no open road to its planned assembly point {ap} ({why}){sent}")),
        (_WHO + r": planned assembly point " + _q("ap") + r" is unreachable(?:; sent to "
         + _q("sent") + r")?",
         N_("{who}: no open road to its planned assembly point {ap}{sent}")),
        (_WHO + r": no usable assembly point reachable; (?P<n>\d+) persons",
         N_("{who}: no usable assembly point can be reached: {n} persons")),
        (_q("id") + r" receives (?P<n>\d+) persons, capacity (?P<cap>\d+) "
         r"\(over by (?P<over>\d+)\)",
         N_("the plan assigns {n} persons to {id}, capacity {cap} (over by {over}); they "
            "arrive over time")),
        (r"demand exceeds usable capacity \(total capacity (?P<cap>\d+) persons\): (?P<n>\d+) "
         r"persons over capacity sent to their nearest point",
         N_("more persons than places at the usable assembly points (capacity {cap}): {n} "
            "persons over capacity sent to their nearest point")),
        # evacsim.plan.make: households of a grid apart from each other, points nobody reaches
        (_WHO + r": no usable assembly point can be reached; (?P<n>\d+) persons stranded at home",
         N_("{who}: no usable assembly point can be reached; {n} persons stranded at home")),
        (_WHO + r": its homes reach no common usable assembly point; each household goes to "
         r"(?P<dest>.+?): (?P<parts>\d+ persons to '[^']+'(?:, \d+ persons to '[^']+')*)"
         r"(?:; (?P<stuck>\d+) persons reach none and are stranded at home)?",
         N_("{who}: its homes reach no common usable assembly point; each household goes to "
            "{dest}: {parts}{stuck}")),
        (r"assembly point " + _q("ap") + r": no evacuating household can reach it "
         r"\((?P<why>[^()]+)\)",
         N_("assembly point {ap}: no evacuating household can reach it ({why})")),
        # evacsim.plan.shelters (stage 2's plan)
        (r"shelter plan: demand exceeds usable capacity \(total capacity (?P<cap>\d+) "
         r"persons\): (?P<n>\d+) persons over capacity sent to their nearest point",
         N_("more persons than usable shelter places (capacity {cap}): {n} persons over "
            "capacity sent to their nearest shelter")),
        (r"shelter plan: assembly point " + _q("ap") + r": (?P<n>\d+) persons expected, but no "
         r"usable shelter can be reached from it by road",
         N_("assembly point {ap}: {n} persons expected, but no usable shelter can be reached "
            "from it by road")),
        # evacsim.plan.plan_file
        (r"grid " + _q("grid") + r": the plan file's split is not usable in this run; the grid "
         r"goes whole to one point",
         N_("grid {grid}: the plan file's split is not usable in this run; the grid goes whole "
            "to one assembly point")),
        # evacsim.sim.simulation: during the run
        (_WHO + r": assembly point " + _q("ap") + r" could not be reached when its households "
         r"left \(no open road then\); (?P<n>\d+) persons sent to " + _q("to"),
         N_("{who}: no open road to assembly point {ap} when its households left; {n} persons "
            "sent to {to}")),
        (_WHO + r": assembly point " + _q("ap") + r" could not be reached when its households "
         r"left \(no open road then\); (?P<n>\d+) persons no other point either: stranded",
         N_("{who}: no open road to assembly point {ap} when its households left, nor to any "
            "other: {n} persons stranded")),
        (r"assembly point " + _q("ap") + r": cut off from every shelter with room since "
         r"t = (?P<t>\d+) s \(no open road\); no bus is sent there; (?P<n>\d+) persons kept there",
         N_("assembly point {ap}: no open road to a shelter with room since t = {t} s; no bus "
            "is sent there; {n} persons kept there")),
        # evacsim.sim.buses
        (r"transport\.bus_depot " + _q("depot") + r": no assembly point that expects people can "
         r"be reached from it by road; its (?P<n>\d+) buses never start",
         N_("bus depot {depot}: no assembly point that expects people can be reached from it "
            "by road; its {n} buses never start")),
        (r"no usable shelter can reach an assembly point that expects people by road: the "
         r"(?P<n>\d+) buses never start",
         N_("no usable shelter can reach an assembly point that expects people by road: the "
            "{n} buses never start")),
        (r"no bus starts at shelter\(s\) (?P<ids>.+): no assembly point that expects people "
         r"can be reached from them by road",
         N_("no bus starts at {ids}: no assembly point that expects people can be reached from "
            "them by road")),
        # evacsim.sim.teams and evacsim.sim.supplies
        (r"(?P<n>\d+) persons who need assistance walk to their assembly point alone "
         r"\((?P<why>.+)\): nobody helps them",
         N_("{n} persons who need assistance walk to their assembly point alone ({why}): nobody "
            "helps them")),
        (r"(?P<task>\w+) (?P<target>node \d+|\S+): no team with (?P<need>\d+) free members, a "
         r"vehicle and a route; not staffed",
         N_("{task} {target}: no team with {need} free members, a vehicle and a route: not "
            "staffed")),
        (r"team (?P<team>\S+): more posts than members",
         N_("team {team}: more posts than members")),
        (r"(?P<task>\w+) (?P<target>node \d+|\S+): the team never arrived",
         N_("{task} {target}: the team never arrived")),
        (r"supply point (?P<id>\S+): no shelter reachable by road",
         N_("supply point {id}: no shelter can be reached by road")),
        # evacsim.network.snap, evacsim.network.pieces
        (_WHERE + r": is (?P<d>\d+) m from the nearest (?P<network>walking|driving) road",
         N_("{where}: {d} m from the nearest road of the {network} network")),
        (r"(?P<network>driving|walking|driving and walking) networks?: road piece (?P<piece>\d+) "
         r"is apart from the main one \((?P<nodes>\d+) nodes, (?P<m>[\d,]+) m of road\) and "
         r"holds (?P<holds>.+): they can reach only what lies on the same piece",
         N_("{network} network: road piece {piece} is not joined to the main one ({nodes} "
            "nodes, {m} m of road) and holds {holds}: they can reach only what lies on the same "
            "piece")),
        # evacsim.hazard.build
        (r"hazard source " + _q("id") + r": the yellow footprint reaches the Gaussian model's "
         r"(?P<m>\S+) m limit and is truncated there",
         N_("hazard source {id}: the yellow zone reaches the plume model's {m} m limit and is "
            "cut there")),
        (r"hazard source " + _q("id") + r": wind (?P<v>\S+) m/s is below (?P<min>\S+) m/s: calm "
         r"fallback, plume computed at \S+ m/s and drawn in every direction",
         N_("hazard source {id}: wind {v} m/s is below {min} m/s: calm, the plume is computed "
            "at {min} m/s and drawn in every direction")),
        (r"hazard " + _q("model") + r" at the point given by 'at': entirely outside the area, "
         r"nobody to evacuate",
         N_("hazard {model} at the scenario's point: entirely outside the area, nobody to "
            "evacuate")),
        (r"hazard " + _q("model") + r" at (?P<ids>.+): entirely outside the area, nobody to "
         r"evacuate",
         N_("hazard {model} at {ids}: entirely outside the area, nobody to evacuate")),
        # evacsim.area (notes on the area's files)
        (r"(?P<path>.+): layer " + _q("layer") + r" found in (?P<n>\d+) files; using (?P<file>.+)",
         N_("{path}: layer {layer} found in {n} files; {file} is used")),
        (r"(?P<path>.+): not a layer of the schema; ignored",
         N_("{path}: not a layer of the schema; ignored")),
        (r"(?P<path>.+): layer 'hazard_sources', feature " + _q("id") + r", field 'enterprise': "
         r"(?P<v>.+) is not an enterprise in this layer",
         N_("{path}: hazard source {id}: its enterprise {v} is not an enterprise in the layer")),
        # notes on an incident made from an alarm record (evacsim.scenario.alarm)
        (r"no weather reading in the alarm: the scenario defaults are used",
         N_("no weather reading in the alarm: the scenario's default weather is used")),
        (r"stability (?P<s>\S+) from Pasquill–Turner: wind (?P<v>\S+) m/s, cloud (?P<c>\S+)/10 "
         r"at (?P<when>\S+)",
         N_("stability class {s} from Pasquill–Turner: wind {v} m/s, cloud cover {c}/10 at "
            "{when}")),
    )
)  # fmt: skip


def known_warning(text: str, tr: Translator) -> str | None:
    """A model warning or note in the translator's language; ``None`` if nobody listed it."""
    return known_text(text, _KNOWN, tr, lambda k, v: _value(k, v, tr))


def warning_text(text: str, tr: Translator) -> str:
    """A model warning or note in the translator's language (as written if unknown)."""
    found = known_warning(text, tr)
    return text if found is None else found
