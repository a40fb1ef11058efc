"""Helpers to run the real ``marid`` command against master directories in tmp_path."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CONFIG = """\
from marid.plugins import util  # noqa: F401

c = BuildmasterConfig = {{}}
c['title'] = {title!r}
c['workers'] = []
c['builders'] = []
c['protocols'] = {{'pb': {{'port': "tcp:0:interface=127.0.0.1"}}}}
c['www'] = {{'port': "tcp:0:interface=127.0.0.1"}}
c['db_url'] = "sqlite:///state.sqlite"
"""


def marid(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "marid.scripts.runner", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def write_config(basedir: Path, title: str = "Test master") -> None:
    (basedir / "master.cfg").write_text(CONFIG.format(title=title))


def web_port(basedir: Path, timeout: float = 10) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = (basedir / "marid.log").read_text()
        found = re.findall(r"web server listening on 127\.0\.0\.1:(\d+)", text)
        if found:
            return int(found[-1])
        time.sleep(0.05)
    raise AssertionError("the master never logged its web port")


def get_json(port: int, path: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def master_dir(tmp_path: Path) -> Iterator[Path]:
    """A created master directory; any master still running in it is stopped afterwards."""
    basedir = tmp_path / "master"
    result = marid("create-master", str(basedir))
    assert result.returncode == 0, result.stderr
    write_config(basedir)
    yield basedir
    pidfile = basedir / "marid.pid"
    if pidfile.exists():
        pid = int(pidfile.read_text())
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
