"""Browser tests: Playwright driving the system Chromium, headless, against real processes.

The UI must have been built (``make www``) and Chromium installed
(``make browser``); ``make test`` does both. Outside CI a missing piece skips
these tests with the command to run; with ``CI=true`` it fails them.
Screenshots go to ``build/e2e/`` (``MARID_E2E_ARTIFACTS`` to change it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from marid.testing.browser import CHROMIUM, launch_chromium
from marid.www.service import STATIC_DIR

ARTIFACTS = Path(os.environ.get("MARID_E2E_ARTIFACTS", "build/e2e"))


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not (STATIC_DIR / "index.html").is_file():
        _missing("the web UI is not built: run `make www`")
    if not os.access(CHROMIUM, os.X_OK):
        _missing(f"{CHROMIUM} is missing: run `make browser`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = launch_chromium(pw)
        yield chromium
        chromium.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
