"""The real Buildbot peers for interop tests: ``interop_venv``.

``interop_venv`` is the path of the virtualenv that ``scripts/interop-venv.sh``
makes (``buildbot`` and ``buildbot-worker`` from PyPI); the script is
idempotent, so the fixture runs it once per session. When the venv cannot be
made the tests that need it are skipped, except under ``CI=true``, where they
fail: CI must run them. ``interop_venv_path()`` is the same, for other test
packages' conftests.
"""

from __future__ import annotations

import os
import subprocess
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "interop-venv.sh"


@cache
def _make_venv() -> Path | str:
    """The venv's path, or the reason it could not be made."""
    try:
        result = subprocess.run(
            ["bash", str(SCRIPT)],
            check=False,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"{SCRIPT.name} did not run: {error}"
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-5:])
        return f"{SCRIPT.name} failed ({result.returncode}): {tail}"
    lines = result.stdout.strip().splitlines()
    if not lines:
        return f"{SCRIPT.name} printed no venv path"
    venv = Path(lines[-1])
    venv = venv if venv.is_absolute() else ROOT / venv
    if not (venv / "bin" / "python").exists():
        return f"{SCRIPT.name} printed {venv}, which has no bin/python"
    return venv


def interop_venv_path() -> Path:
    """The interop venv; skips the calling test (fails it under CI=true) if it cannot be made."""
    made = _make_venv()
    if isinstance(made, Path):
        return made
    if os.environ.get("CI") == "true":
        pytest.fail(f"the interop venv is required under CI: {made}")
    pytest.skip(f"no interop venv: {made}")


@pytest.fixture(scope="session")
def interop_venv() -> Path:
    """Path of the venv holding the real ``buildbot`` and ``buildbot-worker``."""
    return interop_venv_path()
