#!/usr/bin/env bash
# Make sure Debian's Chromium is at /usr/bin/chromium for the browser tests (tests/browser).
# Playwright drives this system browser; we never run `playwright install` (it downloads its own
# build from a CDN). Root installs it with apt; anyone else is told what to do.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    echo "chromium: $("$CHROMIUM" --version 2>/dev/null || echo present) at $CHROMIUM"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    echo "chromium: not found, installing Debian's package (apt-get install chromium)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium >/dev/null
    echo "chromium: $("$CHROMIUM" --version 2>/dev/null || echo installed) at $CHROMIUM"
    exit 0
fi

echo "chromium: $CHROMIUM is missing and this user is not root." >&2
echo "  Ask an administrator to run: apt-get install chromium" >&2
echo "  Browser tests (pytest -m browser) will be skipped (they fail when CI=true)." >&2
if [ "${CI:-}" = "true" ]; then
    exit 1
fi
exit 0
