"""Extract evacsim's messages and update the catalogs: ``python tools/i18n.py``.

Writes ``evacsim/display/locale/evacsim.pot`` and merges it into every language's ``.po``; new
messages come in untranslated (``tests/display/test_i18n.py`` then fails until the Chinese
catalog translates them).
"""

from __future__ import annotations

import sys

from evacsim.display._catalogs import update_catalogs


def main() -> int:
    for path in update_catalogs():
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
