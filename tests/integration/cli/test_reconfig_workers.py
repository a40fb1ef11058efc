"""``marid reconfig`` with a connected ``marid-worker``: a refused builder list is a failure."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.cli.conftest import get_json, marid, web_port

CONFIG = """\
class Builder:
    def __init__(self, name, workernames, builddir=None):
        self.name = name
        self.workernames = workernames
        if builddir:
            self.builddir = builddir

from marid.plugins import worker
c = BuildmasterConfig = {{}}
c['workers'] = [worker.Worker('w1', 'sekrit')]
c['builders'] = [{builders}]
c['protocols'] = {{'pb': {{'port': "tcp:{pb_port}:interface=127.0.0.1"}}}}
c['www'] = {{'port': "tcp:0:interface=127.0.0.1"}}
c['db_url'] = "sqlite:///state.sqlite"
"""

WORKER = [sys.executable, "-m", "marid_worker.scripts.runner"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def pb_port() -> int:
    return free_port()


@pytest.fixture
def worker(tmp_path: Path, pb_port: int) -> Iterator[Path]:
    basedir = tmp_path / "worker"
    created = subprocess.run(
        [*WORKER, "create-worker", "-q", str(basedir), f"127.0.0.1:{pb_port}", "w1", "sekrit"],
        capture_output=True,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    process = subprocess.Popen(
        [*WORKER, "start", "--nodaemon", str(basedir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield basedir
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def wait_attached(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status, body = get_json(port, "/api/v2/workers/w1")
        if status == 200 and body["workers"][0]["connected_to"]:
            return
        time.sleep(0.1)
    raise AssertionError("the worker did not attach")


def test_a_builder_list_the_worker_refuses_makes_marid_reconfig_fail_with_the_reason(
    master_dir: Path, pb_port: int, worker: Path
) -> None:
    config = master_dir / "master.cfg"
    config.write_text(CONFIG.format(builders="Builder('b1', ['w1'])", pb_port=pb_port))
    assert marid("start", str(master_dir)).returncode == 0
    wait_attached(web_port(master_dir))

    config.write_text(
        CONFIG.format(
            builders="Builder('b1', ['w1']), Builder('b2', ['w1'], '../outside')",
            pb_port=pb_port,
        )
    )
    result = marid("reconfig", str(master_dir))

    assert result.returncode == 1, result.stdout
    assert "reconfig failed" in result.stderr and "worker 'w1'" in result.stderr
    assert "'../outside' is not inside the worker" in result.stderr
    assert "reconfig applied" not in result.stdout
    assert not (worker.parent / "outside").exists()

    config.write_text(
        CONFIG.format(builders="Builder('b1', ['w1']), Builder('b2', ['w1'])", pb_port=pb_port)
    )
    result = marid("reconfig", str(master_dir))
    assert result.returncode == 0, result.stderr
    assert (worker / "b2").is_dir()
    assert marid("stop", str(master_dir)).returncode == 0
