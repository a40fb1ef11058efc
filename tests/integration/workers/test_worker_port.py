"""The worker port of a real master: moved by a reconfig, kept when the new one is taken."""

from __future__ import annotations

import socket

import pytest
import pytest_twisted

from marid.master import BuildMaster, StartError
from tests.integration.workers.conftest import MasterDir, free_port


def accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return False
    return True


@pytest_twisted.ensureDeferred
async def test_a_new_worker_port_is_opened_and_the_old_one_closed(
    master_dir: MasterDir, masters: list[BuildMaster]
) -> None:
    master_dir.write("worker.Worker('w1', 'pass')")
    master = await master_dir.start()
    masters.append(master)
    old = master_dir.pb_port
    assert accepts(old)

    master_dir.pb_port = free_port()
    master_dir.write("worker.Worker('w1', 'pass')")
    assert await master.reconfig()

    assert master.workers is not None
    assert master.workers.listener.address == ("127.0.0.1", master_dir.pb_port)
    assert accepts(master_dir.pb_port) and not accepts(old)


@pytest_twisted.ensureDeferred
async def test_a_worker_port_in_use_fails_the_reconfig_and_keeps_the_old_one(
    master_dir: MasterDir, masters: list[BuildMaster]
) -> None:
    master_dir.write("worker.Worker('w1', 'pass')")
    master = await master_dir.start()
    masters.append(master)
    old = master_dir.pb_port
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        master_dir.pb_port = taken.getsockname()[1]
        master_dir.write("worker.Worker('w1', 'pass')")

        assert not await master.reconfig()

    assert master.workers is not None
    assert master.workers.listener.address == ("127.0.0.1", old)
    assert accepts(old)


@pytest_twisted.ensureDeferred
async def test_a_master_whose_worker_port_is_taken_does_not_start(
    master_dir: MasterDir,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        master_dir.pb_port = taken.getsockname()[1]
        master_dir.write("worker.Worker('w1', 'pass')")

        with pytest.raises(StartError, match="cannot apply the configuration"):
            await master_dir.start()
