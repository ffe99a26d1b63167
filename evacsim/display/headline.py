"""The headline in words: what went wrong first, for the terminal, the report and the run map.

:func:`headline_items` turns a :class:`evacsim.results.headline.Headline` into a few short,
translated lines, the worst first, each with the report section (``#stranded``...) that explains
it. The terminal prints them; ``report.html`` and the run map's title box link each to its
section.
"""

from __future__ import annotations

from dataclasses import dataclass

from evacsim.display.clock import Clock
from evacsim.display.format import number
from evacsim.display.i18n import N_, Translator
from evacsim.display.labels import KIND_LABELS, STATE_LABELS, label, reason_label
from evacsim.results.headline import FacilityFlag, Headline, StrandedPlace

__all__ = [
    "HeadlineItem",
    "StrandedGroup",
    "headline_items",
    "persons_line",
    "stranded_groups",
    "stranded_where",
]

#: At most this many stranded places are named in the headline (the report lists all).
MAX_PLACES = 3


@dataclass(frozen=True)
class HeadlineItem:
    """One headline line: ``level`` is ``alert``, ``warn`` or ``ok``; ``section`` an anchor."""

    level: str
    text: str
    section: str


def persons_line(h: Headline, tr: Translator) -> str:
    """``3,500 persons to evacuate: 3,410 sheltered, 90 stranded`` (every state that has people)."""
    parts = [
        tr("{n} {state}", n=number(n), state=label(STATE_LABELS, state, tr))
        for state, n in h.persons.items()
        if n > 0
    ]
    head = tr("{n} persons to evacuate", n=number(h.persons_total))
    return head + (tr.gettext(": ") + tr.gettext(", ").join(parts) if parts else "")


def stranded_where(place: StrandedPlace, tr: Translator) -> str:
    """``G-036 周家坪社区 第7组, by Zhoujiaping Street 6`` (the parts known)."""
    where = " ".join(p for p in (place.grid_id, place.community, place.group) if p)
    if place.road:
        return tr("{where}, by {road}", where=where, road=place.road) if where else place.road
    return where or tr("node {node}", node=place.node)


def _ete(h: Headline, tr: Translator, clock: Clock) -> HeadlineItem | None:
    parts = []
    for stage, text in (("assembly", N_("90 % at an assembly point by {time}")),
                        ("shelter", N_("90 % sheltered by {time}"))):  # fmt: skip
        t90 = (h.ete_s.get(stage) or {}).get("p90")
        if t90 is not None:
            parts.append(tr(text, time=clock.label(t90)))
    if not parts:
        return None
    return HeadlineItem("ok", tr.gettext("; ").join(parts), "ete")


#: The harm line per kind of dose (FED ≥ 1 incapacitates whatever the kind).
_HARM_TEXT = {
    "toxic": N_("{n1} persons reached a toxic dose of FED ≥ 1 (incapacitating); {n03} passed "
                "FED 0.3"),
    "thermal": N_("{n1} persons reached a heat dose of FED ≥ 1 (incapacitating); {n03} passed "
                  "FED 0.3"),
    "blast": N_("{n1} persons were inside the blast's incapacitating overpressure"),
}  # fmt: skip


def _harm(h: Headline, tr: Translator) -> list[HeadlineItem]:
    items = []
    if h.fed_over_1 is not None and h.fed_over_0_3 is not None:
        level = "alert" if h.fed_over_1 else ("warn" if h.fed_over_0_3 else "ok")
        text = tr(_HARM_TEXT[h.harm_kind or "toxic"],
                  n1=number(h.fed_over_1), n03=number(h.fed_over_0_3))  # fmt: skip
        items.append(HeadlineItem(level, text, "exposure"))
    return items


@dataclass(frozen=True)
class StrandedGroup:
    """Stranded persons at one place in words (nodes and reasons merged), where to mark it."""

    where: str
    persons: int
    why: tuple[str, ...]
    from_grids: tuple[str, ...]
    lat: float
    lon: float


def stranded_groups(h: Headline, tr: Translator) -> list[StrandedGroup]:
    """The stranded places merged by their name in words, most persons first; each is marked
    at its node with the most persons."""
    merged: dict[str, list[StrandedPlace]] = {}
    for p in h.stranded:
        merged.setdefault(stranded_where(p, tr), []).append(p)
    out = []
    for where, places in merged.items():
        main = max(places, key=lambda p: (p.persons, -p.node))
        why = tuple(dict.fromkeys(reason_label(p.reason, tr) for p in places))
        grids = tuple(sorted({g for p in places for g in p.from_grids}))
        persons = sum(p.persons for p in places)
        out.append(StrandedGroup(where, persons, why, grids, main.lat, main.lon))
    return sorted(out, key=lambda g: (-g.persons, g.where))


def _stranded(h: Headline, tr: Translator, max_places: int) -> list[HeadlineItem]:
    if not h.stranded:
        return []
    groups = stranded_groups(h, tr)
    places = [
        tr("{n} at {where} ({why})", n=number(g.persons), where=g.where,
           why=tr.gettext(", ").join(g.why))
        for g in groups[:max_places]
    ]  # fmt: skip
    text = tr.ngettext(
        "{n} persons stranded at {k} place: {places}",
        "{n} persons stranded at {k} places: {places}",
        len(groups),
    ).format(n=number(h.stranded_persons), k=number(len(groups)),
             places=tr.gettext("; ").join(places))  # fmt: skip
    if len(groups) > max_places:
        text += tr.gettext("; …")
    return [HeadlineItem("alert", text, "stranded")]


def _facility(flag: FacilityFlag, tr: Translator) -> HeadlineItem:
    kind = label(KIND_LABELS, flag.kind, tr)
    if flag.flag == "over_capacity":
        text = tr("{id} over capacity: peak {peak} persons, capacity {cap}",
                  id=flag.id, peak=number(flag.peak), cap=number(flag.capacity))  # fmt: skip
        return HeadlineItem("alert", text, "facilities")
    if flag.flag == "refused" and flag.room_elsewhere > 0:
        text = tr(
            "{id} turned away {n} persons while {room} places stayed free at other {kind}s",
            id=flag.id, n=number(flag.refused), room=number(flag.room_elsewhere), kind=kind,
        )  # fmt: skip
        return HeadlineItem("alert", text, "facilities")
    if flag.flag == "refused":
        text = tr("{id} turned away {n} persons; every {kind} was full",
                  id=flag.id, n=number(flag.refused), kind=kind)  # fmt: skip
        return HeadlineItem("alert", text, "facilities")
    text = tr("{n} persons still at {id} at the end: nobody took them on to a shelter",
              n=number(flag.final), id=flag.id)  # fmt: skip
    return HeadlineItem("alert", text, "facilities")


def _concentration(h: Headline, tr: Translator) -> list[HeadlineItem]:
    items = []
    for c in h.concentration:
        text = tr(
            "{id} received {n} of {total} arrivals ({share} %) while {empty} received nobody",
            id=c.id, n=number(c.arrivals), total=number(c.total),
            share=format(100 * c.arrivals / c.total, ".0f"), empty=", ".join(c.empty),
        )  # fmt: skip
        items.append(HeadlineItem("warn", text, "facilities"))
    return items


def _bottleneck(h: Headline, tr: Translator) -> list[HeadlineItem]:
    b = h.bottleneck
    if not b:
        return []
    name = str(b.get("name") or "").strip() or str(b.get("road_id", ""))
    q = int(b.get("max_queue") or 0)
    if b.get("mode") == "car":
        unit = tr.ngettext("vehicle", "vehicles", q)
    else:
        unit = tr.ngettext("person on foot", "persons on foot", q)
    text = tr(
        "Worst bottleneck: {road} ({id}), a queue of up to {q} {unit}, {m} min congested",
        road=name, id=b.get("road_id", ""), q=number(b.get("max_queue")), unit=unit,
        m=number(b.get("congested_min")),
    )  # fmt: skip
    return [HeadlineItem("warn", text, "bottlenecks")]


def headline_items(
    h: Headline, tr: Translator, clock: Clock, *, max_places: int = MAX_PLACES
) -> list[HeadlineItem]:
    """The headline's lines, the worst first (see the module docstring); at most
    ``max_places`` stranded places are named."""
    items: list[HeadlineItem] = []
    if h.ended_by not in ("done", ""):
        items.append(HeadlineItem("alert", tr(
            "The run stopped by {why} at {time}: people were still moving",
            why=tr.gettext("gridlock") if h.ended_by == "gridlock" else tr.gettext("its horizon"),
            time=clock.label(h.end_s),
        ), "ete"))  # fmt: skip
    items += _harm(h, tr)
    items += _stranded(h, tr, max_places)
    items += [_facility(f, tr) for f in h.facilities]
    items += _concentration(h, tr)
    if all(i.level == "ok" for i in items):
        items.append(
            HeadlineItem(
                "ok",
                tr.gettext("Nobody stranded or harmed, no assembly point or shelter over capacity"),
                "facilities",
            )
        )
    ete = _ete(h, tr, clock)
    if ete is not None:
        items.append(ete)
    items += _bottleneck(h, tr)
    if h.warnings:
        text = tr.ngettext(
            "{n} warning from the inputs, the plan and the run",
            "{n} warnings from the inputs, the plan and the run",
            len(h.warnings),
        )
        items.append(HeadlineItem("warn", text.format(n=number(len(h.warnings))), "warnings"))
    return items
