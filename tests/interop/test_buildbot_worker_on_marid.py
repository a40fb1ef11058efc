"""A real ``buildbot-worker`` 4.3 (from PyPI) logging in to a Marid master.

The login, the attach sequence, keepalives in both directions, duplicate
logins, wrong passwords and graceful shutdowns, as that worker does them.
Running commands through the lead's ``RemoteCommand`` has its own section at
the end of this file.
"""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import pytest_twisted

from marid.master import BuildMaster
from tests.integration.workers.conftest import (
    MasterDir,
    WorkerFactory,
    WorkerProcess,
    eventually,
    new_master_dir,
    sleep,
    stop_masters,
)

Workers = Callable[..., WorkerProcess]


@pytest.fixture(name="master_dir")
def master_dir_fixture(tmp_path: Path) -> MasterDir:
    return new_master_dir(tmp_path)


@pytest.fixture(name="workers")
def workers_fixture(interop_venv: Path, tmp_path: Path) -> Iterator[WorkerFactory]:
    factory = WorkerFactory(interop_venv, tmp_path)
    yield factory
    factory.kill_all()


@pytest_twisted.async_yield_fixture(name="masters")
async def masters_fixture() -> AsyncIterator[list[BuildMaster]]:
    started: list[BuildMaster] = []
    yield started
    await stop_masters(started)


async def start(master_dir: MasterDir, masters: list[BuildMaster], workers_cfg: str) -> BuildMaster:
    master_dir.write(workers_cfg, builders="Builder('b1', ['w1']), Builder('b2', ['w1'])")
    master = await master_dir.start()
    masters.append(master)
    return master


@pytest_twisted.ensureDeferred
async def test_login_and_the_attach_sequence_complete(
    master_dir: MasterDir, workers: Workers, masters: list[BuildMaster]
) -> None:
    master = await start(master_dir, masters, "worker.Worker('w1', 'pass')")
    worker = workers(master_dir.pb_port)
    worker.start()

    assert master.workers is not None
    conn = await master.workers.wait_for_connection("w1", timeout=30)

    assert sorted(conn.builders) == ["b1", "b2"]
    assert conn.info["worker_commands"]["shell"] == "3.3"
    assert isinstance(conn.info["numcpus"], int) and isinstance(conn.info["environ"], dict)
    assert conn.info["version"] == "4.3.0"
    assert (worker.basedir / "b1").is_dir() and (worker.basedir / "b2").is_dir()
    await eventually(lambda: _logged(worker, "worker is ready"))
    # "attached" once for the login, then once per newly attached builder.
    assert worker.log().count("message from master: attached") == 3
    await conn.remote_print("hello from the master")
    assert "message from master: hello from the master" in worker.log()


@pytest_twisted.ensureDeferred
async def test_keepalives_flow_both_ways(
    master_dir: MasterDir, workers: Workers, masters: list[BuildMaster]
) -> None:
    master = await start(master_dir, masters, "worker.Worker('w1', 'pass', keepalive_interval=1)")
    worker = workers(master_dir.pb_port, options=("--keepalive=1",))
    worker.start()
    assert master.workers is not None
    conn = await master.workers.wait_for_connection("w1", timeout=30)

    await sleep(2.5)

    assert conn.last_keepalive is not None  # the worker's perspective.keepalive()
    assert worker.log().count("message from master: keepalive") >= 2


@pytest_twisted.ensureDeferred
async def test_a_wrong_password_is_retried_until_a_reconfig_accepts_it(
    master_dir: MasterDir, workers: Workers, masters: list[BuildMaster]
) -> None:
    master = await start(master_dir, masters, "worker.Worker('w1', 'other')")
    worker = workers(master_dir.pb_port, password="pass")
    worker.start()
    await eventually(lambda: _logged(worker, "unauthorized login"))

    master_dir.write("worker.Worker('w1', 'pass')", builders="Builder('b1', ['w1'])")
    assert await master.reconfig()

    assert master.workers is not None
    await master.workers.wait_for_connection("w1", timeout=60)
    assert worker.running


@pytest_twisted.ensureDeferred
async def test_a_duplicate_worker_is_turned_away_and_the_first_stays(
    master_dir: MasterDir, workers: Workers, masters: list[BuildMaster]
) -> None:
    master = await start(master_dir, masters, "worker.Worker('w1', 'pass')")
    first = workers(master_dir.pb_port)
    first.start()
    assert master.workers is not None
    conn = await master.workers.wait_for_connection("w1", timeout=30)

    second = workers(master_dir.pb_port)
    second.start()

    await eventually(lambda: _exited(second))  # buildbot-worker stops on a rejected login
    assert "already connected" in second.log()
    assert master.workers.get_connection("w1") is conn and first.running


@pytest_twisted.ensureDeferred
async def test_a_worker_asking_to_shut_down_is_shut_down_when_idle(
    master_dir: MasterDir, workers: Workers, masters: list[BuildMaster]
) -> None:
    master = await start(master_dir, masters, "worker.Worker('w1', 'pass')")
    worker = workers(master_dir.pb_port, options=("--keepalive=0", "--allow-shutdown=signal"))
    worker.start()
    assert master.workers is not None
    await master.workers.wait_for_connection("w1", timeout=30)

    worker.send(signal.SIGHUP)  # buildbot-worker then calls perspective.shutdown()

    await eventually(lambda: _exited(worker))
    assert "worker shutting down on command from master" in worker.log()


# == Commands =======================================================================
# Remote commands (shell, file transfers, ...) against this worker are tested with
# the master's RemoteCommand in tests/interop/test_worker_commands.py; add tests that
# need the attach sequence above together with commands here.


async def _logged(worker: WorkerProcess, text: str) -> bool:
    return text in worker.log()


async def _exited(worker: WorkerProcess) -> bool:
    return not worker.running
