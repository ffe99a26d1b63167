"""The Jinja2 environment of the pages (report, comparison, drill sheets), in one language.

Templates are in ``evacsim/report/templates``; their messages (``{{ _("...") }}``) come from the
gettext catalogs (:mod:`evacsim.display.i18n`), escaped like any other value.
"""

from __future__ import annotations

from typing import Any

from evacsim.display.format import FONT_STACK
from evacsim.display.i18n import Translator

__all__ = ["environment"]


def environment(tr: Translator) -> Any:
    """A Jinja2 environment with autoescape and ``_`` / ``ngettext`` in ``tr``'s language."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("evacsim.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # old style: a message is returned as is, never %-formatted, so "90 %" needs no escaping;
    # the values a message needs are filled in Python (Translator.__call__) before the template
    env.install_gettext_translations(tr.translations, newstyle=False)  # type: ignore[attr-defined]
    env.globals |= {"font_stack": FONT_STACK, "html_lang": tr.html_lang}
    return env
