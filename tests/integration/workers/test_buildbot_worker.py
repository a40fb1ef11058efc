"""The worker manager of a real master, with real buildbot-worker processes over loopback."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest_twisted

from marid.master import BuildMaster
from tests.fixtures.proxy import FaultyProxy
from tests.integration.workers.conftest import (
    MasterDir,
    WorkerProcess,
    eventually,
    sleep,
)

Workers = Callable[..., WorkerProcess]


async def connected(master_dir: MasterDir, name: str = "w1") -> bool:
    """the worker is connected according to the REST API"""
    return bool((await master_dir.worker(name))["connected_to"])


async def disconnected(master_dir: MasterDir, name: str = "w1") -> bool:
    """the worker is disconnected according to the REST API"""
    return not (await master_dir.worker(name))["connected_to"]


@pytest_twisted.ensureDeferred
async def test_an_attached_worker_is_listed_with_its_info_and_master(
    master_dir: MasterDir, workers: Workers, masters: list[BuildMaster]
) -> None:
    master_dir.write("worker.Worker('w1', 'pass')")
    master = await master_dir.start()
    masters.append(master)
    worker = workers(master_dir.pb_port)
    worker.start()

    assert master.workers is not None
    conn = await master.workers.wait_for_connection("w1", timeout=30)

    status, body = await master_dir.rest("workers")
    assert status == 200 and body["meta"] == {"total": 1}
    (listed,) = body["workers"]
    assert listed["connected_to"] == [{"masterid": master.masterid}]
    assert listed["configured_on"] == [{"builderid": 1, "masterid": master.masterid}]
    assert listed["workerinfo"]["version"] == "4.3.0"
    assert {"admin", "host", "access_uri"} <= set(listed["workerinfo"])
    assert "environ" not in listed["workerinfo"]
    assert listed["paused"] is False and listed["graceful"] is False
    assert conn.info["basedir"] == str(worker.basedir)
    assert (worker.basedir / "b1").is_dir()
    assert "message from master: attached" in worker.log()


@pytest_twisted.ensureDeferred
async def test_a_stopped_worker_process_is_marked_disconnected(
    master_dir: MasterDir, workers: Workers, masters: list[BuildMaster]
) -> None:
    master_dir.write("worker.Worker('w1', 'pass')")
    masters.append(await master_dir.start())
    worker = workers(master_dir.pb_port)
    worker.start()
    await eventually(lambda: connected(master_dir))

    await worker.stop()

    await eventually(lambda: disconnected(master_dir))


@pytest_twisted.ensureDeferred
async def test_the_worker_reconnects_after_a_master_restart(
    master_dir: MasterDir, workers: Workers, masters: list[BuildMaster]
) -> None:
    master_dir.write("worker.Worker('w1', 'pass')")
    first = await master_dir.start()
    worker = workers(master_dir.pb_port)
    worker.start()
    await eventually(lambda: connected(master_dir))

    await first.stop_master()
    second = await master_dir.start()
    masters.append(second)

    assert second.workers is not None
    await second.workers.wait_for_connection("w1", timeout=60)
    await eventually(lambda: connected(master_dir))


@pytest_twisted.ensureDeferred
async def test_a_cut_connection_is_marked_disconnected_then_connected_again(
    master_dir: MasterDir, workers: Workers, masters: list[BuildMaster]
) -> None:
    master_dir.write("worker.Worker('w1', 'pass')")
    master = await master_dir.start()
    masters.append(master)
    proxy = FaultyProxy(master_dir.pb_port)
    worker = workers(await proxy.start())
    worker.start()
    try:
        await eventually(lambda: connected(master_dir))
        assert master.workers is not None
        first = master.workers.get_connection("w1")
        events: list[str] = []
        master.mq.start_consuming(lambda key, _: events.append(key[2]), ("workers", None, None))

        proxy.cut()

        # The attach's own "connected" event may land after the REST row shows it:
        # what matters is a "connected" after the cut's "disconnected".
        async def reconnected_after_cut() -> bool:
            return (
                "disconnected" in events and "connected" in events[events.index("disconnected") :]
            )

        await eventually(reconnected_after_cut)
        assert master.workers.get_connection("w1") is not first
        assert await connected(master_dir)
    finally:
        await proxy.stop()


@pytest_twisted.ensureDeferred
async def test_a_stalled_connection_is_dropped_by_the_master_keepalive(
    master_dir: MasterDir, workers: Workers, masters: list[BuildMaster]
) -> None:
    master_dir.write("worker.Worker('w1', 'pass', keepalive_interval=1)")
    master = await master_dir.start()
    masters.append(master)
    proxy = FaultyProxy(master_dir.pb_port)
    worker = workers(await proxy.start())
    worker.start()
    try:
        await eventually(lambda: connected(master_dir))

        proxy.stall()
        await eventually(lambda: disconnected(master_dir), timeout=10)
        proxy.resume()

        await eventually(lambda: connected(master_dir))
    finally:
        await proxy.stop()


@pytest_twisted.ensureDeferred
async def test_pause_unpause_and_kill_through_json_rpc(
    master_dir: MasterDir, workers: Workers, masters: list[BuildMaster]
) -> None:
    master_dir.write("worker.Worker('w1', 'pass')")
    master = await master_dir.start()
    masters.append(master)
    worker = workers(master_dir.pb_port)
    worker.start()
    await eventually(lambda: connected(master_dir))
    workerid = (await master_dir.worker("w1"))["workerid"]
    assert master.workers is not None

    assert await master_dir.rpc(f"workers/{workerid}", "pause", reason="disk full") is None
    listed = await master_dir.worker("w1")
    assert (listed["paused"], listed["pause_reason"]) == (True, "disk full")
    assert not master.workers.can_start_build("w1")

    await master_dir.rpc(f"workers/{workerid}", "unpause")
    listed = await master_dir.worker("w1")
    assert (listed["paused"], listed["pause_reason"]) == (False, None)
    assert master.workers.can_start_build("w1")

    first = master.workers.get_connection("w1")
    await master_dir.rpc("workers/w1", "kill", reason="stuck")
    await eventually(lambda: _reattached(master, first))
    assert worker.running  # a killed connection is not a stopped worker: it comes back


@pytest_twisted.ensureDeferred
async def test_stop_through_json_rpc_shuts_an_idle_worker_down(
    master_dir: MasterDir, workers: Workers, masters: list[BuildMaster]
) -> None:
    master_dir.write("worker.Worker('w1', 'pass')")
    masters.append(await master_dir.start())
    worker = workers(master_dir.pb_port)
    worker.start()
    await eventually(lambda: connected(master_dir))

    await master_dir.rpc("workers/w1", "stop", reason="retire")

    await eventually(lambda: _exited(worker))
    listed = await master_dir.worker("w1")
    assert listed["graceful"] is True and listed["connected_to"] == []


@pytest_twisted.ensureDeferred
async def test_json_rpc_errors(master_dir: MasterDir, masters: list[BuildMaster]) -> None:
    master_dir.write("worker.Worker('w1', 'pass')")
    masters.append(await master_dir.start())

    status, answer = await master_dir.rest(
        "workers/w1", {"jsonrpc": "2.0", "id": 3, "method": "kill", "params": {}}
    )
    assert status == 409 and "not connected" in answer["error"]["message"]
    status, answer = await master_dir.rest(
        "workers/999", {"jsonrpc": "2.0", "id": 4, "method": "pause", "params": {}}
    )
    assert status == 404
    status, answer = await master_dir.rest(
        "workers/w1", {"jsonrpc": "2.0", "id": 5, "method": "pause", "params": {"reason": 3}}
    )
    assert status == 400


@pytest_twisted.ensureDeferred
async def test_the_missing_event_fires_once_after_missing_timeout(
    master_dir: MasterDir, workers: Workers, masters: list[BuildMaster]
) -> None:
    master_dir.write("worker.Worker('w1', 'pass', missing_timeout=2, notify_on_missing='a@b.org')")
    master = await master_dir.start()
    masters.append(master)
    missing: list[dict[str, Any]] = []
    master.mq.start_consuming(
        lambda _, message: missing.append(message), ("workers", None, "missing")
    )
    worker = workers(master_dir.pb_port)
    worker.start()
    await eventually(lambda: connected(master_dir))

    await worker.stop()
    await eventually(lambda: disconnected(master_dir))
    await sleep(1)
    assert missing == []
    await sleep(3)

    (event,) = missing
    assert event["name"] == "w1" and event["notify"] == ["a@b.org"]
    assert isinstance(event["last_connection"], int)


@pytest_twisted.ensureDeferred
async def test_a_reconfig_adds_and_removes_workers_without_a_restart(
    master_dir: MasterDir, workers: Workers, masters: list[BuildMaster]
) -> None:
    master_dir.write("worker.Worker('w1', 'pass')")
    master = await master_dir.start()
    masters.append(master)
    w2 = workers(master_dir.pb_port, name="w2", password="two")
    w2.start()

    master_dir.write(
        "worker.Worker('w1', 'pass'), worker.Worker('w2', 'two')",
        builders="Builder('b1', ['w1', 'w2'])",
    )
    assert await master.reconfig()
    assert master.workers is not None
    await master.workers.wait_for_connection("w2", timeout=60)  # its retry backoff
    assert (await master_dir.worker("w2"))["configured_on"][0]["builderid"] == 1

    master_dir.write("worker.Worker('w1', 'pass')")
    assert await master.reconfig()
    await eventually(lambda: disconnected(master_dir, "w2"))
    assert (await master_dir.worker("w2"))["configured_on"] == []


async def _has(events: list[str], what: str) -> bool:
    return what in events


async def _reattached(master: BuildMaster, first: Any) -> bool:
    assert master.workers is not None
    conn = master.workers.get_connection("w1")
    return conn is not None and conn is not first


async def _exited(worker: WorkerProcess) -> bool:
    return not worker.running
