"""Worker controls (pause, unpause, stop, kill) and the bookkeeping builds rely on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from twisted.internet import defer, task

from marid.data.errors import ConflictError, InvalidControlError
from marid.workers.config import Worker
from marid.workers.errors import UnknownBuilder, UnknownWorker, WorkerNotConnected
from marid.workers.manager import WorkerManager
from tests.unit.workers.conftest import Builder, run
from tests.unit.workers.fakes import FakeBot, FakeStore, WorkerClient

Connect = Callable[..., tuple[WorkerClient, FakeBot]]


@pytest.fixture
def attached(manager: WorkerManager, connect: Connect) -> tuple[WorkerClient, FakeBot]:
    run(manager.reconfig_workers([Worker("w1", "pass")], [Builder("b1", ["w1"])]))
    return connect()


def test_the_manager_is_the_data_apis_worker_controller(
    manager: WorkerManager, store: FakeStore
) -> None:
    assert store.workers.controller is manager


def test_pause_and_unpause_are_stored_with_the_reason(
    manager: WorkerManager, store: FakeStore, attached: Any
) -> None:
    run(manager.control_worker("w1", "pause", "disk full"))
    assert not manager.can_start_build("w1")

    run(manager.control_worker("w1", "unpause", None))

    assert manager.can_start_build("w1")
    assert store.named("set_worker_state") == [
        ("set_worker_state", 1, True, False, "disk full"),
        ("set_worker_state", 1, False, False, None),
    ]


def test_stop_waits_for_running_builds_then_shuts_the_worker_down(
    manager: WorkerManager, store: FakeStore, attached: tuple[WorkerClient, FakeBot]
) -> None:
    client, bot = attached
    manager.build_started("w1")

    run(manager.control_worker("w1", "stop", "retiring"))
    client.pump.flush()
    assert bot.shutdowns == 0
    assert not manager.can_start_build("w1")
    assert store.named("set_worker_state") == [("set_worker_state", 1, False, True, None)]

    manager.build_finished("w1")
    client.pump.flush()

    assert bot.shutdowns == 1


def test_an_idle_worker_is_shut_down_at_once_by_stop(
    manager: WorkerManager, attached: tuple[WorkerClient, FakeBot]
) -> None:
    client, bot = attached

    run(manager.control_worker("w1", "stop", None))
    client.pump.flush()

    assert bot.shutdowns == 1


def test_a_shutdown_request_from_the_worker_is_a_graceful_stop(
    manager: WorkerManager, attached: tuple[WorkerClient, FakeBot]
) -> None:
    client, bot = attached
    manager.build_started("w1")

    client.perspective.callRemote("shutdown")
    client.pump.flush()
    assert bot.shutdowns == 0
    manager.build_finished("w1")
    client.pump.flush()

    assert bot.shutdowns == 1


def test_graceful_state_is_cleared_when_the_stopped_worker_comes_back(
    manager: WorkerManager, store: FakeStore, connect: Connect, attached: Any
) -> None:
    client, _ = attached
    run(manager.control_worker("w1", "stop", None))
    client.pump.flush()
    client.disconnect()

    connect()

    assert manager.can_start_build("w1")
    assert store.named("set_worker_state")[-1] == ("set_worker_state", 1, False, False, None)


def test_kill_drops_the_connection_now(
    manager: WorkerManager, attached: tuple[WorkerClient, FakeBot]
) -> None:
    client, _ = attached

    run(manager.control_worker("w1", "kill", None))
    client.pump.flush()

    assert not client.connected
    assert manager.connected_names() == []


def test_kill_of_a_worker_that_is_not_connected_is_a_conflict(manager: WorkerManager) -> None:
    run(manager.reconfig_workers([Worker("w1", "pass")], []))

    with pytest.raises(ConflictError):
        run(manager.control_worker("w1", "kill", None))
    with pytest.raises(ConflictError):
        run(manager.control_worker("nobody", "pause", None))
    with pytest.raises(InvalidControlError):
        run(manager.control_worker("w1", "explode", None))


def test_max_builds_limits_can_start_build(manager: WorkerManager, connect: Connect) -> None:
    run(manager.reconfig_workers([Worker("w1", "pass", max_builds=2)], []))
    assert not manager.can_start_build("w1")  # not connected
    connect()

    manager.build_started("w1")
    assert manager.can_start_build("w1")
    manager.build_started("w1")
    assert not manager.can_start_build("w1")
    assert manager.running_builds("w1") == 2
    manager.build_finished("w1")
    assert manager.can_start_build("w1")


def test_worker_properties_merge_default_properties_under_properties(
    manager: WorkerManager,
) -> None:
    worker = Worker("w1", "p", properties={"a": 1, "b": 2}, defaultProperties={"b": 0, "c": 3})
    run(manager.reconfig_workers([worker], []))

    assert manager.worker_properties("w1") == {"a": 1, "b": 2, "c": 3}
    assert manager.worker_config("w1") is worker
    with pytest.raises(UnknownWorker):
        manager.worker_properties("nobody")


def test_wait_for_connection_times_out(manager: WorkerManager, clock: task.Clock) -> None:
    run(manager.reconfig_workers([Worker("w1", "pass")], []))
    results: list[Any] = []
    d = defer.Deferred.fromCoroutine(manager.wait_for_connection("w1", timeout=5))
    d.addErrback(lambda f: results.append(f.value))

    clock.advance(5)

    assert isinstance(results[0], WorkerNotConnected)
    assert manager._records["w1"].waiters == []


def test_commands_go_to_the_builders_worker_for_builder(
    manager: WorkerManager, attached: tuple[WorkerClient, FakeBot]
) -> None:
    client, bot = attached
    conn = manager.get_connection("w1")
    assert conn is not None
    results: list[Any] = []

    conn.start_command("b1", None, "0", "shell", {"command": "true"}).addBoth(results.append)
    conn.interrupt_command("b1", "0", "stop it").addBoth(results.append)
    conn.start_command("nope", None, "1", "shell", {}).addErrback(lambda f: results.append(f.value))
    client.pump.flush()

    assert bot.builders["b1"].commands == [
        ("0", "shell", {"command": "true"}),
        ("interrupt", "0", "stop it"),
    ]
    assert isinstance(results[0], UnknownBuilder)
