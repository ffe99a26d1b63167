"""The warning chain in words: who warned a household, the grid warned last and why, the channels.

The core records the chain as figures (:func:`evacsim.results.warning.last_warned_grid`: the
grid's households, grid workers, when the order reached it, the workers' round and which part
was longer); these functions say it in the page's language, with clock times. The report's
warning section, the grid workers' sheets, the map's warning layer, the watcher's log line and
the terminal share them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from evacsim.display.clock import Clock
from evacsim.display.i18n import Translator
from evacsim.display.labels import CHANNEL_LABELS

__all__ = ["channel_label", "channels_text", "last_warned_text", "why_text"]


def channel_label(name: object, tr: Translator) -> str:
    """Who warned a household: ``chain`` → "grid worker"; a channel's name (the known ones
    translated, others as written)."""
    text = str(name)
    return tr.gettext(CHANNEL_LABELS[text]) if text in CHANNEL_LABELS else text


def _minutes(t_s: float) -> str:
    return format(float(t_s) / 60.0, ".0f")


def why_text(last: Mapping[str, Any], tr: Translator, clock: Clock) -> str:
    """Why the grid of ``last`` (a :func:`~evacsim.results.warning.last_warned_grid` record) was
    warned last: the grid workers' round, the hold or the chain, whichever took longer."""
    workers = int(last["workers"])
    values = {
        "households": last["households"], "workers": workers,
        "order": clock.label(last["t_order_s"]),
        "per": format(float(last["households_per_worker"]), ".0f"),
        "round": _minutes(last["worker_time_s"]), "hold": _minutes(last["hold_s"]),
    }  # fmt: skip
    if last["cause"] == "workers":
        text = tr.ngettext(
            "{households} households for {workers} grid worker ({per} each): the round took "
            "{round} min after the order reached the grid at {order}",
            "{households} households for {workers} grid workers ({per} each): the round took "
            "{round} min after the order reached the grid at {order}",
            workers,
        )
    elif last["cause"] == "hold":
        text = tr.ngettext(
            "the order reached the grid only at {order} (held back {hold} min); its grid worker "
            "then took {round} min",
            "the order reached the grid only at {order} (held back {hold} min); its {workers} "
            "grid workers then took {round} min",
            workers,
        )
    else:
        text = tr.ngettext(
            "the order reached the grid only at {order} (late in the chain); its grid worker "
            "then took {round} min",
            "the order reached the grid only at {order} (late in the chain); its {workers} grid "
            "workers then took {round} min",
            workers,
        )
    return text.format(**values)


def last_warned_text(last: Mapping[str, Any], tr: Translator, clock: Clock) -> str:
    """``warned last G-013 17:14 (T+2:14)`` (the watcher's line, the terminal)."""
    return tr("warned last {grid} {time}", grid=last["grid_id"],
              time=clock.label(last["t_last_warned_s"]))  # fmt: skip


def channels_text(channels: Iterable[Any], tr: Translator, clock: Clock) -> str:
    """The channels beside the chain in a sentence (each ``name``, ``share``, ``at_s``), or that
    there is no mass alert."""
    parts = [
        tr("{channel}: {share} of households at {time}", channel=channel_label(c.name, tr),
           share=format(float(c.share), ".0%"), time=clock.label(c.at_s))
        for c in channels
    ]  # fmt: skip
    if not parts:
        return tr.gettext("No mass alert beside the chain.")
    return tr("Beside the chain: {channels}.", channels=tr.gettext("; ").join(parts))
