"""Reconfiguring workers without a restart: add, remove, change, and new builder lists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twisted.cred.error import UnauthorizedLogin
from twisted.internet import defer, task
from twisted.python.failure import Failure
from twisted.spread import pb

from marid.workers.config import Worker
from marid.workers.errors import BuilderListNotApplied
from marid.workers.manager import WorkerManager
from tests.unit.workers.conftest import MASTERID, Builder, run
from tests.unit.workers.fakes import FakeBot, FakeStore, WorkerClient

Connect = Callable[..., tuple[WorkerClient, FakeBot]]


def reconfig(manager: WorkerManager, *workers: Worker, builders: tuple[Builder, ...] = ()) -> None:
    run(manager.reconfig_workers(list(workers), list(builders)))


def reconfig_with(
    client: WorkerClient,
    manager: WorkerManager,
    *workers: Worker,
    builders: tuple[Builder, ...] = (),
) -> list[Any]:
    """A reconfig whose worker answers over ``client``; its outcome (None or a Failure)."""
    outcome: list[Any] = []
    d = defer.Deferred.fromCoroutine(manager.reconfig_workers(list(workers), list(builders)))
    d.addBoth(outcome.append)
    client.pump.flush()
    return outcome


def refused(client: WorkerClient) -> bool:
    result = client.result[0]
    return isinstance(result, Failure) and result.check(UnauthorizedLogin) is not None


def test_an_added_worker_can_log_in_without_a_restart(
    manager: WorkerManager, store: FakeStore, connect: Connect
) -> None:
    reconfig(manager, Worker("w1", "pass"))
    assert refused(connect("w2", "two")[0])

    reconfig(manager, Worker("w1", "pass"), Worker("w2", "two"))
    connect("w2", "two")

    assert manager.connected_names() == ["w2"]
    assert store.named("deconfigure_all_except")[-1] == ("deconfigure_all_except", MASTERID, [1, 2])


def test_a_removed_worker_is_disconnected_deconfigured_and_refused(
    manager: WorkerManager, store: FakeStore, connect: Connect
) -> None:
    reconfig(manager, Worker("w1", "pass"), Worker("w2", "two"))
    client, _ = connect("w1", "pass")

    reconfig(manager, Worker("w2", "two"))
    client.pump.flush()

    assert not client.connected
    assert manager.connected_names() == []
    assert manager.worker_config("w1") is None
    assert store.named("worker_disconnected") == [("worker_disconnected", 1, MASTERID)]
    assert store.named("deconfigure_all_except")[-1] == ("deconfigure_all_except", MASTERID, [2])
    assert refused(connect("w1", "pass")[0])


def test_a_changed_password_applies_to_the_next_login_and_keeps_the_connection(
    manager: WorkerManager, connect: Connect
) -> None:
    reconfig(manager, Worker("w1", "old"))
    client, _ = connect("w1", "old")

    reconfig(manager, Worker("w1", "new"))

    assert client.connected and manager.connected_names() == ["w1"]
    client.disconnect()
    assert refused(connect("w1", "old")[0])
    connect("w1", "new")
    assert manager.connected_names() == ["w1"]


def test_changed_properties_and_max_builds_apply_at_once(
    manager: WorkerManager, connect: Connect
) -> None:
    reconfig(manager, Worker("w1", "pass", max_builds=1, properties={"a": 1}))
    connect()
    manager.build_started("w1")
    assert not manager.can_start_build("w1")

    reconfig(
        manager,
        Worker("w1", "pass", max_builds=2, properties={"a": 2}, defaultProperties={"b": 0}),
    )

    assert manager.can_start_build("w1")
    assert manager.worker_properties("w1") == {"a": 2, "b": 0}


def test_a_changed_keepalive_interval_applies_to_the_open_connection(
    manager: WorkerManager, clock: task.Clock, connect: Connect
) -> None:
    reconfig(manager, Worker("w1", "pass", keepalive_interval=None))
    client, bot = connect()

    reconfig(manager, Worker("w1", "pass", keepalive_interval=5))
    clock.advance(5)
    client.pump.flush()

    assert bot.messages.count("keepalive") == 1


def test_a_changed_builder_list_is_sent_again(
    manager: WorkerManager, store: FakeStore, connect: Connect
) -> None:
    reconfig(manager, Worker("w1", "pass"), builders=(Builder("a", ["w1"]),))
    client, bot = connect()

    done = reconfig_with(
        client,
        manager,
        Worker("w1", "pass"),
        builders=(Builder("a", ["w1"]), Builder("b", ["w1"], builddir="bdir")),
    )

    assert done == [None]  # the reconfig waited for the worker's answer
    assert bot.builder_lists == [[("a", "a")], [("a", "a"), ("b", "bdir")]]
    conn = manager.get_connection("w1")
    assert conn is not None and sorted(conn.builders) == ["a", "b"]
    assert store.named("worker_configured")[-1] == ("worker_configured", 1, MASTERID, [1, 2])


def test_an_unchanged_reconfig_sends_and_writes_nothing(
    manager: WorkerManager, store: FakeStore, connect: Connect
) -> None:
    reconfig(manager, Worker("w1", "pass"), builders=(Builder("a", ["w1"]),))
    client, bot = connect()
    configured = len(store.named("worker_configured"))

    reconfig(manager, Worker("w1", "pass"), builders=(Builder("a", ["w1"]),))
    client.pump.flush()

    assert len(bot.builder_lists) == 1
    assert len(store.named("worker_configured")) == configured


def test_pause_and_graceful_state_are_read_back_for_a_worker_taken_on(
    manager: WorkerManager, store: FakeStore, connect: Connect
) -> None:
    store.workers.ids["w1"] = 1
    store.workers.flags[1] = (True, "disk full", False)

    reconfig(manager, Worker("w1", "pass"))
    connect()

    assert not manager.can_start_build("w1")


class RefusingBot(FakeBot):
    """A worker that turns down any builder list after its first."""

    def remote_setBuilderList(self, wanted: list[Any]) -> dict[str, Any]:
        if self.builder_lists:
            raise pb.Error("setBuilderList: builddir '../out' is not inside the worker")
        return super().remote_setBuilderList(wanted)


def test_a_builder_list_the_worker_refuses_fails_the_reconfig_with_the_reason(
    manager: WorkerManager, connect: Connect, log: list[str]
) -> None:
    reconfig(manager, Worker("w1", "pass"), builders=(Builder("a", ["w1"]),))
    client, _ = connect(bot=RefusingBot())

    done = reconfig_with(
        client,
        manager,
        Worker("w1", "pass"),
        builders=(Builder("a", ["w1"]), Builder("b", ["w1"], builddir="../out")),
    )

    assert len(done) == 1 and isinstance(done[0], Failure)
    assert done[0].check(BuilderListNotApplied)
    message = str(done[0].value)
    assert "worker 'w1'" in message and "is not inside the worker" in message
    assert any(
        "worker w1" in line and "did not take its new list of 2 builders" in line for line in log
    )
    conn = manager.get_connection("w1")
    assert conn is not None and client.connected and sorted(conn.builders) == ["a"]
