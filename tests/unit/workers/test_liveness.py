"""Keepalives both ways, duplicate logins, and the missing-worker event."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twisted.cred.error import UnauthorizedLogin
from twisted.internet import task
from twisted.python.failure import Failure

from marid.workers.config import Worker
from marid.workers.errors import PingFailed
from marid.workers.manager import WorkerManager
from marid.workers.sessions import DUPLICATE_CHECK_TIMEOUT
from tests.unit.workers.conftest import MASTERID, run
from tests.unit.workers.fakes import FakeBot, FakeStore, WorkerClient, flush

Connect = Callable[..., tuple[WorkerClient, FakeBot]]


def configure(manager: WorkerManager, *workers: Worker) -> None:
    run(manager.reconfig_workers(list(workers), []))


def keepalives(bot: FakeBot) -> int:
    return bot.messages.count("keepalive")


# -- master keepalives ---------------------------------------------------------------


def test_master_sends_a_keepalive_every_keepalive_interval(
    manager: WorkerManager, clock: task.Clock, connect: Connect
) -> None:
    configure(manager, Worker("w1", "pass", keepalive_interval=30))
    client, bot = connect()

    clock.advance(29)
    client.pump.flush()
    assert keepalives(bot) == 0
    for expected in (1, 2, 3):
        clock.advance(30 if expected > 1 else 1)
        client.pump.flush()
        assert keepalives(bot) == expected


def test_keepalive_interval_none_sends_no_keepalives(
    manager: WorkerManager, clock: task.Clock, connect: Connect
) -> None:
    configure(manager, Worker("w1", "pass", keepalive_interval=None))
    client, bot = connect()

    for _ in range(10):
        clock.advance(3600)
        client.pump.flush()

    assert keepalives(bot) == 0
    assert manager.connected_names() == ["w1"]


def test_an_unanswered_keepalive_drops_the_connection(
    manager: WorkerManager, clock: task.Clock, store: FakeStore, connect: Connect, log: list[str]
) -> None:
    configure(manager, Worker("w1", "pass", keepalive_interval=30))
    client, bot = connect()
    bot.hung = True

    clock.advance(30)
    client.pump.flush()
    assert manager.connected_names() == ["w1"]
    clock.advance(30)  # the keepalive's timeout: its interval, at most 60 s
    client.pump.flush()

    assert manager.connected_names() == []
    assert not client.connected
    dropped = [line for line in log if "did not answer a keepalive" in line]
    assert len(dropped) == 1 and "(no answer within 30 s)" in dropped[0]
    assert "Deferred" not in dropped[0]
    assert store.named("worker_disconnected") == [("worker_disconnected", 1, MASTERID)]


def test_worker_keepalives_are_recorded(
    manager: WorkerManager, clock: task.Clock, connect: Connect
) -> None:
    configure(manager, Worker("w1", "pass"))
    client, _ = connect()
    clock.advance(600)

    client.perspective.callRemote("keepalive")
    client.pump.flush()

    conn = manager.get_connection("w1")
    assert conn is not None and conn.last_keepalive == 600


# -- pings before a build ----------------------------------------------------------------


def test_a_ping_is_answered_by_a_live_worker(
    manager: WorkerManager, clock: task.Clock, connect: Connect
) -> None:
    configure(manager, Worker("w1", "pass", keepalive_interval=30))
    client, bot = connect()
    conn = manager.get_connection("w1")
    assert conn is not None and conn.answer_window == 30
    results: list[object] = []
    conn.ping().addBoth(results.append)
    client.pump.flush()

    assert results == [None]
    assert bot.messages[-1] == "ping"


def test_an_unanswered_ping_fails_after_the_keepalive_window_and_drops_the_worker(
    manager: WorkerManager, clock: task.Clock, connect: Connect, log: list[str]
) -> None:
    configure(manager, Worker("w1", "pass", keepalive_interval=3600))
    client, bot = connect()
    conn = manager.get_connection("w1")
    assert conn is not None and conn.answer_window == 60  # the interval, at most 60 s
    bot.hung = True
    results: list[Failure] = []
    conn.ping().addErrback(results.append)
    client.pump.flush()

    clock.advance(59)
    client.pump.flush()
    assert results == [] and manager.connected_names() == ["w1"]
    clock.advance(1)
    client.pump.flush()

    (failure,) = results
    assert failure.check(PingFailed) and failure.getErrorMessage() == "no answer within 60 s"
    assert manager.connected_names() == [] and not client.connected
    assert any("failed a ping (no answer within 60 s)" in line for line in log)


def test_a_cancelled_ping_keeps_the_connection(
    manager: WorkerManager, clock: task.Clock, connect: Connect
) -> None:
    configure(manager, Worker("w1", "pass", keepalive_interval=None))
    client, bot = connect()
    conn = manager.get_connection("w1")
    assert conn is not None and conn.answer_window == 60  # without keepalives: 60 s
    bot.hung = True
    ping = conn.ping()
    ping.addErrback(lambda f: None)
    client.pump.flush()

    ping.cancel()
    clock.advance(60)
    client.pump.flush()

    assert manager.connected_names() == ["w1"] and client.connected


# -- duplicate logins -------------------------------------------------------------------


def test_a_second_login_is_rejected_while_the_first_connection_answers(
    manager: WorkerManager, connect: Connect, log: list[str]
) -> None:
    configure(manager, Worker("w1", "pass"))
    first, old_bot = connect(port=1000)

    second, new_bot = connect(port=2000)
    flush(first, second)

    (result,) = second.result
    assert isinstance(result, Failure)
    assert "already connected" in result.getErrorMessage()
    assert not result.check(UnauthorizedLogin)  # a real worker stops instead of retrying
    assert first.connected
    conn = manager.get_connection("w1")
    assert conn is not None and conn.peer == "127.0.0.7:1000"
    assert "second login" in old_bot.messages[-1]
    assert new_bot.messages == []
    assert any("refused a second login from 127.0.0.7:2000" in line for line in log)


def test_a_second_login_replaces_a_first_connection_that_does_not_answer(
    manager: WorkerManager, clock: task.Clock, store: FakeStore, connect: Connect
) -> None:
    configure(manager, Worker("w1", "pass"))
    first, old_bot = connect(port=1000)
    old_bot.hung = True

    second, new_bot = connect(port=2000)
    assert second.result == []  # waiting for the old connection's answer
    clock.advance(DUPLICATE_CHECK_TIMEOUT)
    flush(first, second)

    assert not first.connected
    assert second.result and not isinstance(second.result[0], Failure)
    conn = manager.get_connection("w1")
    assert conn is not None and conn.peer == "127.0.0.7:2000"
    assert new_bot.messages[0] == "attached"
    assert len(store.named("worker_connected")) == 2
    assert store.named("worker_disconnected") == []


# -- missing workers ---------------------------------------------------------------------


def missing_events(store: FakeStore) -> list[tuple[Any, ...]]:
    return store.named("worker_missing")


def test_missing_event_fires_once_missing_timeout_after_a_disconnect(
    manager: WorkerManager, clock: task.Clock, store: FakeStore, connect: Connect
) -> None:
    configure(
        manager,
        Worker("w1", "pass", missing_timeout=600, notify_on_missing="ops@example.org"),
    )
    client, _ = connect()
    clock.advance(100)
    client.disconnect()

    clock.advance(599)
    assert missing_events(store) == []
    clock.advance(1)
    clock.advance(10_000)

    assert missing_events(store) == [
        ("worker_missing", 1, MASTERID, "w1", ["ops@example.org"], 100)
    ]


def test_no_missing_event_when_the_worker_comes_back_in_time(
    manager: WorkerManager, clock: task.Clock, store: FakeStore, connect: Connect
) -> None:
    configure(manager, Worker("w1", "pass", missing_timeout=600))
    client, _ = connect()
    client.disconnect()
    clock.advance(300)

    connect()
    clock.advance(10_000)

    assert missing_events(store) == []


def test_each_connection_loss_gives_its_own_missing_event(
    manager: WorkerManager, clock: task.Clock, store: FakeStore, connect: Connect
) -> None:
    configure(manager, Worker("w1", "pass", missing_timeout=60))
    for _ in range(2):
        client, _ = connect()
        client.disconnect()
        clock.advance(120)

    assert len(missing_events(store)) == 2


def test_missing_timeout_none_never_reports_the_worker_missing(
    manager: WorkerManager, clock: task.Clock, store: FakeStore, connect: Connect
) -> None:
    configure(manager, Worker("w1", "pass", missing_timeout=None))
    client, _ = connect()
    client.disconnect()

    clock.advance(10**7)

    assert missing_events(store) == []
