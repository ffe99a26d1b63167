"""Languages of the pages, sheets and headline: gettext message catalogs read with Babel.

The English text in the code is the message id (``_("Assembly points")``); the catalogs in
``evacsim/display/locale/<lang>/LC_MESSAGES/evacsim.po`` give each its translation. ``zh`` holds
the Simplified Chinese text; ``en`` holds the same ids with empty translations (English is the
source language, gettext then shows the id). The ``.po`` files are the only copy: they are
compiled in memory when first used, so no compiled ``.mo`` can go stale.

``tools/i18n.py`` extracts the messages (Babel, with Jinja2's extractor for the page templates)
and updates the catalogs; ``tests/display/test_i18n.py`` fails when a message has no Chinese
translation or a translation drops a ``{placeholder}``.

Which language: the ``--lang`` option, else the scenario's ``[output] lang``, else the area's
``area.toml`` ``lang``, else English (:func:`run_lang`).
"""

from __future__ import annotations

import functools
import gettext
import io
from dataclasses import dataclass
from importlib import resources
from typing import Any

__all__ = ["DEFAULT_LANG", "LANGS", "N_", "Translator", "resolve_lang", "run_lang", "translator"]

#: Languages with a catalog.
LANGS: tuple[str, ...] = ("zh", "en")
DEFAULT_LANG = "en"
DOMAIN = "evacsim"


def N_(message: str) -> str:  # noqa: N802 (gettext's name for a marker)
    """Mark a message for extraction without translating it (translate it where it is shown)."""
    return message


@dataclass(frozen=True, eq=False)
class Translator:
    """The messages of one language.

    Calling it translates and fills ``{placeholders}``: ``tr("{n} persons", n=3)``.
    """

    lang: str
    translations: gettext.NullTranslations

    def gettext(self, message: str) -> str:
        """The translation of ``message`` (the message itself when it has none)."""
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The singular or plural form for ``n``, translated."""
        return self.translations.ngettext(singular, plural, n)

    def __call__(self, message: str, /, **values: Any) -> str:
        text = self.translations.gettext(message)
        return text.format(**values) if values else text

    @property
    def html_lang(self) -> str:
        """The page's ``lang`` attribute (``zh-Hans`` for Simplified Chinese)."""
        return "zh-Hans" if self.lang == "zh" else self.lang


def _catalog(lang: str) -> gettext.NullTranslations:
    """Read ``<lang>/LC_MESSAGES/evacsim.po`` and compile it in memory."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    po = resources.files("evacsim.display").joinpath("locale", lang, "LC_MESSAGES", "evacsim.po")
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=lang, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


@functools.cache
def translator(lang: str | None = None) -> Translator:
    """The :class:`Translator` of ``lang`` (one of :data:`LANGS`; ``None``: English).

    Raises
    ------
    ValueError
        ``lang`` is not one of :data:`LANGS`.
    """
    lang = lang or DEFAULT_LANG
    if lang not in LANGS:
        raise ValueError(f"language {lang!r}: expected one of {', '.join(LANGS)}")
    return Translator(lang, _catalog(lang))


def resolve_lang(*choices: object) -> str:
    """The first of ``choices`` that is a known language code, else :data:`DEFAULT_LANG`."""
    for choice in choices:
        if isinstance(choice, str) and choice in LANGS:
            return choice
    return DEFAULT_LANG


def run_lang(run: Any, lang: str | None = None) -> str:
    """The language of a run's outputs: ``lang``, the scenario's ``[output] lang``, the area's.

    ``run`` is duck-typed (``prepared.scenario.output.lang``, ``prepared.area.meta``): a run, an
    optimizer's result, or the ``Prepared`` scenario itself.
    """
    prepared = getattr(run, "prepared", run)
    scenario = getattr(prepared, "scenario", None)
    output = getattr(scenario, "output", None)
    meta = getattr(getattr(prepared, "area", None), "meta", None) or {}
    return resolve_lang(lang, getattr(output, "lang", None), meta.get("lang"))
