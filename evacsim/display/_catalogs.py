"""Keeping the message catalogs in step with the code (used by ``tools/i18n.py`` and the tests).

Messages are extracted with Babel from the Python modules (``_("...")``, ``N_("...")``,
``ngettext``) and from the Jinja2 page templates (``{{ _("...") }}``), into
``evacsim/display/locale/evacsim.pot``; :func:`update_catalogs` merges that template into each
language's ``.po`` file (new messages come in untranslated, for a translator to fill in).
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from evacsim.display.i18n import DOMAIN, LANGS

__all__ = ["LOCALE_DIR", "extract_messages", "po_path", "read_catalog", "update_catalogs"]

PACKAGE_DIR = Path(__file__).resolve().parent.parent
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

#: Which files hold messages, and how to read them (paths relative to the package).
METHOD_MAP = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS_MAP = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}
KEYWORDS = {"_": None, "N_": None, "tr": None, "gettext": None, "ngettext": (1, 2)}


def extract_messages() -> Catalog:
    """Every message in the package, as a template catalog (message id → where it is used)."""
    catalog = Catalog(project="evacsim", domain=DOMAIN, charset="utf-8", fuzzy=False)
    for filename, lineno, message, comments, _context in extract_from_dir(
        str(PACKAGE_DIR), METHOD_MAP, OPTIONS_MAP, keywords=KEYWORDS, strip_comment_tags=True
    ):
        if filename.endswith("_catalogs.py"):
            continue
        catalog.add(message, None, [(f"evacsim/{filename}", lineno)], auto_comments=comments)
    return catalog


def po_path(lang: str) -> Path:
    """The ``.po`` file of a language."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(lang: str) -> Catalog:
    """A language's catalog as written."""
    with po_path(lang).open("rb") as fh:
        return read_po(fh, locale=lang, domain=DOMAIN)


def update_catalogs() -> list[Path]:
    """Write the template and merge it into every language's catalog; return the files."""
    template = extract_messages()
    LOCALE_DIR.mkdir(parents=True, exist_ok=True)
    pot = LOCALE_DIR / f"{DOMAIN}.pot"
    with pot.open("wb") as fh:
        write_po(fh, template, omit_header=False, sort_output=True, width=100, no_location=True)
    written = [pot]
    for lang in LANGS:
        path = po_path(lang)
        if path.is_file():
            catalog = read_catalog(lang)
            catalog.update(template, no_fuzzy_matching=True)
        else:
            catalog = Catalog(locale=lang, domain=DOMAIN, project="evacsim", charset="utf-8")
            catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            write_po(fh, catalog, sort_output=True, width=100, no_location=True)
        written.append(path)
    return written
