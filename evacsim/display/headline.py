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
from evacsim.display.i18n import Translator
from evacsim.display.labels import KIND_LABELS, STATE_LABELS, label, reason_label
from evacsim.results.headline import FacilityFlag, Headline, StrandedPlace

__all__ = ["HeadlineItem", "headline_items", "persons_line", "stranded_where"]

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
        f"{number(n)} {label(STATE_LABELS, state, tr)}" for state, n in h.persons.items() if n > 0
    ]
    head = tr("{n} persons to evacuate", n=number(h.persons_total))
    return head + (": " + tr.gettext(", ").join(parts) if parts else "")


def stranded_where(place: StrandedPlace, tr: Translator) -> str:
    """``G-036 周家坪社区 第7组, by Zhoujiaping Street 6`` (the parts known)."""
    where = " ".join(p for p in (place.grid_id, place.community, place.group) if p)
    if place.road:
        return tr("{where}, by {road}", where=where, road=place.road) if where else place.road
    return where or tr("node {node}", node=place.node)


def _ete(h: Headline, tr: Translator, clock: Clock) -> HeadlineItem | None:
    parts = []
    for stage, text in (("assembly", "90 % at an assembly point by {time}"),
                        ("shelter", "90 % sheltered by {time}")):  # fmt: skip
        t90 = (h.ete_s.get(stage) or {}).get("p90")
        if t90 is not None:
            parts.append(tr(text, time=clock.label(t90)))
    if not parts:
        return None
    return HeadlineItem("ok", tr.gettext("; ").join(parts), "ete")


def _harm(h: Headline, tr: Translator) -> list[HeadlineItem]:
    items = []
    if h.fed_over_1 is not None and h.fed_over_0_3 is not None:
        level = "alert" if h.fed_over_1 else ("warn" if h.fed_over_0_3 else "ok")
        text = tr(
            "{n1} persons reached a toxic dose of FED ≥ 1 (incapacitating); {n03} passed FED 0.3",
            n1=number(h.fed_over_1), n03=number(h.fed_over_0_3),
        )  # fmt: skip
        items.append(HeadlineItem(level, text, "exposure"))
    return items


def _stranded(h: Headline, tr: Translator) -> list[HeadlineItem]:
    if not h.stranded:
        return []
    # one entry per place in words (several nodes and reasons may share a grid and a road)
    by_place: dict[str, tuple[int, list[str]]] = {}
    for p in h.stranded:
        where = stranded_where(p, tr)
        n, why = by_place.get(where, (0, []))
        reason = reason_label(p.reason, tr)
        by_place[where] = (n + p.persons, why if reason in why else [*why, reason])
    ranked = sorted(by_place.items(), key=lambda kv: (-kv[1][0], kv[0]))
    places = [
        tr("{n} at {where} ({why})", n=number(n), where=where, why=tr.gettext(", ").join(why))
        for where, (n, why) in ranked[:MAX_PLACES]
    ]
    text = tr.ngettext(
        "{n} persons stranded at {k} place: {places}",
        "{n} persons stranded at {k} places: {places}",
        len(ranked),
    ).format(n=number(h.stranded_persons), k=number(len(ranked)),
             places=tr.gettext("; ").join(places))  # fmt: skip
    if len(ranked) > MAX_PLACES:
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
            share=f"{100 * c.arrivals / c.total:.0f}", empty=", ".join(c.empty),
        )  # fmt: skip
        items.append(HeadlineItem("warn", text, "facilities"))
    return items


def _bottleneck(h: Headline, tr: Translator) -> list[HeadlineItem]:
    b = h.bottleneck
    if not b:
        return []
    name = str(b.get("name") or "").strip() or str(b.get("road_id", ""))
    unit = tr.gettext("vehicles") if b.get("mode") == "car" else tr.gettext("persons on foot")
    text = tr(
        "Worst bottleneck: {road} ({id}), a queue of up to {q} {unit}, {m} min congested",
        road=name, id=b.get("road_id", ""), q=number(b.get("max_queue")), unit=unit,
        m=number(b.get("congested_min")),
    )  # fmt: skip
    return [HeadlineItem("warn", text, "bottlenecks")]


def headline_items(h: Headline, tr: Translator, clock: Clock) -> list[HeadlineItem]:
    """The headline's lines, the worst first (see the module docstring)."""
    items: list[HeadlineItem] = []
    if h.ended_by not in ("done", ""):
        items.append(HeadlineItem("alert", tr(
            "The run stopped by {why} at {time}: people were still moving",
            why=tr.gettext("gridlock") if h.ended_by == "gridlock" else tr.gettext("its horizon"),
            time=clock.label(h.end_s),
        ), "ete"))  # fmt: skip
    items += _harm(h, tr)
    items += _stranded(h, tr)
    items += [_facility(f, tr) for f in h.facilities]
    items += _concentration(h, tr)
    if all(i.level == "ok" for i in items):
        items.append(HeadlineItem("ok", tr.gettext(
            "Nobody stranded or harmed, no assembly point or shelter over capacity"), "facilities"))
    ete = _ete(h, tr, clock)
    if ete is not None:
        items.append(ete)
    items += _bottleneck(h, tr)
    if h.warnings:
        text = tr.ngettext("{n} warning from the inputs and the plan",
                           "{n} warnings from the inputs and the plan", len(h.warnings))
        items.append(HeadlineItem("warn", text.format(n=number(len(h.warnings))), "warnings"))
    return items
