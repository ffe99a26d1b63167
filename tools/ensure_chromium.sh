#!/usr/bin/env bash
# Make sure Debian's Chromium is at /usr/bin/chromium for the browser tests (tests/browser), with
# Debian's Noto CJK fonts (fonts-noto-cjk) so Chinese names render as glyphs, not boxes.
# Playwright drives this system browser; we never run `playwright install` (it downloads its own
# build from a CDN). Root installs them with apt; anyone else is told what to do.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
CJK_FONT=/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc

missing=()
[ -x "$CHROMIUM" ] || missing+=(chromium)
[ -f "$CJK_FONT" ] || missing+=(fonts-noto-cjk)

if [ ${#missing[@]} -eq 0 ]; then
    echo "chromium: $("$CHROMIUM" --version 2>/dev/null || echo present) at $CHROMIUM; fonts-noto-cjk present"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    echo "browser tests: installing Debian's ${missing[*]} (apt-get install)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    echo "chromium: $("$CHROMIUM" --version 2>/dev/null || echo installed) at $CHROMIUM"
    exit 0
fi

echo "browser tests: ${missing[*]} missing and this user is not root." >&2
echo "  Ask an administrator to run: apt-get install ${missing[*]}" >&2
echo "  Browser tests (pytest -m browser) will be skipped (they fail when CI=true)." >&2
if [ "${CI:-}" = "true" ]; then
    exit 1
fi
exit 0
