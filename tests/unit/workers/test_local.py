"""Local workers: a Bot in the master process, logged in over the in-memory transport."""

from __future__ import annotations

from typing import Any

import pytest
from twisted.internet import task

from marid.workers.config import LocalWorker
from marid.workers.local import RETRY_DELAY
from marid.workers.manager import WorkerManager
from marid.workers.protocol.memory import LocalAddress, connect_in_memory
from tests.unit.workers.conftest import MASTERID, Builder, run
from tests.unit.workers.fakes import FakeBot, FakeStore


def settle(clock: task.Clock) -> None:
    """Run everything the in-memory transport has scheduled for now."""
    for _ in range(1000):
        if not any(call.getTime() <= clock.seconds() for call in clock.getDelayedCalls()):
            return
        clock.advance(0)
    raise AssertionError("the in-memory connection never settles")


@pytest.fixture
def bots() -> list[tuple[str, str, FakeBot]]:
    return []


@pytest.fixture
def local_manager(
    clock: task.Clock, store: FakeStore, tmp_path: Any, bots: list[tuple[str, str, FakeBot]]
) -> WorkerManager:
    def make_bot(name: str, basedir: str, reactor: Any, on_shutdown: Any) -> FakeBot:
        bot = FakeBot()
        bots.append((name, basedir, bot))
        return bot

    return WorkerManager(clock, store, MASTERID, basedir=str(tmp_path), make_bot=make_bot)


def test_a_local_worker_attaches_without_a_socket(
    local_manager: WorkerManager,
    clock: task.Clock,
    store: FakeStore,
    tmp_path: Any,
    bots: list[tuple[str, str, FakeBot]],
) -> None:
    run(local_manager.reconfig_workers([LocalWorker("lw")], [Builder("b", ["lw"])]))
    settle(clock)

    ((name, basedir, bot),) = bots
    assert (name, basedir) == ("lw", str(tmp_path / "workers" / "lw"))
    assert local_manager.connected_names() == ["lw"]
    assert bot.builder_lists == [[("b", "b")]]
    conn = local_manager.get_connection("lw")
    assert conn is not None and conn.peer == "in-process:lw"
    assert len(store.named("worker_connected")) == 1


def test_a_killed_local_worker_logs_in_again(
    local_manager: WorkerManager, clock: task.Clock
) -> None:
    run(local_manager.reconfig_workers([LocalWorker("lw", workdir="/tmp/lw")], []))
    settle(clock)

    run(local_manager.control_worker("lw", "kill", None))
    settle(clock)
    assert local_manager.connected_names() == []
    clock.advance(RETRY_DELAY)
    settle(clock)

    assert local_manager.connected_names() == ["lw"]


def test_the_local_secret_is_the_only_password_of_a_local_worker(
    local_manager: WorkerManager,
) -> None:
    run(local_manager.reconfig_workers([LocalWorker("lw")], []))

    secret = local_manager.sessions.password_for("lw")
    assert secret is not None and len(secret) == 64
    other = WorkerManager(task.Clock(), FakeStore(), 1, basedir="/x")
    run(other.reconfig_workers([LocalWorker("lw")], []))
    assert other.sessions.password_for("lw") != secret


def test_removing_a_local_worker_stops_it(
    local_manager: WorkerManager, clock: task.Clock, store: FakeStore
) -> None:
    run(local_manager.reconfig_workers([LocalWorker("lw")], []))
    settle(clock)

    run(local_manager.reconfig_workers([], []))
    settle(clock)
    clock.advance(RETRY_DELAY * 10)
    settle(clock)

    assert local_manager.connected_names() == []
    assert store.named("worker_disconnected") == [("worker_disconnected", 1, MASTERID)]


class Recorder:
    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.lost: list[str] = []
        self.transport: Any = None

    def makeConnection(self, transport: Any) -> None:
        self.transport = transport

    def dataReceived(self, data: bytes) -> None:
        self.received.append(data)

    def connectionLost(self, reason: Any) -> None:
        self.lost.append(type(reason.value).__name__)


def test_memory_transport_delivers_later_in_order_and_closes_after_delivery() -> None:
    clock = task.Clock()
    server, client = Recorder(), Recorder()
    server_transport, client_transport = connect_in_memory(clock, server, client, "t")

    client_transport.write(b"a")
    client_transport.writeSequence([b"b", b"c"])
    client_transport.loseConnection()
    assert server.received == []  # never re-entrant
    settle(clock)

    assert server.received == [b"abc"]
    assert server.lost == client.lost == ["ConnectionDone"]
    assert isinstance(server_transport.getPeer(), LocalAddress)


def test_memory_transport_abort_drops_unsent_data() -> None:
    clock = task.Clock()
    server, client = Recorder(), Recorder()
    _, client_transport = connect_in_memory(clock, server, client, "t")

    client_transport.write(b"lost")
    client_transport.abortConnection()
    settle(clock)

    assert server.received == []
    assert server.lost == client.lost == ["ConnectionLost"]


def test_the_real_worker_bot_serves_as_a_local_worker(
    clock: task.Clock, store: FakeStore, tmp_path: Any
) -> None:
    pytest.importorskip("marid_worker.bot", reason="the marid_worker Bot is not written yet")
    manager = WorkerManager(clock, store, MASTERID, basedir=str(tmp_path))

    run(manager.reconfig_workers([LocalWorker("lw")], [Builder("b", ["lw"])]))
    settle(clock)

    conn = manager.get_connection("lw")
    assert conn is not None
    assert sorted(conn.builders) == ["b"]
    assert (tmp_path / "workers" / "lw" / "b").is_dir()


def test_a_gracefully_stopped_local_worker_stays_down(
    clock: task.Clock, store: FakeStore, tmp_path: Any
) -> None:
    pytest.importorskip("marid_worker.bot", reason="the marid_worker Bot is not written yet")
    manager = WorkerManager(clock, store, MASTERID, basedir=str(tmp_path))
    run(manager.reconfig_workers([LocalWorker("lw")], []))
    settle(clock)

    run(manager.control_worker("lw", "stop", "bye"))
    settle(clock)
    clock.advance(1)  # the Bot stops 0.2 s after the master's shutdown()
    settle(clock)
    clock.advance(RETRY_DELAY * 10)
    settle(clock)

    assert manager.connected_names() == []


def test_a_local_worker_with_3000_builders_holds_a_reference_to_each(
    clock: task.Clock, store: FakeStore, tmp_path: Any
) -> None:
    bots: list[FakeBot] = []

    def make_bot(name: str, basedir: str, reactor: Any, on_shutdown: Any) -> FakeBot:
        # What marid_worker's Bot says of its connection's limit.
        bots.append(FakeBot({"version": "marid", "environ": {}, "pb_max_references": 100_000}))
        return bots[-1]

    manager = WorkerManager(clock, store, MASTERID, basedir=str(tmp_path), make_bot=make_bot)
    builders = [Builder(f"b{i}", ["lw"]) for i in range(3000)]
    run(manager.reconfig_workers([LocalWorker("lw")], builders))
    settle(clock)

    conn = manager.get_connection("lw")
    assert conn is not None and len(conn.builders) == 3000
    assert len(conn.window.refs) == 3000 and len(bots[0].builder_lists) == 1
