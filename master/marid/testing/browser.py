"""Launching the system Chromium for browser tests and benchmarks of the web UI.

Playwright drives Debian's ``/usr/bin/chromium`` (``MARID_CHROMIUM`` to use
another binary); nothing downloads a browser. The flags keep Chromium from
reaching anything but the page under test: no background networking, no
component updates, no sync.
"""

from __future__ import annotations

import os
from typing import Any

CHROMIUM = os.environ.get("MARID_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


def launch_chromium(playwright: Any) -> Any:
    """A headless Chromium browser from a started Playwright (sync or async API)."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=list(CHROMIUM_ARGS)
    )
