"""Fixtures for the worker's unit tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.worker.loopback import AttachedWorker


@pytest.fixture
def worker(tmp_path: Path) -> AttachedWorker:
    """A Bot in ``tmp_path/worker`` logged in to an in-memory master."""
    basedir = tmp_path / "worker"
    (basedir / "info").mkdir(parents=True)
    (basedir / "info" / "admin").write_text("Ada <ada@example.invalid>\n")
    (basedir / "info" / "host").write_text("a test host\n")
    return AttachedWorker(basedir)
