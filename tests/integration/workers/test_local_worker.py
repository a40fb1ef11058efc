"""A LocalWorker inside a real master: the marid_worker Bot attached without a socket."""

from __future__ import annotations

import pytest
import pytest_twisted

from marid.master import BuildMaster
from tests.integration.workers.conftest import MasterDir, eventually


@pytest_twisted.ensureDeferred
async def test_a_local_worker_attaches_and_is_listed(
    master_dir: MasterDir, masters: list[BuildMaster]
) -> None:
    pytest.importorskip("marid_worker.bot", reason="the marid_worker Bot is not available")
    master_dir.write("worker.LocalWorker('w1')")
    master = await master_dir.start()
    masters.append(master)

    assert master.workers is not None
    conn = await master.workers.wait_for_connection("w1", timeout=10)

    assert conn.peer == "in-process:w1"
    assert (master_dir.basedir / "workers" / "w1" / "b1").is_dir()
    listed = await master_dir.worker("w1")
    assert listed["connected_to"] == [{"masterid": master.masterid}]

    await master_dir.rpc("workers/w1", "kill")

    async def back() -> bool:
        """the local worker logged in again"""
        assert master.workers is not None
        current = master.workers.get_connection("w1")
        return current is not None and current is not conn

    await eventually(back, timeout=10)


@pytest_twisted.ensureDeferred
async def test_a_master_without_a_worker_port_still_runs_local_workers(
    master_dir: MasterDir, masters: list[BuildMaster]
) -> None:
    pytest.importorskip("marid_worker.bot", reason="the marid_worker Bot is not available")
    master_dir.write("worker.LocalWorker('w1')")
    cfg = master_dir.basedir / "master.cfg"
    cfg.write_text(
        cfg.read_text().replace(f'"tcp:{master_dir.pb_port}:interface=127.0.0.1"', "None")
    )
    master = await master_dir.start()
    masters.append(master)

    assert master.workers is not None
    assert master.workers.listener.address is None
    await master.workers.wait_for_connection("w1", timeout=10)
