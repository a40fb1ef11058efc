#!/usr/bin/env bash
# What the web UI's browser tests and benchmarks need: Debian's Chromium.
#
# Playwright drives /usr/bin/chromium (set MARID_CHROMIUM to use another one);
# nothing downloads a browser of its own. Idempotent: with Chromium installed
# this only checks that it runs.
set -euo pipefail

chromium=${MARID_CHROMIUM:-/usr/bin/chromium}
if [[ ! -x $chromium ]]; then
    [[ $(id -u) -eq 0 ]] || { echo "browser-deps: run as root to install chromium" >&2; exit 1; }
    echo "browser-deps: installing chromium"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        chromium fonts-dejavu-core >/dev/null
fi
"$chromium" --headless --no-sandbox --disable-gpu --version >/dev/null 2>&1 \
    || { echo "browser-deps: $chromium does not run" >&2; exit 1; }
echo "browser-deps: $("$chromium" --version 2>/dev/null | head -1)"
