"""Logging in on the worker port: the attach sequence, refusals, and peers that are not PB."""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

from twisted.cred.error import UnauthorizedLogin
from twisted.internet import defer, task
from twisted.internet.address import IPv4Address
from twisted.python.failure import Failure
from twisted.test import iosim

from marid.workers.config import Worker
from marid.workers.manager import WorkerManager
from marid.workers.protocol.pb import LOGIN_TIMEOUT
from marid.workers.state import LinkState
from tests.unit.workers.conftest import MASTERID, Builder, run
from tests.unit.workers.fakes import FakeBot, FakeStore, WorkerClient

Connect = Callable[..., tuple[WorkerClient, FakeBot]]


def configure(manager: WorkerManager, *workers: Worker, builders: tuple[Builder, ...] = ()) -> None:
    run(manager.reconfig_workers(list(workers), list(builders)))


def test_a_worker_with_the_right_password_attaches_in_the_protocol_order(
    manager: WorkerManager, store: FakeStore, connect: Connect
) -> None:
    configure(
        manager,
        Worker("w1", "pass"),
        builders=(Builder("b1", ["w1"]), Builder("b 2/x", ["w1", "other"]), Builder("c", [])),
    )

    _, bot = connect("w1", "pass")

    assert bot.builder_lists == [[("b1", "b1"), ("b 2/x", "b_2_x")]]
    assert bot.messages == ["attached", "attached", "attached"]  # then one per new builder
    conn = manager.get_connection("w1")
    assert conn is not None and conn.peer == "127.0.0.7:40001"
    assert sorted(conn.builders) == ["b 2/x", "b1"]
    assert manager.connected_names() == ["w1"]
    (connected,) = store.named("worker_connected")
    assert connected[1:3] == (1, MASTERID)
    assert connected[3] == {"admin": "me", "host": "box", "access_uri": None, "version": "4.3.0"}
    assert store.named("worker_configured") == [("worker_configured", 1, MASTERID, [1, 2])]


def test_stored_worker_info_keeps_os_keys_but_not_the_environment(
    manager: WorkerManager, store: FakeStore, connect: Connect
) -> None:
    configure(manager, Worker("w1", "pass"))
    info = {"admin": b"me", "os_id": "debian", "environ": {"TOKEN": "s3cret"}, "numcpus": 2}

    connect("w1", "pass", FakeBot(info))

    stored = store.named("worker_connected")[0][3]
    assert stored == {
        "admin": "me",
        "host": None,
        "access_uri": None,
        "version": None,
        "os_id": "debian",
    }
    conn = manager.get_connection("w1")
    assert conn is not None and conn.info["environ"] == {"TOKEN": "s3cret"}


def test_a_wrong_password_is_refused_and_logged_once_with_the_peer(
    manager: WorkerManager, store: FakeStore, connect: Connect, log: list[str]
) -> None:
    configure(manager, Worker("w1", "pass"))

    client, bot = connect("w1", "nope", host="127.0.0.4", port=5555)

    (result,) = client.result
    assert isinstance(result, Failure) and result.check(UnauthorizedLogin)
    refusals = [line for line in log if "refused" in line]
    assert refusals == ["worker login refused from 127.0.0.4:5555: wrong password for worker 'w1'"]
    assert not any("Traceback" in line for line in log)
    assert bot.messages == []
    assert store.named("worker_connected") == []


def test_an_unknown_worker_is_refused_and_logged_once_with_the_peer(
    manager: WorkerManager, connect: Connect, log: list[str]
) -> None:
    configure(manager, Worker("w1", "pass"))

    client, _ = connect("ghost", "pass", host="127.0.0.9", port=6000)

    assert isinstance(client.result[0], Failure)
    assert client.result[0].check(UnauthorizedLogin)
    assert [line for line in log if "refused" in line] == [
        "worker login refused from 127.0.0.9:6000: no worker named 'ghost' is configured"
    ]


def test_garbage_on_the_port_is_dropped_and_the_connected_worker_keeps_working(
    manager: WorkerManager, clock: task.Clock, connect: Connect, log: list[str]
) -> None:
    configure(manager, Worker("w1", "pass", keepalive_interval=10))
    worker, bot = connect("w1", "pass")
    intruder = WorkerClient(manager.factory, clock, host="127.0.0.15", port=31337)

    intruder.client_transport.write(bytes(range(128, 256)) * 4)
    intruder.pump.flush()

    assert not intruder.connected
    dropped = [line for line in log if "dropped a connection" in line]
    assert len(dropped) == 1 and "127.0.0.15:31337" in dropped[0]
    clock.advance(10)
    worker.pump.flush()
    assert bot.messages[-1] == "keepalive"
    assert manager.connected_names() == ["w1"]


def test_a_connection_that_never_logs_in_is_closed(
    manager: WorkerManager, clock: task.Clock, log: list[str]
) -> None:
    silent = WorkerClient(manager.factory, clock, host="127.0.0.18", port=4242)

    clock.advance(LOGIN_TIMEOUT)
    silent.pump.flush()

    assert not silent.connected
    assert any("no login after" in line and "127.0.0.18:4242" in line for line in log)


class KeepAliveRecordingTransport(iosim.FakeTransport):
    def __init__(self, protocol: Any) -> None:
        super().__init__(protocol, isServer=True)
        self.keepalive: list[bool] = []

    def setTcpKeepAlive(self, enabled: bool) -> None:
        self.keepalive.append(enabled)


def test_accepted_sockets_get_tcp_keepalive(manager: WorkerManager) -> None:
    server = manager.factory.buildProtocol(IPv4Address("TCP", "127.0.0.2", 1))
    transport = KeepAliveRecordingTransport(server)

    server.makeConnection(transport)

    assert transport.keepalive == [True]


def test_a_worker_that_disconnects_is_stored_as_disconnected(
    manager: WorkerManager, store: FakeStore, connect: Connect
) -> None:
    configure(manager, Worker("w1", "pass"))
    client, _ = connect("w1", "pass")

    client.disconnect()

    assert manager.get_connection("w1") is None
    assert store.named("worker_disconnected") == [("worker_disconnected", 1, MASTERID)]
    record = manager._records["w1"]
    assert record.state is LinkState.DISCONNECTED


def test_wait_for_connection_returns_once_the_worker_attached(
    manager: WorkerManager, connect: Connect
) -> None:
    configure(manager, Worker("w1", "pass"))
    waiting: list[Any] = []

    defer.Deferred.fromCoroutine(manager.wait_for_connection("w1", timeout=30)).addBoth(
        waiting.append
    )
    assert waiting == []

    connect("w1", "pass")

    assert waiting == [manager.get_connection("w1")]


class OldBot(FakeBot):
    """A worker from before ``getWorkerInfo``: it answers the two legacy calls instead."""

    remote_getWorkerInfo = None  # type: ignore[assignment]

    def remote_getCommands(self) -> dict[str, str]:
        return {"shell": "2.0"}

    def remote_getVersion(self) -> str:
        return "0.8.9"


def test_an_old_worker_without_get_worker_info_still_attaches(
    manager: WorkerManager, store: FakeStore, connect: Connect
) -> None:
    configure(manager, Worker("w1", "pass"))

    connect("w1", "pass", OldBot())

    conn = manager.get_connection("w1")
    assert conn is not None
    assert conn.info == {"worker_commands": {"shell": "2.0"}, "version": "0.8.9"}
    assert store.named("worker_connected")[0][3]["version"] == "0.8.9"


def test_a_worker_that_releases_its_perspective_is_disconnected(
    manager: WorkerManager, connect: Connect
) -> None:
    configure(manager, Worker("w1", "pass"))
    client, _ = connect("w1", "pass")

    client.result.clear()  # the only reference to the perspective
    gc.collect()
    client.pump.flush()

    assert not client.connected
    assert manager.connected_names() == []


def test_idle_connections_closed_at_once_are_summarised_in_one_line(
    manager: WorkerManager, clock: task.Clock, log: list[str]
) -> None:
    idle = [
        WorkerClient(manager.factory, clock, host="127.0.0.19", port=5000 + i) for i in range(2000)
    ]

    clock.advance(LOGIN_TIMEOUT)
    for client in idle:
        client.pump.flush()
    assert not any(client.connected for client in idle)
    closed = [line for line in log if "on the worker port" in line]
    assert len(closed) == 1 and "127.0.0.19:5000" in closed[0]

    clock.advance(60)

    closed = [line for line in log if "on the worker port" in line]
    assert len(closed) == 2
    assert "closed 1999 more connections" in closed[1] and "127.0.0.19:6999" in closed[1]
    later = WorkerClient(manager.factory, clock, host="127.0.0.20", port=7000)
    clock.advance(LOGIN_TIMEOUT)
    later.pump.flush()
    assert "127.0.0.20:7000" in [line for line in log if "on the worker port" in line][2]
